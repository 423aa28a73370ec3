//! Layer analysis without a container engine: decode each layer as it is pulled (or later,
//! from the store), index its files, and stack the indexes into the image's final
//! filesystem with what each build step added, modified, removed and wasted.
//!
//! The parts, in the order the bytes meet them:
//! - `decode`: which codec (gzip, zstd, none) by magic bytes over media type; streaming
//!   decoders.
//! - `tar_walk`: tar entries to index records; whiteouts; paths resolved under the root
//!   (`paths`).
//! - `index`: one layer's [`LayerIndex`]; `cache`: its file in the store
//!   (`porthole-cache/layers/sha256-<hex>.idx`, versioned, rebuilt when stale or damaged).
//! - `stream` runs the above in one pass and computes the diff_id; `indexer` runs it on a
//!   thread fed by the pull ([`LayerIndexer`]).
//! - `history`: build steps from the config; `symlinks`: paths a layer writes through a
//!   symlink (its own or a lower layer's), moved to where extraction puts them, and hard
//!   links given what they linked to; `merge`: the
//!   stacking (OCI whiteout rules, changes, dive's wasted space); `image`: [`ImageLayers`]
//!   and its queries.
//!
//! Everything here is blocking (decompression and tar walking): call it from a blocking
//! thread, never from the async executor.

mod cache;
mod content;
pub(crate) mod decode;
mod error;
mod history;
mod image;
pub(crate) mod index;
mod indexer;
mod merge;
mod packages;
pub mod paths;
mod stream;
mod symlinks;
mod tar_walk;

use std::fs::File;
use std::io::{self, BufReader};

use tokio_util::sync::CancellationToken;

pub use cache::{CACHE_FORMAT_VERSION, cache_dir, cache_path};
pub use content::{FileContent, read_file, resolve};
pub use decode::Codec;
pub use error::LayerError;
pub use history::HistoryEntry;
pub use image::{
    Efficiency, FileChange, FileEntry, FileScope, ImageLayers, LayerEfficiency, LayerStep,
    ListedEntry, Listing, Waste, WastedFile,
};
pub use index::{FileType, LayerEntry, LayerIndex, MAX_ENTRIES};
pub use indexer::LayerIndexer;
pub use merge::ChangeKind;

use crate::digest::Digest;
use crate::store::{Store, StoreError};

/// An image's layers (as its manifest lists them) with the diff_ids and build steps its
/// config gives, read and checked as [`ImageLayers::load`] reads them.
pub(crate) fn image_plan(store: &Store, manifest: &Digest) -> Result<history::Plan, LayerError> {
    history::plan(store, manifest)
}

impl LayerIndexer {
    /// Indexes a layer blob that is already in the store (same code path as a pull's:
    /// the blob is streamed, never loaded whole). Does not read or write the cache; see
    /// [`LayerIndex::cached_or_build`].
    pub fn index_blob(
        store: &Store,
        digest: &Digest,
        media_type: &str,
    ) -> Result<LayerIndex, LayerError> {
        LayerIndexer::index_blob_until(store, digest, media_type, &CancellationToken::new())
    }

    /// [`LayerIndexer::index_blob`], stopped with [`LayerError::Cancelled`] once `cancel`
    /// is set.
    pub(crate) fn index_blob_until(
        store: &Store,
        digest: &Digest,
        media_type: &str,
        cancel: &CancellationToken,
    ) -> Result<LayerIndex, LayerError> {
        let path = store.blob_path(digest);
        let file = File::open(&path).map_err(|source| {
            if source.kind() == io::ErrorKind::NotFound {
                LayerError::Store(StoreError::MissingBlob {
                    digest: digest.clone(),
                    path: path.clone(),
                })
            } else {
                LayerError::Io {
                    action: "open",
                    path: path.clone(),
                    source,
                }
            }
        })?;
        let blob = Until {
            inner: BufReader::with_capacity(256 * 1024, file),
            cancel,
        };
        LayerIndex::from_reader(digest, media_type, blob)
    }
}

/// A reader that fails with [`stream::CancelledRead`] once `cancel` is set.
struct Until<'a, R> {
    inner: R,
    cancel: &'a CancellationToken,
}

impl<R: io::Read> io::Read for Until<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.cancel.is_cancelled() {
            return Err(io::Error::other(stream::CancelledRead));
        }
        self.inner.read(buf)
    }
}

/// What indexing a layer does besides listing its files.
#[derive(Clone, Copy, Debug)]
pub struct IndexOptions {
    /// Run the package detectors over the files they want (the default). Off, the index
    /// has no [`LayerIndex::found_files`]: the benchmark measures what detection costs
    /// this way.
    pub packages: bool,
}

impl Default for IndexOptions {
    fn default() -> IndexOptions {
        IndexOptions { packages: true }
    }
}

impl LayerIndex {
    /// Indexes a layer blob read from `blob` (compressed or not; the bytes decide).
    pub fn from_reader(
        digest: &Digest,
        media_type: &str,
        blob: impl io::Read,
    ) -> Result<LayerIndex, LayerError> {
        LayerIndex::from_reader_with(digest, media_type, blob, IndexOptions::default())
    }

    /// [`LayerIndex::from_reader`] with options.
    pub fn from_reader_with(
        digest: &Digest,
        media_type: &str,
        blob: impl io::Read,
        options: IndexOptions,
    ) -> Result<LayerIndex, LayerError> {
        stream::index_stream(digest, media_type, blob, options.packages)
    }

    /// The cached index of layer `digest`, if the store has a usable one.
    pub fn load_cached(store: &Store, digest: &Digest) -> Option<LayerIndex> {
        cache::read(store, digest).ok()
    }

    /// Writes this index to the store's cache (replacing any older file whole).
    pub fn save(&self, store: &Store) -> Result<(), LayerError> {
        cache::write(store, self)
    }

    /// The cached index of layer `digest`, or one built from its blob and cached.
    pub fn cached_or_build(
        store: &Store,
        digest: &Digest,
        media_type: &str,
    ) -> Result<LayerIndex, LayerError> {
        match cache::read(store, digest) {
            Ok(index) => return Ok(index),
            Err(miss) => tracing::debug!("layer {digest}: {miss}; building its index"),
        }
        let index = LayerIndexer::index_blob(store, digest, media_type)?;
        if let Err(e) = index.save(store) {
            tracing::warn!("cannot cache the index of layer {digest}: {e}");
        }
        Ok(index)
    }

    /// Checks the diff_id against the one the image config promises.
    pub fn verify_diff_id(&self, expected: &Digest) -> Result<(), LayerError> {
        if self.diff_id() == expected {
            Ok(())
        } else {
            Err(LayerError::DiffIdMismatch {
                layer: self.digest().clone(),
                expected: expected.clone(),
                found: self.diff_id().clone(),
            })
        }
    }
}
