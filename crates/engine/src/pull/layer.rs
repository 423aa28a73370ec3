//! One layer: the network side streams chunks into a bounded channel; a blocking thread
//! hashes and writes them into the store's ingest file; the blob is renamed into place
//! only once its size and digest check out.

use std::sync::atomic::{AtomicU64, Ordering};

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::{LayerInfo, LayerReport, Observer, PullError, PullEvent, blocking};
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
    cancel: &CancellationToken,
) -> Result<LayerReport, PullError> {
    let report = |downloaded: u64, already_present: bool| LayerReport {
        digest: info.digest.clone(),
        size: info.size,
        media_type: info.media_type.clone(),
        downloaded,
        already_present,
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
            return Ok(report(0, true));
        }
        Ingest::Writer(w) => w,
    };
    let start = writer.offset();
    let (tx, mut rx) = mpsc::channel::<Chunk>(CHANNEL_DEPTH);
    let write_task = tokio::task::spawn_blocking(move || -> Result<_, StoreError> {
        let mut received = 0u64;
        while let Some(chunk) = rx.blocking_recv() {
            match chunk {
                Chunk::Data(bytes) => {
                    received += bytes.len() as u64;
                    writer.write(&bytes)?
                }
                Chunk::Restart => writer.restart()?,
            }
        }
        Ok((writer, received))
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
    let (writer, received) = write_task
        .await
        .map_err(|e| PullError::Internal(format!("the layer writer failed: {e}")))??;
    fetched.map_err(PullError::from_registry)?;

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
    observer(PullEvent::LayerDone {
        digest: info.digest.clone(),
    });
    Ok(report(received, false))
}
