//! [`ScanReport`]: what a scan found, as `porthole vulns --json` prints it (snake_case).

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::Severity;
use super::db::EcosystemStatus;
use super::ecosystem::NotCovered;
use super::rating::SeveritySource;
use super::time::Timestamp;
use crate::Digest;
use crate::packages::PackageType;

/// The result of [`scan()`](super::scan()).
#[derive(Clone, Debug, Serialize)]
pub struct ScanReport {
    pub source: SourceInfo,
    /// Packages given to the scan.
    pub packages_scanned: usize,
    /// Of those, the ones matched against advisories.
    pub packages_covered: usize,
    /// Findings by severity.
    pub counts: SeverityCounts,
    /// Most severe first; each advisory once per package.
    pub findings: Vec<Finding>,
    /// Packages that were not checked, and why.
    pub not_covered: Vec<UncoveredPackage>,
    /// Per package, the upgrade that clears the most critical and high findings; the most
    /// useful first.
    pub recommended_fixes: Vec<RecommendedFix>,
    /// Things a person should know (records skipped, versions that could not be compared).
    pub warnings: Vec<String>,
    /// Newer images of the same repository in the store, and whether they have fewer
    /// critical and high findings (filled by the front end: see [`super::newer`]).
    pub newer_images: Vec<super::newer::NewerImage>,
}

/// Where the advisories came from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SourceInfo {
    pub kind: SourceKind,
    /// The API (online) base URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// The database file (offline).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<PathBuf>,
    /// When the offline database was last updated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub imported_at: Option<Timestamp>,
    /// What the offline database holds.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ecosystems: Vec<EcosystemStatus>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    Online,
    Offline,
}

/// One advisory affecting one installed package.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Finding {
    /// The advisory (`DSA-5532-1`, `GHSA-…`, `PYSEC-…`).
    pub id: String,
    /// Its other names (CVE ids first).
    pub aliases: Vec<String>,
    pub summary: Option<String>,
    pub severity: Severity,
    /// Whether `severity` is the distro's/database's rating or computed from CVSS.
    pub severity_source: SeveritySource,
    pub cvss_score: Option<f64>,
    pub cvss_vector: Option<String>,
    /// The installed package, by its own name (`libssl3`).
    pub package: String,
    /// Its installed version.
    pub version: String,
    #[serde(rename = "type")]
    pub kind: PackageType,
    pub purl: String,
    /// The OSV ecosystem it was matched in (`Debian:12`).
    pub ecosystem: String,
    /// The name it was matched by, when not its own (the source package `openssl`).
    pub matched_name: Option<String>,
    /// The lowest version above the installed one that fixes this advisory.
    pub fixed_version: Option<String>,
    pub layer: Option<usize>,
    pub layer_digest: Option<Digest>,
    /// `https://osv.dev/vulnerability/<id>`.
    pub url: String,
}

/// Counts of findings per severity.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeverityCounts {
    pub critical: usize,
    pub high: usize,
    pub medium: usize,
    pub low: usize,
    pub none: usize,
    pub unknown: usize,
    pub total: usize,
}

impl SeverityCounts {
    pub fn add(&mut self, severity: Severity) {
        *match severity {
            Severity::Critical => &mut self.critical,
            Severity::High => &mut self.high,
            Severity::Medium => &mut self.medium,
            Severity::Low => &mut self.low,
            Severity::None => &mut self.none,
            Severity::Unknown => &mut self.unknown,
        } += 1;
        self.total += 1;
    }

    pub fn of(&self, severity: Severity) -> usize {
        match severity {
            Severity::Critical => self.critical,
            Severity::High => self.high,
            Severity::Medium => self.medium,
            Severity::Low => self.low,
            Severity::None => self.none,
            Severity::Unknown => self.unknown,
        }
    }
}

/// A package that was not checked.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct UncoveredPackage {
    pub package: String,
    pub version: String,
    #[serde(rename = "type")]
    pub kind: PackageType,
    pub purl: String,
    /// The OSV ecosystem it would be matched in, when that is known.
    pub ecosystem: Option<String>,
    pub reason: NotCovered,
    /// The reason, for a person.
    pub message: String,
}

/// An upgrade that clears findings.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RecommendedFix {
    /// The package to upgrade, as the advisories name it (the source package for distros).
    pub package: String,
    #[serde(rename = "type")]
    pub kind: PackageType,
    pub ecosystem: String,
    pub installed_version: String,
    pub target_version: String,
    /// The installed packages this upgrade concerns (binary packages of a source package).
    pub packages: Vec<String>,
    /// The advisories it clears, by severity.
    pub clears: SeverityCounts,
    /// Their ids, most severe first.
    pub cleared_ids: Vec<String>,
    /// Advisories of this package the upgrade leaves open.
    pub remaining: usize,
}

impl ScanReport {
    /// The exports the offline database lacks for this image's packages (for "run
    /// `porthole vulndb update Debian PyPI`"), sorted.
    pub fn missing_exports(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .not_covered
            .iter()
            .filter(|u| u.reason == NotCovered::NotImported)
            .filter_map(|u| u.ecosystem.as_deref())
            .map(|e| super::ecosystem::base(e).to_owned())
            .collect();
        out.sort();
        out.dedup();
        out
    }

    /// The report with only findings of the given severities (`--severity high,critical`):
    /// the counts are recomputed, and fixes that clear none of them are dropped.
    pub fn only_severities(&self, keep: &[Severity]) -> ScanReport {
        let mut out = self.clone();
        out.findings.retain(|f| keep.contains(&f.severity));
        out.counts = SeverityCounts::default();
        for f in &out.findings {
            out.counts.add(f.severity);
        }
        out.recommended_fixes
            .retain(|fix| keep.iter().any(|s| fix.clears.of(*s) > 0));
        out
    }
}
