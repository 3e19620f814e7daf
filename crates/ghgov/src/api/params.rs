//! Values of query parameters, read strictly: a number outside its range or a time that is
//! not RFC 3339 is refused with the form expected, never wrapped, clamped or passed on.

use super::{bad_request, ApiError};
use serde::de::{self, Deserializer, Visitor};
use std::fmt;

/// The highest `page`: far past any real mirror at 100 a page, and `page × per_page` stays
/// far inside the 64-bit offsets both databases take.
pub const MAX_PAGE: i64 = 1_000_000;

/// A whole number from `MIN` to `MAX`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Whole<const MIN: i64, const MAX: i64>(pub i64);

pub type Page = Whole<1, MAX_PAGE>;
pub type PerPage = Whole<1, 100>;
/// Ids and version numbers: positive, and nothing else is known of their range.
pub type Positive = Whole<1, { i64::MAX }>;

/// What an offending value looked like, cut short so an error stays readable.
fn shown(text: &str) -> String {
    const SHOWN: usize = 40;
    if text.chars().count() <= SHOWN {
        text.to_string()
    } else {
        format!("{}…", text.chars().take(SHOWN).collect::<String>())
    }
}

impl<const MIN: i64, const MAX: i64> Whole<MIN, MAX> {
    pub fn expected() -> String {
        if MAX == i64::MAX {
            format!("a whole number of at least {MIN}")
        } else {
            format!("a whole number from {MIN} to {MAX}")
        }
    }

    pub fn parse(text: &str) -> Result<Self, String> {
        text.parse::<i64>()
            .ok()
            .filter(|n| (MIN..=MAX).contains(n))
            .map(Whole)
            .ok_or_else(|| format!("expected {}, got '{}'", Self::expected(), shown(text)))
    }
}

impl<'de, const MIN: i64, const MAX: i64> de::Deserialize<'de> for Whole<MIN, MAX> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<const MIN: i64, const MAX: i64>;
        impl<const MIN: i64, const MAX: i64> Visitor<'_> for V<MIN, MAX> {
            type Value = Whole<MIN, MAX>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(&Whole::<MIN, MAX>::expected())
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Whole::parse(v).map_err(E::custom)
            }
        }
        d.deserialize_str(V::<MIN, MAX>)
    }
}

/// A time in RFC 3339 (`2024-05-01T00:00:00Z`, or with an offset), kept in the mirror's
/// own form: UTC to the second, ending in `Z`, which sorts as text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timestamp(pub String);

impl Timestamp {
    pub const EXPECTED: &'static str = "an RFC 3339 time such as 2024-05-01T00:00:00Z";

    pub fn parse(text: &str) -> Result<Self, String> {
        chrono::DateTime::parse_from_rfc3339(text)
            .map(|t| Timestamp(crate::store::timestamp(t.with_timezone(&chrono::Utc))))
            .map_err(|_| format!("expected {}, got '{}'", Self::EXPECTED, shown(text)))
    }
}

/// The 400 for a query parameter, in the same words the extractors use.
pub fn invalid(name: &str, problem: impl fmt::Display) -> ApiError {
    bad_request(format!("invalid query parameter `{name}`: {problem}"))
}

/// Page parameters: `page` from 1 to [`MAX_PAGE`], `per_page` from 1 to 100.
#[derive(Debug, Clone, Copy)]
pub struct Paging {
    pub page: i64,
    pub per_page: i64,
}

impl Paging {
    /// `per_page` defaults to 30 (as on GitHub).
    pub fn from(page: Option<Page>, per_page: Option<PerPage>) -> Paging {
        Self::with_default(page, per_page, 30)
    }

    pub fn with_default(page: Option<Page>, per_page: Option<PerPage>, default: i64) -> Paging {
        Paging {
            page: page.map_or(1, |p| p.0),
            per_page: per_page.map_or(default, |p| p.0),
        }
    }

    pub fn offset(&self) -> i64 {
        (self.page - 1) * self.per_page
    }

    pub fn pagination(&self, total: i64) -> Pagination {
        Pagination {
            page: self.page,
            pages: (total + self.per_page - 1) / self.per_page,
            per_page: self.per_page,
            total,
        }
    }
}

/// Where a page is in its list.
#[derive(Debug, Clone, Copy, serde::Serialize, utoipa::ToSchema)]
pub struct Pagination {
    pub page: i64,
    /// Pages in all at this `per_page`.
    pub pages: i64,
    pub per_page: i64,
    /// Items in all.
    pub total: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_numbers_are_range_checked_not_wrapped() {
        assert_eq!(Page::parse("1"), Ok(Whole(1)));
        assert_eq!(Page::parse("1000000"), Ok(Whole(MAX_PAGE)));
        for bad in [
            "0",
            "-1",
            "1000001",
            "9223372036854775807",
            "99999999999999999999",
            "1.5",
            "",
            " 2",
            "abc",
        ] {
            let e = Page::parse(bad).unwrap_err();
            assert!(e.contains("from 1 to 1000000"), "{bad}: {e}");
        }
        assert_eq!(
            Positive::parse("0").unwrap_err(),
            "expected a whole number of at least 1, got '0'"
        );
        let long = "9".repeat(500);
        assert!(
            Page::parse(&long).unwrap_err().len() < 120,
            "the value is cut short"
        );
    }

    #[test]
    fn times_are_rfc_3339_only() {
        assert_eq!(
            Timestamp::parse("2024-05-01T02:00:00+02:00").unwrap().0,
            "2024-05-01T00:00:00Z"
        );
        for bad in [
            "2024-13-45T00:00:00Z",
            "2024-02-30T00:00:00Z",
            "2024-05-01",
            "soon",
            "1714521600",
            "2024-05-01T25:00:00Z",
        ] {
            assert!(Timestamp::parse(bad).is_err(), "{bad}");
        }
    }
}
