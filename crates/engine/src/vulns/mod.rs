//! Vulnerabilities: which advisories (OSV format) affect the packages found in an image,
//! how severe they are, and how to fix them.
//!
//! - `version`: each ecosystem's own version ordering (dpkg, apk, rpm, PEP 440, SemVer, …),
//!   which OSV ranges are evaluated with.
//! - `cvss`: CVSS v3.x and v4.0 base scores computed from their vectors.
//! - [`osv`]: the OSV record format; [`range`]: whether a version is in an advisory's
//!   ranges; [`ecosystem`]: which OSV ecosystem and name a package is known by.
//! - [`api`]: the OSV API (online); [`db`]: the offline database built from OSV's
//!   per-ecosystem exports; [`source`]: either of them behind one [`Source`].
//! - [`scan`](mod@scan): packages → [`ScanReport`] (findings, severities, fixes);
//!   [`rating`]: a finding's severity; `fixes`: recommended upgrades.
//! - [`image`](mod@image): an image of the store scanned ([`scan_image`]), compared with
//!   the newer images of its repository ([`compare_newer`]), and its [`summary`] (counts,
//!   source, time) kept in the store for the Images list ([`load_summary`]).
//!
//! The two calls a front end needs: [`scan_with_config`] ("check these packages with the
//! configured source") and [`VulnDb::update_from_config`] ("refresh the offline database"),
//! with [`VulnDb::status`] to show what it holds.

pub mod api;
pub mod cvss;
pub mod db;
pub mod ecosystem;
mod error;
mod fixes;
mod http;
pub mod image;
pub mod newer;
pub mod osv;
pub mod range;
pub mod rating;
pub mod report;
pub mod scan;
pub mod source;
pub mod summary;
pub mod time;
pub mod version;

pub use api::{DEFAULT_API_URL, OsvApi};
pub use db::{
    DEFAULT_DATA_URL, DbStatus, EcosystemStatus, UpdateEvent, UpdateOptions, UpdateReport, VulnDb,
};
pub use ecosystem::{KNOWN_EXPORTS, NotCovered, Target};
pub use error::VulnError;
pub use http::Retry;
pub use image::{ImageScan, MAX_NEWER, compare_newer, scan_and_compare, scan_image};
pub use newer::{NewerImage, newer_images};
pub use rating::SeveritySource;
pub use report::{
    Finding, RecommendedFix, ScanReport, SeverityCounts, SourceInfo, SourceKind, UncoveredPackage,
};
pub use scan::{ScanOptions, scan, scan_with_config};
pub use source::{Source, SourceMode};
pub use summary::{ScanSummary, load_summary, save_summary};

use serde::{Deserialize, Serialize};

/// A finding's severity, as the CVSS qualitative scale names it (and distros rate).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// No rating known.
    Unknown,
    None,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Unknown => "unknown",
            Severity::None => "none",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    /// Reads a severity name in any case (`HIGH`, `Moderate` is `medium`, `important` is
    /// `high` as Red Hat rates).
    pub fn parse(s: &str) -> Option<Severity> {
        Some(match s.trim().to_ascii_lowercase().as_str() {
            "unknown" | "unimportant" | "not yet assigned" => Severity::Unknown,
            "none" | "negligible" => Severity::None,
            "low" => Severity::Low,
            "medium" | "moderate" => Severity::Medium,
            "high" | "important" => Severity::High,
            "critical" => Severity::Critical,
            _ => return None,
        })
    }

    /// The CVSS qualitative rating of a base score (0.0 none, 0.1–3.9 low, 4.0–6.9
    /// medium, 7.0–8.9 high, 9.0–10.0 critical).
    pub fn from_score(score: f64) -> Severity {
        if score >= 9.0 {
            Severity::Critical
        } else if score >= 7.0 {
            Severity::High
        } else if score >= 4.0 {
            Severity::Medium
        } else if score > 0.0 {
            Severity::Low
        } else {
            Severity::None
        }
    }
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
