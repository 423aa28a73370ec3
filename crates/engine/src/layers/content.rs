//! One file's bytes, read out of an image (`porthole cat`, the app's file viewer).
//!
//! The path is resolved in the image's final filesystem (or as a step left it), its
//! symlinks followed inside the image as the kernel follows them in a chroot: `..` stops
//! at the root and an absolute target starts from the image's root, so no path leads out
//! of the image. The bytes come from the layer that last wrote the file: its blob is
//! decompressed and its tar walked to the member that the index says wrote the file (the
//! index lands each member through symlinks as extraction does). A hard link takes the
//! bytes its target had when the link was made, from an earlier member of the same layer
//! or from the layers below. The whole layer is hashed on the way and
//! nothing is handed out unless it hashes to its diff_id, so what is shown is what the
//! image's config promises.

use std::fs::File;
use std::io::{self, BufReader, Read, Seek, SeekFrom, Write};

use serde::Serialize;
use sha2::{Digest as _, Sha256};
use tar::EntryType;

use super::decode;
use super::image::{FileEntry, ImageLayers};
use super::index::{FileType, LayerIndex};
use super::stream::Digesting;
use super::{LayerError, paths};
use crate::digest::Digest;
use crate::store::{Store, StoreError};

/// How many symlinks one path may go through (Linux's `MAXSYMLINKS`).
const MAX_LINKS: usize = 40;
/// How many hard links (each to a file of the layers below) one read follows.
const MAX_HARD_LINKS: usize = 8;
/// A file's bytes kept in memory; beyond this they go to an unlinked temporary file.
const IN_MEMORY: u64 = 1 << 20;

/// What [`read_file`] read.
#[derive(Clone, Debug, Serialize)]
pub struct FileContent {
    /// The path asked for, absolute and normalised.
    pub path: String,
    /// The file whose bytes these are: `path` with its symlinks followed (a hard link
    /// stays a hard link here; its bytes are its target's).
    pub file: FileEntry,
    /// The file's length in bytes.
    pub size: u64,
    /// Bytes written out: `size`, or the limit when the file is longer.
    pub written: u64,
    /// The file is longer than the limit.
    pub truncated: bool,
    /// SHA-256 of the whole file.
    pub sha256: Digest,
}

/// Writes the bytes of the file at `path` in `view` (symlinks followed) to `out`, at
/// most `limit` of them, once its layer hashed to its diff_id. `stop` is asked between
/// reads; when it says so, the read ends with [`LayerError::ReadCancelled`].
pub fn read_file(
    store: &Store,
    view: &ImageLayers,
    path: &str,
    out: &mut dyn Write,
    limit: Option<u64>,
    stop: &dyn Fn() -> bool,
) -> Result<FileContent, LayerError> {
    let asked = paths::normalize(path.as_bytes()).unwrap_or_default();
    let asked = paths::absolute(&asked);
    let file = resolve(view, path, true)?;
    let reading = Reading {
        store,
        stop,
        keep: limit.unwrap_or(u64::MAX),
        asked: &asked,
    };
    let spool = reading.content_of(view, &file, 0)?;
    let size = spool.len;
    let sha256 = Digest::from_sha256(spool.hash.clone().finalize().as_slice());
    let written = spool.copy_to(out).map_err(|source| LayerError::Output {
        path: asked.clone(),
        source,
    })?;
    Ok(FileContent {
        path: asked,
        file,
        size,
        written,
        truncated: written < size,
        sha256,
    })
}

/// The entry at `path` in `view` with the symlinks on the way followed inside the image
/// (and the last one too, with `follow_last`).
pub fn resolve(view: &ImageLayers, path: &str, follow_last: bool) -> Result<FileEntry, LayerError> {
    // What is left to walk, last component first (a stack).
    let mut rest: Vec<String> = components(path).rev().map(str::to_owned).collect();
    let mut done: Vec<String> = Vec::new();
    let mut links = 0;
    while let Some(part) = rest.pop() {
        if part == ".." {
            done.pop();
            continue;
        }
        done.push(part);
        let here = done.join("/");
        let entry = view.get(&here).ok_or_else(|| LayerError::PathNotFound {
            path: paths::absolute(&here),
        })?;
        let last = rest.is_empty();
        match entry.kind {
            FileType::Symlink if !last || follow_last => {
                links += 1;
                if links > MAX_LINKS {
                    return Err(LayerError::TooManyLinks {
                        path: paths::absolute(
                            &paths::normalize(path.as_bytes()).unwrap_or_default(),
                        ),
                    });
                }
                let target = entry.link_target.unwrap_or_default();
                done.pop();
                if target.starts_with('/') {
                    done.clear();
                }
                rest.extend(components(&target).rev().map(str::to_owned));
            }
            FileType::Dir => {}
            _ if !last => {
                return Err(LayerError::NotADirectory {
                    path: paths::absolute(&here),
                });
            }
            _ => {}
        }
    }
    if done.is_empty() {
        return Err(LayerError::NotAFile {
            path: "/".to_owned(),
            kind: FileType::Dir,
        });
    }
    let here = done.join("/");
    view.get(&here).ok_or_else(|| LayerError::PathNotFound {
        path: paths::absolute(&here),
    })
}

/// A path's components, without empty ones and `.`.
fn components(path: &str) -> impl DoubleEndedIterator<Item = &str> {
    path.split('/').filter(|c| !c.is_empty() && *c != ".")
}

struct Reading<'a> {
    store: &'a Store,
    stop: &'a dyn Fn() -> bool,
    /// Bytes of the file to keep (all are hashed).
    keep: u64,
    asked: &'a str,
}

impl Reading<'_> {
    /// The bytes of `file`, a file or hard link of `view`.
    fn content_of(
        &self,
        view: &ImageLayers,
        file: &FileEntry,
        hops: usize,
    ) -> Result<Spool, LayerError> {
        if !matches!(file.kind, FileType::File | FileType::Hardlink) {
            return Err(LayerError::NotAFile {
                path: file.path.clone(),
                kind: file.kind,
            });
        }
        let want = file.path.trim_start_matches('/');
        let (layer, mut raw) = view
            .record_of(want)
            .ok_or_else(|| LayerError::PathNotFound {
                path: file.path.clone(),
            })?;
        let index = &view.layers()[layer];
        // The member whose bytes these are: the file's, or for a hard link, its target's
        // as it was when the link was made (the index lands paths and link targets as
        // extraction does, and keeps which member wrote each record).
        let mut links = 0;
        while raw.kind == Some(FileType::Hardlink) {
            links += 1;
            if links > MAX_HARD_LINKS || hops >= MAX_HARD_LINKS {
                return Err(LayerError::HardLinkChain {
                    path: file.path.clone(),
                });
            }
            let target = raw.link.get(&index.names).to_owned();
            match index.written_before(&target, raw.seq) {
                Some(earlier) => raw = earlier,
                // Not written by this layer before the link: a file of the layers below.
                _ => {
                    let below = view.lower(layer);
                    let entry = resolve(&below, &target, false)?;
                    return self.content_of(&below, &entry, hops + 1);
                }
            }
        }
        if raw.kind != Some(FileType::File) {
            return Err(LayerError::NotAFile {
                path: file.path.clone(),
                kind: raw.kind.unwrap_or(FileType::Dir),
            });
        }
        self.walk(index, raw.seq)?
            .ok_or_else(|| LayerError::MissingFromLayer {
                path: file.path.clone(),
                layer: index.digest().clone(),
            })
    }

    /// Walks the tar of `layer` to its end and returns the bytes of its member `member`
    /// (a regular file), once the whole stream hashed to the layer's diff_id.
    fn walk(&self, layer: &LayerIndex, member: u32) -> Result<Option<Spool>, LayerError> {
        let digest = layer.digest();
        let read = |source: io::Error| LayerError::Read {
            layer: digest.clone(),
            source,
        };
        let blob = self.store.blob_path(digest);
        let file = File::open(&blob).map_err(|source| match source.kind() {
            io::ErrorKind::NotFound => LayerError::Store(StoreError::MissingBlob {
                digest: digest.clone(),
                path: blob.clone(),
            }),
            _ => read(source),
        })?;
        let (head, input) = decode::peek(BufReader::with_capacity(1 << 16, file)).map_err(read)?;
        let codec = decode::choose(&head, layer.media_type()).map_err(|format| {
            LayerError::UnsupportedCompression {
                layer: digest.clone(),
                format,
            }
        })?;
        let decoder = decode::decoder(codec, input).map_err(|source| LayerError::Decompress {
            layer: digest.clone(),
            codec,
            source,
        })?;
        let mut stream = Digesting::new(decoder);
        let mut found = None;
        {
            let mut archive = tar::Archive::new(&mut stream);
            let entries = archive.entries().map_err(|e| malformed(digest, 0, e))?;
            for (sequence, entry) in entries.enumerate() {
                if (self.stop)() {
                    return Err(self.cancelled());
                }
                let mut entry = entry.map_err(|e| malformed(digest, 0, e))?;
                if u32::try_from(sequence).ok() != Some(member) {
                    continue;
                }
                let at = entry.raw_header_position();
                let regular = !matches!(
                    entry.header().entry_type(),
                    EntryType::Link
                        | EntryType::Symlink
                        | EntryType::Directory
                        | EntryType::Char
                        | EntryType::Block
                        | EntryType::Fifo
                        | EntryType::XGlobalHeader
                );
                if regular {
                    let spool = Spool::fill(&mut entry, self.keep, self.stop).map_err(|e| {
                        if (self.stop)() {
                            self.cancelled()
                        } else {
                            malformed(digest, at, e)
                        }
                    })?;
                    found = Some(spool);
                }
            }
        }
        // The diff_id covers the whole stream, padding included.
        io::copy(&mut stream, &mut io::sink()).map_err(read)?;
        let diff_id = stream.digest();
        if &diff_id != layer.diff_id() {
            return Err(LayerError::DiffIdMismatch {
                layer: digest.clone(),
                expected: layer.diff_id().clone(),
                found: diff_id,
            });
        }
        Ok(found)
    }

    fn cancelled(&self) -> LayerError {
        LayerError::ReadCancelled {
            path: self.asked.to_owned(),
        }
    }
}

fn malformed(layer: &Digest, offset: u64, source: io::Error) -> LayerError {
    LayerError::MalformedTar {
        layer: layer.clone(),
        offset,
        reason: source.to_string(),
    }
}

/// A file's bytes as the walk meets them: the first `keep` of them, in memory up to
/// [`IN_MEMORY`] and then in an unlinked temporary file; all of them hashed.
struct Spool {
    head: Vec<u8>,
    rest: Option<File>,
    kept: u64,
    len: u64,
    hash: Sha256,
}

impl Spool {
    fn fill(input: &mut dyn Read, keep: u64, stop: &dyn Fn() -> bool) -> io::Result<Spool> {
        let mut spool = Spool {
            head: Vec::new(),
            rest: None,
            kept: 0,
            len: 0,
            hash: Sha256::new(),
        };
        let mut buf = vec![0u8; 1 << 16];
        loop {
            if stop() {
                return Err(io::Error::other("cancelled"));
            }
            let n = match input.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            let chunk = &buf[..n];
            spool.hash.update(chunk);
            spool.len += n as u64;
            let room = keep.saturating_sub(spool.kept).min(n as u64) as usize;
            let chunk = &chunk[..room];
            if chunk.is_empty() {
                continue;
            }
            let in_memory = IN_MEMORY.saturating_sub(spool.head.len() as u64) as usize;
            let (now, later) = chunk.split_at(in_memory.min(chunk.len()));
            spool.head.extend_from_slice(now);
            if !later.is_empty() {
                let file = match &mut spool.rest {
                    Some(f) => f,
                    None => spool.rest.insert(tempfile::tempfile()?),
                };
                file.write_all(later)?;
            }
            spool.kept += chunk.len() as u64;
        }
        Ok(spool)
    }

    /// Writes what was kept to `out`; returns how many bytes that is.
    fn copy_to(mut self, out: &mut dyn Write) -> io::Result<u64> {
        out.write_all(&self.head)?;
        let mut written = self.head.len() as u64;
        if let Some(file) = &mut self.rest {
            file.seek(SeekFrom::Start(0))?;
            written += io::copy(file, out)?;
        }
        out.flush()?;
        Ok(written)
    }
}
