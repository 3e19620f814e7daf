//! An issue's stored status history read for people: its times.

use super::{times, Status, StatusChangeRow, StatusTimes};

/// The times of an issue from its whole stored history (oldest first), as of `now`.
/// Entries whose status the store no longer knows are skipped.
pub fn times_of(
    history: &[StatusChangeRow],
    created_at: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> StatusTimes {
    let entries: Vec<(Status, &str)> = history
        .iter()
        .filter_map(|r| Status::parse(&r.to_status).map(|s| (s, r.at.as_str())))
        .collect();
    times(&entries, created_at, now)
}
