//! Tracking work: the status workflow and each issue's status history.
//!
//! The rules are pure and live in the store crate (`ghgov_store::tracking`, re-exported
//! here) because the projector derives an issue's status in the same transaction that
//! stores the issue: [`Workflow`] (states, labels, transitions, `derive`), the
//! configuration's `tracking` section ([`TrackingConfig`]), [`Provenance`] (what a mirror
//! transaction records with each change) and [`times`]. This module adds what ghgov
//! builds on them: the times of a stored history ([`history`]).

pub mod history;

pub use ghgov_store::tracking::{
    times, Provenance, Source, Status, StatusChangeRow, StatusTimes, TrackingConfig,
    TrackingProblem, ViolationRow, Workflow,
};
