//! The JSON writer: objects written straight into a byte buffer, keys in serde_json's
//! order and strings escaped as serde_json escapes them, plus the time and node-id values
//! every object carries.

use crate::clock::iso;
use crate::model::{Id, Time};
use base64::Engine;
use chrono::{Datelike, Timelike};
use serde_json::Value;
use std::fmt::{self, Write as _};

/// Writes `s` as the contents of a JSON string, escaped exactly as serde_json escapes.
pub(super) fn escape_into(out: &mut Vec<u8>, s: &str) {
    // A fold rather than `any`: without the early exit the check vectorizes (bodies are long).
    if s.bytes().fold(false, |hit, b| {
        hit | (b < 0x20) | (b == b'"') | (b == b'\\')
    }) {
        let quoted = serde_json::to_string(s).expect("a string serializes");
        out.extend_from_slice(&quoted.as_bytes()[1..quoted.len() - 1]);
    } else {
        out.extend_from_slice(s.as_bytes());
    }
}

/// `fmt::Write` into a JSON string's contents, escaping as it goes.
struct Escaping<'a>(&'a mut Vec<u8>);

impl fmt::Write for Escaping<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        escape_into(self.0, s);
        Ok(())
    }
}

/// `fmt::Write` straight into the buffer, for text that needs no escaping (digits, base64).
struct Plain<'a>(&'a mut Vec<u8>);

impl fmt::Write for Plain<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.0.extend_from_slice(s.as_bytes());
        Ok(())
    }
}

/// One JSON object being written. Keys must come in byte order (checked in debug builds),
/// which is the order serde_json's `Map` serializes them in.
pub(crate) struct JsonWriter<'a> {
    out: &'a mut Vec<u8>,
    first: bool,
    #[cfg(debug_assertions)]
    last: &'static str,
}

impl<'a> JsonWriter<'a> {
    pub(crate) fn object(out: &'a mut Vec<u8>) -> Self {
        out.push(b'{');
        JsonWriter {
            out,
            first: true,
            #[cfg(debug_assertions)]
            last: "",
        }
    }

    /// Writes `"key":` and hands back the buffer for the value. Keys are plain ASCII.
    fn key(&mut self, key: &'static str) -> &mut Vec<u8> {
        #[cfg(debug_assertions)]
        {
            assert!(
                self.first || self.last < key,
                "JSON keys out of order: {:?} after {:?}",
                key,
                self.last
            );
            self.last = key;
        }
        if !self.first {
            self.out.push(b',');
        }
        self.first = false;
        self.out.push(b'"');
        self.out.extend_from_slice(key.as_bytes());
        self.out.extend_from_slice(b"\":");
        self.out
    }

    pub(super) fn str(&mut self, key: &'static str, value: &str) {
        let out = self.key(key);
        out.push(b'"');
        escape_into(out, value);
        out.push(b'"');
    }

    pub(super) fn opt_str(&mut self, key: &'static str, value: Option<&str>) {
        match value {
            Some(v) => self.str(key, v),
            None => self.null(key),
        }
    }

    /// A string made by formatting, e.g. `w.fmt("url", format_args!("{base}/x"))`.
    pub(super) fn fmt(&mut self, key: &'static str, value: fmt::Arguments) {
        let out = self.key(key);
        out.push(b'"');
        Escaping(out).write_fmt(value).expect("writing to a Vec");
        out.push(b'"');
    }

    pub(super) fn u64(&mut self, key: &'static str, value: u64) {
        let out = self.key(key);
        write!(Plain(out), "{value}").expect("writing to a Vec");
    }

    pub(super) fn bool(&mut self, key: &'static str, value: bool) {
        self.key(key)
            .extend_from_slice(if value { b"true" } else { b"false" });
    }

    pub(super) fn null(&mut self, key: &'static str) {
        self.key(key).extend_from_slice(b"null");
    }

    pub(super) fn time(&mut self, key: &'static str, t: Time) {
        write_time(self.key(key), t);
    }

    pub(super) fn opt_time(&mut self, key: &'static str, t: Option<Time>) {
        match t {
            Some(t) => self.time(key, t),
            None => self.null(key),
        }
    }

    pub(super) fn node_id(&mut self, key: &'static str, prefix: &str, id: Id) {
        write_node_id(self.key(key), prefix, id);
    }

    /// A value written by `f` (an object, an array, null…).
    pub(super) fn with(&mut self, key: &'static str, f: impl FnOnce(&mut Vec<u8>)) {
        f(self.key(key));
    }

    pub(crate) fn end(self) {
        self.out.push(b'}');
    }
}

/// Writes a JSON array of `items`, each written by `f`.
pub(crate) fn write_array<T>(
    out: &mut Vec<u8>,
    items: impl IntoIterator<Item = T>,
    mut f: impl FnMut(&mut Vec<u8>, T),
) {
    out.push(b'[');
    for (k, item) in items.into_iter().enumerate() {
        if k > 0 {
            out.push(b',');
        }
        f(out, item);
    }
    out.push(b']');
}

pub(super) fn parse(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).expect("fakehub writes valid JSON")
}

/// `clock::iso` without the strftime machinery: `2011-04-22T13:33:48Z`, quoted.
pub(super) fn write_time(out: &mut Vec<u8>, t: Time) {
    let t = t.naive_utc();
    let year = t.year();
    if !(0..=9999).contains(&year) || t.nanosecond() >= 1_000_000_000 {
        // Signed years and leap seconds: leave the edge cases to chrono.
        out.push(b'"');
        out.extend_from_slice(iso(t.and_utc()).as_bytes());
        out.push(b'"');
        return;
    }
    let two = |n: u32| [b'0' + (n / 10) as u8, b'0' + (n % 10) as u8];
    let y = year as u32;
    let (m, d, h, mi, s) = (
        two(t.month()),
        two(t.day()),
        two(t.hour()),
        two(t.minute()),
        two(t.second()),
    );
    out.extend_from_slice(&[
        b'"',
        b'0' + (y / 1000) as u8,
        b'0' + (y / 100 % 10) as u8,
        b'0' + (y / 10 % 10) as u8,
        b'0' + (y % 10) as u8,
        b'-',
        m[0],
        m[1],
        b'-',
        d[0],
        d[1],
        b'T',
        h[0],
        h[1],
        b':',
        mi[0],
        mi[1],
        b':',
        s[0],
        s[1],
        b'Z',
        b'"',
    ]);
}

/// GitHub's legacy node id, `PREFIX_` + base64(`0:ID`), quoted.
fn write_node_id(out: &mut Vec<u8>, prefix: &str, id: Id) {
    // "0:" and at most 20 digits.
    let mut raw = [0u8; 22];
    raw[0] = b'0';
    raw[1] = b':';
    let digits = id.checked_ilog10().unwrap_or(0) as usize + 1;
    let mut rest = id;
    for k in (0..digits).rev() {
        raw[2 + k] = b'0' + (rest % 10) as u8;
        rest /= 10;
    }
    let mut encoded = [0u8; 32];
    let n = base64::engine::general_purpose::STANDARD_NO_PAD
        .encode_slice(&raw[..2 + digits], &mut encoded)
        .expect("a u64 id fits");
    out.push(b'"');
    out.extend_from_slice(prefix.as_bytes());
    out.push(b'_');
    out.extend_from_slice(&encoded[..n]);
    out.push(b'"');
}

pub(crate) fn node_id(prefix: &str, id: Id) -> String {
    let mut out = Vec::with_capacity(32);
    write_node_id(&mut out, prefix, id);
    String::from_utf8(out[1..out.len() - 1].to_vec()).expect("ASCII")
}
