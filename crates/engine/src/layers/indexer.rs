//! Indexing a layer while it downloads: the pull's writer thread hands each chunk of the
//! compressed blob to [`LayerIndexer::feed`], which passes it through a bounded channel to
//! a thread that decompresses, hashes and walks the tar as the bytes arrive. The blob is
//! never read twice, and memory stays bounded by the channel (about 4 MiB) plus the
//! decoder's window, whatever the layer's size.

use std::io::{self, Read};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::thread::JoinHandle;

use bytes::{Buf, Bytes};

use super::LayerError;
use super::index::LayerIndex;
use super::stream::{self, CancelledRead};
use crate::digest::Digest;

/// Chunks in flight between the feeder and the decoder thread.
const CHANNEL_DEPTH: usize = 64;
/// Larger fed slices are split into chunks of this size (so the channel holds at most
/// `CHANNEL_DEPTH` times this).
const MAX_CHUNK: usize = 64 * 1024;

/// Indexes one layer from its compressed bytes as they stream by. See the module docs.
///
/// Errors in the layer's content (a broken tar, bad compression) never make
/// [`feed`](LayerIndexer::feed) fail, so they never interrupt the download of a blob whose
/// digest is fine: once the decoder has stopped, further bytes are dropped, and
/// [`finish`](LayerIndexer::finish) reports what went wrong.
///
/// The indexer must see the blob from its first byte. A pull that resumes a partial
/// download feeds the bytes already on disk first (reading the partial file in chunks), or
/// indexes the committed blob with [`LayerIndexer::index_blob`] instead.
pub struct LayerIndexer {
    layer: Digest,
    media_type: String,
    run: Result<Run, String>,
}

/// One decoder thread and the channel into it.
struct Run {
    tx: Option<SyncSender<Bytes>>,
    cancelled: Arc<AtomicBool>,
    thread: Option<JoinHandle<Result<LayerIndex, LayerError>>>,
}

impl Run {
    fn start(layer: &Digest, media_type: &str) -> Result<Run, String> {
        let (tx, rx) = mpsc::sync_channel(CHANNEL_DEPTH);
        let cancelled = Arc::new(AtomicBool::new(false));
        let reader = ChannelReader {
            rx,
            current: Bytes::new(),
            cancelled: cancelled.clone(),
        };
        let (layer, media_type) = (layer.clone(), media_type.to_owned());
        let thread = std::thread::Builder::new()
            .name(format!("index-{}", layer.short()))
            .spawn(move || stream::index_stream(&layer, &media_type, reader, true))
            .map_err(|e| format!("cannot start the decoder thread: {e}"))?;
        Ok(Run {
            tx: Some(tx),
            cancelled,
            thread: Some(thread),
        })
    }

    /// Stops the thread (it sees the cancellation at its next read) and waits for it.
    fn stop(&mut self) {
        self.cancelled.store(true, Ordering::SeqCst);
        self.tx = None;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Run {
    fn drop(&mut self) {
        self.stop();
    }
}

impl LayerIndexer {
    /// Starts indexing the layer `layer_digest` (media type as the manifest says; the bytes
    /// decide the codec). Never fails: a thread that cannot start is reported by the first
    /// [`feed`](LayerIndexer::feed) and by [`finish`](LayerIndexer::finish).
    pub fn start(layer_digest: Digest, media_type: &str) -> LayerIndexer {
        let run = Run::start(&layer_digest, media_type);
        LayerIndexer {
            layer: layer_digest,
            media_type: media_type.to_owned(),
            run,
        }
    }

    /// Hands the next compressed bytes to the decoder thread (copies them; see
    /// [`feed_bytes`](LayerIndexer::feed_bytes) to pass a chunk without copying). Blocks
    /// only while the decoder is behind by a full channel.
    pub fn feed(&mut self, compressed: &[u8]) -> Result<(), LayerError> {
        self.feed_bytes(Bytes::copy_from_slice(compressed))
    }

    /// [`feed`](LayerIndexer::feed) for a chunk the caller already holds as `Bytes`.
    pub fn feed_bytes(&mut self, mut compressed: Bytes) -> Result<(), LayerError> {
        let run = match &mut self.run {
            Ok(run) => run,
            Err(reason) => {
                return Err(LayerError::Internal {
                    layer: self.layer.clone(),
                    reason: reason.clone(),
                });
            }
        };
        let Some(tx) = &run.tx else {
            return Ok(());
        };
        while !compressed.is_empty() {
            let chunk = compressed.split_to(compressed.len().min(MAX_CHUNK));
            if tx.send(chunk).is_err() {
                // The decoder stopped early (its error waits for `finish`): drop the rest.
                run.tx = None;
                break;
            }
        }
        Ok(())
    }

    /// The download starts over from byte 0 (the server ignored a Range request): drops
    /// everything fed so far and starts a fresh decoder.
    pub fn restart(&mut self) {
        if let Ok(run) = &mut self.run {
            run.stop();
        }
        self.run = Run::start(&self.layer, &self.media_type);
    }

    /// Tells the decoder that the blob is complete, waits for it, and returns the layer's
    /// index (with its diff_id and uncompressed size), or what was wrong with the layer.
    pub fn finish(mut self) -> Result<LayerIndex, LayerError> {
        let internal = |reason: String| LayerError::Internal {
            layer: self.layer.clone(),
            reason,
        };
        let run = match &mut self.run {
            Ok(run) => run,
            Err(reason) => return Err(internal(reason.clone())),
        };
        run.tx = None;
        let thread = run
            .thread
            .take()
            .ok_or_else(|| internal("the decoder thread is gone".into()))?;
        thread
            .join()
            .map_err(|_| internal("the decoder thread panicked".into()))?
    }
}

/// The decoder thread's view of the channel: a `Read` over the chunks fed so far. The end
/// of the channel (the feeder called `finish`) is the end of the blob.
struct ChannelReader {
    rx: Receiver<Bytes>,
    current: Bytes,
    cancelled: Arc<AtomicBool>,
}

impl Read for ChannelReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.current.is_empty() {
            if self.cancelled.load(Ordering::SeqCst) {
                return Err(io::Error::other(CancelledRead));
            }
            match self.rx.recv() {
                Ok(chunk) => self.current = chunk,
                Err(_) => {
                    if self.cancelled.load(Ordering::SeqCst) {
                        return Err(io::Error::other(CancelledRead));
                    }
                    return Ok(0);
                }
            }
        }
        let n = buf.len().min(self.current.len());
        buf[..n].copy_from_slice(&self.current[..n]);
        self.current.advance(n);
        Ok(n)
    }
}
