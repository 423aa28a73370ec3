//! Two images side by side: which packages were upgraded, added or removed, which files
//! and run settings changed, and how many layers the two share. This answers "what
//! changed between `nginx:1.26` and `nginx:1.27`?", as `docker scout compare` and
//! Google's `container-diff diff` do, from the store alone.
//!
//! Packages are matched by type, name and architecture; a version change is called an
//! upgrade or a downgrade by the ecosystem's own ordering (dpkg, rpm, apk, PEP 440, …, the
//! schemes the vulnerability matcher uses), and just "changed" when the ecosystem cannot
//! order the two.
//!
//! Files are compared path by path over the two final filesystems. A path that both
//! images take from the same layer (same diff_id) is the same file. Otherwise the layer
//! indexes hold no file contents, so a file counts as modified when its type, size, mode,
//! owner, link target or modification time differs: the quick check rsync makes. A rebuilt
//! file with the same size and time is therefore taken as unchanged; directories are
//! compared by type, mode and owner only (their times move with every file written in
//! them).

mod content;

use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use crate::Digest;
use crate::layers::{FileEntry, FileType, ImageLayers, LayerError};
use crate::packages::{ImagePackages, Package, PackageType};
use crate::run_config::RunConfig;
use crate::store::{ImageSummary, Store};
use crate::vulns::version::{self, VersionScheme};
use crate::vulns::{Finding, ImageScan, ScanReport, SeverityCounts, VulnError, scan_image};

pub use content::{ContentChange, ContentDiff, FileVersion, TEXT_DIFF_LIMIT, diff_content};

/// One of the two images.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Side {
    /// `docker.io/library/nginx:1.27`; `None` for an untagged image.
    pub reference: Option<String>,
    pub digest: Digest,
    pub id: Digest,
    pub created: Option<String>,
    /// Config plus compressed layers, as `porthole images` counts it.
    pub size: u64,
    /// The os-release's PRETTY_NAME (else its ID), if the image has one.
    pub os: Option<String>,
    /// Layers with files (empty steps not counted).
    pub layers: usize,
    pub packages: usize,
    /// Paths in the final filesystem.
    pub files: usize,
}

/// How a package's version moved.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    Upgraded,
    Downgraded,
    /// The ecosystem gives the two versions no order (or one is not a valid version).
    Changed,
}

/// A package in both images, at different versions.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PackageChange {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: PackageType,
    pub arch: Option<String>,
    /// The base image's version.
    pub from: String,
    /// The target image's version.
    pub to: String,
    pub direction: Direction,
    /// Where the target image has it, and the step that introduced it there.
    pub location: String,
    pub layer: Option<usize>,
}

/// The packages of the target image compared with the base image's.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct PackageDiff {
    /// Only in the target image.
    pub added: Vec<Package>,
    /// Only in the base image.
    pub removed: Vec<Package>,
    /// Upgrades first, then downgrades, then other changes; by type and name within each.
    pub changed: Vec<PackageChange>,
    /// Packages at the same version in both.
    pub unchanged: usize,
}

/// What differs between a modified file's two versions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FileAttribute {
    Type,
    Size,
    Mode,
    Owner,
    LinkTarget,
    Mtime,
}

/// A path in both images that differs.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FileModification {
    pub path: String,
    /// The base image's entry.
    pub before: FileEntry,
    /// The target image's entry.
    pub after: FileEntry,
    /// What differs, in the order of [`FileAttribute`].
    pub changes: Vec<FileAttribute>,
}

impl FileModification {
    /// What changed, a phrase per attribute (`mode -rw-r--r-- → -rwxr-xr-x`, `owner 0/0 →
    /// 1000/1000`, `time`), as the CLI and the app word it. `size` words a size change from
    /// the two sizes (the CLI prints them; the app has them in columns and says `size`).
    pub fn describe(&self, size: impl Fn(u64, u64) -> String) -> Vec<String> {
        let (b, a) = (&self.before, &self.after);
        self.changes
            .iter()
            .map(|c| match c {
                FileAttribute::Type => format!("type {} → {}", b.kind.as_str(), a.kind.as_str()),
                FileAttribute::Size => size(b.size, a.size),
                FileAttribute::Mode => format!(
                    "mode {} → {}",
                    b.kind.mode_string(b.mode),
                    a.kind.mode_string(a.mode)
                ),
                FileAttribute::Owner => {
                    format!("owner {}/{} → {}/{}", b.uid, b.gid, a.uid, a.gid)
                }
                FileAttribute::LinkTarget => format!(
                    "target {} → {}",
                    b.link_target.as_deref().unwrap_or("-"),
                    a.link_target.as_deref().unwrap_or("-")
                ),
                FileAttribute::Mtime => "time".to_owned(),
            })
            .collect()
    }
}

/// The target image's final filesystem compared with the base image's.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct FileDiff {
    /// Only in the target image, in path order.
    pub added: Vec<FileEntry>,
    /// Only in the base image, in path order.
    pub removed: Vec<FileEntry>,
    pub modified: Vec<FileModification>,
    pub unchanged: usize,
    /// Regular-file bytes of `added`, of `removed`, and the change in size of `modified`.
    pub added_bytes: u64,
    pub removed_bytes: u64,
    pub modified_bytes_change: i64,
}

/// Everything [`compare`] found. The field names are the JSON contract of
/// `porthole diff --json`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ImageDiff {
    pub base: Side,
    pub target: Side,
    /// How many layers, from the bottom, the two images have in common (same diff_id at
    /// the same place): a shared base image shows up here.
    pub shared_layers: usize,
    /// The target's size minus the base's, in bytes.
    pub size_change: i64,
    pub packages: PackageDiff,
    pub files: FileDiff,
    /// How they run: entrypoint, command, environment, user, ports, volumes, labels.
    pub config: Vec<ConfigChange>,
    /// With both images scanned (`porthole diff --vulns`): the advisories fixed and
    /// introduced.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vulnerabilities: Option<VulnDiff>,
}

/// A run setting that differs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ConfigChange {
    /// `entrypoint`, `cmd`, `env`, `working_dir`, `user`, `exposed_ports`, `volumes`,
    /// `labels` or `stop_signal` (the fields of [`RunConfig`]).
    pub field: &'static str,
    /// The variable, label, port or volume, for the fields that hold several.
    pub key: Option<String>,
    /// `None` where the base image has no such setting; entrypoint and command as JSON
    /// arrays (`["nginx","-g","daemon off;"]`).
    pub before: Option<String>,
    pub after: Option<String>,
}

/// The target image's vulnerability findings compared with the base image's.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct VulnDiff {
    pub base_counts: SeverityCounts,
    pub target_counts: SeverityCounts,
    /// Findings of the base image that the target no longer has, most severe first.
    pub fixed: Vec<Finding>,
    /// Findings that only the target image has, most severe first.
    pub introduced: Vec<Finding>,
    /// Findings in both (the same advisory on the same package).
    pub unchanged: usize,
}

/// Compares two scans: an advisory is the same finding when it names the same package
/// (by type and name), whatever the version.
pub fn diff_vulns(base: &ScanReport, target: &ScanReport) -> VulnDiff {
    let key = |f: &Finding| (f.id.clone(), f.kind, f.package.clone());
    let before: std::collections::HashSet<_> = base.findings.iter().map(key).collect();
    let after: std::collections::HashSet<_> = target.findings.iter().map(key).collect();
    // Reports list findings most severe first; filtering keeps that order.
    VulnDiff {
        base_counts: base.counts,
        target_counts: target.counts,
        fixed: base
            .findings
            .iter()
            .filter(|f| !after.contains(&key(f)))
            .cloned()
            .collect(),
        introduced: target
            .findings
            .iter()
            .filter(|f| !before.contains(&key(f)))
            .cloned()
            .collect(),
        unchanged: target
            .findings
            .iter()
            .filter(|f| before.contains(&key(f)))
            .count(),
    }
}

/// An image as [`compare`] needs it: its summary, its stacked layers, its packages and its
/// run config.
#[derive(Clone, Copy)]
pub struct Compared<'a> {
    pub image: &'a ImageSummary,
    pub layers: &'a ImageLayers,
    pub packages: &'a ImagePackages,
    pub config: &'a RunConfig,
}

/// An image read from the store for [`compare`] ([`Loaded::view`]).
pub struct Loaded {
    pub image: ImageSummary,
    pub layers: ImageLayers,
    pub packages: ImagePackages,
    pub config: RunConfig,
}

impl Loaded {
    /// Reads `image`'s layer indexes (building those not cached yet), its packages and its
    /// run config.
    pub fn load(store: &Store, image: ImageSummary) -> Result<Loaded, LayerError> {
        let layers = ImageLayers::load(store, &image)?;
        let packages = layers.packages();
        let config = RunConfig::of(store, &image).map_err(LayerError::from)?;
        Ok(Loaded {
            image,
            layers,
            packages,
            config,
        })
    }

    pub fn view(&self) -> Compared<'_> {
        Compared {
            image: &self.image,
            layers: &self.layers,
            packages: &self.packages,
            config: &self.config,
        }
    }
}

/// Scans both images for vulnerabilities (as `porthole vulns` does, recording their
/// counts) and adds what changed to `diff`.
pub async fn add_vulnerabilities(
    diff: &mut ImageDiff,
    base: Compared<'_>,
    target: Compared<'_>,
    how: &ImageScan<'_>,
) -> Result<(), VulnError> {
    let before = scan_image(base.packages, &base.image.digest, how).await?;
    let after = scan_image(target.packages, &target.image.digest, how).await?;
    diff.vulnerabilities = Some(diff_vulns(&before, &after));
    Ok(())
}

/// Compares `target` with `base` ("what changed going from base to target").
pub fn compare(base: Compared<'_>, target: Compared<'_>) -> ImageDiff {
    let base_ids = layer_diff_ids(base.layers);
    let target_ids = layer_diff_ids(target.layers);
    let base_stack: Vec<&Digest> = base_ids.iter().flatten().collect();
    let target_stack: Vec<&Digest> = target_ids.iter().flatten().collect();
    let shared_layers = base_stack
        .iter()
        .zip(&target_stack)
        .take_while(|(a, b)| a == b)
        .count();
    let files = diff_files(base.layers, &base_ids, target.layers, &target_ids);
    ImageDiff {
        base: side(base, base_stack.len()),
        target: side(target, target_stack.len()),
        shared_layers,
        size_change: signed(target.image.size) - signed(base.image.size),
        packages: diff_packages(&base.packages.packages, &target.packages.packages),
        files,
        config: diff_config(base.config, target.config),
        vulnerabilities: None,
    }
}

fn side(c: Compared<'_>, layers: usize) -> Side {
    Side {
        reference: c.image.reference.clone(),
        digest: c.image.digest.clone(),
        id: c.image.id.clone(),
        created: c.image.created.clone(),
        size: c.image.size,
        os: c
            .packages
            .os
            .as_ref()
            .map(|os| os.pretty_name.clone().unwrap_or_else(|| os.id.clone())),
        layers,
        packages: c.packages.packages.len(),
        files: c.layers.file_count(),
    }
}

fn signed(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// For each step, the diff_id of its layer (`None` for an empty step).
fn layer_diff_ids(layers: &ImageLayers) -> Vec<Option<Digest>> {
    layers.steps().into_iter().map(|s| s.diff_id).collect()
}

/// How versions of a package type are ordered.
pub fn scheme_of(kind: PackageType) -> VersionScheme {
    match kind {
        PackageType::Deb => VersionScheme::Dpkg,
        PackageType::Apk => VersionScheme::Apk,
        PackageType::Rpm => VersionScheme::Rpm,
        PackageType::Python => VersionScheme::Pep440,
        PackageType::Npm | PackageType::Go | PackageType::Cargo => VersionScheme::Semver,
        PackageType::Maven => VersionScheme::Maven,
        PackageType::Gem => VersionScheme::RubyGems,
        PackageType::Composer => VersionScheme::Packagist,
    }
}

/// Whether going from `from` to `to` is an upgrade, by `kind`'s ordering.
pub fn direction(kind: PackageType, from: &str, to: &str) -> Direction {
    match version::compare(scheme_of(kind), from, to) {
        Ok(Ordering::Less) => Direction::Upgraded,
        Ok(Ordering::Greater) => Direction::Downgraded,
        // Equal under the scheme but spelled differently (`1.0` and `1.0.0` in PEP 440).
        Ok(Ordering::Equal) | Err(_) => Direction::Changed,
    }
}

type PackageKey<'a> = (PackageType, &'a str, Option<&'a str>);

fn key(p: &Package) -> PackageKey<'_> {
    (p.kind, p.name.as_str(), p.arch.as_deref())
}

fn diff_packages(base: &[Package], target: &[Package]) -> PackageDiff {
    let mut groups: BTreeMap<PackageKey<'_>, (Vec<&Package>, Vec<&Package>)> = BTreeMap::new();
    for p in base {
        groups.entry(key(p)).or_default().0.push(p);
    }
    for p in target {
        groups.entry(key(p)).or_default().1.push(p);
    }
    let mut diff = PackageDiff::default();
    for (_, (mut before, mut after)) in groups {
        // The same version on both sides is the same package, wherever it sits (a wheel
        // moved to another site-packages is not a change).
        before.retain(
            |b| match after.iter().position(|a| a.version == b.version) {
                Some(i) => {
                    after.remove(i);
                    diff.unchanged += 1;
                    false
                }
                None => true,
            },
        );
        // Then a package at the same place on both sides is one package that moved on;
        // with one left on each side, so is that one.
        let mut pairs = Vec::new();
        before.retain(
            |b| match after.iter().position(|a| a.location == b.location) {
                Some(i) => {
                    pairs.push((*b, after.remove(i)));
                    false
                }
                None => true,
            },
        );
        if before.len() == 1 && after.len() == 1 {
            pairs.push((before.remove(0), after.remove(0)));
        }
        for (b, a) in pairs {
            diff.changed.push(PackageChange {
                name: a.name.clone(),
                kind: a.kind,
                arch: a.arch.clone(),
                from: b.version.clone(),
                to: a.version.clone(),
                direction: direction(a.kind, &b.version, &a.version),
                location: a.location.clone(),
                layer: a.layer,
            });
        }
        diff.removed.extend(before.into_iter().cloned());
        diff.added.extend(after.into_iter().cloned());
    }
    diff.changed
        .sort_by(|a, b| (a.direction, a.kind, &a.name).cmp(&(b.direction, b.kind, &b.name)));
    diff
}

fn diff_files(
    base: &ImageLayers,
    base_ids: &[Option<Digest>],
    target: &ImageLayers,
    target_ids: &[Option<Digest>],
) -> FileDiff {
    let all = |layers: &ImageLayers| layers.tree("/", None).unwrap_or_default();
    let mut after: HashMap<String, FileEntry> = all(target)
        .into_iter()
        .map(|e| (e.path.clone(), e))
        .collect();
    let mut diff = FileDiff::default();
    for before in all(base) {
        let Some(now) = after.remove(&before.path) else {
            // Saturating: sizes come from the images' tar headers, which may claim anything.
            diff.removed_bytes = diff.removed_bytes.saturating_add(file_bytes(&before));
            diff.removed.push(before);
            continue;
        };
        let same_layer = base_ids
            .get(before.layer)
            .and_then(Option::as_ref)
            .is_some()
            && base_ids.get(before.layer) == target_ids.get(now.layer);
        let changes = if same_layer {
            Vec::new()
        } else {
            file_changes(&before, &now)
        };
        if changes.is_empty() {
            diff.unchanged += 1;
        } else {
            diff.modified_bytes_change = diff
                .modified_bytes_change
                .saturating_add(signed(file_bytes(&now)) - signed(file_bytes(&before)));
            diff.modified.push(FileModification {
                path: now.path.clone(),
                before,
                after: now,
                changes,
            });
        }
    }
    let mut added: Vec<FileEntry> = after.into_values().collect();
    added.sort_by(|a, b| a.path.cmp(&b.path));
    diff.added_bytes = added.iter().map(file_bytes).fold(0, u64::saturating_add);
    diff.added = added;
    diff
}

fn diff_config(before: &RunConfig, after: &RunConfig) -> Vec<ConfigChange> {
    let mut changes = Vec::new();
    let mut one = |field: &'static str, b: Option<String>, a: Option<String>| {
        if b != a {
            changes.push(ConfigChange {
                field,
                key: None,
                before: b,
                after: a,
            });
        }
    };
    let json = |v: &Option<Vec<String>>| {
        v.as_ref()
            .map(|v| serde_json::to_string(v).unwrap_or_default())
    };
    one(
        "entrypoint",
        json(&before.entrypoint),
        json(&after.entrypoint),
    );
    one("cmd", json(&before.cmd), json(&after.cmd));
    one(
        "working_dir",
        before.working_dir.clone(),
        after.working_dir.clone(),
    );
    one("user", before.user.clone(), after.user.clone());
    one(
        "stop_signal",
        before.stop_signal.clone(),
        after.stop_signal.clone(),
    );
    let pairs = |v: Vec<(&str, &str)>| -> Vec<(String, String)> {
        v.into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect()
    };
    keyed(
        &mut changes,
        "env",
        &pairs(before.env_vars()),
        &pairs(after.env_vars()),
    );
    let present = |v: &[String]| -> Vec<(String, String)> {
        v.iter().map(|k| (k.clone(), k.clone())).collect()
    };
    keyed(
        &mut changes,
        "exposed_ports",
        &present(&before.exposed_ports),
        &present(&after.exposed_ports),
    );
    keyed(
        &mut changes,
        "volumes",
        &present(&before.volumes),
        &present(&after.volumes),
    );
    keyed(&mut changes, "labels", &before.labels, &after.labels);
    changes
}

/// The keys whose values differ (or that only one side has): the base's keys in its order,
/// then the target's new ones in theirs. A key listed twice counts by its last value, as a
/// container's environment does.
fn keyed(
    changes: &mut Vec<ConfigChange>,
    field: &'static str,
    before: &[(String, String)],
    after: &[(String, String)],
) {
    let last = |v: &[(String, String)]| -> HashMap<String, String> { v.iter().cloned().collect() };
    let (b, a) = (last(before), last(after));
    let mut seen = std::collections::HashSet::new();
    for (key, _) in before.iter().chain(after) {
        if !seen.insert(key.clone()) {
            continue;
        }
        let (was, now) = (b.get(key), a.get(key));
        if was != now {
            changes.push(ConfigChange {
                field,
                key: Some(key.clone()),
                before: was.cloned(),
                after: now.cloned(),
            });
        }
    }
}

/// A regular file's bytes (a hard link's are its target's, counted there).
fn file_bytes(e: &FileEntry) -> u64 {
    if e.kind == FileType::File { e.size } else { 0 }
}

/// The rsync-style quick check between two entries of one path.
fn file_changes(before: &FileEntry, after: &FileEntry) -> Vec<FileAttribute> {
    let mut changes = Vec::new();
    if before.kind != after.kind {
        changes.push(FileAttribute::Type);
    }
    let dirs = before.kind == FileType::Dir && after.kind == FileType::Dir;
    if before.size != after.size && !dirs {
        changes.push(FileAttribute::Size);
    }
    if before.mode != after.mode {
        changes.push(FileAttribute::Mode);
    }
    if (before.uid, before.gid) != (after.uid, after.gid) {
        changes.push(FileAttribute::Owner);
    }
    if before.link_target != after.link_target {
        changes.push(FileAttribute::LinkTarget);
    }
    if before.mtime != after.mtime && !dirs {
        changes.push(FileAttribute::Mtime);
    }
    changes
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layers::LayerIndex;
    use crate::layers::index::{IndexBuilder, Meta};

    fn meta(kind: FileType, size: u64, mode: u32, mtime: i64) -> Meta {
        Meta {
            kind,
            size,
            mode,
            uid: 0,
            gid: 0,
            mtime,
        }
    }

    fn layer(name: &str, f: impl FnOnce(&mut IndexBuilder)) -> LayerIndex {
        LayerIndex::built_for_tests(name, f)
    }

    fn package(kind: PackageType, name: &str, version: &str, location: &str) -> Package {
        Package {
            name: name.into(),
            version: version.into(),
            kind,
            purl: String::new(),
            licenses: Vec::new(),
            source_name: None,
            source_version: None,
            arch: None,
            location: location.into(),
            layer: Some(0),
            layer_digest: None,
        }
    }

    fn summary(name: &str, size: u64) -> ImageSummary {
        ImageSummary {
            reference: Some(format!("example.test/app:{name}")),
            repository: Some("example.test/app".into()),
            tag: Some(name.into()),
            digest: Digest::of(name.as_bytes()),
            id: Digest::of(format!("config {name}").as_bytes()),
            created: None,
            size,
            platform: None,
            index_digest: None,
            media_type: String::new(),
            problem: None,
        }
    }

    fn run(base: Vec<LayerIndex>, target: Vec<LayerIndex>) -> ImageDiff {
        let (b, t) = (
            ImageLayers::from_indexes(base, Vec::new()),
            ImageLayers::from_indexes(target, Vec::new()),
        );
        let (bs, ts, none) = (
            summary("1", 100),
            summary("2", 70),
            ImagePackages::default(),
        );
        let config = RunConfig::default();
        compare(
            Compared {
                image: &bs,
                layers: &b,
                packages: &none,
                config: &config,
            },
            Compared {
                image: &ts,
                layers: &t,
                packages: &none,
                config: &config,
            },
        )
    }

    #[test]
    fn versions_move_by_the_ecosystems_order() {
        use PackageType::*;
        let base = vec![
            package(Deb, "libc6", "2.36-9+deb12u4", "/var/lib/dpkg/status"),
            package(Deb, "tzdata", "2024a-0+deb12u1", "/var/lib/dpkg/status"),
            package(Deb, "gone", "1.0", "/var/lib/dpkg/status"),
            package(Python, "pip", "23.0", "/a/pip-23.0.dist-info"),
            package(Npm, "left-pad", "1.3.0", "/app/node_modules/left-pad"),
            package(Apk, "same", "1.0-r0", "/lib/apk/db/installed"),
        ];
        let base_after_epoch = package(Deb, "zlib1g", "1:1.2.13", "/var/lib/dpkg/status");
        let mut target = vec![
            // 9+deb12u7 sorts after 9+deb12u4: an upgrade.
            package(Deb, "libc6", "2.36-9+deb12u7", "/var/lib/dpkg/status"),
            // dpkg puts ~ before anything: 2024a-0+deb12u1~x is older.
            package(Deb, "tzdata", "2024a-0+deb12u1~x", "/var/lib/dpkg/status"),
            package(Deb, "new", "2.0", "/var/lib/dpkg/status"),
            // Moved to another place, and upgraded: still one package.
            package(Python, "pip", "24.0", "/b/pip-24.0.dist-info"),
            // Two copies now: the one at the same place pairs, the other is new.
            package(Npm, "left-pad", "1.3.1", "/app/node_modules/left-pad"),
            package(
                Npm,
                "left-pad",
                "0.9.0",
                "/app/node_modules/x/node_modules/left-pad",
            ),
            package(Apk, "same", "1.0-r0", "/lib/apk/db/installed"),
            // Not a valid semver version on one side: changed, with no direction.
            package(Go, "example.com/m", "v1.2.3", "/bin/app"),
        ];
        let mut base = base;
        base.push(base_after_epoch);
        base.push(package(Go, "example.com/m", "(devel)", "/bin/app"));
        // Without the epoch, 1.3 is older than 1:1.2.13.
        target.push(package(Deb, "zlib1g", "1.3", "/var/lib/dpkg/status"));
        let d = diff_packages(&base, &target);
        let moves: Vec<_> = d
            .changed
            .iter()
            .map(|c| {
                format!(
                    "{} {} {}→{} {:?}",
                    c.kind.as_str(),
                    c.name,
                    c.from,
                    c.to,
                    c.direction
                )
            })
            .collect();
        assert_eq!(
            moves,
            [
                "deb libc6 2.36-9+deb12u4→2.36-9+deb12u7 Upgraded",
                "python pip 23.0→24.0 Upgraded",
                "npm left-pad 1.3.0→1.3.1 Upgraded",
                "deb tzdata 2024a-0+deb12u1→2024a-0+deb12u1~x Downgraded",
                "deb zlib1g 1:1.2.13→1.3 Downgraded",
                "go example.com/m (devel)→v1.2.3 Changed",
            ]
        );
        let names = |v: &[Package]| {
            v.iter()
                .map(|p| format!("{} {}", p.name, p.version))
                .collect::<Vec<_>>()
        };
        assert_eq!(names(&d.added), ["new 2.0", "left-pad 0.9.0"]);
        assert_eq!(names(&d.removed), ["gone 1.0"]);
        assert_eq!(d.unchanged, 1);
    }

    #[test]
    fn architectures_are_different_packages() {
        let mut amd64 = package(PackageType::Deb, "libc6", "2.36", "/var/lib/dpkg/status");
        amd64.arch = Some("amd64".into());
        let mut i386 = amd64.clone();
        i386.arch = Some("i386".into());
        let d = diff_packages(&[amd64.clone()], &[amd64, i386]);
        assert_eq!((d.unchanged, d.added.len(), d.changed.len()), (1, 1, 0));
        assert_eq!(d.added[0].arch.as_deref(), Some("i386"));
    }

    #[test]
    fn files_are_compared_path_by_path() {
        let file = |size, mode, mtime| meta(FileType::File, size, mode, mtime);
        let base_layer = || {
            layer("base", |b| {
                b.add("etc", meta(FileType::Dir, 0, 0o755, 1), "").unwrap();
                b.add("etc/os-release", file(10, 0o644, 1), "").unwrap();
                b.add("etc/shared", file(3, 0o644, 1), "").unwrap();
            })
        };
        let base = vec![
            base_layer(),
            layer("app 1", |b| {
                b.add("etc", meta(FileType::Dir, 0, 0o755, 2), "").unwrap();
                b.add("etc/same", file(5, 0o644, 7), "").unwrap();
                b.add("etc/grown", file(5, 0o644, 7), "").unwrap();
                b.add("etc/chmod", file(5, 0o644, 7), "").unwrap();
                b.add("etc/touched", file(5, 0o644, 7), "").unwrap();
                b.add("etc/link", meta(FileType::Symlink, 0, 0o777, 7), "a")
                    .unwrap();
                b.add("etc/old", file(40, 0o644, 7), "").unwrap();
            }),
        ];
        let target = vec![
            base_layer(),
            layer("app 2", |b| {
                // A directory whose time moved is not a change.
                b.add("etc", meta(FileType::Dir, 0, 0o755, 9), "").unwrap();
                b.add("etc/same", file(5, 0o644, 7), "").unwrap();
                b.add("etc/grown", file(8, 0o644, 7), "").unwrap();
                b.add("etc/chmod", file(5, 0o755, 7), "").unwrap();
                b.add("etc/touched", file(5, 0o644, 8), "").unwrap();
                b.add("etc/link", meta(FileType::Symlink, 0, 0o777, 7), "b")
                    .unwrap();
                b.add("etc/new", file(100, 0o644, 7), "").unwrap();
                b.add("etc/new.d", meta(FileType::Dir, 0, 0o755, 7), "")
                    .unwrap();
            }),
        ];
        let d = run(base, target);
        assert_eq!(d.shared_layers, 1);
        assert_eq!((d.base.layers, d.target.layers), (2, 2));
        assert_eq!(d.size_change, -30);
        let f = &d.files;
        let paths = |v: &[FileEntry]| v.iter().map(|e| e.path.clone()).collect::<Vec<_>>();
        assert_eq!(paths(&f.added), ["/etc/new", "/etc/new.d"]);
        assert_eq!(paths(&f.removed), ["/etc/old"]);
        let modified: Vec<_> = f
            .modified
            .iter()
            .map(|m| (m.path.as_str(), m.changes.clone()))
            .collect();
        use FileAttribute::*;
        assert_eq!(
            modified,
            [
                ("/etc/chmod", vec![Mode]),
                ("/etc/grown", vec![Size]),
                ("/etc/link", vec![LinkTarget]),
                ("/etc/touched", vec![Mtime]),
            ]
        );
        // /etc, /etc/os-release and /etc/shared (same layer), /etc/same (quick check).
        assert_eq!(f.unchanged, 4);
        assert_eq!(
            (f.added_bytes, f.removed_bytes, f.modified_bytes_change),
            (100, 40, 3)
        );
    }

    #[test]
    fn no_shared_layers_when_the_bases_differ() {
        let one = |name: &str| {
            layer(name, |b| {
                b.add("a", meta(FileType::File, 1, 0o644, 0), "").unwrap()
            })
        };
        let d = run(vec![one("x"), one("y")], vec![one("z"), one("y")]);
        // The same layer higher up does not make a shared base.
        assert_eq!(d.shared_layers, 0);
        assert_eq!(d.files.unchanged, 1);
        assert!(d.files.modified.is_empty());
    }

    #[test]
    fn run_settings_are_compared_field_by_field() {
        let before = RunConfig::from_blob(
            br#"{"config": {"Entrypoint": ["/docker-entrypoint.sh"], "Cmd": ["nginx"],
                "Env": ["PATH=/usr/bin", "NGINX_VERSION=1.25.5", "GONE=1"], "User": "root",
                "ExposedPorts": {"80/tcp": {}}, "Labels": {"maintainer": "a", "old": "x"}}}"#,
        )
        .unwrap();
        let after = RunConfig::from_blob(
            br#"{"config": {"Entrypoint": ["/docker-entrypoint.sh"], "Cmd": ["nginx", "-g", "daemon off;"],
                "Env": ["PATH=/usr/bin", "NGINX_VERSION=1.27.0", "NEW=2"],
                "ExposedPorts": {"80/tcp": {}, "443/tcp": {}}, "Volumes": {"/cache": {}},
                "Labels": {"maintainer": "b"}, "StopSignal": "SIGQUIT"}}"#,
        )
        .unwrap();
        let lines: Vec<String> = diff_config(&before, &after)
            .iter()
            .map(|c| {
                format!(
                    "{} {} {} → {}",
                    c.field,
                    c.key.as_deref().unwrap_or("-"),
                    c.before.as_deref().unwrap_or("∅"),
                    c.after.as_deref().unwrap_or("∅")
                )
            })
            .collect();
        assert_eq!(
            lines,
            [
                r#"cmd - ["nginx"] → ["nginx","-g","daemon off;"]"#,
                "user - root → ∅",
                "stop_signal - ∅ → SIGQUIT",
                "env NGINX_VERSION 1.25.5 → 1.27.0",
                "env GONE 1 → ∅",
                "env NEW ∅ → 2",
                "exposed_ports 443/tcp ∅ → 443/tcp",
                "volumes /cache ∅ → /cache",
                "labels maintainer a → b",
                "labels old x → ∅",
            ]
        );
        assert!(diff_config(&after, &after).is_empty());
    }

    #[test]
    fn absurd_sizes_saturate_instead_of_overflowing() {
        let huge = |name: &str, files: &[&str]| {
            layer(name, |b| {
                for f in files {
                    b.add(f, meta(FileType::File, u64::MAX / 2, 0o644, 0), "")
                        .unwrap();
                }
            })
        };
        let d = run(
            vec![huge("a", &["x", "y", "z", "m"])],
            vec![
                huge("b", &["p", "q", "r"]),
                layer("c", |b| {
                    b.add("m", meta(FileType::File, 0, 0o644, 0), "").unwrap();
                }),
            ],
        );
        assert_eq!(d.files.removed_bytes, u64::MAX);
        assert_eq!(d.files.added_bytes, u64::MAX);
        assert_eq!(d.files.modified.len(), 1);
    }

    /// Sizes a hostile tar header claims (a GNU sparse entry's size is its header's word)
    /// never overflow a sum anywhere an image is looked at: steps, efficiency, listings.
    #[test]
    fn absurd_sizes_never_overflow_an_image_view() {
        let big = || meta(FileType::File, u64::MAX / 3, 0o644, 0);
        let first = layer("first", |b| {
            b.add("d", meta(FileType::Dir, 0, 0o755, 0), "").unwrap();
            for f in ["d/a", "d/b", "d/c", "e"] {
                b.add(f, big(), "").unwrap();
            }
        });
        let second = layer("second", |b| {
            for f in ["d/a", "d/b", "d/c", "f"] {
                b.add(f, big(), "").unwrap();
            }
            b.whiteout("e").unwrap();
        });
        let third = layer("third", |b| b.opaque("d").unwrap());
        let image = ImageLayers::from_indexes(vec![first, second, third], Vec::new());
        let steps = image.steps();
        assert_eq!(steps.len(), 3);
        assert_eq!(steps[0].wasted_bytes, u64::MAX);
        let efficiency = image.efficiency();
        assert_eq!(efficiency.wasted_bytes, u64::MAX);
        assert!(efficiency.score.is_finite());
        for scope in [
            crate::layers::FileScope::Image,
            crate::layers::FileScope::Steps(&[1, 2]),
        ] {
            image.list_dir(scope, "/", 0, 100).unwrap();
            image.list_dir(scope, "/d", 0, 100).ok();
        }
        image.largest_files(10);
    }
}

#[cfg(test)]
mod describe_tests {
    use super::{FileAttribute, FileModification};
    use crate::layers::{FileEntry, FileType};

    fn entry(kind: FileType, size: u64, mode: u32, owner: u64, link: Option<&str>) -> FileEntry {
        FileEntry {
            path: "/x".into(),
            kind,
            size,
            mode,
            uid: owner,
            gid: owner,
            link_target: link.map(str::to_owned),
            layer: 0,
            mtime: 0,
            package: None,
        }
    }

    #[test]
    fn a_modification_reads_as_what_moved_from_what_to_what() {
        let m = FileModification {
            path: "/x".into(),
            before: entry(FileType::Symlink, 0, 0o644, 0, Some("a")),
            after: entry(FileType::File, 2_000, 0o4755, 1000, None),
            changes: vec![
                FileAttribute::Type,
                FileAttribute::Size,
                FileAttribute::Mode,
                FileAttribute::Owner,
                FileAttribute::LinkTarget,
                FileAttribute::Mtime,
            ],
        };
        assert_eq!(
            m.describe(|b, a| format!("size {b} → {a}")),
            [
                "type symlink → file",
                "size 0 → 2000",
                "mode lrw-r--r-- → -rwsr-xr-x",
                "owner 0/0 → 1000/1000",
                "target a → -",
                "time",
            ]
        );
        // Only what changed, in the order given.
        let only_time = FileModification {
            changes: vec![FileAttribute::Mtime],
            ..m
        };
        assert_eq!(only_time.describe(|_, _| unreachable!()), ["time"]);
    }
}
