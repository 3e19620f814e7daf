//! What every GitHub API request goes through: authentication, faults, rate limits,
//! conditional requests and counting; plus `Link` pagination.

pub mod access;
mod canonical;
mod conditional;
mod gate;
mod pagination;

pub use canonical::canonical;
pub use gate::{gate, Actor};
pub use pagination::{link_header, with_param, Page, PageParams, RawPage};
