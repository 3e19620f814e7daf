//! The simulated GitHub state and every rule that changes it. Handlers parse HTTP, call one
//! operation here, and render the result; webhook events are queued by the operations.

pub mod access;
pub mod apps;
mod assignees;
mod comments;
mod events;
mod issues;
mod labels;
mod locks;
mod milestones;
pub mod project_events;
pub mod projects;
mod relations;
mod types;
mod world;

pub use access::{
    Credential, Directory, Need, Org, OrgNeed, OrgRole, Profile, Role, ALL_SCOPES, NOT_ACCESSIBLE,
    REPO_ADMIN_REQUIRED,
};
pub use events::IssueEvent;
pub use issues::{IssuePatch, NewIssue, MAX_TITLE};
pub use labels::valid_color;
pub use milestones::{pacific_day, MilestoneFields};
pub use types::*;
pub use world::{HookOwner, Outgoing, World};
