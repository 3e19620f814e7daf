//! The simulated GitHub state and every rule that changes it. Handlers parse HTTP, call one
//! operation here, and render the result; webhook events are queued by the operations.

mod assignees;
mod comments;
mod events;
mod issues;
mod labels;
mod locks;
mod milestones;
mod relations;
mod types;
mod world;

pub use events::IssueEvent;
pub use issues::{IssuePatch, NewIssue, MAX_TITLE};
pub use labels::valid_color;
pub use milestones::{pacific_day, MilestoneFields};
pub use types::*;
pub use world::{Outgoing, World};
