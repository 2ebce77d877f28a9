//! The `[database]` section. Its URL may carry a password: Debug shows the URL without it.

use serde::Deserialize;

#[derive(Clone, Deserialize)]
pub struct DatabaseSettings {
    pub url: String,
    /// How long a statement waits for a lock before the request fails with 503 service_unavailable.
    pub busy_timeout_ms: u64,
}

/// A PostgreSQL URL may carry a password: Debug output shows the URL without it.
impl std::fmt::Debug for DatabaseSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DatabaseSettings")
            .field("url", &without_password(&self.url))
            .field("busy_timeout_ms", &self.busy_timeout_ms)
            .finish()
    }
}

pub(super) fn without_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_owned() };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let Some((userinfo, host)) = rest[..authority_end].rsplit_once('@') else { return url.to_owned() };
    match userinfo.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}{}", &rest[authority_end..]),
        None => url.to_owned(),
    }
}
