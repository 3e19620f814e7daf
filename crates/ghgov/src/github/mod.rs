//! Talking to GitHub: the typed objects we read, the rate budget every task shares, and the
//! client that waits, backs off and asks conditionally.

mod budget;
mod client;
mod clock;
mod origin;
pub mod types;

pub use budget::{Budget, WriteLimits};
pub use client::{Fetched, GitHub, GitHubConfig, GitHubError, Page, RequestStats};
#[cfg(feature = "test-hooks")]
pub use clock::{Clock, Sleep, SystemClock};
