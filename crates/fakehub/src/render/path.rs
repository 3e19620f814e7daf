//! Percent-encoded path segments, for URLs that hold names (labels).

use std::fmt;

/// A percent-encoded path segment (label names may hold spaces, slashes, colons…).
pub struct EncodedPath<'a>(pub &'a str);

impl fmt::Display for EncodedPath<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let safe = |b: u8| matches!(b, b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~');
        let s = self.0;
        // Runs of safe bytes are ASCII, so they start and end on character boundaries.
        let mut run = 0;
        for (k, b) in s.bytes().enumerate() {
            if !safe(b) {
                if k > run {
                    f.write_str(&s[run..k])?;
                }
                write!(f, "%{b:02X}")?;
                run = k + 1;
            }
        }
        if run < s.len() {
            f.write_str(&s[run..])?;
        }
        Ok(())
    }
}

/// Percent-encodes a path segment (label names may hold spaces, slashes, colons…).
pub fn encode_path(s: &str) -> String {
    EncodedPath(s).to_string()
}
