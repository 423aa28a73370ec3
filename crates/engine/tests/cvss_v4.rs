//! CVSS v4.0: FIRST's worked examples, the rules around them, and bad vectors.

use porthole_engine::vulns::Severity;
use porthole_engine::vulns::cvss::{CvssError, CvssV4, CvssVersion, base_score};

fn score(vector: &str) -> f64 {
    base_score(vector)
        .unwrap_or_else(|e| panic!("{vector}: {e}"))
        .score
}

/// The vectors and scores of "CVSS v4.0: Examples" (https://www.first.org/cvss/v4.0/examples),
/// including its threat, environmental and supplemental variants.
const FIRST_V4_0_EXAMPLES: &[(&str, f64)] = &[
    (
        "CVSS:4.0/AV:L/AC:L/AT:P/PR:L/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
        7.3,
    ),
    (
        "CVSS:4.0/AV:N/AC:L/AT:P/PR:N/UI:P/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
        7.7,
    ),
    (
        "CVSS:4.0/AV:N/AC:L/AT:P/PR:N/UI:P/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:U",
        5.2,
    ),
    (
        "CVSS:4.0/AV:N/AC:L/AT:P/PR:N/UI:N/VC:H/VI:L/VA:L/SC:N/SI:N/SA:N",
        8.3,
    ),
    (
        "CVSS:4.0/AV:N/AC:L/AT:P/PR:N/UI:N/VC:H/VI:L/VA:L/SC:N/SI:N/SA:N/CR:H/IR:L/AR:L/MAV:N/MAC:H/MVC:H/MVI:L/MVA:L",
        8.1,
    ),
    (
        "CVSS:4.0/AV:L/AC:L/AT:N/PR:N/UI:A/VC:L/VI:N/VA:N/SC:N/SI:N/SA:N",
        4.6,
    ),
    (
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:A/VC:N/VI:N/VA:N/SC:L/SI:L/SA:N",
        5.1,
    ),
    (
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:L/SI:L/SA:N",
        6.9,
    ),
    (
        "CVSS:4.0/AV:L/AC:L/AT:N/PR:H/UI:N/VC:N/VI:N/VA:N/SC:H/SI:N/SA:N",
        5.9,
    ),
    (
        "CVSS:4.0/AV:L/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H",
        9.4,
    ),
    (
        "CVSS:4.0/AV:P/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:H/SA:N/S:P/V:D",
        8.3,
    ),
    (
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:N/VA:N/SC:N/SI:N/SA:N/E:A",
        8.7,
    ),
    (
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H/E:A",
        10.0,
    ),
    (
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:A",
        9.3,
    ),
    (
        "CVSS:4.0/AV:A/AC:L/AT:N/PR:N/UI:N/VC:N/VI:L/VA:N/SC:H/SI:N/SA:H",
        6.4,
    ),
    (
        "CVSS:4.0/AV:L/AC:L/AT:N/PR:H/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H/R:I",
        9.3,
    ),
    (
        "CVSS:4.0/AV:L/AC:L/AT:P/PR:H/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H/R:I",
        8.7,
    ),
    (
        "CVSS:4.0/AV:P/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H",
        8.6,
    ),
    (
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:L/UI:N/VC:H/VI:N/VA:N/SC:N/SI:N/SA:N",
        7.1,
    ),
    (
        "CVSS:4.0/AV:N/AC:L/AT:P/PR:N/UI:N/VC:H/VI:N/VA:N/SC:N/SI:N/SA:N",
        8.2,
    ),
    (
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:H/SC:N/SI:N/SA:L",
        8.7,
    ),
    (
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:H/SC:N/SI:N/SA:L/E:U",
        6.6,
    ),
    (
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:L/UI:P/VC:N/VI:N/VA:N/SC:L/SI:L/SA:N",
        5.1,
    ),
    (
        "CVSS:4.0/AV:N/AC:L/AT:P/PR:L/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
        7.7,
    ),
    (
        "CVSS:4.0/AV:L/AC:L/AT:N/PR:H/UI:N/VC:H/VI:H/VA:N/SC:N/SI:N/SA:N",
        8.3,
    ),
    (
        "CVSS:4.0/AV:L/AC:L/AT:N/PR:H/UI:N/VC:H/VI:H/VA:N/SC:N/SI:N/SA:N/E:U",
        5.6,
    ),
    (
        "CVSS:4.0/AV:L/AC:L/AT:N/PR:N/UI:P/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
        8.5,
    ),
    (
        "CVSS:4.0/AV:N/AC:L/AT:P/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:A",
        9.2,
    ),
    (
        "CVSS:4.0/AV:P/AC:L/AT:P/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
        5.4,
    ),
    (
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:N/VA:N/SC:N/SI:N/SA:N",
        8.7,
    ),
    (
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:H/UI:N/VC:H/VI:N/VA:N/SC:N/SI:N/SA:N",
        6.9,
    ),
    (
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
        9.3,
    ),
    (
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:N/SI:L/SA:N",
        6.9,
    ),
    (
        "CVSS:4.0/AV:L/AC:L/AT:N/PR:N/UI:P/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/S:P",
        8.5,
    ),
    (
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:L/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H/S:P/AU:Y/V:C/RE:L",
        9.4,
    ),
    (
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:L/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H/E:P/CR:L/IR:H/AR:L/MAV:L/MAC:H/MAT:N/MPR:N/MUI:N/MVC:N/MVI:H/MVA:L/MSC:N/MSI:S/MSA:L",
        7.0,
    ),
    (
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:L/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H/MAV:A/MAC:H/MAT:N/MPR:L/MUI:N/MVC:L/MVI:H/MVA:H/MSC:L/MSI:S/MSA:S/CR:L/IR:H/AR:H/E:P",
        7.4,
    ),
    (
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:L/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H/MAV:N/MAC:H/MAT:N/MPR:L/MUI:N/MVC:H/MVI:H/MVA:H/MSC:H/MSI:S/MSA:H/CR:M/IR:H/AR:M/E:P",
        8.7,
    ),
    (
        "CVSS:4.0/AV:A/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:N/SC:N/SI:N/SA:N/S:P",
        8.6,
    ),
    (
        "CVSS:4.0/AV:A/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:N/SC:N/SI:N/SA:N/MSI:S/S:P",
        9.7,
    ),
    (
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:H/SC:N/SI:N/SA:N/V:C",
        8.7,
    ),
];

#[test]
fn first_v4_0_examples() {
    for &(vector, expected) in FIRST_V4_0_EXAMPLES {
        let scored = base_score(vector).unwrap_or_else(|e| panic!("{vector}: {e}"));
        assert_eq!(scored.version, CvssVersion::V4_0);
        assert_eq!(scored.score, expected, "{vector}");
        assert_eq!(scored.severity, Severity::from_score(expected), "{vector}");
    }
}

#[test]
fn the_highest_and_lowest_vectors() {
    assert_eq!(
        score("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H"),
        10.0
    );
    // No impact on either system scores 0 whatever the exploitability.
    let none = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:N/SI:N/SA:N";
    assert_eq!(score(none), 0.0);
    assert_eq!(base_score(none).unwrap().severity, Severity::None);
    // …unless a modified metric adds one back.
    assert!(score(&format!("{none}/MVC:H")) > 0.0);
    assert_eq!(
        score("CVSS:4.0/AV:P/AC:H/AT:P/PR:H/UI:A/VC:L/VI:N/VA:N/SC:N/SI:N/SA:N/E:U"),
        0.1
    );
}

#[test]
fn undefined_metrics_are_the_same_as_absent_ones() {
    let base = "CVSS:4.0/AV:N/AC:L/AT:N/PR:L/UI:N/VC:H/VI:L/VA:N/SC:L/SI:N/SA:N";
    let undefined = format!(
        "{base}/E:X/CR:X/IR:X/AR:X/MAV:X/MAC:X/MAT:X/MPR:X/MUI:X/MVC:X/MVI:X/MVA:X/MSC:X/MSI:X/MSA:X\
         /S:X/AU:X/R:X/V:X/RE:X/U:X"
    );
    assert_eq!(score(&undefined), score(base));
    // Undefined threat and requirements count as the worst case, so stating it changes nothing.
    assert_eq!(score(&format!("{base}/E:A/CR:H/IR:H/AR:H")), score(base));
    // Supplemental metrics never change the score.
    assert_eq!(
        score(&format!("{base}/S:P/AU:Y/R:I/V:C/RE:H/U:Red")),
        score(base)
    );
}

#[test]
fn metrics_may_come_in_any_order() {
    assert_eq!(
        score("CVSS:4.0/SA:N/SI:N/SC:N/VA:H/VI:H/VC:H/UI:P/PR:N/AT:P/AC:L/AV:N/E:U"),
        5.2
    );
}

#[test]
fn nomenclature_names_the_metric_groups_used() {
    let base = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N";
    let name = |suffix: &str| {
        CvssV4::parse(&format!("{base}{suffix}"))
            .unwrap()
            .nomenclature()
    };
    assert_eq!(name(""), "CVSS-B");
    assert_eq!(name("/E:X/CR:X/S:P"), "CVSS-B");
    assert_eq!(name("/E:P"), "CVSS-BT");
    assert_eq!(name("/MAV:L"), "CVSS-BE");
    assert_eq!(name("/CR:L/E:U"), "CVSS-BTE");
}

#[test]
fn macro_vectors_follow_the_equivalence_classes() {
    let macro_vector = |vector: &str| CvssV4::parse(vector).unwrap().macro_vector().to_string();
    assert_eq!(
        macro_vector("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"),
        "000200"
    );
    assert_eq!(
        macro_vector("CVSS:4.0/AV:L/AC:H/AT:N/PR:L/UI:N/VC:L/VI:L/VA:L/SC:H/SI:N/SA:N/E:P"),
        "112111"
    );
    // Safety on a subsequent system is EQ4 level 0.
    assert_eq!(
        macro_vector("CVSS:4.0/AV:P/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:N/SC:N/SI:N/SA:N/MSA:S/AR:L"),
        "200000"
    );
}

#[test]
fn bad_vectors_say_what_is_wrong() {
    let full = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N";
    let err = |vector: &str| base_score(vector).expect_err(vector);

    assert!(matches!(
        err("CVSS:4.0/AV:N/AC:L/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"),
        CvssError::MissingMetric {
            metric: "AT",
            version: "4.0",
            ..
        }
    ));
    assert!(matches!(
        err(&format!("{full}/E:A/E:A")),
        CvssError::DuplicateMetric { metric: "E", .. }
    ));
    // v3 metrics are not v4 metrics.
    assert!(matches!(
        err(&format!("{full}/S:U")),
        CvssError::InvalidValue { metric: "S", .. }
    ));
    assert!(matches!(
        err(&format!("{full}/RL:O")),
        CvssError::UnknownMetric { metric, .. } if metric == "RL"
    ));
    // Safety is a modified subsequent integrity or availability value only.
    assert!(matches!(
        err("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:S/SA:N"),
        CvssError::InvalidValue { metric: "SI", .. }
    ));
    assert!(matches!(
        err(&format!("{full}/MSC:S")),
        CvssError::InvalidValue { metric: "MSC", .. }
    ));
    assert!(matches!(
        err(&format!("{full}/U:red")),
        CvssError::InvalidValue { metric: "U", .. }
    ));
    for malformed in [
        "CVSS:4.0/",
        &format!("{full}/"),
        &format!("{full}//E:A"),
        &format!("{full}/E"),
        "CVSS:4.0AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
    ] {
        assert!(
            matches!(
                base_score(malformed),
                Err(CvssError::Invalid { .. }) | Err(CvssError::UnsupportedVersion { .. })
            ),
            "{malformed:?}: {:?}",
            base_score(malformed)
        );
    }
    assert!(matches!(
        CvssV4::parse(full.trim_start_matches("CVSS:4.0/")),
        Err(CvssError::Invalid { .. })
    ));
}
