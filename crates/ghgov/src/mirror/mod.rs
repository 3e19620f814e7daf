//! The mirror: facts from webhooks (receiver → deliveries → processor) and from polling
//! (sync, reconcile) all pass through the projector into the mirror tables.

pub mod events;
pub mod processor;
pub mod projector;
pub mod receiver;
pub mod reconciler;
pub mod scope;
pub mod sync;
pub mod webhook_event;

pub use crate::store::RepoName;
