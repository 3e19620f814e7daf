//! Where the GitHub token may go: the configured API's scheme, host and port, and, for
//! GitHub Enterprise (`https://HOST/api/v3`), only under its path.

use super::GitHubError;
use reqwest::Url;

#[derive(Debug, Clone)]
pub(super) struct ApiOrigin {
    base: Url,
    /// The base's path without its trailing slash: empty for `https://api.github.com`.
    prefix: String,
}

/// `host` or `host:port`, as a user would recognise it in an error.
fn authority(url: &Url) -> String {
    let host = url.host_str().unwrap_or("(no host)");
    match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_string(),
    }
}

impl ApiOrigin {
    pub(super) fn parse(base_url: &str) -> anyhow::Result<ApiOrigin> {
        let base = Url::parse(base_url).map_err(|e| {
            anyhow::anyhow!("the GitHub API URL '{base_url}' is not a URL ({e}): use https://api.github.com or https://HOST/api/v3")
        })?;
        if !matches!(base.scheme(), "http" | "https") || base.host_str().is_none() {
            anyhow::bail!("the GitHub API URL '{base_url}' must be an http or https URL with a host, such as https://api.github.com or https://HOST/api/v3");
        }
        let prefix = base.path().trim_end_matches('/').to_string();
        Ok(ApiOrigin { base, prefix })
    }

    /// Refuses a URL on another scheme, host or port, one with user info, or one outside
    /// the API's path, naming the host the token would have gone to.
    pub(super) fn admit(&self, url: &str) -> Result<(), GitHubError> {
        let refuse = |host: String| GitHubError::OffOrigin {
            host,
            url: url.to_string(),
            api: self.base.as_str().trim_end_matches('/').to_string(),
        };
        // The parser resolves `..` and `%2e%2e` segments, so the path compared is the one
        // the request would really ask for.
        let target = Url::parse(url).map_err(|_| refuse("an unreadable URL".to_string()))?;
        let same_origin = target.scheme() == self.base.scheme()
            && target.host_str() == self.base.host_str()
            && target.port_or_known_default() == self.base.port_or_known_default();
        if !same_origin || !target.username().is_empty() || target.password().is_some() {
            return Err(refuse(authority(&target)));
        }
        let path = target.path();
        // Encoded slashes could be decoded into a path outside the prefix by the server.
        let encoded_separator = ["%2f", "%5c"]
            .iter()
            .any(|e| path.to_ascii_lowercase().contains(e));
        let under_prefix = path == self.prefix
            || path
                .strip_prefix(self.prefix.as_str())
                .is_some_and(|rest| rest.starts_with('/'));
        if !under_prefix || encoded_separator {
            return Err(refuse(format!("{} (path {path})", authority(&target))));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host_refused(api: &str, url: &str) -> String {
        match ApiOrigin::parse(api).unwrap().admit(url) {
            Err(GitHubError::OffOrigin { host, .. }) => host,
            other => panic!("{url} against {api}: expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn the_api_origin_is_admitted() {
        let dotcom = ApiOrigin::parse("https://api.github.com").unwrap();
        for url in [
            "https://api.github.com/repos/a/b/issues?page=2",
            "https://API.GitHub.com/repos/a/b",
            "https://api.github.com:443/repos/a/b",
        ] {
            dotcom.admit(url).unwrap_or_else(|e| panic!("{url}: {e}"));
        }
        let ghe = ApiOrigin::parse("https://ghe.example/api/v3/").unwrap();
        for url in [
            "https://ghe.example/api/v3/repos/a/b/issues?page=2",
            "https://ghe.example/api/v3",
        ] {
            ghe.admit(url).unwrap_or_else(|e| panic!("{url}: {e}"));
        }
        let local = ApiOrigin::parse("http://127.0.0.1:8080").unwrap();
        local.admit("http://127.0.0.1:8080/repos/a/b").unwrap();
    }

    #[test]
    fn other_schemes_hosts_ports_and_user_info_are_refused() {
        let api = "https://api.github.com";
        assert_eq!(
            host_refused(api, "http://api.github.com/repos/a/b"),
            "api.github.com"
        );
        assert_eq!(
            host_refused(api, "https://api.github.com:8443/x"),
            "api.github.com:8443"
        );
        assert_eq!(host_refused(api, "https://evil.example/x"), "evil.example");
        assert_eq!(
            host_refused(api, "https://api.github.com.evil.example/x"),
            "api.github.com.evil.example"
        );
        assert_eq!(
            host_refused(api, "https://api.github.com@evil.example/"),
            "evil.example"
        );
        assert_eq!(
            host_refused(api, "https://user:pw@api.github.com/x"),
            "api.github.com"
        );
        assert_eq!(
            host_refused("http://127.0.0.1:8080", "http://127.0.0.1:8081/x"),
            "127.0.0.1:8081"
        );
        assert_eq!(
            host_refused("http://127.0.0.1:8080", "http://localhost:8080/x"),
            "localhost:8080"
        );
        assert_eq!(host_refused(api, "not a url"), "an unreadable URL");
    }

    #[test]
    fn paths_outside_the_enterprise_api_are_refused() {
        let api = "https://ghe.example/api/v3";
        for url in [
            "https://ghe.example/",
            "https://ghe.example/api/v3../x",
            "https://ghe.example/api/v30/x",
            "https://ghe.example/api/v3/../../admin",
            "https://ghe.example/api/v3/%2e%2e/%2E%2E/admin",
            "https://ghe.example/api/v3/..%2f..%2fadmin",
            "https://ghe.example/api/v3/..%5C..%5Cadmin",
            "https://ghe.example/api/v3/\\..\\..\\admin",
            "https://ghe.example/API/v3/x",
        ] {
            let host = host_refused(api, url);
            assert!(host.starts_with("ghe.example (path "), "{url}: {host}");
        }
    }

    #[test]
    fn a_base_that_is_not_an_http_url_is_refused() {
        for base in ["api.github.com", "file:///etc", "ftp://x/api"] {
            assert!(ApiOrigin::parse(base).is_err(), "{base}");
        }
    }
}
