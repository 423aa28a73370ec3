//! The Vulnerabilities tab's IPC types: a scan of an image's packages against OSV
//! advisories, and the offline advisory database's status and update progress. Everything
//! that comes from an advisory (ids, summaries, versions, URLs) is text for the UI to show
//! as text.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use porthole_engine::vulns::{
    DbStatus, EcosystemStatus, Finding, NewerImage, NotCovered, RecommendedFix, ScanReport,
    ScanSummary, Severity, SeverityCounts, SeveritySource, SourceInfo, SourceKind, SourceMode,
    UncoveredPackage, UpdateEvent,
};

use super::PackageKind;

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// A finding's severity, as the CVSS qualitative scale names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "lowercase")]
#[ts(export_to = "../ui/src/tauri/bindings/")]
pub enum SeverityLevel {
    Critical,
    High,
    Medium,
    Low,
    /// Rated, but as no risk.
    None,
    /// No rating known.
    Unknown,
}

impl From<Severity> for SeverityLevel {
    fn from(severity: Severity) -> SeverityLevel {
        match severity {
            Severity::Critical => SeverityLevel::Critical,
            Severity::High => SeverityLevel::High,
            Severity::Medium => SeverityLevel::Medium,
            Severity::Low => SeverityLevel::Low,
            Severity::None => SeverityLevel::None,
            Severity::Unknown => SeverityLevel::Unknown,
        }
    }
}

/// Counts of findings per severity.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "../ui/src/tauri/bindings/")]
pub struct SeverityTally {
    pub critical: u32,
    pub high: u32,
    pub medium: u32,
    pub low: u32,
    pub none: u32,
    pub unknown: u32,
    pub total: u32,
}

impl From<SeverityCounts> for SeverityTally {
    fn from(c: SeverityCounts) -> SeverityTally {
        SeverityTally {
            critical: count(c.critical),
            high: count(c.high),
            medium: count(c.medium),
            low: count(c.low),
            none: count(c.none),
            unknown: count(c.unknown),
            total: count(c.total),
        }
    }
}

/// One advisory affecting one installed package (a row of the Vulnerabilities tab).
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "../ui/src/tauri/bindings/")]
pub struct FindingRow {
    /// The advisory (`DSA-5532-1`, `GHSA-…`, `PYSEC-…`).
    pub id: String,
    /// Its other names, CVE ids first.
    pub aliases: Vec<String>,
    pub summary: Option<String>,
    pub severity: SeverityLevel,
    /// Whether the severity is the distribution's or database's own rating (`rating`), the
    /// CVSS base score's (`cvss`), or unknown (`none`).
    pub severity_source: String,
    pub cvss_score: Option<f64>,
    pub cvss_vector: Option<String>,
    /// The installed package, by its own name (`libssl3`).
    pub package: String,
    /// Its installed version.
    pub version: String,
    pub kind: PackageKind,
    pub purl: String,
    /// The OSV ecosystem it was matched in (`Debian:12`).
    pub ecosystem: String,
    /// The name it was matched by, when not its own (the source package `openssl`).
    pub matched_name: Option<String>,
    /// The lowest version above the installed one that fixes this advisory.
    pub fixed_version: Option<String>,
    /// The build step that introduced the package: the `index` of a `LayerRow`.
    pub layer: Option<u32>,
    pub layer_digest: Option<String>,
    /// The advisory's page (`https://osv.dev/vulnerability/<id>`), shown as text.
    pub url: String,
}

impl From<Finding> for FindingRow {
    fn from(f: Finding) -> FindingRow {
        FindingRow {
            id: f.id,
            aliases: f.aliases,
            summary: f.summary,
            severity: f.severity.into(),
            severity_source: match f.severity_source {
                SeveritySource::Rating => "rating",
                SeveritySource::Cvss => "cvss",
                SeveritySource::None => "none",
            }
            .to_owned(),
            cvss_score: f.cvss_score,
            cvss_vector: f.cvss_vector,
            package: f.package,
            version: f.version,
            kind: f.kind.into(),
            purl: f.purl,
            ecosystem: f.ecosystem,
            matched_name: f.matched_name,
            fixed_version: f.fixed_version,
            layer: f.layer.map(count),
            layer_digest: f.layer_digest.map(|d| d.to_string()),
            url: f.url,
        }
    }
}

/// A package that was not checked, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "../ui/src/tauri/bindings/")]
pub struct UncoveredRow {
    pub package: String,
    pub version: String,
    pub kind: PackageKind,
    /// The OSV ecosystem it would be matched in, when known.
    pub ecosystem: Option<String>,
    /// `unknownOs`, `noAdvisoryData`, `noVersion`, `incompleteName` or `notImported`.
    pub reason: String,
    /// The reason, for a person.
    pub message: String,
}

impl From<UncoveredPackage> for UncoveredRow {
    fn from(u: UncoveredPackage) -> UncoveredRow {
        let (reason, message) = match u.reason {
            NotCovered::UnknownOs => ("unknownOs", u.message),
            NotCovered::NoAdvisoryData => ("noAdvisoryData", u.message),
            NotCovered::NoVersion => ("noVersion", u.message),
            NotCovered::IncompleteName => ("incompleteName", u.message),
            // The engine's sentence names the CLI command; the app has a button for it.
            NotCovered::NotImported => (
                "notImported",
                "the offline database has not imported this ecosystem; update it in Settings"
                    .to_owned(),
            ),
        };
        UncoveredRow {
            package: u.package,
            version: u.version,
            kind: u.kind.into(),
            ecosystem: u.ecosystem,
            reason: reason.to_owned(),
            message,
        }
    }
}

/// An upgrade that clears findings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "../ui/src/tauri/bindings/")]
pub struct FixRow {
    /// The package to upgrade, as the advisories name it (the source package for distros).
    pub package: String,
    pub kind: PackageKind,
    pub ecosystem: String,
    pub installed_version: String,
    pub target_version: String,
    /// The installed packages this upgrade concerns (binary packages of a source package).
    pub packages: Vec<String>,
    /// The advisories it clears, by severity.
    pub clears: SeverityTally,
    /// Their ids, most severe first.
    pub cleared_ids: Vec<String>,
    /// Advisories of this package the upgrade leaves open.
    pub remaining: u32,
}

impl From<RecommendedFix> for FixRow {
    fn from(f: RecommendedFix) -> FixRow {
        FixRow {
            package: f.package,
            kind: f.kind.into(),
            ecosystem: f.ecosystem,
            installed_version: f.installed_version,
            target_version: f.target_version,
            packages: f.packages,
            clears: f.clears.into(),
            cleared_ids: f.cleared_ids,
            remaining: count(f.remaining),
        }
    }
}

/// Where the advisories of a scan came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "../ui/src/tauri/bindings/")]
pub struct VulnSource {
    /// `online` (the OSV API) or `offline` (the imported database).
    pub kind: String,
    /// The API's base URL (online).
    pub url: Option<String>,
    /// The database file (offline).
    pub path: Option<String>,
    /// When the offline database was last updated (RFC 3339).
    pub imported_at: Option<String>,
}

/// What the Vulnerabilities tab shows of an image.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "../ui/src/tauri/bindings/")]
pub struct VulnsAnswer {
    pub source: VulnSource,
    /// Packages given to the scan.
    pub packages_scanned: u32,
    /// Of those, the ones matched against advisories.
    pub packages_covered: u32,
    pub counts: SeverityTally,
    /// Most severe first; each advisory once per package.
    pub findings: Vec<FindingRow>,
    pub not_covered: Vec<UncoveredRow>,
    /// The most useful upgrades first.
    pub recommended_fixes: Vec<FixRow>,
    pub warnings: Vec<String>,
    /// The exports the offline database lacks for this image (`Debian`, `PyPI`).
    pub missing_exports: Vec<String>,
    /// Newer images of the same repository in the store, newest first, and how their
    /// critical and high findings compare (absent when the store holds none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub newer_images: Vec<NewerImageRow>,
}

/// A newer image of the scanned image's repository that is in the store, scanned the same
/// way: Docker Scout's "a newer base image has fewer vulnerabilities", from what is local.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "../ui/src/tauri/bindings/")]
pub struct NewerImageRow {
    /// `docker.io/library/debian:12.6`; `null` for an untagged image.
    pub reference: Option<String>,
    /// Its manifest digest.
    pub digest: String,
    /// When it was built (RFC 3339), if its config says.
    pub created: Option<String>,
    pub counts: SeverityTally,
    /// Its critical and high findings minus the scanned image's: negative when it has fewer.
    pub critical_high_change: i32,
}

impl From<NewerImage> for NewerImageRow {
    fn from(n: NewerImage) -> NewerImageRow {
        NewerImageRow {
            reference: n.reference,
            digest: n.digest.to_string(),
            created: n.created,
            counts: n.counts.into(),
            critical_high_change: i32::try_from(n.critical_high_change).unwrap_or(
                if n.critical_high_change < 0 {
                    i32::MIN
                } else {
                    i32::MAX
                },
            ),
        }
    }
}

/// The last scan of an image, kept in the store: what the Images list shows of its
/// vulnerabilities without scanning again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "../ui/src/tauri/bindings/")]
pub struct VulnSummary {
    pub counts: SeverityTally,
    /// `online` (the OSV API) or `offline` (the imported database).
    pub source: String,
    /// When the offline database the scan used was last updated (RFC 3339).
    pub imported_at: Option<String>,
    /// When the scan ran (RFC 3339).
    pub scanned_at: String,
    /// Packages given to the scan.
    pub packages_scanned: u32,
    /// Of those, the ones matched against advisories.
    pub packages_covered: u32,
}

impl From<ScanSummary> for VulnSummary {
    fn from(s: ScanSummary) -> VulnSummary {
        VulnSummary {
            counts: s.counts.into(),
            source: source_kind(s.source).to_owned(),
            imported_at: s.imported_at.map(|t| t.rfc3339()),
            scanned_at: s.scanned_at.rfc3339(),
            packages_scanned: count(s.packages_scanned),
            packages_covered: count(s.packages_covered),
        }
    }
}

/// Counts found for an image by a background offline scan of the Images list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "../ui/src/tauri/bindings/")]
pub struct VulnCounts {
    /// The image's manifest digest.
    pub digest: String,
    pub vulns: VulnSummary,
}

fn source_kind(kind: SourceKind) -> &'static str {
    match kind {
        SourceKind::Online => "online",
        SourceKind::Offline => "offline",
    }
}

impl From<&SourceInfo> for VulnSource {
    fn from(source: &SourceInfo) -> VulnSource {
        VulnSource {
            kind: source_kind(source.kind).to_owned(),
            url: source.url.clone(),
            path: source.path.as_ref().map(|p| p.display().to_string()),
            imported_at: source.imported_at.map(|t| t.rfc3339()),
        }
    }
}

impl From<ScanReport> for VulnsAnswer {
    fn from(report: ScanReport) -> VulnsAnswer {
        let missing_exports = report.missing_exports();
        VulnsAnswer {
            source: VulnSource::from(&report.source),
            packages_scanned: count(report.packages_scanned),
            packages_covered: count(report.packages_covered),
            counts: report.counts.into(),
            findings: report.findings.into_iter().map(FindingRow::from).collect(),
            not_covered: report
                .not_covered
                .into_iter()
                .map(UncoveredRow::from)
                .collect(),
            recommended_fixes: report
                .recommended_fixes
                .into_iter()
                .map(FixRow::from)
                .collect(),
            warnings: report.warnings,
            missing_exports,
            newer_images: report
                .newer_images
                .into_iter()
                .map(NewerImageRow::from)
                .collect(),
        }
    }
}

/// Which advisories a scan asks: the offline database when one was imported, else the
/// OSV API (`auto`), or only one of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "../ui/src/tauri/bindings/")]
pub enum ScanMode {
    Auto,
    Online,
    Offline,
}

impl From<ScanMode> for SourceMode {
    fn from(mode: ScanMode) -> SourceMode {
        match mode {
            ScanMode::Auto => SourceMode::Auto,
            ScanMode::Online => SourceMode::Online,
            ScanMode::Offline => SourceMode::Offline,
        }
    }
}

/// One imported export of the offline database.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "../ui/src/tauri/bindings/")]
pub struct EcosystemRow {
    /// The export's name, an OSV ecosystem (`Debian`, `PyPI`).
    pub ecosystem: String,
    /// RFC 3339.
    pub imported_at: String,
    #[ts(type = "number")]
    pub records: u64,
    /// Where it was downloaded from.
    pub url: String,
}

impl From<EcosystemStatus> for EcosystemRow {
    fn from(e: EcosystemStatus) -> EcosystemRow {
        EcosystemRow {
            ecosystem: e.ecosystem,
            imported_at: e.imported_at.rfc3339(),
            records: e.records,
            url: e.url,
        }
    }
}

/// What the offline vulnerability database holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "../ui/src/tauri/bindings/")]
pub struct VulnDbStatus {
    /// The database file.
    pub path: String,
    /// Whether one has been imported.
    pub present: bool,
    /// The latest import (RFC 3339).
    pub updated_at: Option<String>,
    #[ts(type = "number")]
    pub records: u64,
    pub ecosystems: Vec<EcosystemRow>,
    /// The ecosystems the Update button offers, by their OSV names.
    pub available: Vec<String>,
}

/// The ecosystems the Settings page offers to download, in the order it lists them.
pub const OFFERED_ECOSYSTEMS: [&str; 10] = [
    "Debian",
    "Ubuntu",
    "Alpine",
    "PyPI",
    "npm",
    "Go",
    "crates.io",
    "Maven",
    "RubyGems",
    "Packagist",
];

impl From<DbStatus> for VulnDbStatus {
    fn from(s: DbStatus) -> VulnDbStatus {
        VulnDbStatus {
            path: s.path.display().to_string(),
            present: s.present,
            updated_at: s.updated_at.map(|t| t.rfc3339()),
            records: s.records,
            ecosystems: s.ecosystems.into_iter().map(EcosystemRow::from).collect(),
            available: OFFERED_ECOSYSTEMS.iter().map(|&e| e.to_owned()).collect(),
        }
    }
}

/// A step of an offline-database update, streamed to the Settings page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(tag = "event", rename_all = "camelCase")]
#[ts(export_to = "../ui/src/tauri/bindings/")]
pub enum VulnDbProgress {
    #[serde(rename_all = "camelCase")]
    Downloading { ecosystem: String, url: String },
    #[serde(rename_all = "camelCase")]
    Downloaded {
        ecosystem: String,
        #[ts(type = "number")]
        bytes: u64,
    },
    #[serde(rename_all = "camelCase")]
    Imported {
        ecosystem: String,
        #[ts(type = "number")]
        records: u64,
        #[ts(type = "number")]
        skipped: u64,
    },
}

impl From<UpdateEvent> for VulnDbProgress {
    fn from(event: UpdateEvent) -> VulnDbProgress {
        match event {
            UpdateEvent::Downloading { ecosystem, url } => {
                VulnDbProgress::Downloading { ecosystem, url }
            }
            UpdateEvent::Downloaded { ecosystem, bytes } => {
                VulnDbProgress::Downloaded { ecosystem, bytes }
            }
            UpdateEvent::Imported {
                ecosystem,
                records,
                skipped,
            } => VulnDbProgress::Imported {
                ecosystem,
                records,
                skipped,
            },
        }
    }
}
