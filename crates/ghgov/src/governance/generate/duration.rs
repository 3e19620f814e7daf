//! Durations as the documents write them ("3 months", "2-3 weeks", "1-3 days"), in days.
//! Validation has its own, stricter parser; this one only has to turn what validation let
//! through into a due date.

/// Days in a duration. A range counts as its upper bound, so that a due date does not
/// promise more than the estimate does; a month is 30 days, a year 365. Words after the
/// unit ("2 days overdue") are ignored. `None` when there is no number and unit.
pub(crate) fn duration_days(text: &str) -> Option<i64> {
    let text = text.trim().to_lowercase().replace(['–', '—'], "-");
    let (low, rest) = leading_number(&text)?;
    let rest = rest.trim_start();
    let (high, rest) = match rest.strip_prefix('-').or_else(|| rest.strip_prefix("to ")) {
        Some(after) => leading_number(after.trim_start())?,
        None => (low, rest),
    };
    let unit: String = rest
        .trim_start()
        .chars()
        .take_while(|c| c.is_alphabetic())
        .collect();
    let amount = high.max(low);
    match unit.as_str() {
        "h" | "hr" | "hrs" | "hour" | "hours" => Some(amount.checked_add(23)? / 24),
        "d" | "day" | "days" => Some(amount),
        "w" | "wk" | "wks" | "week" | "weeks" => amount.checked_mul(7),
        "mo" | "mos" | "month" | "months" => amount.checked_mul(30),
        "y" | "yr" | "yrs" | "year" | "years" => amount.checked_mul(365),
        _ => None,
    }
}

fn leading_number(text: &str) -> Option<(i64, &str)> {
    let digits = text.len() - text.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    let number = text[..digits].parse().ok()?;
    Some((number, &text[digits..]))
}

#[cfg(test)]
mod tests {
    use super::duration_days;

    #[test]
    fn durations_in_days() {
        assert_eq!(duration_days("3 months"), Some(90));
        assert_eq!(duration_days("2-3 weeks"), Some(21));
        assert_eq!(duration_days("1-3 days"), Some(3));
        assert_eq!(duration_days("1 week"), Some(7));
        assert_eq!(duration_days("2 days overdue"), Some(2));
        assert_eq!(duration_days(" 2 – 4 Weeks "), Some(28));
        assert_eq!(duration_days("1 to 2 months"), Some(60));
        assert_eq!(duration_days("1 year"), Some(365));
        assert_eq!(duration_days("36 hours"), Some(2));
        assert_eq!(duration_days("3months"), Some(90));
    }

    #[test]
    fn nonsense_is_none() {
        for s in [
            "",
            "soon",
            "3",
            "3 fortnights",
            "-2 days",
            "weeks",
            "99999999999999999999 days",
        ] {
            assert_eq!(duration_days(s), None, "{s:?}");
        }
        assert_eq!(duration_days(&format!("{} years", i64::MAX)), None);
    }
}
