//! The Packages tab's IPC types: the image's OS and its packages, each with the build step
//! that introduced it.

use serde::Serialize;
use ts_rs::TS;

use porthole_engine::packages::{ImagePackages, OsRelease, Package, PackageType};

/// The ecosystem of a package (`type` in `porthole packages --json`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, TS)]
#[serde(rename_all = "lowercase")]
#[ts(export_to = "../ui/src/tauri/bindings/")]
pub enum PackageKind {
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

impl From<PackageType> for PackageKind {
    fn from(kind: PackageType) -> PackageKind {
        match kind {
            PackageType::Deb => PackageKind::Deb,
            PackageType::Apk => PackageKind::Apk,
            PackageType::Rpm => PackageKind::Rpm,
            PackageType::Python => PackageKind::Python,
            PackageType::Npm => PackageKind::Npm,
            PackageType::Go => PackageKind::Go,
            PackageType::Cargo => PackageKind::Cargo,
            PackageType::Maven => PackageKind::Maven,
            PackageType::Gem => PackageKind::Gem,
            PackageType::Composer => PackageKind::Composer,
        }
    }
}

/// One installed package or library (a row of the Packages tab). All text comes from the
/// image and is shown as text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "../ui/src/tauri/bindings/")]
pub struct PackageRow {
    pub name: String,
    /// As the ecosystem's own tools print it (`1:2.3-4`, `v1.2.3`).
    pub version: String,
    pub kind: PackageKind,
    /// The package URL (`pkg:deb/debian/bash@5.2.15-2?arch=amd64&distro=debian-12`).
    pub purl: String,
    /// Licence expressions or names as the package declares them.
    pub licenses: Vec<String>,
    /// The source package (deb `Source:`, rpm source rpm, apk origin), where there is one.
    pub source_name: Option<String>,
    pub source_version: Option<String>,
    pub arch: Option<String>,
    /// The file it was found in, absolute in the image (`/var/lib/dpkg/status`).
    pub location: String,
    /// The build step that introduced it: the `index` of a `LayerRow`.
    pub layer: Option<u32>,
    /// The digest of that step's layer.
    pub layer_digest: Option<String>,
}

impl From<Package> for PackageRow {
    fn from(p: Package) -> PackageRow {
        PackageRow {
            name: p.name,
            version: p.version,
            kind: p.kind.into(),
            purl: p.purl,
            licenses: p.licenses,
            source_name: p.source_name,
            source_version: p.source_version,
            arch: p.arch,
            location: p.location,
            layer: p.layer.map(|l| u32::try_from(l).unwrap_or(u32::MAX)),
            layer_digest: p.layer_digest.map(|d| d.to_string()),
        }
    }
}

/// The image's OS, from its os-release (or an older release file).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "../ui/src/tauri/bindings/")]
pub struct OsRow {
    /// `ID`: `debian`, `alpine`, `ubuntu`, ...
    pub id: String,
    /// `NAME`: `Debian GNU/Linux`.
    pub name: Option<String>,
    /// `PRETTY_NAME`: `Debian GNU/Linux 12 (bookworm)`.
    pub pretty_name: Option<String>,
    pub version_id: Option<String>,
    pub version_codename: Option<String>,
    /// The file it was read from (`/etc/os-release`).
    pub location: String,
}

impl From<OsRelease> for OsRow {
    fn from(os: OsRelease) -> OsRow {
        OsRow {
            id: os.id,
            name: os.name,
            pretty_name: os.pretty_name,
            version_id: os.version_id,
            version_codename: os.version_codename,
            location: os.location,
        }
    }
}

/// How many packages of one type the image has.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "../ui/src/tauri/bindings/")]
pub struct TypeCount {
    pub kind: PackageKind,
    pub count: u32,
}

/// What the Packages tab shows of an image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "../ui/src/tauri/bindings/")]
pub struct PackagesAnswer {
    /// `null` when the image has no os-release or older release file.
    pub os: Option<OsRow>,
    /// Each package once, sorted by type, name, version and location.
    pub packages: Vec<PackageRow>,
    /// Files that looked like package metadata but could not be read (`path: detector:
    /// reason`): their packages are missing from the list.
    pub problems: Vec<String>,
    /// The types present, in the engine's order (OS packages first), with their counts.
    pub counts: Vec<TypeCount>,
}

impl From<ImagePackages> for PackagesAnswer {
    fn from(found: ImagePackages) -> PackagesAnswer {
        let counts = PackageType::ALL
            .into_iter()
            .filter_map(|kind| {
                let n = found.packages.iter().filter(|p| p.kind == kind).count();
                (n > 0).then(|| TypeCount {
                    kind: kind.into(),
                    count: u32::try_from(n).unwrap_or(u32::MAX),
                })
            })
            .collect();
        PackagesAnswer {
            os: found.os.map(OsRow::from),
            packages: found.packages.into_iter().map(PackageRow::from).collect(),
            problems: found.problems,
            counts,
        }
    }
}
