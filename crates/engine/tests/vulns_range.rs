//! OSV range evaluation: the schema's algorithm over each ecosystem's ordering.

mod vulns_support;

use porthole_engine::vulns::osv::{self, Affected};
use porthole_engine::vulns::range::{RangeError, is_affected, lowest_fix_above};
use porthole_engine::vulns::version::VersionScheme;
use serde_json::{Value, json};
use vulns_support::record;

fn affected(v: Value) -> Affected {
    serde_json::from_value(v).unwrap()
}

/// One `affected` entry with one range of `kind` and `events`.
fn range(kind: &str, events: Value) -> Affected {
    affected(json!({
        "package": {"ecosystem": "PyPI", "name": "x"},
        "ranges": [{"type": kind, "events": events}]
    }))
}

fn hits(a: &Affected, scheme: VersionScheme, versions: &[&str]) -> Vec<bool> {
    versions
        .iter()
        .map(|v| is_affected(a, v, Some(scheme)).unwrap())
        .collect()
}

#[test]
fn introduced_zero_and_fixed() {
    let a = range(
        "ECOSYSTEM",
        json!([{"introduced": "0"}, {"fixed": "2.31.0"}]),
    );
    assert_eq!(
        hits(
            &a,
            VersionScheme::Pep440,
            &["0.1", "2.30.9", "2.31.0rc1", "2.31.0", "2.32"]
        ),
        [true, true, true, false, false]
    );
}

#[test]
fn introduced_is_inclusive_and_fixed_is_exclusive() {
    let a = range(
        "ECOSYSTEM",
        json!([{"introduced": "2.3.0"}, {"fixed": "2.31.0"}]),
    );
    assert_eq!(
        hits(
            &a,
            VersionScheme::Pep440,
            &["2.2.9", "2.3.0", "2.3", "2.30.0", "2.31.0"]
        ),
        [false, true, true, true, false]
    );
}

#[test]
fn last_affected_is_inclusive() {
    let a = range(
        "SEMVER",
        json!([{"introduced": "0"}, {"last_affected": "2.0.1"}]),
    );
    assert_eq!(
        hits(
            &a,
            VersionScheme::Semver,
            &["1.1.9", "2.0.1", "2.0.2", "3.0.0"]
        ),
        [true, true, false, false]
    );
}

#[test]
fn limit_caps_a_range() {
    let a = range(
        "SEMVER",
        json!([{"introduced": "1.0.0"}, {"limit": "1.5.0"}]),
    );
    assert_eq!(
        hits(
            &a,
            VersionScheme::Semver,
            &["0.9.0", "1.0.0", "1.4.9", "1.5.0", "2.0.0"]
        ),
        [false, true, true, false, false]
    );
    // `*` is no limit at all.
    let open = range("SEMVER", json!([{"introduced": "1.0.0"}, {"limit": "*"}]));
    assert!(is_affected(&open, "9.0.0", Some(VersionScheme::Semver)).unwrap());
}

#[test]
fn unsorted_events_are_sorted_by_the_ecosystem_order() {
    // PYSEC-2023-100 lists three branches in one range, newest first.
    let django = record("PYSEC-2023-100.json");
    let a = &django.affected[0];
    let versions = [
        "3.1.14", "3.2", "3.2.19", "3.2.20", "3.2.25", "4.0", "4.1.9", "4.1.10", "4.2a1", "4.2rc1",
        "4.2.2", "4.2.3", "5.0",
    ];
    let expected = [
        false, true, true, false, false, true, true, false, true, true, true, false, false,
    ];
    assert_eq!(hits(a, VersionScheme::Pep440, &versions), expected);
}

#[test]
fn several_ranges_and_entries_are_each_tried() {
    let a = affected(json!({
        "package": {"ecosystem": "npm", "name": "semver"},
        "ranges": [
            {"type": "SEMVER", "events": [{"introduced": "7.0.0"}, {"fixed": "7.5.2"}]},
            {"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "5.7.2"}]}
        ]
    }));
    assert_eq!(
        hits(
            &a,
            VersionScheme::Semver,
            &["5.7.1", "5.7.2", "6.3.0", "7.3.8", "7.5.2"]
        ),
        [true, false, false, true, false]
    );
}

#[test]
fn a_range_reintroduced_after_a_fix() {
    let a = range(
        "ECOSYSTEM",
        json!([{"introduced": "1.0"}, {"fixed": "1.2"}, {"introduced": "1.5"}]),
    );
    assert_eq!(
        hits(
            &a,
            VersionScheme::Pep440,
            &["0.9", "1.1", "1.2", "1.4", "1.5", "3.0"]
        ),
        [false, true, false, false, true, true]
    );
}

#[test]
fn the_versions_list_alone_decides_without_an_ordering() {
    let ipc = record("MAL-2022-4691.json");
    let a = &ipc.affected[0];
    // No scheme at all: a listed version still matches.
    assert!(is_affected(a, "10.1.1", None).unwrap());
    assert!(!is_affected(a, "10.1.3", None).unwrap());
    assert!(!is_affected(a, "9.2.2", Some(VersionScheme::Semver)).unwrap());
}

#[test]
fn git_ranges_are_ignored() {
    let a = affected(json!({
        "package": {"ecosystem": "PyPI", "name": "x"},
        "ranges": [{"type": "GIT", "repo": "https://github.com/x/x",
                    "events": [{"introduced": "0"}, {"fixed": "a1b2c3d"}]}]
    }));
    assert!(!is_affected(&a, "1.0", Some(VersionScheme::Pep440)).unwrap());
}

#[test]
fn debian_ranges_use_dpkg_order_with_tilde_and_epoch() {
    let dsa = record("DSA-5532-1.json");
    let a = &dsa.affected[0];
    assert_eq!(
        hits(
            a,
            VersionScheme::Dpkg,
            &[
                "3.0.9-1",
                "3.0.11-1~deb12u1",
                "3.0.11-1~deb12u2",
                "3.0.11-1",
                "1:0.1-1"
            ]
        ),
        [true, true, false, false, false]
    );
}

#[test]
fn an_ecosystem_range_without_an_ordering_is_an_error() {
    let a = range("ECOSYSTEM", json!([{"introduced": "0"}, {"fixed": "1.0"}]));
    assert!(matches!(
        is_affected(&a, "0.5", None),
        Err(RangeError::NoScheme { .. })
    ));
}

#[test]
fn the_lowest_fix_above_the_installed_version_on_its_branch() {
    let django = record("PYSEC-2023-100.json");
    let entries: Vec<&Affected> = django.affected.iter().collect();
    let fix = |v| lowest_fix_above(&entries, v, Some(VersionScheme::Pep440));
    assert_eq!(fix("3.2.1").as_deref(), Some("3.2.20"));
    assert_eq!(fix("4.1.0").as_deref(), Some("4.1.10"));
    assert_eq!(fix("4.2.1").as_deref(), Some("4.2.3"));
    assert_eq!(fix("4.2.3"), None);

    let semver = record("GHSA-c2qf-rxjj-qqgw.json");
    let entries: Vec<&Affected> = semver.affected.iter().collect();
    assert_eq!(
        lowest_fix_above(&entries, "6.1.0", Some(VersionScheme::Semver)).as_deref(),
        Some("6.3.1")
    );

    // last_affected: nothing fixes it.
    let ip = record("GHSA-2p57-rm9w-gvfp.json");
    let entries: Vec<&Affected> = ip.affected.iter().collect();
    assert_eq!(
        lowest_fix_above(&entries, "2.0.1", Some(VersionScheme::Semver)),
        None
    );
}

#[test]
fn malformed_records_fail_to_parse_without_panicking_and_odd_fields_default() {
    assert!(osv::parse(b"not json").is_err());
    assert!(osv::parse(br#"{"id": 5}"#).is_err());
    assert!(osv::parse(br#"{"summary": "no id"}"#).is_err());
    assert!(osv::parse(br#"[1, 2]"#).is_err());
    let odd = osv::parse(
        br#"{"id": "X-1", "aliases": null, "severity": "HIGH", "future_field": {"a": 1},
            "affected": [7, {"package": {"ecosystem": "npm", "name": "a"},
              "ranges": [{"type": "SOMETHING_NEW", "events": [{"introduced": "0"}]}],
              "versions": ["1.0", 2]}]}"#,
    )
    .unwrap();
    assert!(odd.aliases.is_empty() && odd.severity.is_empty());
    assert_eq!(odd.affected.len(), 1);
    assert_eq!(odd.affected[0].versions, ["1.0"]);
    // An unknown range type never matches.
    assert!(!is_affected(&odd.affected[0], "0.5", Some(VersionScheme::Semver)).unwrap());
}
