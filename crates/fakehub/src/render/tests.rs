//! The writer's tests: escaping, times, node ids and paths as their references give them,
//! and written objects byte for byte what serde_json gives.

use super::encode_path;
use super::writer::{escape_into, node_id, write_time};
use crate::clock::iso;
use crate::model::{NewIssue, World};
use base64::Engine;
use chrono::{TimeZone, Utc};
use serde_json::Value;

#[test]
fn strings_escape_as_serde_json_escapes_them() {
    for s in [
        "plain",
        "",
        "q\"uote",
        "back\\slash",
        "\n\t\r\u{8}\u{c}\u{0}\u{1f}\u{7f}",
        "é 🎉 \u{2028} </script>",
    ] {
        let mut out = vec![b'"'];
        escape_into(&mut out, s);
        out.push(b'"');
        assert_eq!(
            String::from_utf8(out).unwrap(),
            serde_json::to_string(s).unwrap()
        );
    }
}

#[test]
fn times_read_as_clock_iso() {
    let times = [
        Utc.with_ymd_and_hms(2011, 4, 22, 13, 33, 48).unwrap(),
        Utc.with_ymd_and_hms(1970, 1, 1, 0, 0, 0).unwrap(),
        Utc.with_ymd_and_hms(9999, 12, 31, 23, 59, 59).unwrap(),
        Utc.with_ymd_and_hms(10000, 1, 1, 0, 0, 0).unwrap(),
        Utc.with_ymd_and_hms(-1, 1, 1, 0, 0, 0).unwrap(),
        Utc.with_ymd_and_hms(7, 8, 9, 10, 11, 12).unwrap() + chrono::Duration::milliseconds(999),
    ];
    for t in times {
        let mut out = Vec::new();
        write_time(&mut out, t);
        assert_eq!(String::from_utf8(out).unwrap(), format!("\"{}\"", iso(t)));
    }
}

#[test]
fn node_ids_are_base64_of_zero_colon_id() {
    for id in [0, 1, 9, 10, 1001, 99_999, u64::MAX] {
        let raw = format!("0:{id}");
        let want = format!(
            "I_{}",
            base64::engine::general_purpose::STANDARD_NO_PAD.encode(raw)
        );
        assert_eq!(node_id("I", id), want);
    }
}

#[test]
fn paths_are_percent_encoded_byte_by_byte() {
    let reference = |s: &str| {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect::<String>()
    };
    for s in [
        "bug",
        "",
        "good first issue",
        "priority: high",
        "a/b?c#d",
        "ü",
        "naïve café",
        "日本 x",
        "%~._-",
    ] {
        assert_eq!(encode_path(s), reference(s), "{s}");
    }
}

/// The written bytes are what serde_json gives for the same `Value`: keys in its order,
/// its escaping, nothing twice. That is what lets the list endpoints skip the `Value`.
#[test]
fn written_objects_are_serde_jsons_own_bytes() {
    let mut w = World::new("http://h/x");
    let now = Utc.with_ymd_and_hms(2025, 6, 1, 12, 0, 0).unwrap();
    let doc = crate::SeedDoc {
        repos: vec![crate::SeedRepo {
            full_name: "acme/widgets".into(),
            generate: Some(crate::Generate {
                issues: 60,
                comments: 40,
                labels: 18,
                milestones: 4,
                pulls: 10,
                seed: 9,
            }),
            ..Default::default()
        }],
        ..Default::default()
    };
    crate::seed::apply(&mut w, &doc, now).unwrap();
    let new = NewIssue {
        title: Some("Quote \" backslash \\ bell \u{7} 🎉".into()),
        body: Some("<b>\u{2028}</b>".into()),
        labels: vec!["odd/name: \"x\" ü".into()],
        assignees: vec!["alice".into(), "bob".into()],
        milestone: Some(1),
        type_name: Some("Bug".into()),
        pull_request: false,
    };
    let n = w.create_issue(0, "dependabot[bot]", new, now).unwrap();
    let child = w.repos[0].issue(3).unwrap().id;
    w.add_sub_issue(0, n, child, false, "alice", now).unwrap();
    let blocker = w.repos[0].issue(4).unwrap().id;
    w.add_blocked_by(0, n, blocker, "alice", now).unwrap();
    let same = |bytes: Vec<u8>| {
        let value: Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(serde_json::to_vec(&value).unwrap(), bytes);
    };
    let r = &w.repos[0];
    for issue in &r.issues {
        let mut out = Vec::new();
        w.write_issue(&mut out, 0, issue);
        same(out);
    }
    for c in &r.comments {
        let mut out = Vec::new();
        w.write_comment(&mut out, r, c);
        same(out);
    }
    for login in ["alice", "ACME", "dependabot[bot]", "never-seen \"q\""] {
        let mut out = Vec::new();
        w.write_user(&mut out, login);
        same(out);
    }
    let user = w.user_json("ALICE");
    assert_eq!(user["login"], "alice");
    assert_eq!(w.user_json("never-seen")["id"], 0);
}
