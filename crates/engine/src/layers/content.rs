//! One file's bytes, read out of an image (`porthole cat`, the app's file viewer).
//!
//! The path is resolved in the image's final filesystem (or as a step left it), its
//! symlinks followed inside the image as the kernel follows them in a chroot: `..` stops
//! at the root and an absolute target starts from the image's root, so no path leads out
//! of the image. The bytes come from the layer that last wrote the file: its blob is
//! decompressed and its tar walked to the last entry that lands on the file (through the
//! lower layers' symlinks, as extraction puts it). A hard link takes its target's bytes,
//! from the same layer or from the layers below. The whole layer is hashed on the way and
//! nothing is handed out unless it hashes to its diff_id, so what is shown is what the
//! image's config promises.

use std::collections::HashSet;
use std::fs::File;
use std::io::{self, BufReader, Read, Seek, SeekFrom, Write};

use serde::Serialize;
use sha2::{Digest as _, Sha256};
use tar::EntryType;

use super::decode;
use super::image::{FileEntry, ImageLayers};
use super::index::{FileType, LayerIndex};
use super::stream::Digesting;
use super::tar_walk::WHITEOUT_PREFIX;
use super::{LayerError, paths, symlinks};
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

/// What the walk of a layer found for the wanted path.
enum Found {
    Bytes(Spool),
    /// A hard link to this path (normalised), which the layer does not write before the
    /// link: a file of the layers below.
    LinkBelow(String),
    /// A hard link to a hard link of the same layer.
    Chain,
    Nothing,
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
        let (layer, blob) = view
            .writer_of(want)
            .ok_or_else(|| LayerError::PathNotFound {
                path: file.path.clone(),
            })?;
        let original = LayerIndex::cached_or_build(self.store, &blob.digest, &blob.media_type)?;
        let lower = &view.layers()[..layer];
        // Only a path under a lower layer's symlink can land elsewhere: the others skip the
        // (per-ancestor, per-layer) resolution.
        let links: HashSet<&str> = lower
            .iter()
            .flat_map(|l| l.entries())
            .filter(|e| e.kind == Some(FileType::Symlink))
            .map(|e| e.path)
            .collect();
        let land = |p: &str| {
            let through_link = p.match_indices('/').any(|(i, _)| links.contains(&p[..i]));
            if through_link {
                symlinks::landing(lower, &original, p)
            } else {
                p.to_owned()
            }
        };
        // The index keeps a hard link's target as the tar names it.
        let target = match file.kind {
            FileType::Hardlink => file
                .link_target
                .as_deref()
                .and_then(|t| paths::normalize(t.as_bytes()))
                .map(|t| land(&t)),
            _ => None,
        };
        match self.walk(&original, &land, want, target.as_deref())? {
            Found::Bytes(spool) => Ok(spool),
            Found::LinkBelow(target) if hops < MAX_HARD_LINKS => {
                let below = view.lower(layer);
                let entry = resolve(&below, &target, false)?;
                self.content_of(&below, &entry, hops + 1)
            }
            Found::LinkBelow(_) | Found::Chain => Err(LayerError::HardLinkChain {
                path: file.path.clone(),
            }),
            Found::Nothing => Err(LayerError::MissingFromLayer {
                path: file.path.clone(),
                layer: blob.digest.clone(),
            }),
        }
    }

    /// Walks the tar of `layer` to its end and returns what its last entry landing on
    /// `want` holds, once the whole stream hashed to the layer's diff_id. `target` is the
    /// hard link target to keep the bytes of, when `want` is a hard link.
    fn walk(
        &self,
        layer: &LayerIndex,
        land: &dyn Fn(&str) -> String,
        want: &str,
        target: Option<&str>,
    ) -> Result<Found, LayerError> {
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
        let mut found = Found::Nothing;
        // The bytes `target` holds at this point of the walk, if the layer wrote it.
        let mut target_bytes: Option<Spool> = None;
        let mut target_is_link = false;
        {
            let mut archive = tar::Archive::new(&mut stream);
            let entries = archive.entries().map_err(|e| malformed(digest, 0, e))?;
            for entry in entries {
                if (self.stop)() {
                    return Err(self.cancelled());
                }
                let mut entry = entry.map_err(|e| malformed(digest, 0, e))?;
                let at = entry.raw_header_position();
                let kind = entry.header().entry_type();
                if kind == EntryType::XGlobalHeader {
                    continue;
                }
                let Some(path) = paths::normalize(&entry.path_bytes()) else {
                    continue;
                };
                if paths::file_name(&path).starts_with(WHITEOUT_PREFIX) {
                    continue;
                }
                let landed = land(&path);
                let is_want = landed == want;
                let is_target = target == Some(landed.as_str());
                if !is_want && !is_target {
                    continue;
                }
                match kind {
                    EntryType::Link => {
                        let link = entry
                            .link_name_bytes()
                            .and_then(|l| paths::normalize(&l))
                            .map(|l| land(&l))
                            .unwrap_or_default();
                        if is_want {
                            found = if target == Some(link.as_str()) {
                                if target_is_link {
                                    Found::Chain
                                } else {
                                    target_bytes
                                        .take()
                                        .map_or(Found::LinkBelow(link), Found::Bytes)
                                }
                            } else {
                                // Not the link the index keeps: a later entry replaces it.
                                Found::LinkBelow(link)
                            };
                        } else {
                            target_bytes = None;
                            target_is_link = true;
                        }
                    }
                    EntryType::Directory
                    | EntryType::Symlink
                    | EntryType::Char
                    | EntryType::Block
                    | EntryType::Fifo => {
                        if is_want {
                            found = Found::Nothing;
                        } else {
                            target_bytes = None;
                            target_is_link = false;
                        }
                    }
                    // Regular files, and the types tar readers take as regular files.
                    _ => {
                        let keep = if is_want { self.keep } else { u64::MAX };
                        let spool = Spool::fill(&mut entry, keep, self.stop).map_err(|e| {
                            if (self.stop)() {
                                self.cancelled()
                            } else {
                                malformed(digest, at, e)
                            }
                        })?;
                        if is_want {
                            found = Found::Bytes(spool);
                        } else {
                            target_bytes = Some(spool);
                            target_is_link = false;
                        }
                    }
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
