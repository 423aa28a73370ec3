//! One blob of a push: looked for (`HEAD`), else mounted from another repository of the same
//! registry, else uploaded: `POST` opens an upload session, one `PUT` to its `Location` with
//! `?digest=` streams the whole blob from the store file and closes it. A failed upload
//! starts again in a new session (a half-fed session cannot be trusted to resume).

use std::io::Read as _;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use reqwest::header::{self, HeaderMap, HeaderValue};
use reqwest::{Method, Response, StatusCode};
use tokio::sync::{Semaphore, mpsc};
use tokio_util::sync::CancellationToken;
use url::Url;

use super::{BlobStatus, PushEvent, PushObserver};
use crate::Digest;
use crate::registry::client::{RetryPolicy, push_scope, read_capped};
use crate::registry::{Endpoint, RegistryClient, RegistryError};

/// Bytes read from the store file at a time, and how many such chunks wait for the socket.
const READ_CHUNK: usize = 256 << 10;
const CHUNKS_IN_FLIGHT: usize = 4;
/// How often upload progress is reported while a `PUT` runs.
const PROGRESS_EVERY: Duration = Duration::from_millis(150);

/// A blob of the image, as the manifest describes it.
#[derive(Debug, Clone)]
pub(super) struct BlobToPush {
    pub digest: Digest,
    pub size: u64,
    pub media_type: String,
    /// Not uploaded (see `is_foreign`).
    pub foreign: bool,
    /// `config`, `layer 3`: for messages.
    pub role: String,
    /// The store file.
    pub path: PathBuf,
}

pub(super) struct Uploader<'a> {
    pub client: &'a RegistryClient,
    pub endpoint: &'a Endpoint,
    pub repository: &'a str,
    /// Another repository of the same registry that has the image's blobs.
    pub mount_from: Option<&'a str>,
    pub observer: PushObserver<'a>,
    pub cancel: &'a CancellationToken,
}

impl Uploader<'_> {
    /// Push one blob, taking one of `slots` for its requests.
    pub(super) async fn push_blob(
        &self,
        blob: &BlobToPush,
        slots: &Semaphore,
    ) -> Result<BlobStatus, RegistryError> {
        if blob.foreign {
            (self.observer)(PushEvent::BlobSkipped {
                digest: blob.digest.clone(),
            });
            return Ok(BlobStatus::SkippedForeign);
        }
        let _slot = tokio::select! {
            slot = slots.acquire() => slot.map_err(|_| RegistryError::Cancelled)?,
            () = self.cancel.cancelled() => return Err(RegistryError::Cancelled),
        };
        if self.exists(blob).await? {
            (self.observer)(PushEvent::BlobExists {
                digest: blob.digest.clone(),
            });
            return Ok(BlobStatus::Exists);
        }
        let mut opened = None;
        if let Some(from) = self.mount_from {
            match self.mount(blob, from).await? {
                Mount::Mounted => {
                    (self.observer)(PushEvent::BlobMounted {
                        digest: blob.digest.clone(),
                        from: from.to_owned(),
                    });
                    return Ok(BlobStatus::Mounted);
                }
                Mount::Opened(location) => opened = Some(location),
                Mount::Refused => {}
            }
        }
        self.upload(blob, opened).await?;
        (self.observer)(PushEvent::BlobPushed {
            digest: blob.digest.clone(),
        });
        Ok(BlobStatus::Pushed)
    }

    fn scope(&self) -> String {
        push_scope(self.repository)
    }

    async fn exists(&self, blob: &BlobToPush) -> Result<bool, RegistryError> {
        let url = self
            .endpoint
            .url(self.repository, &format!("blobs/{}", blob.digest));
        let response = self
            .client
            .send_scoped(
                self.endpoint,
                self.repository,
                &self.scope(),
                Method::HEAD,
                url,
                HeaderMap::new(),
                self.cancel,
            )
            .await?;
        match response.status() {
            s if s.is_success() => Ok(true),
            StatusCode::NOT_FOUND => Ok(false),
            StatusCode::FORBIDDEN => Err(self.denied()),
            s => Err(RegistryError::Status {
                registry: self.endpoint.host.clone(),
                status: s.as_u16(),
                url: response.url().to_string(),
            }),
        }
    }

    /// Ask the registry to mount the blob from `from`. A registry (or token service) that
    /// will not, for whatever reason, leaves the plain upload to try.
    async fn mount(&self, blob: &BlobToPush, from: &str) -> Result<Mount, RegistryError> {
        let mut url = self.endpoint.url(self.repository, "blobs/uploads/");
        url.query_pairs_mut()
            .append_pair("mount", &blob.digest.to_string())
            .append_pair("from", from);
        let scope = format!("{} repository:{from}:pull", self.scope());
        let sent = self
            .client
            .send_with_body(
                self.endpoint,
                self.repository,
                &scope,
                Method::POST,
                url.clone(),
                empty_body_headers(),
                &|| reqwest::Body::from(Bytes::new()),
                self.cancel,
            )
            .await;
        let response = match sent {
            Ok(r) => r,
            Err(
                e @ (RegistryError::CredentialsRefused { .. }
                | RegistryError::AuthRequired { .. }
                | RegistryError::PushDenied { .. }
                | RegistryError::Denied { .. }),
            ) => {
                tracing::debug!(error = %e, %from, "no mount; uploading instead");
                return Ok(Mount::Refused);
            }
            Err(e) => return Err(e),
        };
        match response.status() {
            StatusCode::CREATED => Ok(Mount::Mounted),
            StatusCode::ACCEPTED => Ok(Mount::Opened(self.location(&response, &url)?)),
            s => {
                tracing::debug!(status = %s, %from, "no mount; uploading instead");
                Ok(Mount::Refused)
            }
        }
    }

    /// Open an upload session: its URL, from the `Location` of the `202`.
    async fn open(&self) -> Result<Url, RegistryError> {
        let url = self.endpoint.url(self.repository, "blobs/uploads/");
        let response = self
            .client
            .send_with_body(
                self.endpoint,
                self.repository,
                &self.scope(),
                Method::POST,
                url.clone(),
                empty_body_headers(),
                &|| reqwest::Body::from(Bytes::new()),
                self.cancel,
            )
            .await?;
        match response.status() {
            StatusCode::ACCEPTED => self.location(&response, &url),
            StatusCode::FORBIDDEN => Err(self.denied()),
            _ => Err(rejected(
                response,
                &self.endpoint.host,
                "a new upload to the repository",
            )
            .await),
        }
    }

    fn location(&self, response: &Response, request: &Url) -> Result<Url, RegistryError> {
        let bad = |reason: &str| RegistryError::BadRedirect {
            registry: self.endpoint.host.clone(),
            url: request.to_string(),
            reason: reason.to_owned(),
        };
        let location = response
            .headers()
            .get(header::LOCATION)
            .ok_or_else(|| bad("the upload was opened without a Location"))?
            .to_str()
            .map_err(|_| bad("its upload Location is not text"))?;
        resolve_location(request, location).map_err(|reason| bad(&reason))
    }

    /// Upload the blob, in a new session each time an attempt fails on the way.
    async fn upload(
        &self,
        blob: &BlobToPush,
        mut opened: Option<Url>,
    ) -> Result<(), RegistryError> {
        let policy = self.client.retry_policy().clone();
        // Each attempt is one PUT: retried here, in a new session, never by the client.
        let once = self.client.clone().with_retry(RetryPolicy {
            attempts: 1,
            ..policy.clone()
        });
        let mut attempt = 0u32;
        loop {
            let session = match opened.take() {
                Some(url) => url,
                None => self.open().await?,
            };
            let result = self.put(&once, blob, &session).await;
            match result {
                Ok(()) => return Ok(()),
                Err(e) if e.is_transient() && attempt + 1 < policy.attempts => {
                    let wait = match &e {
                        RegistryError::RateLimited {
                            retry_after: Some(d),
                            ..
                        } if *d > policy.max_retry_after => return Err(e),
                        RegistryError::RateLimited {
                            retry_after: Some(d),
                            ..
                        } => *d,
                        _ => policy.delay(attempt),
                    };
                    attempt += 1;
                    tracing::debug!(digest = %blob.digest, attempt, error = %e, ?wait, "uploading again");
                    (self.observer)(PushEvent::BlobRetrying {
                        digest: blob.digest.clone(),
                        attempt,
                        reason: e.to_string(),
                    });
                    tokio::select! {
                        () = self.cancel.cancelled() => return Err(RegistryError::Cancelled),
                        () = tokio::time::sleep(wait) => {}
                    }
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// One monolithic `PUT` of the whole blob to the session, reporting progress as it goes.
    async fn put(
        &self,
        client: &RegistryClient,
        blob: &BlobToPush,
        session: &Url,
    ) -> Result<(), RegistryError> {
        let url = with_digest(session, &blob.digest);
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/octet-stream"),
        );
        headers.insert(header::CONTENT_LENGTH, HeaderValue::from(blob.size));
        let sent = Arc::new(AtomicU64::new(0));
        let body = {
            let (path, sent) = (blob.path.clone(), sent.clone());
            move || file_body(path.clone(), sent.clone())
        };
        let scope = self.scope();
        let request = client.send_with_body(
            self.endpoint,
            self.repository,
            &scope,
            Method::PUT,
            url.clone(),
            headers,
            &body,
            self.cancel,
        );
        tokio::pin!(request);
        let mut ticks = tokio::time::interval(PROGRESS_EVERY);
        let mut reported = u64::MAX;
        let response = loop {
            tokio::select! {
                r = &mut request => break r?,
                _ = ticks.tick() => {
                    let now = sent.load(Ordering::Relaxed);
                    if now != reported {
                        reported = now;
                        (self.observer)(PushEvent::BlobProgress {
                            digest: blob.digest.clone(),
                            uploaded: now,
                            total: blob.size,
                        });
                    }
                }
            }
        };
        let what = format!("the upload of {} {}", blob.role, blob.digest);
        match response.status() {
            s if s.is_success() => {}
            StatusCode::FORBIDDEN => return Err(self.denied()),
            _ => return Err(rejected(response, &self.endpoint.host, &what).await),
        }
        if let Some(found) = response
            .headers()
            .get("docker-content-digest")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<Digest>().ok())
            && found != blob.digest
        {
            return Err(RegistryError::DigestMismatch {
                registry: self.endpoint.host.clone(),
                what,
                expected: blob.digest.clone(),
                found,
            });
        }
        (self.observer)(PushEvent::BlobProgress {
            digest: blob.digest.clone(),
            uploaded: blob.size,
            total: blob.size,
        });
        Ok(())
    }

    fn denied(&self) -> RegistryError {
        RegistryError::PushDenied {
            registry: self.endpoint.host.clone(),
            repository: self.repository.to_owned(),
        }
    }
}

enum Mount {
    Mounted,
    /// The registry opened an upload instead (it could not mount): use it.
    Opened(Url),
    /// No mount and no upload: open one as usual.
    Refused,
}

fn empty_body_headers() -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(0));
    headers
}

/// The upload session's URL from a `Location` (absolute, or relative to the request), with
/// whatever query it carries (distribution's `_state`, a storage signature) kept.
pub(super) fn resolve_location(request: &Url, location: &str) -> Result<Url, String> {
    let url = request
        .join(location.trim())
        .map_err(|e| format!("its upload Location `{location}` is not a URL: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!("its upload Location `{location}` is not HTTP"));
    }
    if request.scheme() == "https" && url.scheme() == "http" {
        return Err(format!(
            "its upload Location `{location}` goes from HTTPS to plain HTTP"
        ));
    }
    Ok(url)
}

/// The session URL with `digest=` added to its query, which closes the upload.
pub(super) fn with_digest(session: &Url, digest: &Digest) -> Url {
    let mut url = session.clone();
    url.query_pairs_mut()
        .append_pair("digest", &digest.to_string());
    url
}

/// A body that streams the store file from a blocking thread of its own, counting what it
/// hands to the connection into `sent` (reset at each new body, i.e. each attempt).
fn file_body(path: PathBuf, sent: Arc<AtomicU64>) -> reqwest::Body {
    sent.store(0, Ordering::Relaxed);
    let (tx, rx) = mpsc::channel::<std::io::Result<Bytes>>(CHUNKS_IN_FLIGHT);
    tokio::task::spawn_blocking(move || {
        let mut file = match std::fs::File::open(&path) {
            Ok(f) => f,
            Err(e) => {
                let _ = tx.blocking_send(Err(e));
                return;
            }
        };
        loop {
            let mut buf = vec![0u8; READ_CHUNK];
            match file.read(&mut buf) {
                Ok(0) => return,
                Ok(n) => {
                    buf.truncate(n);
                    // The request ended (sent, failed or cancelled): stop reading.
                    if tx.blocking_send(Ok(Bytes::from(buf))).is_err() {
                        return;
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    let _ = tx.blocking_send(Err(e));
                    return;
                }
            }
        }
    });
    let stream = futures_util::stream::unfold((rx, sent), |(mut rx, sent)| async move {
        let chunk = rx.recv().await?;
        if let Ok(bytes) = &chunk {
            sent.fetch_add(bytes.len() as u64, Ordering::Relaxed);
        }
        Some((chunk, (rx, sent)))
    });
    reqwest::Body::wrap_stream(stream)
}

/// A registry's refusal, with the code and message of its error body when it sent one.
pub(super) async fn rejected(response: Response, registry: &str, what: &str) -> RegistryError {
    let status = response.status().as_u16();
    let body = read_capped(response, 64 * 1024, registry, what)
        .await
        .unwrap_or_default();
    let (code, message) = error_detail(&body);
    RegistryError::Rejected {
        registry: registry.to_owned(),
        what: what.to_owned(),
        status,
        code,
        message,
    }
}

/// The first entry of a distribution error body: `{"errors":[{"code","message"}]}`.
fn error_detail(body: &[u8]) -> (Option<String>, Option<String>) {
    #[derive(serde::Deserialize)]
    struct Entry {
        code: Option<String>,
        message: Option<String>,
    }
    #[derive(serde::Deserialize)]
    struct Errors {
        #[serde(default)]
        errors: Vec<Entry>,
    }
    match serde_json::from_slice::<Errors>(body) {
        Ok(e) => e.errors.into_iter().next().map_or((None, None), |e| {
            (e.code, e.message.filter(|m| !m.is_empty()))
        }),
        Err(_) => (None, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn digest() -> Digest {
        format!("sha256:{}", "c".repeat(64))
            .parse()
            .expect("digest")
    }

    #[test]
    fn relative_locations_resolve_against_the_request_and_keep_their_query() {
        let request = Url::parse("http://127.0.0.1:5000/v2/team/app/blobs/uploads/").unwrap();
        let session =
            resolve_location(&request, "/v2/team/app/blobs/uploads/7f3a?_state=abc%3D%3D").unwrap();
        assert_eq!(
            session.as_str(),
            "http://127.0.0.1:5000/v2/team/app/blobs/uploads/7f3a?_state=abc%3D%3D"
        );
        let put = with_digest(&session, &digest());
        assert_eq!(
            put.as_str(),
            format!(
                "http://127.0.0.1:5000/v2/team/app/blobs/uploads/7f3a?_state=abc%3D%3D&digest=sha256%3A{}",
                "c".repeat(64)
            )
        );
        let pairs: Vec<(String, String)> = put.query_pairs().into_owned().collect();
        assert_eq!(
            pairs,
            vec![
                ("_state".to_owned(), "abc==".to_owned()),
                ("digest".to_owned(), digest().to_string())
            ]
        );
    }

    #[test]
    fn absolute_locations_may_name_another_host() {
        let request = Url::parse("https://registry.example/v2/a/blobs/uploads/").unwrap();
        let session = resolve_location(
            &request,
            "https://storage.example/upload/1?X-Amz-Signature=s&X-Amz-Expires=300",
        )
        .unwrap();
        let put = with_digest(&session, &digest());
        assert_eq!(put.host_str(), Some("storage.example"));
        assert!(
            put.as_str()
                .starts_with("https://storage.example/upload/1?X-Amz-Signature=s&X-Amz-Expires=300&digest=sha256%3A"),
            "{put}"
        );
        // A location with no query gets one.
        let bare = resolve_location(&request, "uploads/2").unwrap();
        assert_eq!(
            bare.as_str(),
            "https://registry.example/v2/a/blobs/uploads/uploads/2"
        );
        assert_eq!(
            with_digest(&bare, &digest())
                .query()
                .map(|q| q.starts_with("digest=")),
            Some(true)
        );
    }

    #[test]
    fn bad_locations_are_refused() {
        let https = Url::parse("https://registry.example/v2/a/blobs/uploads/").unwrap();
        assert!(resolve_location(&https, "http://registry.example/up/1").is_err());
        assert!(resolve_location(&https, "ftp://registry.example/up/1").is_err());
        assert!(resolve_location(&https, "http://[::1/").is_err());
        let http = Url::parse("http://127.0.0.1:5000/v2/a/blobs/uploads/").unwrap();
        assert!(resolve_location(&http, "https://127.0.0.1:5001/up").is_ok());
    }

    #[test]
    fn error_bodies_give_code_and_message() {
        let body = br#"{"errors":[{"code":"DIGEST_INVALID","message":"provided digest did not match uploaded content","detail":{}}]}"#;
        assert_eq!(
            error_detail(body),
            (
                Some("DIGEST_INVALID".into()),
                Some("provided digest did not match uploaded content".into())
            )
        );
        assert_eq!(error_detail(b"<html>nope</html>"), (None, None));
        assert_eq!(error_detail(br#"{"errors":[]}"#), (None, None));
        let e = RegistryError::Rejected {
            registry: "127.0.0.1:5000".into(),
            what: "the manifest of a:1".into(),
            status: 400,
            code: Some("MANIFEST_BLOB_UNKNOWN".into()),
            message: Some("blob unknown to registry".into()),
        };
        assert_eq!(
            e.to_string(),
            "registry 127.0.0.1:5000 rejected the manifest of a:1: 400 (MANIFEST_BLOB_UNKNOWN: blob unknown to registry)"
        );
    }
}
