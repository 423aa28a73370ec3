//! A small, blocking registry client for setting up odd cases and for the harness's self-tests.
//!
//! It speaks just enough of the distribution API to push raw blobs and manifests (monolithic
//! upload: `POST /v2/<name>/blobs/uploads/`, then `PUT <location>?digest=…`) and to make
//! authenticated requests: on a `401` it answers a `Basic` challenge with its credentials, or
//! fetches a token from a `Bearer` challenge's realm (with its credentials as Basic auth, if any)
//! and retries once. It is not the engine's client and shares no code with it.

use std::collections::HashMap;
use std::sync::Mutex;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use http::{Method, StatusCode};

use crate::fixtures::sha256_digest;
use crate::http::{SimpleResponse, send};
use crate::registry::TestRegistry;

/// A blocking client for one registry (`http://HOST:PORT`); usable inside `#[tokio::test]`s.
pub struct RegistryClient {
    base: String,
    creds: Option<(String, String)>,
    tokens: Mutex<HashMap<String, String>>,
}

impl RegistryClient {
    /// A client for the registry at `addr` (`HOST:PORT`), without credentials.
    pub fn new(addr: &str) -> Self {
        Self {
            base: format!("http://{addr}"),
            creds: None,
            tokens: Mutex::new(HashMap::new()),
        }
    }

    /// A client for `registry`, with its push credentials if it has auth.
    pub fn for_registry(registry: &TestRegistry) -> Self {
        let client = Self::new(registry.addr());
        match registry.credentials() {
            Some((user, password)) => client.with_credentials(user, password),
            None => client,
        }
    }

    /// Uses `user`/`password` for Basic challenges and token requests.
    pub fn with_credentials(mut self, user: &str, password: &str) -> Self {
        self.creds = Some((user.to_owned(), password.to_owned()));
        self
    }

    /// Sends a request to `path` (`/v2/…`) or to an absolute URL, handling auth challenges.
    ///
    /// # Panics
    /// If the server cannot be reached.
    pub fn request(
        &self,
        method: Method,
        path_or_url: &str,
        headers: &[(&str, &str)],
        body: impl Into<Bytes>,
    ) -> SimpleResponse {
        let url = if path_or_url.starts_with("http") {
            path_or_url.to_owned()
        } else {
            format!("{}{path_or_url}", self.base)
        };
        let body = body.into();
        let cached = self
            .tokens
            .lock()
            .expect("token cache")
            .values()
            .next()
            .map(|token| format!("Bearer {token}"));
        let first = self.send_with(
            method.clone(),
            &url,
            headers,
            body.clone(),
            cached.as_deref(),
        );
        if first.status != StatusCode::UNAUTHORIZED {
            return first;
        }
        let Some(challenge) = first.header("www-authenticate").map(str::to_owned) else {
            return first;
        };
        let authorization = if challenge.starts_with("Basic") {
            match &self.creds {
                Some((user, password)) => {
                    format!("Basic {}", STANDARD.encode(format!("{user}:{password}")))
                }
                None => return first,
            }
        } else if let Some(params) = challenge.strip_prefix("Bearer ") {
            match self.fetch_token(&parse_challenge(params)) {
                Some(token) => format!("Bearer {token}"),
                None => return first,
            }
        } else {
            return first;
        };
        self.send_with(method, &url, headers, body, Some(&authorization))
    }

    /// `GET path`, auth handled.
    pub fn get(&self, path: &str) -> SimpleResponse {
        self.request(Method::GET, path, &[], Bytes::new())
    }

    /// Uploads `blob` into `repo` in one request; returns its digest.
    ///
    /// # Panics
    /// Unless the registry accepts the upload (`201`).
    pub fn push_blob(&self, repo: &str, blob: &[u8]) -> String {
        let digest = sha256_digest(blob);
        let start = self.request(
            Method::POST,
            &format!("/v2/{repo}/blobs/uploads/"),
            &[],
            Bytes::new(),
        );
        assert_eq!(
            start.status,
            StatusCode::ACCEPTED,
            "start upload to {repo}: {start:?}"
        );
        let location = start.header("location").expect("upload Location");
        let location = if location.starts_with('/') {
            format!("{}{location}", self.base)
        } else {
            location.to_owned()
        };
        let sep = if location.contains('?') { '&' } else { '?' };
        let length = blob.len().to_string();
        let done = self.request(
            Method::PUT,
            &format!("{location}{sep}digest={digest}"),
            &[
                ("content-type", "application/octet-stream"),
                ("content-length", &length),
            ],
            Bytes::copy_from_slice(blob),
        );
        assert_eq!(
            done.status,
            StatusCode::CREATED,
            "finish upload of {digest} to {repo}: {done:?}"
        );
        digest
    }

    /// `PUT /v2/<repo>/manifests/<reference>` with `manifest` as `media_type`; returns the digest
    /// the registry reports (`Docker-Content-Digest`).
    ///
    /// # Panics
    /// Unless the registry accepts the manifest (`201`); the panic shows its error body.
    pub fn push_manifest(
        &self,
        repo: &str,
        reference: &str,
        manifest: &[u8],
        media_type: &str,
    ) -> String {
        let response = self.request(
            Method::PUT,
            &format!("/v2/{repo}/manifests/{reference}"),
            &[("content-type", media_type)],
            Bytes::copy_from_slice(manifest),
        );
        assert_eq!(
            response.status,
            StatusCode::CREATED,
            "push manifest {repo}:{reference}: {}",
            String::from_utf8_lossy(&response.body)
        );
        response
            .header("docker-content-digest")
            .map_or_else(|| sha256_digest(manifest), str::to_owned)
    }

    fn send_with(
        &self,
        method: Method,
        url: &str,
        headers: &[(&str, &str)],
        body: Bytes,
        authorization: Option<&str>,
    ) -> SimpleResponse {
        let mut all: Vec<(&str, &str)> = headers.to_vec();
        if let Some(authorization) = authorization {
            all.push(("authorization", authorization));
        }
        send(method.clone(), url, &all, body)
            .unwrap_or_else(|err| panic!("{method} {url} failed: {err}"))
    }

    fn fetch_token(&self, challenge: &HashMap<String, String>) -> Option<String> {
        let realm = challenge.get("realm")?;
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        if let Some(service) = challenge.get("service") {
            query.append_pair("service", service);
        }
        if let Some(scope) = challenge.get("scope") {
            query.append_pair("scope", scope);
        }
        let url = format!("{realm}?{}", query.finish());
        let basic = self
            .creds
            .as_ref()
            .map(|(u, p)| format!("Basic {}", STANDARD.encode(format!("{u}:{p}"))));
        let response = self.send_with(Method::GET, &url, &[], Bytes::new(), basic.as_deref());
        if response.status != StatusCode::OK {
            return None;
        }
        let json: serde_json::Value = serde_json::from_slice(&response.body).ok()?;
        let token = json
            .get("token")
            .or_else(|| json.get("access_token"))?
            .as_str()?
            .to_owned();
        let scope = challenge.get("scope").cloned().unwrap_or_default();
        let mut tokens = self.tokens.lock().expect("token cache");
        // One token at a time: the next challenge replaces it.
        tokens.clear();
        tokens.insert(scope, token.clone());
        Some(token)
    }
}

/// Parses `realm="…",service="…",scope="repository:a:pull,push"` (commas inside quotes kept).
pub fn parse_challenge(params: &str) -> HashMap<String, String> {
    let mut out = HashMap::new();
    let mut rest = params.trim();
    while !rest.is_empty() {
        let Some((key, after)) = rest.split_once('=') else {
            break;
        };
        let key = key
            .trim()
            .trim_start_matches(',')
            .trim()
            .to_ascii_lowercase();
        let (value, remaining) = if let Some(quoted) = after.strip_prefix('"') {
            match quoted.find('"') {
                Some(end) => (&quoted[..end], &quoted[end + 1..]),
                None => (quoted, ""),
            }
        } else {
            match after.find(',') {
                Some(end) => (&after[..end], &after[end..]),
                None => (after, ""),
            }
        };
        out.insert(key, value.to_owned());
        rest = remaining.trim_start_matches(',').trim();
    }
    out
}

/// Pushes `blob` to `registry` (with its credentials); returns the digest.
pub fn push_blob(registry: &TestRegistry, repo: &str, blob: &[u8]) -> String {
    RegistryClient::for_registry(registry).push_blob(repo, blob)
}

/// Pushes raw manifest bytes to `registry` as `repo:reference`; returns the digest.
///
/// For cases skopeo refuses or rewrites: foreign layers with `urls`, odd media types, manifests
/// whose blobs are missing from another repository, …
pub fn push_raw_manifest(
    registry: &TestRegistry,
    repo: &str,
    reference: &str,
    manifest: &[u8],
    media_type: &str,
) -> String {
    RegistryClient::for_registry(registry).push_manifest(repo, reference, manifest, media_type)
}

#[cfg(test)]
mod tests {
    use super::parse_challenge;

    #[test]
    fn challenge_keeps_commas_inside_quotes() {
        let c = parse_challenge(
            r#"realm="http://127.0.0.1:1/token",service="svc",scope="repository:a/b:pull,push""#,
        );
        assert_eq!(c["realm"], "http://127.0.0.1:1/token");
        assert_eq!(c["service"], "svc");
        assert_eq!(c["scope"], "repository:a/b:pull,push");
    }
}
