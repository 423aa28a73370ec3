//! CVSS v2 base scores, for old advisories: the v2 guide's examples and bad vectors.

use porthole_engine::vulns::Severity;
use porthole_engine::vulns::cvss::{CvssError, CvssV2, base_score};

fn score(vector: &str) -> f64 {
    CvssV2::parse(vector)
        .unwrap_or_else(|e| panic!("{vector}: {e}"))
        .base_score()
}

#[test]
fn the_v2_guide_examples() {
    // "A Complete Guide to the Common Vulnerability Scoring System Version 2.0", §3.3.
    assert_eq!(score("AV:N/AC:L/Au:N/C:N/I:N/A:C"), 7.8); // CVE-2002-0392 Apache chunked encoding
    assert_eq!(score("AV:N/AC:L/Au:N/C:C/I:C/A:C"), 10.0); // CVE-2003-0818 Microsoft ASN.1
    assert_eq!(score("AV:L/AC:H/Au:N/C:C/I:C/A:C"), 6.2); // CVE-2003-0062 NOD32 buffer overflow
    // Temporal metrics are read but do not change the base score.
    assert_eq!(score("AV:N/AC:L/Au:N/C:N/I:N/A:C/E:F/RL:OF/RC:C"), 7.8);
}

#[test]
fn nvd_scores() {
    assert_eq!(score("AV:N/AC:L/Au:N/C:P/I:P/A:P"), 7.5); // CVE-2014-0011
    assert_eq!(score("AV:N/AC:M/Au:N/C:P/I:P/A:N"), 5.8); // CVE-2020-0601
}

#[test]
fn severity_is_nvds_three_bands() {
    let rated = |vector| CvssV2::parse(vector).unwrap().severity();
    assert_eq!(rated("AV:N/AC:L/Au:N/C:C/I:C/A:C"), Severity::High);
    assert_eq!(rated("AV:L/AC:H/Au:N/C:C/I:C/A:C"), Severity::Medium);
    assert_eq!(rated("AV:L/AC:H/Au:M/C:N/I:N/A:N"), Severity::Low);
}

#[test]
fn accepted_spellings() {
    let plain = score("AV:N/AC:L/Au:N/C:P/I:P/A:P");
    assert_eq!(score("(AV:N/AC:L/Au:N/C:P/I:P/A:P)"), plain);
    assert_eq!(score("CVSS:2.0/AV:N/AC:L/Au:N/C:P/I:P/A:P"), plain);
    assert_eq!(score(" A:P/I:P/C:P/Au:N/AC:L/AV:N\n"), plain);
}

#[test]
fn bad_vectors() {
    assert!(matches!(
        CvssV2::parse("AV:N/AC:L/C:P/I:P/A:P"),
        Err(CvssError::MissingMetric { metric: "Au", .. })
    ));
    assert!(matches!(
        CvssV2::parse("AV:N/AC:L/Au:N/C:P/I:P/A:P/E:X"),
        Err(CvssError::InvalidValue { metric: "E", .. })
    ));
    assert!(matches!(
        CvssV2::parse("AV:N/AC:L/Au:N/C:P/I:P/A:P/S:U"),
        Err(CvssError::UnknownMetric { .. })
    ));
    assert!(CvssV2::parse("").is_err());
    assert!(CvssV2::parse("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H").is_err());
    // base_score is for prefixed (v3, v4) vectors, and says where v2 ones go.
    assert!(base_score("AV:N/AC:L/Au:N/C:P/I:P/A:P").is_err());
}
