//! Manifests and indexes: negotiated with `Accept`, capped in size, verified by digest.

use oci_spec::image::{ImageIndex, ImageManifest};
use reqwest::header::{self, HeaderMap, HeaderValue};
use reqwest::{Method, StatusCode};
use tokio_util::sync::CancellationToken;

use super::client::read_capped;
use super::{Endpoint, RegistryClient, RegistryError};
use crate::Digest;

pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
const DOCKER_SCHEMA1: &str = "application/vnd.docker.distribution.manifest.v1+json";
const DOCKER_SCHEMA1_SIGNED: &str = "application/vnd.docker.distribution.manifest.v1+prettyjws";

/// containerd's limit on a manifest's size; larger ones are refused unread.
pub const MAX_MANIFEST_BYTES: u64 = 4 * 1024 * 1024;

/// A manifest or index as the registry served it.
#[derive(Debug, Clone)]
pub struct FetchedManifest {
    pub bytes: Vec<u8>,
    pub media_type: String,
    pub digest: Digest,
    pub kind: ManifestKind,
}

#[derive(Debug, Clone)]
pub enum ManifestKind {
    Index(Box<ImageIndex>),
    Image(Box<ImageManifest>),
}

fn accept_header() -> HeaderValue {
    HeaderValue::from_static(
        "application/vnd.oci.image.index.v1+json, \
         application/vnd.docker.distribution.manifest.list.v2+json, \
         application/vnd.oci.image.manifest.v1+json, \
         application/vnd.docker.distribution.manifest.v2+json",
    )
}

impl RegistryClient {
    /// Fetch the manifest that `reference` (a tag or a digest) names in `repository`.
    /// When `expected` is given (a digest reference or a descriptor), the body must hash
    /// to it; otherwise it must hash to the registry's `Docker-Content-Digest`, if sent.
    pub async fn fetch_manifest(
        &self,
        endpoint: &Endpoint,
        repository: &str,
        reference: &str,
        expected: Option<&Digest>,
        cancel: &CancellationToken,
    ) -> Result<FetchedManifest, RegistryError> {
        self.retry_broken_body(cancel, move || {
            self.fetch_manifest_once(endpoint, repository, reference, expected, cancel)
        })
        .await
    }

    /// `HEAD` the manifest that `reference` (a tag or a digest) names in `repository` and
    /// return the response headers: `Docker-Content-Digest`, `Content-Type`,
    /// `Content-Length`, and Docker Hub's `ratelimit-limit`/`ratelimit-remaining` (a HEAD
    /// does not count against Docker Hub's pull limit).
    pub async fn head_manifest(
        &self,
        endpoint: &Endpoint,
        repository: &str,
        reference: &str,
        cancel: &CancellationToken,
    ) -> Result<HeaderMap, RegistryError> {
        let url = endpoint.url(repository, &format!("manifests/{reference}"));
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT, accept_header());
        let response = self
            .send(endpoint, repository, Method::HEAD, url, headers, cancel)
            .await?;
        match response.status() {
            s if s.is_success() => Ok(response.headers().clone()),
            StatusCode::NOT_FOUND => Err(RegistryError::NotFound {
                registry: endpoint.host.clone(),
                what: format!("{repository}:{reference}"),
            }),
            StatusCode::FORBIDDEN => Err(RegistryError::Denied {
                registry: endpoint.host.clone(),
                repository: repository.to_owned(),
            }),
            s => Err(RegistryError::Status {
                registry: endpoint.host.clone(),
                status: s.as_u16(),
                url: response.url().to_string(),
            }),
        }
    }

    async fn fetch_manifest_once(
        &self,
        endpoint: &Endpoint,
        repository: &str,
        reference: &str,
        expected: Option<&Digest>,
        cancel: &CancellationToken,
    ) -> Result<FetchedManifest, RegistryError> {
        let url = endpoint.url(repository, &format!("manifests/{reference}"));
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT, accept_header());
        let response = self
            .send(endpoint, repository, Method::GET, url, headers, cancel)
            .await?;
        let what = format!("the manifest of {repository}:{reference}");
        match response.status() {
            s if s.is_success() => {}
            StatusCode::NOT_FOUND => {
                return Err(RegistryError::NotFound {
                    registry: endpoint.host.clone(),
                    what: format!("{repository}:{reference}"),
                });
            }
            StatusCode::FORBIDDEN => {
                return Err(RegistryError::Denied {
                    registry: endpoint.host.clone(),
                    repository: repository.to_owned(),
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
        let header_digest = response
            .headers()
            .get("docker-content-digest")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<Digest>().ok());
        let content_type = response
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.split(';').next().unwrap_or(v).trim().to_owned());
        let bytes = read_capped(response, MAX_MANIFEST_BYTES, &endpoint.host, &what).await?;
        let found = Digest::of(&bytes);
        if let Some(expected) = expected.or(header_digest.as_ref())
            && *expected != found
        {
            return Err(RegistryError::DigestMismatch {
                registry: endpoint.host.clone(),
                what,
                expected: expected.clone(),
                found,
            });
        }
        parse_manifest(bytes, content_type, found, &endpoint.host, &what)
    }
}

/// Decide what a manifest is from its `mediaType` field (or the `Content-Type` the
/// registry sent, for old manifests without one) and parse it.
pub fn parse_manifest(
    bytes: Vec<u8>,
    content_type: Option<String>,
    digest: Digest,
    registry: &str,
    what: &str,
) -> Result<FetchedManifest, RegistryError> {
    let invalid = |reason: String| RegistryError::InvalidManifest {
        registry: registry.to_owned(),
        what: what.to_owned(),
        reason,
    };
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Probe {
        media_type: Option<String>,
        schema_version: Option<u32>,
        manifests: Option<serde_json::Value>,
    }
    let probe: Probe =
        serde_json::from_slice(&bytes).map_err(|e| invalid(format!("not JSON: {e}")))?;
    let media_type = probe
        .media_type
        .clone()
        .or(content_type)
        .or_else(|| {
            probe
                .manifests
                .as_ref()
                .map(|_| OCI_INDEX.to_owned())
                .or(Some(OCI_MANIFEST.to_owned()))
        })
        .unwrap_or_default();
    let unsupported = |hint: &'static str| RegistryError::UnsupportedMediaType {
        registry: registry.to_owned(),
        what: what.to_owned(),
        media_type: media_type.clone(),
        hint,
    };
    if probe.schema_version == Some(1)
        || media_type == DOCKER_SCHEMA1
        || media_type == DOCKER_SCHEMA1_SIGNED
    {
        return Err(unsupported(
            " (Docker schema 1 manifests are deprecated; the image must be pushed again with a current tool)",
        ));
    }
    let kind = match media_type.as_str() {
        OCI_INDEX | DOCKER_LIST => ManifestKind::Index(Box::new(
            serde_json::from_slice(&bytes).map_err(|e| invalid(e.to_string()))?,
        )),
        OCI_MANIFEST | DOCKER_MANIFEST => ManifestKind::Image(Box::new(
            serde_json::from_slice(&bytes).map_err(|e| invalid(e.to_string()))?,
        )),
        "application/json" if probe.manifests.is_some() => ManifestKind::Index(Box::new(
            serde_json::from_slice(&bytes).map_err(|e| invalid(e.to_string()))?,
        )),
        "application/json" => ManifestKind::Image(Box::new(
            serde_json::from_slice(&bytes).map_err(|e| invalid(e.to_string()))?,
        )),
        _ => return Err(unsupported(" (not an image manifest or index)")),
    };
    Ok(FetchedManifest {
        bytes,
        media_type,
        digest,
        kind,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str, ct: Option<&str>) -> Result<FetchedManifest, RegistryError> {
        let bytes = json.as_bytes().to_vec();
        let d = Digest::of(&bytes);
        parse_manifest(bytes, ct.map(str::to_owned), d, "r", "m")
    }

    #[test]
    fn recognises_the_four_media_types() {
        let cfg = format!(
            r#"{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:{}","size":2}}"#,
            "a".repeat(64)
        );
        let m = format!(
            r#"{{"schemaVersion":2,"mediaType":"{DOCKER_MANIFEST}","config":{cfg},"layers":[]}}"#
        );
        assert!(matches!(
            parse(&m, None).unwrap().kind,
            ManifestKind::Image(_)
        ));
        let m = format!(r#"{{"schemaVersion":2,"config":{cfg},"layers":[]}}"#);
        let f = parse(&m, Some(OCI_MANIFEST)).unwrap();
        assert_eq!(f.media_type, OCI_MANIFEST);
        let i = format!(r#"{{"schemaVersion":2,"mediaType":"{DOCKER_LIST}","manifests":[]}}"#);
        assert!(matches!(
            parse(&i, None).unwrap().kind,
            ManifestKind::Index(_)
        ));
        let i = r#"{"schemaVersion":2,"manifests":[]}"#;
        assert!(matches!(
            parse(i, Some(OCI_INDEX)).unwrap().kind,
            ManifestKind::Index(_)
        ));
    }

    #[test]
    fn refuses_schema1_and_garbage_without_panicking() {
        let e = parse(r#"{"schemaVersion":1,"name":"x"}"#, None).unwrap_err();
        assert!(e.to_string().contains("schema 1"), "{e}");
        assert!(parse("not json", None).is_err());
        assert!(parse(r#"{"mediaType":"text/html"}"#, None).is_err());
        assert!(parse(&format!(r#"{{"mediaType":"{OCI_MANIFEST}"}}"#), None).is_err());
    }
}
