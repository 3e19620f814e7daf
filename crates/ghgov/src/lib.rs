//! ghgov: a self-hosted GitHub governance and tracking server.
//!
//! Facts come in one way (webhooks and polling, stored raw, then through
//! [`mirror::projector`]) and writes go out one way (the [`github`] client's single rate
//! budget). See ARCHITECTURE.md for the map.

pub mod api;
pub mod cli;
pub mod clock;
#[cfg(feature = "demo")]
pub mod demo;
pub mod front_door;
pub mod github;
pub mod governance;
pub mod mirror;
pub mod secret;
pub mod server;
pub mod store;
pub mod telemetry;
pub mod tracking;
pub mod writer;
