//! The projector, the one way facts enter the mirror tables, lives in the storage crate
//! (`ghgov_store::projector`) with the rest of the SQL; webhook events and sync pages call it
//! from here.

pub use ghgov_store::projector::*;
