//! The Compare tab's IPC types: two images side by side (what `porthole diff` prints).

use serde::Serialize;
use ts_rs::TS;

use porthole_engine::compare::{
    ConfigChange, Direction, FileModification, ImageDiff, Side, VulnDiff,
};
use porthole_engine::layers::FileEntry;

use super::{FindingRow, PackageKind, SeverityTally, VulnSource};

/// The most file changes sent: the tab says how many more there are (`porthole diff` lists
/// them all).
pub const MAX_FILE_CHANGES: usize = 5000;

/// One of the two images.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "../ui/src/tauri/bindings/")]
pub struct CompareSide {
    pub reference: Option<String>,
    pub digest: String,
    pub created: Option<String>,
    #[ts(type = "number")]
    pub size: u64,
    /// PRETTY_NAME of its os-release, else its ID.
    pub os: Option<String>,
    pub layers: u32,
    pub packages: u32,
    pub files: u32,
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

impl From<Side> for CompareSide {
    fn from(s: Side) -> CompareSide {
        CompareSide {
            reference: s.reference,
            digest: s.digest.to_string(),
            created: s.created,
            size: s.size,
            os: s.os,
            layers: count(s.layers),
            packages: count(s.packages),
            files: count(s.files),
        }
    }
}

/// How a package differs between the two images.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "../ui/src/tauri/bindings/")]
pub enum PackageChangeKind {
    Upgraded,
    Downgraded,
    /// A different version the ecosystem gives no order to.
    Changed,
    Added,
    Removed,
}

/// A package that differs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "../ui/src/tauri/bindings/")]
pub struct PackageChangeRow {
    pub name: String,
    pub kind: PackageKind,
    pub arch: Option<String>,
    /// The base image's version (`None` when added).
    pub from: Option<String>,
    /// The target image's version (`None` when removed).
    pub to: Option<String>,
    pub change: PackageChangeKind,
    /// Where it was found (in the target image, or in the base for a removal).
    pub location: String,
}

/// How a path differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "../ui/src/tauri/bindings/")]
pub enum FileChangeKind {
    Added,
    Removed,
    Modified,
}

/// A path that differs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "../ui/src/tauri/bindings/")]
pub struct FileChangeRow {
    pub path: String,
    pub change: FileChangeKind,
    /// `file`, `dir`, `symlink`, … (the target's, or the base's for a removal).
    pub file_type: String,
    #[ts(type = "number | null")]
    pub size_before: Option<u64>,
    #[ts(type = "number | null")]
    pub size_after: Option<u64>,
    /// For a modification, what differs, readable: `size`, `mode -rw-r--r-- → -rwxr-xr-x`,
    /// `owner 0/0 → 1000/1000`, `target a → b`, `type`, `time`.
    pub what: Vec<String>,
}

/// A run setting that differs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "../ui/src/tauri/bindings/")]
pub struct ConfigChangeRow {
    /// `entrypoint`, `cmd`, `env`, `working_dir`, `user`, `exposed_ports`, `volumes`,
    /// `labels`, `stop_signal`.
    pub field: String,
    /// The variable, label, port or volume, for the fields that hold several.
    pub key: Option<String>,
    pub before: Option<String>,
    pub after: Option<String>,
}

impl From<ConfigChange> for ConfigChangeRow {
    fn from(c: ConfigChange) -> ConfigChangeRow {
        ConfigChangeRow {
            field: c.field.to_owned(),
            key: c.key,
            before: c.before,
            after: c.after,
        }
    }
}

/// The two images compared: the base ("from") and the target ("to").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "../ui/src/tauri/bindings/")]
pub struct CompareAnswer {
    pub base: CompareSide,
    pub target: CompareSide,
    /// Layers, from the bottom, that both have.
    pub shared_layers: u32,
    #[ts(type = "number")]
    pub size_change: i64,
    /// Upgrades, downgrades, other changes, then additions and removals.
    pub packages: Vec<PackageChangeRow>,
    pub unchanged_packages: u32,
    /// In path order, at most [`MAX_FILE_CHANGES`].
    pub files: Vec<FileChangeRow>,
    pub files_added: u32,
    pub files_removed: u32,
    pub files_modified: u32,
    pub files_unchanged: u32,
    #[ts(type = "number")]
    pub added_bytes: u64,
    #[ts(type = "number")]
    pub removed_bytes: u64,
    #[ts(type = "number")]
    pub modified_bytes_change: i64,
    /// How they run: entrypoint, command, environment, user, ports, volumes, labels.
    pub config: Vec<ConfigChangeRow>,
}

fn entry_row(e: FileEntry, change: FileChangeKind) -> FileChangeRow {
    let size = (e.kind == porthole_engine::layers::FileType::File).then_some(e.size);
    FileChangeRow {
        path: e.path,
        change,
        file_type: e.kind.as_str().to_owned(),
        size_before: if change == FileChangeKind::Removed {
            size
        } else {
            None
        },
        size_after: if change == FileChangeKind::Added {
            size
        } else {
            None
        },
        what: Vec::new(),
    }
}

fn modified_row(m: FileModification) -> FileChangeRow {
    let (b, a) = (&m.before, &m.after);
    let what = m.describe(|_, _| "size".to_owned());
    let size =
        |e: &FileEntry| (e.kind == porthole_engine::layers::FileType::File).then_some(e.size);
    FileChangeRow {
        size_before: size(b),
        size_after: size(a),
        file_type: a.kind.as_str().to_owned(),
        path: m.path,
        change: FileChangeKind::Modified,
        what,
    }
}

impl From<ImageDiff> for CompareAnswer {
    fn from(d: ImageDiff) -> CompareAnswer {
        let p = d.packages;
        let mut packages: Vec<PackageChangeRow> = p
            .changed
            .into_iter()
            .map(|c| PackageChangeRow {
                name: c.name,
                kind: c.kind.into(),
                arch: c.arch,
                from: Some(c.from),
                to: Some(c.to),
                change: match c.direction {
                    Direction::Upgraded => PackageChangeKind::Upgraded,
                    Direction::Downgraded => PackageChangeKind::Downgraded,
                    Direction::Changed => PackageChangeKind::Changed,
                },
                location: c.location,
            })
            .collect();
        for (change, list) in [
            (PackageChangeKind::Added, p.added),
            (PackageChangeKind::Removed, p.removed),
        ] {
            packages.extend(list.into_iter().map(|pkg| {
                let version = Some(pkg.version);
                let (from, to) = if change == PackageChangeKind::Added {
                    (None, version)
                } else {
                    (version, None)
                };
                PackageChangeRow {
                    name: pkg.name,
                    kind: pkg.kind.into(),
                    arch: pkg.arch,
                    from,
                    to,
                    change,
                    location: pkg.location,
                }
            }));
        }
        let f = d.files;
        let (added, removed, modified) = (f.added.len(), f.removed.len(), f.modified.len());
        let mut files: Vec<FileChangeRow> = f
            .added
            .into_iter()
            .map(|e| entry_row(e, FileChangeKind::Added))
            .chain(
                f.removed
                    .into_iter()
                    .map(|e| entry_row(e, FileChangeKind::Removed)),
            )
            .chain(f.modified.into_iter().map(modified_row))
            .collect();
        files.sort_by(|a, b| a.path.cmp(&b.path));
        files.truncate(MAX_FILE_CHANGES);
        CompareAnswer {
            base: d.base.into(),
            target: d.target.into(),
            shared_layers: count(d.shared_layers),
            size_change: d.size_change,
            packages,
            unchanged_packages: count(p.unchanged),
            files,
            files_added: count(added),
            files_removed: count(removed),
            files_modified: count(modified),
            files_unchanged: count(f.unchanged),
            added_bytes: f.added_bytes,
            removed_bytes: f.removed_bytes,
            modified_bytes_change: f.modified_bytes_change,
            config: d.config.into_iter().map(ConfigChangeRow::from).collect(),
        }
    }
}

/// Both images scanned (as the Vulnerabilities tab scans one) and their findings compared.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "../ui/src/tauri/bindings/")]
pub struct VulnCompareAnswer {
    pub source: VulnSource,
    pub base_counts: SeverityTally,
    pub target_counts: SeverityTally,
    /// The base image's findings that the target no longer has, most severe first.
    pub fixed: Vec<FindingRow>,
    /// The target's findings that the base did not have, most severe first.
    pub introduced: Vec<FindingRow>,
    /// The same advisory on the same package in both.
    pub unchanged: u32,
    /// The exports the offline database lacks for either image (`Debian`, `PyPI`).
    pub missing_exports: Vec<String>,
    /// Both scans' warnings, each once.
    pub warnings: Vec<String>,
}

impl VulnCompareAnswer {
    /// `diff` of the scans `base` and `target` (whose source names where the advisories
    /// came from).
    pub fn new(
        diff: VulnDiff,
        base: &porthole_engine::vulns::ScanReport,
        target: &porthole_engine::vulns::ScanReport,
    ) -> VulnCompareAnswer {
        let mut missing = base.missing_exports();
        missing.extend(target.missing_exports());
        missing.sort();
        missing.dedup();
        let mut warnings = base.warnings.clone();
        for w in &target.warnings {
            if !warnings.contains(w) {
                warnings.push(w.clone());
            }
        }
        VulnCompareAnswer {
            source: VulnSource::from(&target.source),
            base_counts: diff.base_counts.into(),
            target_counts: diff.target_counts.into(),
            fixed: diff.fixed.into_iter().map(FindingRow::from).collect(),
            introduced: diff.introduced.into_iter().map(FindingRow::from).collect(),
            unchanged: count(diff.unchanged),
            missing_exports: missing,
            warnings,
        }
    }
}
