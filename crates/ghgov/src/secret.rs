//! Secrets (tokens, webhook keys) in a type that never prints them: `Debug` and `Display`
//! show `[redacted]`, so a logged configuration or error cannot leak one.

use std::fmt;

#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// A secret that is not empty or only whitespace: an empty HMAC key or token is a
    /// configuration mistake that would let anyone in.
    pub fn new(value: impl Into<String>, what: &str) -> anyhow::Result<Secret> {
        let value = value.into();
        if value.trim().is_empty() {
            anyhow::bail!("{what} is empty: give a non-empty value (an empty secret would accept anything signed with an empty key)");
        }
        Ok(Secret(value))
    }

    /// The value itself, for the one place that needs it (signing, the Authorization
    /// header).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// Reads a secret from a file (`--webhook-secret-file`, `--github-token-file`), so it need
/// not sit in the process's command line or environment. One trailing newline is dropped.
pub fn from_file(path: &std::path::Path, what: &str) -> anyhow::Result<Secret> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| anyhow::anyhow!("cannot read {what} from {}: {e}", path.display()))?;
    let value = text
        .strip_suffix("\r\n")
        .or_else(|| text.strip_suffix('\n'))
        .unwrap_or(&text);
    Secret::new(value, &format!("{what} in {}", path.display()))
}

/// Several secrets from a file, one per line (a rotation); a final newline is fine, an
/// empty line in between is refused with its number.
pub fn lines_from_file(path: &std::path::Path, what: &str) -> anyhow::Result<Vec<Secret>> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| anyhow::anyhow!("cannot read {what} from {}: {e}", path.display()))?;
    let body = text.strip_suffix('\n').unwrap_or(&text);
    let secrets = body
        .split('\n')
        .enumerate()
        .map(|(k, line)| {
            Secret::new(
                line.strip_suffix('\r').unwrap_or(line),
                &format!("line {} of {}", k + 1, path.display()),
            )
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok(secrets)
}

impl From<&str> for Secret {
    /// For values that come from code rather than from a person (tests, the demo's random
    /// secret); people's input goes through [`Secret::new`].
    fn from(value: &str) -> Secret {
        Secret(value.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_print() {
        let s = Secret::new("hunter2", "the secret").unwrap();
        assert!(!format!("{s:?} {s}").contains("hunter2"));
        assert_eq!(s.expose(), "hunter2");
    }

    #[test]
    fn empty_and_blank_secrets_are_refused() {
        for blank in ["", " ", "\t\n"] {
            let err = Secret::new(blank, "--webhook-secret")
                .unwrap_err()
                .to_string();
            assert!(err.contains("--webhook-secret is empty"), "{err}");
        }
    }

    #[test]
    fn files_lose_one_trailing_newline_and_must_hold_something() {
        let dir =
            std::env::temp_dir().join(format!("ghgov-secret-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("s");
        std::fs::write(&f, "abc\n").unwrap();
        assert_eq!(from_file(&f, "the webhook secret").unwrap().expose(), "abc");
        std::fs::write(&f, "\n").unwrap();
        assert!(from_file(&f, "the webhook secret").is_err());
        let err = from_file(&dir.join("missing"), "the webhook secret")
            .unwrap_err()
            .to_string();
        assert!(err.contains("cannot read the webhook secret from"), "{err}");
        std::fs::write(&f, "one\r\ntwo\n").unwrap();
        let both = lines_from_file(&f, "webhook secrets").unwrap();
        assert_eq!(
            both.iter().map(Secret::expose).collect::<Vec<_>>(),
            ["one", "two"]
        );
        std::fs::write(&f, "one\n\ntwo\n").unwrap();
        let err = lines_from_file(&f, "webhook secrets")
            .unwrap_err()
            .to_string();
        assert!(err.contains("line 2 of"), "{err}");
        std::fs::remove_dir_all(dir).unwrap();
    }
}
