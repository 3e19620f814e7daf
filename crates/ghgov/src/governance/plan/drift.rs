//! Three-way settling of one governed field: the value the last apply wrote (base), the
//! specification's (local) and GitHub's (remote). A change on one side only is taken; a
//! field GitHub changed since the last apply that still differs from the specification is
//! drift, settled by the field's strategy from the configuration.

use super::model::DriftOutcome;
use crate::governance::config::ConflictStrategy;

/// What a plan does with one field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Settled {
    /// Both sides agree: nothing to do.
    Same,
    /// The specification's value is written (no drift: GitHub still holds what ghgov
    /// wrote, or nothing was recorded).
    Write,
    /// GitHub changed the field since the last apply.
    Drift(DriftOutcome),
}

/// Settles one field. `same` compares values as the field does (case, line endings);
/// `base` is None when no apply recorded the field.
pub(super) fn settle<T: ?Sized>(
    base: Option<&T>,
    local: &T,
    remote: &T,
    strategy: ConflictStrategy,
    same: impl Fn(&T, &T) -> bool,
) -> Settled {
    if same(local, remote) {
        return Settled::Same;
    }
    let Some(base) = base else {
        return Settled::Write;
    };
    if same(base, remote) {
        return Settled::Write;
    }
    // GitHub moved away from what ghgov wrote.
    let local_changed = !same(base, local);
    Settled::Drift(match strategy {
        ConflictStrategy::RemoteWins => DriftOutcome::Kept,
        ConflictStrategy::LocalWins => DriftOutcome::Written,
        // The plan is made now: a specification that changed the field since the last
        // apply changed it after the person did; one that did not leaves the person last.
        ConflictStrategy::LastWriterWins if local_changed => DriftOutcome::Written,
        ConflictStrategy::LastWriterWins => DriftOutcome::Kept,
        ConflictStrategy::Manual => DriftOutcome::Manual,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ConflictStrategy::*;

    fn eq(a: &str, b: &str) -> bool {
        a == b
    }

    #[test]
    fn one_sided_changes_need_no_strategy() {
        for s in [RemoteWins, LocalWins, LastWriterWins, Manual] {
            assert_eq!(settle(Some("a"), "a", "a", s, eq), Settled::Same);
            // Only the specification changed: written.
            assert_eq!(settle(Some("a"), "b", "a", s, eq), Settled::Write);
            // Both moved to the same value.
            assert_eq!(settle(Some("a"), "b", "b", s, eq), Settled::Same);
            // Nothing recorded: the specification's value, as before ghgov kept records.
            assert_eq!(settle(None, "b", "c", s, eq), Settled::Write);
        }
    }

    #[test]
    fn a_field_changed_on_github_follows_its_strategy() {
        // Only GitHub changed (the specification still says what was applied).
        let only_remote = |s| settle(Some("a"), "a", "person", s, eq);
        assert_eq!(only_remote(RemoteWins), Settled::Drift(DriftOutcome::Kept));
        assert_eq!(
            only_remote(LocalWins),
            Settled::Drift(DriftOutcome::Written)
        );
        assert_eq!(
            only_remote(LastWriterWins),
            Settled::Drift(DriftOutcome::Kept)
        );
        assert_eq!(only_remote(Manual), Settled::Drift(DriftOutcome::Manual));
        // Both changed, differently.
        let both = |s| settle(Some("a"), "spec", "person", s, eq);
        assert_eq!(both(RemoteWins), Settled::Drift(DriftOutcome::Kept));
        assert_eq!(both(LocalWins), Settled::Drift(DriftOutcome::Written));
        assert_eq!(both(LastWriterWins), Settled::Drift(DriftOutcome::Written));
        assert_eq!(both(Manual), Settled::Drift(DriftOutcome::Manual));
    }
}
