//! fakehub: a stateful GitHub simulator.
//!
//! The state lives in [`model::World`]; every HTTP answer is derived from it by [`render`].
//! Requests pass the [`http::gate`] (authentication, faults, rate limits, ETags, counters)
//! before reaching a handler in [`routes`]; mutations queue webhook events that the
//! [`webhooks::Dispatcher`] sends, signed and in order per hook.

// GitHub's repository object has some eighty fields.
#![recursion_limit = "256"]

pub mod admin;
pub mod admin_access;
pub mod clock;
pub mod error;
pub mod faults;
pub mod graphql;
pub mod http;
pub mod hub;
pub mod limits;
pub mod model;
pub mod payload;
pub mod render;
pub mod routes;
pub mod seed;
pub mod server;
pub mod stats;
pub mod webhooks;

pub use hub::{Hub, Settings, TokenSpec};
pub use seed::{Generate, SeedDoc, SeedRepo};
pub use server::{FakeHub, Options};
