//! The parts of GitHub's objects the mirror keeps: defined next to the projector that
//! stores them, in the storage crate (`ghgov_store::records`).

pub use ghgov_store::records::*;
