//! The plan as text: Terraform-like, one block per change, then the warnings, the
//! approvals it needs and the `Plan: …` summary line.

use super::model::{Action, Change, Plan, Target};
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

impl Plan {
    /// Terraform-like text, ending with the `Plan: …` line.
    pub fn render(&self) -> String {
        let mut out = String::new();
        if self.changes.is_empty() {
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
