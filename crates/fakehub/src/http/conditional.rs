//! `Last-Modified` and `If-Modified-Since` on single resources: the time is the object's
//! `updated_at`, at a second's precision, in HTTP's date format.

use crate::model::Time;
use chrono::{DateTime, NaiveDateTime, Utc};

const HTTP_DATE: &str = "%a, %d %b %Y %H:%M:%S GMT";

/// The `updated_at` of a single JSON object answer (not of a list).
pub fn last_modified(body: &[u8]) -> Option<Time> {
    if body.first() != Some(&b'{') {
        return None;
    }
    #[derive(serde::Deserialize)]
    struct Stamped {
        updated_at: Option<DateTime<Utc>>,
    }
    serde_json::from_slice::<Stamped>(body).ok()?.updated_at
}

pub fn http_date(t: Time) -> String {
    t.format(HTTP_DATE).to_string()
}

pub fn parse_http_date(s: &str) -> Option<Time> {
    NaiveDateTime::parse_from_str(s.trim(), HTTP_DATE)
        .ok()
        .map(|t| t.and_utc())
}

/// Whether a resource last modified at `modified` is unchanged since `if_modified_since`.
pub fn unmodified_since(modified: Time, if_modified_since: &str) -> bool {
    parse_http_date(if_modified_since)
        .is_some_and(|since| modified.timestamp() <= since.timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_dates_round_trip_at_second_precision() {
        let t: Time = "2024-05-01T12:34:56.789Z".parse().unwrap();
        let s = http_date(t);
        assert_eq!(s, "Wed, 01 May 2024 12:34:56 GMT");
        assert!(unmodified_since(t, &s));
        assert!(!unmodified_since(t + chrono::Duration::seconds(1), &s));
        assert!(!unmodified_since(t, "garbage"));
        assert_eq!(
            last_modified(br#"{"id":1,"updated_at":"2024-05-01T12:34:56Z"}"#),
            Some("2024-05-01T12:34:56Z".parse().unwrap())
        );
        assert_eq!(
            last_modified(br#"[{"updated_at":"2024-05-01T12:34:56Z"}]"#),
            None
        );
    }
}
