//! Vulnerabilities: which advisories (OSV format) affect the packages found in an image,
//! how severe they are, and how to fix them.
//!
//! - `version`: each ecosystem's own version ordering (dpkg, apk, rpm, PEP 440, SemVer, …),
//!   which OSV ranges are evaluated with.
//! - `cvss`: CVSS v3.x and v4.0 base scores computed from their vectors.

pub mod cvss;
pub mod version;

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
