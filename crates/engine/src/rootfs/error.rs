//! What can go wrong while unpacking or exporting an image's filesystem.

use std::io;
use std::path::PathBuf;

use crate::digest::Digest;
use crate::layers::Codec;
use crate::store::StoreError;

/// Why an unpack or an export failed. Every variant about one layer names it by its
/// (compressed) digest; every variant about the target directory names the path.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RootfsError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{what} {digest} cannot be read: {reason}")]
    BadImage {
        /// "manifest" or "config".
        what: &'static str,
        digest: Digest,
        reason: String,
    },
    #[error(
        "image {manifest} has {layers} layers but its config lists {diff_ids} diff_ids; the \
         image is damaged"
    )]
    LayerCountMismatch {
        manifest: Digest,
        layers: usize,
        diff_ids: usize,
    },
    #[error(
        "layer {layer} does not unpack to the content its image promises: the config's \
         diff_id is {expected}, the uncompressed layer hashes to {found} (the blob in the \
         store is damaged; run `porthole fsck`, then pull the image again)"
    )]
    DiffIdMismatch {
        layer: Digest,
        expected: Digest,
        found: Digest,
    },
    #[error(
        "layer {layer} is compressed with {format}, which is not supported (only gzip, zstd \
         and uncompressed tar are)"
    )]
    UnsupportedCompression { layer: Digest, format: &'static str },
    #[error(
        "layer {layer} has media type `{media_type}`, which cannot be unpacked (it is encrypted)"
    )]
    Encrypted { layer: Digest, media_type: String },
    #[error("layer {layer} cannot be decompressed as {codec}")]
    Decompress {
        layer: Digest,
        codec: Codec,
        #[source]
        source: io::Error,
    },
    #[error("could not read layer {layer}")]
    Read {
        layer: Digest,
        #[source]
        source: io::Error,
    },
    #[error("layer {layer} is not a valid tar archive: {reason}")]
    MalformedTar { layer: Digest, reason: String },
    #[error(
        "layer {layer}: `{path}` is a hard link to `{target}`, which {why} (the layer is \
         damaged or was built wrongly)"
    )]
    BadHardLink {
        layer: Digest,
        path: String,
        target: String,
        why: &'static str,
    },
    #[error("layer {layer}: `{path}` goes through more than 40 symbolic links (a loop of links?)")]
    TooManyLinks { layer: Digest, path: String },
    #[error(
        "`{}` is not an empty directory: choose a new directory, or empty this one first",
        path.display()
    )]
    TargetNotEmpty { path: PathBuf },
    #[error("could not {action} `{}`", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("layer {layer}: could not {action} `{path}` in the unpacked tree")]
    Write {
        layer: Digest,
        action: &'static str,
        path: String,
        #[source]
        source: io::Error,
    },
    #[error("could not write the export: {source}")]
    Output {
        #[source]
        source: io::Error,
    },
    #[error("cancelled")]
    Cancelled,
}
