//! CVSS v4.0: a vector's MacroVector (its six equivalence classes) gives a score from FIRST's
//! table, which is lowered by the vector's mean severity distance from the highest-severity
//! vectors of its MacroVector (specification §8.2). The arithmetic follows FIRST's reference
//! calculator (`cvss_score.js`) step for step, so that the floating point rounds as there.

use std::fmt;
use std::str::FromStr;

use super::metrics::{self, Metric};
use super::v4_tables::{
    EQ1_DEPTH, EQ1_MAX, EQ2_DEPTH, EQ2_MAX, EQ3_EQ6_DEPTH, EQ3_EQ6_MAX, EQ4_DEPTH, EQ4_MAX,
    macro_score,
};
use super::{CvssError, invalid, round_half_up_1};

// Positions of the metrics in `TABLE` (the specification's order). The modified form of the
// base metric at `m` is at `m + MODIFIED`.
const AV: usize = 0;
const AC: usize = 1;
const AT: usize = 2;
const PR: usize = 3;
const UI: usize = 4;
const VC: usize = 5;
const VI: usize = 6;
const VA: usize = 7;
const SC: usize = 8;
const SI: usize = 9;
const SA: usize = 10;
const E: usize = 11;
const CR: usize = 12;
const IR: usize = 13;
const AR: usize = 14;
const MODIFIED: usize = 15;
/// The first supplemental metric; they do not change the score.
const SUPPLEMENTAL: usize = 26;

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
/// Modified subsequent integrity and availability may also be Safety.
const MODIFIED_SAFETY_IMPACT: &[&str] = &["X", "S", "H", "L", "N"];
const REQUIREMENT: &[&str] = &["X", "H", "M", "L"];

const TABLE: [Metric; 32] = [
    base("AV", &["N", "A", "L", "P"]),
    base("AC", &["L", "H"]),
    base("AT", &["N", "P"]),
    base("PR", &["N", "L", "H"]),
    base("UI", &["N", "P", "A"]),
    base("VC", IMPACT),
    base("VI", IMPACT),
    base("VA", IMPACT),
    base("SC", IMPACT),
    base("SI", IMPACT),
    base("SA", IMPACT),
    optional("E", &["X", "A", "P", "U"]),
    optional("CR", REQUIREMENT),
    optional("IR", REQUIREMENT),
    optional("AR", REQUIREMENT),
    optional("MAV", &["X", "N", "A", "L", "P"]),
    optional("MAC", &["X", "L", "H"]),
    optional("MAT", &["X", "N", "P"]),
    optional("MPR", &["X", "N", "L", "H"]),
    optional("MUI", &["X", "N", "P", "A"]),
    optional("MVC", MODIFIED_IMPACT),
    optional("MVI", MODIFIED_IMPACT),
    optional("MVA", MODIFIED_IMPACT),
    optional("MSC", MODIFIED_IMPACT),
    optional("MSI", MODIFIED_SAFETY_IMPACT),
    optional("MSA", MODIFIED_SAFETY_IMPACT),
    optional("S", &["X", "N", "P"]),
    optional("AU", &["X", "N", "Y"]),
    optional("R", &["X", "A", "U", "I"]),
    optional("V", &["X", "D", "C"]),
    optional("RE", &["X", "L", "M", "H"]),
    optional("U", &["X", "Clear", "Green", "Amber", "Red"]),
];

/// A parsed CVSS v4.0 vector.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CvssV4 {
    /// Each metric's value as an index into its `TABLE` values; 0 (`X`) when an optional
    /// metric is absent.
    values: [u8; TABLE.len()],
}

/// A vector's six equivalence-class levels (EQ1 to EQ6), written as FIRST does (`"001100"`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MacroVector(pub [u8; 6]);

impl fmt::Display for MacroVector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|level| write!(f, "{level}"))
    }
}

impl CvssV4 {
    /// Reads a `CVSS:4.0/…` vector: all eleven base metrics, in any order, with any of the
    /// threat, environmental and supplemental ones (absent ones are `X`, not defined).
    pub fn parse(vector: &str) -> Result<CvssV4, CvssError> {
        let Some(fields) = vector.strip_prefix("CVSS:4.0/") else {
            return Err(invalid(vector, "it does not start with \"CVSS:4.0/\""));
        };
        let parsed = metrics::parse(vector, fields, "4.0", &TABLE)?;
        Ok(CvssV4 {
            values: parsed.map(|value| value.unwrap_or(0)),
        })
    }

    /// What the score measures: `CVSS-B` for base metrics only, `CVSS-BT` with threat
    /// metrics, `CVSS-BE` with environmental ones, `CVSS-BTE` with both (§1.3). Supplemental
    /// metrics do not count.
    pub fn nomenclature(&self) -> &'static str {
        let threat = self.values[E] != 0;
        let environmental = self.values[CR..SUPPLEMENTAL]
            .iter()
            .any(|&value| value != 0);
        match (threat, environmental) {
            (false, false) => "CVSS-B",
            (true, false) => "CVSS-BT",
            (false, true) => "CVSS-BE",
            (true, true) => "CVSS-BTE",
        }
    }

    /// The vector's MacroVector (§8.2, tables 24 to 29), from the metrics in force.
    pub fn macro_vector(&self) -> MacroVector {
        let m = |metric| self.effective(metric);
        let eq1 = match (m(AV), m(PR), m(UI)) {
            ("N", "N", "N") => 0,
            (av, pr, ui) if (av == "N" || pr == "N" || ui == "N") && av != "P" => 1,
            _ => 2,
        };
        let eq2 = u8::from(!(m(AC) == "L" && m(AT) == "N"));
        let eq3 = if m(VC) == "H" && m(VI) == "H" {
            0
        } else if m(VC) == "H" || m(VI) == "H" || m(VA) == "H" {
            1
        } else {
            2
        };
        let eq4 = if m(SI) == "S" || m(SA) == "S" {
            0
        } else if m(SC) == "H" || m(SI) == "H" || m(SA) == "H" {
            1
        } else {
            2
        };
        let eq5 = match m(E) {
            "A" => 0,
            "P" => 1,
            _ => 2,
        };
        let eq6 = u8::from(
            !((m(CR) == "H" && m(VC) == "H")
                || (m(IR) == "H" && m(VI) == "H")
                || (m(AR) == "H" && m(VA) == "H")),
        );
        MacroVector([eq1, eq2, eq3, eq4, eq5, eq6])
    }

    /// The score, rounded to one decimal, as FIRST's calculator computes it for this vector.
    pub fn score(&self) -> f64 {
        let m = |metric| self.effective(metric);
        if [VC, VI, VA, SC, SI, SA]
            .iter()
            .all(|&metric| m(metric) == "N")
        {
            return 0.0;
        }
        let macro_vector = self.macro_vector();
        let [eq1, eq2, eq3, eq4, _, eq6] = macro_vector.0;
        let Some(value) = macro_score(macro_vector.0) else {
            // Unreachable for parsed vectors: every MacroVector they produce is tabled.
            return 0.0;
        };

        // The score of the next lower MacroVector along each EQ, where there is one.
        let lower = |step: [u8; 6]| {
            let mut eqs = macro_vector.0;
            for (eq, add) in eqs.iter_mut().zip(step) {
                *eq += add;
            }
            macro_score(eqs)
        };
        let lower_eq1 = lower([1, 0, 0, 0, 0, 0]);
        let lower_eq2 = lower([0, 1, 0, 0, 0, 0]);
        let lower_eq3_eq6 = match (eq3, eq6) {
            (0, 1) | (1, 1) => lower([0, 0, 1, 0, 0, 0]),
            (1, 0) => lower([0, 0, 0, 0, 0, 1]),
            (0, 0) => {
                // Two ways down; the higher one counts.
                let left = lower([0, 0, 0, 0, 0, 1]);
                let right = lower([0, 0, 1, 0, 0, 0]);
                match (left, right) {
                    (Some(l), Some(r)) => Some(if l > r { l } else { r }),
                    _ => None,
                }
            }
            _ => lower([0, 0, 1, 0, 0, 1]),
        };
        let lower_eq4 = lower([0, 0, 0, 1, 0, 0]);
        let lower_eq5 = lower([0, 0, 0, 0, 1, 0]);

        let distance = self.severity_distance(eq1, eq2, eq3, eq4, eq6);
        let step = 0.1;
        let mut existing_lower = 0u32;
        let mut normalized = |lower: Option<f64>, current: f64, depth: u8| {
            let Some(lower) = lower else { return 0.0 };
            existing_lower += 1;
            let available = value - lower;
            available * (current / (f64::from(depth) * step))
        };
        let normalized_eq1 = normalized(lower_eq1, distance.eq1, EQ1_DEPTH[usize::from(eq1)]);
        let normalized_eq2 = normalized(lower_eq2, distance.eq2, EQ2_DEPTH[usize::from(eq2)]);
        let normalized_eq3_eq6 = normalized(
            lower_eq3_eq6,
            distance.eq3_eq6,
            EQ3_EQ6_DEPTH[usize::from(eq3)][usize::from(eq6)],
        );
        let normalized_eq4 = normalized(lower_eq4, distance.eq4, EQ4_DEPTH[usize::from(eq4)]);
        // EQ5 (exploit maturity) has no distance within a level: it counts, but as 0.
        if lower_eq5.is_some() {
            existing_lower += 1;
        }
        let normalized_eq5 = 0.0;

        let mean_distance = if existing_lower == 0 {
            0.0
        } else {
            (normalized_eq1 + normalized_eq2 + normalized_eq3_eq6 + normalized_eq4 + normalized_eq5)
                / f64::from(existing_lower)
        };
        round_half_up_1((value - mean_distance).clamp(0.0, 10.0))
    }

    /// The severity distances of this vector from the first highest-severity vector of its
    /// MacroVector that is at least as severe in every metric, summed per EQ. When none is,
    /// the last one is used (as the reference calculator does).
    fn severity_distance(&self, eq1: u8, eq2: u8, eq3: u8, eq4: u8, eq6: u8) -> Distance {
        let m = |metric| self.effective(metric);
        let [av, pr, ui, ac, at] = [AV, PR, UI, AC, AT].map(m);
        let [vc, vi, va, sc, si, sa] = [VC, VI, VA, SC, SI, SA].map(m);
        let [cr, ir, ar] = [CR, IR, AR].map(m);

        let eq3_eq6_maxes = EQ3_EQ6_MAX[usize::from(eq3)][usize::from(eq6)];
        let mut found = [0.0; 14];
        'search: for max1 in EQ1_MAX[usize::from(eq1)] {
            for max2 in EQ2_MAX[usize::from(eq2)] {
                for max36 in eq3_eq6_maxes {
                    for max4 in EQ4_MAX[usize::from(eq4)] {
                        found = [
                            level_av(av) - level_av(max1[0]),
                            level_pr(pr) - level_pr(max1[1]),
                            level_ui(ui) - level_ui(max1[2]),
                            level_ac(ac) - level_ac(max2[0]),
                            level_at(at) - level_at(max2[1]),
                            level_impact(vc) - level_impact(max36[0]),
                            level_impact(vi) - level_impact(max36[1]),
                            level_impact(va) - level_impact(max36[2]),
                            level_subsequent(sc) - level_subsequent(max4[0]),
                            level_subsequent(si) - level_subsequent(max4[1]),
                            level_subsequent(sa) - level_subsequent(max4[2]),
                            level_requirement(cr) - level_requirement(max36[3]),
                            level_requirement(ir) - level_requirement(max36[4]),
                            level_requirement(ar) - level_requirement(max36[5]),
                        ];
                        if found.iter().all(|&d| d >= 0.0) {
                            break 'search;
                        }
                    }
                }
            }
        }
        let [
            d_av,
            d_pr,
            d_ui,
            d_ac,
            d_at,
            d_vc,
            d_vi,
            d_va,
            d_sc,
            d_si,
            d_sa,
            d_cr,
            d_ir,
            d_ar,
        ] = found;
        Distance {
            eq1: d_av + d_pr + d_ui,
            eq2: d_ac + d_at,
            eq3_eq6: d_vc + d_vi + d_va + d_cr + d_ir + d_ar,
            eq4: d_sc + d_si + d_sa,
        }
    }

    /// The value in force for a metric: for a base metric its modified form when defined,
    /// else the base value; an undefined exploit maturity counts as Attacked and undefined
    /// security requirements as High (the worst case).
    fn effective(&self, metric: usize) -> &'static str {
        let value = |metric: usize| TABLE[metric].values[usize::from(self.values[metric])];
        match metric {
            AV..=SA if self.values[metric + MODIFIED] != 0 => value(metric + MODIFIED),
            E if self.values[E] == 0 => "A",
            CR | IR | AR if self.values[metric] == 0 => "H",
            _ => value(metric),
        }
    }
}

impl FromStr for CvssV4 {
    type Err = CvssError;

    fn from_str(vector: &str) -> Result<CvssV4, CvssError> {
        CvssV4::parse(vector)
    }
}

/// Severity distances summed per EQ (EQ5 has none).
struct Distance {
    eq1: f64,
    eq2: f64,
    eq3_eq6: f64,
    eq4: f64,
}

// Each metric value's severity level, in steps of 0.1 from the most severe (`cvss_score.js`).

fn level_av(value: &str) -> f64 {
    match value {
        "N" => 0.0,
        "A" => 0.1,
        "L" => 0.2,
        _ => 0.3,
    }
}

fn level_pr(value: &str) -> f64 {
    match value {
        "N" => 0.0,
        "L" => 0.1,
        _ => 0.2,
    }
}

fn level_ui(value: &str) -> f64 {
    match value {
        "N" => 0.0,
        "P" => 0.1,
        _ => 0.2,
    }
}

fn level_ac(value: &str) -> f64 {
    if value == "L" { 0.0 } else { 0.1 }
}

fn level_at(value: &str) -> f64 {
    if value == "N" { 0.0 } else { 0.1 }
}

/// VC, VI and VA.
fn level_impact(value: &str) -> f64 {
    match value {
        "H" => 0.0,
        "L" => 0.1,
        _ => 0.2,
    }
}

/// SC, SI and SA (only SI and SA may be Safety).
fn level_subsequent(value: &str) -> f64 {
    match value {
        "S" => 0.0,
        "H" => 0.1,
        "L" => 0.2,
        _ => 0.3,
    }
}

/// CR, IR and AR.
fn level_requirement(value: &str) -> f64 {
    match value {
        "H" => 0.0,
        "M" => 0.1,
        _ => 0.2,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vulns::cvss::v4_tables::MACRO_SCORES;

    #[test]
    fn modified_metrics_follow_their_base_metric() {
        for base in AV..=SA {
            let modified = &TABLE[base + MODIFIED];
            assert_eq!(modified.name[1..], *TABLE[base].name);
            assert_eq!(modified.values[0], "X");
            for value in TABLE[base].values {
                assert!(modified.values.contains(value), "{} {value}", modified.name);
            }
        }
        assert_eq!(TABLE[SUPPLEMENTAL].name, "S");
    }

    #[test]
    fn the_macro_table_is_sorted_and_complete() {
        assert!(MACRO_SCORES.windows(2).all(|pair| pair[0].0 < pair[1].0));
        // 3 × 2 × 3 × 3 × 3 × 2 MacroVectors, less the 2 × 3 × 2 × 3 with EQ3 2 and EQ6 0.
        assert_eq!(MACRO_SCORES.len(), 3 * 2 * 3 * 3 * 3 * 2 - 3 * 2 * 3 * 3);
        assert_eq!(macro_score([0, 0, 0, 0, 0, 0]), Some(10.0));
        assert_eq!(macro_score([2, 1, 2, 2, 2, 1]), Some(0.1));
        assert_eq!(macro_score([0, 0, 2, 0, 0, 0]), None);
        assert_eq!(macro_score([3, 0, 0, 0, 0, 0]), None);
    }

    #[test]
    fn macro_vector_reads_the_metrics_in_force() {
        let v = CvssV4::parse("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H")
            .unwrap();
        assert_eq!(v.macro_vector().to_string(), "000100");
        let v = CvssV4::parse(
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H/MAV:P/MSI:S/E:U/CR:L/IR:L/AR:L",
        )
        .unwrap();
        assert_eq!(v.macro_vector().to_string(), "200021");
    }
}
