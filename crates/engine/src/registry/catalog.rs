//! Searching a registry that is not Docker Hub: its repositories from `/v2/_catalog`,
//! filtered by the query, and a repository's tags from `/v2/<name>/tags/list`. Both are
//! paged with `n` and the `Link: <…>; rel="next"` header (distribution refuses an `n` over
//! its `catalog.maxentries`, 1000 by default). Requests go through
//! [`RegistryClient::send_scoped`], so Basic and Bearer auth work; the catalog's token
//! scope is `registry:catalog:*`.
//!
//! Most public registries refuse the catalog: that is [`CatalogError::Refused`], whose
//! message suggests typing a full reference instead.

use reqwest::header::{self, HeaderMap, HeaderValue};
use reqwest::{Method, StatusCode};
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;
use url::Url;

use super::client::read_capped;
use super::{Endpoint, RegistryClient, RegistryError};

/// The catalog's token scope.
pub const CATALOG_SCOPE: &str = "registry:catalog:*";
/// Entries asked for per page unless the caller says otherwise.
pub const DEFAULT_PAGE_SIZE: u32 = 100;
/// distribution's default `catalog.maxentries`: a larger `n` is refused.
pub const MAX_PAGE_SIZE: u32 = 1000;
/// The most pages followed in one listing (a runaway `Link` chain stops here).
const MAX_PAGES: usize = 1000;
const MAX_BODY: u64 = 8 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CatalogError {
    #[error(
        "registry {registry} does not let you list its repositories ({reason}); type a full reference instead, e.g. {registry}/owner/app:tag"
    )]
    Refused { registry: String, reason: String },
    #[error("registry {registry} sent {what} that Porthole cannot read: {reason}")]
    Invalid {
        registry: String,
        what: String,
        reason: String,
    },
    #[error(transparent)]
    Registry(#[from] RegistryError),
}

impl CatalogError {
    /// The error's code across IPC (see `HubError::code`).
    pub fn code(&self) -> &'static str {
        match self {
            CatalogError::Refused { .. } => "auth",
            CatalogError::Invalid { .. } => "internal",
            CatalogError::Registry(RegistryError::Cancelled) => "cancelled",
            CatalogError::Registry(RegistryError::NotFound { .. }) => "notFound",
            CatalogError::Registry(RegistryError::RateLimited { .. }) => "rateLimited",
            CatalogError::Registry(
                RegistryError::AuthRequired { .. }
                | RegistryError::CredentialsRefused { .. }
                | RegistryError::Denied { .. },
            ) => "auth",
            CatalogError::Registry(_) => "network",
        }
    }
}

/// How to page and how much to keep.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListOptions {
    /// `n`, clamped to 1..=[`MAX_PAGE_SIZE`].
    pub page_size: u32,
    /// Stop once this many entries are found.
    pub limit: usize,
}

impl Default for ListOptions {
    fn default() -> Self {
        ListOptions {
            page_size: DEFAULT_PAGE_SIZE,
            limit: 100,
        }
    }
}

/// Repositories of a registry that match a query.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CatalogMatches {
    /// `host[:port]`.
    pub registry: String,
    /// Repository paths (`team/app`), in the registry's (lexical) order.
    pub repositories: Vec<String>,
    /// How many repositories were looked at.
    pub scanned: usize,
    /// Whether the whole catalog was looked at (false when `limit` stopped the listing).
    pub complete: bool,
}

/// A repository's tags.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TagNames {
    pub registry: String,
    pub repository: String,
    /// In lexical order.
    pub tags: Vec<String>,
    /// Whether every tag was listed (false when `limit` stopped the listing).
    pub complete: bool,
}

impl RegistryClient {
    /// The repositories of `registry` whose name contains `query` (case-insensitive; an
    /// empty query matches all), up to `options.limit`.
    pub async fn search_catalog(
        &self,
        registry: &str,
        query: &str,
        options: &ListOptions,
        cancel: &CancellationToken,
    ) -> Result<CatalogMatches, CatalogError> {
        let endpoint = origin(self, registry)?;
        let needle = query.trim().to_lowercase();
        let mut url = endpoint.base.clone();
        let path = format!("{}v2/_catalog", url.path());
        url.set_path(&path);
        let mut found = CatalogMatches {
            registry: endpoint.host.clone(),
            repositories: Vec::new(),
            scanned: 0,
            complete: true,
        };
        let mut pages = Pager::new(&endpoint, url, options.page_size);
        while let Some(body) = pages
            .next(self, "the catalog", CATALOG_SCOPE, cancel)
            .await
            .map_err(|e| catalog_refusal(e, &endpoint.host))?
        {
            #[derive(Deserialize)]
            struct Page {
                #[serde(default)]
                repositories: Option<Vec<String>>,
            }
            let page: Page = serde_json::from_slice(&body).map_err(|e| CatalogError::Invalid {
                registry: endpoint.host.clone(),
                what: "a catalog page".into(),
                reason: e.to_string(),
            })?;
            let names = page.repositories.unwrap_or_default();
            found.scanned += names.len();
            for name in names {
                if name.to_lowercase().contains(&needle) {
                    found.repositories.push(name);
                }
            }
            if found.repositories.len() >= options.limit {
                found.complete = found.repositories.len() <= options.limit && !pages.has_next();
                found.repositories.truncate(options.limit);
                break;
            }
        }
        Ok(found)
    }

    /// The tags of `repository` on `registry` (`/v2/<name>/tags/list`), up to
    /// `options.limit`, in lexical order.
    pub async fn list_tags(
        &self,
        registry: &str,
        repository: &str,
        options: &ListOptions,
        cancel: &CancellationToken,
    ) -> Result<TagNames, CatalogError> {
        let endpoint = origin(self, registry)?;
        let url = endpoint.url(repository, "tags/list");
        let scope = format!("repository:{repository}:pull");
        let mut out = TagNames {
            registry: endpoint.host.clone(),
            repository: repository.to_owned(),
            tags: Vec::new(),
            complete: true,
        };
        let mut pages = Pager::new(&endpoint, url, options.page_size);
        while let Some(body) = pages.next(self, repository, &scope, cancel).await? {
            #[derive(Deserialize)]
            struct Page {
                #[serde(default)]
                tags: Option<Vec<String>>,
            }
            let page: Page = serde_json::from_slice(&body).map_err(|e| CatalogError::Invalid {
                registry: endpoint.host.clone(),
                what: format!("the tag list of {repository}"),
                reason: e.to_string(),
            })?;
            out.tags.extend(page.tags.unwrap_or_default());
            if out.tags.len() >= options.limit {
                out.complete = out.tags.len() <= options.limit && !pages.has_next();
                break;
            }
        }
        // The spec's lexical order; distribution 2.8 answers in storage order, unpaged.
        out.tags.sort();
        out.tags.truncate(options.limit);
        Ok(out)
    }
}

/// The registry itself (a docker.io mirror has no catalog of Docker Hub's).
fn origin(client: &RegistryClient, registry: &str) -> Result<Endpoint, RegistryError> {
    client
        .endpoints_for_host(registry)?
        .into_iter()
        .rfind(|e| !e.mirror)
        .ok_or_else(|| RegistryError::NotFound {
            registry: registry.to_owned(),
            what: "the registry".into(),
        })
}

/// Turns the ways a registry says "no catalog here" into [`CatalogError::Refused`].
fn catalog_refusal(e: CatalogError, registry: &str) -> CatalogError {
    let refused = |reason: &str| CatalogError::Refused {
        registry: registry.to_owned(),
        reason: reason.to_owned(),
    };
    match e {
        CatalogError::Registry(RegistryError::AuthRequired { .. }) => refused(&format!(
            "it asks you to sign in: run `porthole login {registry}` if you have an account"
        )),
        CatalogError::Registry(RegistryError::CredentialsRefused { .. }) => refused(&format!(
            "it refused your credentials, or they do not allow listing; check them with `porthole login {registry}`"
        )),
        CatalogError::Registry(RegistryError::Denied { .. }) => refused("it denied access"),
        CatalogError::Registry(RegistryError::NotFound { .. }) => {
            refused("it does not serve /v2/_catalog")
        }
        other => other,
    }
}

/// Follows `Link: <…>; rel="next"` from page to page, on the endpoint's own origin.
struct Pager {
    endpoint: Endpoint,
    next: Option<Url>,
    page_size: u32,
    pages: usize,
    first: bool,
}

impl Pager {
    fn new(endpoint: &Endpoint, first: Url, page_size: u32) -> Pager {
        Pager {
            endpoint: endpoint.clone(),
            next: Some(first),
            page_size: page_size.clamp(1, MAX_PAGE_SIZE),
            pages: 0,
            first: true,
        }
    }

    fn has_next(&self) -> bool {
        self.next.is_some()
    }

    /// The next page's body, or `None` after the last one.
    async fn next(
        &mut self,
        client: &RegistryClient,
        what: &str,
        scope: &str,
        cancel: &CancellationToken,
    ) -> Result<Option<Vec<u8>>, CatalogError> {
        let Some(mut url) = self.next.take() else {
            return Ok(None);
        };
        if self.pages >= MAX_PAGES {
            return Ok(None);
        }
        self.pages += 1;
        if self.first {
            url.query_pairs_mut()
                .append_pair("n", &self.page_size.to_string());
        }
        let mut response = self.get(client, what, scope, url.clone(), cancel).await?;
        // An older limit than ours (`maxentries` set lower): ask again with distribution's
        // smallest sensible page.
        if self.first
            && response.status() == StatusCode::BAD_REQUEST
            && self.page_size > DEFAULT_PAGE_SIZE
        {
            self.page_size = DEFAULT_PAGE_SIZE;
            let mut retry = url.clone();
            let pairs: Vec<(String, String)> = url
                .query_pairs()
                .filter(|(k, _)| k != "n")
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect();
            retry
                .query_pairs_mut()
                .clear()
                .extend_pairs(pairs)
                .append_pair("n", &self.page_size.to_string());
            response = self.get(client, what, scope, retry, cancel).await?;
        }
        self.first = false;
        let host = self.endpoint.host.clone();
        match response.status() {
            s if s.is_success() => {}
            StatusCode::NOT_FOUND => {
                return Err(RegistryError::NotFound {
                    registry: host,
                    what: what.to_owned(),
                }
                .into());
            }
            StatusCode::FORBIDDEN => {
                return Err(RegistryError::Denied {
                    registry: host,
                    repository: what.to_owned(),
                }
                .into());
            }
            s => {
                let url = response.url().to_string();
                let body = read_capped(response, 64 * 1024, &host, what)
                    .await
                    .unwrap_or_default();
                let text = String::from_utf8_lossy(&body);
                if text.contains("UNSUPPORTED") {
                    return Err(RegistryError::NotFound {
                        registry: host,
                        what: what.to_owned(),
                    }
                    .into());
                }
                return Err(RegistryError::Status {
                    registry: host,
                    status: s.as_u16(),
                    url,
                }
                .into());
            }
        }
        self.next = next_link(response.headers(), response.url(), &self.endpoint.base)
            .map_err(|reason| CatalogError::Invalid {
                registry: host.clone(),
                what: "a next-page link".into(),
                reason,
            })?
            .filter(|n| n != response.url());
        let body = read_capped(response, MAX_BODY, &host, what).await?;
        Ok(Some(body))
    }

    async fn get(
        &self,
        client: &RegistryClient,
        what: &str,
        scope: &str,
        url: Url,
        cancel: &CancellationToken,
    ) -> Result<reqwest::Response, CatalogError> {
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT, HeaderValue::from_static("application/json"));
        Ok(client
            .send_scoped(
                &self.endpoint,
                what,
                scope,
                Method::GET,
                url,
                headers,
                cancel,
            )
            .await?)
    }
}

/// The `rel="next"` target of a `Link` header, resolved against `current`; it must stay on
/// the registry's origin.
fn next_link(headers: &HeaderMap, current: &Url, base: &Url) -> Result<Option<Url>, String> {
    for value in headers.get_all(header::LINK) {
        let Ok(value) = value.to_str() else { continue };
        for link in value.split(',') {
            let Some((target, params)) = link.trim().split_once('>') else {
                continue;
            };
            let is_next = params.split(';').any(|p| {
                p.trim()
                    .strip_prefix("rel=")
                    .is_some_and(|r| r.trim_matches('"').split(' ').any(|r| r == "next"))
            });
            if !is_next {
                continue;
            }
            let target = target.trim().trim_start_matches('<');
            let url = current
                .join(target)
                .map_err(|e| format!("`{target}`: {e}"))?;
            if url.origin() != base.origin() {
                return Err(format!("`{target}` leads to another host"));
            }
            return Ok(Some(url));
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn links(values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append(header::LINK, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn follows_relative_next_links_on_the_same_origin() {
        let base = Url::parse("http://127.0.0.1:5000/").unwrap();
        let current = Url::parse("http://127.0.0.1:5000/v2/_catalog?n=2").unwrap();
        let h = links(&[r#"</v2/_catalog?last=b&n=2>; rel="next""#]);
        assert_eq!(
            next_link(&h, &current, &base).unwrap().unwrap().as_str(),
            "http://127.0.0.1:5000/v2/_catalog?last=b&n=2"
        );
        let h = links(&[r#"<http://127.0.0.1:5000/x>; rel="prev", </y>; rel=next"#]);
        assert_eq!(
            next_link(&h, &current, &base).unwrap().unwrap().path(),
            "/y"
        );
        assert_eq!(next_link(&HeaderMap::new(), &current, &base), Ok(None));
        let h = links(&[r#"<http://evil.example/v2/_catalog>; rel="next""#]);
        assert!(next_link(&h, &current, &base).is_err());
    }

    #[test]
    fn refusals_read_clearly() {
        let e = catalog_refusal(
            CatalogError::Registry(RegistryError::AuthRequired {
                registry: "r:5000".into(),
                repository: "the catalog".into(),
            }),
            "r:5000",
        );
        let msg = e.to_string();
        assert!(msg.contains("porthole login r:5000"), "{msg}");
        assert!(msg.contains("type a full reference"), "{msg}");
        assert_eq!(e.code(), "auth");
    }
}
