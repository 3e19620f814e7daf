//! The storage layer lives in its own crate (`ghgov-store`), the only code that runs SQL.
pub use ghgov_store::*;
