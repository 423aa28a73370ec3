//! A full reference typed into the search box (`ghcr.io/owner/app:1.2`,
//! `localhost:5000/x@sha256:…`) is resolved directly instead of searched for: its manifest
//! is fetched, and for each platform it has, the compressed size a pull downloads (the
//! config plus the layers; for an index, each platform's manifest is fetched too).

use futures_util::{StreamExt as _, TryStreamExt as _, stream};
use oci_spec::image::{Descriptor, ImageManifest};
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;

use super::manifest::{FetchedManifest, ManifestKind};
use super::{Endpoint, RegistryClient, RegistryError};
use crate::{Digest, Reference};

/// Platform manifests fetched at once for an index.
const JOBS: usize = 4;
/// The largest config read to learn a single image's platform.
const MAX_CONFIG_BYTES: u64 = 8 * 1024 * 1024;

/// What a reference resolves to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResolvedImage {
    /// The normalised reference (`ghcr.io/owner/app:1.2`).
    pub reference: String,
    pub registry: String,
    pub repository: String,
    /// The digest of what the reference names (an index's, for a multi-platform image).
    pub digest: Digest,
    pub media_type: String,
    /// Whether it is a multi-platform index.
    pub index: bool,
    /// One entry per runnable platform (attestations left out).
    pub platforms: Vec<PlatformImage>,
    /// The host that answered (a docker.io mirror, or the registry).
    pub source: String,
}

/// The image of one platform.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PlatformImage {
    pub os: String,
    pub architecture: String,
    pub variant: Option<String>,
    /// The platform's image manifest.
    pub digest: Digest,
    /// Compressed bytes a pull downloads: the config plus every layer.
    pub size: u64,
    pub layers: usize,
}

/// `text` as a reference to resolve rather than a query to search for: it parses as a
/// reference and names a registry host (`ghcr.io/…`, `localhost:5000/…`), a tag or a digest.
/// `nginx` and `bitnami/redis` are searches; `nginx:1.27` is a reference.
pub fn typed_reference(text: &str) -> Option<Reference> {
    let text = text.trim();
    if text.is_empty() || text.contains(char::is_whitespace) {
        return None;
    }
    let reference = Reference::parse(text).ok()?;
    let first = text.split('/').next().unwrap_or_default();
    let names_host =
        text.contains('/') && (first.contains('.') || first.contains(':') || first == "localhost");
    let last = text.rsplit('/').next().unwrap_or_default();
    let names_version = last.contains(':') || last.contains('@');
    (names_host || names_version).then_some(reference)
}

/// Fetch the manifest `reference` names (docker.io mirrors first, as a pull does) and
/// describe each platform image with its compressed size.
pub async fn resolve_reference(
    client: &RegistryClient,
    reference: &Reference,
    cancel: &CancellationToken,
) -> Result<ResolvedImage, RegistryError> {
    let tag_or_digest = match (reference.digest(), reference.tag()) {
        (Some(d), _) => d.to_string(),
        (None, Some(t)) => t.to_owned(),
        (None, None) => "latest".to_owned(),
    };
    let repository = reference.repository();
    let mut last_error = None;
    for endpoint in client.endpoints(reference)? {
        let c = if endpoint.mirror {
            client.failing_fast_when_unreachable()
        } else {
            client.clone()
        };
        let fetched = c
            .fetch_manifest(
                &endpoint,
                repository,
                &tag_or_digest,
                reference.digest(),
                cancel,
            )
            .await;
        match fetched {
            Ok(top) => return describe(client, &endpoint, reference, top, cancel).await,
            Err(e) if endpoint.mirror && !matches!(e, RegistryError::Cancelled) => {
                tracing::debug!(mirror = %endpoint.host, error = %e, "mirror failed; trying the next source");
                last_error = Some(e);
            }
            Err(e) => return Err(e),
        }
    }
    Err(last_error.unwrap_or_else(|| RegistryError::NotFound {
        registry: reference.registry().to_owned(),
        what: reference.to_string(),
    }))
}

async fn describe(
    client: &RegistryClient,
    endpoint: &Endpoint,
    reference: &Reference,
    top: FetchedManifest,
    cancel: &CancellationToken,
) -> Result<ResolvedImage, RegistryError> {
    let repository = reference.repository();
    let platforms = match &top.kind {
        ManifestKind::Image(manifest) => {
            let platform = config_platform(client, endpoint, repository, manifest, cancel).await?;
            vec![platform_image(platform, top.digest.clone(), manifest)]
        }
        ManifestKind::Index(index) => {
            // Owned entries: a future borrowing them would not be `Send` for every lifetime,
            // which callers that spawn a resolution need.
            let entries: Vec<Descriptor> = index
                .manifests()
                .iter()
                .filter(|d| !is_attestation(d))
                .cloned()
                .collect();
            stream::iter(entries)
                .map(|d| platform_of_entry(client, endpoint, repository, d, cancel))
                .buffered(JOBS)
                .try_collect::<Vec<_>>()
                .await?
                .into_iter()
                .flatten()
                .collect()
        }
    };
    Ok(ResolvedImage {
        reference: reference.to_string(),
        registry: reference.registry().to_owned(),
        repository: repository.to_owned(),
        digest: top.digest,
        media_type: top.media_type,
        index: matches!(top.kind, ManifestKind::Index(_)),
        platforms,
        source: endpoint.host.clone(),
    })
}

/// BuildKit's provenance and SBOM manifests ride in the index as `unknown/unknown`.
fn is_attestation(d: &Descriptor) -> bool {
    let unknown_platform = d
        .platform()
        .as_ref()
        .is_some_and(|p| p.os().to_string() == "unknown");
    let annotated = d
        .annotations()
        .as_ref()
        .is_some_and(|a| a.contains_key("vnd.docker.reference.type"));
    unknown_platform || annotated
}

type PlatformParts = (String, String, Option<String>);

async fn platform_of_entry(
    client: &RegistryClient,
    endpoint: &Endpoint,
    repository: &str,
    entry: Descriptor,
    cancel: &CancellationToken,
) -> Result<Option<PlatformImage>, RegistryError> {
    let digest: Digest =
        entry
            .digest()
            .to_string()
            .parse()
            .map_err(|e| RegistryError::InvalidManifest {
                registry: endpoint.host.clone(),
                what: format!("the index of {repository}"),
                reason: format!("it names a bad digest: {e}"),
            })?;
    let child = client
        .fetch_manifest(
            endpoint,
            repository,
            &digest.to_string(),
            Some(&digest),
            cancel,
        )
        .await?;
    let ManifestKind::Image(manifest) = &child.kind else {
        tracing::debug!(%digest, "an index inside an index; left out");
        return Ok(None);
    };
    let platform = match entry.platform() {
        Some(p) => (
            p.os().to_string(),
            p.architecture().to_string(),
            p.variant().clone().filter(|v| !v.is_empty()),
        ),
        None => config_platform(client, endpoint, repository, manifest, cancel).await?,
    };
    Ok(Some(platform_image(platform, digest, manifest)))
}

/// The platform a single image's config declares (`unknown` where it says nothing).
async fn config_platform(
    client: &RegistryClient,
    endpoint: &Endpoint,
    repository: &str,
    manifest: &ImageManifest,
    cancel: &CancellationToken,
) -> Result<PlatformParts, RegistryError> {
    let config = manifest.config();
    let digest: Digest =
        config
            .digest()
            .to_string()
            .parse()
            .map_err(|e| RegistryError::InvalidManifest {
                registry: endpoint.host.clone(),
                what: format!("a manifest of {repository}"),
                reason: format!("its config has a bad digest: {e}"),
            })?;
    let bytes = client
        .fetch_small_blob(
            endpoint,
            repository,
            &digest,
            config.size(),
            MAX_CONFIG_BYTES,
            cancel,
        )
        .await?;
    #[derive(Deserialize)]
    struct Cfg {
        os: Option<String>,
        architecture: Option<String>,
        variant: Option<String>,
    }
    let cfg: Option<Cfg> = serde_json::from_slice(&bytes).ok();
    let (os, architecture, variant) = cfg
        .map(|c| (c.os, c.architecture, c.variant))
        .unwrap_or_default();
    Ok((
        os.unwrap_or_else(|| "unknown".into()),
        architecture.unwrap_or_else(|| "unknown".into()),
        variant.filter(|v| !v.is_empty()),
    ))
}

fn platform_image(
    (os, architecture, variant): PlatformParts,
    digest: Digest,
    manifest: &ImageManifest,
) -> PlatformImage {
    let layers = manifest.layers();
    PlatformImage {
        os,
        architecture,
        variant,
        digest,
        size: manifest.config().size() + layers.iter().map(Descriptor::size).sum::<u64>(),
        layers: layers.len(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn which_inputs_are_references() {
        for r in [
            "ghcr.io/owner/app:1.2",
            "localhost:5000/x",
            "127.0.0.1:5000/a/b",
            "nginx:1.27",
            "bitnami/redis:7",
            "quay.io/x/y",
        ] {
            assert!(typed_reference(r).is_some(), "{r}");
        }
        let digest = format!("localhost:5000/x@sha256:{}", "a".repeat(64));
        assert!(typed_reference(&digest).is_some());
        for q in ["nginx", "bitnami/redis", "", "web server", "NGINX", "a b:c"] {
            assert!(typed_reference(q).is_none(), "{q}");
        }
    }
}
