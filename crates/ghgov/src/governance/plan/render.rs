//! The plan as text: Terraform-like, one block per change, then the warnings, the
//! approvals it needs and the `Plan: …` summary line.

use super::model::{Action, Change, Drift, DriftOutcome, Plan, Target};
use serde_json::Value;

/// Warnings a rendered plan lists before it only counts the rest.
const SHOWN_WARNINGS: usize = 10;

/// A value as the plan shows it: strings quoted, long strings cut, lists inline.
fn show(v: &Value) -> String {
    match v {
        Value::Null => "(none)".into(),
        Value::String(s) => {
            let quoted = format!("{s:?}");
            if quoted.chars().count() > 62 {
                let cut: String = quoted.chars().take(58).collect();
                format!("{cut}\"…")
            } else {
                quoted
            }
        }
        other => other.to_string(),
    }
}

fn heading(c: &Change) -> String {
    let what = match &c.target {
        Target::Label { name } => format!("label {name:?}"),
        Target::Milestone { title } => format!("milestone {title:?}"),
        Target::Issue { key, kind } => match c.number {
            Some(n) => format!("{} {key} (#{n})", kind.as_str()),
            None => format!("{} {key}", kind.as_str()),
        },
        Target::SubIssue { parent, child } => format!("sub-issue {child} under {parent}"),
        Target::Dependency { blocked, blocking } => {
            format!("dependency: {blocked} blocked by {blocking}")
        }
    };
    let verb = match c.action {
        Action::Create => "will be created",
        Action::Update => "will be updated in place",
        Action::Delete => "will be deleted",
        Action::Close => "will be closed",
    };
    format!("{what} {verb}")
}

/// One drifted field: `!` when a person has to settle it, `~` when the plan writes the
/// specification's value, `=` when GitHub's stays.
fn drift_line(d: &Drift) -> String {
    let (sign, what) = match d.outcome {
        DriftOutcome::Manual => (
            "! drift",
            "not written; change the specification or GitHub so they agree",
        ),
        DriftOutcome::Written => ("~", "the specification's value is written"),
        DriftOutcome::Kept => ("=", "GitHub's value stays"),
    };
    if d.field == "body" {
        // Long texts: the first line where GitHub's and the specification's differ.
        let (remote, local) = (
            d.remote.as_str().unwrap_or(""),
            d.local.as_str().unwrap_or(""),
        );
        let (line, theirs, ours) = first_difference(remote, local);
        return format!(
            "  {sign} {} (#{}) body [{}]: {what}\n      GitHub, line {line}:        {}\n      specification, line {line}: {}\n",
            d.key,
            d.number,
            d.strategy.as_str(),
            show(&Value::String(theirs.into())),
            show(&Value::String(ours.into())),
        );
    }
    format!(
        "  {sign} {} (#{}) {} [{}]: {what}\n      GitHub:        {}\n      specification: {}\n      last applied:  {}\n",
        d.key,
        d.number,
        d.field,
        d.strategy.as_str(),
        show(&d.remote),
        show(&d.local),
        show(&d.base),
    )
}

/// The first line (counted from 1) where two texts differ, and that line of each (empty
/// past a text's end).
fn first_difference<'a>(a: &'a str, b: &'a str) -> (usize, &'a str, &'a str) {
    let (mut la, mut lb) = (a.lines(), b.lines());
    let mut n = 0;
    loop {
        n += 1;
        match (la.next(), lb.next()) {
            (Some(x), Some(y)) if x.trim_end() == y.trim_end() => continue,
            (None, None) => return (n, "", ""),
            (x, y) => return (n, x.unwrap_or(""), y.unwrap_or("")),
        }
    }
}

impl Plan {
    /// Terraform-like text, ending with the `Plan: …` line.
    pub fn render(&self) -> String {
        let mut out = String::new();
        if self.changes.is_empty() && !self.drift.is_empty() {
            out.push_str(&format!(
                "No changes to write on {} ({} objects up to date), but see the drift below.\n\n",
                self.repository, self.unchanged
            ));
        } else if self.changes.is_empty() {
            out.push_str(&format!(
                "No changes. {} matches the specification ({} objects up to date).\n\n",
                self.repository, self.unchanged
            ));
        } else {
            out.push_str(&format!(
                "ghgov will perform the following actions on {}:\n\n",
                self.repository
            ));
            for c in &self.changes {
                let sign = match c.action {
                    Action::Create => "+",
                    Action::Update => "~",
                    Action::Delete | Action::Close => "-",
                };
                out.push_str(&format!("  # {}\n", heading(c)));
                out.push_str(&format!(
                    "  {sign} {} {:?}",
                    c.target.kind(),
                    c.target.key()
                ));
                if c.fields.is_empty() {
                    out.push('\n');
                } else {
                    out.push_str(" {\n");
                    let width = c.fields.iter().map(|f| f.field.len()).max().unwrap_or(0);
                    for f in &c.fields {
                        match c.action {
                            Action::Create => out.push_str(&format!(
                                "      + {:width$} = {}\n",
                                f.field,
                                show(&f.after)
                            )),
                            // A body from before the markers whose text stays.
                            _ if f.field == "body" && f.before == f.after => out.push_str(
                                &format!(
                                    "      ~ {:width$} = (unchanged, now between the generated-part markers)\n",
                                    f.field
                                ),
                            ),
                            _ => out.push_str(&format!(
                                "      ~ {:width$} = {} -> {}\n",
                                f.field,
                                show(&f.before),
                                show(&f.after)
                            )),
                        }
                    }
                    out.push_str("    }\n");
                }
                out.push('\n');
            }
        }
        if !self.drift.is_empty() {
            out.push_str(&format!(
                "Drift: {} field(s) changed on GitHub since the last apply:\n",
                self.drift.len()
            ));
            for d in &self.drift {
                out.push_str(&drift_line(d));
            }
            out.push('\n');
        }
        if !self.warnings.is_empty() {
            out.push_str(&format!("Warnings ({}):\n", self.warnings.len()));
            for w in self.warnings.iter().take(SHOWN_WARNINGS) {
                out.push_str(&format!("  {}\n", w.render().replace('\n', "\n  ")));
            }
            if self.warnings.len() > SHOWN_WARNINGS {
                out.push_str(&format!(
                    "  … and {} more (`ghgov validate` lists every one; `plan --json` includes them)\n",
                    self.warnings.len() - SHOWN_WARNINGS
                ));
            }
            out.push('\n');
        }
        if !self.needs_approval.is_empty() {
            out.push_str(&format!(
                "This plan needs approval ({}) by a different principal before it is applied.\n\n",
                self.needs_approval.join(", ")
            ));
        }
        out.push_str(&self.summary_line());
        out.push('\n');
        out
    }

    pub fn summary_line(&self) -> String {
        format!(
            "Plan: {} to add, {} to change, {} to destroy.",
            self.to_add, self.to_change, self.to_destroy
        )
    }
}
