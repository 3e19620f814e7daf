//! Talking to GitHub: the typed operations (REST reads and writes, GraphQL documents), the
//! rate budget every task shares, and the transport that waits, backs off and asks
//! conditionally. Only this module builds request paths or reads GitHub's JSON.

mod budget;
mod client;
mod clock;
mod graphql;
mod origin;
mod rest;
pub mod types;
mod writes;

pub use budget::{Budget, WriteLimits};
pub use client::{GitHub, GitHubConfig, GitHubError, RequestStats, Validator};
#[cfg(feature = "test-hooks")]
pub use clock::{Clock, Sleep, SystemClock};
pub use graphql::{GraphQlDocument, GraphQlFailure};
pub use rest::{
    Fetched, IssueRef, ListOf, Lookup, NextPage, OrgIssueType, PageOf, RateLimit, RateLimits,
};
pub use writes::{
    Hook, HookConfig, IssueFields, LabelFields, MilestoneFields, NewHook, Write, Written,
};
