//! CVSS v3.0 and v3.1: the equations of the specifications' section 7 (3.1) and 8 (3.0).

use std::str::FromStr;

use super::metrics::{self, Metric};
use super::{CvssError, CvssVersion, invalid};

// Positions of the metrics in `TABLE` (the specification's order).
const AV: usize = 0;
const AC: usize = 1;
const PR: usize = 2;
const UI: usize = 3;
const S: usize = 4;
const C: usize = 5;
const I: usize = 6;
const A: usize = 7;
const E: usize = 8;
const RL: usize = 9;
const RC: usize = 10;
const CR: usize = 11;
const IR: usize = 12;
const AR: usize = 13;
const MAV: usize = 14;
const MAC: usize = 15;
const MPR: usize = 16;
const MUI: usize = 17;
const MS: usize = 18;
const MC: usize = 19;
const MI: usize = 20;
const MA: usize = 21;

const fn base(name: &'static str, values: &'static [&'static str]) -> Metric {
    Metric {
        name,
        values,
        mandatory: true,
    }
}

/// An optional metric; its values start with `X` (not defined), the default.
const fn optional(name: &'static str, values: &'static [&'static str]) -> Metric {
    Metric {
        name,
        values,
        mandatory: false,
    }
}

const IMPACT: &[&str] = &["H", "L", "N"];
const MODIFIED_IMPACT: &[&str] = &["X", "H", "L", "N"];
const REQUIREMENT: &[&str] = &["X", "H", "M", "L"];

const TABLE: [Metric; 22] = [
    base("AV", &["N", "A", "L", "P"]),
    base("AC", &["L", "H"]),
    base("PR", &["N", "L", "H"]),
    base("UI", &["N", "R"]),
    base("S", &["U", "C"]),
    base("C", IMPACT),
    base("I", IMPACT),
    base("A", IMPACT),
    optional("E", &["X", "H", "F", "P", "U"]),
    optional("RL", &["X", "U", "W", "T", "O"]),
    optional("RC", &["X", "C", "R", "U"]),
    optional("CR", REQUIREMENT),
    optional("IR", REQUIREMENT),
    optional("AR", REQUIREMENT),
    optional("MAV", &["X", "N", "A", "L", "P"]),
    optional("MAC", &["X", "L", "H"]),
    optional("MPR", &["X", "N", "L", "H"]),
    optional("MUI", &["X", "N", "R"]),
    optional("MS", &["X", "U", "C"]),
    optional("MC", MODIFIED_IMPACT),
    optional("MI", MODIFIED_IMPACT),
    optional("MA", MODIFIED_IMPACT),
];

// Metric weights, in the order of the values in `TABLE`. A modified metric's values are
// `X` followed by its base metric's values, and it is weighted as that base metric.
const AV_WEIGHTS: [f64; 4] = [0.85, 0.62, 0.55, 0.2];
const AC_WEIGHTS: [f64; 2] = [0.77, 0.44];
const PR_UNCHANGED_WEIGHTS: [f64; 3] = [0.85, 0.62, 0.27];
/// Privileges Required weighs more when the scope is changed.
const PR_CHANGED_WEIGHTS: [f64; 3] = [0.85, 0.68, 0.5];
const UI_WEIGHTS: [f64; 2] = [0.85, 0.62];
const IMPACT_WEIGHTS: [f64; 3] = [0.56, 0.22, 0.0];
const E_WEIGHTS: [f64; 5] = [1.0, 1.0, 0.97, 0.94, 0.91];
const RL_WEIGHTS: [f64; 5] = [1.0, 1.0, 0.97, 0.96, 0.95];
const RC_WEIGHTS: [f64; 4] = [1.0, 1.0, 0.96, 0.92];
const REQUIREMENT_WEIGHTS: [f64; 4] = [1.0, 1.5, 1.0, 0.5];
/// The value index of a changed scope in `S` (and, after `X`, in `MS`).
const SCOPE_CHANGED: usize = 1;

/// A parsed CVSS v3.0 or v3.1 vector.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CvssV3 {
    version: CvssVersion,
    /// Each metric's value as an index into its `TABLE` values; 0 (`X`) when an optional
    /// metric is absent.
    values: [u8; TABLE.len()],
}

impl CvssV3 {
    /// Reads a `CVSS:3.0/…` or `CVSS:3.1/…` vector: all eight base metrics, in any order,
    /// with any of the temporal and environmental ones.
    pub fn parse(vector: &str) -> Result<CvssV3, CvssError> {
        let (version, fields, name) = if let Some(rest) = vector.strip_prefix("CVSS:3.1/") {
            (CvssVersion::V3_1, rest, "3.1")
        } else if let Some(rest) = vector.strip_prefix("CVSS:3.0/") {
            (CvssVersion::V3_0, rest, "3.0")
        } else {
            return Err(invalid(
                vector,
                "it does not start with \"CVSS:3.0/\" or \"CVSS:3.1/\"",
            ));
        };
        let parsed = metrics::parse(vector, fields, name, &TABLE)?;
        Ok(CvssV3 {
            version,
            values: parsed.map(|value| value.unwrap_or(0)),
        })
    }

    pub fn version(&self) -> CvssVersion {
        self.version
    }

    /// The base score (specification 3.1 §7.1).
    pub fn base_score(&self) -> f64 {
        let changed = self.index(S) == SCOPE_CHANGED;
        let impact_subscore = 1.0
            - (1.0 - self.weight(C, &IMPACT_WEIGHTS))
                * (1.0 - self.weight(I, &IMPACT_WEIGHTS))
                * (1.0 - self.weight(A, &IMPACT_WEIGHTS));
        let impact = if changed {
            7.52 * (impact_subscore - 0.029) - 3.25 * (impact_subscore - 0.02).powi(15)
        } else {
            6.42 * impact_subscore
        };
        let pr_weights = if changed {
            &PR_CHANGED_WEIGHTS
        } else {
            &PR_UNCHANGED_WEIGHTS
        };
        let exploitability = 8.22
            * self.weight(AV, &AV_WEIGHTS)
            * self.weight(AC, &AC_WEIGHTS)
            * self.weight(PR, pr_weights)
            * self.weight(UI, &UI_WEIGHTS);
        if impact <= 0.0 {
            0.0
        } else if changed {
            roundup((1.08 * (impact + exploitability)).min(10.0))
        } else {
            roundup((impact + exploitability).min(10.0))
        }
    }

    /// The temporal score (§7.2): the base score weighed by exploit maturity, remediation
    /// level and report confidence (all 1 when not defined).
    pub fn temporal_score(&self) -> f64 {
        roundup(self.base_score() * self.temporal_factor())
    }

    /// The environmental score (§7.3): the base equations over the modified metrics
    /// (falling back to the base ones when not defined) and the security requirements,
    /// then the temporal factor.
    pub fn environmental_score(&self) -> f64 {
        let changed = self.modified_index(MS, S) == SCOPE_CHANGED;
        let requirement = |metric| self.weight(metric, &REQUIREMENT_WEIGHTS);
        let modified_impact_weight =
            |modified, base| IMPACT_WEIGHTS[self.modified_index(modified, base)];
        let subscore = (1.0
            - (1.0 - modified_impact_weight(MC, C) * requirement(CR))
                * (1.0 - modified_impact_weight(MI, I) * requirement(IR))
                * (1.0 - modified_impact_weight(MA, A) * requirement(AR)))
        .min(0.915);
        let impact = if !changed {
            6.42 * subscore
        } else if self.version == CvssVersion::V3_0 {
            7.52 * (subscore - 0.029) - 3.25 * (subscore - 0.02).powi(15)
        } else {
            // 3.1 changed the curve so that the environmental score cannot exceed the base.
            7.52 * (subscore - 0.029) - 3.25 * (subscore * 0.9731 - 0.02).powi(13)
        };
        let pr_weights = if changed {
            &PR_CHANGED_WEIGHTS
        } else {
            &PR_UNCHANGED_WEIGHTS
        };
        let exploitability = 8.22
            * AV_WEIGHTS[self.modified_index(MAV, AV)]
            * AC_WEIGHTS[self.modified_index(MAC, AC)]
            * pr_weights[self.modified_index(MPR, PR)]
            * UI_WEIGHTS[self.modified_index(MUI, UI)];
        if impact <= 0.0 {
            return 0.0;
        }
        let modified_base = if changed {
            roundup((1.08 * (impact + exploitability)).min(10.0))
        } else {
            roundup((impact + exploitability).min(10.0))
        };
        roundup(modified_base * self.temporal_factor())
    }

    fn temporal_factor(&self) -> f64 {
        self.weight(E, &E_WEIGHTS) * self.weight(RL, &RL_WEIGHTS) * self.weight(RC, &RC_WEIGHTS)
    }

    fn index(&self, metric: usize) -> usize {
        usize::from(self.values[metric])
    }

    fn weight(&self, metric: usize, weights: &[f64]) -> f64 {
        weights[self.index(metric)]
    }

    /// The value index, among its base metric's values, in force for a modified metric:
    /// the modified value when defined, else the base value.
    fn modified_index(&self, modified: usize, base: usize) -> usize {
        match self.index(modified) {
            0 => self.index(base),
            defined => defined - 1,
        }
    }
}

impl FromStr for CvssV3 {
    type Err = CvssError;

    fn from_str(vector: &str) -> Result<CvssV3, CvssError> {
        CvssV3::parse(vector)
    }
}

/// The smallest number with one decimal that is at least `value` (CVSS's Roundup).
///
/// Both versions define Roundup as that mathematical ceiling. Computed naively in binary
/// floating point (`ceil(x * 10) / 10`, as the 3.0 reference calculator did) it lifts
/// float noise to the next tenth: a base of 5.0 with RC:U is 5.0 × 0.92 = 4.6000000000000005,
/// which becomes 4.7. CVSS 3.1's Appendix A fixes this by first rounding to five decimals
/// (this function); it is used for 3.0 vectors too, so that both score as exact arithmetic
/// does.
fn roundup(value: f64) -> f64 {
    // Scores are within 0..=10, so the scaled value fits an i64 exactly.
    let scaled = (value * 100_000.0).round() as i64;
    if scaled % 10_000 == 0 {
        scaled as f64 / 100_000.0
    } else {
        (scaled.div_euclid(10_000) + 1) as f64 / 10.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_match_the_value_lists() {
        let pairs: [(usize, usize); 11] = [
            (AV, AV_WEIGHTS.len()),
            (AC, AC_WEIGHTS.len()),
            (PR, PR_UNCHANGED_WEIGHTS.len()),
            (PR, PR_CHANGED_WEIGHTS.len()),
            (UI, UI_WEIGHTS.len()),
            (C, IMPACT_WEIGHTS.len()),
            (E, E_WEIGHTS.len()),
            (RL, RL_WEIGHTS.len()),
            (RC, RC_WEIGHTS.len()),
            (CR, REQUIREMENT_WEIGHTS.len()),
            (AR, REQUIREMENT_WEIGHTS.len()),
        ];
        for (metric, weights) in pairs {
            assert_eq!(
                TABLE[metric].values.len(),
                weights,
                "{}",
                TABLE[metric].name
            );
        }
        for (modified, base) in [
            (MAV, AV),
            (MAC, AC),
            (MPR, PR),
            (MUI, UI),
            (MS, S),
            (MC, C),
            (MI, I),
            (MA, A),
        ] {
            assert_eq!(TABLE[modified].name[1..], *TABLE[base].name);
            assert_eq!(TABLE[modified].values[0], "X");
            assert_eq!(TABLE[modified].values[1..], *TABLE[base].values);
        }
    }

    #[test]
    fn roundup_is_the_ceiling_to_a_tenth() {
        // The specification's examples (3.1 §7.4 and Appendix A).
        assert_eq!(roundup(4.02), 4.1);
        assert_eq!(roundup(4.00), 4.0);
        assert_eq!(roundup(0.0), 0.0);
        assert_eq!(roundup(10.0), 10.0);
        // Float noise above a tenth is not a tenth more.
        assert_eq!(roundup(4.6000000000000005), 4.6);
        assert_eq!(roundup(0.1 + 0.2), 0.3);
        assert_eq!(roundup(4.00001), 4.1);
    }
}
