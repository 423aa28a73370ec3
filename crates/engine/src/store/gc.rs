//! Garbage collection: deleting blobs that `index.json` no longer reaches, and partial
//! downloads nobody has touched for a day.

use std::collections::{HashSet, VecDeque};
use std::fs::{self, OpenOptions};
use std::io;
use std::path::Path;
use std::time::{Duration, SystemTime};

use serde::Serialize;

use super::layout::sync_dir;
use super::lock::{self, Mode, is_same_file};
use super::walk::{self, Kind, MAX_MANIFEST_SIZE};
use super::{Store, StoreError, io_error};
use crate::digest::Digest;

/// What [`Store::gc`] did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub struct GcReport {
    pub blobs_removed: usize,
    /// Bytes of the removed blobs and partials.
    pub bytes_freed: u64,
    pub partials_removed: usize,
    /// Cached layer indexes (`porthole-cache/layers/`) of layers no image uses any more.
    pub indexes_removed: usize,
    /// Kept vulnerability scan summaries (`porthole-cache/vulns/`) of images no longer in
    /// the store.
    pub scan_summaries_removed: usize,
}

/// What [`Store::gc`] would remove now ([`Store::gc_estimate`]): blobs no image reaches.
/// (Stale partial downloads and cached indexes are not counted.)
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub struct GcEstimate {
    pub blobs: usize,
    pub bytes: u64,
}

/// How [`Store::gc_with`] runs.
#[derive(Clone, Debug)]
pub struct GcOptions {
    /// "Now", for the age of partial downloads.
    pub now: SystemTime,
    /// Partial downloads (and our temporary files) in `ingest/` older than this, and not
    /// locked by a writer, are deleted.
    pub partial_max_age: Duration,
    /// How long to wait for running pulls to finish before giving up with
    /// [`StoreError::Locked`]. Zero: do not wait.
    pub lock_timeout: Duration,
}

impl GcOptions {
    /// The defaults at time `now`: partials older than 24 hours go; wait up to 30 seconds
    /// for running pulls.
    pub fn at(now: SystemTime) -> GcOptions {
        GcOptions {
            now,
            partial_max_age: Duration::from_secs(24 * 60 * 60),
            lock_timeout: Duration::from_secs(30),
        }
    }
}

impl Store {
    /// [`Store::gc_with`] with the defaults of [`GcOptions::at`] now.
    pub fn gc(&self) -> Result<GcReport, StoreError> {
        self.gc_with(&GcOptions::at(SystemTime::now()))
    }

    /// Deletes the blobs that `index.json` does not reach (index -> manifests and nested
    /// indexes -> configs and layers) and stale partial downloads.
    ///
    /// Takes `.porthole-gc.lock` exclusively, so it waits for running pulls (which hold it
    /// shared, see [`Store::lock_shared`]) up to `lock_timeout`, then fails with
    /// [`StoreError::Locked`]; and holds the index lock throughout, so no image is added
    /// meanwhile. Refuses to delete anything when a reachable manifest cannot be read (its
    /// children would be unknown): the error says which.
    pub fn gc_with(&self, options: &GcOptions) -> Result<GcReport, StoreError> {
        let gc_lock = self.gc_lock_path();
        let _gc = lock::lock_within(&gc_lock, Mode::Exclusive, options.lock_timeout)?.ok_or(
            StoreError::Locked {
                path: gc_lock,
                waited: options.lock_timeout,
            },
        )?;
        let _index = lock::index_lock(self.root())?;
        let index = self.read_index()?;
        let reachable = self.reachable(walk::roots(&index))?;

        let mut report = GcReport::default();
        let blobs = self.blobs_dir();
        for (digest, len) in list_blobs(&blobs)? {
            if reachable.contains(&digest) {
                continue;
            }
            let path = self.blob_path(&digest);
            match fs::remove_file(&path) {
                Ok(()) => {
                    report.blobs_removed += 1;
                    report.bytes_freed += len;
                }
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(io_error("remove", &path)(e)),
            }
        }
        if report.blobs_removed > 0 {
            sync_dir(&blobs)?;
        }
        self.remove_stale_partials(options, &mut report)?;
        self.remove_unused_layer_indexes(&reachable, &mut report);
        self.remove_unused_scan_summaries(&reachable, &mut report);
        Ok(report)
    }

    /// What [`Store::gc`] would free, without deleting anything or waiting for pulls: the
    /// blobs `index.json` does not reach. A pull in progress has blobs that no image names
    /// yet, so the figure may include them until it finishes.
    pub fn gc_estimate(&self) -> Result<GcEstimate, StoreError> {
        let index = self.read_index()?;
        let reachable = self.reachable(walk::roots(&index))?;
        let mut estimate = GcEstimate::default();
        for (digest, len) in list_blobs(&self.blobs_dir())? {
            if !reachable.contains(&digest) {
                estimate.blobs += 1;
                estimate.bytes += len;
            }
        }
        Ok(estimate)
    }

    /// Cached layer indexes are derived data: one whose layer is gone is deleted, and so is
    /// anything else in the cache folder that is not an index of a reachable layer (temp
    /// files of a crashed writer). Failures are only logged: a missing index is rebuilt.
    fn remove_unused_layer_indexes(&self, reachable: &HashSet<Digest>, report: &mut GcReport) {
        let dir = crate::layers::cache_dir(self);
        let (removed, bytes) = remove_unreachable(&dir, reachable, layer_index_digest);
        report.indexes_removed += removed;
        report.bytes_freed += bytes;
    }

    /// Scan summaries are derived data too: one whose image manifest is gone is deleted, as
    /// is anything else in their folder. Failures are only logged.
    fn remove_unused_scan_summaries(&self, reachable: &HashSet<Digest>, report: &mut GcReport) {
        let dir = crate::vulns::summary::summary_dir(self.root());
        let (removed, bytes) =
            remove_unreachable(&dir, reachable, crate::vulns::summary::summary_file_digest);
        report.scan_summaries_removed += removed;
        report.bytes_freed += bytes;
    }

    fn reachable(&self, roots: Vec<walk::Node>) -> Result<HashSet<Digest>, StoreError> {
        let mut seen = HashSet::new();
        let mut queue = VecDeque::from(roots);
        while let Some(node) = queue.pop_front() {
            if !seen.insert(node.digest.clone()) || node.kind == Kind::Leaf {
                continue;
            }
            let path = self.blob_path(&node.digest);
            if !path.exists() || (node.kind == Kind::MaybeManifest && node.size > MAX_MANIFEST_SIZE)
            {
                continue; // nothing below a missing blob to protect
            }
            let refuse = |reason: String| StoreError::Corrupt {
                path: path.clone(),
                reason: format!(
                    "{reason}; gc deleted nothing, since it cannot tell which blobs this \
                     manifest needs (run fsck, then remove the image that uses it)"
                ),
            };
            let bytes = match self.read_blob(&node.digest, MAX_MANIFEST_SIZE) {
                Ok(bytes) => bytes,
                Err(StoreError::MissingBlob { .. }) => continue,
                Err(e) => return Err(refuse(e.to_string())),
            };
            match walk::children(&bytes) {
                Ok(children) => queue.extend(children),
                Err(_) if node.kind == Kind::MaybeManifest => {}
                Err(reason) => return Err(refuse(format!("it is not a manifest: {reason}"))),
            }
        }
        Ok(seen)
    }

    /// Partials and temporary files in `ingest/` older than the limit whose lock nobody
    /// holds. (Under the gc lock no pull is running, so this is only for crashed ones.)
    fn remove_stale_partials(
        &self,
        options: &GcOptions,
        report: &mut GcReport,
    ) -> Result<(), StoreError> {
        let dir = self.ingest_dir();
        let entries = match fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(io_error("list", &dir)(e)),
        };
        for entry in entries {
            let path = entry.map_err(io_error("list", &dir))?.path();
            let Ok(meta) = fs::symlink_metadata(&path) else {
                continue;
            };
            let age = meta
                .modified()
                .ok()
                .and_then(|m| options.now.duration_since(m).ok())
                .unwrap_or_default();
            if !meta.is_file() || age < options.partial_max_age {
                continue;
            }
            let Ok(file) = OpenOptions::new().read(true).write(true).open(&path) else {
                continue;
            };
            if !lock::try_lock(&file, Mode::Exclusive, &path)? || !is_same_file(&file, &path)? {
                continue;
            }
            match fs::remove_file(&path) {
                Ok(()) => {
                    report.partials_removed += 1;
                    report.bytes_freed += meta.len();
                }
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(io_error("remove", &path)(e)),
            }
        }
        Ok(())
    }
}

/// The layer whose cached index is the file `name` (`sha256-<hex>.idx`, as
/// [`crate::layers::cache_path`] names it).
fn layer_index_digest(name: &str) -> Option<Digest> {
    let hex = name.strip_prefix("sha256-")?.strip_suffix(".idx")?;
    format!("sha256:{hex}").parse().ok()
}

/// Deletes each file of the derived-data folder `dir` that `digest_of` does not name for a
/// digest of `reachable` (it answers `None` for a name that is not one of the folder's own).
/// Answers how many files went and their bytes. Failures are only logged.
fn remove_unreachable(
    dir: &Path,
    reachable: &HashSet<Digest>,
    digest_of: fn(&str) -> Option<Digest>,
) -> (usize, u64) {
    let Ok(entries) = fs::read_dir(dir) else {
        return (0, 0);
    };
    let (mut removed, mut bytes) = (0, 0);
    for entry in entries.flatten() {
        let keep = entry
            .file_name()
            .to_str()
            .and_then(digest_of)
            .is_some_and(|d| reachable.contains(&d));
        if keep {
            continue;
        }
        let len = entry.metadata().map(|m| m.len()).unwrap_or(0);
        match fs::remove_file(entry.path()) {
            Ok(()) => {
                removed += 1;
                bytes += len;
            }
            Err(e) => tracing::warn!("cannot remove {}: {e}", entry.path().display()),
        }
    }
    (removed, bytes)
}

/// The blobs in `blobs/sha256` with their sizes. Files whose names are not digests are not
/// ours to judge and are skipped.
pub(super) fn list_blobs(dir: &std::path::Path) -> Result<Vec<(Digest, u64)>, StoreError> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io_error("list", dir)(e)),
    };
    let mut blobs = Vec::new();
    for entry in entries {
        let entry = entry.map_err(io_error("list", dir))?;
        let Some(digest) = entry
            .file_name()
            .to_str()
            .and_then(|hex| format!("sha256:{hex}").parse::<Digest>().ok())
        else {
            continue;
        };
        let meta = fs::symlink_metadata(entry.path()).map_err(io_error("read", &entry.path()))?;
        if meta.is_file() {
            blobs.push((digest, meta.len()));
        }
    }
    blobs.sort();
    Ok(blobs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{ManifestDescriptor, NewImage};
    use crate::vulns::summary::{ScanSummary, load_summary, save_summary, summary_dir};
    use crate::vulns::time::Timestamp;
    use crate::vulns::{SeverityCounts, SourceKind};

    /// A layerless image named `name`: its manifest digest.
    fn add_image(store: &Store, name: &str, seed: &str) -> Digest {
        let config = format!(
            r#"{{"created":"2024-05-01T12:00:00Z","architecture":"amd64","os":"linux","rootfs":{{"type":"layers","diff_ids":[]}},"seed":"{seed}"}}"#
        );
        let config_digest = Digest::of(config.as_bytes());
        store.write_blob(&config_digest, config.as_bytes()).unwrap();
        let manifest = format!(
            r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{config_digest}","size":{}}},"layers":[]}}"#,
            config.len()
        );
        let digest = Digest::of(manifest.as_bytes());
        store.write_blob(&digest, manifest.as_bytes()).unwrap();
        store
            .add_image(NewImage {
                name: name.to_owned(),
                tag: None,
                manifest: ManifestDescriptor {
                    media_type: "application/vnd.oci.image.manifest.v1+json".into(),
                    digest: digest.clone(),
                    size: manifest.len() as u64,
                },
                platform: None,
                index_digest: None,
            })
            .unwrap();
        digest
    }

    #[test]
    fn gc_removes_the_scan_summaries_of_removed_images_only() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let kept = add_image(&store, "docker.io/library/kept:1", "kept");
        let gone = add_image(&store, "docker.io/library/gone:1", "gone");
        let summary = ScanSummary {
            counts: SeverityCounts::default(),
            source: SourceKind::Offline,
            imported_at: None,
            scanned_at: Timestamp(0),
            packages_scanned: 0,
            packages_covered: 0,
        };
        save_summary(store.root(), &kept, &summary).unwrap();
        save_summary(store.root(), &gone, &summary).unwrap();
        fs::write(summary_dir(store.root()).join(".porthole-x.tmp"), "{").unwrap();
        store.remove("docker.io/library/gone:1").unwrap();

        let report = store.gc().unwrap();
        assert_eq!(report.scan_summaries_removed, 2, "{report:?}");
        assert_eq!(load_summary(store.root(), &kept), Some(summary));
        assert_eq!(load_summary(store.root(), &gone), None);
        assert_eq!(fs::read_dir(summary_dir(store.root())).unwrap().count(), 1);
    }
}
