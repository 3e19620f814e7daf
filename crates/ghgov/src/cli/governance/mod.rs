//! `ghgov validate | plan | apply | approve | compliance`: flags, prompts, the progress
//! bar and printing around [`crate::governance::workflow`].

mod apply;
mod args;
mod check;
mod inputs;
mod plan;

pub use apply::apply;
pub use args::{ApplyArgs, ApproveArgs, ComplianceArgs, DocArgs, PlanArgs, ValidateArgs};
pub use check::{compliance, validate};
pub use inputs::Invalid;
pub use plan::{approve, plan};
