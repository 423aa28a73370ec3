//! A pull: resolve the reference (through docker.io mirrors first), pick the platform,
//! stream the missing layers into the store several at a time, and only then name the
//! image in `index.json`. Cancelling at any point leaves verified blobs and resumable
//! partials, never a half-written blob or a dangling name.

mod events;
mod layer;

use futures_util::{TryFutureExt, future};
use oci_spec::image::{Descriptor, ImageIndex, ImageManifest};
use serde::Serialize;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

pub use events::{LayerInfo, Observer, PullEvent};

use crate::registry::manifest::{FetchedManifest, ManifestKind};
use crate::registry::{Endpoint, RegistryClient, RegistryError};
use crate::store::{ManifestDescriptor, NewImage, Store, StoreError};
use crate::{Digest, Platform, Reference};

/// Image configs are small; containerd caps them like manifests.
const MAX_CONFIG_BYTES: u64 = 8 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PullError {
    #[error(transparent)]
    Registry(#[from] RegistryError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(
        "layer {digest} of {reference} does not match its digest (got {found}); the corrupt download was discarded, pull again"
    )]
    LayerDigestMismatch {
        reference: String,
        digest: Digest,
        found: Digest,
    },
    #[error("{reference}: {reason}")]
    InvalidImage { reference: String, reason: String },
    #[error(transparent)]
    Layer(#[from] crate::layers::LayerError),
    #[error("the pull was cancelled")]
    Cancelled,
    #[error("internal error: {0}")]
    Internal(String),
}

impl PullError {
    fn from_registry(e: RegistryError) -> PullError {
        match e {
            RegistryError::Cancelled => PullError::Cancelled,
            e => PullError::Registry(e),
        }
    }
}

/// How to pull.
#[derive(Debug, Clone)]
pub struct PullOptions {
    /// The platform to pick from a multi-platform image; the host's when `None`.
    pub platform: Option<Platform>,
    /// Layers downloaded at once.
    pub jobs: usize,
    /// Index each layer's files while it streams by (decompress and walk the tar), and
    /// check its diff_id against the image config.
    pub index: bool,
}

/// What a pull did, layer by layer. This is the `porthole pull --json` document.
#[derive(Debug, Clone, Serialize)]
pub struct PullReport {
    /// The full normalised reference, e.g. `docker.io/library/nginx:latest`.
    pub reference: String,
    /// The image manifest's digest.
    pub digest: Digest,
    /// The digest of the multi-platform index the reference named, if it named one.
    pub index_digest: Option<Digest>,
    /// The config's digest: the image ID.
    pub id: Digest,
    /// `os/arch[/variant]`, e.g. `linux/amd64`.
    #[serde(serialize_with = "crate::platform::as_string")]
    pub platform: Platform,
    /// The registry or mirror the image came from.
    pub source: String,
    pub layers: Vec<LayerReport>,
    /// Bytes fetched over the network for layers.
    pub bytes_downloaded: u64,
    /// Bytes of layers that were in the store already.
    pub bytes_present: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct LayerReport {
    pub digest: Digest,
    pub size: u64,
    pub media_type: String,
    /// Bytes fetched over the network in this pull (less than `size` after a resume).
    pub downloaded: u64,
    pub already_present: bool,
    /// SHA-256 of the uncompressed tar, when the layer was indexed in this pull.
    pub diff_id: Option<Digest>,
    /// Bytes of the uncompressed tar, when indexed.
    pub uncompressed_size: Option<u64>,
    /// Files, directories and links the layer holds, when indexed.
    pub files: Option<usize>,
}

/// Pull `reference` into `store`.
pub async fn pull(
    client: &RegistryClient,
    store: &Store,
    reference: &Reference,
    options: &PullOptions,
    observer: Observer<'_>,
    cancel: &CancellationToken,
) -> Result<PullReport, PullError> {
    let wanted = options.platform.clone().unwrap_or_else(Platform::host);
    // Held for the whole pull, so that a garbage collection cannot remove blobs that
    // this pull wrote but has not named yet.
    let store_for_lock = store.clone();
    let _lock = blocking(move || store_for_lock.lock_shared()).await??;

    let (endpoint, top) = resolve(client, reference, cancel).await?;
    let repository = reference.repository();
    let (manifest_fetched, index_digest) = match &top.kind {
        ManifestKind::Image(_) => (top.clone(), None),
        ManifestKind::Index(index) => {
            let chosen = choose_platform(index, &wanted, reference)?;
            let child_digest: Digest =
                chosen.digest().to_string().parse().map_err(|e| {
                    invalid(reference, format!("its index names a bad digest: {e}"))
                })?;
            let child = client
                .fetch_manifest(
                    &endpoint,
                    repository,
                    &child_digest.to_string(),
                    Some(&child_digest),
                    cancel,
                )
                .await
                .map_err(PullError::from_registry)?;
            (child, Some(top.digest.clone()))
        }
    };
    let ManifestKind::Image(manifest) = &manifest_fetched.kind else {
        return Err(invalid(
            reference,
            "its index points at another index".into(),
        ));
    };

    let config_desc = manifest.config();
    let config_digest = descriptor_digest(config_desc, reference)?;
    let config_bytes = client
        .fetch_small_blob(
            &endpoint,
            repository,
            &config_digest,
            config_desc.size(),
            MAX_CONFIG_BYTES,
            cancel,
        )
        .await
        .map_err(PullError::from_registry)?;
    let platform = Platform::of_config(&config_bytes).unwrap_or_else(|| wanted.clone());
    let diff_ids = config_diff_ids(&config_bytes);
    {
        let (store, digest) = (store.clone(), config_digest.clone());
        blocking(move || store.write_blob(&digest, &config_bytes)).await??;
    }

    let layers = layer_infos(manifest, reference)?;
    observer(PullEvent::Resolved {
        reference: reference.to_string(),
        digest: manifest_fetched.digest.clone(),
        platform: platform.clone(),
        layers: layers.clone(),
    });

    let urls = foreign_urls(manifest);
    let child = cancel.child_token();
    let slots = Semaphore::new(options.jobs.max(1));
    // A manifest may name one blob twice (old images repeat the empty layer): each distinct
    // blob is fetched once, and its later places are reported as already present.
    let mut seen = std::collections::HashSet::new();
    let first: Vec<bool> = layers.iter().map(|l| seen.insert(&l.digest)).collect();
    // The futures are made up front (they do nothing until polled) rather than by a closure
    // inside the join: that keeps the whole pull future `Send`, so callers can spawn it.
    let fetches: Vec<_> = layers
        .iter()
        .zip(urls)
        .zip(&first)
        .filter(|(_, first)| **first)
        .map(|((info, urls), _)| {
            layer::fetch_layer(
                client,
                &endpoint,
                repository,
                store,
                info,
                urls,
                observer,
                options.index,
                &slots,
                &child,
            )
        })
        .collect();
    // All layers run at once, but only `jobs` download at a time (each takes a slot from
    // `slots` for its download and gives it back before its fsync and the end of its index):
    // a slow layer does not hold up the ones behind it, nor a finished one's fsync the next
    // download.
    let fetched: Vec<LayerReport> = future::try_join_all(fetches.into_iter().map(|fetch| {
        fetch.map_err(|e| {
            child.cancel();
            e
        })
    }))
    .await
    .map_err(|e| match e {
        PullError::LayerDigestMismatch { digest, found, .. } => PullError::LayerDigestMismatch {
            reference: reference.to_string(),
            digest,
            found,
        },
        e => e,
    })?;
    let mut fetched = fetched.into_iter();
    let mut reports: Vec<LayerReport> = Vec::with_capacity(layers.len());
    for (info, first) in layers.iter().zip(&first) {
        let report = if *first {
            fetched
                .next()
                .ok_or_else(|| PullError::Internal("a layer download went missing".into()))?
        } else {
            let earlier = reports
                .iter()
                .find(|r| r.digest == info.digest)
                .ok_or_else(|| PullError::Internal("a repeated layer went missing".into()))?;
            observer(PullEvent::LayerExists {
                digest: info.digest.clone(),
            });
            LayerReport {
                downloaded: 0,
                already_present: true,
                ..earlier.clone()
            }
        };
        reports.push(report);
    }

    // A layer whose uncompressed bytes are not what the config says they are would show
    // (and, run, give) a different filesystem than the image's author built.
    for (i, layer) in reports.iter().enumerate() {
        if let (Some(found), Some(expected)) = (&layer.diff_id, diff_ids.get(i))
            && found != expected
        {
            return Err(crate::layers::LayerError::DiffIdMismatch {
                layer: layer.digest.clone(),
                expected: expected.clone(),
                found: found.clone(),
            }
            .into());
        }
    }

    // Everything the manifest names is in the store: now the manifest, then the name.
    {
        let (store, digest, bytes) = (
            store.clone(),
            manifest_fetched.digest.clone(),
            manifest_fetched.bytes.clone(),
        );
        blocking(move || store.write_blob(&digest, &bytes)).await??;
    }
    if cancel.is_cancelled() {
        return Err(PullError::Cancelled);
    }
    let name = store_name(reference);
    let entry = NewImage {
        name,
        tag: reference.tag().map(str::to_owned),
        manifest: ManifestDescriptor {
            media_type: manifest_fetched.media_type.clone(),
            digest: manifest_fetched.digest.clone(),
            size: manifest_fetched.bytes.len() as u64,
        },
        platform: Some(platform.clone()),
        index_digest: index_digest.clone(),
    };
    {
        let store = store.clone();
        blocking(move || store.add_image(entry)).await??;
    }
    observer(PullEvent::Done {
        id: config_digest.clone(),
    });

    let bytes_downloaded = reports.iter().map(|l| l.downloaded).sum();
    let bytes_present = reports
        .iter()
        .filter(|l| l.already_present)
        .map(|l| l.size)
        .sum();
    Ok(PullReport {
        reference: reference.to_string(),
        digest: manifest_fetched.digest,
        index_digest,
        id: config_digest,
        platform,
        source: endpoint.host.clone(),
        layers: reports,
        bytes_downloaded,
        bytes_present,
    })
}

/// The name the image gets in the store: the reference with its tag, else with its digest.
fn store_name(reference: &Reference) -> String {
    match (reference.tag(), reference.digest()) {
        (Some(tag), _) => format!("{}:{tag}", reference.name()),
        (None, Some(d)) => format!("{}@{d}", reference.name()),
        (None, None) => format!("{}:latest", reference.name()),
    }
}

/// Fetch the top-level manifest, trying docker.io's mirrors before the origin.
async fn resolve(
    client: &RegistryClient,
    reference: &Reference,
    cancel: &CancellationToken,
) -> Result<(Endpoint, FetchedManifest), PullError> {
    let endpoints = client.endpoints(reference)?;
    let tag_or_digest = match (reference.digest(), reference.tag()) {
        (Some(d), _) => d.to_string(),
        (None, Some(t)) => t.to_owned(),
        (None, None) => "latest".to_owned(),
    };
    let mut last_error = None;
    for endpoint in endpoints {
        // A mirror that cannot be reached is skipped at once: the next source follows.
        let client = if endpoint.mirror {
            &client.failing_fast_when_unreachable()
        } else {
            client
        };
        let fetched = client
            .fetch_manifest(
                &endpoint,
                reference.repository(),
                &tag_or_digest,
                reference.digest(),
                cancel,
            )
            .await;
        match fetched {
            Ok(m) => return Ok((endpoint, m)),
            Err(RegistryError::Cancelled) => return Err(PullError::Cancelled),
            Err(e) if endpoint.mirror => {
                tracing::warn!(mirror = %endpoint.host, error = %e, "mirror failed, trying the next source");
                last_error = Some(e);
            }
            Err(e) => return Err(PullError::Registry(e)),
        }
    }
    Err(PullError::Registry(last_error.unwrap_or_else(|| {
        RegistryError::NotFound {
            registry: reference.registry().to_owned(),
            what: reference.to_string(),
        }
    })))
}

fn invalid(reference: &Reference, reason: String) -> PullError {
    PullError::InvalidImage {
        reference: reference.to_string(),
        reason,
    }
}

fn descriptor_digest(d: &Descriptor, reference: &Reference) -> Result<Digest, PullError> {
    d.digest().to_string().parse().map_err(|e| {
        invalid(
            reference,
            format!("its manifest names a digest Porthole cannot verify: {e}"),
        )
    })
}

fn layer_infos(
    manifest: &ImageManifest,
    reference: &Reference,
) -> Result<Vec<LayerInfo>, PullError> {
    manifest
        .layers()
        .iter()
        .map(|l| {
            Ok(LayerInfo {
                digest: descriptor_digest(l, reference)?,
                size: l.size(),
                media_type: l.media_type().to_string(),
            })
        })
        .collect()
}

fn foreign_urls(manifest: &ImageManifest) -> Vec<Vec<String>> {
    manifest
        .layers()
        .iter()
        .map(|l| l.urls().clone().unwrap_or_default())
        .collect()
}

/// The best entry of an index for `wanted`, or an error listing what there is.
fn choose_platform<'a>(
    index: &'a ImageIndex,
    wanted: &Platform,
    reference: &Reference,
) -> Result<&'a Descriptor, PullError> {
    let candidates = index.manifests().iter().filter_map(|d| {
        let p = d.platform().as_ref()?;
        let platform = Platform::new(
            &p.os().to_string(),
            &p.architecture().to_string(),
            p.variant().as_deref(),
        );
        Some((d, platform))
    });
    let mut best: Option<(u8, &Descriptor)> = None;
    let mut available = Vec::new();
    for (d, platform) in candidates {
        if platform.os == "unknown" {
            continue; // attestation manifests (BuildKit provenance), not images
        }
        available.push(platform.to_string());
        if let Some(rank) = wanted.match_rank(&platform)
            && best.is_none_or(|(r, _)| rank < r)
        {
            best = Some((rank, d));
        }
    }
    best.map(|(_, d)| d).ok_or_else(|| {
        PullError::Registry(RegistryError::NoMatchingPlatform {
            reference: reference.to_string(),
            wanted: wanted.to_string(),
            available,
        })
    })
}

/// A pull can be spawned onto a multi-threaded runtime (the app does): this only compiles
/// while the pull future is `Send` for the lifetimes a spawned task gives it.
#[cfg(test)]
#[allow(dead_code)]
fn pull_can_be_spawned(
    client: RegistryClient,
    store: Store,
    reference: Reference,
    options: PullOptions,
    cancel: CancellationToken,
) -> tokio::task::JoinHandle<Result<PullReport, PullError>> {
    tokio::spawn(async move {
        let observer = |_: PullEvent| {};
        pull(&client, &store, &reference, &options, &observer, &cancel).await
    })
}

/// The config's `rootfs.diff_ids`, in layer order (empty when absent or unreadable).
fn config_diff_ids(config: &[u8]) -> Vec<Digest> {
    #[derive(serde::Deserialize)]
    struct Rootfs {
        #[serde(default)]
        diff_ids: Vec<String>,
    }
    #[derive(serde::Deserialize)]
    struct Cfg {
        rootfs: Option<Rootfs>,
    }
    serde_json::from_slice::<Cfg>(config)
        .ok()
        .and_then(|c| c.rootfs)
        .map(|r| r.diff_ids.iter().filter_map(|d| d.parse().ok()).collect())
        .unwrap_or_default()
}

/// Run blocking store work off the async executor.
pub(crate) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, PullError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| PullError::Internal(format!("a store task failed: {e}")))
}
