//! An image's layers read back from the store, entry by entry: the blob is streamed through
//! the engine's decoders (gzip, zstd, plain), the tar stream is hashed on the way, and at
//! its end the hash must be the diff_id the image config promises.

use std::cell::RefCell;
use std::fs::File;
use std::io::{self, BufReader, Read};
use std::rc::Rc;

use sha2::{Digest as _, Sha256};
use tar::EntryType;
use tokio_util::sync::CancellationToken;

use super::RootfsError;
use crate::digest::Digest;
use crate::layers::{LayerError, LayerIndex, LayerIndexer, decode};
use crate::store::{ImageSummary, Store, StoreError};

/// One layer of an image, as its manifest and config describe it.
#[derive(Clone, Debug)]
pub(crate) struct LayerPlan {
    pub digest: Digest,
    pub media_type: String,
    /// Compressed size, as the manifest says.
    pub size: u64,
    pub diff_id: Digest,
}

/// The layers of `image`, bottom first, with the diff_ids its config promises.
pub(crate) fn plan(store: &Store, image: &ImageSummary) -> Result<Vec<LayerPlan>, RootfsError> {
    if let Some(problem) = &image.problem {
        return Err(RootfsError::BadImage {
            what: "image",
            digest: image.digest.clone(),
            reason: problem.clone(),
        });
    }
    // The manifest and config are read as the layer index reads them.
    let plan = crate::layers::image_plan(store, &image.digest).map_err(|e| match e {
        LayerError::Store(e) => RootfsError::Store(e),
        LayerError::BadImage {
            what,
            digest,
            reason,
        } => RootfsError::BadImage {
            what,
            digest,
            reason,
        },
        LayerError::LayerCountMismatch {
            manifest,
            layers,
            diff_ids,
        } => RootfsError::LayerCountMismatch {
            manifest,
            layers,
            diff_ids,
        },
        other => RootfsError::BadImage {
            what: "image",
            digest: image.digest.clone(),
            reason: other.to_string(),
        },
    })?;
    Ok(plan
        .layers
        .into_iter()
        .zip(plan.diff_ids)
        .map(|(l, diff_id)| LayerPlan {
            digest: l.digest,
            media_type: l.media_type,
            size: l.size,
            diff_id,
        })
        .collect())
}

/// What a tar entry writes, once its path is resolved under the root.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    File,
    Dir,
    Symlink,
    Hardlink,
    Char,
    Block,
    Fifo,
}

/// A tar entry's header, as extraction needs it.
#[derive(Clone, Debug)]
pub(crate) struct Header {
    /// Relative to the root, `/`-separated, without empty, `.` or `..` components (`..`
    /// stops at the root, as [`crate::layers::paths::normalize`] does, but on bytes: names
    /// that are not UTF-8 are kept as they are). Empty: the root itself.
    pub path: Vec<u8>,
    pub kind: Kind,
    /// A regular file's bytes; 0 for anything else.
    pub size: u64,
    /// Permission bits with setuid, setgid and sticky.
    pub mode: u32,
    pub uid: u64,
    pub gid: u64,
    /// Seconds and nanoseconds since the epoch (nanoseconds from a PAX `mtime`).
    pub mtime: (i64, u32),
    /// A symlink's target as written; a hard link's target, normalised like `path`.
    pub link: Vec<u8>,
    /// A device's major and minor numbers.
    pub device: (u32, u32),
}

/// `raw` resolved lexically under the root (see [`Header::path`]).
pub(crate) fn normalize(raw: &[u8]) -> Vec<u8> {
    let mut out: Vec<&[u8]> = Vec::new();
    for part in raw.split(|&b| b == b'/') {
        match part {
            b"" | b"." => {}
            b".." => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out.join(&b'/')
}

/// Why reading a layer stopped, kept aside so that the error names the real cause.
#[derive(Default)]
struct Failures {
    read: Option<io::Error>,
    decode: Option<io::Error>,
    content: Option<String>,
    cancelled: bool,
}

type Slot = Rc<RefCell<Failures>>;

/// The blob as read from the store; keeps the first error and stops on cancellation.
struct BlobRead<R> {
    inner: R,
    failures: Slot,
    cancel: CancellationToken,
}

impl<R: Read> Read for BlobRead<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.cancel.is_cancelled() {
            self.failures.borrow_mut().cancelled = true;
            return Err(io::Error::other("cancelled"));
        }
        self.inner.read(buf).inspect_err(|e| {
            self.failures
                .borrow_mut()
                .read
                .get_or_insert_with(|| io::Error::new(e.kind(), e.to_string()));
        })
    }
}

/// The decompressed tar stream: hashed (the diff_id), its first error kept.
struct TarStream<R> {
    inner: R,
    hash: Sha256,
    failures: Slot,
}

impl<R: Read> Read for TarStream<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self.inner.read(buf) {
            Ok(n) => {
                self.hash.update(&buf[..n]);
                Ok(n)
            }
            Err(e) => {
                self.failures
                    .borrow_mut()
                    .decode
                    .get_or_insert_with(|| io::Error::new(e.kind(), e.to_string()));
                Err(e)
            }
        }
    }
}

/// An entry's content, as the callback reads it: a failure here is the layer's (a tar
/// cut short), not the callback's.
struct Content<'a, R> {
    entry: &'a mut R,
    failures: Slot,
    path: &'a [u8],
}

impl<R: Read> Read for Content<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.entry.read(buf).inspect_err(|e| {
            self.failures.borrow_mut().content.get_or_insert_with(|| {
                format!(
                    "the content of `{}` cannot be read ({e})",
                    String::from_utf8_lossy(self.path)
                )
            });
        })
    }
}

/// Streams layer `layer` from the store and calls `visit` with each tar entry (its
/// sequence number in the tar, counting every member, and its header; `None` for members
/// that write nothing: global PAX headers) and its content, which `visit` may read or
/// not. At the end of the stream the tar's hash must be the layer's diff_id.
pub(crate) fn for_each_entry(
    store: &Store,
    layer: &LayerPlan,
    cancel: &CancellationToken,
    mut visit: impl FnMut(usize, &Header, &mut dyn Read) -> Result<(), RootfsError>,
) -> Result<(), RootfsError> {
    let digest = &layer.digest;
    if cancel.is_cancelled() {
        return Err(RootfsError::Cancelled);
    }
    if layer.media_type.contains("+encrypted") {
        return Err(RootfsError::Encrypted {
            layer: digest.clone(),
            media_type: layer.media_type.clone(),
        });
    }
    let path = store.blob_path(digest);
    let file = File::open(&path).map_err(|source| {
        if source.kind() == io::ErrorKind::NotFound {
            RootfsError::Store(StoreError::MissingBlob {
                digest: digest.clone(),
                path: path.clone(),
            })
        } else {
            RootfsError::Io {
                action: "open",
                path: path.clone(),
                source,
            }
        }
    })?;
    let failures: Slot = Rc::default();
    let blob = BlobRead {
        inner: BufReader::with_capacity(256 * 1024, file),
        failures: failures.clone(),
        cancel: cancel.clone(),
    };
    let read_error = |source: io::Error| RootfsError::Read {
        layer: digest.clone(),
        source,
    };
    let (head, blob) = decode::peek(blob).map_err(|e| {
        if failures.borrow().cancelled {
            RootfsError::Cancelled
        } else {
            read_error(e)
        }
    })?;
    let codec = decode::choose(&head, &layer.media_type).map_err(|format| {
        RootfsError::UnsupportedCompression {
            layer: digest.clone(),
            format,
        }
    })?;
    let decoder = decode::decoder(codec, blob).map_err(|source| RootfsError::Decompress {
        layer: digest.clone(),
        codec,
        source,
    })?;
    let tar_stream = TarStream {
        inner: decoder,
        hash: Sha256::new(),
        failures: failures.clone(),
    };
    // What really failed when the tar broke: cancellation, reading the blob, decompressing
    // it, an entry cut short, and only then the tar itself.
    let underlying = |fallback: RootfsError| -> RootfsError {
        let mut f = failures.borrow_mut();
        if f.cancelled {
            RootfsError::Cancelled
        } else if let Some(source) = f.read.take() {
            read_error(source)
        } else if let Some(source) = f.decode.take() {
            RootfsError::Decompress {
                layer: digest.clone(),
                codec,
                source,
            }
        } else if let Some(reason) = f.content.take() {
            RootfsError::MalformedTar {
                layer: digest.clone(),
                reason,
            }
        } else {
            fallback
        }
    };
    let malformed = |e: io::Error| RootfsError::MalformedTar {
        layer: digest.clone(),
        reason: e.to_string(),
    };
    let mut archive = tar::Archive::new(tar_stream);
    {
        let entries = archive.entries().map_err(|e| underlying(malformed(e)))?;
        for (sequence, entry) in entries.enumerate() {
            if cancel.is_cancelled() {
                return Err(RootfsError::Cancelled);
            }
            let mut entry = entry.map_err(|e| underlying(malformed(e)))?;
            let Some(header) = header_of(&mut entry).map_err(|e| underlying(malformed(e)))? else {
                continue;
            };
            let mut content = Content {
                entry: &mut entry,
                failures: failures.clone(),
                path: &header.path,
            };
            visit(sequence, &header, &mut content).map_err(underlying)?;
        }
    }
    // The diff_id covers the whole stream: the end-of-archive blocks and any padding.
    let mut rest = archive.into_inner();
    io::copy(&mut rest, &mut io::sink()).map_err(|e| underlying(read_error(e)))?;
    let found = Digest::from_sha256(rest.hash.finalize().as_slice());
    if found != layer.diff_id {
        return Err(RootfsError::DiffIdMismatch {
            layer: digest.clone(),
            expected: layer.diff_id.clone(),
            found,
        });
    }
    Ok(())
}

/// Whether the last component of `path` is a whiteout name (`.wh.<name>`, or the opaque
/// marker `.wh..wh..opq`).
pub(crate) fn is_marker(path: &[u8]) -> bool {
    let name = match path.iter().rposition(|&b| b == b'/') {
        Some(i) => &path[i + 1..],
        None => path,
    };
    name.starts_with(b".wh.")
}

/// The whiteouts and opaque markers of `layer`, to apply before its other entries: the
/// OCI image spec has a layer's whiteouts remove what the layers *below* have, never what
/// the same layer writes, wherever they are in the tar. They come from the layer's index
/// (cached, or built and cached now: one more read of the layer, once); when it has no
/// usable index (or a marker's name is not UTF-8), from one more read of its headers.
pub(crate) fn markers_first(
    store: &Store,
    layer: &LayerPlan,
    cancel: &CancellationToken,
) -> Result<Vec<Vec<u8>>, RootfsError> {
    if cancel.is_cancelled() {
        return Err(RootfsError::Cancelled);
    }
    let index = match LayerIndex::load_cached(store, &layer.digest) {
        Some(index) => Some(index),
        None => {
            match LayerIndexer::index_blob_until(store, &layer.digest, &layer.media_type, cancel) {
                Ok(index) => {
                    if let Err(e) = index.save(store) {
                        tracing::warn!("cannot cache the index of layer {}: {e}", layer.digest);
                    }
                    Some(index)
                }
                Err(LayerError::Cancelled { .. }) => return Err(RootfsError::Cancelled),
                // The read of the layer below says what is wrong with it.
                Err(_) => None,
            }
        }
    };
    let indexed = index
        .filter(|x| x.diff_id() == &layer.diff_id)
        .and_then(|x| x.marker_names());
    if let Some(markers) = indexed {
        return Ok(markers);
    }
    let mut markers = Vec::new();
    for_each_entry(store, layer, cancel, |_, header, _| {
        if is_marker(&header.path) {
            markers.push(header.path.clone());
        }
        Ok(())
    })?;
    Ok(markers)
}

/// The header of `entry`, or `None` for a member that writes nothing.
fn header_of<R: Read>(entry: &mut tar::Entry<'_, R>) -> io::Result<Option<Header>> {
    let kind = match entry.header().entry_type() {
        EntryType::XGlobalHeader => return Ok(None),
        EntryType::Directory => Kind::Dir,
        EntryType::Symlink => Kind::Symlink,
        EntryType::Link => Kind::Hardlink,
        EntryType::Char => Kind::Char,
        EntryType::Block => Kind::Block,
        EntryType::Fifo => Kind::Fifo,
        // Regular, contiguous, GNU sparse, and types POSIX says to read as regular files.
        _ => Kind::File,
    };
    let path = normalize(&entry.path_bytes());
    let header = entry.header();
    let raw = header.as_old();
    let mode = numeric(&raw.mode, header.mode().map(u64::from))? as u32 & 0o7777;
    let uid = numeric(&raw.uid, header.uid())?;
    let gid = numeric(&raw.gid, header.gid())?;
    let seconds = numeric(&raw.mtime, header.mtime())?;
    let mut mtime = (i64::try_from(seconds).unwrap_or(i64::MAX), 0);
    let device = match kind {
        Kind::Char | Kind::Block => (
            header.device_major().ok().flatten().unwrap_or(0),
            header.device_minor().ok().flatten().unwrap_or(0),
        ),
        _ => (0, 0),
    };
    let link = match kind {
        Kind::Symlink => entry.link_name_bytes().map(|l| l.into_owned()),
        Kind::Hardlink => entry.link_name_bytes().map(|l| normalize(&l)),
        _ => None,
    }
    .unwrap_or_default();
    let size = if kind == Kind::File { entry.size() } else { 0 };
    if let Some(pax) = entry.pax_extensions()? {
        for ext in pax.flatten() {
            if ext.key_bytes() == b"mtime"
                && let Some(t) = ext.value().ok().and_then(pax_time)
            {
                mtime = t;
            }
        }
    }
    Ok(Some(Header {
        path,
        kind,
        size,
        mode,
        uid,
        gid,
        mtime,
        link,
        device,
    }))
}

/// A numeric header field, read as Go's archive/tar (and so Docker) reads it: a field of
/// only NULs and spaces is 0; anything else must parse.
fn numeric(field: &[u8], parsed: io::Result<u64>) -> io::Result<u64> {
    match parsed {
        Ok(n) => Ok(n),
        Err(_) if field.iter().all(|&b| b == 0 || b == b' ') => Ok(0),
        Err(e) => Err(e),
    }
}

/// A PAX time (`1700000000.123456789`, possibly negative) as seconds and nanoseconds.
fn pax_time(value: &str) -> Option<(i64, u32)> {
    let (whole, fraction) = value.split_once('.').unwrap_or((value, ""));
    let seconds: i64 = whole.parse().ok()?;
    let digits: String = fraction.chars().take(9).collect();
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let nanos = if digits.is_empty() {
        0
    } else {
        format!("{digits:0<9}").parse().ok()?
    };
    // A negative time with a fraction (`-1.5`) is 1.5 s before the epoch.
    if value.starts_with('-') && nanos > 0 {
        Some((seconds - 1, 1_000_000_000 - nanos))
    } else {
        Some((seconds, nanos))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_stay_under_the_root() {
        assert_eq!(normalize(b"./usr/bin/"), b"usr/bin");
        assert_eq!(normalize(b"../../etc/passwd"), b"etc/passwd");
        assert_eq!(normalize(b"/a/b/../../../c"), b"c");
        assert_eq!(normalize(b"/"), b"");
        assert_eq!(normalize(b"caf\xe9/x"), b"caf\xe9/x");
    }

    #[test]
    fn pax_times_keep_their_nanoseconds() {
        assert_eq!(
            pax_time("1700000000.123456789"),
            Some((1_700_000_000, 123_456_789))
        );
        assert_eq!(pax_time("1700000000.5"), Some((1_700_000_000, 500_000_000)));
        assert_eq!(pax_time("12"), Some((12, 0)));
        assert_eq!(pax_time("-1.5"), Some((-2, 500_000_000)));
        assert_eq!(pax_time("x"), None);
    }
}
