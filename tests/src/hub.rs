//! A replay server for Docker Hub's web API, on `127.0.0.1:PORT`: Docker Hub itself is out of
//! reach of the tests, so they point `PORTHOLE_HUB_URL` here.
//!
//! It serves the recorded response shapes in `tests/fixtures/hub/` and pages derived from them:
//!
//! - `GET /api/search/v3/catalog/search?query=&from=&size=&type=image[&badges=…]`
//!   - any query: the recorded `search-v3-nginx.json` results whose id or description contains
//!     it (`nginx` matches all three), paged with `from`/`size`, filtered by `badges`;
//!   - [`MANY`] (`many`): [`MANY_COUNT`] results made from the recorded first one;
//!   - [`POPULAR`] (`popular`): as many results as asked for, `total` capped at 10000;
//!   - [`HOSTILE`] (`hostile`): markup and terminal escapes in descriptions and names, and a
//!     logo on a foreign host;
//!   - [`SPARSE`] (`sparse`): results with missing and oddly typed fields (no `total`).
//! - `GET /v2/search/repositories/?query=&page=&page_size=`: the v2 shape (`count`, `next`).
//! - `GET /v2/namespaces/{ns}/repositories/{repo}/tags` and `/v2/repositories/{ns}/{repo}/tags`:
//!   `library/nginx` from `tags-library-nginx.json`, [`MANY_TAGS_REPO`] with
//!   [`MANY_TAGS_COUNT`] tags; paged with `page`/`page_size` through `next` links that point
//!   back here; `ordering=name|last_updated` and `name=` filter honoured.
//! - `GET /v2/namespaces/{ns}/repositories/{repo}` and `/v2/repositories/{ns}/{repo}/`:
//!   details (`repository-library-nginx.json` for `library/nginx`).
//! - `HEAD|GET /v2/<name>/manifests/<ref>`: a registry manifest answer carrying Docker Hub's
//!   `ratelimit-limit: 100;w=21600` and `ratelimit-remaining: 76;w=21600`.
//! - `GET /v2/<name>/tags/list?n=&last=`: the registry's tag list, paged with `Link` headers
//!   (which distribution 2.8 does not do) for `library/nginx` and [`MANY_TAGS_REPO`].
//!
//! Anything else is a 404. Failures are injected per [`Route`] with [`HubReplay::inject`] (for
//! the next N requests) or [`HubReplay::inject_always`]: a status (5xx, 404), a 429 with
//! `X-RateLimit-*` and `Retry-After`, a delay before the normal answer, or a body that is not
//! JSON. Every request is logged for assertions.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http::{HeaderValue, Method, Request, Response, StatusCode};
use hyper::body::Incoming;
use serde_json::{Value, json};

use crate::http::{self as h, Body, Server};

/// The recorded v3 search page (three nginx results).
pub const SEARCH_V3_NGINX: &str = include_str!("../fixtures/hub/search-v3-nginx.json");
/// The recorded v2 search page (one result).
pub const SEARCH_V2_NGINX: &str = include_str!("../fixtures/hub/search-v2-nginx.json");
/// The recorded tags of `library/nginx` (`1.27`, `latest`).
pub const TAGS_LIBRARY_NGINX: &str = include_str!("../fixtures/hub/tags-library-nginx.json");
/// Details of `library/nginx`.
pub const REPOSITORY_LIBRARY_NGINX: &str =
    include_str!("../fixtures/hub/repository-library-nginx.json");

/// The query that finds [`MANY_COUNT`] repositories `acme/app-000`….
pub const MANY: &str = "many";
/// How many results [`MANY`] finds.
pub const MANY_COUNT: usize = 60;
/// The query whose `total` is Docker Hub's cap, 10000.
pub const POPULAR: &str = "popular";
/// The query whose results carry markup and escapes in their text.
pub const HOSTILE: &str = "hostile";
/// The query (and repository, `library/e2e-demo`) of the app's end-to-end test: one official
/// result, with one tag `1.0` for linux/amd64 and linux/arm64. Its image is served by a local
/// registry that the app uses as its docker.io mirror.
pub const E2E_DEMO: &str = "e2e-demo";
/// The description of the first [`HOSTILE`] result.
pub const HOSTILE_DESCRIPTION: &str = "<script>alert(1)</script>";
/// The query whose results lack most fields.
pub const SPARSE: &str = "sparse";
/// A repository with [`MANY_TAGS_COUNT`] tags `v00`….
pub const MANY_TAGS_REPO: &str = "acme/many-tags";
/// How many tags [`MANY_TAGS_REPO`] has.
pub const MANY_TAGS_COUNT: usize = 45;

/// Which API a request was for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// `/api/search/v3/catalog/search`.
    SearchV3,
    /// `/v2/search/repositories/`.
    SearchV2,
    /// `/v2/namespaces/{ns}/repositories/{repo}/tags`.
    Tags,
    /// `/v2/repositories/{ns}/{repo}/tags`.
    TagsLegacy,
    /// `/v2/namespaces/{ns}/repositories/{repo}`.
    Repository,
    /// `/v2/repositories/{ns}/{repo}/`.
    RepositoryLegacy,
    /// `/v2/<name>/manifests/<ref>` (the registry side).
    Manifest,
    /// `/v2/<name>/tags/list` (the registry side).
    TagsList,
    /// Anything else.
    Other,
}

/// What an injected fault answers instead of (or before) the normal response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// This status with a small JSON error body.
    Status(u16),
    /// `429` with `X-RateLimit-Limit`, `X-RateLimit-Remaining: 0`, `X-RateLimit-Reset` and
    /// `Retry-After` (and the registry's `ratelimit-limit: LIMIT;w=21600`).
    RateLimited {
        /// `X-RateLimit-Limit`.
        limit: u64,
        /// `Retry-After`, in seconds.
        retry_after: u64,
        /// `X-RateLimit-Reset`, Unix seconds.
        reset: u64,
    },
    /// Waits this long, then answers normally.
    Delay(Duration),
    /// `200` with an HTML body.
    NotJson,
}

/// One request the server saw.
#[derive(Debug, Clone)]
pub struct HubRequest {
    /// `GET`, `HEAD`, ….
    pub method: Method,
    /// The path, e.g. `/api/search/v3/catalog/search`.
    pub path: String,
    /// The query parameters, in order (repeated ones repeated).
    pub query: Vec<(String, String)>,
    /// Which API it was for.
    pub route: Route,
}

impl HubRequest {
    /// The first value of query parameter `name`.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of query parameter `name`.
    pub fn params(&self, name: &str) -> Vec<&str> {
        self.query
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }
}

struct Injected {
    route: Route,
    reply: Reply,
    /// `None`: every time.
    remaining: Option<usize>,
}

struct State {
    base: Mutex<String>,
    log: Mutex<Vec<HubRequest>>,
    faults: Mutex<VecDeque<Injected>>,
    foreign_next: AtomicBool,
}

/// A running replay server; stopped on drop.
///
/// ```no_run
/// use porthole_tests::hub::{HubReplay, Reply, Route};
/// let hub = HubReplay::start();
/// hub.inject_always(Route::SearchV3, Reply::Status(404)); // exercise the v2 fallback
/// // PORTHOLE_HUB_URL=hub.url() porthole search nginx
/// assert_eq!(hub.count(Route::SearchV2), 0);
/// ```
pub struct HubReplay {
    state: Arc<State>,
    server: Server,
}

impl HubReplay {
    /// Starts the server on `127.0.0.1:0`.
    pub fn start() -> Self {
        let state = Arc::new(State {
            base: Mutex::new(String::new()),
            log: Mutex::new(Vec::new()),
            faults: Mutex::new(VecDeque::new()),
            foreign_next: AtomicBool::new(false),
        });
        let handler_state = state.clone();
        let handler: h::Handler = Arc::new(move |req| {
            let state = handler_state.clone();
            Box::pin(async move { state.handle(req).await })
        });
        let server =
            Server::start(h::bind_loopback("127.0.0.1"), handler).expect("start the Hub replay");
        *state.base.lock().expect("base") = format!("http://{}", server.addr());
        Self { state, server }
    }

    /// `http://127.0.0.1:PORT`: the value for `PORTHOLE_HUB_URL`.
    pub fn url(&self) -> String {
        format!("http://{}", self.server.addr())
    }

    /// `127.0.0.1:PORT`.
    pub fn addr(&self) -> String {
        self.server.addr().to_string()
    }

    /// Answers the next `times` requests for `route` with `reply`.
    pub fn inject(&self, route: Route, reply: Reply, times: usize) {
        self.state
            .faults
            .lock()
            .expect("faults")
            .push_back(Injected {
                route,
                reply,
                remaining: Some(times),
            });
    }

    /// Answers every request for `route` with `reply` (until [`clear_faults`](Self::clear_faults)).
    pub fn inject_always(&self, route: Route, reply: Reply) {
        self.state
            .faults
            .lock()
            .expect("faults")
            .push_back(Injected {
                route,
                reply,
                remaining: None,
            });
    }

    /// Removes every injected fault.
    pub fn clear_faults(&self) {
        self.state.faults.lock().expect("faults").clear();
    }

    /// Makes tag pages' `next` links point at another host (`http://evil.example/…`).
    pub fn foreign_next_links(&self, on: bool) {
        self.state.foreign_next.store(on, Ordering::SeqCst);
    }

    /// Every request so far, oldest first.
    pub fn requests(&self) -> Vec<HubRequest> {
        self.state.log.lock().expect("log").clone()
    }

    /// How many requests were for `route`.
    pub fn count(&self, route: Route) -> usize {
        self.state
            .log
            .lock()
            .expect("log")
            .iter()
            .filter(|r| r.route == route)
            .count()
    }

    /// Forgets the request log.
    pub fn reset_log(&self) {
        self.state.log.lock().expect("log").clear();
    }

    /// The body the server answers for a v3 search, without a request (for parse benchmarks).
    pub fn search_v3_body(&self, query: &str, from: usize, size: usize) -> String {
        search_v3(query, from, size, &[]).to_string()
    }
}

/// Which route a path is, and its `(namespace, repository)` where it has one.
fn classify(path: &str) -> (Route, Option<(String, String)>) {
    let path = path.trim_end_matches('/');
    if path == "/api/search/v3/catalog/search" {
        return (Route::SearchV3, None);
    }
    if path == "/v2/search/repositories" {
        return (Route::SearchV2, None);
    }
    let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let repo = |ns: &str, name: &str| Some((ns.to_owned(), name.to_owned()));
    match parts.as_slice() {
        ["v2", "namespaces", ns, "repositories", name, "tags"] => (Route::Tags, repo(ns, name)),
        ["v2", "namespaces", ns, "repositories", name] => (Route::Repository, repo(ns, name)),
        ["v2", "repositories", ns, name, "tags"] => (Route::TagsLegacy, repo(ns, name)),
        ["v2", "repositories", ns, name] => (Route::RepositoryLegacy, repo(ns, name)),
        ["v2", rest @ ..] if rest.len() >= 3 && rest[rest.len() - 2] == "manifests" => {
            (Route::Manifest, None)
        }
        ["v2", rest @ ..] if rest.len() >= 3 && rest.ends_with(&["tags", "list"]) => (
            Route::TagsList,
            Some((String::new(), rest[..rest.len() - 2].join("/"))),
        ),
        _ => (Route::Other, None),
    }
}

impl State {
    async fn handle(&self, req: Request<Incoming>) -> Response<Body> {
        let path = req.uri().path().to_owned();
        let query: Vec<(String, String)> = req
            .uri()
            .query()
            .map(|q| {
                url::form_urlencoded::parse(q.as_bytes())
                    .into_owned()
                    .collect()
            })
            .unwrap_or_default();
        let (route, repo) = classify(&path);
        let entry = HubRequest {
            method: req.method().clone(),
            path,
            query,
            route,
        };
        self.log.lock().expect("log").push(entry.clone());
        if let Some(reply) = self.take_fault(route) {
            match reply {
                Reply::Status(status) => {
                    let status = StatusCode::from_u16(status).expect("a valid status");
                    return h::json(status, &json!({ "message": "injected by the test" }));
                }
                Reply::RateLimited {
                    limit,
                    retry_after,
                    reset,
                } => {
                    let mut r = h::json(
                        StatusCode::TOO_MANY_REQUESTS,
                        &json!({ "message": "Too Many Requests" }),
                    );
                    let headers = r.headers_mut();
                    headers.insert("x-ratelimit-limit", HeaderValue::from(limit));
                    headers.insert("x-ratelimit-remaining", HeaderValue::from(0u64));
                    headers.insert("x-ratelimit-reset", HeaderValue::from(reset));
                    headers.insert(http::header::RETRY_AFTER, HeaderValue::from(retry_after));
                    // The registry's spelling, as on a 429 for a manifest.
                    let registry_limit = format!("{limit};w=21600");
                    headers.insert(
                        "ratelimit-limit",
                        HeaderValue::from_str(&registry_limit).expect("a header value"),
                    );
                    headers.insert("ratelimit-remaining", HeaderValue::from_static("0;w=21600"));
                    return r;
                }
                Reply::Delay(d) => tokio::time::sleep(d).await,
                Reply::NotJson => {
                    let mut r = Response::new(h::full("<html><body>Bad gateway</body></html>"));
                    r.headers_mut().insert(
                        http::header::CONTENT_TYPE,
                        HeaderValue::from_static("text/html"),
                    );
                    return r;
                }
            }
        }
        let base = self.base.lock().expect("base").clone();
        match route {
            Route::SearchV3 => {
                let text = entry.param("query").unwrap_or_default();
                let from = number(entry.param("from"), 0);
                let size = number(entry.param("size"), 25);
                h::json(
                    StatusCode::OK,
                    &search_v3(text, from, size, &entry.params("badges")),
                )
            }
            Route::SearchV2 => {
                let text = entry.param("query").unwrap_or_default();
                let page = number(entry.param("page"), 1).max(1);
                let size = number(entry.param("page_size"), 25).max(1);
                h::json(StatusCode::OK, &search_v2(&base, text, page, size))
            }
            Route::Tags | Route::TagsLegacy => {
                let (ns, name) = repo.expect("tag routes name a repository");
                let next_base = if self.foreign_next.load(Ordering::SeqCst) {
                    "http://evil.example".to_owned()
                } else {
                    base
                };
                match tags(&next_base, &entry, &ns, &name) {
                    Some(body) => h::json(StatusCode::OK, &body),
                    None => not_found(),
                }
            }
            Route::Repository | Route::RepositoryLegacy => {
                let (ns, name) = repo.expect("repository routes name a repository");
                match repository(&ns, &name) {
                    Some(body) => h::json(StatusCode::OK, &body),
                    None => not_found(),
                }
            }
            Route::Manifest => manifest(&entry.method),
            Route::TagsList => {
                let (_, name) = repo.expect("tags/list names a repository");
                tags_list(&entry, &name)
            }
            Route::Other => not_found(),
        }
    }

    fn take_fault(&self, route: Route) -> Option<Reply> {
        let mut faults = self.faults.lock().expect("faults");
        let index = faults.iter().position(|f| f.route == route)?;
        let fault = &mut faults[index];
        let reply = fault.reply.clone();
        if let Some(n) = fault.remaining.as_mut() {
            *n = n.saturating_sub(1);
            if *n == 0 {
                faults.remove(index);
            }
        }
        Some(reply)
    }
}

fn number(v: Option<&str>, default: usize) -> usize {
    v.and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn not_found() -> Response<Body> {
    h::json(
        StatusCode::NOT_FOUND,
        &json!({ "message": "object not found", "errinfo": {} }),
    )
}

fn recorded(text: &str) -> Value {
    serde_json::from_str(text).expect("a recorded fixture is JSON")
}

/// The recorded first v3 result, renamed to `namespace/name`.
fn generated_v3(namespace: &str, name: &str, i: usize) -> Value {
    let mut r = recorded(SEARCH_V3_NGINX)["results"][1].clone();
    r["id"] = json!(format!("{namespace}/{name}"));
    r["name"] = json!(name);
    r["slug"] = json!(format!("{namespace}/{name}"));
    r["publisher"]["name"] = json!(namespace);
    r["short_description"] = json!(format!("Generated repository number {i}"));
    r["star_count"] = json!(1000 - i);
    r["source"] = json!(if i.is_multiple_of(3) {
        "verified_publisher"
    } else {
        "community"
    });
    let repo = &mut r["rate_plans"][0]["repositories"][0];
    repo["name"] = json!(name);
    repo["namespace"] = json!(namespace);
    repo["pull_count"] = json!((1_000_000 - i * 1000).to_string());
    repo["is_trusted"] = json!(i.is_multiple_of(3));
    r
}

fn badge_of(result: &Value) -> Option<&'static str> {
    match result["source"].as_str()? {
        "store" => Some("official"),
        "verified_publisher" => Some("verified_publisher"),
        "open_source" => Some("open_source"),
        _ => None,
    }
}

fn hostile_results() -> Vec<Value> {
    let mut results = recorded(SEARCH_V3_NGINX)["results"]
        .as_array()
        .expect("results")
        .clone();
    results[0]["short_description"] = json!(HOSTILE_DESCRIPTION);
    results[0]["logo_url"] =
        json!({ "small": "https://evil.example/logo.png", "large": "javascript:alert(1)" });
    results[1]["short_description"] =
        json!("\u{1b}[31mred\u{1b}[0m & \"quotes\" <img src=x onerror=alert(1)>\r\nsecond line");
    results[1]["publisher"]["name"] = json!("<b>bitnami</b>");
    results[2]["logo_url"] = json!({ "small": "https://media.docker.com/logo.png", "large": "" });
    results
}

fn sparse_results() -> Vec<Value> {
    vec![
        json!({ "slug": "acme/bare" }),
        json!({ "id": "acme/strings", "star_count": "12", "pull_count": 345, "rate_plans": null,
                "short_description": null, "logo_url": "https://evil.example/x.png" }),
        json!({ "name": "alpine", "source": "store", "rate_plans": [ { "repositories": "x" } ] }),
        json!(7),
        json!({ "short_description": "no name at all" }),
    ]
}

fn search_v3(text: &str, from: usize, size: usize, badges: &[&str]) -> Value {
    let keep = |r: &Value| badges.is_empty() || badge_of(r).is_some_and(|b| badges.contains(&b));
    let (total, results): (usize, Vec<Value>) = match text {
        MANY => {
            let all: Vec<Value> = (0..MANY_COUNT)
                .map(|i| generated_v3("acme", &format!("app-{i:03}"), i))
                .filter(keep)
                .collect();
            (all.len(), all.into_iter().skip(from).take(size).collect())
        }
        POPULAR => (
            10_000,
            (from..from + size)
                .map(|i| generated_v3("popular", &format!("repo-{i:05}"), i))
                .collect(),
        ),
        HOSTILE => {
            let all: Vec<Value> = hostile_results().into_iter().filter(keep).collect();
            (all.len(), all.into_iter().skip(from).take(size).collect())
        }
        SPARSE => {
            return json!({ "results": sparse_results() });
        }
        E2E_DEMO => {
            let mut r = recorded(SEARCH_V3_NGINX)["results"][0].clone();
            r["id"] = json!(format!("library/{E2E_DEMO}"));
            r["name"] = json!(E2E_DEMO);
            r["slug"] = json!(E2E_DEMO);
            r["short_description"] = json!("The end-to-end demo image <script>alert(1)</script>");
            let repo = &mut r["rate_plans"][0]["repositories"][0];
            repo["name"] = json!(E2E_DEMO);
            repo["namespace"] = json!("library");
            (1, vec![r].into_iter().filter(keep).collect())
        }
        _ => {
            let needle = text.to_lowercase();
            let all: Vec<Value> = recorded(SEARCH_V3_NGINX)["results"]
                .as_array()
                .expect("results")
                .iter()
                .filter(|r| {
                    let id = r["id"].as_str().unwrap_or_default().to_lowercase();
                    let d = r["short_description"]
                        .as_str()
                        .unwrap_or_default()
                        .to_lowercase();
                    id.contains(&needle) || d.contains(&needle)
                })
                .filter(|r| keep(r))
                .cloned()
                .collect();
            (all.len(), all.into_iter().skip(from).take(size).collect())
        }
    };
    json!({ "total": total, "results": results })
}

fn search_v2(base: &str, text: &str, page: usize, size: usize) -> Value {
    let all: Vec<Value> = match text {
        MANY => (0..MANY_COUNT)
            .map(|i| {
                json!({
                    "repo_name": format!("acme/app-{i:03}"),
                    "short_description": format!("Generated repository number {i}"),
                    "star_count": 1000 - i,
                    "pull_count": 1_000_000 - i * 1000,
                    "repo_owner": "",
                    "is_automated": false,
                    "is_official": false,
                })
            })
            .collect(),
        HOSTILE => {
            let mut r = recorded(SEARCH_V2_NGINX)["results"][0].clone();
            r["short_description"] = json!(HOSTILE_DESCRIPTION);
            vec![r]
        }
        _ => recorded(SEARCH_V2_NGINX)["results"]
            .as_array()
            .expect("results")
            .iter()
            .filter(|r| {
                r["repo_name"]
                    .as_str()
                    .unwrap_or_default()
                    .contains(&text.to_lowercase())
            })
            .cloned()
            .collect(),
    };
    let start = (page - 1) * size;
    let results: Vec<Value> = all.iter().skip(start).take(size).cloned().collect();
    let next = (start + size < all.len()).then(|| {
        format!(
            "{base}/v2/search/repositories/?query={}&page={}&page_size={size}",
            encode(text),
            page + 1
        )
    });
    let previous = (page > 1).then(|| {
        format!(
            "{base}/v2/search/repositories/?query={}&page={}&page_size={size}",
            encode(text),
            page - 1
        )
    });
    json!({ "count": all.len(), "next": next, "previous": previous, "results": results })
}

fn encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

fn generated_tag(i: usize) -> Value {
    let hex = |c: usize| format!("sha256:{:064x}", c);
    json!({
        "id": i + 100,
        "name": format!("v{i:02}"),
        "full_size": 30_000_000 + i * 1000,
        // Tag v00 is the newest.
        "last_updated": format!("2026-10-{:02}T00:00:00.000000Z", 28 - (i % 28)),
        "tag_status": "active",
        "digest": hex(0x1000 + i),
        "images": [
            { "architecture": "amd64", "os": "linux", "variant": null, "digest": hex(0x2000 + i),
              "size": 30_000_000 + i * 1000, "status": "active" },
            { "architecture": "arm", "os": "linux", "variant": "v7", "digest": hex(0x3000 + i),
              "size": 28_000_000 + i * 1000, "status": "active" },
        ],
    })
}

fn tags(base: &str, req: &HubRequest, ns: &str, name: &str) -> Option<Value> {
    let mut all: Vec<Value> = match format!("{ns}/{name}").as_str() {
        "library/nginx" => recorded(TAGS_LIBRARY_NGINX)["results"]
            .as_array()
            .expect("results")
            .clone(),
        MANY_TAGS_REPO => (0..MANY_TAGS_COUNT).map(generated_tag).collect(),
        "library/e2e-demo" => {
            let mut tag = generated_tag(0);
            tag["name"] = json!("1.0");
            tag["images"][1]["architecture"] = json!("arm64");
            tag["images"][1]["variant"] = json!(null);
            vec![tag]
        }
        _ => return None,
    };
    if let Some(filter) = req.param("name").filter(|f| !f.is_empty()) {
        all.retain(|t| t["name"].as_str().unwrap_or_default().contains(filter));
    }
    if req.param("ordering") == Some("name") {
        all.sort_by(|a, b| a["name"].as_str().cmp(&b["name"].as_str()));
    }
    let page = number(req.param("page"), 1).max(1);
    let size = number(req.param("page_size"), 10).clamp(1, 100);
    let start = (page - 1) * size;
    let results: Vec<Value> = all.iter().skip(start).take(size).cloned().collect();
    let link = |page: usize| {
        let mut query: Vec<(String, String)> = req
            .query
            .iter()
            .filter(|(k, _)| k != "page")
            .cloned()
            .collect();
        query.push(("page".into(), page.to_string()));
        let query: String = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(query)
            .finish();
        format!("{base}{}?{query}", req.path)
    };
    let next = (start + size < all.len()).then(|| link(page + 1));
    let previous = (page > 1).then(|| link(page - 1));
    Some(json!({ "count": all.len(), "next": next, "previous": previous, "results": results }))
}

fn repository(ns: &str, name: &str) -> Option<Value> {
    match format!("{ns}/{name}").as_str() {
        "library/nginx" => Some(recorded(REPOSITORY_LIBRARY_NGINX)),
        MANY_TAGS_REPO => Some(json!({
            "namespace": ns, "name": name, "description": "Many tags",
            "star_count": "3", "pull_count": "4500", "last_updated": "2026-10-28T00:00:00Z",
        })),
        _ => None,
    }
}

/// The registry's `tags/list`, paged as distribution 3 and Docker Hub's registry do: `n` and
/// `last`, and a `Link: <…>; rel="next"` header while more follow.
fn tags_list(req: &HubRequest, name: &str) -> Response<Body> {
    let all: Vec<String> = match name {
        "library/nginx" => vec!["1.27".into(), "latest".into()],
        MANY_TAGS_REPO => (0..MANY_TAGS_COUNT).map(|i| format!("v{i:02}")).collect(),
        _ => {
            return h::json(
                StatusCode::NOT_FOUND,
                &json!({ "errors": [{ "code": "NAME_UNKNOWN", "message": "repository name not known to registry" }] }),
            );
        }
    };
    let last = req.param("last").unwrap_or_default();
    let rest: Vec<&String> = all.iter().filter(|t| t.as_str() > last).collect();
    let n = req
        .param("n")
        .and_then(|n| n.parse().ok())
        .unwrap_or(rest.len());
    let page: Vec<&String> = rest.iter().take(n).copied().collect();
    let mut response = h::json(StatusCode::OK, &json!({ "name": name, "tags": page }));
    if rest.len() > n
        && let Some(last) = page.last()
    {
        let link = format!(
            "</v2/{name}/tags/list?last={}&n={n}>; rel=\"next\"",
            encode(last)
        );
        response.headers_mut().insert(
            http::header::LINK,
            HeaderValue::from_str(&link).expect("a header value"),
        );
    }
    response
}

fn manifest(method: &Method) -> Response<Body> {
    let body = json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [],
    })
    .to_string();
    let digest = crate::fixtures::sha256_digest(body.as_bytes());
    let length = body.len();
    let mut r = if method == Method::HEAD {
        Response::new(h::empty())
    } else {
        Response::new(h::full(body))
    };
    let headers = r.headers_mut();
    headers.insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/vnd.oci.image.index.v1+json"),
    );
    headers.insert(http::header::CONTENT_LENGTH, HeaderValue::from(length));
    headers.insert(
        "docker-content-digest",
        HeaderValue::from_str(&digest).expect("a digest is a header value"),
    );
    headers.insert("ratelimit-limit", HeaderValue::from_static("100;w=21600"));
    headers.insert(
        "ratelimit-remaining",
        HeaderValue::from_static("76;w=21600"),
    );
    headers.insert(
        "docker-ratelimit-source",
        HeaderValue::from_static("127.0.0.1"),
    );
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_are_told_apart() {
        assert_eq!(classify("/api/search/v3/catalog/search").0, Route::SearchV3);
        assert_eq!(classify("/v2/search/repositories/").0, Route::SearchV2);
        assert_eq!(
            classify("/v2/namespaces/library/repositories/nginx/tags").0,
            Route::Tags
        );
        assert_eq!(
            classify("/v2/repositories/library/nginx/tags/").0,
            Route::TagsLegacy
        );
        assert_eq!(
            classify("/v2/namespaces/library/repositories/nginx").0,
            Route::Repository
        );
        assert_eq!(
            classify("/v2/repositories/library/nginx/").0,
            Route::RepositoryLegacy
        );
        assert_eq!(
            classify("/v2/library/nginx/manifests/latest").0,
            Route::Manifest
        );
        assert_eq!(classify("/v2/").0, Route::Other);
    }

    #[test]
    fn pages_are_sliced_and_filtered() {
        let page = search_v3(MANY, 50, 25, &[]);
        assert_eq!(page["total"], MANY_COUNT);
        assert_eq!(page["results"].as_array().map(Vec::len), Some(10));
        let verified = search_v3(MANY, 0, 100, &["verified_publisher"]);
        assert_eq!(verified["total"], MANY_COUNT.div_ceil(3));
        let official = search_v3("nginx", 0, 25, &["official"]);
        assert_eq!(official["total"], 1);
        assert_eq!(search_v3("redis", 0, 25, &[])["total"], 0);
    }
}
