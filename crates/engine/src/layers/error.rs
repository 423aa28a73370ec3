//! What can go wrong while decoding, indexing and merging layers.

use std::io;
use std::path::PathBuf;

use super::decode::Codec;
use super::index::FileType;
use crate::digest::Digest;
use crate::store::StoreError;

/// What went wrong with an image's layers. Every variant about one layer names it by its
/// (compressed) digest, so that the message says which blob to look at.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LayerError {
    #[error(
        "layer {layer} does not unpack to the content its image promises: the config's \
         diff_id is {expected}, the uncompressed layer hashes to {found} (the image is \
         damaged or was built wrongly; pull it again or ask its publisher)"
    )]
    DiffIdMismatch {
        layer: Digest,
        expected: Digest,
        found: Digest,
    },
    #[error(
        "layer {layer} is not a valid tar archive at byte {offset} of its uncompressed stream: {reason}"
    )]
    MalformedTar {
        layer: Digest,
        /// Offset in the uncompressed tar stream of the header (or the data) that is broken.
        offset: u64,
        reason: String,
    },
    #[error("layer {layer} cannot be decompressed as {codec}")]
    Decompress {
        layer: Digest,
        codec: Codec,
        #[source]
        source: io::Error,
    },
    #[error(
        "layer {layer} is compressed with {format}, which is not supported (only gzip, zstd \
         and uncompressed tar are)"
    )]
    UnsupportedCompression { layer: Digest, format: &'static str },
    #[error("layer {layer} has media type `{media_type}`, which cannot be indexed (it is {why})")]
    UnsupportedMediaType {
        layer: Digest,
        media_type: String,
        why: &'static str,
    },
    #[error(
        "layer {layer} has more than {limit} entries; porthole stops indexing there to keep \
         its memory bounded"
    )]
    TooManyEntries { layer: Digest, limit: usize },
    #[error("could not read layer {layer}")]
    Read {
        layer: Digest,
        #[source]
        source: io::Error,
    },
    #[error("the indexing of layer {layer} was cancelled")]
    Cancelled { layer: Digest },
    #[error("the indexer of layer {layer} failed: {reason}")]
    Internal { layer: Digest, reason: String },
    #[error(
        "image {manifest} has {layers} layers but its config lists {diff_ids} diff_ids; the \
         image is damaged"
    )]
    LayerCountMismatch {
        manifest: Digest,
        layers: usize,
        diff_ids: usize,
    },
    #[error("{what} {digest} cannot be read: {reason}")]
    BadImage {
        /// "manifest" or "config".
        what: &'static str,
        digest: Digest,
        reason: String,
    },
    #[error("no `{path}` in this image")]
    PathNotFound { path: String },
    #[error("`{path}` is {}, not a file", kind.with_article())]
    NotAFile { path: String, kind: FileType },
    #[error("neither image has `{path}`")]
    InNeitherImage { path: String },
    #[error("`{path}` is not a directory, so nothing is inside it")]
    NotADirectory { path: String },
    #[error("`{path}`: too many levels of symbolic links (more than 40), or a loop of them")]
    TooManyLinks { path: String },
    #[error(
        "`{path}` has a chain of hard links porthole does not follow (a hard link to a \
         hard link in one layer)"
    )]
    HardLinkChain { path: String },
    #[error(
        "layer {layer} does not hold `{path}`, although its cached index says so (the index \
         is stale: delete porthole-cache/layers in the store and look again)"
    )]
    MissingFromLayer { path: String, layer: Digest },
    #[error("reading `{path}` was cancelled")]
    ReadCancelled { path: String },
    #[error("could not write the contents of `{path}`")]
    Output {
        path: String,
        #[source]
        source: io::Error,
    },
    #[error("there is no layer {layer}: this image has steps 0 to {}", steps.saturating_sub(1))]
    NoSuchLayer { layer: usize, steps: usize },
    #[error("could not {action} `{}`", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}
