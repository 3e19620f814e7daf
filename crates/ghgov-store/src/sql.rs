//! Pieces of SQL text built in one place, the same for both backends.

/// `1,2,3`: ids for an `IN (…)` list. Ids are integers, so they are safe to inline, and
/// inlining keeps one statement for any number of them.
pub fn id_list<I>(ids: I) -> String
where
    I: IntoIterator,
    I::Item: std::borrow::Borrow<i64>,
{
    ids.into_iter()
        .map(|i| std::borrow::Borrow::<i64>::borrow(&i).to_string())
        .collect::<Vec<_>>()
        .join(",")
}

/// `($1, $2), ($3, $4), …` for `rows` rows of `width` values.
pub fn placeholders(rows: usize, width: usize) -> String {
    (0..rows)
        .map(|r| {
            format!(
                "({})",
                (1..=width)
                    .map(|c| format!("${}", r * width + c))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// `(?, ?), (?, ?), …`: anonymous parameters, for SQLite's large multi-row statements.
/// SQLite looks numbered parameters (`$1`) up by name, at a cost that grows with the square
/// of their number (measured: a 2,600-value INSERT per page took 40% of a bulk sync);
/// anonymous ones cost nothing to look up. PostgreSQL takes only `$n` ([`placeholders`]).
pub fn anonymous_placeholders(rows: usize, width: usize) -> String {
    let row = format!("({})", vec!["?"; width].join(", "));
    vec![row; rows].join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_and_placeholders() {
        assert_eq!(id_list([3, 1, 2]), "3,1,2");
        assert_eq!(id_list(Vec::<i64>::new()), "");
        assert_eq!(id_list([4, 5].iter()), "4,5");
        assert_eq!(placeholders(2, 3), "($1, $2, $3), ($4, $5, $6)");
        assert_eq!(anonymous_placeholders(2, 2), "(?, ?), (?, ?)");
    }
}
