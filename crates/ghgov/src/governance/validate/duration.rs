//! Durations as the documents write them: "3 months", "2-3 weeks", "1 day",
//! "2 days overdue".

use chrono::Duration;

/// What `parse_duration` accepts, for hints.
pub(super) const DURATION_FORMS: &str =
    "a number or a range and a unit, e.g. \"3 months\", \"2-3 weeks\", \"1 day\", \"4 hours\"";

/// A duration such as "3 months", "2-3 weeks", "1-3 days" or "2 days overdue". A range
/// counts as its upper bound (estimates plan for the worst case); a month is 30 days and
/// a week 7. One trailing word ("overdue") is allowed and ignored, because thresholds
/// read naturally that way. `None` when the text is not of this form.
pub fn parse_duration(s: &str) -> Option<Duration> {
    // En and em dashes come from word processors; "2 - 3" and "2-3" mean the same.
    let normalized = s
        .to_lowercase()
        .replace(['–', '—'], "-")
        .replace('-', " - ");
    let tokens: Vec<&str> = normalized.split_whitespace().collect();
    let (upper, rest) = match tokens.as_slice() {
        [low, "-" | "to", high, rest @ ..] => {
            let (low, high) = (number(low)?, number(high)?);
            if low > high {
                return None;
            }
            (high, rest)
        }
        [n, rest @ ..] => (number(n)?, rest),
        [] => return None,
    };
    let (unit, trailing) = rest.split_first()?;
    match trailing {
        [] => {}
        [word] if word.chars().all(|c| c.is_alphabetic()) => {}
        _ => return None,
    }
    let seconds: i64 = match *unit {
        "hour" | "hours" => 3600,
        "day" | "days" => 86_400,
        "week" | "weeks" => 7 * 86_400,
        "month" | "months" => 30 * 86_400,
        _ => return None,
    };
    Duration::try_seconds(upper.checked_mul(seconds)?)
}

fn number(s: &str) -> Option<i64> {
    if s.is_empty() || !s.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_forms() {
        assert_eq!(parse_duration("3 months"), Some(Duration::days(90)));
        assert_eq!(parse_duration("2-3 weeks"), Some(Duration::days(21)));
        assert_eq!(parse_duration("1-3 days"), Some(Duration::days(3)));
        assert_eq!(parse_duration("1 week"), Some(Duration::days(7)));
        assert_eq!(parse_duration("2 days overdue"), Some(Duration::days(2)));
        assert_eq!(parse_duration("1 month"), Some(Duration::days(30)));
    }

    #[test]
    fn lenient_spacing_case_and_dashes() {
        assert_eq!(parse_duration(" 2 - 3 Weeks "), Some(Duration::days(21)));
        assert_eq!(parse_duration("2–3 weeks"), Some(Duration::days(21)));
        assert_eq!(parse_duration("2 to 3 weeks"), Some(Duration::days(21)));
        assert_eq!(parse_duration("4 hours"), Some(Duration::hours(4)));
        assert_eq!(parse_duration("0 days"), Some(Duration::zero()));
    }

    #[test]
    fn rejects_everything_else() {
        for bad in [
            "",
            "soon",
            "3",
            "months",
            "3 monts",
            "3-2 weeks",
            "-3 days",
            "1.5 weeks",
            "2 days very overdue",
            "2 days 3",
            "2-weeks",
            "99999999999999999999 days",
            "9223372036854775807 months",
            "- 3 days",
        ] {
            assert_eq!(parse_duration(bad), None, "{bad:?}");
        }
    }
}
