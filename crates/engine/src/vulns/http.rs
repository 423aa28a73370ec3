//! HTTP shared by the OSV API client and the export downloads: the client (rustls with
//! ring, as the registry client sets it up), base URLs, status codes turned into
//! [`VulnError`]s, bounded bodies and retries.

use std::time::{Duration, SystemTime};

use futures_util::StreamExt;
use reqwest::header::{self, HeaderMap};
use reqwest::{RequestBuilder, Response, StatusCode};
use tokio_util::sync::CancellationToken;
use url::Url;

use super::VulnError;

/// Retries of a request that failed with a 429, a 5xx or a broken connection.
pub const DEFAULT_RETRIES: u32 = 2;
/// The wait before the first retry (doubled each time; a `Retry-After` replaces it).
pub const DEFAULT_RETRY_DELAY: Duration = Duration::from_millis(500);
/// The longest `Retry-After` honoured by waiting; a longer one is reported instead.
const MAX_RETRY_WAIT: Duration = Duration::from_secs(30);

/// How a request is retried.
#[derive(Clone, Copy, Debug)]
pub struct Retry {
    pub retries: u32,
    pub delay: Duration,
}

impl Default for Retry {
    fn default() -> Self {
        Retry {
            retries: DEFAULT_RETRIES,
            delay: DEFAULT_RETRY_DELAY,
        }
    }
}

/// The HTTP client for one base URL: redirects only within its origin.
pub(crate) fn client(base: &Url, setting: &'static str) -> Result<reqwest::Client, VulnError> {
    crate::web::same_origin_client(base, Duration::from_secs(15), Duration::from_secs(60)).map_err(
        |e| VulnError::BadUrl {
            url: base.to_string(),
            reason: format!("cannot set up an HTTP client: {e}"),
            setting,
            example: "https://api.osv.dev",
        },
    )
}

/// A base URL ending in `/`, so that paths join below any prefix it has: http(s), a host,
/// no query or fragment.
pub(crate) fn parse_base_url(
    raw: &str,
    setting: &'static str,
    example: &'static str,
) -> Result<Url, VulnError> {
    let raw = raw.trim();
    let bad = |reason: &str| VulnError::BadUrl {
        url: raw.to_owned(),
        reason: reason.to_owned(),
        setting,
        example,
    };
    let mut url = Url::parse(raw).map_err(|e| bad(&e.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(bad("only http and https are supported"));
    }
    if url.host_str().is_none() {
        return Err(bad("it has no host"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(bad("it must not have a query or fragment"));
    }
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    Ok(url)
}

/// Sends the request `make` builds, retrying 429s, 5xxs and broken connections per `retry`,
/// and returns the first 2xx response. Anything else is a [`VulnError`] naming `url`.
pub(crate) async fn send(
    make: impl Fn() -> RequestBuilder,
    url: &Url,
    setting: &'static str,
    retry: Retry,
    cancel: &CancellationToken,
) -> Result<Response, VulnError> {
    let mut attempt = 0;
    loop {
        let result = tokio::select! {
            () = cancel.cancelled() => return Err(VulnError::Cancelled),
            r = make().send() => r,
        };
        let error = match result {
            Ok(resp) if resp.status().is_success() => return Ok(resp),
            Ok(resp) => status_error(resp, url).await,
            Err(source) => VulnError::Network {
                url: url.to_string(),
                setting,
                source,
            },
        };
        let retryable = match &error {
            VulnError::RateLimited { retry_after, .. } => {
                retry_after.is_none_or(|d| d <= MAX_RETRY_WAIT)
            }
            VulnError::Unavailable { .. } | VulnError::Network { .. } => true,
            _ => false,
        };
        if !retryable || attempt >= retry.retries {
            return Err(error);
        }
        let wait = match &error {
            VulnError::RateLimited {
                retry_after: Some(d),
                ..
            } => *d,
            _ => retry.delay * 2u32.saturating_pow(attempt),
        };
        attempt += 1;
        tracing::debug!(%url, attempt, ?wait, "retrying after: {error}");
        tokio::select! {
            () = cancel.cancelled() => return Err(VulnError::Cancelled),
            () = tokio::time::sleep(wait) => {}
        }
    }
}

/// The error for a non-2xx response.
async fn status_error(resp: Response, url: &Url) -> VulnError {
    let status = resp.status();
    let url = url.to_string();
    if status == StatusCode::TOO_MANY_REQUESTS {
        return VulnError::RateLimited {
            url,
            retry_after: retry_after(resp.headers(), SystemTime::now()),
        };
    }
    if status.is_server_error() {
        return VulnError::Unavailable {
            url,
            status: status.as_u16(),
        };
    }
    // The API explains a refused query in its body (`{"code":3,"message":"…"}`).
    let body = resp.bytes().await.unwrap_or_default();
    let detail = serde_json::from_slice::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| v.get("message")?.as_str().map(str::to_owned))
        .unwrap_or_default();
    VulnError::Status {
        url,
        status: status.as_u16(),
        detail: detail.chars().take(300).collect(),
    }
}

/// `Retry-After` in seconds or as an HTTP date, relative to `now`.
fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let value = headers.get(header::RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(when.duration_since(now).unwrap_or_default())
}

/// The whole body, refusing more than `limit` bytes.
pub(crate) async fn read_body(
    resp: Response,
    url: &Url,
    setting: &'static str,
    limit: u64,
    cancel: &CancellationToken,
) -> Result<Vec<u8>, VulnError> {
    if resp.content_length().is_some_and(|n| n > limit) {
        return Err(VulnError::TooLarge {
            url: url.to_string(),
            limit,
        });
    }
    let mut out = Vec::new();
    let mut stream = resp.bytes_stream();
    loop {
        let chunk = tokio::select! {
            () = cancel.cancelled() => return Err(VulnError::Cancelled),
            c = stream.next() => c,
        };
        let Some(chunk) = chunk else { break };
        let chunk = chunk.map_err(|source| VulnError::Network {
            url: url.to_string(),
            setting,
            source,
        })?;
        if out.len() as u64 + chunk.len() as u64 > limit {
            return Err(VulnError::TooLarge {
                url: url.to_string(),
                limit,
            });
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls_get_a_trailing_slash_and_are_checked() {
        let u = parse_base_url("http://127.0.0.1:8080/osv", "s", "e").unwrap();
        assert_eq!(u.as_str(), "http://127.0.0.1:8080/osv/");
        assert!(parse_base_url("ftp://x", "s", "e").is_err());
        assert!(parse_base_url("http://x/?q=1", "s", "e").is_err());
    }

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let mut h = HeaderMap::new();
        h.insert(header::RETRY_AFTER, "7".parse().unwrap());
        assert_eq!(retry_after(&h, now), Some(Duration::from_secs(7)));
        let later = httpdate::fmt_http_date(now + Duration::from_secs(60));
        h.insert(header::RETRY_AFTER, later.parse().unwrap());
        assert_eq!(retry_after(&h, now), Some(Duration::from_secs(60)));
    }
}
