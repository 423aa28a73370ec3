//! [`HubClient`]: HTTP to Docker Hub's web API, with its base URL configurable so that
//! tests run against a local replay server.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use reqwest::StatusCode;
use reqwest::header::{self, HeaderMap};
use tokio_util::sync::CancellationToken;
use url::Url;

use super::HubError;
use super::cache::SearchCache;
use super::model::{
    Badge, HubRepoName, MAX_PAGE_SIZE, RepositoryDetails, SearchPage, SearchQuery, Tag, TagPage,
    TagQuery,
};
use super::parse;
use crate::config::Config;

/// Docker Hub's web API.
pub const DEFAULT_HUB_URL: &str = "https://hub.docker.com";
/// Environment variable that replaces the Hub API's base URL (over the config's `hubUrl`).
pub const HUB_URL_ENV: &str = "PORTHOLE_HUB_URL";

/// The most a response body may hold (a page of 100 results is ~200 kB).
const MAX_BODY: u64 = 8 * 1024 * 1024;
/// The most pages [`HubClient::all_tags`] follows.
const MAX_TAG_PAGES: usize = 100;

/// The Hub API base URL: `$PORTHOLE_HUB_URL`, else the config's `hubUrl`, else
/// [`DEFAULT_HUB_URL`]. Checked: http(s), a host, no query.
pub fn hub_url(config: &Config) -> Result<Url, HubError> {
    let from_env = std::env::var(HUB_URL_ENV)
        .ok()
        .filter(|s| !s.trim().is_empty());
    let raw = from_env
        .or_else(|| config.hub_url.clone().filter(|s| !s.trim().is_empty()))
        .unwrap_or_else(|| DEFAULT_HUB_URL.to_owned());
    parse_base_url(raw.trim())
}

/// A base URL ending in `/`, so that API paths join below any path prefix it has.
pub fn parse_base_url(raw: &str) -> Result<Url, HubError> {
    let bad = |reason: &str| HubError::BadBaseUrl {
        url: raw.to_owned(),
        reason: reason.to_owned(),
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

/// A client of Docker Hub's web API. Cheap to clone; clones share the search cache.
#[derive(Clone)]
pub struct HubClient {
    inner: Arc<Inner>,
}

struct Inner {
    base: Url,
    http: reqwest::Client,
    cache: SearchCache,
}

impl HubClient {
    /// A client of the API at `base` (see [`parse_base_url`]).
    pub fn new(base: Url) -> Result<HubClient, HubError> {
        let base = parse_base_url(base.as_str())?;
        let http =
            crate::web::same_origin_client(&base, Duration::from_secs(10), Duration::from_secs(30))
                .map_err(|e| HubError::BadBaseUrl {
                    url: base.to_string(),
                    reason: format!("cannot set up an HTTP client: {e}"),
                })?;
        Ok(HubClient {
            inner: Arc::new(Inner {
                base,
                http,
                cache: SearchCache::default(),
            }),
        })
    }

    /// A client of the API that [`hub_url`] names.
    pub fn from_config(config: &Config) -> Result<HubClient, HubError> {
        HubClient::new(hub_url(config)?)
    }

    pub fn base_url(&self) -> &Url {
        &self.inner.base
    }

    /// Forget every cached search (after a settings change, say).
    pub fn clear_cache(&self) {
        self.inner.cache.clear();
    }

    fn url(&self, path: &str, query: &[(&str, &str)]) -> Url {
        let mut url = self
            .inner
            .base
            .join(path.trim_start_matches('/'))
            .expect("API paths are relative URLs");
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        url
    }

    /// Search repositories: the v3 catalog search, or the older v2 search when v3 is
    /// missing (404), failing (5xx) or answers something unreadable. The same query within
    /// a minute of `now` answers from memory. Results without one of `query.badges` are
    /// left out (v2 knows only the official badge).
    pub async fn search(
        &self,
        query: &SearchQuery,
        now: Instant,
        cancel: &CancellationToken,
    ) -> Result<SearchPage, HubError> {
        let query = query.normalized();
        if let Some(page) = self.inner.cache.get(&query, now) {
            return Ok(page);
        }
        let mut page = match self.search_v3(&query, cancel).await {
            Ok(page) => page,
            Err(e) if e.allows_fallback() => {
                tracing::debug!(error = %e, "Docker Hub search v3 failed; trying v2");
                self.search_v2(&query, cancel).await?
            }
            Err(e) => return Err(e),
        };
        page.results.retain(|r| matches_badges(&query.badges, r));
        self.inner.cache.put(query, page.clone(), now);
        Ok(page)
    }

    async fn search_v3(
        &self,
        query: &SearchQuery,
        cancel: &CancellationToken,
    ) -> Result<SearchPage, HubError> {
        let from = query.from.to_string();
        let size = query.size.to_string();
        let mut params = vec![
            ("query", query.text.as_str()),
            ("from", from.as_str()),
            ("size", size.as_str()),
            ("type", "image"),
        ];
        params.extend(query.badges.iter().map(|b| ("badges", b.as_api_str())));
        let url = self.url("api/search/v3/catalog/search", &params);
        let body = self.get(url, "search results", cancel).await?;
        parse::parse_search_v3(&body, query.from)
    }

    async fn search_v2(
        &self,
        query: &SearchQuery,
        cancel: &CancellationToken,
    ) -> Result<SearchPage, HubError> {
        // v2 pages by number: the page holding `from` (offsets between pages round down).
        let page_number = (query.from / query.size + 1).to_string();
        let size = query.size.to_string();
        let url = self.url(
            "v2/search/repositories/",
            &[
                ("query", query.text.as_str()),
                ("page", page_number.as_str()),
                ("page_size", size.as_str()),
            ],
        );
        let body = self.get(url, "search results", cancel).await?;
        let from = query.from - query.from % query.size;
        parse::parse_search_v2(&body, from)
    }

    /// The first page of `repo`'s tags: `/v2/namespaces/{ns}/repositories/{repo}/tags`, or
    /// `/v2/repositories/{ns}/{repo}/tags` when the first route is missing or failing.
    pub async fn tags(
        &self,
        repo: &HubRepoName,
        query: &TagQuery,
        cancel: &CancellationToken,
    ) -> Result<TagPage, HubError> {
        let page_size = query.page_size.clamp(1, MAX_PAGE_SIZE).to_string();
        let mut params = vec![
            ("page_size", page_size.as_str()),
            ("ordering", query.ordering.as_api_str()),
        ];
        if let Some(name) = query.name.as_deref().filter(|n| !n.is_empty()) {
            params.push(("name", name));
        }
        let (ns, name) = (&repo.namespace, &repo.repository);
        let what = format!("the tags of {repo}");
        let url = self.url(
            &format!("v2/namespaces/{ns}/repositories/{name}/tags"),
            &params,
        );
        let body = match self.get(url, &what, cancel).await {
            Ok(body) => body,
            Err(HubError::NotFound { .. } | HubError::Unavailable { .. }) => {
                let url = self.url(&format!("v2/repositories/{ns}/{name}/tags"), &params);
                self.get(url, &what, cancel).await?
            }
            Err(e) => return Err(e),
        };
        self.checked_tag_page(parse::parse_tags(&body)?)
    }

    /// The page a [`TagPage::next`] link names. Only links on the API's own origin are
    /// followed: a response cannot send the client (and its requests) elsewhere.
    pub async fn tags_next(
        &self,
        next: &str,
        cancel: &CancellationToken,
    ) -> Result<TagPage, HubError> {
        let url = self.same_origin(next)?;
        let body = self.get(url, "a page of tags", cancel).await?;
        self.checked_tag_page(parse::parse_tags(&body)?)
    }

    /// Up to `limit` of `repo`'s tags, following `next` links (at most 100 pages).
    pub async fn all_tags(
        &self,
        repo: &HubRepoName,
        query: &TagQuery,
        limit: usize,
        cancel: &CancellationToken,
    ) -> Result<Vec<Tag>, HubError> {
        let mut query = query.clone();
        query.page_size = query
            .page_size
            .min(u32::try_from(limit).unwrap_or(u32::MAX));
        let mut page = self.tags(repo, &query, cancel).await?;
        let mut tags = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for _ in 0..MAX_TAG_PAGES {
            tags.extend(page.tags);
            if tags.len() >= limit {
                break;
            }
            match page.next {
                // A link seen before would loop forever.
                Some(next) if seen.insert(next.clone()) => {
                    page = self.tags_next(&next, cancel).await?;
                }
                _ => break,
            }
        }
        tags.truncate(limit);
        Ok(tags)
    }

    fn checked_tag_page(&self, page: TagPage) -> Result<TagPage, HubError> {
        if let Some(next) = &page.next {
            self.same_origin(next)?;
        }
        Ok(page)
    }

    fn same_origin(&self, link: &str) -> Result<Url, HubError> {
        let url = self
            .inner
            .base
            .join(link)
            .map_err(|_| HubError::ForeignLink {
                url: link.to_owned(),
                origin: self.inner.base.origin().ascii_serialization(),
            })?;
        if url.origin() != self.inner.base.origin() {
            return Err(HubError::ForeignLink {
                url: link.to_owned(),
                origin: self.inner.base.origin().ascii_serialization(),
            });
        }
        Ok(url)
    }

    /// A repository's details for its card: description, stars, pulls, last update.
    pub async fn repository(
        &self,
        repo: &HubRepoName,
        cancel: &CancellationToken,
    ) -> Result<RepositoryDetails, HubError> {
        let (ns, name) = (&repo.namespace, &repo.repository);
        let what = format!("repository {repo}");
        let url = self.url(&format!("v2/namespaces/{ns}/repositories/{name}"), &[]);
        let body = match self.get(url, &what, cancel).await {
            Ok(body) => body,
            Err(HubError::NotFound { .. } | HubError::Unavailable { .. }) => {
                let url = self.url(&format!("v2/repositories/{ns}/{name}/"), &[]);
                self.get(url, &what, cancel).await?
            }
            Err(e) => return Err(e),
        };
        parse::parse_repository(&body, ns, name)
    }

    /// GET `url` and read its whole body, or say why not.
    async fn get(
        &self,
        url: Url,
        what: &str,
        cancel: &CancellationToken,
    ) -> Result<Vec<u8>, HubError> {
        if cancel.is_cancelled() {
            return Err(HubError::Cancelled);
        }
        let request = async {
            let response = self
                .inner
                .http
                .get(url.clone())
                .header(header::ACCEPT, "application/json")
                .send()
                .await
                .map_err(|source| HubError::Network {
                    url: url.to_string(),
                    source,
                })?;
            check_status(&response, &url, what)?;
            read_body(response, &url, what).await
        };
        tokio::select! {
            biased;
            () = cancel.cancelled() => Err(HubError::Cancelled),
            result = request => result,
        }
    }
}

fn check_status(response: &reqwest::Response, url: &Url, what: &str) -> Result<(), HubError> {
    let status = response.status();
    match status {
        s if s.is_success() => Ok(()),
        StatusCode::TOO_MANY_REQUESTS => Err(rate_limited(response.headers())),
        StatusCode::NOT_FOUND => Err(HubError::NotFound {
            what: what.to_owned(),
        }),
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => Err(HubError::Denied {
            what: what.to_owned(),
            status: status.as_u16(),
        }),
        s => Err(HubError::Unavailable {
            status: s.as_u16(),
            url: url.to_string(),
        }),
    }
}

async fn read_body(
    mut response: reqwest::Response,
    url: &Url,
    what: &str,
) -> Result<Vec<u8>, HubError> {
    let too_large = || HubError::TooLarge {
        what: what.to_owned(),
        limit: MAX_BODY,
    };
    if response.content_length().is_some_and(|l| l > MAX_BODY) {
        return Err(too_large());
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|source| HubError::Network {
        url: url.to_string(),
        source,
    })? {
        if body.len() as u64 + chunk.len() as u64 > MAX_BODY {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// A 429's limit and reset time: `X-RateLimit-Limit` (or `RateLimit-Limit`, `N;w=S`),
/// `Retry-After` (seconds or a date) and `X-RateLimit-Reset` (Unix seconds).
pub(crate) fn rate_limited(headers: &HeaderMap) -> HubError {
    let value = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let limit = ["x-ratelimit-limit", "ratelimit-limit"]
        .iter()
        .find_map(|h| value(h))
        .and_then(|v| super::ratelimit::parse_ratelimit(v).map(|(n, _)| n));
    let (mut retry_after, mut reset) = (None, None);
    if let Some(v) = value("retry-after").map(str::trim) {
        match v.parse::<u64>() {
            Ok(secs) => retry_after = Some(Duration::from_secs(secs)),
            Err(_) => reset = httpdate::parse_http_date(v).ok(),
        }
    }
    if reset.is_none() {
        reset = value("x-ratelimit-reset")
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(|secs| SystemTime::UNIX_EPOCH + Duration::from_secs(secs));
    }
    HubError::RateLimited {
        limit,
        retry_after,
        reset,
    }
}

/// Whether a result carries one of `badges` (every result does when it is empty).
fn matches_badges(badges: &[Badge], result: &super::SearchResult) -> bool {
    badges.is_empty() || badges.iter().any(|b| result.has_badge(*b))
}

#[cfg(test)]
mod tests {
    use reqwest::header::HeaderValue;

    use super::*;

    #[test]
    fn base_urls_are_checked_and_end_in_a_slash() {
        assert_eq!(
            parse_base_url("http://127.0.0.1:9/prefix")
                .unwrap()
                .as_str(),
            "http://127.0.0.1:9/prefix/"
        );
        assert!(parse_base_url("ftp://x").is_err());
        assert!(parse_base_url("http://x/?q=1").is_err());
        assert!(parse_base_url("hub.docker.com").is_err());
    }

    #[test]
    fn next_links_stay_on_the_origin() {
        let client = HubClient::new(Url::parse("http://127.0.0.1:9/").unwrap()).unwrap();
        assert!(client.same_origin("http://127.0.0.1:9/v2/x?page=2").is_ok());
        assert!(client.same_origin("/v2/x?page=2").is_ok());
        for bad in [
            "http://127.0.0.1:10/v2/x",
            "https://127.0.0.1:9/v2/x",
            "http://evil.example/v2/x",
            "//evil.example/v2/x",
        ] {
            assert!(
                matches!(client.same_origin(bad), Err(HubError::ForeignLink { .. })),
                "{bad}"
            );
        }
    }

    #[test]
    fn rate_limit_headers() {
        let mut h = HeaderMap::new();
        h.insert("x-ratelimit-limit", HeaderValue::from_static("180"));
        h.insert("x-ratelimit-reset", HeaderValue::from_static("1700000000"));
        h.insert("retry-after", HeaderValue::from_static("42"));
        match rate_limited(&h) {
            HubError::RateLimited {
                limit,
                retry_after,
                reset,
            } => {
                assert_eq!(limit, Some(180));
                assert_eq!(retry_after, Some(Duration::from_secs(42)));
                assert_eq!(
                    reset,
                    Some(SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000))
                );
            }
            other => panic!("{other:?}"),
        }
        let mut h = HeaderMap::new();
        h.insert("ratelimit-limit", HeaderValue::from_static("100;w=21600"));
        assert!(matches!(
            rate_limited(&h),
            HubError::RateLimited {
                limit: Some(100),
                retry_after: None,
                reset: None
            }
        ));
    }
}
