//! Webhook deliveries: signing, the per-hook ordered dispatcher and the delivery log.

mod dispatch;
mod signature;

pub use dispatch::{Delivery, Dispatcher};
pub use signature::{sign, sign_sha1, verify};
