//! One pass over a layer blob: sniff the codec, decompress, hash the tar stream (the
//! diff_id), walk its entries, and build the index. The pull's indexer thread and the
//! indexing of stored blobs both run this, over a channel or over a file.

use std::cell::RefCell;
use std::io::{self, Read};
use std::rc::Rc;

use sha2::{Digest as _, Sha256};

use super::LayerError;
use super::decode::{self, Codec};
use super::index::{BuildLimit, Built, IndexBuilder, LayerIndex, MAX_ENTRIES};
use super::tar_walk::{self, WalkError};
use crate::digest::Digest;

/// The error a reader returns when the indexing is being cancelled (see `indexer.rs`).
#[derive(Debug)]
pub(crate) struct CancelledRead;

impl std::fmt::Display for CancelledRead {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("cancelled")
    }
}

impl std::error::Error for CancelledRead {}

/// The first error a reader returned, kept aside so that the walk's error can be traced
/// back to what really failed (reading the blob, or decompressing it).
type Slot = Rc<RefCell<Option<io::Error>>>;

/// Passes reads through, counting bytes and keeping the first error in its slot.
struct Watch<R> {
    inner: R,
    count: Rc<RefCell<u64>>,
    failure: Slot,
}

impl<R: Read> Read for Watch<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self.inner.read(buf) {
            Ok(n) => {
                *self.count.borrow_mut() += n as u64;
                Ok(n)
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => Err(e),
            Err(e) => {
                let kind = e.kind();
                let text = e.to_string();
                self.failure.borrow_mut().get_or_insert(e);
                Err(io::Error::new(kind, text))
            }
        }
    }
}

/// Hashes and counts the uncompressed tar stream as the walk reads it.
pub(crate) struct Digesting<R> {
    inner: R,
    hash: Sha256,
    len: u64,
}

impl<R> Digesting<R> {
    pub(crate) fn new(inner: R) -> Digesting<R> {
        Digesting {
            inner,
            hash: Sha256::new(),
            len: 0,
        }
    }

    /// The digest of what was read (the diff_id, once the stream is read to its end).
    pub(crate) fn digest(self) -> Digest {
        Digest::from_sha256(self.hash.finalize().as_slice())
    }
}

impl<R: Read> Read for Digesting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hash.update(&buf[..n]);
        self.len += n as u64;
        Ok(n)
    }
}

/// Indexes the layer blob `layer` (media type as the manifest says) read from `input`;
/// with `detect`, also what the package detectors find in its files.
pub(crate) fn index_stream<R: Read>(
    layer: &Digest,
    media_type: &str,
    input: R,
    detect: bool,
) -> Result<LayerIndex, LayerError> {
    if media_type.contains("+encrypted") {
        return Err(LayerError::UnsupportedMediaType {
            layer: layer.clone(),
            media_type: media_type.to_owned(),
            why: "encrypted",
        });
    }
    let compressed = Rc::new(RefCell::new(0u64));
    let read_failure: Slot = Rc::default();
    let decode_failure: Slot = Rc::default();
    let input = Watch {
        inner: input,
        count: compressed.clone(),
        failure: read_failure.clone(),
    };
    let read_error = |e: io::Error| reading(layer, read_failure.borrow_mut().take().unwrap_or(e));
    let (head, input) = decode::peek(input).map_err(read_error)?;
    let codec =
        decode::choose(&head, media_type).map_err(|format| LayerError::UnsupportedCompression {
            layer: layer.clone(),
            format,
        })?;
    // What failed when the tar stream broke: reading the blob, then decompressing it, and
    // only then the tar itself.
    let underlying = || -> Option<LayerError> {
        if let Some(source) = read_failure.borrow_mut().take() {
            return Some(reading(layer, source));
        }
        let failure = decode_failure.borrow_mut().take();
        failure.map(|source| decompress(layer, codec, source))
    };
    let decoder = decode::decoder(codec, input).map_err(|e| decompress(layer, codec, e))?;
    let mut tar = Digesting::new(Watch {
        inner: decoder,
        count: Rc::default(),
        failure: decode_failure.clone(),
    });

    let mut builder = IndexBuilder::new();
    let mut found = Vec::new();
    tar = match tar_walk::walk(tar, &mut builder, detect.then_some(&mut found)) {
        Ok(rest) => rest,
        Err(WalkError::Malformed { offset, reason }) => {
            return Err(underlying().unwrap_or_else(|| LayerError::MalformedTar {
                layer: layer.clone(),
                offset,
                reason,
            }));
        }
        Err(WalkError::Limit(BuildLimit::Entries | BuildLimit::Names)) => {
            return Err(LayerError::TooManyEntries {
                layer: layer.clone(),
                limit: MAX_ENTRIES,
            });
        }
    };
    // The diff_id covers the whole stream: the end-of-archive blocks and any padding
    // after them.
    if let Err(e) = io::copy(&mut tar, &mut io::sink()) {
        return Err(underlying().unwrap_or_else(|| LayerError::Read {
            layer: layer.clone(),
            source: e,
        }));
    }
    let uncompressed_size = tar.len;
    let diff_id = tar.digest();
    let Built {
        entries,
        shadowed,
        tar_names,
        names,
        root_opaque,
    } = builder.finish();
    let compressed_size = *compressed.borrow();
    Ok(LayerIndex {
        digest: layer.clone(),
        diff_id,
        media_type: media_type.to_owned(),
        codec,
        compressed_size,
        uncompressed_size,
        root_opaque,
        entries,
        shadowed,
        tar_names,
        names,
        found,
    })
}

fn reading(layer: &Digest, source: io::Error) -> LayerError {
    if source
        .get_ref()
        .is_some_and(|inner| inner.is::<CancelledRead>())
    {
        LayerError::Cancelled {
            layer: layer.clone(),
        }
    } else {
        LayerError::Read {
            layer: layer.clone(),
            source,
        }
    }
}

fn decompress(layer: &Digest, codec: Codec, source: io::Error) -> LayerError {
    LayerError::Decompress {
        layer: layer.clone(),
        codec,
        source,
    }
}
