//! [`OsvApi`]: the OSV.dev API (<https://google.github.io/osv.dev/api/>), for online scans.
//!
//! - `POST /v1/querybatch` with up to [`MAX_BATCH`] queries `{package:{name, ecosystem},
//!   version}` answers, per query, the ids of the advisories that affect it (`vulns:
//!   [{id, modified}]`) and a `next_page_token` when there are more: those queries are sent
//!   again with `page_token` until none is left.
//! - `GET /v1/vulns/{id}` gives a whole record; each distinct id is fetched once per scan
//!   ([`RecordCache`]), [`OsvApi::jobs`] at a time.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use futures_util::{StreamExt, stream};
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;
use url::Url;

use super::VulnError;
use super::http::{self, Retry};
use super::osv::{self, Vulnerability};
use crate::config::Config;

/// OSV.dev's API.
pub const DEFAULT_API_URL: &str = "https://api.osv.dev";
/// The most queries one `querybatch` request may carry (the API's limit).
pub const MAX_BATCH: usize = 1000;
/// Records fetched at once unless told otherwise.
pub const DEFAULT_JOBS: usize = 8;
/// Follow-up pages requested before giving up on a server that keeps paging.
const MAX_PAGES: usize = 100;
/// The largest response read (a querybatch of 1000 popular packages is a few MB).
const MAX_BODY: u64 = 64 * 1024 * 1024;

const SETTING: &str = "osvApiUrl ($PORTHOLE_OSV_API_URL)";

/// One package version to ask about.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct PackageQuery {
    pub ecosystem: String,
    pub name: String,
    pub version: String,
}

/// A client of the OSV API. Cheap to clone.
#[derive(Clone, Debug)]
pub struct OsvApi {
    base: Url,
    http: reqwest::Client,
    jobs: usize,
    retry: Retry,
}

/// Records fetched during one scan, by id.
#[derive(Debug, Default)]
pub struct RecordCache {
    records: Mutex<HashMap<String, Option<Arc<Vulnerability>>>>,
}

impl OsvApi {
    /// A client of the API at `base` (e.g. `https://api.osv.dev`).
    pub fn new(base: &str) -> Result<OsvApi, VulnError> {
        let base = http::parse_base_url(base, SETTING, DEFAULT_API_URL)?;
        let http = http::client(&base, SETTING)?;
        Ok(OsvApi {
            base,
            http,
            jobs: DEFAULT_JOBS,
            retry: Retry::default(),
        })
    }

    /// The API the config names: `osvApiUrl` (which `$PORTHOLE_OSV_API_URL` replaces, see
    /// [`Config::load_with_env`]), else [`DEFAULT_API_URL`].
    pub fn from_config(config: &Config) -> Result<OsvApi, VulnError> {
        OsvApi::new(config.osv_api_url.as_deref().unwrap_or(DEFAULT_API_URL))
    }

    /// Fetch at most `jobs` records at once.
    pub fn with_jobs(mut self, jobs: usize) -> OsvApi {
        self.jobs = jobs.max(1);
        self
    }

    /// How failed requests (429, 5xx, broken connections) are retried.
    pub fn with_retry(mut self, retry: Retry) -> OsvApi {
        self.retry = retry;
        self
    }

    pub fn base_url(&self) -> &Url {
        &self.base
    }

    pub fn jobs(&self) -> usize {
        self.jobs
    }

    /// The ids of the advisories affecting each query, in the queries' order, every page
    /// followed.
    pub async fn query_batch(
        &self,
        queries: &[PackageQuery],
        cancel: &CancellationToken,
    ) -> Result<Vec<Vec<String>>, VulnError> {
        let mut out = vec![Vec::new(); queries.len()];
        for (chunk_index, chunk) in queries.chunks(MAX_BATCH).enumerate() {
            let offset = chunk_index * MAX_BATCH;
            // (index into `queries`, page token) of the queries still to send.
            let mut pending: Vec<(usize, Option<String>)> =
                (0..chunk.len()).map(|i| (offset + i, None)).collect();
            let mut rounds = 0;
            while !pending.is_empty() {
                rounds += 1;
                if rounds > MAX_PAGES {
                    return Err(VulnError::Status {
                        url: self.url("v1/querybatch").to_string(),
                        status: 200,
                        detail: format!("it kept sending next_page_token after {MAX_PAGES} pages"),
                    });
                }
                let body = BatchRequest {
                    queries: pending
                        .iter()
                        .map(|(i, token)| Query {
                            package: QueryPackage {
                                name: &queries[*i].name,
                                ecosystem: &queries[*i].ecosystem,
                            },
                            version: &queries[*i].version,
                            page_token: token.as_deref(),
                        })
                        .collect(),
                };
                let response = self.post_batch(&body, cancel).await?;
                if response.results.len() != pending.len() {
                    return Err(VulnError::Status {
                        url: self.url("v1/querybatch").to_string(),
                        status: 200,
                        detail: format!(
                            "it answered {} results to {} queries",
                            response.results.len(),
                            pending.len()
                        ),
                    });
                }
                let mut next = Vec::new();
                for ((i, _), result) in pending.iter().zip(response.results) {
                    out[*i].extend(result.vulns.into_iter().map(|v| v.id));
                    if let Some(token) = result.next_page_token.filter(|t| !t.is_empty()) {
                        next.push((*i, Some(token)));
                    }
                }
                pending = next;
            }
        }
        for ids in &mut out {
            let mut seen = std::collections::HashSet::new();
            ids.retain(|id| seen.insert(id.clone()));
        }
        Ok(out)
    }

    async fn post_batch(
        &self,
        body: &BatchRequest<'_>,
        cancel: &CancellationToken,
    ) -> Result<BatchResponse, VulnError> {
        let url = self.url("v1/querybatch");
        let resp = http::send(
            || self.http.post(url.clone()).json(body),
            &url,
            SETTING,
            self.retry,
            cancel,
        )
        .await?;
        let bytes = http::read_body(resp, &url, SETTING, MAX_BODY, cancel).await?;
        serde_json::from_slice(&bytes).map_err(|source| VulnError::Parse {
            url: url.to_string(),
            source,
        })
    }

    /// The whole record of advisory `id`. A body that is JSON but not an OSV record is
    /// `Ok(None)` (skipped with a warning by the caller); one that is not JSON is an error.
    pub async fn vuln(
        &self,
        id: &str,
        cancel: &CancellationToken,
    ) -> Result<Option<Vulnerability>, VulnError> {
        let mut url = self.url("v1/vulns/");
        url.path_segments_mut()
            .expect("http URLs have paths")
            .pop_if_empty()
            .push(id);
        let resp = http::send(
            || self.http.get(url.clone()),
            &url,
            SETTING,
            self.retry,
            cancel,
        )
        .await?;
        let bytes = http::read_body(resp, &url, SETTING, MAX_BODY, cancel).await?;
        match osv::parse(&bytes) {
            Ok(v) => Ok(Some(v)),
            Err(e) if e.classify() == serde_json::error::Category::Data => {
                tracing::warn!(%url, "skipping a record that is not OSV: {e}");
                Ok(None)
            }
            Err(source) => Err(VulnError::Parse {
                url: url.to_string(),
                source,
            }),
        }
    }

    /// The records of `ids`, each fetched once per `cache`, [`OsvApi::jobs`] at a time.
    /// Records that could not be read are left out (and named in the returned warnings).
    pub async fn vulns(
        &self,
        ids: &[String],
        cache: &RecordCache,
        cancel: &CancellationToken,
    ) -> Result<(HashMap<String, Arc<Vulnerability>>, Vec<String>), VulnError> {
        let missing: Vec<&String> = {
            let cached = cache.records.lock().unwrap_or_else(|e| e.into_inner());
            let mut seen = std::collections::HashSet::new();
            ids.iter()
                .filter(|id| !cached.contains_key(*id) && seen.insert(*id))
                .collect()
        };
        // The fetches are built before they go into the stream (not by a closure that the
        // stream calls): a closure returning a future that borrows makes the whole scan a
        // future that is not `Send`, which a GUI's async command cannot await.
        let fetches: Vec<_> = missing
            .into_iter()
            .map(|id| async move { (id, self.vuln(id, cancel).await) })
            .collect();
        let mut fetches = stream::iter(fetches).buffer_unordered(self.jobs);
        while let Some((id, result)) = fetches.next().await {
            let record = result?.map(Arc::new);
            cache
                .records
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(id.clone(), record);
        }
        let cached = cache.records.lock().unwrap_or_else(|e| e.into_inner());
        let mut found = HashMap::new();
        let mut warnings = Vec::new();
        for id in ids {
            if found.contains_key(id) {
                continue;
            }
            match cached.get(id) {
                Some(Some(record)) => {
                    found.insert(id.clone(), record.clone());
                }
                _ if warnings.iter().any(|w: &String| w.contains(id.as_str())) => {}
                _ => warnings.push(format!(
                    "advisory {id} from {} is not a readable OSV record; it was skipped",
                    self.base
                )),
            }
        }
        Ok((found, warnings))
    }

    fn url(&self, path: &str) -> Url {
        self.base.join(path).expect("API paths are relative URLs")
    }
}

#[derive(Serialize)]
struct BatchRequest<'a> {
    queries: Vec<Query<'a>>,
}

#[derive(Serialize)]
struct Query<'a> {
    package: QueryPackage<'a>,
    version: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    page_token: Option<&'a str>,
}

#[derive(Serialize)]
struct QueryPackage<'a> {
    name: &'a str,
    ecosystem: &'a str,
}

#[derive(Deserialize)]
struct BatchResponse {
    #[serde(default)]
    results: Vec<BatchResult>,
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct BatchResult {
    vulns: Vec<VulnRef>,
    next_page_token: Option<String>,
}

#[derive(Deserialize)]
struct VulnRef {
    id: String,
}
