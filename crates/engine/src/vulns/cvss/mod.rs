//! CVSS scores computed from vectors, as FIRST's specifications define them.
//!
//! - `v3`: CVSS v3.0 and v3.1 (base, temporal and environmental scores).
//! - `v4`: CVSS v4.0 (MacroVector lookup and interpolation, as FIRST's reference calculator).
//! - `v2`: the old CVSS v2 base score, for advisories that carry nothing newer.
//! - `metrics`: reading the `NAME:VALUE/…` list that all versions share.
//!
//! [`base_score`] is the entry point for the vectors advisories carry (`CVSS:3.1/…`,
//! `CVSS:4.0/…`); v2 vectors have no prefix and are read with [`CvssV2::parse`].

mod metrics;
mod v2;
mod v3;
mod v4;
mod v4_tables;

use std::fmt;

use super::Severity;

pub use v2::CvssV2;
pub use v3::CvssV3;
pub use v4::{CvssV4, MacroVector};

/// Which CVSS version a vector is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum CvssVersion {
    V3_0,
    V3_1,
    V4_0,
}

impl CvssVersion {
    /// The version as vectors spell it after `CVSS:` (`3.1`).
    pub fn as_str(self) -> &'static str {
        match self {
            CvssVersion::V3_0 => "3.0",
            CvssVersion::V3_1 => "3.1",
            CvssVersion::V4_0 => "4.0",
        }
    }
}

impl fmt::Display for CvssVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A vector's base score.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CvssScore {
    pub version: CvssVersion,
    pub score: f64,
    pub severity: Severity,
}

impl CvssScore {
    fn new(version: CvssVersion, score: f64) -> CvssScore {
        CvssScore {
            version,
            score,
            severity: Severity::from_score(score),
        }
    }
}

/// Why a vector could not be scored. Vectors come from advisories fetched over the network,
/// so the text quoted back (`vector`, `metric`, `value`) is clipped to a readable length.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CvssError {
    /// The text is not shaped like a CVSS vector (no `CVSS:x.y/` prefix, an empty field, a
    /// field that is not `NAME:VALUE`).
    #[error("{vector:?} is not a CVSS vector: {reason}")]
    Invalid { vector: String, reason: String },
    /// A well-formed prefix naming a version this module does not score.
    #[error(
        "{vector:?} is a CVSS {version} vector; only CVSS 3.0, 3.1 and 4.0 vectors are scored \
         (v2 vectors, which have no prefix, are read with CvssV2::parse)"
    )]
    UnsupportedVersion { vector: String, version: String },
    /// A mandatory (base) metric is absent.
    #[error(
        "{vector:?} lacks the {metric} metric, which every CVSS {version} vector must give; \
         the advisory's vector is incomplete"
    )]
    MissingMetric {
        vector: String,
        version: &'static str,
        metric: &'static str,
    },
    /// A metric given twice, even with the same value.
    #[error("{vector:?} gives the {metric} metric more than once")]
    DuplicateMetric {
        vector: String,
        metric: &'static str,
    },
    /// A metric name the version does not define (names are case-sensitive).
    #[error("{vector:?} names {metric:?}, which is not a CVSS {version} metric")]
    UnknownMetric {
        vector: String,
        version: &'static str,
        metric: String,
    },
    /// A value the metric does not allow.
    #[error("{vector:?} gives {metric} the value {value:?}; CVSS {version} allows {allowed}")]
    InvalidValue {
        vector: String,
        version: &'static str,
        metric: &'static str,
        value: String,
        allowed: String,
    },
}

/// The score of a CVSS v3.0, v3.1 or v4.0 vector (`CVSS:3.1/AV:N/…`, `CVSS:4.0/AV:N/…`).
///
/// - v3.x: the base score. Temporal and environmental metrics may be present; they are
///   validated but do not change the base score ([`CvssV3`] computes those scores too).
/// - v4.0: the score FIRST's calculator gives the vector as written. With only base metrics
///   that is the base score (CVSS-B); threat or environmental metrics, when the vector
///   carries them, take part as the specification says (CVSS-BT, CVSS-BE, CVSS-BTE; see
///   [`CvssV4::nomenclature`]).
///
/// Metrics may come in any order; unknown, duplicate or missing mandatory metrics are errors.
/// Surrounding whitespace is ignored. Never panics.
pub fn base_score(vector: &str) -> Result<CvssScore, CvssError> {
    let trimmed = vector.trim();
    let Some(rest) = trimmed.strip_prefix("CVSS:") else {
        let reason = if trimmed.contains("Au:") {
            "it has no \"CVSS:x.y/\" prefix (it looks like a CVSS v2 vector: read it with CvssV2::parse)"
        } else {
            "it does not start with \"CVSS:x.y/\""
        };
        return Err(invalid(vector, reason));
    };
    let version = rest.split('/').next().unwrap_or_default();
    match version {
        "3.0" | "3.1" => {
            let cvss = CvssV3::parse(trimmed)?;
            Ok(CvssScore::new(cvss.version(), cvss.base_score()))
        }
        "4.0" => Ok(CvssScore::new(
            CvssVersion::V4_0,
            CvssV4::parse(trimmed)?.score(),
        )),
        _ => Err(CvssError::UnsupportedVersion {
            vector: clip(vector, VECTOR_CLIP),
            version: clip(version, FIELD_CLIP),
        }),
    }
}

/// How much of a vector an error quotes back.
const VECTOR_CLIP: usize = 200;
/// How much of a metric name or value an error quotes back.
const FIELD_CLIP: usize = 40;

/// At most `max` characters of `text`, with `…` when cut.
fn clip(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_owned(),
    }
}

fn invalid(vector: &str, reason: &str) -> CvssError {
    CvssError::Invalid {
        vector: clip(vector, VECTOR_CLIP),
        reason: reason.to_owned(),
    }
}

/// Rounds half up to one decimal, after lifting the value by 10⁻⁶ so that a tie computed a
/// hair low in binary floating point (5.6499999999999995 for 5.65) still rounds up. This is
/// the final rounding of FIRST's v4.0 calculator and of RedHat's `cvss` (also used for v2).
fn round_half_up_1(value: f64) -> f64 {
    ((value + 1e-6) * 10.0).round() / 10.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clip_cuts_on_character_boundaries() {
        assert_eq!(clip("abc", 5), "abc");
        assert_eq!(clip("ééééé", 2), "éé…");
        assert_eq!(clip("", 0), "");
    }

    #[test]
    fn half_up_rounding_lifts_ties_computed_low() {
        assert_eq!(round_half_up_1(5.6499999999999995), 5.7);
        assert_eq!(round_half_up_1(5.64), 5.6);
        assert_eq!(round_half_up_1(0.0), 0.0);
        assert_eq!(round_half_up_1(10.0), 10.0);
    }
}
