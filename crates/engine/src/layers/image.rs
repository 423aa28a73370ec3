//! An image's layers stacked up: its build steps, its final filesystem, what each step
//! changed, and the queries the CLI and the UI ask of them.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};

use serde::Serialize;

use super::LayerError;
use super::history::{self, HistoryEntry, LayerRef, Plan, Step};
use super::index::{FileType, LayerIndex, RawEntry};
use super::merge::{self, ChangeKind, Merged, Version};
use super::paths::{self, tree_cmp};
use crate::digest::Digest;
use crate::packages::ImagePackages;
use crate::store::{ImageSummary, Store};

mod listing;

pub use listing::{FileScope, ListedEntry, Listing, Waste};

/// One build step, as `porthole layers` lists it (`docker history` order: oldest first).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LayerStep {
    /// The step's position in the config's history (or after it, for layers the history
    /// does not mention). `--layer N` and [`FileEntry::layer`] use this number.
    pub index: usize,
    /// The layer blob; `None` for a step that changed no files (`ENV`, `CMD`, …).
    pub digest: Option<Digest>,
    pub diff_id: Option<Digest>,
    pub media_type: Option<String>,
    /// Compressed bytes.
    pub size: u64,
    pub uncompressed_size: u64,
    pub created_by: Option<String>,
    pub created: Option<String>,
    pub comment: Option<String>,
    pub empty_layer: bool,
    /// Entries of the layer's tar (whiteouts not counted).
    pub files: u64,
    pub added: u64,
    pub modified: u64,
    pub removed: u64,
    /// Bytes of this layer's files that a later layer overwrites or removes.
    pub wasted_bytes: u64,
}

/// A path of the image, as `porthole files --json` prints it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FileEntry {
    /// Absolute: `/usr/bin/env`.
    pub path: String,
    #[serde(rename = "type")]
    pub kind: FileType,
    /// A regular file's bytes, or a hard link's: those of the file it shares (its target
    /// as it was when the link was made; its mode and owner are that file's too); 0 for
    /// anything else.
    pub size: u64,
    /// Permission bits with setuid, setgid and sticky.
    pub mode: u32,
    pub uid: u64,
    pub gid: u64,
    /// A symlink's target as written, or a hard link's target path (absolute).
    pub link_target: Option<String>,
    /// The step that last wrote this path (in a [`FileChange`]: the step that made the
    /// change).
    pub layer: usize,
    /// Modification time, seconds since the epoch.
    pub mtime: i64,
    /// The package that installed this file or symlink, as the image's package database
    /// says (dpkg's file lists, apk's database); `None` for directories and for files no
    /// package claims.
    pub package: Option<String>,
}

/// What one step did to one path.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FileChange {
    /// The path as the step left it; for a removal, what was removed.
    #[serde(flatten)]
    pub entry: FileEntry,
    pub change: ChangeKind,
}

/// A path that several layers wrote or removed (dive's "inefficient files").
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct WastedFile {
    pub path: String,
    /// How many layers have it.
    pub count: u32,
    /// Its bytes added up over those layers.
    pub wasted_bytes: u64,
}

/// One step's share of the waste.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LayerEfficiency {
    pub index: usize,
    pub digest: Digest,
    /// Bytes of this layer's files that a later layer overwrites or removes.
    pub wasted_bytes: u64,
    /// The share of this layer's file bytes still visible in the final image (1.0 when
    /// it has none).
    pub efficiency: f64,
}

/// How well an image uses its bytes, as dive scores it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Efficiency {
    /// dive's efficiency score, 0.0 to 1.0.
    pub score: f64,
    /// dive's wasted space: the bytes, over all layers, of every path that more than one
    /// layer writes or removes.
    pub wasted_bytes: u64,
    /// `wasted_bytes` over the uncompressed size of the layers above the first, in
    /// percent, as dive's "user wasted percent" (above 100 when the upper layers remove
    /// more of the base than they add).
    pub user_wasted_percent: f64,
    /// The paths behind `wasted_bytes`, biggest first.
    pub inefficient_files: Vec<WastedFile>,
    pub layers: Vec<LayerEfficiency>,
}

/// An image's layers, indexed and stacked. Cheap to query; build it once per image view.
pub struct ImageLayers {
    steps: Vec<Step>,
    refs: Vec<LayerRef>,
    layers: Vec<LayerIndex>,
    merged: Merged,
    /// For each layer, its step.
    step_of: Vec<usize>,
    /// Path → package, computed on first use (see [`ImageLayers::owner_of`]).
    owners: OnceLock<HashMap<String, String>>,
}

impl ImageLayers {
    /// Loads the image's layer indexes from the cache, building (in parallel, from the
    /// blobs) and caching those that are missing, stale or damaged; checks each layer's
    /// diff_id against the config; and stacks them.
    pub fn load(store: &Store, image: &ImageSummary) -> Result<ImageLayers, LayerError> {
        if let Some(problem) = &image.problem {
            return Err(LayerError::BadImage {
                what: "image",
                digest: image.digest.clone(),
                reason: problem.clone(),
            });
        }
        let plan = history::plan(store, &image.digest)?;
        let layers = load_indexes(store, &plan.layers)?;
        for (index, expected) in layers.iter().zip(&plan.diff_ids) {
            if index.diff_id() != expected {
                return Err(LayerError::DiffIdMismatch {
                    layer: index.digest().clone(),
                    expected: expected.clone(),
                    found: index.diff_id().clone(),
                });
            }
        }
        Ok(ImageLayers::assemble(plan, layers))
    }

    /// Stacks indexes that are already at hand (bottom layer first), with the config's
    /// history. No diff_id check: the caller has the config.
    pub fn from_indexes(layers: Vec<LayerIndex>, history: Vec<HistoryEntry>) -> ImageLayers {
        let plan = Plan {
            layers: layers
                .iter()
                .map(|l| LayerRef {
                    digest: l.digest().clone(),
                    media_type: l.media_type().to_owned(),
                    size: l.compressed_size(),
                })
                .collect(),
            diff_ids: layers.iter().map(|l| l.diff_id().clone()).collect(),
            steps: history::steps(history, layers.len()),
        };
        ImageLayers::assemble(plan, layers)
    }

    fn assemble(plan: Plan, layers: Vec<LayerIndex>) -> ImageLayers {
        let layers = super::symlinks::follow_lower_symlinks(layers);
        let refs: Vec<&LayerIndex> = layers.iter().collect();
        let merged = merge::merge(&refs);
        let mut step_of = vec![0; layers.len()];
        for (i, step) in plan.steps.iter().enumerate() {
            if let Some(layer) = step.layer {
                step_of[layer] = i;
            }
        }
        ImageLayers {
            steps: plan.steps,
            refs: plan.layers,
            layers,
            merged,
            step_of,
            owners: OnceLock::new(),
        }
    }

    /// The image's OS and packages, each attributed to the step that introduced it (see
    /// `packages.rs`).
    pub fn packages(&self) -> ImagePackages {
        super::packages::image_packages(&self.layers, &self.step_of)
    }

    /// `Ok` when `step` is one of the image's build steps (the STEP of `porthole layers`).
    pub fn check_step(&self, step: usize) -> Result<(), LayerError> {
        if step < self.steps.len() {
            Ok(())
        } else {
            Err(LayerError::NoSuchLayer {
                layer: step,
                steps: self.steps.len(),
            })
        }
    }

    /// The filesystem as step `step` left it (the steps after it not applied), for
    /// reading a file as an earlier step wrote it (`porthole cat --layer N`).
    pub fn as_of_step(&self, step: usize) -> Result<ImageLayers, LayerError> {
        self.check_step(step)?;
        let count = self.step_of.iter().take_while(|&&s| s <= step).count();
        Ok(self.lower(count))
    }

    /// The filesystem the first `count` layers make. The layers are already rewritten
    /// through their lower layers' symlinks, which depends only on the layers below
    /// them, so the prefix is stacked as it is.
    pub(crate) fn lower(&self, count: usize) -> ImageLayers {
        let count = count.min(self.layers.len());
        let layers = self.layers[..count].to_vec();
        let refs: Vec<&LayerIndex> = layers.iter().collect();
        let merged = merge::merge(&refs);
        ImageLayers {
            steps: self.steps.clone(),
            refs: self.refs[..count].to_vec(),
            layers,
            merged,
            step_of: self.step_of[..count].to_vec(),
            owners: OnceLock::new(),
        }
    }

    /// The layer that last wrote `path` (normalised) and its record there.
    pub(crate) fn record_of(&self, path: &str) -> Option<(usize, RawEntry)> {
        let node = self.find(path)?;
        let v = self.merged.nodes[node].version;
        Some((v.layer as usize, *self.raw(v)))
    }

    /// The layer indexes, bottom first.
    pub fn layers(&self) -> &[LayerIndex] {
        &self.layers
    }

    /// One row per build step, oldest first.
    pub fn steps(&self) -> Vec<LayerStep> {
        self.steps
            .iter()
            .enumerate()
            .map(|(index, step)| {
                let h = step.history.clone().unwrap_or_default();
                let mut row = LayerStep {
                    index,
                    digest: None,
                    diff_id: None,
                    media_type: None,
                    size: 0,
                    uncompressed_size: 0,
                    created_by: h.created_by,
                    created: h.created,
                    comment: h.comment,
                    empty_layer: step.layer.is_none(),
                    files: 0,
                    added: 0,
                    modified: 0,
                    removed: 0,
                    wasted_bytes: 0,
                };
                if let Some(layer) = step.layer {
                    let (r, index, stats) = (
                        &self.refs[layer],
                        &self.layers[layer],
                        &self.merged.stats[layer],
                    );
                    row.digest = Some(r.digest.clone());
                    row.diff_id = Some(index.diff_id().clone());
                    row.media_type = Some(r.media_type.clone());
                    row.size = index.compressed_size();
                    row.uncompressed_size = index.uncompressed_size();
                    row.files = index.file_count() as u64;
                    row.added = stats.added;
                    row.modified = stats.modified;
                    row.removed = stats.removed;
                    row.wasted_bytes = stats.wasted_bytes;
                }
                row
            })
            .collect()
    }

    /// How many paths the final filesystem has.
    pub fn file_count(&self) -> usize {
        self.merged.nodes.len()
    }

    fn raw(&self, v: Version) -> &RawEntry {
        &self.layers[v.layer as usize].entries[v.pos as usize]
    }

    fn path_of(&self, v: Version) -> &str {
        self.layers[v.layer as usize].path_of(self.raw(v))
    }

    fn file_entry(&self, v: Version, step: usize) -> FileEntry {
        let layer = &self.layers[v.layer as usize];
        let e = layer.view(self.raw(v));
        let link_target = e.link_target.map(|t| match e.kind {
            Some(FileType::Hardlink) => paths::absolute(t),
            _ => t.to_owned(),
        });
        FileEntry {
            path: paths::absolute(e.path),
            kind: e.kind.unwrap_or(FileType::File),
            size: e.size,
            mode: e.mode,
            uid: e.uid,
            gid: e.gid,
            package: match e.kind {
                Some(FileType::Dir) | None => None,
                _ => self.owner_of(&paths::absolute(e.path)).map(str::to_owned),
            },
            link_target,
            layer: step,
            mtime: e.mtime,
        }
    }

    /// The package that installed `path` (absolute), per the image's package databases.
    /// In a merged-/usr image (`/bin` a symlink to `usr/bin`, and so on) a package that
    /// lists `/bin/bash` owns `/usr/bin/bash` too, as `dpkg-query -S` on the real system
    /// sees through the link.
    pub fn owner_of(&self, path: &str) -> Option<&str> {
        let owners = self
            .owners
            .get_or_init(|| super::packages::file_owners(&self.layers));
        if let Some(owner) = owners.get(path) {
            return Some(owner);
        }
        let (top, rest) = path.strip_prefix("/usr/")?.split_once('/')?;
        let merged = matches!(top, "bin" | "sbin" | "lib" | "lib32" | "lib64" | "libx32")
            && self.find(top).is_some_and(|n| {
                self.raw(self.merged.nodes[n].version).kind == Some(FileType::Symlink)
            });
        if !merged {
            return None;
        }
        owners.get(&format!("/{top}/{rest}")).map(String::as_str)
    }

    fn node_entry(&self, node: usize) -> FileEntry {
        let v = self.merged.nodes[node].version;
        self.file_entry(v, self.step_of[v.layer as usize])
    }

    /// The node for `path` (normalised), if the final filesystem has it.
    fn find(&self, path: &str) -> Option<usize> {
        self.merged
            .nodes
            .binary_search_by(|n| tree_cmp(self.path_of(n.version), path))
            .ok()
    }

    /// The final filesystem's entry for `path`.
    pub fn get(&self, path: &str) -> Option<FileEntry> {
        let path = paths::normalize(path.as_bytes())?;
        self.find(&path).map(|n| self.node_entry(n))
    }

    /// The final filesystem under `path` (default `/`), in tree order, as `find` lists it:
    /// `path` itself (unless it is the root), then everything inside it, or down to
    /// `depth` levels below it (`Some(0)`: `path` only).
    pub fn tree(&self, path: &str, depth: Option<usize>) -> Result<Vec<FileEntry>, LayerError> {
        let (start, end, base) = match paths::normalize(path.as_bytes()) {
            None => (0, self.merged.nodes.len(), 0),
            Some(p) => {
                let at = self.find(&p).ok_or_else(|| LayerError::PathNotFound {
                    path: paths::absolute(&p),
                })?;
                (at, self.merged.nodes[at].end as usize, paths::depth(&p))
            }
        };
        let max = depth.map(|d| base + d);
        let mut out = Vec::new();
        let mut i = start;
        while i < end {
            let node = self.merged.nodes[i];
            out.push(self.node_entry(i));
            let d = paths::depth(self.path_of(node.version));
            i = if max.is_some_and(|m| d >= m) {
                (node.end as usize).max(i + 1)
            } else {
                i + 1
            };
        }
        Ok(out)
    }

    /// The entries directly inside the directory `path`.
    pub fn children(&self, path: &str) -> Result<Vec<FileEntry>, LayerError> {
        let mut all = self.tree(path, Some(1))?;
        if paths::normalize(path.as_bytes()).is_some() && !all.is_empty() {
            all.remove(0);
        }
        Ok(all)
    }

    /// What step `step` changed under `path` (itself included), in tree order, down to
    /// `depth` levels below `path`. A step that changed no files has no changes.
    pub fn layer_changes(
        &self,
        step: usize,
        path: &str,
        depth: Option<usize>,
    ) -> Result<Vec<FileChange>, LayerError> {
        let s = self.steps.get(step).ok_or(LayerError::NoSuchLayer {
            layer: step,
            steps: self.steps.len(),
        })?;
        let Some(layer) = s.layer else {
            return Ok(Vec::new());
        };
        let dir = paths::normalize(path.as_bytes()).unwrap_or_default();
        let max = depth.map(|d| paths::depth(&dir) + d);
        Ok(self.merged.changes[layer]
            .iter()
            .filter(|c| {
                let p = self.path_of(c.version);
                paths::is_within(p, &dir) && max.is_none_or(|m| paths::depth(p) <= m)
            })
            .map(|c| FileChange {
                entry: self.file_entry(c.version, step),
                change: c.kind,
            })
            .collect())
    }

    /// Every change any step made to `path`, oldest first (the entry's `layer` is the
    /// step that made it).
    pub fn path_history(&self, path: &str) -> Vec<FileChange> {
        let Some(path) = paths::normalize(path.as_bytes()) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (layer, changes) in self.merged.changes.iter().enumerate() {
            if let Ok(at) = changes.binary_search_by(|c| tree_cmp(self.path_of(c.version), &path)) {
                let c = changes[at];
                out.push(FileChange {
                    entry: self.file_entry(c.version, self.step_of[layer]),
                    change: c.kind,
                });
            }
        }
        out
    }

    /// The `n` biggest regular files of the final filesystem, biggest first.
    pub fn largest_files(&self, n: usize) -> Vec<FileEntry> {
        let mut files: Vec<(u64, usize)> = self
            .merged
            .nodes
            .iter()
            .enumerate()
            .filter_map(|(i, node)| {
                let raw = self.raw(node.version);
                (raw.kind == Some(FileType::File)).then_some((raw.size, i))
            })
            .collect();
        let by_size = |a: &(u64, usize), b: &(u64, usize)| b.0.cmp(&a.0).then(a.1.cmp(&b.1));
        if n < files.len() {
            files.select_nth_unstable_by(n, by_size);
            files.truncate(n);
        }
        files.sort_unstable_by(by_size);
        files.into_iter().map(|(_, i)| self.node_entry(i)).collect()
    }

    /// Paths of the final filesystem whose name contains `needle` (ASCII case ignored;
    /// a needle with a `/` is matched against the whole path), in tree order, at most
    /// `limit` of them.
    pub fn search(&self, needle: &str, limit: usize) -> Vec<FileEntry> {
        let needle = listing::Needle::new(needle);
        self.merged
            .nodes
            .iter()
            .enumerate()
            .filter(|(_, node)| needle.matches(self.path_of(node.version)))
            .take(limit)
            .map(|(i, _)| self.node_entry(i))
            .collect()
    }

    /// Wasted space and efficiency, for the image and per step.
    pub fn efficiency(&self) -> Efficiency {
        let dive = &self.merged.dive;
        let score = if dive.cumulative_sum == 0 {
            1.0
        } else {
            dive.min_sum as f64 / dive.cumulative_sum as f64
        };
        let mut inefficient_files: Vec<WastedFile> = dive
            .inefficient
            .iter()
            .map(|i| WastedFile {
                path: paths::absolute(self.path_of(i.version)),
                count: i.count,
                wasted_bytes: i.cumulative,
            })
            .collect();
        inefficient_files.sort_by(|a, b| {
            b.wasted_bytes
                .cmp(&a.wasted_bytes)
                .then_with(|| a.path.cmp(&b.path))
        });
        let wasted_bytes = inefficient_files
            .iter()
            .map(|f| f.wasted_bytes)
            .fold(0, u64::saturating_add);
        let user_size: u64 = self
            .layers
            .iter()
            .skip(1)
            .map(LayerIndex::uncompressed_size)
            .fold(0, u64::saturating_add);
        let user_wasted_percent = if user_size == 0 {
            0.0
        } else {
            wasted_bytes as f64 * 100.0 / user_size as f64
        };
        let layers = self
            .merged
            .stats
            .iter()
            .enumerate()
            .map(|(i, s)| LayerEfficiency {
                index: self.step_of[i],
                digest: self.layers[i].digest().clone(),
                wasted_bytes: s.wasted_bytes,
                efficiency: if s.file_bytes == 0 {
                    1.0
                } else {
                    1.0 - s.wasted_bytes as f64 / s.file_bytes as f64
                },
            })
            .collect();
        Efficiency {
            score,
            wasted_bytes,
            user_wasted_percent,
            inefficient_files,
            layers,
        }
    }
}

/// Each layer's index, from the cache or built from its blob and cached; several layers
/// at a time (one per core), as decoding a cached index is also worth spreading.
fn load_indexes(store: &Store, layers: &[LayerRef]) -> Result<Vec<LayerIndex>, LayerError> {
    let slots: Vec<Mutex<Option<Result<LayerIndex, LayerError>>>> =
        layers.iter().map(|_| Mutex::new(None)).collect();
    let next = AtomicUsize::new(0);
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(layers.len());
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(l) = layers.get(i) else { break };
                    let index = LayerIndex::cached_or_build(store, &l.digest, &l.media_type);
                    *lock(&slots[i]) = Some(index);
                }
            });
        }
    });
    slots
        .into_iter()
        .zip(layers)
        .map(|(slot, l)| {
            slot.into_inner()
                .unwrap_or_else(|p| p.into_inner())
                .unwrap_or_else(|| {
                    Err(LayerError::Internal {
                        layer: l.digest.clone(),
                        reason: "its index was never built".into(),
                    })
                })
        })
        .collect()
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}
