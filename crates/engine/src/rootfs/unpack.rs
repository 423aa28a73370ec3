//! `unpack`: an image's final filesystem written into a directory, layer after layer, as
//! `umoci unpack` leaves it. The layers go into `DIR.partial-XXXXXX` beside `DIR`, which is
//! renamed to `DIR` only once whole; on any error or cancellation it is removed. Each
//! layer's whiteouts and opaque markers are applied before its other entries, as its
//! index lists them (an index not cached yet is built and cached first: one more read of
//! that layer).

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io;
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};

use rustix::io::Errno;
use serde::Serialize;
use tokio_util::sync::CancellationToken;

use super::RootfsError;
use super::apply::{Applier, Created};
use super::disk::{self, Disk};
use super::layer::{self, Kind};
use crate::digest::Digest;
use crate::store::{ImageSummary, Store};

/// How to unpack.
#[derive(Clone, Debug)]
pub struct UnpackOptions {
    /// Give files the owners the layers say (needs root). Default: when running as root,
    /// as GNU tar's `--same-owner`; otherwise files belong to the user running the unpack.
    pub same_owner: bool,
}

impl Default for UnpackOptions {
    fn default() -> UnpackOptions {
        UnpackOptions {
            same_owner: rustix::process::geteuid().is_root(),
        }
    }
}

/// A layer is about to be applied.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UnpackProgress {
    /// Position of the layer, bottom first (0-based).
    pub layer: usize,
    pub layers: usize,
    pub digest: Digest,
    /// Compressed bytes, as the manifest says.
    pub size: u64,
}

/// An entry the unpack did not create, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Skipped {
    /// Absolute, inside the image: `/dev/null`.
    pub path: String,
    /// `char`, `block` or `fifo`.
    #[serde(rename = "type")]
    pub kind: String,
    pub reason: String,
}

/// What an unpack wrote: the tree as it is at the end.
#[derive(Clone, Debug, Serialize)]
pub struct UnpackReport {
    pub reference: Option<String>,
    /// The image ID (the config's digest).
    pub id: Digest,
    pub directory: PathBuf,
    /// Regular files, each once however many names it has.
    pub files: u64,
    pub directories: u64,
    pub symlinks: u64,
    /// Names of a regular file beyond its first.
    pub hardlinks: u64,
    /// Regular files' bytes, each file once.
    pub bytes: u64,
    pub skipped: Vec<Skipped>,
}

/// Removes the temporary tree unless the unpack got to its end.
struct Partial {
    path: PathBuf,
    done: bool,
}

impl Drop for Partial {
    fn drop(&mut self) {
        if !self.done
            && let Err(e) = disk::remove_all(&self.path)
        {
            tracing::warn!("could not remove `{}`: {e}", self.path.display());
        }
    }
}

/// Unpacks `image` into `dir`, which must not exist or be an empty directory (its parent
/// must exist). `progress` hears of each layer as it begins; `cancel` stops the unpack
/// between two entries (or within a file's content), leaving nothing behind.
pub fn unpack(
    store: &Store,
    image: &ImageSummary,
    dir: &Path,
    options: &UnpackOptions,
    progress: &mut dyn FnMut(UnpackProgress),
    cancel: &CancellationToken,
) -> Result<UnpackReport, RootfsError> {
    check_target(dir)?;
    let io_error = |action: &'static str, path: &Path| {
        let path = path.to_path_buf();
        move |source: io::Error| RootfsError::Io {
            action,
            path,
            source,
        }
    };
    let _lock = store.lock_shared()?;
    let layers = layer::plan(store, image)?;

    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "rootfs".to_owned());
    let temp = tempfile::Builder::new()
        .prefix(&format!("{name}.partial-"))
        .rand_bytes(6)
        .tempdir_in(parent)
        .map_err(io_error("create a directory in", parent))?;
    let mut partial = Partial {
        path: temp.keep(),
        done: false,
    };
    let root = File::open(&partial.path).map_err(io_error("open", &partial.path))?;
    let mut applier = Applier::new(Disk::new(OwnedFd::from(root), options.same_owner));
    let mut skipped: BTreeMap<Vec<u8>, Skipped> = BTreeMap::new();
    for (i, layer) in layers.iter().enumerate() {
        progress(UnpackProgress {
            layer: i,
            layers: layers.len(),
            digest: layer.digest.clone(),
            size: layer.size,
        });
        let markers = layer::markers_first(store, layer, cancel)?;
        applier.start_layer(&layer.digest, Some(&markers))?;
        layer::for_each_entry(store, layer, cancel, |_, header, content| {
            if let Created::Skipped(reason) = applier.apply(header, content)? {
                let kind = match header.kind {
                    Kind::Char => "char",
                    Kind::Block => "block",
                    _ => "fifo",
                };
                skipped.insert(
                    header.path.clone(),
                    Skipped {
                        path: format!("/{}", String::from_utf8_lossy(&header.path)),
                        kind: kind.to_owned(),
                        reason: reason.to_owned(),
                    },
                );
            }
            Ok(())
        })?;
        applier.end_layer()?;
    }
    if cancel.is_cancelled() {
        return Err(RootfsError::Cancelled);
    }
    let disk = &mut applier.tree;
    disk.finish()
        .map_err(io_error("set directory metadata in", &partial.path))?;
    let counts = disk
        .count()
        .map_err(io_error("look through", &partial.path))?;
    match fs::rename(&partial.path, dir) {
        Ok(()) => partial.done = true,
        // Something appeared in the target meanwhile.
        Err(e)
            if [Errno::NOTEMPTY, Errno::EXIST, Errno::NOTDIR]
                .iter()
                .any(|n| e.raw_os_error() == Some(n.raw_os_error())) =>
        {
            return Err(RootfsError::TargetNotEmpty {
                path: dir.to_path_buf(),
            });
        }
        Err(e) => return Err(io_error("rename the unpacked tree to", dir)(e)),
    }
    Ok(UnpackReport {
        reference: image.reference.clone(),
        id: image.id.clone(),
        directory: dir.to_path_buf(),
        files: counts.files,
        directories: counts.directories,
        symlinks: counts.symlinks,
        hardlinks: counts.hardlinks,
        bytes: counts.bytes,
        skipped: skipped.into_values().collect(),
    })
}

/// `dir` must not exist, or be an empty directory.
fn check_target(dir: &Path) -> Result<(), RootfsError> {
    match fs::symlink_metadata(dir) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(source) => Err(RootfsError::Io {
            action: "look at",
            path: dir.to_path_buf(),
            source,
        }),
        Ok(meta) if meta.is_dir() => {
            let mut entries = fs::read_dir(dir).map_err(|source| RootfsError::Io {
                action: "read",
                path: dir.to_path_buf(),
                source,
            })?;
            if entries.next().is_none() {
                Ok(())
            } else {
                Err(RootfsError::TargetNotEmpty {
                    path: dir.to_path_buf(),
                })
            }
        }
        Ok(_) => Err(RootfsError::TargetNotEmpty {
            path: dir.to_path_buf(),
        }),
    }
}
