//! One layer: the network side streams chunks into a bounded channel; a blocking thread
//! hashes and writes them into the store's ingest file and tees them into the layer
//! indexer (which decompresses and walks the tar on a thread of its own), so the blob is
//! never read twice; the blob is renamed into place only once its size and digest check
//! out, and its index is cached beside it.

use std::sync::atomic::{AtomicU64, Ordering};

use tokio::sync::{Semaphore, mpsc};
use tokio_util::sync::CancellationToken;

use super::{LayerInfo, LayerReport, Observer, PullError, PullEvent, blocking};
use crate::layers::{LayerIndex, LayerIndexer};
use crate::registry::blob::{BlobProgress, BlobSink, BlobSource, Chunk};
use crate::registry::{Endpoint, RegistryClient};
use crate::store::{Ingest, Store, StoreError};

/// Chunks in flight between the network and the writer. hyper hands over reads of up to
/// ~400 KiB, so this bounds a layer's queue to about 3 MiB: enough to keep the writer busy,
/// small enough that `--jobs` layers at once stay within a few tens of MiB.
const CHANNEL_DEPTH: usize = 8;

#[allow(clippy::too_many_arguments)]
pub(super) async fn fetch_layer(
    client: &RegistryClient,
    endpoint: &Endpoint,
    repository: &str,
    store: &Store,
    info: &LayerInfo,
    urls: Vec<String>,
    observer: Observer<'_>,
    index: bool,
    slots: &Semaphore,
    cancel: &CancellationToken,
) -> Result<LayerReport, PullError> {
    let report = |downloaded: u64, already_present: bool, index: Option<LayerIndex>| LayerReport {
        digest: info.digest.clone(),
        size: info.size,
        media_type: info.media_type.clone(),
        downloaded,
        already_present,
        diff_id: index.as_ref().map(|i| i.diff_id().clone()),
        uncompressed_size: index.as_ref().map(LayerIndex::uncompressed_size),
        files: index.as_ref().map(LayerIndex::file_count),
    };
    // One of `--jobs` download slots, held until the bytes are written (not through the fsync
    // and the rest of the index, which need no network).
    let slot = tokio::select! {
        slot = slots.acquire() => slot
            .map_err(|_| PullError::Internal("the download slots were closed".into()))?,
        () = cancel.cancelled() => return Err(PullError::Cancelled),
    };
    let ingest = {
        let (store, digest, size) = (store.clone(), info.digest.clone(), info.size);
        blocking(move || store.ingest(&digest, size)).await??
    };
    let mut writer = match ingest {
        Ingest::AlreadyPresent => {
            observer(PullEvent::LayerExists {
                digest: info.digest.clone(),
            });
            return Ok(report(0, true, None));
        }
        Ingest::Writer(w) => w,
    };
    let start = writer.offset();
    let index = index && is_filesystem_layer(&info.media_type);
    // A resumed download has part of the blob on disk already: that layer is indexed from
    // the committed blob instead of from the stream.
    let mut indexer =
        (index && start == 0).then(|| LayerIndexer::start(info.digest.clone(), &info.media_type));
    let (tx, mut rx) = mpsc::channel::<Chunk>(CHANNEL_DEPTH);
    let write_task = tokio::task::spawn_blocking(move || -> Result<_, StoreError> {
        let mut received = 0u64;
        while let Some(chunk) = rx.blocking_recv() {
            match chunk {
                Chunk::Data(bytes) => {
                    received += bytes.len() as u64;
                    writer.write(&bytes)?;
                    if let Some(indexer) = &mut indexer {
                        // A decoder failure surfaces at `finish`, with its reason.
                        let _ = indexer.feed_bytes(bytes);
                    }
                }
                Chunk::Restart => {
                    writer.restart()?;
                    if let Some(indexer) = &mut indexer {
                        indexer.restart();
                    }
                }
            }
        }
        Ok((writer, received, indexer))
    });

    let step = (info.size / 200).max(256 * 1024);
    let last_reported = AtomicU64::new(0);
    let progress = |p: BlobProgress| match p {
        BlobProgress::Received(n) => {
            let last = last_reported.load(Ordering::Relaxed);
            if n == info.size || n < last || n - last >= step {
                last_reported.store(n, Ordering::Relaxed);
                observer(PullEvent::LayerProgress {
                    digest: info.digest.clone(),
                    downloaded: n,
                    total: info.size,
                });
            }
        }
        BlobProgress::Retrying { attempt, reason } => observer(PullEvent::LayerRetrying {
            digest: info.digest.clone(),
            attempt,
            reason,
        }),
    };
    let source = BlobSource {
        digest: info.digest.clone(),
        size: info.size,
        urls,
    };
    let fetched = client
        .fetch_blob(
            endpoint,
            repository,
            &source,
            start,
            &BlobSink {
                tx: &tx,
                progress: &progress,
            },
            cancel,
        )
        .await;
    drop(tx);
    // The writer's own failure (a size overflow, a full disk) explains a broken channel.
    let (writer, received, indexer) = write_task
        .await
        .map_err(|e| PullError::Internal(format!("the layer writer failed: {e}")))??;
    fetched.map_err(PullError::from_registry)?;
    drop(slot);

    observer(PullEvent::LayerVerifying {
        digest: info.digest.clone(),
    });
    let committed = blocking(move || writer.commit()).await?;
    match committed {
        Ok(()) => {}
        Err(StoreError::DigestMismatch { expected, found }) => {
            return Err(PullError::LayerDigestMismatch {
                reference: String::new(),
                digest: expected,
                found,
            });
        }
        Err(e) => return Err(e.into()),
    }
    let layer_index = if index {
        observer(PullEvent::LayerIndexing {
            digest: info.digest.clone(),
        });
        let (store, digest, media_type) =
            (store.clone(), info.digest.clone(), info.media_type.clone());
        let built = blocking(move || -> Result<LayerIndex, PullError> {
            let index = match indexer {
                Some(indexer) => {
                    let index = indexer.finish()?;
                    if let Err(e) = index.save(&store) {
                        tracing::warn!("cannot cache the index of layer {digest}: {e}");
                    }
                    index
                }
                None => LayerIndex::cached_or_build(&store, &digest, &media_type)?,
            };
            Ok(index)
        })
        .await??;
        Some(built)
    } else {
        None
    };
    observer(PullEvent::LayerDone {
        digest: info.digest.clone(),
    });
    Ok(report(received, false, layer_index))
}

/// Layers whose bytes are a (possibly compressed) tar of files, as opposed to artifacts
/// (Helm charts, signatures, WebAssembly modules) that happen to sit in `layers`.
pub(super) fn is_filesystem_layer(media_type: &str) -> bool {
    media_type.starts_with("application/vnd.oci.image.layer.")
        || media_type.starts_with("application/vnd.docker.image.rootfs.")
}
