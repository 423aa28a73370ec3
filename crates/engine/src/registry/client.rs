//! The HTTP side of the registry client: which base URL serves a reference (mirrors,
//! plain HTTP for loopback), authentication on demand, retries and redirects.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use base64::Engine as _;
use reqwest::header::{self, HeaderMap, HeaderValue};
use reqwest::{Method, Response, StatusCode};
use tokio_util::sync::CancellationToken;
use url::Url;

use super::RegistryError;
use super::auth::{Challenge, TokenCache, TokenKey, TokenResponse, parse_challenge};
use super::credentials::{CredentialStore, Credentials};
use crate::Reference;
use crate::config::Config;
use crate::web::USER_AGENT;

/// Docker Hub's registry API host: `docker.io` names are served from here.
pub const DOCKER_HUB_REGISTRY: &str = "https://registry-1.docker.io";
const MAX_REDIRECTS: usize = 10;

/// A base URL that serves a registry's `/v2/` API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// Ends in `/`; `v2/...` is joined onto it.
    pub base: Url,
    /// The registry name for messages, settings and credentials (`docker.io`,
    /// `127.0.0.1:5000`, or a mirror's `host:port`).
    pub host: String,
    /// A docker.io mirror rather than the origin.
    pub mirror: bool,
}

impl Endpoint {
    pub fn url(&self, repository: &str, tail: &str) -> Url {
        let mut url = self.base.clone();
        let path = format!("{}v2/{repository}/{tail}", url.path());
        url.set_path(&path);
        url
    }
}

/// How often and how patiently transient failures are retried.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    pub attempts: u32,
    pub first_delay: Duration,
    pub max_delay: Duration,
    /// The longest `Retry-After` we are willing to wait; longer ones fail at once.
    pub max_retry_after: Duration,
    /// How long a blob download may go without a byte before its connection counts as
    /// broken and the download resumes on a new one (a stalled server or middlebox).
    pub stall_timeout: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            attempts: 6,
            first_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(10),
            max_retry_after: Duration::from_secs(60),
            stall_timeout: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    pub fn delay(&self, attempt: u32) -> Duration {
        let factor = 1u32 << attempt.min(16);
        (self.first_delay * factor).min(self.max_delay)
    }
}

/// A registry client shared by every pull of a process. Cheap to clone.
#[derive(Clone)]
pub struct RegistryClient {
    inner: Arc<Inner>,
    retry: RetryPolicy,
    /// Whether a host that cannot be connected to at all is retried (see
    /// [`RegistryClient::failing_fast_when_unreachable`]).
    retry_unreachable: bool,
}

struct Inner {
    config: Config,
    credentials: CredentialStore,
    default_http: reqwest::Client,
    /// Clients for registries with their own CA file.
    tls_http: Mutex<HashMap<String, reqwest::Client>>,
    /// The challenge each host answered with, so later requests authenticate up front.
    challenges: Mutex<HashMap<String, Challenge>>,
    tokens: TokenCache,
    /// Credentials looked up per host (the lookup may run a helper program).
    creds_cache: Mutex<HashMap<String, Option<Credentials>>>,
}

/// Install rustls' ring provider once per process (reqwest is built without a default
/// one). Every HTTP client of the engine calls this before it is built.
pub(crate) fn install_crypto_provider() {
    static PROVIDER: OnceLock<()> = OnceLock::new();
    PROVIDER.get_or_init(|| {
        // Ignore the error: another part of the process may have installed one already.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

fn build_http(extra_roots: Vec<reqwest::Certificate>) -> Result<reqwest::Client, reqwest::Error> {
    install_crypto_provider();
    let mut builder = reqwest::Client::builder()
        .user_agent(USER_AGENT)
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(Duration::from_secs(15))
        .read_timeout(Duration::from_secs(60))
        .tcp_nodelay(true)
        .pool_max_idle_per_host(32);
    if !extra_roots.is_empty() {
        builder = builder.tls_certs_merge(extra_roots);
    }
    builder.build()
}

fn is_loopback(host: &str) -> bool {
    let name = host
        .rsplit_once(':')
        .filter(|(_, port)| port.chars().all(|c| c.is_ascii_digit()))
        .map_or(host, |(name, _)| name);
    let name = name.trim_start_matches('[').trim_end_matches(']');
    name == "localhost" || name.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

impl RegistryClient {
    pub fn new(config: Config, credentials: CredentialStore) -> Result<Self, RegistryError> {
        let default_http = build_http(Vec::new()).map_err(|e| RegistryError::Tls {
            registry: "(default)".into(),
            reason: e.to_string(),
        })?;
        Ok(RegistryClient {
            inner: Arc::new(Inner {
                config,
                credentials,
                default_http,
                tls_http: Mutex::default(),
                challenges: Mutex::default(),
                tokens: TokenCache::default(),
                creds_cache: Mutex::default(),
            }),
            retry: RetryPolicy::default(),
            retry_unreachable: true,
        })
    }

    /// The same client (sharing its caches) with another retry policy (tests use short delays).
    pub fn with_retry(self, retry: RetryPolicy) -> Self {
        RegistryClient { retry, ..self }
    }

    /// The same client (sharing its caches), except that a host that refuses the connection
    /// or cannot be resolved fails at once instead of being retried with backoff. For a
    /// docker.io mirror while resolving: another source follows, so a dead mirror should
    /// cost a failed connection, not the whole retry schedule, as with Docker.
    pub(crate) fn failing_fast_when_unreachable(&self) -> RegistryClient {
        RegistryClient {
            inner: self.inner.clone(),
            retry: self.retry.clone(),
            retry_unreachable: false,
        }
    }

    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.retry
    }

    /// The endpoints that serve `reference`, in the order to try them: docker.io's
    /// mirrors first, then the origin. Plain HTTP is used for loopback registries
    /// (as Docker treats `localhost`) and for ones configured `insecure`; HTTPS otherwise.
    pub fn endpoints(&self, reference: &Reference) -> Result<Vec<Endpoint>, RegistryError> {
        self.endpoints_for_host(reference.registry())
    }

    pub fn endpoints_for_host(&self, registry: &str) -> Result<Vec<Endpoint>, RegistryError> {
        let mut endpoints = Vec::new();
        if registry == "docker.io" {
            let mirrors = self
                .inner
                .config
                .mirror_urls()
                .map_err(|e| RegistryError::Tls {
                    registry: registry.to_owned(),
                    reason: e.to_string(),
                })?;
            for mut base in mirrors {
                if !base.path().ends_with('/') {
                    let path = format!("{}/", base.path());
                    base.set_path(&path);
                }
                let host = host_of(&base);
                endpoints.push(Endpoint {
                    base,
                    host,
                    mirror: true,
                });
            }
            endpoints.push(Endpoint {
                base: Url::parse(&format!("{DOCKER_HUB_REGISTRY}/")).expect("constant URL"),
                host: "docker.io".into(),
                mirror: false,
            });
        } else {
            let settings = self.inner.config.registry(registry);
            let plain = settings.is_some_and(|s| s.insecure)
                || (is_loopback(registry) && settings.and_then(|s| s.ca_file.as_ref()).is_none());
            let scheme = if plain { "http" } else { "https" };
            let base = Url::parse(&format!("{scheme}://{registry}/")).map_err(|e| {
                RegistryError::BadRedirect {
                    registry: registry.to_owned(),
                    url: registry.to_owned(),
                    reason: e.to_string(),
                }
            })?;
            endpoints.push(Endpoint {
                base,
                host: registry.to_owned(),
                mirror: false,
            });
        }
        Ok(endpoints)
    }

    fn http_for(&self, endpoint: &Endpoint) -> Result<reqwest::Client, RegistryError> {
        let Some(ca_file) = self
            .inner
            .config
            .registry(&endpoint.host)
            .and_then(|s| s.ca_file.clone())
        else {
            return Ok(self.inner.default_http.clone());
        };
        let mut clients = self
            .inner
            .tls_http
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if let Some(c) = clients.get(&endpoint.host) {
            return Ok(c.clone());
        }
        let tls_err = |reason: String| RegistryError::Tls {
            registry: endpoint.host.clone(),
            reason,
        };
        let pem = std::fs::read(&ca_file)
            .map_err(|e| tls_err(format!("cannot read CA file {}: {e}", ca_file.display())))?;
        let certs = reqwest::Certificate::from_pem_bundle(&pem)
            .map_err(|e| tls_err(format!("CA file {} is not PEM: {e}", ca_file.display())))?;
        let client = build_http(certs).map_err(|e| tls_err(e.to_string()))?;
        clients.insert(endpoint.host.clone(), client.clone());
        Ok(client)
    }

    async fn credentials_for(&self, host: &str) -> Result<Option<Credentials>, RegistryError> {
        if let Some(c) = self
            .inner
            .creds_cache
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(host)
        {
            return Ok(c.clone());
        }
        let store = self.inner.credentials.clone();
        let key = host.to_owned();
        let found = tokio::task::spawn_blocking(move || store.get(&key, None))
            .await
            .map_err(|e| RegistryError::Token {
                registry: host.to_owned(),
                realm: "credential lookup".into(),
                reason: e.to_string(),
            })??;
        self.inner
            .creds_cache
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(host.to_owned(), found.clone());
        Ok(found)
    }

    /// Send a request for `repository` on `endpoint`, authenticating as the registry asks,
    /// retrying transient failures and following redirects. Non-success statuses other
    /// than 401/429/5xx are returned to the caller as responses.
    pub async fn send(
        &self,
        endpoint: &Endpoint,
        repository: &str,
        method: Method,
        url: Url,
        headers: HeaderMap,
        cancel: &CancellationToken,
    ) -> Result<Response, RegistryError> {
        let scope = format!("repository:{repository}:pull");
        self.send_scoped(endpoint, repository, &scope, method, url, headers, cancel)
            .await
    }

    /// [`RegistryClient::send`] with a token `scope` of the caller's choosing, e.g.
    /// `registry:catalog:*` for `/v2/_catalog`; `what` names the resource in errors.
    #[allow(clippy::too_many_arguments)]
    pub async fn send_scoped(
        &self,
        endpoint: &Endpoint,
        what: &str,
        scope: &str,
        method: Method,
        url: Url,
        headers: HeaderMap,
        cancel: &CancellationToken,
    ) -> Result<Response, RegistryError> {
        self.send_scoped_body(endpoint, what, scope, method, url, headers, None, cancel)
            .await
    }

    /// [`RegistryClient::send_scoped`] with a request body: `body` makes it afresh for each
    /// attempt (a retry, a fresh token, a redirect), so a streamed upload can be sent again.
    /// `url` may name another host than `endpoint` (an upload `Location`): credentials then
    /// stay with the registry and the request goes without them.
    #[allow(clippy::too_many_arguments)]
    pub async fn send_with_body(
        &self,
        endpoint: &Endpoint,
        what: &str,
        scope: &str,
        method: Method,
        url: Url,
        headers: HeaderMap,
        body: &RequestBody<'_>,
        cancel: &CancellationToken,
    ) -> Result<Response, RegistryError> {
        if url.origin() != endpoint.base.origin() {
            let elsewhere = Endpoint {
                base: url.clone(),
                host: host_of(&url),
                mirror: false,
            };
            return self
                .send_scoped_body(
                    &elsewhere,
                    what,
                    scope,
                    method,
                    url,
                    headers,
                    Some(body),
                    cancel,
                )
                .await;
        }
        self.send_scoped_body(
            endpoint,
            what,
            scope,
            method,
            url,
            headers,
            Some(body),
            cancel,
        )
        .await
    }

    #[allow(clippy::too_many_arguments)]
    async fn send_scoped_body(
        &self,
        endpoint: &Endpoint,
        what: &str,
        scope: &str,
        method: Method,
        url: Url,
        headers: HeaderMap,
        body: Option<&RequestBody<'_>>,
        cancel: &CancellationToken,
    ) -> Result<Response, RegistryError> {
        let repository = what;
        let mut attempt = 0;
        loop {
            let result = self
                .send_authenticated(
                    endpoint, repository, scope, &method, &url, &headers, body, cancel,
                )
                .await;
            match result {
                Err(e)
                    if e.is_transient()
                        && attempt + 1 < self.retry.attempts
                        && (self.retry_unreachable || !e.is_unreachable()) =>
                {
                    let wait = match &e {
                        RegistryError::RateLimited {
                            retry_after: Some(d),
                            ..
                        } => {
                            if *d > self.retry.max_retry_after {
                                return Err(e);
                            }
                            *d
                        }
                        _ => self.retry.delay(attempt),
                    };
                    tracing::debug!(registry = %endpoint.host, %url, attempt, error = %e, ?wait, "retrying");
                    attempt += 1;
                    tokio::select! {
                        _ = cancel.cancelled() => return Err(RegistryError::Cancelled),
                        _ = tokio::time::sleep(wait) => {}
                    }
                }
                other => return other,
            }
        }
    }

    /// Runs `fetch` (a request and the reading of its whole, small body: a manifest, a
    /// config) again when the body breaks off mid-way. [`RegistryClient::send`] retries
    /// requests that fail; this retries reads that fail, on the same schedule.
    pub(crate) async fn retry_broken_body<T, F, Fut>(
        &self,
        cancel: &CancellationToken,
        mut fetch: F,
    ) -> Result<T, RegistryError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, RegistryError>>,
    {
        let mut attempt = 0;
        loop {
            match fetch().await {
                Err(e @ RegistryError::Body { .. }) if attempt + 1 < self.retry.attempts => {
                    let wait = self.retry.delay(attempt);
                    tracing::debug!(error = %e, attempt, ?wait, "the body broke off; fetching again");
                    attempt += 1;
                    tokio::select! {
                        _ = cancel.cancelled() => return Err(RegistryError::Cancelled),
                        _ = tokio::time::sleep(wait) => {}
                    }
                }
                other => return other,
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    async fn send_authenticated(
        &self,
        endpoint: &Endpoint,
        repository: &str,
        scope: &str,
        method: &Method,
        url: &Url,
        headers: &HeaderMap,
        body: Option<&RequestBody<'_>>,
        cancel: &CancellationToken,
    ) -> Result<Response, RegistryError> {
        let known = self
            .inner
            .challenges
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&endpoint.host)
            .cloned();
        let mut auth = match &known {
            Some(challenge) => {
                self.authorization(endpoint, repository, challenge, scope, false, cancel)
                    .await?
            }
            None => None,
        };
        let mut refreshed = false;
        loop {
            let response = self
                .send_following_redirects(
                    endpoint,
                    method,
                    url,
                    headers,
                    body,
                    auth.as_ref(),
                    cancel,
                )
                .await?;
            let status = response.status();
            if status == StatusCode::UNAUTHORIZED {
                let raw_challenge = response
                    .headers()
                    .get(header::WWW_AUTHENTICATE)
                    .and_then(|v| v.to_str().ok());
                let challenge = raw_challenge.and_then(parse_challenge);
                let Some(challenge) = challenge else {
                    return Err(self.unauthorized(endpoint, repository).await);
                };
                if refreshed {
                    // A fresh token for a push that the registry still finds short of the
                    // scope: the token service knew the account but granted less than push.
                    if wants_push(scope)
                        && raw_challenge.is_some_and(|c| c.contains("insufficient_scope"))
                        && matches!(self.credentials_for(&endpoint.host).await, Ok(Some(_)))
                    {
                        return Err(RegistryError::PushDenied {
                            registry: endpoint.host.clone(),
                            repository: repository.to_owned(),
                        });
                    }
                    return Err(self.unauthorized(endpoint, repository).await);
                }
                // A token we sent was refused (expired or revoked): fetch a fresh one once.
                let had_auth = auth.is_some();
                self.inner
                    .challenges
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .insert(endpoint.host.clone(), challenge.clone());
                let challenge_scope = match &challenge {
                    Challenge::Bearer { scope: Some(s), .. } if s.contains(repository) => s.clone(),
                    _ => scope.to_owned(),
                };
                auth = self
                    .authorization(
                        endpoint,
                        repository,
                        &challenge,
                        &challenge_scope,
                        had_auth,
                        cancel,
                    )
                    .await?;
                if auth.is_none() {
                    return Err(self.unauthorized(endpoint, repository).await);
                }
                refreshed = true;
                continue;
            }
            if status == StatusCode::TOO_MANY_REQUESTS {
                return Err(rate_limited(&endpoint.host, response.headers()));
            }
            if status.is_server_error() {
                return Err(RegistryError::Status {
                    registry: endpoint.host.clone(),
                    status: status.as_u16(),
                    url: url.to_string(),
                });
            }
            return Ok(response);
        }
    }

    async fn unauthorized(&self, endpoint: &Endpoint, repository: &str) -> RegistryError {
        let has_creds = matches!(self.credentials_for(&endpoint.host).await, Ok(Some(_)));
        if has_creds {
            RegistryError::CredentialsRefused {
                registry: endpoint.host.clone(),
                repository: repository.to_owned(),
            }
        } else {
            RegistryError::AuthRequired {
                registry: endpoint.host.clone(),
                repository: repository.to_owned(),
            }
        }
    }

    /// The `Authorization` header value a challenge calls for, or `None` for anonymous
    /// access where the scheme is Basic and we have no credentials.
    async fn authorization(
        &self,
        endpoint: &Endpoint,
        repository: &str,
        challenge: &Challenge,
        scope: &str,
        force_new: bool,
        cancel: &CancellationToken,
    ) -> Result<Option<HeaderValue>, RegistryError> {
        let creds = self.credentials_for(&endpoint.host).await?;
        match challenge {
            Challenge::Basic { .. } => Ok(creds.map(|c| basic_header(&c))),
            Challenge::Bearer { realm, service, .. } => {
                let key = TokenKey {
                    realm: realm.clone(),
                    service: service.clone().unwrap_or_default(),
                    scope: scope.to_owned(),
                    account: creds
                        .as_ref()
                        .map(|c| c.username.clone())
                        .unwrap_or_default(),
                };
                if force_new {
                    self.inner.tokens.forget(&key);
                } else if let Some(t) = self.inner.tokens.get(&key, Instant::now()) {
                    return Ok(Some(bearer_header(&t)));
                }
                let token = self
                    .fetch_token(endpoint, repository, &key, creds.as_ref(), cancel)
                    .await?;
                Ok(Some(bearer_header(&token)))
            }
        }
    }

    async fn fetch_token(
        &self,
        endpoint: &Endpoint,
        repository: &str,
        key: &TokenKey,
        creds: Option<&Credentials>,
        cancel: &CancellationToken,
    ) -> Result<String, RegistryError> {
        let token_err = |reason: String| RegistryError::Token {
            registry: endpoint.host.clone(),
            realm: key.realm.clone(),
            reason,
        };
        let realm = Url::parse(&key.realm).map_err(|e| token_err(format!("bad realm URL: {e}")))?;
        if realm.scheme() == "http"
            && !is_loopback(&host_of(&realm))
            && !endpoint.base.scheme().eq("http")
        {
            return Err(token_err(
                "refusing to send credentials to a plain-HTTP token service".into(),
            ));
        }
        let http = self.http_for(endpoint)?;
        let request = match creds {
            // An identity token (from `docker login` with OAuth) is exchanged with a POST.
            Some(c) if c.is_identity_token() => {
                let form = [
                    ("grant_type", "refresh_token"),
                    ("refresh_token", c.secret.expose()),
                    ("service", key.service.as_str()),
                    ("scope", key.scope.as_str()),
                    ("client_id", "porthole"),
                ];
                http.post(realm.clone()).form(&form)
            }
            _ => {
                let mut url = realm.clone();
                {
                    let mut q = url.query_pairs_mut();
                    if !key.service.is_empty() {
                        q.append_pair("service", &key.service);
                    }
                    // One `scope` parameter per scope, as Docker sends them (a push that
                    // mounts a blob asks for two repositories).
                    for scope in key.scope.split(' ').filter(|s| !s.is_empty()) {
                        q.append_pair("scope", scope);
                    }
                    if let Some(c) = creds {
                        q.append_pair("account", &c.username);
                    }
                }
                let mut r = http.get(url);
                if let Some(c) = creds {
                    r = r.header(header::AUTHORIZATION, basic_header(c));
                }
                r
            }
        };
        let response = tokio::select! {
            _ = cancel.cancelled() => return Err(RegistryError::Cancelled),
            r = request.send() => r.map_err(|source| RegistryError::Connect { registry: host_of(&realm), source })?,
        };
        let status = response.status();
        if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
            return Err(if creds.is_some() {
                RegistryError::CredentialsRefused {
                    registry: endpoint.host.clone(),
                    repository: repository.to_owned(),
                }
            } else {
                RegistryError::AuthRequired {
                    registry: endpoint.host.clone(),
                    repository: repository.to_owned(),
                }
            });
        }
        if status == StatusCode::TOO_MANY_REQUESTS {
            return Err(rate_limited(&endpoint.host, response.headers()));
        }
        if !status.is_success() {
            return Err(if status.is_server_error() {
                RegistryError::Status {
                    registry: endpoint.host.clone(),
                    status: status.as_u16(),
                    url: key.realm.clone(),
                }
            } else {
                token_err(format!("it answered {status}"))
            });
        }
        let body = read_capped(response, 1 << 20, &endpoint.host, "the token response").await?;
        let parsed: TokenResponse = serde_json::from_slice(&body)
            .map_err(|e| token_err(format!("its answer is not a token: {e}")))?;
        let token = parsed
            .bearer()
            .ok_or_else(|| token_err("its answer holds no token".into()))?
            .to_owned();
        self.inner.tokens.put(
            key.clone(),
            token.clone(),
            Instant::now() + parsed.lifetime(),
        );
        Ok(token)
    }

    /// Follow up to [`MAX_REDIRECTS`] redirects by hand, so that `Authorization` goes only
    /// to the origin it was meant for (blob storage on another host never sees it).
    #[allow(clippy::too_many_arguments)]
    async fn send_following_redirects(
        &self,
        endpoint: &Endpoint,
        method: &Method,
        url: &Url,
        headers: &HeaderMap,
        body: Option<&RequestBody<'_>>,
        auth: Option<&HeaderValue>,
        cancel: &CancellationToken,
    ) -> Result<Response, RegistryError> {
        let http = self.http_for(endpoint)?;
        let origin = url.origin();
        let mut current = url.clone();
        for _ in 0..=MAX_REDIRECTS {
            let mut request = http
                .request(method.clone(), current.clone())
                .headers(headers.clone());
            if let Some(body) = body {
                request = request.body(body());
            }
            if let Some(auth) = auth.filter(|_| current.origin() == origin) {
                request = request.header(header::AUTHORIZATION, auth.clone());
            }
            let response = tokio::select! {
                _ = cancel.cancelled() => return Err(RegistryError::Cancelled),
                r = request.send() => r.map_err(|source| RegistryError::Connect { registry: endpoint.host.clone(), source })?,
            };
            if !response.status().is_redirection() || response.status() == StatusCode::NOT_MODIFIED
            {
                return Ok(response);
            }
            let bad = |reason: &str| RegistryError::BadRedirect {
                registry: endpoint.host.clone(),
                url: current.to_string(),
                reason: reason.to_owned(),
            };
            let location = response
                .headers()
                .get(header::LOCATION)
                .ok_or_else(|| bad("no Location header"))?
                .to_str()
                .map_err(|_| bad("Location is not text"))?;
            let next = current.join(location).map_err(|e| bad(&e.to_string()))?;
            if !matches!(next.scheme(), "http" | "https") {
                return Err(bad("redirect to a non-HTTP URL"));
            }
            if current.scheme() == "https"
                && next.scheme() == "http"
                && !is_loopback(&host_of(&next))
            {
                return Err(bad("redirect from HTTPS to plain HTTP"));
            }
            current = next;
        }
        Err(RegistryError::TooManyRedirects {
            registry: endpoint.host.clone(),
            url: url.to_string(),
            limit: MAX_REDIRECTS,
        })
    }

    /// Check credentials against a registry, as `docker login` does: ping `/v2/` and, for
    /// a token registry, ask for a token with them.
    pub async fn check_login(
        &self,
        registry: &str,
        creds: &Credentials,
        cancel: &CancellationToken,
    ) -> Result<(), RegistryError> {
        let endpoint = self
            .endpoints_for_host(registry)?
            .pop()
            .expect("at least the origin");
        let http = self.http_for(&endpoint)?;
        let ping = endpoint.base.join("v2/").expect("static path");
        let response = tokio::select! {
            _ = cancel.cancelled() => return Err(RegistryError::Cancelled),
            r = http.get(ping.clone()).send() => r.map_err(|source| RegistryError::Connect { registry: registry.to_owned(), source })?,
        };
        if response.status().is_success() {
            return Ok(());
        }
        let refused = || RegistryError::CredentialsRefused {
            registry: registry.to_owned(),
            repository: "the registry".into(),
        };
        let challenge = response
            .headers()
            .get(header::WWW_AUTHENTICATE)
            .and_then(|v| v.to_str().ok())
            .and_then(parse_challenge)
            .ok_or_else(|| RegistryError::Status {
                registry: registry.to_owned(),
                status: response.status().as_u16(),
                url: ping.to_string(),
            })?;
        match challenge {
            Challenge::Basic { .. } => {
                let r = http
                    .get(ping.clone())
                    .header(header::AUTHORIZATION, basic_header(creds))
                    .send()
                    .await
                    .map_err(|source| RegistryError::Connect {
                        registry: registry.to_owned(),
                        source,
                    })?;
                if r.status().is_success() {
                    Ok(())
                } else {
                    Err(refused())
                }
            }
            Challenge::Bearer { realm, service, .. } => {
                let key = TokenKey {
                    realm,
                    service: service.unwrap_or_default(),
                    scope: String::new(),
                    account: creds.username.clone(),
                };
                self.fetch_token(&endpoint, "the registry", &key, Some(creds), cancel)
                    .await
                    .map(|_| ())
            }
        }
    }
}

/// A request body, made afresh for every attempt of a request.
pub type RequestBody<'a> = dyn Fn() -> reqwest::Body + Send + Sync + 'a;

/// The `repository:NAME:pull,push` scope a push needs.
pub fn push_scope(repository: &str) -> String {
    format!("repository:{repository}:pull,push")
}

/// Whether a (space-separated) token scope asks to push to its first repository.
fn wants_push(scope: &str) -> bool {
    scope
        .split(' ')
        .next()
        .and_then(|s| s.rsplit_once(':'))
        .is_some_and(|(_, actions)| actions.split(',').any(|a| a == "push" || a == "*"))
}

fn basic_header(c: &Credentials) -> HeaderValue {
    let raw = format!("{}:{}", c.username, c.secret.expose());
    let mut v = HeaderValue::from_str(&format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(raw)
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("Basic"));
    v.set_sensitive(true);
    v
}

fn bearer_header(token: &str) -> HeaderValue {
    let mut v = HeaderValue::from_str(&format!("Bearer {token}"))
        .unwrap_or_else(|_| HeaderValue::from_static("Bearer"));
    v.set_sensitive(true);
    v
}

pub(crate) fn host_of(url: &Url) -> String {
    match (url.host_str(), url.port()) {
        (Some(h), Some(p)) => format!("{h}:{p}"),
        (Some(h), None) => h.to_owned(),
        _ => url.to_string(),
    }
}

/// A 429's `Retry-After` (seconds or an HTTP date) and Docker Hub's `ratelimit-limit`.
pub(crate) fn rate_limited(registry: &str, headers: &HeaderMap) -> RegistryError {
    let retry_after = headers
        .get(header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.trim()
                .parse::<u64>()
                .map(Duration::from_secs)
                .ok()
                .or_else(|| {
                    httpdate::parse_http_date(v).ok().map(|t| {
                        t.duration_since(std::time::SystemTime::now())
                            .unwrap_or_default()
                    })
                })
        });
    let limit = headers
        .get("ratelimit-limit")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    RegistryError::RateLimited {
        registry: registry.to_owned(),
        limit,
        retry_after,
    }
}

/// Read a whole (small) body, refusing more than `limit` bytes without buffering them.
pub(crate) async fn read_capped(
    mut response: Response,
    limit: u64,
    registry: &str,
    what: &str,
) -> Result<Vec<u8>, RegistryError> {
    let too_large = |size: u64| RegistryError::TooLarge {
        registry: registry.to_owned(),
        what: what.to_owned(),
        size,
        limit,
    };
    if let Some(len) = response.content_length().filter(|l| *l > limit) {
        return Err(too_large(len));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|source| RegistryError::Body {
            registry: registry.to_owned(),
            what: what.to_owned(),
            source,
        })?
    {
        if body.len() as u64 + chunk.len() as u64 > limit {
            return Err(too_large(body.len() as u64 + chunk.len() as u64));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_detection() {
        for h in [
            "localhost",
            "localhost:5000",
            "127.0.0.1:5000",
            "127.0.0.2",
            "[::1]:5000",
        ] {
            assert!(is_loopback(h), "{h}");
        }
        for h in [
            "docker.io",
            "10.0.0.1:5000",
            "example.com:5000",
            "localhost.example.com",
        ] {
            assert!(!is_loopback(h), "{h}");
        }
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let p = RetryPolicy::default();
        assert!(p.delay(1) > p.delay(0));
        assert_eq!(p.delay(30), p.max_delay);
    }

    #[test]
    fn retry_after_seconds_and_limit_header() {
        let mut h = HeaderMap::new();
        h.insert(header::RETRY_AFTER, HeaderValue::from_static("7"));
        h.insert("ratelimit-limit", HeaderValue::from_static("100;w=21600"));
        match rate_limited("docker.io", &h) {
            RegistryError::RateLimited {
                retry_after, limit, ..
            } => {
                assert_eq!(retry_after, Some(Duration::from_secs(7)));
                assert_eq!(limit.as_deref(), Some("100;w=21600"));
            }
            other => panic!("{other:?}"),
        }
        let msg = rate_limited("docker.io", &h).to_string();
        assert!(msg.contains("100;w=21600") && msg.contains("7s"), "{msg}");
    }

    #[test]
    fn push_scopes_are_recognised() {
        assert!(wants_push(&push_scope("team/app")));
        assert!(wants_push(
            "repository:team/app:pull,push repository:base/app:pull"
        ));
        assert!(wants_push("repository:127.0.0.1:5000/x:*"));
        assert!(!wants_push("repository:team/app:pull"));
        assert!(!wants_push("registry:catalog:*x"));
        assert!(!wants_push(""));
    }

    #[test]
    fn endpoint_urls_keep_mirror_path_prefix() {
        let e = Endpoint {
            base: Url::parse("http://127.0.0.1:5000/prefix/").unwrap(),
            host: "127.0.0.1:5000".into(),
            mirror: true,
        };
        assert_eq!(
            e.url("library/nginx", "manifests/latest").as_str(),
            "http://127.0.0.1:5000/prefix/v2/library/nginx/manifests/latest"
        );
    }
}
