//! A push: an image of the store uploaded to a registry, as `docker push` does it. Each blob
//! (config and layers) is looked for first (`HEAD`), mounted from the image's own repository
//! when that is on the same registry, else uploaded in one streamed `PUT`; several blobs go
//! at once. The manifest goes last, byte for byte as stored, under the destination's tag,
//! and the registry's digest of it must be ours.
//!
//! The store keeps one platform of a multi-platform image, so a push sends that platform's
//! manifest, never the index it was chosen from. Foreign (non-distributable) layers are not
//! uploaded, as Docker leaves them out: the manifest names where they come from.

mod upload;

use std::collections::HashSet;

use bytes::Bytes;
use futures_util::{TryFutureExt, future};
use oci_spec::image::{Descriptor, ImageManifest};
use reqwest::header::{self, HeaderMap, HeaderValue};
use reqwest::{Method, StatusCode};
use serde::Serialize;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

use super::client::push_scope;
use super::manifest::{DOCKER_LIST, OCI_INDEX};
use super::{Endpoint, RegistryClient, RegistryError};
use crate::pull::LayerInfo;
use crate::store::{ImageSummary, MAX_MANIFEST_SIZE, Store, StoreError};
use crate::{Digest, Reference};

use upload::{BlobToPush, Uploader, rejected};

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PushError {
    #[error(transparent)]
    Registry(#[from] RegistryError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(
        "cannot push {image}: the store lacks {}; pull the image again (or `porthole fsck` to see what else is damaged)",
        missing.iter().map(|(what, d)| format!("its {what} {d}")).collect::<Vec<_>>().join(", ")
    )]
    MissingBlobs {
        image: String,
        /// What each missing blob is (`config`, `layer 2`) and its digest.
        missing: Vec<(String, Digest)>,
    },
    #[error(
        "cannot push to {destination}: a digest names content, not a place to put it; give a tag \
         instead (e.g. {name}:latest)"
    )]
    DigestDestination {
        destination: String,
        /// The destination's registry and repository.
        name: String,
    },
    #[error(
        "cannot push {image} as {destination}: that names manifest {expected}, but the image's is {found}"
    )]
    DestinationDigestMismatch {
        image: String,
        destination: String,
        expected: Digest,
        found: Digest,
    },
    #[error("cannot push {image}: {reason}")]
    InvalidImage { image: String, reason: String },
    #[error("the push was cancelled")]
    Cancelled,
    #[error("internal error: {0}")]
    Internal(String),
}

impl PushError {
    /// A registry error, in the words of a push: signing in "to pull" becomes "to push",
    /// and a plain refusal names push access.
    fn from_registry(e: RegistryError) -> PushError {
        match e {
            RegistryError::Cancelled => PushError::Cancelled,
            RegistryError::AuthRequired {
                registry,
                repository,
            } => PushError::Registry(RegistryError::PushAuthRequired {
                registry,
                repository,
            }),
            RegistryError::Denied {
                registry,
                repository,
            } => PushError::Registry(RegistryError::PushDenied {
                registry,
                repository,
            }),
            e => PushError::Registry(e),
        }
    }
}

/// How to push.
#[derive(Debug, Clone)]
pub struct PushOptions {
    /// Blobs uploaded at once.
    pub jobs: usize,
}

/// What happened to one blob.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BlobStatus {
    /// Uploaded in this push.
    Pushed,
    /// The repository had it already.
    Exists,
    /// Mounted from the image's own repository on the same registry: nothing uploaded.
    Mounted,
    /// A foreign (non-distributable) layer: not uploaded, as Docker leaves it out.
    SkippedForeign,
}

#[derive(Debug, Clone, Serialize)]
pub struct BlobReport {
    pub digest: Digest,
    pub size: u64,
    pub media_type: String,
    pub status: BlobStatus,
}

/// What a push did. This is the `porthole push --json` document.
#[derive(Debug, Clone, Serialize)]
pub struct PushReport {
    /// The destination, full and normalised: `127.0.0.1:5000/team/app:1.0`.
    pub reference: String,
    /// The manifest's digest (the same in the store and in the registry).
    pub digest: Digest,
    /// The config's digest: the image ID.
    pub id: Digest,
    pub config: BlobReport,
    pub layers: Vec<BlobReport>,
    /// Bytes of the blobs this push uploaded (config and layers; each counted once, even
    /// when an upload was retried).
    pub bytes_uploaded: u64,
}

/// What a push reports while it runs: the CLI draws progress bars from these.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(
    tag = "event",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
#[non_exhaustive]
pub enum PushEvent {
    /// The image was read from the store: these blobs (config first) will be pushed.
    Started {
        reference: String,
        digest: Digest,
        blobs: Vec<LayerInfo>,
    },
    /// The repository has the blob already.
    BlobExists { digest: Digest },
    /// The registry mounted the blob from another of its repositories.
    BlobMounted { digest: Digest, from: String },
    /// A foreign layer, left out.
    BlobSkipped { digest: Digest },
    /// Bytes of the blob sent so far in its current attempt.
    BlobProgress {
        digest: Digest,
        uploaded: u64,
        total: u64,
    },
    /// The upload failed and starts again.
    BlobRetrying {
        digest: Digest,
        attempt: u32,
        reason: String,
    },
    /// The registry has the blob, uploaded and verified.
    BlobPushed { digest: Digest },
    /// The manifest is in the registry under the destination's tag.
    ManifestPushed { digest: Digest },
}

/// Where push events go. Called from the push's tasks: keep it cheap.
pub type PushObserver<'a> = &'a (dyn Fn(PushEvent) + Send + Sync);

/// Push `image` (of `store`) to `destination`, which must carry a tag.
pub async fn push_image(
    client: &RegistryClient,
    store: &Store,
    image: &ImageSummary,
    destination: &Reference,
    options: &PushOptions,
    observer: PushObserver<'_>,
    cancel: &CancellationToken,
) -> Result<PushReport, PushError> {
    let shown = image_name(image);
    let Some(tag) = destination.tag() else {
        return Err(PushError::DigestDestination {
            destination: destination.to_string(),
            name: destination.name(),
        });
    };
    if let Some(d) = destination.digest()
        && *d != image.digest
    {
        return Err(PushError::DestinationDigestMismatch {
            image: shown,
            destination: destination.to_string(),
            expected: d.clone(),
            found: image.digest.clone(),
        });
    }
    let invalid = |reason: String| PushError::InvalidImage {
        image: shown.clone(),
        reason,
    };
    if matches!(image.media_type.as_str(), OCI_INDEX | DOCKER_LIST) {
        return Err(invalid(
            "it is a multi-platform index; Porthole pushes one platform's image (push that image by its ID)".into(),
        ));
    }

    // Held for the whole push, so that a gc cannot delete blobs while they are read.
    let (manifest_bytes, blobs, _lock) = {
        let (store, digest) = (store.clone(), image.digest.clone());
        let shown = shown.clone();
        blocking(move || read_image(&store, &digest, &shown)).await??
    };
    let manifest_bytes = Bytes::from(manifest_bytes);
    let config = blobs[0].clone();

    let endpoint = client
        .endpoints_for_host(destination.registry())?
        .pop()
        .ok_or_else(|| PushError::Internal("no endpoint for the registry".into()))?;
    let repository = destination.repository();
    // The image's own repository, when the registry is the same: blobs can be mounted from it.
    let mount_from = image
        .reference
        .as_deref()
        .and_then(|r| Reference::parse(r).ok())
        .filter(|r| r.registry() == destination.registry() && r.repository() != repository)
        .map(|r| r.repository().to_owned());

    observer(PushEvent::Started {
        reference: destination.to_string(),
        digest: image.digest.clone(),
        blobs: blobs
            .iter()
            .map(|b| LayerInfo {
                digest: b.digest.clone(),
                size: b.size,
                media_type: b.media_type.clone(),
            })
            .collect(),
    });

    let child = cancel.child_token();
    let uploader = Uploader {
        client,
        endpoint: &endpoint,
        repository,
        mount_from: mount_from.as_deref(),
        observer,
        cancel: &child,
    };
    let slots = Semaphore::new(options.jobs.max(1));
    // A manifest may name one blob twice: each distinct blob is pushed once.
    let mut seen = HashSet::new();
    let distinct: Vec<&BlobToPush> = blobs.iter().filter(|b| seen.insert(&b.digest)).collect();
    let pushes: Vec<_> = distinct
        .iter()
        .map(|blob| uploader.push_blob(blob, &slots))
        .collect();
    let statuses = future::try_join_all(pushes.into_iter().map(|push| {
        push.map_err(|e| {
            child.cancel();
            e
        })
    }))
    .await
    .map_err(PushError::from_registry)?;
    let status_of = |digest: &Digest| {
        distinct
            .iter()
            .zip(&statuses)
            .find(|(b, _)| b.digest == *digest)
            .map(|(_, s)| *s)
            .ok_or_else(|| PushError::Internal(format!("blob {digest} went missing")))
    };
    let mut reports = Vec::with_capacity(blobs.len());
    for blob in &blobs {
        reports.push(BlobReport {
            digest: blob.digest.clone(),
            size: blob.size,
            media_type: blob.media_type.clone(),
            status: status_of(&blob.digest)?,
        });
    }
    let bytes_uploaded = distinct
        .iter()
        .zip(&statuses)
        .filter(|(_, s)| **s == BlobStatus::Pushed)
        .map(|(b, _)| b.size)
        .sum();

    if cancel.is_cancelled() {
        return Err(PushError::Cancelled);
    }
    put_manifest(
        client,
        &endpoint,
        repository,
        tag,
        &image.media_type,
        manifest_bytes,
        &image.digest,
        cancel,
    )
    .await
    .map_err(PushError::from_registry)?;
    observer(PushEvent::ManifestPushed {
        digest: image.digest.clone(),
    });

    let mut reports = reports.into_iter();
    let config_report = reports
        .next()
        .ok_or_else(|| PushError::Internal("the config went missing".into()))?;
    Ok(PushReport {
        reference: destination.to_string(),
        digest: image.digest.clone(),
        id: config.digest,
        config: config_report,
        layers: reports.collect(),
        bytes_uploaded,
    })
}

/// The image's manifest, its blobs (config first, then the layers in order), each checked to
/// be in the store at its size, and the store's shared lock.
fn read_image(
    store: &Store,
    digest: &Digest,
    shown: &str,
) -> Result<(Vec<u8>, Vec<BlobToPush>, crate::store::StoreLock), PushError> {
    let lock = store.lock_shared()?;
    let invalid = |reason: String| PushError::InvalidImage {
        image: shown.to_owned(),
        reason,
    };
    let bytes = match store.read_blob(digest, MAX_MANIFEST_SIZE) {
        Ok(b) => b,
        Err(StoreError::MissingBlob { digest, .. }) => {
            return Err(PushError::MissingBlobs {
                image: shown.to_owned(),
                missing: vec![("manifest".into(), digest)],
            });
        }
        Err(e) => return Err(e.into()),
    };
    let manifest: ImageManifest = serde_json::from_slice(&bytes)
        .map_err(|e| invalid(format!("its manifest cannot be read: {e}")))?;
    let mut blobs = vec![blob_to_push(store, manifest.config(), "config", shown)?];
    for (i, layer) in manifest.layers().iter().enumerate() {
        blobs.push(blob_to_push(
            store,
            layer,
            &format!("layer {}", i + 1),
            shown,
        )?);
    }
    let mut missing = Vec::new();
    for blob in blobs.iter().filter(|b| !b.foreign) {
        match std::fs::metadata(&blob.path) {
            Ok(m) if m.len() == blob.size => {}
            Ok(m) => {
                return Err(invalid(format!(
                    "its {} {} is {} bytes in the store, but the manifest says {} (run `porthole fsck`)",
                    blob.role,
                    blob.digest,
                    m.len(),
                    blob.size
                )));
            }
            Err(_) => missing.push((blob.role.clone(), blob.digest.clone())),
        }
    }
    if !missing.is_empty() {
        return Err(PushError::MissingBlobs {
            image: shown.to_owned(),
            missing,
        });
    }
    Ok((bytes, blobs, lock))
}

fn blob_to_push(
    store: &Store,
    d: &Descriptor,
    role: &str,
    shown: &str,
) -> Result<BlobToPush, PushError> {
    let digest: Digest = d
        .digest()
        .to_string()
        .parse()
        .map_err(|e| PushError::InvalidImage {
            image: shown.to_owned(),
            reason: format!("its {role} has a digest Porthole cannot verify: {e}"),
        })?;
    let media_type = d.media_type().to_string();
    let foreign = is_foreign(
        &media_type,
        d.urls().as_ref().is_some_and(|u| !u.is_empty()),
    );
    Ok(BlobToPush {
        path: store.blob_path(&digest),
        digest,
        size: d.size(),
        media_type,
        foreign,
        role: role.to_owned(),
    })
}

/// A layer Docker does not push: a non-distributable media type (OCI's
/// `…layer.nondistributable…`, Docker's `…rootfs.foreign…`), or one that names `urls` to
/// fetch it from (what pull does with `urls`, the other way round).
fn is_foreign(media_type: &str, has_urls: bool) -> bool {
    has_urls
        || media_type.contains(".nondistributable.")
        || media_type.starts_with("application/vnd.docker.image.rootfs.foreign.")
}

/// `PUT` the manifest under `tag` and check the registry's digest of it.
#[allow(clippy::too_many_arguments)]
async fn put_manifest(
    client: &RegistryClient,
    endpoint: &Endpoint,
    repository: &str,
    tag: &str,
    media_type: &str,
    bytes: Bytes,
    digest: &Digest,
    cancel: &CancellationToken,
) -> Result<(), RegistryError> {
    let url = endpoint.url(repository, &format!("manifests/{tag}"));
    let mut headers = HeaderMap::new();
    let content_type =
        HeaderValue::from_str(media_type).map_err(|_| RegistryError::UnsupportedMediaType {
            registry: endpoint.host.clone(),
            what: format!("the manifest {digest}"),
            media_type: media_type.to_owned(),
            hint: " (not a valid Content-Type)",
        })?;
    headers.insert(header::CONTENT_TYPE, content_type);
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(bytes.len()));
    let body = move || reqwest::Body::from(bytes.clone());
    let response = client
        .send_with_body(
            endpoint,
            repository,
            &push_scope(repository),
            Method::PUT,
            url,
            headers,
            &body,
            cancel,
        )
        .await?;
    let what = format!("the manifest of {repository}:{tag}");
    match response.status() {
        s if s.is_success() => {}
        StatusCode::FORBIDDEN => {
            return Err(RegistryError::PushDenied {
                registry: endpoint.host.clone(),
                repository: repository.to_owned(),
            });
        }
        _ => return Err(rejected(response, &endpoint.host, &what).await),
    }
    let theirs = response
        .headers()
        .get("docker-content-digest")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<Digest>().ok());
    match theirs {
        Some(found) if found != *digest => Err(RegistryError::DigestMismatch {
            registry: endpoint.host.clone(),
            what,
            expected: digest.clone(),
            found,
        }),
        _ => Ok(()),
    }
}

/// How an image is named in messages: its reference, else its short ID.
fn image_name(image: &ImageSummary) -> String {
    image
        .reference
        .as_deref()
        .and_then(|r| Reference::parse(r).ok())
        .map_or_else(|| image.id.short().to_owned(), |r| r.familiar())
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, PushError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| PushError::Internal(format!("a store task failed: {e}")))
}

/// A push can be spawned onto a multi-threaded runtime (the app would): this only compiles
/// while the push future is `Send`.
#[cfg(test)]
#[allow(dead_code)]
fn push_can_be_spawned(
    client: RegistryClient,
    store: Store,
    image: ImageSummary,
    destination: Reference,
    cancel: CancellationToken,
) -> tokio::task::JoinHandle<Result<PushReport, PushError>> {
    tokio::spawn(async move {
        let observer = |_: PushEvent| {};
        let options = PushOptions { jobs: 2 };
        push_image(
            &client,
            &store,
            &image,
            &destination,
            &options,
            &observer,
            &cancel,
        )
        .await
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn foreign_layers_are_told_apart() {
        assert!(is_foreign(
            "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
            false
        ));
        assert!(is_foreign(
            "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
            false
        ));
        assert!(is_foreign(
            "application/vnd.oci.image.layer.v1.tar+gzip",
            true
        ));
        assert!(!is_foreign(
            "application/vnd.oci.image.layer.v1.tar+gzip",
            false
        ));
        assert!(!is_foreign(
            "application/vnd.docker.image.rootfs.diff.tar.gzip",
            false
        ));
    }

    #[test]
    fn registry_errors_read_as_a_push() {
        let e = PushError::from_registry(RegistryError::AuthRequired {
            registry: "127.0.0.1:5000".into(),
            repository: "team/app".into(),
        });
        assert_eq!(
            e.to_string(),
            "registry 127.0.0.1:5000 requires you to sign in to push to team/app: run `porthole login 127.0.0.1:5000`"
        );
        let e = PushError::from_registry(RegistryError::Denied {
            registry: "r".into(),
            repository: "team/app".into(),
        });
        assert!(
            e.to_string()
                .starts_with("registry r denied push access to team/app"),
            "{e}"
        );
        assert!(matches!(
            PushError::from_registry(RegistryError::Cancelled),
            PushError::Cancelled
        ));
        let refused = PushError::from_registry(RegistryError::CredentialsRefused {
            registry: "r".into(),
            repository: "team/app".into(),
        });
        assert!(
            refused.to_string().contains("`porthole login r`"),
            "{refused}"
        );
    }

    #[test]
    fn digest_destinations_are_refused_with_a_hint() {
        let destination =
            Reference::parse(&format!("127.0.0.1:5000/a/b@sha256:{}", "a".repeat(64)))
                .expect("reference");
        let e = PushError::DigestDestination {
            destination: destination.to_string(),
            name: destination.name(),
        };
        assert_eq!(
            e.to_string(),
            "cannot push to 127.0.0.1:5000/a/b@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa: a digest names content, not a place to put it; give a tag instead (e.g. 127.0.0.1:5000/a/b:latest)"
        );
    }

    #[test]
    fn missing_blobs_are_named() {
        let d: Digest = format!("sha256:{}", "b".repeat(64))
            .parse()
            .expect("digest");
        let e = PushError::MissingBlobs {
            image: "app:1".into(),
            missing: vec![("layer 2".into(), d.clone())],
        };
        let text = e.to_string();
        assert!(
            text.starts_with("cannot push app:1: the store lacks its layer 2 sha256:bbbb"),
            "{text}"
        );
        assert!(text.contains("pull the image again"), "{text}");
    }
}
