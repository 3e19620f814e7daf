//! The reaction rollup issues and comments carry.

use super::writer::JsonWriter;
use std::fmt;

/// GitHub's reaction rollup; fakehub has no reactions, so every count is zero.
pub(super) fn write_reactions(out: &mut Vec<u8>, url: fmt::Arguments) {
    let mut o = JsonWriter::object(out);
    for key in [
        "+1",
        "-1",
        "confused",
        "eyes",
        "heart",
        "hooray",
        "laugh",
        "rocket",
        "total_count",
    ] {
        o.u64(key, 0);
    }
    o.fmt("url", url);
    o.end();
}
