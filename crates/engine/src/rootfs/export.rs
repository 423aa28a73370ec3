//! `export`: an image's final filesystem as one tar stream, as `crane export` and
//! `docker export` give it: every path once, with the metadata of the layer that provides
//! it, hard links kept.
//!
//! Two passes over the layers. The first reads only headers and applies them to the
//! in-memory model (`model.rs`, the same rules as `unpack`); the model says which tar
//! member provides each file that survives. The output then starts with the directories,
//! symlinks and special files (they have no content), and the second pass streams the
//! layers again, copying only the surviving files' content straight from the blobs,
//! each followed by its other names as hard links. Both passes check the diff_ids.

use std::collections::HashMap;
use std::ffi::OsStr;
use std::io::{self, Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use serde::Serialize;
use tar::{EntryType, Header};
use tokio_util::sync::CancellationToken;

use super::RootfsError;
use super::apply::Applier;
use super::layer::{self, Kind};
use super::model::{Meta, Model, Node};
use crate::store::{ImageSummary, Store};

/// What went into an export.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ExportReport {
    /// Tar members written.
    pub entries: u64,
    /// Regular files, each once however many names it has.
    pub files: u64,
    pub directories: u64,
    pub symlinks: u64,
    /// Names of a regular file beyond its first (hard-link members).
    pub hardlinks: u64,
    /// Device nodes and FIFOs.
    pub special: u64,
    /// Regular files' bytes.
    pub bytes: u64,
}

fn output(source: io::Error) -> RootfsError {
    RootfsError::Output { source }
}

fn path_of(bytes: &[u8]) -> &Path {
    Path::new(OsStr::from_bytes(bytes))
}

fn header(kind: EntryType, meta: &Meta, size: u64) -> Header {
    let mut h = Header::new_gnu();
    h.set_entry_type(kind);
    h.set_mode(meta.mode);
    h.set_uid(meta.uid);
    h.set_gid(meta.gid);
    h.set_mtime(u64::try_from(meta.mtime.0).unwrap_or(0));
    h.set_size(size);
    h
}

/// Hands out exactly `left` bytes of `inner`, or fails: a short entry must not make a
/// short tar member.
struct Exact<'a> {
    inner: &'a mut dyn Read,
    left: u64,
}

impl Read for Exact<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.left == 0 {
            return Ok(0);
        }
        let max = buf
            .len()
            .min(usize::try_from(self.left).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..max])?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the layer's entry ended early",
            ));
        }
        self.left -= n as u64;
        Ok(n)
    }
}

/// Writes `image`'s final filesystem to `out` as one tar stream (names relative, without
/// a leading `./`; the root itself is not a member). `out` should be buffered. On error
/// the stream is incomplete: callers writing a file should write it whole (see
/// [`crate::files::write_whole_with`]).
pub fn export(
    store: &Store,
    image: &ImageSummary,
    out: impl Write,
    cancel: &CancellationToken,
) -> Result<ExportReport, RootfsError> {
    let _lock = store.lock_shared()?;
    let layers = layer::plan(store, image)?;

    // Pass 1: the final tree, from the headers alone.
    let mut applier = Applier::new(Model::default());
    for (i, layer) in layers.iter().enumerate() {
        applier.start_layer(&layer.digest);
        layer::for_each_entry(store, layer, cancel, |sequence, header, content| {
            applier.tree.layer = i;
            applier.tree.sequence = sequence;
            applier.apply(header, content).map(drop)
        })?;
    }
    let model = applier.tree;

    // Each surviving file's names, in tree order: the first carries the content.
    let mut names: HashMap<usize, Vec<&[u8]>> = HashMap::new();
    for (path, node) in &model.nodes {
        if let Node::File(inode) = node {
            names.entry(*inode).or_default().push(path);
        }
    }
    let wanted: HashMap<(usize, usize), usize> = names
        .keys()
        .map(|&i| ((model.inodes[i].layer, model.inodes[i].sequence), i))
        .collect();

    let mut report = ExportReport::default();
    let mut tar = tar::Builder::new(out);
    for (path, node) in &model.nodes {
        if cancel.is_cancelled() {
            return Err(RootfsError::Cancelled);
        }
        let path = path_of(path);
        match node {
            Node::Dir(meta) => {
                let mut h = header(EntryType::Directory, meta, 0);
                tar.append_data(&mut h, path, io::empty()).map_err(output)?;
                report.directories += 1;
            }
            Node::Symlink(target, meta) => {
                let mut h = header(EntryType::Symlink, meta, 0);
                tar.append_link(&mut h, path, path_of(target))
                    .map_err(output)?;
                report.symlinks += 1;
            }
            Node::Special(kind, (major, minor), meta) => {
                let kind = match kind {
                    Kind::Char => EntryType::Char,
                    Kind::Block => EntryType::Block,
                    _ => EntryType::Fifo,
                };
                let mut h = header(kind, meta, 0);
                h.set_device_major(*major).map_err(output)?;
                h.set_device_minor(*minor).map_err(output)?;
                tar.append_data(&mut h, path, io::empty()).map_err(output)?;
                report.special += 1;
            }
            Node::File(_) => continue,
        }
        report.entries += 1;
    }

    // Pass 2: the files' content, straight from the layers.
    for (i, layer) in layers.iter().enumerate() {
        if !wanted.keys().any(|&(l, _)| l == i) {
            continue;
        }
        layer::for_each_entry(store, layer, cancel, |sequence, _, content| {
            let Some(&inode) = wanted.get(&(i, sequence)) else {
                return Ok(());
            };
            let file = &model.inodes[inode];
            let paths = &names[&inode];
            let mut h = header(EntryType::Regular, &file.meta, file.size);
            let data = Exact {
                inner: content,
                left: file.size,
            };
            tar.append_data(&mut h, path_of(paths[0]), data)
                .map_err(output)?;
            report.files += 1;
            report.bytes = report.bytes.saturating_add(file.size);
            for other in &paths[1..] {
                let mut h = header(EntryType::Link, &file.meta, 0);
                tar.append_link(&mut h, path_of(other), path_of(paths[0]))
                    .map_err(output)?;
                report.hardlinks += 1;
            }
            report.entries += paths.len() as u64;
            Ok(())
        })?;
    }
    let mut out = tar.into_inner().map_err(output)?;
    out.flush().map_err(output)?;
    Ok(report)
}
