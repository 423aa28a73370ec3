//! Layer indexes cached in the store, so that an image opens instantly after its first view.
//!
//! One file per layer blob: `<store>/porthole-cache/layers/sha256-<hex>.idx`. A blob never
//! changes under its digest, so neither does its index; a file is only ever replaced whole
//! (temporary file, rename) and is rebuilt when it is missing, of another format version,
//! or damaged.
//!
//! The format (all integers little-endian):
//!
//! | bytes | what |
//! |-------|------|
//! | 8     | magic `PHLIDX\r\n` |
//! | 4     | format version ([`CACHE_FORMAT_VERSION`]) |
//! | 4     | CRC-32 of the body |
//! | 8     | body length |
//! | n     | body: postcard of the layer's digest, diff_id, media type, codec, sizes, the fixed-size entry records (tree order), the one string holding every path and link target, and the files package detectors found things in (since version 2; deb licences since 3, file ownership since 4; since 6 each record's tar member, the records later ones replaced, and the tar's names of the paths its own symlinks moved) |
//!
//! Nothing else in the store refers to these files: deleting `porthole-cache/` is always
//! safe.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::LayerError;
use super::decode::Codec;
use super::index::{LayerIndex, RawEntry, TarName};
use crate::digest::Digest;
use crate::packages::FoundFile;
use crate::store::Store;

/// Bump when the body's layout or the meaning of a field changes: older files are then
/// rebuilt rather than misread.
pub const CACHE_FORMAT_VERSION: u32 = 6;

const MAGIC: &[u8; 8] = b"PHLIDX\r\n";
const HEADER_LEN: usize = 8 + 4 + 4 + 8;

/// Where the cached index of layer `digest` lives.
pub fn cache_path(store: &Store, digest: &Digest) -> PathBuf {
    cache_dir(store).join(format!("sha256-{}.idx", digest.hex()))
}

/// `<store>/porthole-cache/layers`.
pub fn cache_dir(store: &Store) -> PathBuf {
    store.root().join("porthole-cache").join("layers")
}

/// The stored form of a [`LayerIndex`].
#[derive(Serialize, Deserialize)]
struct Stored {
    digest: Digest,
    diff_id: Digest,
    media_type: String,
    codec: Codec,
    compressed_size: u64,
    uncompressed_size: u64,
    root_opaque: bool,
    entries: Vec<RawEntry>,
    shadowed: Vec<RawEntry>,
    tar_names: Vec<TarName>,
    names: String,
    found: Vec<FoundFile>,
}

/// Why a cache file was not used.
#[derive(Debug)]
pub(crate) enum Miss {
    Absent,
    /// Another format version, or damaged: rebuild it.
    Unusable(String),
    Io(io::Error),
}

impl std::fmt::Display for Miss {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Miss::Absent => f.write_str("not cached"),
            Miss::Unusable(reason) => write!(f, "cached index unusable ({reason})"),
            Miss::Io(e) => write!(f, "cached index unreadable ({e})"),
        }
    }
}

pub(crate) fn encode(index: &LayerIndex) -> Result<Vec<u8>, postcard::Error> {
    let body = postcard::to_stdvec(&Stored {
        digest: index.digest.clone(),
        diff_id: index.diff_id.clone(),
        media_type: index.media_type.clone(),
        codec: index.codec,
        compressed_size: index.compressed_size,
        uncompressed_size: index.uncompressed_size,
        root_opaque: index.root_opaque,
        entries: index.entries.clone(),
        shadowed: index.shadowed.clone(),
        tar_names: index.tar_names.clone(),
        names: index.names.clone(),
        found: index.found.clone(),
    })?;
    let mut out = Vec::with_capacity(HEADER_LEN + body.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&CACHE_FORMAT_VERSION.to_le_bytes());
    out.extend_from_slice(&crc32fast::hash(&body).to_le_bytes());
    out.extend_from_slice(&(body.len() as u64).to_le_bytes());
    out.extend_from_slice(&body);
    Ok(out)
}

pub(crate) fn decode(bytes: &[u8], expected: &Digest) -> Result<LayerIndex, String> {
    if bytes.len() < HEADER_LEN || &bytes[..8] != MAGIC {
        return Err("not a porthole layer index".into());
    }
    let word =
        |at: usize| u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]);
    let version = word(8);
    if version != CACHE_FORMAT_VERSION {
        return Err(format!(
            "format version {version}, this porthole writes {CACHE_FORMAT_VERSION}"
        ));
    }
    let crc = word(12);
    let mut len = [0u8; 8];
    len.copy_from_slice(&bytes[16..24]);
    let body = &bytes[HEADER_LEN..];
    if u64::from_le_bytes(len) != body.len() as u64 {
        return Err("truncated".into());
    }
    if crc32fast::hash(body) != crc {
        return Err("checksum mismatch".into());
    }
    let stored: Stored = postcard::from_bytes(body).map_err(|e| format!("undecodable: {e}"))?;
    if stored.digest != *expected {
        return Err(format!("it indexes {}, not {expected}", stored.digest));
    }
    let index = LayerIndex {
        digest: stored.digest,
        diff_id: stored.diff_id,
        media_type: stored.media_type,
        codec: stored.codec,
        compressed_size: stored.compressed_size,
        uncompressed_size: stored.uncompressed_size,
        root_opaque: stored.root_opaque,
        entries: stored.entries,
        shadowed: stored.shadowed,
        tar_names: stored.tar_names,
        names: stored.names,
        found: stored.found,
    };
    index.validate()?;
    Ok(index)
}

pub(crate) fn read(store: &Store, digest: &Digest) -> Result<LayerIndex, Miss> {
    let path = cache_path(store, digest);
    let bytes = match fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(Miss::Absent),
        Err(e) => return Err(Miss::Io(e)),
    };
    decode(&bytes, digest).map_err(Miss::Unusable)
}

pub(crate) fn write(store: &Store, index: &LayerIndex) -> Result<(), LayerError> {
    let dir = cache_dir(store);
    let path = cache_path(store, &index.digest);
    let io_error = |action: &'static str, path: &Path| {
        let path = path.to_path_buf();
        move |source: io::Error| LayerError::Io {
            action,
            path,
            source,
        }
    };
    let bytes = encode(index).map_err(|e| LayerError::Internal {
        layer: index.digest.clone(),
        reason: format!("cannot encode its index: {e}"),
    })?;
    fs::create_dir_all(&dir).map_err(io_error("create directory", &dir))?;
    let mut temp = tempfile::Builder::new()
        .prefix(".porthole-")
        .suffix(".tmp")
        .tempfile_in(&dir)
        .map_err(io_error("create a temporary file in", &dir))?;
    temp.write_all(&bytes)
        .map_err(io_error("write", temp.path()))?;
    temp.persist(&path)
        .map_err(|e| io_error("rename into place", &path)(e.error))?;
    Ok(())
}
