//! CVSS v2 base scores (the v2 guide, §3.2.1), for old advisories that carry nothing newer.

use std::str::FromStr;

use super::metrics::{self, Metric};
use super::{CvssError, Severity, round_half_up_1};

const AV: usize = 0;
const AC: usize = 1;
const AU: usize = 2;
const C: usize = 3;
const I: usize = 4;
const A: usize = 5;

const fn base(name: &'static str, values: &'static [&'static str]) -> Metric {
    Metric {
        name,
        values,
        mandatory: true,
    }
}

/// A temporal or environmental metric; its values start with `ND` (not defined).
const fn optional(name: &'static str, values: &'static [&'static str]) -> Metric {
    Metric {
        name,
        values,
        mandatory: false,
    }
}

const IMPACT: &[&str] = &["N", "P", "C"];
const REQUIREMENT: &[&str] = &["ND", "L", "M", "H"];

const TABLE: [Metric; 14] = [
    base("AV", &["L", "A", "N"]),
    base("AC", &["H", "M", "L"]),
    base("Au", &["M", "S", "N"]),
    base("C", IMPACT),
    base("I", IMPACT),
    base("A", IMPACT),
    optional("E", &["ND", "U", "POC", "F", "H"]),
    optional("RL", &["ND", "OF", "TF", "W", "U"]),
    optional("RC", &["ND", "UC", "UR", "C"]),
    optional("CDP", &["ND", "N", "L", "LM", "MH", "H"]),
    optional("TD", &["ND", "N", "L", "M", "H"]),
    optional("CR", REQUIREMENT),
    optional("IR", REQUIREMENT),
    optional("AR", REQUIREMENT),
];

// Weights in the order of the values in `TABLE`.
const AV_WEIGHTS: [f64; 3] = [0.395, 0.646, 1.0];
const AC_WEIGHTS: [f64; 3] = [0.35, 0.61, 0.71];
const AU_WEIGHTS: [f64; 3] = [0.45, 0.56, 0.704];
const IMPACT_WEIGHTS: [f64; 3] = [0.0, 0.275, 0.660];

/// A parsed CVSS v2 vector (`AV:N/AC:L/Au:N/C:P/I:P/A:P`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CvssV2 {
    values: [u8; TABLE.len()],
}

impl CvssV2 {
    /// Reads a v2 vector: the six base metrics in any order, with any of the temporal and
    /// environmental ones (validated, not scored). v2 vectors have no prefix; NVD's
    /// parenthesised form `(AV:N/…)` and a `CVSS:2.0/` prefix are accepted too, as is
    /// surrounding whitespace.
    pub fn parse(vector: &str) -> Result<CvssV2, CvssError> {
        let mut fields = vector.trim();
        if let Some(inner) = fields.strip_prefix('(').and_then(|f| f.strip_suffix(')')) {
            fields = inner;
        }
        fields = fields.strip_prefix("CVSS:2.0/").unwrap_or(fields);
        let parsed = metrics::parse(vector, fields, "2.0", &TABLE)?;
        Ok(CvssV2 {
            values: parsed.map(|value| value.unwrap_or(0)),
        })
    }

    /// The base score: `((0.6 × Impact) + (0.4 × Exploitability) − 1.5) × f(Impact)`, rounded
    /// half up to one decimal.
    pub fn base_score(&self) -> f64 {
        let weight = |metric: usize, weights: &[f64]| weights[usize::from(self.values[metric])];
        let impact = 10.41
            * (1.0
                - (1.0 - weight(C, &IMPACT_WEIGHTS))
                    * (1.0 - weight(I, &IMPACT_WEIGHTS))
                    * (1.0 - weight(A, &IMPACT_WEIGHTS)));
        let exploitability =
            20.0 * weight(AV, &AV_WEIGHTS) * weight(AC, &AC_WEIGHTS) * weight(AU, &AU_WEIGHTS);
        let f_impact = if impact == 0.0 { 0.0 } else { 1.176 };
        round_half_up_1(((0.6 * impact) + (0.4 * exploitability) - 1.5) * f_impact).max(0.0)
    }

    /// The base score's rating as NVD gives v2 scores: low below 4.0, medium below 7.0,
    /// high from 7.0 (v2 has no "none" or "critical").
    pub fn severity(&self) -> Severity {
        let score = self.base_score();
        if score >= 7.0 {
            Severity::High
        } else if score >= 4.0 {
            Severity::Medium
        } else {
            Severity::Low
        }
    }
}

impl FromStr for CvssV2 {
    type Err = CvssError;

    fn from_str(vector: &str) -> Result<CvssV2, CvssError> {
        CvssV2::parse(vector)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_match_the_value_lists() {
        for (metric, weights) in [
            (AV, AV_WEIGHTS.len()),
            (AC, AC_WEIGHTS.len()),
            (AU, AU_WEIGHTS.len()),
            (C, IMPACT_WEIGHTS.len()),
            (I, IMPACT_WEIGHTS.len()),
            (A, IMPACT_WEIGHTS.len()),
        ] {
            assert_eq!(
                TABLE[metric].values.len(),
                weights,
                "{}",
                TABLE[metric].name
            );
        }
    }
}
