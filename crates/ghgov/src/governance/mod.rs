//! The governance engine: a configuration (rules) and a specification (what to build)
//! become a desired state, which is validated, diffed against the mirror into a plan,
//! approved where the rules ask for it, and applied through the one writer.
//!
//! config, spec, markdown, load: the input documents
//! document_limits, prescan, blocking_read: what reading a document may cost, checked
//! before it is read; reading off the async runtime within a deadline
//! validate: every problem at once, with paths and hints
//! generate, assign: the desired state (issues, labels, milestones, links, agents)
//! plan: the desired state against the mirror
//! apply: journaled, paced, resumable writes
//! workflow: plan, approve, apply as every entry point runs them, with the approval and
//! staleness checks
//! compliance: how well the governed issues follow the rules

pub mod apply;
pub mod assign;
pub mod blocking_read;
pub mod compliance;
pub mod config;
pub mod current;
pub mod desired;
pub mod document_limits;
pub mod engine;
pub mod generate;
pub mod load;
pub mod markdown;
pub mod plan;
pub mod prescan;
pub mod problems;
pub mod spec;
pub mod validate;
pub mod workflow;
