//! [`ScanSummary`]: what the last scan of an image found, kept so that the Images list and
//! `porthole images` can show severity counts without scanning again.
//!
//! One small JSON file per image manifest: `<store>/porthole-cache/vulns/sha256-<hex>.json`,
//! replaced whole (temporary file, rename) after every scan of that image, so that no reader
//! ever sees half of one. The files are derived data: one that is missing, of another
//! format version, damaged or about another image counts as "not scanned", never as an
//! error; `gc` deletes those of images no longer in the store; deleting the folder is always
//! safe.

use std::fs;
use std::io::{self, Read as _};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use serde::{Deserialize, Serialize};

use super::VulnError;
use super::report::{ScanReport, SeverityCounts, SourceKind};
use super::time::Timestamp;
use crate::Digest;
use crate::files::write_whole;

/// Bump when a field changes meaning: older files then read as "not scanned".
pub const SUMMARY_FORMAT_VERSION: u32 = 1;

/// A summary is a few hundred bytes; anything much larger is not one of ours.
const MAX_SUMMARY_SIZE: u64 = 64 * 1024;

/// What a scan of one image found, in brief.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScanSummary {
    /// Findings by severity (every severity: before any `--severity` filter).
    pub counts: SeverityCounts,
    /// Where the advisories came from.
    pub source: SourceKind,
    /// When the offline database the scan used was last updated.
    pub imported_at: Option<Timestamp>,
    /// When the scan ran.
    pub scanned_at: Timestamp,
    /// Packages given to the scan.
    pub packages_scanned: usize,
    /// Of those, the ones matched against advisories (the rest: an ecosystem the offline
    /// database has not imported, no version, …).
    pub packages_covered: usize,
}

impl ScanSummary {
    /// The summary of `report`, a scan that finished at `scanned_at`.
    pub fn of(report: &ScanReport, scanned_at: SystemTime) -> ScanSummary {
        ScanSummary {
            counts: report.counts,
            source: report.source.kind,
            imported_at: report.source.imported_at,
            scanned_at: Timestamp::from_system(scanned_at),
            packages_scanned: report.packages_scanned,
            packages_covered: report.packages_covered,
        }
    }
}

/// The file's form: the summary with its format version and the image it is about.
#[derive(Serialize, Deserialize)]
struct Stored {
    version: u32,
    manifest: Digest,
    #[serde(flatten)]
    summary: ScanSummary,
}

/// `<store>/porthole-cache/vulns`.
pub fn summary_dir(store_root: &Path) -> PathBuf {
    store_root.join("porthole-cache").join("vulns")
}

/// Where the summary of the image whose manifest digest is `manifest` lives.
pub fn summary_path(store_root: &Path, manifest: &Digest) -> PathBuf {
    summary_dir(store_root).join(format!("sha256-{}.json", manifest.hex()))
}

/// The manifest digest a file in [`summary_dir`] is about, from its name; `None` for any
/// other file (a temporary one of a crashed writer).
pub fn summary_file_digest(name: &str) -> Option<Digest> {
    let hex = name.strip_prefix("sha256-")?.strip_suffix(".json")?;
    format!("sha256:{hex}").parse().ok()
}

/// Records `summary` as the last scan of image `manifest`, replacing the previous one whole.
pub fn save_summary(
    store_root: &Path,
    manifest: &Digest,
    summary: &ScanSummary,
) -> Result<(), VulnError> {
    let dir = summary_dir(store_root);
    fs::create_dir_all(&dir).map_err(VulnError::io("create directory", &dir))?;
    let path = summary_path(store_root, manifest);
    let stored = Stored {
        version: SUMMARY_FORMAT_VERSION,
        manifest: manifest.clone(),
        summary: summary.clone(),
    };
    let bytes = serde_json::to_vec_pretty(&stored)
        .map_err(|e| VulnError::io("encode", &path)(io::Error::other(e)))?;
    write_whole(&path, &bytes).map_err(VulnError::io("write", &path))
}

/// The last scan of image `manifest`, when one was recorded and its file is usable. A
/// damaged file, one of another format version or about another image is `None` (and is
/// logged): the image then shows as not scanned until it is scanned again.
pub fn load_summary(store_root: &Path, manifest: &Digest) -> Option<ScanSummary> {
    let path = summary_path(store_root, manifest);
    match read(&path, manifest) {
        Ok(summary) => summary,
        Err(reason) => {
            tracing::debug!("ignoring {}: {reason}", path.display());
            None
        }
    }
}

fn read(path: &Path, manifest: &Digest) -> Result<Option<ScanSummary>, String> {
    let file = match fs::File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e.to_string()),
    };
    let mut bytes = Vec::new();
    file.take(MAX_SUMMARY_SIZE + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| e.to_string())?;
    if bytes.len() as u64 > MAX_SUMMARY_SIZE {
        return Err(format!("larger than {MAX_SUMMARY_SIZE} bytes"));
    }
    #[derive(Deserialize)]
    struct Version {
        version: u32,
    }
    let Version { version } = serde_json::from_slice(&bytes).map_err(|e| e.to_string())?;
    if version != SUMMARY_FORMAT_VERSION {
        return Err(format!(
            "format version {version}, this porthole writes {SUMMARY_FORMAT_VERSION}"
        ));
    }
    let stored: Stored = serde_json::from_slice(&bytes).map_err(|e| e.to_string())?;
    if &stored.manifest != manifest {
        return Err(format!("it is about another image, {}", stored.manifest));
    }
    Ok(Some(stored.summary))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn summary() -> ScanSummary {
        let mut counts = SeverityCounts::default();
        for s in [
            super::super::Severity::Critical,
            super::super::Severity::High,
            super::super::Severity::High,
            super::super::Severity::Low,
        ] {
            counts.add(s);
        }
        ScanSummary {
            counts,
            source: SourceKind::Offline,
            imported_at: Some(Timestamp(1_714_564_800)),
            scanned_at: Timestamp::from_system(
                SystemTime::UNIX_EPOCH + Duration::from_secs(1_714_600_000),
            ),
            packages_scanned: 120,
            packages_covered: 100,
        }
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn a_summary_round_trips_and_replaces_the_last_one_whole() {
        let root = tempfile::tempdir().unwrap();
        let image = Digest::of(b"manifest");
        assert_eq!(load_summary(root.path(), &image), None, "not scanned yet");
        save_summary(root.path(), &image, &summary()).unwrap();
        assert_eq!(load_summary(root.path(), &image), Some(summary()));

        let mut later = summary();
        later.counts = SeverityCounts::default();
        later.source = SourceKind::Online;
        later.imported_at = None;
        save_summary(root.path(), &image, &later).unwrap();
        assert_eq!(load_summary(root.path(), &image), Some(later));
        // Written by rename: only the summary itself is left, no temporary file.
        assert_eq!(
            names(&summary_dir(root.path())),
            [format!("sha256-{}.json", image.hex())]
        );
        assert_eq!(
            summary_file_digest(&format!("sha256-{}.json", image.hex())),
            Some(image)
        );
        assert_eq!(summary_file_digest(".porthole-abc.tmp"), None);
    }

    #[test]
    fn the_file_names_its_fields_plainly() {
        let root = tempfile::tempdir().unwrap();
        let image = Digest::of(b"manifest");
        save_summary(root.path(), &image, &summary()).unwrap();
        let json: serde_json::Value =
            serde_json::from_slice(&fs::read(summary_path(root.path(), &image)).unwrap()).unwrap();
        assert_eq!(json["version"], 1);
        assert_eq!(json["manifest"], image.to_string());
        assert_eq!(json["counts"]["critical"], 1);
        assert_eq!(json["counts"]["high"], 2);
        assert_eq!(json["source"], "offline");
        assert_eq!(json["imported_at"], "2024-05-01T12:00:00Z");
        assert_eq!(json["packages_scanned"], 120);
    }

    #[test]
    fn a_damaged_foreign_or_future_file_reads_as_not_scanned() {
        let root = tempfile::tempdir().unwrap();
        let image = Digest::of(b"manifest");
        let other = Digest::of(b"other");
        save_summary(root.path(), &other, &summary()).unwrap();
        let path = summary_path(root.path(), &image);
        let good = fs::read_to_string(summary_path(root.path(), &other)).unwrap();
        let cases = [
            String::new(),
            "{".to_owned(),
            "null".to_owned(),
            "[1,2,3]".to_owned(),
            "\u{0}\u{1}binary".to_owned(),
            // About another image (a file copied or renamed by hand).
            good.clone(),
            good.replace(&other.to_string(), &image.to_string())
                .replace("\"version\": 1", "\"version\": 99"),
            good.replace(&other.to_string(), &image.to_string())
                .replace("\"critical\": 1", "\"critical\": -1"),
            good.replace(&other.to_string(), &image.to_string())
                .replace("2024-05-01T12:00:00Z", "yesterday"),
            " ".repeat(MAX_SUMMARY_SIZE as usize + 10),
        ];
        for case in cases {
            fs::write(&path, &case).unwrap();
            assert_eq!(load_summary(root.path(), &image), None, "{case:.80}");
        }
        // The same file, about the right image, is read.
        fs::write(&path, good.replace(&other.to_string(), &image.to_string())).unwrap();
        assert_eq!(load_summary(root.path(), &image), Some(summary()));
    }

    #[test]
    fn a_failed_write_leaves_the_last_summary() {
        let root = tempfile::tempdir().unwrap();
        let image = Digest::of(b"manifest");
        save_summary(root.path(), &image, &summary()).unwrap();
        // The folder replaced by a file: the write fails with a typed error naming it.
        let blocked = tempfile::tempdir().unwrap();
        fs::create_dir_all(blocked.path().join("porthole-cache")).unwrap();
        fs::write(summary_dir(blocked.path()), "not a folder").unwrap();
        let error = save_summary(blocked.path(), &image, &summary()).unwrap_err();
        assert!(matches!(error, VulnError::Io { .. }), "{error}");
        assert_eq!(load_summary(root.path(), &image), Some(summary()));
    }
}
