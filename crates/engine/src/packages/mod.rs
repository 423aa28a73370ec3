//! Packages: the OS packages and language libraries installed in an image.
//!
//! Each ecosystem is a small "glob → parser" detector in its own file (syft's catalogers):
//! [`Detector::wants`] decides from a file's path (and mode) alone whether it matters, so
//! that the layer indexer can pick files out while a layer streams by, and
//! [`Detector::parse`] turns that one file's bytes into [`Package`]s. Detectors never read
//! another file, never touch the filesystem and never run a tool: they are pure functions of
//! `(path, bytes, context)`, and the only context is the image's [`OsRelease`] (for the purl's
//! vendor and `distro`), which [`os_release`] finds first.
//!
//! Paths are absolute and normalised (`/var/lib/dpkg/status`): no `.`/`..`/empty component.
//! [`detect_in_dir`] runs every detector over an unpacked root filesystem (tests,
//! `porthole packages --dir`); attributing packages to layers is the indexer's business
//! ([`Package::layer`] is `None` here).

use std::fs;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::Digest;

pub mod apk;
pub mod cargo_auditable;
pub mod dpkg;
mod elf;
mod error;
mod found;
pub mod golang;
pub mod java;
pub mod npm;
pub mod os_release;
pub mod php;
pub mod purl;
pub mod python;
pub mod rpm;
pub mod ruby;

pub use error::PackageError;
pub use found::{FoundFile, Wanted, apply_os_context};
pub use os_release::OsRelease;

/// One MiB, for [`Detector::max_file_size`].
pub const MIB: u64 = 1 << 20;

/// One installed package or library. The field names are the JSON contract of
/// `porthole packages --json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Package {
    pub name: String,
    /// As the ecosystem's own tools print it: dpkg `1:2.3-4` (epoch only when non-zero),
    /// rpm `[epoch:]version-release`, apk `1.2.3-r4`, Go `v1.2.3`.
    pub version: String,
    #[serde(rename = "type")]
    pub kind: PackageType,
    /// The package URL, canonical per the purl spec (see [`purl`]).
    pub purl: String,
    /// License expressions or names as the package declares them (not normalised to SPDX).
    pub licenses: Vec<String>,
    /// The source package, where the ecosystem has one (deb `Source:`, rpm source rpm, apk
    /// origin).
    pub source_name: Option<String>,
    pub source_version: Option<String>,
    pub arch: Option<String>,
    /// The file the package was found in, absolute in the image. A jar nested in another
    /// is `/outer.jar:inner.jar`.
    pub location: String,
    /// The index of the layer that introduced the package (set by the layer indexer).
    pub layer: Option<usize>,
    pub layer_digest: Option<Digest>,
}

/// An image's OS and packages, as `porthole packages` and the app's Packages tab show them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ImagePackages {
    /// From the image's os-release (or the older release files); `None` when it has none.
    pub os: Option<OsRelease>,
    /// Each package once, sorted by type, name, version and location, with the layer that
    /// introduced it.
    pub packages: Vec<Package>,
    /// Files that looked like package metadata but could not be read, one line each:
    /// `detector: what is wrong with which file`. Their packages are missing from the list.
    pub problems: Vec<String>,
}

/// The ecosystem a [`Package`] belongs to (`type` in JSON).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PackageType {
    Deb,
    Apk,
    Rpm,
    Python,
    Npm,
    Go,
    Cargo,
    Maven,
    Gem,
    Composer,
}

impl PackageType {
    pub const ALL: [PackageType; 10] = [
        PackageType::Deb,
        PackageType::Apk,
        PackageType::Rpm,
        PackageType::Python,
        PackageType::Npm,
        PackageType::Go,
        PackageType::Cargo,
        PackageType::Maven,
        PackageType::Gem,
        PackageType::Composer,
    ];

    /// The name used in JSON and on the command line (`--type deb,rpm`).
    pub fn as_str(self) -> &'static str {
        match self {
            PackageType::Deb => "deb",
            PackageType::Apk => "apk",
            PackageType::Rpm => "rpm",
            PackageType::Python => "python",
            PackageType::Npm => "npm",
            PackageType::Go => "go",
            PackageType::Cargo => "cargo",
            PackageType::Maven => "maven",
            PackageType::Gem => "gem",
            PackageType::Composer => "composer",
        }
    }

    pub fn parse(s: &str) -> Option<PackageType> {
        PackageType::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

impl std::fmt::Display for PackageType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Package {
    /// A package of `kind` found in `location`, with everything else empty.
    pub(crate) fn new(kind: PackageType, name: &str, version: &str, location: &str) -> Package {
        Package {
            name: name.to_owned(),
            version: version.to_owned(),
            kind,
            purl: String::new(),
            licenses: Vec::new(),
            source_name: None,
            source_version: None,
            arch: None,
            location: location.to_owned(),
            layer: None,
            layer_digest: None,
        }
    }
}

/// What a detector may know beyond the file itself.
#[derive(Clone, Debug, Default)]
pub struct DetectContext {
    /// The image's OS, when known: OS package purls take their vendor and `distro` from it.
    pub os: Option<OsRelease>,
}

impl DetectContext {
    /// The purl vendor of OS packages: the os-release `ID` (lowercase), if known.
    pub(crate) fn vendor(&self) -> Option<String> {
        self.os
            .as_ref()
            .map(|os| os.id.to_ascii_lowercase())
            .filter(|id| !id.is_empty())
    }

    /// The purl `distro` qualifier: `<id>-<version_id>` (`debian-12`, `alpine-3.18.4`).
    pub(crate) fn distro(&self) -> Option<String> {
        let os = self.os.as_ref()?;
        let version = os.version_id.as_deref().filter(|v| !v.is_empty())?;
        Some(format!("{}-{version}", os.id.to_ascii_lowercase()))
    }
}

/// A "paths → parser" package detector.
///
/// The layer indexer asks [`wants`](Detector::wants) of every regular file as the layer
/// streams by, keeps the bytes of those wanted (up to [`max_file_size`]), and calls
/// [`parse`](Detector::parse) on them. A detector never panics on hostile bytes and never
/// reads past its buffer; a file it cannot read at all is an error, a damaged entry inside
/// an otherwise readable file is skipped.
///
/// [`max_file_size`]: Detector::max_file_size
pub trait Detector: Send + Sync {
    /// A short, stable name (`dpkg`, `rpm`, `go`, …).
    fn name(&self) -> &'static str;

    /// Whether the regular file at `path` (absolute, normalised) with permission bits
    /// `mode` (the tar header's, e.g. `0o755`) may hold packages. Decided without the bytes.
    fn wants(&self, path: &str, mode: u32) -> bool;

    /// Files larger than this are not read (and yield no packages).
    fn max_file_size(&self) -> u64;

    /// The bytes every file this detector can read starts with (`\x7fELF` for binaries),
    /// so that the indexer need not keep the rest of a file that does not.
    fn magic(&self) -> Option<&'static [u8]> {
        None
    }

    /// The packages described by the file at `path`, whose whole content is `bytes`.
    fn parse(
        &self,
        path: &str,
        bytes: &[u8],
        ctx: &DetectContext,
    ) -> Result<Vec<Package>, PackageError>;
}

/// Every package detector, in a fixed order (OS packages first).
pub fn detectors() -> &'static [&'static dyn Detector] {
    static ALL: [&dyn Detector; 10] = [
        &dpkg::DpkgDetector,
        &apk::ApkDetector,
        &rpm::RpmDetector,
        &python::PythonDetector,
        &npm::NpmDetector,
        &golang::GoDetector,
        &cargo_auditable::CargoAuditableDetector,
        &java::JavaDetector,
        &ruby::RubyDetector,
        &php::PhpDetector,
    ];
    &ALL
}

/// Runs every detector over an unpacked root filesystem: the OS is identified first
/// ([`os_release::resolve`]), then each regular file that some detector wants is read and
/// parsed. Symlinks are not followed (they could point outside `root`). Files too large for
/// a detector are skipped, and so (with a warning) is a file a detector cannot parse; only
/// a directory that cannot be read is an error.
///
/// Packages come back sorted by type, name, version and location.
pub fn detect_in_dir(root: &Path) -> Result<(Option<OsRelease>, Vec<Package>), PackageError> {
    let os = os_release::resolve(|path| {
        let full = root.join(path.trim_start_matches('/'));
        let meta = fs::symlink_metadata(&full).ok()?;
        if !meta.is_file() || meta.len() > os_release::MAX_FILE_SIZE {
            return None;
        }
        fs::read(&full).ok()
    });
    let ctx = DetectContext { os: os.clone() };
    let mut packages = Vec::new();
    let mut todo = vec![(root.to_path_buf(), String::new())];
    while let Some((dir, prefix)) = todo.pop() {
        let read = fs::read_dir(&dir).map_err(|source| PackageError::Io {
            path: dir.display().to_string(),
            source,
        })?;
        let mut entries: Vec<_> = read.filter_map(Result::ok).collect();
        entries.sort_by_key(|e| e.file_name());
        for entry in entries.into_iter().rev() {
            let Ok(name) = entry.file_name().into_string() else {
                continue;
            };
            let path = format!("{prefix}/{name}");
            let Ok(meta) = fs::symlink_metadata(entry.path()) else {
                continue;
            };
            if meta.is_dir() {
                todo.push((entry.path(), path));
                continue;
            }
            if !meta.is_file() {
                continue;
            }
            let mode = file_mode(&meta);
            let wanted: Vec<_> = detectors()
                .iter()
                .filter(|d| d.wants(&path, mode) && meta.len() <= d.max_file_size())
                .collect();
            if wanted.is_empty() {
                continue;
            }
            let bytes = fs::read(entry.path()).map_err(|source| PackageError::Io {
                path: path.clone(),
                source,
            })?;
            for detector in wanted {
                match detector.parse(&path, &bytes, &ctx) {
                    Ok(found) => packages.extend(found),
                    // One unreadable file (a corrupt jar, a broken package.json) must not
                    // hide every other package in the image.
                    Err(error) => tracing::warn!(detector = detector.name(), %error, "skipped"),
                }
            }
        }
    }
    sort_packages(&mut packages);
    Ok((os, packages))
}

/// The order packages are listed in: type, name, version, location.
pub fn sort_packages(packages: &mut [Package]) {
    packages.sort_by(|a, b| {
        (a.kind, &a.name, &a.version, &a.location).cmp(&(b.kind, &b.name, &b.version, &b.location))
    });
}

#[cfg(unix)]
fn file_mode(meta: &fs::Metadata) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    meta.permissions().mode() & 0o7777
}

#[cfg(not(unix))]
fn file_mode(_: &fs::Metadata) -> u32 {
    0o644
}

/// The last component of a normalised path.
pub(crate) fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// The directory part of a normalised path (`/a/b` for `/a/b/c`).
pub(crate) fn parent(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(dir, _)| dir)
}
