//! How severe a finding is: the distribution's (or database's) own rating where the record
//! gives one, else the CVSS base score of its vector.
//!
//! Ratings are looked for, first found wins: in the matched `affected` entries'
//! `ecosystem_specific` / `database_specific` (`severity`, Debian's `urgency`), then in the
//! record's `database_specific.severity` (GitHub's `MODERATE`, …), then in `severity`
//! entries of a distro's own type (`Ubuntu`: `medium`). A rating that says nothing
//! (`not yet assigned`, `unimportant`) is passed over.
//!
//! CVSS vectors come from the matched entries' `severity`, else the record's; the newest
//! version wins (v4.0 over v3.x), and both the vector and its score are kept.

use serde::Serialize;
use serde_json::Value;

use super::Severity;
use super::cvss;
use super::osv::{Affected, SeverityScore, Vulnerability};

/// Where a finding's severity came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SeveritySource {
    /// The distribution's or advisory database's own rating.
    Rating,
    /// The CVSS base score.
    Cvss,
    /// Nothing: the severity is `unknown`.
    None,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Rated {
    pub severity: Severity,
    pub source: SeveritySource,
    pub cvss_score: Option<f64>,
    pub cvss_vector: Option<String>,
}

pub(crate) fn rate(record: &Vulnerability, entries: &[&Affected]) -> Rated {
    let (cvss_score, cvss_vector, cvss_severity) = cvss_of(record, entries);
    if let Some(severity) = own_rating(record, entries) {
        return Rated {
            severity,
            source: SeveritySource::Rating,
            cvss_score,
            cvss_vector,
        };
    }
    match cvss_severity {
        Some(severity) => Rated {
            severity,
            source: SeveritySource::Cvss,
            cvss_score,
            cvss_vector,
        },
        None => Rated {
            severity: Severity::Unknown,
            source: SeveritySource::None,
            cvss_score,
            cvss_vector,
        },
    }
}

fn own_rating(record: &Vulnerability, entries: &[&Affected]) -> Option<Severity> {
    let meaningful = |v: &Value| -> Option<Severity> {
        // Debian's tracker marks uncertain urgencies with stars (`low**`).
        Severity::parse(v.as_str()?.trim_end_matches('*')).filter(|s| *s != Severity::Unknown)
    };
    let from_specific = |v: &Value| -> Option<Severity> {
        ["severity", "urgency"]
            .iter()
            .find_map(|key| v.get(key).and_then(meaningful))
    };
    entries
        .iter()
        .find_map(|a| {
            from_specific(&a.ecosystem_specific).or_else(|| from_specific(&a.database_specific))
        })
        .or_else(|| {
            record
                .database_specific
                .get("severity")
                .and_then(meaningful)
        })
        .or_else(|| {
            let distro = |s: &&SeverityScore| !s.kind.starts_with("CVSS");
            entries
                .iter()
                .flat_map(|a| a.severity.iter())
                .chain(record.severity.iter())
                .filter(distro)
                .find_map(|s| Severity::parse(&s.score).filter(|s| *s != Severity::Unknown))
        })
}

/// The preferred CVSS vector, its score and severity (when it could be scored).
fn cvss_of(
    record: &Vulnerability,
    entries: &[&Affected],
) -> (Option<f64>, Option<String>, Option<Severity>) {
    let from_entries: Vec<&SeverityScore> =
        entries.iter().flat_map(|a| a.severity.iter()).collect();
    let scores: Vec<&SeverityScore> = if from_entries.iter().any(|s| is_cvss(s)) {
        from_entries
    } else {
        record.severity.iter().collect()
    };
    let pick = ["CVSS_V4", "CVSS_V3"].iter().find_map(|kind| {
        scores
            .iter()
            .find(|s| s.kind == *kind && !s.score.trim().is_empty())
    });
    let Some(chosen) = pick else {
        return (None, None, None);
    };
    let vector = chosen.score.trim().to_owned();
    match cvss::base_score(&vector) {
        Ok(score) => (Some(score.score), Some(vector), Some(score.severity)),
        Err(e) => {
            tracing::debug!(id = record.id, "cannot score {vector}: {e}");
            (None, Some(vector), None)
        }
    }
}

fn is_cvss(s: &SeverityScore) -> bool {
    matches!(s.kind.as_str(), "CVSS_V3" | "CVSS_V4")
}
