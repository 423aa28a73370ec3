//! A token server in the manner of `auth.docker.io`, which `docker-registry`'s `auth: token`
//! accepts.
//!
//! `GET /token?service=…&scope=repository:NAME:pull,push&account=…`, with or without Basic auth,
//! answers `{"token","access_token","expires_in","issued_at"}`. The token is a JWT signed with
//! ES256 by the key of a self-signed certificate; the certificate travels in the JWT header's
//! `x5c`, and the registry trusts it because its `rootcertbundle` is that same certificate. That is
//! how distribution 2.8 finds the signing key (`registry/auth/token/token.go`,
//! `VerifySigningKey`: `x5c` first, then `jwk`, then `kid`), and it then checks `iss`, `aud`
//! (the registry's `service`), `nbf`/`exp` and the signature.
//!
//! Who gets what: a configured user with the right password gets every action asked for (a
//! [pull-only](TokenIssuerBuilder::pull_only_user) one, `pull` only); an
//! anonymous request gets `pull` only, and only if the issuer allows anonymous pulls (otherwise
//! it is refused with 401); a wrong password is refused with 401.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use http::{Request, Response, StatusCode};
use hyper::body::Incoming;
use ring::rand::SystemRandom;
use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair};
use serde::Serialize;
use serde_json::json;

use crate::http::{self as h, Body, Server};

/// The `service` that the registry expects as the token's audience.
pub const SERVICE: &str = "porthole-test-registry";
/// The `iss` of every token, which the registry is configured to trust.
pub const ISSUER: &str = "porthole-test-issuer";

/// How long distribution 2.8 keeps accepting a token past its `exp` (and before its `nbf`):
/// `token.Leeway` in `registry/auth/token/token.go`.
pub const REGISTRY_LEEWAY: Duration = Duration::from_secs(60);

/// Actions on one resource, as in the token's `access` claim.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Access {
    /// `repository`, `registry`, …
    #[serde(rename = "type")]
    pub kind: String,
    /// The repository name (or `catalog` for `registry:catalog:*`).
    pub name: String,
    /// `pull`, `push`, `delete` or `*`.
    pub actions: Vec<String>,
}

impl Access {
    /// `repository:NAME:ACTIONS` access.
    pub fn repository(name: &str, actions: &[&str]) -> Self {
        Self {
            kind: "repository".to_owned(),
            name: name.to_owned(),
            actions: actions.iter().map(|a| (*a).to_owned()).collect(),
        }
    }

    /// Parses a scope such as `repository:library/alpine:pull,push` (the name may contain `:`
    /// only if it is the middle part: the type runs to the first `:`, the actions from the last).
    pub fn parse_scope(scope: &str) -> Option<Self> {
        let (kind, rest) = scope.split_once(':')?;
        let (name, actions) = rest.rsplit_once(':')?;
        Some(Self {
            kind: kind.to_owned(),
            name: name.to_owned(),
            actions: actions
                .split(',')
                .filter(|a| !a.is_empty())
                .map(str::to_owned)
                .collect(),
        })
    }
}

/// One request that reached the token endpoint, for assertions about caching and auth.
#[derive(Debug, Clone)]
pub struct TokenRequest {
    /// Every `scope` parameter, as sent.
    pub scopes: Vec<String>,
    /// The `service` parameter.
    pub service: Option<String>,
    /// The `account` parameter.
    pub account: Option<String>,
    /// Whether the request carried `Authorization: Basic …`.
    pub basic_auth: bool,
    /// The user name from the Basic credentials, if any.
    pub user: Option<String>,
    /// The status the issuer answered with.
    pub status: u16,
    /// What the token granted (empty when refused).
    pub granted: Vec<Access>,
}

/// How to configure a [`TokenIssuer`]; see [`TokenIssuer::builder`].
#[derive(Debug, Clone)]
pub struct TokenIssuerBuilder {
    users: Vec<(String, String)>,
    /// Users (of `users`) whose tokens grant `pull` only.
    pull_only: Vec<String>,
    allow_anonymous_pull: bool,
    expires_in: Duration,
    hard_expiry: bool,
}

impl TokenIssuerBuilder {
    /// Adds a user who may `pull`, `push` and `delete` everywhere.
    pub fn user(mut self, name: &str, password: &str) -> Self {
        self.users.push((name.to_owned(), password.to_owned()));
        self
    }

    /// Adds a user who may only `pull` (push and delete are left out of their tokens, as a
    /// registry's read-only account gets).
    pub fn pull_only_user(mut self, name: &str, password: &str) -> Self {
        self.users.push((name.to_owned(), password.to_owned()));
        self.pull_only.push(name.to_owned());
        self
    }

    /// Lets requests without credentials get pull-only tokens (default: refused with 401).
    pub fn allow_anonymous_pull(mut self, allow: bool) -> Self {
        self.allow_anonymous_pull = allow;
        self
    }

    /// The lifetime of each token, reported as `expires_in` (default 300 s; whole seconds).
    pub fn expires_in(mut self, lifetime: Duration) -> Self {
        self.expires_in = lifetime;
        self
    }

    /// Whether the registry should really stop accepting a token once `expires_in` is over
    /// (default `true`).
    ///
    /// distribution 2.8 accepts a token up to [`REGISTRY_LEEWAY`] (60 s) past its `exp`, so a
    /// token that honestly says `exp = iat + 2` still works for a minute. With hard expiry the
    /// issuer backdates `exp` by the leeway, so the registry answers 401 after `expires_in`, which
    /// is what a refresh-on-expiry test needs. The JSON `expires_in` is unaffected, but a client
    /// that decodes the JWT sees an `exp` in the past.
    pub fn hard_expiry(mut self, hard: bool) -> Self {
        self.hard_expiry = hard;
        self
    }

    /// Starts the issuer on `127.0.0.1:0`.
    pub fn start(self) -> TokenIssuer {
        TokenIssuer::start_with(self)
    }
}

/// A running token server on `127.0.0.1:PORT`; stopped on drop.
///
/// ```no_run
/// use porthole_tests::{RegistryAuth, TestRegistry, TokenIssuer};
/// let issuer = TokenIssuer::builder().user("alice", "secret").allow_anonymous_pull(true).start();
/// let registry = TestRegistry::start(RegistryAuth::Token(&issuer));
/// // … pull from registry.url() …
/// assert_eq!(issuer.tokens_issued(), 1);
/// ```
pub struct TokenIssuer {
    state: Arc<IssuerState>,
    server: Server,
}

struct IssuerState {
    config: TokenIssuerBuilder,
    key: EcdsaKeyPair,
    cert_der: Vec<u8>,
    cert_pem: String,
    rng: SystemRandom,
    issued: AtomicU64,
    log: Mutex<Vec<TokenRequest>>,
    failures: Mutex<VecDeque<StatusCode>>,
}

impl TokenIssuer {
    /// A builder with no users, anonymous pulls refused, 300 s tokens and hard expiry.
    pub fn builder() -> TokenIssuerBuilder {
        TokenIssuerBuilder {
            users: Vec::new(),
            pull_only: Vec::new(),
            allow_anonymous_pull: false,
            expires_in: Duration::from_secs(300),
            hard_expiry: true,
        }
    }

    fn start_with(config: TokenIssuerBuilder) -> Self {
        let key_pair = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)
            .expect("generate the token issuer's key");
        let mut params = rcgen::CertificateParams::new(vec![ISSUER.to_owned()])
            .expect("token issuer certificate parameters");
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, ISSUER);
        let cert = params
            .self_signed(&key_pair)
            .expect("self-sign the token issuer's certificate");
        let rng = SystemRandom::new();
        let key = EcdsaKeyPair::from_pkcs8(
            &ECDSA_P256_SHA256_FIXED_SIGNING,
            &key_pair.serialize_der(),
            &rng,
        )
        .expect("load the token issuer's key into ring");
        let state = Arc::new(IssuerState {
            config,
            key,
            cert_der: cert.der().to_vec(),
            cert_pem: cert.pem(),
            rng,
            issued: AtomicU64::new(0),
            log: Mutex::new(Vec::new()),
            failures: Mutex::new(VecDeque::new()),
        });
        let handler_state = state.clone();
        let handler: h::Handler = Arc::new(move |req| {
            let state = handler_state.clone();
            Box::pin(async move { state.handle(&req) })
        });
        let server =
            Server::start(h::bind_loopback("127.0.0.1"), handler).expect("start the token issuer");
        Self { state, server }
    }

    /// `127.0.0.1:PORT`.
    pub fn addr(&self) -> String {
        self.server.addr().to_string()
    }

    /// The realm that the registry names in its `WWW-Authenticate: Bearer` challenge:
    /// `http://127.0.0.1:PORT/token`.
    pub fn realm(&self) -> String {
        format!("http://{}/token", self.server.addr())
    }

    /// The issuer's self-signed certificate (PEM): the registry's `rootcertbundle`.
    pub fn cert_pem(&self) -> &str {
        &self.state.cert_pem
    }

    /// The configured users, in the order they were added.
    pub fn users(&self) -> &[(String, String)] {
        &self.state.config.users
    }

    /// The lifetime given to each token.
    pub fn expires_in(&self) -> Duration {
        self.state.config.expires_in
    }

    /// How many tokens the issuer has handed out.
    pub fn tokens_issued(&self) -> u64 {
        self.state.issued.load(Ordering::SeqCst)
    }

    /// Every request so far, oldest first (refused ones too).
    pub fn requests(&self) -> Vec<TokenRequest> {
        self.state.log.lock().expect("token log").clone()
    }

    /// Forgets the request log and resets [`tokens_issued`](Self::tokens_issued).
    pub fn reset_log(&self) {
        self.state.log.lock().expect("token log").clear();
        self.state.issued.store(0, Ordering::SeqCst);
    }

    /// Answers the next `count` token requests with `status` and an error body instead of a token.
    pub fn fail_next(&self, count: usize, status: u16) {
        let status = StatusCode::from_u16(status).expect("a valid HTTP status");
        let mut failures = self.state.failures.lock().expect("token failures");
        failures.extend(std::iter::repeat_n(status, count));
    }

    /// Signs a token for `subject` with exactly `access`, without an HTTP round trip (and without
    /// counting it in [`tokens_issued`](Self::tokens_issued)).
    pub fn mint(&self, subject: &str, access: &[Access]) -> String {
        self.state.sign(subject, access, SystemTime::now())
    }
}

impl IssuerState {
    fn handle(&self, req: &Request<Incoming>) -> Response<Body> {
        let mut scopes = Vec::new();
        let mut service = None;
        let mut account = None;
        if let Some(query) = req.uri().query() {
            for (key, value) in url::form_urlencoded::parse(query.as_bytes()) {
                match key.as_ref() {
                    "scope" => scopes.extend(value.split(' ').map(str::to_owned)),
                    "service" => service = Some(value.into_owned()),
                    "account" => account = Some(value.into_owned()),
                    _ => {}
                }
            }
        }
        let basic = req
            .headers()
            .get(http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Basic "))
            .map(|b64| {
                STANDARD
                    .decode(b64.trim())
                    .ok()
                    .and_then(|raw| String::from_utf8(raw).ok())
                    .and_then(|s| s.split_once(':').map(|(u, p)| (u.to_owned(), p.to_owned())))
            });
        let mut entry = TokenRequest {
            scopes: scopes.clone(),
            service: service.clone(),
            account,
            basic_auth: basic.is_some(),
            user: basic.clone().flatten().map(|(u, _)| u),
            status: 200,
            granted: Vec::new(),
        };
        let response = self.decide(req, &scopes, service.as_deref(), basic, &mut entry);
        entry.status = response.status().as_u16();
        self.log.lock().expect("token log").push(entry);
        response
    }

    fn decide(
        &self,
        req: &Request<Incoming>,
        scopes: &[String],
        service: Option<&str>,
        basic: Option<Option<(String, String)>>,
        entry: &mut TokenRequest,
    ) -> Response<Body> {
        if let Some(status) = self.failures.lock().expect("token failures").pop_front() {
            return error(status, "UNAVAILABLE", "failure injected by the test");
        }
        if req.method() != http::Method::GET || req.uri().path() != "/token" {
            return error(
                StatusCode::NOT_FOUND,
                "NOT_FOUND",
                "only GET /token is served",
            );
        }
        if service.is_some_and(|s| s != SERVICE) {
            return error(
                StatusCode::BAD_REQUEST,
                "INVALID_SERVICE",
                "unknown service",
            );
        }
        let subject = match basic {
            Some(Some((user, password))) => {
                let known = self
                    .config
                    .users
                    .iter()
                    .any(|(u, p)| *u == user && *p == password);
                if !known {
                    return error(
                        StatusCode::UNAUTHORIZED,
                        "UNAUTHORIZED",
                        "wrong user or password",
                    );
                }
                Some(user)
            }
            Some(None) => {
                return error(
                    StatusCode::UNAUTHORIZED,
                    "UNAUTHORIZED",
                    "malformed Basic credentials",
                );
            }
            None if self.config.allow_anonymous_pull => None,
            None => {
                return error(
                    StatusCode::UNAUTHORIZED,
                    "UNAUTHORIZED",
                    "anonymous access is not allowed: send Basic credentials",
                );
            }
        };
        let granted: Vec<Access> = scopes
            .iter()
            .filter_map(|s| Access::parse_scope(s))
            .map(|mut access| {
                let pull_only = subject
                    .as_ref()
                    .is_none_or(|s| self.config.pull_only.contains(s));
                if pull_only {
                    access.actions.retain(|a| a == "pull");
                }
                access
            })
            .filter(|a| !a.actions.is_empty())
            .collect();
        let now = SystemTime::now();
        let token = self.sign(subject.as_deref().unwrap_or(""), &granted, now);
        self.issued.fetch_add(1, Ordering::SeqCst);
        entry.granted = granted;
        h::json(
            StatusCode::OK,
            &json!({
                "token": token,
                "access_token": token,
                "expires_in": self.config.expires_in.as_secs(),
                "issued_at": rfc3339(now),
            }),
        )
    }

    fn sign(&self, subject: &str, access: &[Access], now: SystemTime) -> String {
        static JTI: AtomicU64 = AtomicU64::new(0);
        let iat = now
            .duration_since(UNIX_EPOCH)
            .expect("clock after 1970")
            .as_secs();
        let mut exp = iat + self.config.expires_in.as_secs();
        if self.config.hard_expiry {
            exp -= REGISTRY_LEEWAY.as_secs();
        }
        let header = json!({
            "typ": "JWT",
            "alg": "ES256",
            "x5c": [STANDARD.encode(&self.cert_der)],
        });
        let claims = json!({
            "iss": ISSUER,
            "sub": subject,
            "aud": SERVICE,
            "exp": exp,
            "nbf": iat,
            "iat": iat,
            "jti": format!("porthole-{}-{}", iat, JTI.fetch_add(1, Ordering::SeqCst)),
            "access": access,
        });
        let signing_input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let signature = self
            .key
            .sign(&self.rng, signing_input.as_bytes())
            .expect("sign the token");
        format!(
            "{signing_input}.{}",
            URL_SAFE_NO_PAD.encode(signature.as_ref())
        )
    }
}

fn error(status: StatusCode, code: &str, message: &str) -> Response<Body> {
    let mut response = h::json(
        status,
        &json!({ "errors": [{ "code": code, "message": message }], "details": message }),
    );
    if status == StatusCode::UNAUTHORIZED {
        response.headers_mut().insert(
            http::header::WWW_AUTHENTICATE,
            http::HeaderValue::from_static("Basic realm=\"porthole-test-issuer\""),
        );
    }
    response
}

/// Formats `time` as RFC 3339 in UTC, e.g. `2024-05-01T12:00:00Z`.
fn rfc3339(time: SystemTime) -> String {
    let secs = time
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs();
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // Howard Hinnant's civil_from_days, for days since 1970-01-01.
    let z = days.cast_signed() + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_formats_known_instants() {
        assert_eq!(rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00Z");
        let t = UNIX_EPOCH + Duration::from_secs(1_709_210_096);
        assert_eq!(rfc3339(t), "2024-02-29T12:34:56Z");
    }

    #[test]
    fn scopes_parse_with_ports_and_classes() {
        let a = Access::parse_scope("repository:library/alpine:pull,push").expect("scope");
        assert_eq!(a, Access::repository("library/alpine", &["pull", "push"]));
        let c = Access::parse_scope("registry:catalog:*").expect("scope");
        assert_eq!((c.kind.as_str(), c.name.as_str()), ("registry", "catalog"));
    }
}
