//! CVSS base scores from vectors (placeholder until the calculator lands).

use super::Severity;

/// Which CVSS version a vector is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum CvssVersion {
    V3_0,
    V3_1,
    V4_0,
}

/// A vector's base score.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CvssScore {
    pub version: CvssVersion,
    pub score: f64,
    pub severity: Severity,
}

#[derive(Debug, thiserror::Error)]
pub enum CvssError {
    #[error("{vector:?} is not a CVSS vector: {reason}")]
    Invalid { vector: String, reason: String },
}

/// The base score of a CVSS v3.0, v3.1 or v4.0 vector (`CVSS:3.1/AV:N/…`).
pub fn base_score(vector: &str) -> Result<CvssScore, CvssError> {
    Err(CvssError::Invalid {
        vector: vector.to_owned(),
        reason: "the CVSS calculator is not implemented yet".into(),
    })
}
