//! Docker Hub's pull rate limit, as the registry reports it on a manifest `HEAD` (which
//! does not count as a pull): `ratelimit-limit: 100;w=21600` and
//! `ratelimit-remaining: 76;w=21600`. Accounts without a limit get no such headers.

use std::time::Duration;

use reqwest::header::HeaderMap;
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;

use super::HubError;
use crate::Reference;
use crate::registry::{RegistryClient, RegistryError};

/// The pull limit of whoever is asking (an IP address, or the signed-in account).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PullRateLimit {
    /// Pulls allowed per window.
    pub limit: u64,
    /// Pulls left in this window (0 once the registry answers 429).
    pub remaining: Option<u64>,
    /// The window, in seconds (21600 = 6 hours).
    pub window_seconds: Option<u64>,
    /// Who is counted (`docker-ratelimit-source`: an IP address or an account id).
    pub source: Option<String>,
}

/// `100;w=21600` → (100, 6 h). A bare `100` has no window.
pub fn parse_ratelimit(value: &str) -> Option<(u64, Option<Duration>)> {
    let mut parts = value.split(';');
    let count = parts.next()?.trim().parse().ok()?;
    let window = parts.find_map(|p| {
        let (k, v) = p.split_once('=')?;
        (k.trim() == "w")
            .then(|| v.trim().parse().ok().map(Duration::from_secs))
            .flatten()
    });
    Some((count, window))
}

/// The limit the headers of a manifest response report, if any.
pub fn from_headers(headers: &HeaderMap) -> Option<PullRateLimit> {
    let value = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let (limit, window) = parse_ratelimit(value("ratelimit-limit")?)?;
    let remaining = value("ratelimit-remaining").and_then(parse_ratelimit);
    Some(PullRateLimit {
        limit,
        remaining: remaining.map(|(n, _)| n),
        window_seconds: window
            .or(remaining.and_then(|(_, w)| w))
            .map(|w| w.as_secs()),
        source: value("docker-ratelimit-source").map(str::to_owned),
    })
}

/// `HEAD` the manifest of `reference` on its registry (the origin, not a mirror: the limit
/// is the origin's) and read the pull limit it reports; `None` when it reports none.
/// Over the limit (429) the answer is the limit with nothing remaining.
pub async fn pull_rate_limit(
    client: &RegistryClient,
    reference: &Reference,
    cancel: &CancellationToken,
) -> Result<Option<PullRateLimit>, HubError> {
    let endpoint = client
        .endpoints(reference)?
        .into_iter()
        .rfind(|e| !e.mirror)
        .ok_or_else(|| RegistryError::NotFound {
            registry: reference.registry().to_owned(),
            what: reference.to_string(),
        })?;
    let tag_or_digest = match (reference.digest(), reference.tag()) {
        (Some(d), _) => d.to_string(),
        (None, Some(t)) => t.to_owned(),
        (None, None) => "latest".to_owned(),
    };
    match client
        .head_manifest(&endpoint, reference.repository(), &tag_or_digest, cancel)
        .await
    {
        Ok(headers) => Ok(from_headers(&headers)),
        Err(RegistryError::RateLimited { limit, .. }) => {
            let parsed = limit.as_deref().and_then(parse_ratelimit);
            Ok(parsed.map(|(limit, window)| PullRateLimit {
                limit,
                remaining: Some(0),
                window_seconds: window.map(|w| w.as_secs()),
                source: None,
            }))
        }
        Err(RegistryError::Cancelled) => Err(HubError::Cancelled),
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use reqwest::header::HeaderValue;

    use super::*;

    #[test]
    fn parses_docker_hub_headers() {
        assert_eq!(
            parse_ratelimit("100;w=21600"),
            Some((100, Some(Duration::from_secs(21600))))
        );
        assert_eq!(
            parse_ratelimit(" 76 ; w=21600 "),
            Some((76, Some(Duration::from_secs(21600))))
        );
        assert_eq!(parse_ratelimit("100"), Some((100, None)));
        assert_eq!(parse_ratelimit("lots;w=1"), None);
        let mut h = HeaderMap::new();
        assert_eq!(from_headers(&h), None);
        h.insert("ratelimit-limit", HeaderValue::from_static("100;w=21600"));
        h.insert(
            "ratelimit-remaining",
            HeaderValue::from_static("76;w=21600"),
        );
        h.insert(
            "docker-ratelimit-source",
            HeaderValue::from_static("192.0.2.1"),
        );
        assert_eq!(
            from_headers(&h),
            Some(PullRateLimit {
                limit: 100,
                remaining: Some(76),
                window_seconds: Some(21600),
                source: Some("192.0.2.1".into()),
            })
        );
    }
}
