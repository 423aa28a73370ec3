//! CVSS v3.0 and v3.1: FIRST's worked examples, the rules around them, and bad vectors.

use porthole_engine::vulns::Severity;
use porthole_engine::vulns::cvss::{CvssError, CvssV3, CvssVersion, base_score};

fn score(vector: &str) -> f64 {
    base_score(vector)
        .unwrap_or_else(|e| panic!("{vector}: {e}"))
        .score
}

/// Every example of "CVSS v3.1: Examples" (https://www.first.org/cvss/v3.1/examples), as
/// (CVE and title, vector, base score).
const FIRST_V3_1_EXAMPLES: &[(&str, &str, f64)] = &[
    (
        "CVE-2013-1937 phpMyAdmin reflected XSS",
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N",
        6.1,
    ),
    (
        "CVE-2013-0375 MySQL stored SQL injection",
        "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:L/I:L/A:N",
        6.4,
    ),
    (
        "CVE-2014-3566 SSLv3 POODLE",
        "CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:N/A:N",
        3.1,
    ),
    (
        "CVE-2012-1516 VMware guest to host escape",
        "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:H/I:H/A:H",
        9.9,
    ),
    (
        "CVE-2009-0783 Apache Tomcat XML parser",
        "CVSS:3.1/AV:L/AC:L/PR:H/UI:N/S:U/C:L/I:L/A:L",
        4.2,
    ),
    (
        "CVE-2012-0384 Cisco IOS command execution",
        "CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H",
        7.2,
    ),
    (
        "CVE-2015-1098 Apple iWork denial of service",
        "CVSS:3.1/AV:L/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H",
        7.8,
    ),
    (
        "CVE-2014-0160 OpenSSL Heartbleed",
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N",
        7.5,
    ),
    (
        "CVE-2014-6271 GNU Bash Shellshock",
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        9.8,
    ),
    (
        "CVE-2008-1447 DNS Kaminsky bug",
        "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:C/C:N/I:H/A:N",
        6.8,
    ),
    (
        "CVE-2014-2005 Sophos login screen bypass",
        "CVSS:3.1/AV:P/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        6.8,
    ),
    (
        "CVE-2010-0467 Joomla directory traversal",
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:L/I:N/A:N",
        5.8,
    ),
    (
        "CVE-2012-1342 Cisco access control bypass",
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:N/I:L/A:N",
        5.8,
    ),
    (
        "CVE-2013-6014 Juniper proxy ARP denial of service",
        "CVSS:3.1/AV:A/AC:L/PR:N/UI:N/S:C/C:H/I:N/A:H",
        9.3,
    ),
    (
        "CVE-2019-7551 Cantemo Portal stored XSS",
        "CVSS:3.1/AV:N/AC:L/PR:L/UI:R/S:C/C:H/I:H/A:H",
        9.0,
    ),
    (
        "CVE-2009-0658 Adobe Acrobat buffer overflow",
        "CVSS:3.1/AV:L/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H",
        7.8,
    ),
    (
        "CVE-2011-1265 Windows Bluetooth remote code execution",
        "CVSS:3.1/AV:A/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        8.8,
    ),
    (
        "CVE-2014-2019 Apple iOS security control bypass",
        "CVSS:3.1/AV:P/AC:L/PR:N/UI:N/S:U/C:N/I:H/A:N",
        4.6,
    ),
    (
        "CVE-2015-0970 SearchBlox CSRF",
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H",
        8.8,
    ),
    (
        "CVE-2014-0224 SSL/TLS MITM",
        "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:N",
        7.4,
    ),
    (
        "CVE-2012-5376 Chrome sandbox bypass",
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:H/I:H/A:H",
        9.6,
    ),
    (
        "CVE-2016-1645 Chrome PDFium remote code execution",
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H",
        8.8,
    ),
    (
        "CVE-2016-0128 Badlock",
        "CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:H/I:H/A:N",
        6.8,
    ),
    (
        "CVE-2016-2118 Badlock",
        "CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:H/I:H/A:H",
        7.5,
    ),
    (
        "CVE-2017-5942 WordPress mail plugin reflected XSS",
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N",
        6.1,
    ),
    (
        "CVE-2018-18913 Opera DLL search order hijacking",
        "CVSS:3.1/AV:L/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H",
        7.8,
    ),
    (
        "CVE-2016-5558 Oracle Outside In remote code execution",
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:L/A:L",
        8.6,
    ),
    (
        "CVE-2016-5729 Lenovo ThinkPwn",
        "CVSS:3.1/AV:L/AC:L/PR:H/UI:N/S:C/C:H/I:H/A:H",
        8.2,
    ),
    (
        "CVE-2015-2890 failure to lock flash on resume",
        "CVSS:3.1/AV:L/AC:L/PR:H/UI:N/S:U/C:N/I:H/A:H",
        6.0,
    ),
    (
        "CVE-2018-3652 Intel DCI",
        "CVSS:3.1/AV:P/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H",
        7.6,
    ),
    (
        "CVE-2019-0884 scripting engine memory corruption",
        "CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:L/A:N",
        4.2,
    ),
];

/// Examples of "CVSS v3.0: Examples" (https://www.first.org/cvss/v3.0/examples) that the
/// v3.1 document does not repeat or scored differently.
const FIRST_V3_0_EXAMPLES: &[(&str, &str, f64)] = &[
    (
        "CVE-2013-1937 phpMyAdmin reflected XSS",
        "CVSS:3.0/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N",
        6.1,
    ),
    (
        "CVE-2014-9253 DokuWiki reflected XSS",
        "CVSS:3.0/AV:N/AC:L/PR:L/UI:R/S:C/C:L/I:L/A:N",
        5.4,
    ),
    (
        "CVE-2012-0384 Cisco IOS command execution",
        "CVSS:3.0/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H",
        8.8,
    ),
];

#[test]
fn first_v3_1_examples() {
    for &(example, vector, expected) in FIRST_V3_1_EXAMPLES {
        let scored = base_score(vector).unwrap_or_else(|e| panic!("{example}: {e}"));
        assert_eq!(scored.version, CvssVersion::V3_1, "{example}");
        assert_eq!(scored.score, expected, "{example}: {vector}");
        assert_eq!(scored.severity, Severity::from_score(expected), "{example}");
    }
}

#[test]
fn first_v3_0_examples() {
    for &(example, vector, expected) in FIRST_V3_0_EXAMPLES {
        let scored = base_score(vector).unwrap_or_else(|e| panic!("{example}: {e}"));
        assert_eq!(scored.version, CvssVersion::V3_0, "{example}");
        assert_eq!(scored.score, expected, "{example}: {vector}");
    }
}

#[test]
fn metrics_may_come_in_any_order() {
    // The specification's own example of a reordered vector (3.1 §6).
    assert_eq!(score("CVSS:3.1/S:U/AV:N/AC:L/PR:H/UI:N/C:L/I:L/A:N"), 3.8);
    assert_eq!(
        score("CVSS:3.1/A:H/I:H/C:H/S:U/UI:N/PR:N/AC:L/AV:N"),
        score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H")
    );
}

#[test]
fn severity_follows_the_qualitative_scale() {
    let rated = |vector| base_score(vector).unwrap().severity;
    assert_eq!(
        rated("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N"),
        Severity::None
    );
    assert_eq!(
        rated("CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:N/A:N"),
        Severity::Low
    );
    assert_eq!(
        rated("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N"),
        Severity::Medium
    );
    assert_eq!(
        rated("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N"),
        Severity::High
    );
    assert_eq!(
        rated("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H"),
        Severity::Critical
    );
}

#[test]
fn no_impact_scores_zero_whatever_the_scope() {
    assert_eq!(score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N"), 0.0);
    assert_eq!(score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:N/I:N/A:N"), 0.0);
}

#[test]
fn scope_change_weighs_privileges_more_and_caps_at_ten() {
    assert_eq!(score("CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H"), 7.2);
    assert_eq!(score("CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:C/C:H/I:H/A:H"), 9.1);
    assert_eq!(score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H"), 10.0);
}

#[test]
fn temporal_and_environmental_metrics_leave_the_base_score_alone() {
    let base = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H";
    let full = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:U/RL:O/RC:U/CR:L/IR:L/AR:L/\
                MAV:P/MAC:H/MPR:H/MUI:R/MS:U/MC:N/MI:N/MA:L";
    assert_eq!(score(full), score(base));
    let cvss = CvssV3::parse(full).unwrap();
    assert!(cvss.temporal_score() < cvss.base_score());
    assert!(cvss.environmental_score() < cvss.temporal_score());
}

#[test]
fn temporal_and_environmental_scores() {
    // Scores as FIRST's calculator and RedHat's cvss give them.
    let cvss = CvssV3::parse("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:P/RL:O/RC:C").unwrap();
    assert_eq!(
        (
            cvss.base_score(),
            cvss.temporal_score(),
            cvss.environmental_score()
        ),
        (9.8, 8.8, 8.8)
    );
    // Explicit X is the same as absent.
    for vector in [
        "CVSS:3.1/AV:L/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H/MAV:A/MAC:L/MPR:N/MUI:X/MS:U/CR:L/IR:H/AR:X",
        "CVSS:3.1/AV:L/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H/MAV:A/MAC:L/MPR:N/MS:U/CR:L/IR:H",
    ] {
        let cvss = CvssV3::parse(vector).unwrap();
        assert_eq!(
            (
                cvss.base_score(),
                cvss.temporal_score(),
                cvss.environmental_score()
            ),
            (7.8, 7.8, 8.0)
        );
    }
}

#[test]
fn v3_1_changed_the_modified_impact_curve() {
    // With a changed modified scope, 3.0 uses (MISS − 0.02)^15 and 3.1 (MISS × 0.9731 − 0.02)^13.
    let metrics = "AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H/CR:H/IR:H/AR:H/MS:C";
    let v30 = CvssV3::parse(&format!("CVSS:3.0/{metrics}")).unwrap();
    let v31 = CvssV3::parse(&format!("CVSS:3.1/{metrics}")).unwrap();
    assert_eq!(v30.version(), CvssVersion::V3_0);
    assert_eq!((v30.base_score(), v30.environmental_score()), (8.8, 9.6));
    assert_eq!((v31.base_score(), v31.environmental_score()), (8.8, 9.7));
}

/// Regression: 5.0 × 0.92 (RC:U) is 4.6000000000000005 in binary floating point, and a naive
/// `ceil(x * 10) / 10` Roundup (3.0's reference calculator) made it 4.7. Exact arithmetic,
/// the 3.1 Roundup and RedHat's cvss all give 4.6, for 3.0 and 3.1 alike.
#[test]
fn roundup_does_not_lift_float_noise_to_the_next_tenth() {
    for version in ["3.0", "3.1"] {
        let cvss = CvssV3::parse(&format!(
            "CVSS:{version}/AV:N/AC:L/PR:L/UI:N/S:C/C:L/I:N/A:N/RC:U"
        ))
        .unwrap();
        assert_eq!(cvss.base_score(), 5.0, "{version}");
        assert_eq!(cvss.temporal_score(), 4.6, "{version}");
        assert_eq!(cvss.environmental_score(), 4.6, "{version}");
    }
}

#[test]
fn surrounding_whitespace_is_ignored() {
    assert_eq!(
        score(" CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H\n"),
        9.8
    );
}

#[test]
fn bad_vectors_say_what_is_wrong() {
    let full = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H";
    let err = |vector: &str| base_score(vector).expect_err(vector);

    assert!(matches!(
        err("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H"),
        CvssError::MissingMetric {
            metric: "A",
            version: "3.1",
            ..
        }
    ));
    assert!(matches!(
        err("CVSS:3.1/AV:N/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"),
        CvssError::DuplicateMetric { metric: "AV", .. }
    ));
    assert!(matches!(
        err(&format!("{full}/E:X/E:H")),
        CvssError::DuplicateMetric { metric: "E", .. }
    ));
    assert!(matches!(
        err(&format!("{full}/XX:Y")),
        CvssError::UnknownMetric { metric, .. } if metric == "XX"
    ));
    // Names and values are case-sensitive; v4 metrics are not v3 metrics.
    assert!(matches!(
        err("CVSS:3.1/av:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"),
        CvssError::UnknownMetric { metric, .. } if metric == "av"
    ));
    assert!(matches!(
        err(&format!("{full}/AT:N")),
        CvssError::UnknownMetric { metric, .. } if metric == "AT"
    ));
    assert!(matches!(
        err("CVSS:3.1/AV:n/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"),
        CvssError::InvalidValue { metric: "AV", value, .. } if value == "n"
    ));
    // X is for optional metrics only.
    assert!(matches!(
        err("CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"),
        CvssError::InvalidValue { metric: "AV", .. }
    ));
    for malformed in [
        "",
        "CVSS:3.1",
        "CVSS:3.1/",
        &format!("{full}/"),
        "CVSS:3.1//AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        "CVSS:3.1/AVN/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        "CVSS:3.1/AV:/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        "CVSS:3.1/AV:N:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        "AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        "cvss:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
    ] {
        assert!(
            matches!(base_score(malformed), Err(CvssError::Invalid { .. })),
            "{malformed:?}: {:?}",
            base_score(malformed)
        );
    }
    for other in [
        "CVSS:3.2/AV:N",
        "CVSS:2.0/AV:N/AC:L/Au:N/C:P/I:P/A:P",
        "CVSS:/AV:N",
        "CVSS:",
    ] {
        assert!(
            matches!(base_score(other), Err(CvssError::UnsupportedVersion { .. })),
            "{other:?}: {:?}",
            base_score(other)
        );
    }
}

#[test]
fn errors_name_the_vector_and_the_fix() {
    let message = base_score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H")
        .unwrap_err()
        .to_string();
    assert!(message.contains("CVSS:3.1/AV:N"), "{message}");
    assert!(message.contains("lacks the A metric"), "{message}");
    let message = base_score("AV:N/AC:L/Au:N/C:P/I:P/A:P")
        .unwrap_err()
        .to_string();
    assert!(message.contains("CvssV2::parse"), "{message}");
    let message = base_score("CVSS:3.1/AV:Q/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H")
        .unwrap_err()
        .to_string();
    assert!(message.contains("N, A, L, P"), "{message}");
}

#[test]
fn huge_vectors_are_quoted_clipped() {
    let huge = format!("CVSS:3.1/{}", "AV:N/".repeat(100_000));
    let message = base_score(&huge).unwrap_err().to_string();
    assert!(message.len() < 1_000, "{} bytes", message.len());
}
