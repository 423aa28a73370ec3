//! Blobs streamed in chunks to a consumer (the store's writer, on its own thread), and
//! resumed with an HTTP `Range` request when the connection drops mid-way.

use bytes::Bytes;
use reqwest::header::{self, HeaderMap, HeaderValue};
use reqwest::{Method, Response, StatusCode};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use url::Url;

use super::client::host_of;
use super::{Endpoint, RegistryClient, RegistryError};
use crate::Digest;

/// What the consumer of a blob stream receives.
#[derive(Debug)]
pub enum Chunk {
    /// The next bytes of the blob.
    Data(Bytes),
    /// The server ignored our `Range`: throw away what you have, the blob starts over.
    Restart,
}

/// What a blob download reports while it runs.
#[derive(Debug, Clone)]
pub enum BlobProgress {
    /// This many bytes of the blob are now in hand (counting a resumed prefix).
    Received(u64),
    /// The connection failed; a resume is coming.
    Retrying { attempt: u32, reason: String },
}

/// The blob to fetch: its digest, size and, for foreign layers, the URLs it may come from.
#[derive(Debug, Clone)]
pub struct BlobSource {
    pub digest: Digest,
    pub size: u64,
    pub urls: Vec<String>,
}

/// Where a blob's bytes and progress reports go.
pub struct BlobSink<'a> {
    pub tx: &'a mpsc::Sender<Chunk>,
    pub progress: &'a (dyn Fn(BlobProgress) + Send + Sync),
}

enum Origin<'a> {
    Registry,
    /// A foreign layer's URL, fetched without registry credentials.
    Foreign(&'a Url),
}

impl RegistryClient {
    /// Stream the blob from byte `start` into `tx`, resuming after dropped connections,
    /// until exactly `size` bytes went out. Returns the number of bytes sent.
    pub async fn fetch_blob(
        &self,
        endpoint: &Endpoint,
        repository: &str,
        blob: &BlobSource,
        start: u64,
        sink: &BlobSink<'_>,
        cancel: &CancellationToken,
    ) -> Result<u64, RegistryError> {
        let (tx, progress) = (sink.tx, sink.progress);
        match self
            .fetch_from(
                Origin::Registry,
                endpoint,
                repository,
                blob,
                start,
                tx,
                progress,
                cancel,
            )
            .await
        {
            Err(RegistryError::NotFound { .. }) if !blob.urls.is_empty() => {}
            other => return other,
        }
        // A foreign (non-distributable) layer: the image spec lets it come from `urls`.
        let mut last = None;
        for raw in &blob.urls {
            let Ok(url) = Url::parse(raw) else { continue };
            if !matches!(url.scheme(), "http" | "https") {
                continue;
            }
            match self
                .fetch_from(
                    Origin::Foreign(&url),
                    endpoint,
                    repository,
                    blob,
                    0,
                    tx,
                    progress,
                    cancel,
                )
                .await
            {
                Ok(n) => return Ok(n),
                Err(e @ RegistryError::Cancelled) => return Err(e),
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| RegistryError::NotFound {
            registry: endpoint.host.clone(),
            what: format!(
                "blob {} of {repository} (nor at any of its URLs)",
                blob.digest
            ),
        }))
    }

    async fn open(
        &self,
        origin: &Origin<'_>,
        endpoint: &Endpoint,
        repository: &str,
        blob: &BlobSource,
        pos: u64,
        cancel: &CancellationToken,
    ) -> Result<Response, RegistryError> {
        let mut headers = HeaderMap::new();
        if pos > 0 {
            let range = HeaderValue::from_str(&format!("bytes={pos}-")).expect("ASCII");
            headers.insert(header::RANGE, range);
        }
        match origin {
            Origin::Registry => {
                let url = endpoint.url(repository, &format!("blobs/{}", blob.digest));
                self.send(endpoint, repository, Method::GET, url, headers, cancel)
                    .await
            }
            Origin::Foreign(url) => {
                let foreign = Endpoint {
                    base: (*url).clone(),
                    host: host_of(url),
                    mirror: false,
                };
                // No auth challenge is ever answered for a foreign URL: send() only
                // authenticates after a 401 with a challenge, and those go to `foreign`.
                self.send(
                    &foreign,
                    repository,
                    Method::GET,
                    (*url).clone(),
                    headers,
                    cancel,
                )
                .await
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    async fn fetch_from(
        &self,
        origin: Origin<'_>,
        endpoint: &Endpoint,
        repository: &str,
        blob: &BlobSource,
        start: u64,
        tx: &mpsc::Sender<Chunk>,
        progress: &(dyn Fn(BlobProgress) + Send + Sync),
        cancel: &CancellationToken,
    ) -> Result<u64, RegistryError> {
        let what = format!("layer {}", blob.digest);
        let registry = endpoint.host.clone();
        let mut pos = start.min(blob.size);
        let mut failures: u32 = 0;
        loop {
            if pos == blob.size && pos > 0 {
                return Ok(pos);
            }
            let opened = self
                .open(&origin, endpoint, repository, blob, pos, cancel)
                .await;
            // `send` has already retried connection errors, 5xx and 429.
            let mut response = opened?;
            match response.status() {
                StatusCode::OK => {
                    if pos > 0 {
                        send(tx, Chunk::Restart, cancel).await?;
                        pos = 0;
                        progress(BlobProgress::Received(0));
                    }
                }
                StatusCode::PARTIAL_CONTENT => {
                    let range_start = response
                        .headers()
                        .get(header::CONTENT_RANGE)
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| v.strip_prefix("bytes "))
                        .and_then(|v| v.split('-').next())
                        .and_then(|v| v.parse::<u64>().ok());
                    if range_start != Some(pos) {
                        // Not the range we asked for: start over from byte 0.
                        send(tx, Chunk::Restart, cancel).await?;
                        pos = 0;
                        continue;
                    }
                }
                StatusCode::RANGE_NOT_SATISFIABLE if pos >= blob.size => return Ok(pos),
                StatusCode::RANGE_NOT_SATISFIABLE => {
                    // The blob ends before `pos`: shorter than its descriptor says.
                    return Err(RegistryError::SizeMismatch {
                        registry,
                        what,
                        expected: blob.size,
                        found: content_range_total(response.headers()).unwrap_or(pos),
                    });
                }
                StatusCode::NOT_FOUND => {
                    return Err(RegistryError::NotFound {
                        registry,
                        what: format!("{what} of {repository}"),
                    });
                }
                StatusCode::FORBIDDEN => {
                    return Err(RegistryError::Denied {
                        registry,
                        repository: repository.to_owned(),
                    });
                }
                s => {
                    return Err(RegistryError::Status {
                        registry,
                        status: s.as_u16(),
                        url: response.url().to_string(),
                    });
                }
            }
            // A server that says how much it will send must agree with the descriptor;
            // otherwise the digest check could only fail, after the whole download.
            if let Some(len) = response.content_length()
                && pos + len != blob.size
            {
                return Err(RegistryError::SizeMismatch {
                    registry,
                    what,
                    expected: blob.size,
                    found: pos + len,
                });
            }
            let before = pos;
            let stall_timeout = self.retry_policy().stall_timeout;
            let outcome = loop {
                let next = tokio::select! {
                    _ = cancel.cancelled() => return Err(RegistryError::Cancelled),
                    c = tokio::time::timeout(stall_timeout, response.chunk()) => c,
                };
                let Ok(next) = next else {
                    break Some(RegistryError::Stalled {
                        registry: registry.clone(),
                        what: what.clone(),
                        timeout: stall_timeout,
                    });
                };
                match next {
                    Ok(Some(chunk)) => {
                        pos += chunk.len() as u64;
                        if pos > blob.size {
                            return Err(RegistryError::SizeMismatch {
                                registry,
                                what,
                                expected: blob.size,
                                found: pos,
                            });
                        }
                        send(tx, Chunk::Data(chunk), cancel).await?;
                        progress(BlobProgress::Received(pos));
                    }
                    Ok(None) => break None,
                    Err(source) => {
                        break Some(RegistryError::Body {
                            registry: registry.clone(),
                            what: what.clone(),
                            source,
                        });
                    }
                }
            };
            if pos == blob.size && outcome.is_none() {
                return Ok(pos);
            }
            // The body ended early or broke: resume from `pos`. Progress since the last
            // failure earns a fresh set of attempts, so a flaky link still finishes.
            if pos > before {
                failures = 0;
            }
            failures += 1;
            if failures > self.retry_policy().attempts {
                return Err(outcome.unwrap_or(RegistryError::SizeMismatch {
                    registry,
                    what,
                    expected: blob.size,
                    found: pos,
                }));
            }
            let reason = outcome.map_or_else(
                || format!("the body ended after {pos} of {} bytes", blob.size),
                |e| e.to_string(),
            );
            tracing::debug!(%reason, pos, "resuming blob");
            progress(BlobProgress::Retrying {
                attempt: failures,
                reason,
            });
            self.pause(failures - 1, cancel).await?;
        }
    }

    async fn pause(&self, attempt: u32, cancel: &CancellationToken) -> Result<(), RegistryError> {
        let wait = self.retry_policy().delay(attempt);
        tokio::select! {
            _ = cancel.cancelled() => Err(RegistryError::Cancelled),
            _ = tokio::time::sleep(wait) => Ok(()),
        }
    }
}

/// The total size in a `Content-Range` header (`bytes 0-99/1234`, `bytes */1234`).
fn content_range_total(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(header::CONTENT_RANGE)?
        .to_str()
        .ok()?
        .rsplit_once('/')?
        .1
        .trim()
        .parse()
        .ok()
}

async fn send(
    tx: &mpsc::Sender<Chunk>,
    chunk: Chunk,
    cancel: &CancellationToken,
) -> Result<(), RegistryError> {
    tokio::select! {
        _ = cancel.cancelled() => Err(RegistryError::Cancelled),
        // The consumer hung up: it failed, and its own error is the one to report.
        r = tx.send(chunk) => r.map_err(|_| RegistryError::Cancelled),
    }
}

impl RegistryClient {
    /// Fetch a small blob (an image config) into memory, refusing more than `limit` bytes,
    /// and check it against its digest and size.
    pub async fn fetch_small_blob(
        &self,
        endpoint: &Endpoint,
        repository: &str,
        digest: &Digest,
        size: u64,
        limit: u64,
        cancel: &CancellationToken,
    ) -> Result<Vec<u8>, RegistryError> {
        self.retry_broken_body(cancel, move || {
            self.fetch_small_blob_once(endpoint, repository, digest, size, limit, cancel)
        })
        .await
    }

    async fn fetch_small_blob_once(
        &self,
        endpoint: &Endpoint,
        repository: &str,
        digest: &Digest,
        size: u64,
        limit: u64,
        cancel: &CancellationToken,
    ) -> Result<Vec<u8>, RegistryError> {
        let what = format!("blob {digest}");
        if size > limit {
            return Err(RegistryError::TooLarge {
                registry: endpoint.host.clone(),
                what,
                size,
                limit,
            });
        }
        let url = endpoint.url(repository, &format!("blobs/{digest}"));
        let response = self
            .send(
                endpoint,
                repository,
                Method::GET,
                url,
                HeaderMap::new(),
                cancel,
            )
            .await?;
        match response.status() {
            s if s.is_success() => {}
            StatusCode::NOT_FOUND => {
                return Err(RegistryError::NotFound {
                    registry: endpoint.host.clone(),
                    what: format!("{what} of {repository}"),
                });
            }
            s => {
                return Err(RegistryError::Status {
                    registry: endpoint.host.clone(),
                    status: s.as_u16(),
                    url: response.url().to_string(),
                });
            }
        }
        let bytes = super::client::read_capped(response, limit, &endpoint.host, &what).await?;
        if bytes.len() as u64 != size {
            return Err(RegistryError::SizeMismatch {
                registry: endpoint.host.clone(),
                what,
                expected: size,
                found: bytes.len() as u64,
            });
        }
        let found = Digest::of(&bytes);
        if found != *digest {
            return Err(RegistryError::DigestMismatch {
                registry: endpoint.host.clone(),
                what,
                expected: digest.clone(),
                found,
            });
        }
        Ok(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_range_totals() {
        let total = |value: &'static str| {
            let mut headers = HeaderMap::new();
            headers.insert(header::CONTENT_RANGE, HeaderValue::from_static(value));
            content_range_total(&headers)
        };
        assert_eq!(total("bytes 0-99/1234"), Some(1234));
        assert_eq!(total("bytes */1234"), Some(1234));
        assert_eq!(total("bytes 0-99/*"), None);
        assert_eq!(content_range_total(&HeaderMap::new()), None);
    }
}
