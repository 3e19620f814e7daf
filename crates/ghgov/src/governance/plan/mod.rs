//! The plan: the desired state against the mirror. Every object is created, updated
//! (field by field) or left alone; nothing is deleted or closed unless the configuration
//! makes that kind authoritative. Rendered like Terraform's plans, or as JSON.
//!
//! `model` holds the plan's types, `diff` makes a plan from the desired and current
//! states, and `render` shows it as text.

mod diff;
mod drift;
mod model;
mod render;

#[cfg(test)]
mod tests;

pub use diff::{diff, RemovalRefused, MAX_REMOVAL_SHARE};
pub use model::{Action, AppliedFields, Change, Drift, DriftOutcome, FieldChange, Plan, Target};
