//! Matching packages to advisories: ecosystem mapping, source-package matching, severity,
//! deduplication, fixes and the report's shape.

mod vulns_support;

use porthole_engine::packages::{OsRelease, PackageType};
use porthole_engine::vulns::ecosystem::{NotCovered, target};
use porthole_engine::vulns::{ScanOptions, ScanReport, Severity, scan};
use vulns_support::*;

fn t(p: &porthole_engine::packages::Package, os: Option<&OsRelease>) -> (String, String, String) {
    let t = target(p, os).unwrap();
    (t.ecosystem, t.name, t.version)
}

fn s(a: &str, b: &str, c: &str) -> (String, String, String) {
    (a.into(), b.into(), c.into())
}

#[test]
fn debian_packages_match_on_their_source_package_and_version() {
    let os = debian12();
    let p = deb("libssl3", "3.0.9-1+b1", "openssl", "3.0.9-1");
    assert_eq!(t(&p, Some(&os)), s("Debian:12", "openssl", "3.0.9-1"));
    // A release known only by its codename (testing images).
    let trixie = OsRelease {
        version_id: None,
        version_codename: Some("trixie".into()),
        ..debian12()
    };
    assert_eq!(t(&p, Some(&trixie)).0, "Debian:13");
}

#[test]
fn ubuntu_releases_carry_lts_as_osv_names_them() {
    let p = deb(
        "libssl3",
        "3.0.2-0ubuntu1.12",
        "openssl",
        "3.0.2-0ubuntu1.12",
    );
    let jammy = OsRelease {
        version: Some("22.04.4 LTS (Jammy Jellyfish)".into()),
        ..os("ubuntu", "22.04")
    };
    assert_eq!(t(&p, Some(&jammy)).0, "Ubuntu:22.04:LTS");
    assert_eq!(t(&p, Some(&os("ubuntu", "24.04"))).0, "Ubuntu:24.04:LTS");
    assert_eq!(t(&p, Some(&os("ubuntu", "23.10"))).0, "Ubuntu:23.10");
}

#[test]
fn alpine_matches_the_origin_in_its_release_branch() {
    let mut p = pkg(PackageType::Apk, "libcrypto3", "3.1.3-r0");
    p.source_name = Some("openssl".into());
    assert_eq!(
        t(&p, Some(&os("alpine", "3.18.4"))),
        s("Alpine:v3.18", "openssl", "3.1.3-r0")
    );
    assert_eq!(
        t(&p, Some(&os("alpine", "3.20_alpha20240329"))).0,
        "Alpine:v3.20"
    );
}

#[test]
fn rpm_distributions_map_to_their_osv_ecosystems() {
    let mut p = pkg(PackageType::Rpm, "openssl-libs", "1:3.0.7-27.el9");
    p.source_name = Some("openssl".into());
    p.source_version = Some("3.0.7-27.el9".into());
    assert_eq!(
        t(&p, Some(&os("almalinux", "9.3"))),
        s("AlmaLinux:9", "openssl", "1:3.0.7-27.el9")
    );
    assert_eq!(t(&p, Some(&os("rocky", "8.9"))).0, "Rocky Linux:8");
    // Red Hat: binary rpms, any product stream of the release.
    let rh = target(&p, Some(&os("rhel", "9.4"))).unwrap();
    assert!(rh.prefix);
    assert_eq!(rh.ecosystem, "Red Hat:enterprise_linux:9::");
    assert_eq!(rh.name, "openssl-libs");
    assert!(rh.matches("Red Hat:enterprise_linux:9::baseos", "openssl-libs"));
    assert!(!rh.matches("Red Hat:enterprise_linux:8::baseos", "openssl-libs"));
    assert_eq!(rh.query_ecosystem(), "Red Hat");
    let leap = OsRelease {
        pretty_name: Some("openSUSE Leap 15.5".into()),
        ..os("opensuse-leap", "15.5")
    };
    assert_eq!(t(&p, Some(&leap)).0, "openSUSE:Leap 15.5");
    let sles = OsRelease {
        pretty_name: Some("SUSE Linux Enterprise Server 15 SP5".into()),
        ..os("sles", "15.5")
    };
    assert_eq!(t(&p, Some(&sles)).0, "SUSE:Linux Enterprise Server 15 SP5");
}

#[test]
fn os_packages_without_osv_data_or_os_say_why() {
    let p = pkg(PackageType::Rpm, "bash", "5.2.26-3.fc40");
    assert_eq!(
        target(&p, Some(&os("fedora", "40"))),
        Err(NotCovered::NoAdvisoryData)
    );
    assert_eq!(target(&p, None), Err(NotCovered::UnknownOs));
    let d = deb("bash", "5.2.15-2", "bash", "5.2.15-2");
    assert_eq!(
        target(&d, Some(&os("centos", "7"))),
        Err(NotCovered::NoAdvisoryData)
    );
}

#[test]
fn language_packages_map_to_their_registries() {
    let none = None;
    assert_eq!(
        t(&pkg(PackageType::Python, "Flask_SQLAlchemy", "3.0.0"), none),
        s("PyPI", "flask-sqlalchemy", "3.0.0")
    );
    assert_eq!(
        t(&pkg(PackageType::Npm, "@babel/core", "7.0.0"), none).0,
        "npm"
    );
    assert_eq!(
        t(&pkg(PackageType::Cargo, "hyper", "0.14.1"), none).0,
        "crates.io"
    );
    assert_eq!(
        t(&pkg(PackageType::Gem, "rails", "7.0.0"), none).0,
        "RubyGems"
    );
    assert_eq!(
        t(
            &pkg(PackageType::Composer, "symfony/http-kernel", "6.0.0"),
            none
        ),
        s("Packagist", "symfony/http-kernel", "6.0.0")
    );
    let mut log4j = pkg(PackageType::Maven, "log4j-core", "2.14.1");
    log4j.purl = "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1".into();
    assert_eq!(
        t(&log4j, none),
        s("Maven", "org.apache.logging.log4j:log4j-core", "2.14.1")
    );
    log4j.purl = "pkg:maven/log4j-core@2.14.1".into();
    assert_eq!(target(&log4j, none), Err(NotCovered::IncompleteName));
    assert_eq!(
        t(&pkg(PackageType::Go, "golang.org/x/net", "v0.15.0"), none),
        s("Go", "golang.org/x/net", "0.15.0")
    );
    assert_eq!(
        t(
            &pkg(PackageType::Go, "stdlib", "go1.21.5 X:boringcrypto"),
            none
        ),
        s("Go", "stdlib", "1.21.5")
    );
    assert_eq!(
        target(&pkg(PackageType::Go, "example.com/app", "(devel)"), none),
        Err(NotCovered::NoVersion)
    );
}

async fn scan_offline(
    packages: &[porthole_engine::packages::Package],
    os: &OsRelease,
) -> ScanReport {
    let records = all_fixtures();
    let server = OsvServer::start(&records).await;
    let (_store, db) = offline_db(&server, &records, &FIXTURE_EXPORTS).await;
    let source = porthole_engine::vulns::Source::Offline(db);
    scan(packages, Some(os), &source, &ScanOptions::default())
        .await
        .unwrap()
}

fn ids_of(report: &ScanReport, package: &str) -> Vec<String> {
    let mut ids: Vec<String> = report
        .findings
        .iter()
        .filter(|f| f.package == package)
        .map(|f| f.id.clone())
        .collect();
    ids.sort();
    ids
}

#[tokio::test]
async fn the_mixed_image_finds_what_each_advisory_says() {
    let (packages, os) = mixed_image();
    let report = scan_offline(&packages, &os).await;

    let both = ["DEBIAN-CVE-2024-0727", "DSA-5532-1"];
    assert_eq!(ids_of(&report, "libssl3"), both);
    assert_eq!(ids_of(&report, "openssl"), both);
    assert!(ids_of(&report, "bash").is_empty());
    // The withdrawn duplicate is not reported.
    assert_eq!(ids_of(&report, "Requests"), ["GHSA-j8r2-6x86-q33q"]);
    assert_eq!(ids_of(&report, "Django"), ["PYSEC-2023-100"]);
    assert_eq!(ids_of(&report, "semver"), ["GHSA-c2qf-rxjj-qqgw"]);
    assert_eq!(ids_of(&report, "ip"), ["GHSA-2p57-rm9w-gvfp"]);
    assert_eq!(ids_of(&report, "node-ipc"), ["MAL-2022-4691"]);
    assert!(ids_of(&report, "left-pad").is_empty());
    assert_eq!(ids_of(&report, "stdlib"), ["GO-2023-2102"]);
    assert_eq!(ids_of(&report, "golang.org/x/net"), ["GO-2023-2102"]);

    assert_eq!(report.findings.len(), 11);
    assert_eq!(report.counts.total, 11);
    assert_eq!(report.counts.critical, 1);
    assert_eq!(report.counts.high, 4);
    assert_eq!(report.counts.medium, 2);
    assert_eq!(report.counts.low, 2);
    assert_eq!(report.counts.unknown, 2);
    assert_eq!(report.packages_scanned, packages.len());
    assert_eq!(report.packages_covered, packages.len());
    assert!(report.not_covered.is_empty());
    // Most severe first.
    assert_eq!(report.findings[0].id, "MAL-2022-4691");
    assert!(
        report
            .findings
            .windows(2)
            .all(|w| w[0].severity >= w[1].severity)
    );
}

#[tokio::test]
async fn findings_carry_the_fix_the_rating_and_where_the_package_is() {
    let (mut packages, os) = mixed_image();
    packages[0].layer_digest = Some(
        "sha256:1111111111111111111111111111111111111111111111111111111111111111"
            .parse()
            .unwrap(),
    );
    let report = scan_offline(&packages, &os).await;
    let find = |id: &str, package: &str| {
        report
            .findings
            .iter()
            .find(|f| f.id == id && f.package == package)
            .unwrap_or_else(|| panic!("no {id} for {package}"))
    };

    let dsa = find("DSA-5532-1", "libssl3");
    assert_eq!(dsa.version, "3.0.9-1");
    assert_eq!(dsa.matched_name.as_deref(), Some("openssl"));
    assert_eq!(dsa.ecosystem, "Debian:12");
    assert_eq!(dsa.fixed_version.as_deref(), Some("3.0.11-1~deb12u2"));
    assert_eq!(dsa.aliases, ["CVE-2023-5363", "DEBIAN-CVE-2023-5363"]);
    assert_eq!(dsa.summary.as_deref(), Some("openssl - security update"));
    assert_eq!(dsa.severity, Severity::Unknown);
    assert_eq!(dsa.layer, Some(0));
    assert!(dsa.layer_digest.is_some());
    assert_eq!(dsa.url, "https://osv.dev/vulnerability/DSA-5532-1");
    assert_eq!(find("DSA-5532-1", "openssl").matched_name, None);

    // Debian's urgency is the rating.
    let low = find("DEBIAN-CVE-2024-0727", "openssl");
    assert_eq!(low.severity, Severity::Low);
    assert_eq!(low.fixed_version.as_deref(), Some("3.0.13-1~deb12u1"));
    // No summary: the first line of the details.
    assert!(
        low.summary
            .as_deref()
            .unwrap()
            .starts_with("Issue summary: Processing")
    );

    // GitHub's rating wins over the CVSS score, which is kept.
    let requests = find("GHSA-j8r2-6x86-q33q", "Requests");
    assert_eq!(requests.severity, Severity::Medium);
    assert_eq!(requests.cvss_score, Some(6.1));
    assert_eq!(
        requests.cvss_vector.as_deref(),
        Some("CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:C/C:H/I:N/A:N")
    );
    assert_eq!(requests.fixed_version.as_deref(), Some("2.31.0"));
    assert_eq!(requests.aliases[0], "CVE-2023-32681");
    assert_eq!(requests.layer, Some(2));

    // No rating: computed from CVSS v3.
    let django = find("PYSEC-2023-100", "Django");
    assert_eq!(django.severity, Severity::High);
    assert_eq!(django.cvss_score, Some(7.5));
    assert_eq!(django.fixed_version.as_deref(), Some("4.2.3"));
    assert_eq!(django.matched_name.as_deref(), Some("django"));

    // … and from CVSS v4.0.
    let go = find("GO-2023-2102", "stdlib");
    assert_eq!(go.severity, Severity::High);
    assert_eq!(go.cvss_score, Some(8.7));
    assert_eq!(go.fixed_version.as_deref(), Some("1.21.3"));
    assert_eq!(
        find("GO-2023-2102", "golang.org/x/net")
            .fixed_version
            .as_deref(),
        Some("0.17.0")
    );

    assert_eq!(
        find("GHSA-c2qf-rxjj-qqgw", "semver")
            .fixed_version
            .as_deref(),
        Some("7.5.2")
    );
    let ip = find("GHSA-2p57-rm9w-gvfp", "ip");
    assert_eq!(
        (ip.severity, ip.fixed_version.as_deref()),
        (Severity::High, None)
    );
    let ipc = find("MAL-2022-4691", "node-ipc");
    assert_eq!(
        (ipc.severity, ipc.fixed_version.as_deref()),
        (Severity::Critical, None)
    );
}

#[tokio::test]
async fn recommended_fixes_clear_the_most_and_concern_every_binary_of_a_source() {
    let (packages, os) = mixed_image();
    let report = scan_offline(&packages, &os).await;
    let fixes: Vec<(&str, &str)> = report
        .recommended_fixes
        .iter()
        .map(|f| (f.package.as_str(), f.target_version.as_str()))
        .collect();
    assert_eq!(
        fixes,
        [
            ("django", "4.2.3"),
            ("golang.org/x/net", "0.17.0"),
            ("stdlib", "1.21.3"),
            ("requests", "2.31.0"),
            ("semver", "7.5.2"),
            ("openssl", "3.0.13-1~deb12u1"),
        ]
    );
    let openssl = report.recommended_fixes.last().unwrap();
    assert_eq!(openssl.packages, ["libssl3", "openssl"]);
    assert_eq!(openssl.installed_version, "3.0.9-1");
    assert_eq!(openssl.clears.total, 2);
    assert_eq!(openssl.cleared_ids, ["DEBIAN-CVE-2024-0727", "DSA-5532-1"]);
    assert_eq!(openssl.remaining, 0);
}

#[tokio::test]
async fn a_fix_on_one_branch_is_not_taken_for_another() {
    // Installed 4.1.9: 4.1.10 clears it; 4.2.3 would too but is higher. One finding fixed
    // only in 5.0 (introduced 0) makes 5.0 the upgrade that clears both.
    let mut records = all_fixtures();
    records.push(synthetic("PYSEC-2099-1", "PyPI", "django", "0", "5.0"));
    let server = OsvServer::start(&records).await;
    let (_store, db) = offline_db(&server, &records, &["PyPI"]).await;
    let packages = [pkg(PackageType::Python, "Django", "4.1.9")];
    let report = scan(
        &packages,
        None,
        &porthole_engine::vulns::Source::Offline(db),
        &ScanOptions::default(),
    )
    .await
    .unwrap();
    let f = |id: &str| {
        report
            .findings
            .iter()
            .find(|f| f.id == id)
            .unwrap()
            .fixed_version
            .clone()
    };
    assert_eq!(f("PYSEC-2023-100").as_deref(), Some("4.1.10"));
    assert_eq!(f("PYSEC-2099-1").as_deref(), Some("5.0"));
    let fix = &report.recommended_fixes[0];
    assert_eq!(fix.target_version, "5.0");
    assert_eq!(fix.clears.total, 2);
}

#[tokio::test]
async fn the_same_package_twice_is_reported_once_from_its_lowest_layer() {
    let os = debian12();
    let mut a = deb("libssl3", "3.0.9-1", "openssl", "3.0.9-1");
    a.layer = Some(3);
    let mut b = a.clone();
    b.layer = Some(1);
    b.location = "/var/lib/dpkg/status.d/libssl3".into();
    let report = scan_offline(&[a, b], &os).await;
    assert_eq!(report.findings.len(), 2);
    assert!(report.findings.iter().all(|f| f.layer == Some(1)));
}

#[tokio::test]
async fn ubuntu_and_alpine_images_match_their_own_advisories() {
    let jammy = OsRelease {
        version: Some("22.04.4 LTS (Jammy Jellyfish)".into()),
        ..os("ubuntu", "22.04")
    };
    let p = deb(
        "libssl3",
        "3.0.2-0ubuntu1.12",
        "openssl",
        "3.0.2-0ubuntu1.12",
    );
    let report = scan_offline(&[p], &jammy).await;
    assert_eq!(ids_of(&report, "libssl3"), ["UBUNTU-CVE-2024-0727"]);
    let f = &report.findings[0];
    // Ubuntu's own priority wins over the CVSS score (which is kept).
    assert_eq!(f.severity, Severity::Low);
    assert_eq!(f.cvss_score, Some(6.5));
    assert_eq!(f.fixed_version.as_deref(), Some("3.0.2-0ubuntu1.14"));

    let mut apk = pkg(PackageType::Apk, "libcrypto3", "3.1.3-r0");
    apk.source_name = Some("openssl".into());
    let report = scan_offline(&[apk.clone()], &os("alpine", "3.18.4")).await;
    assert_eq!(ids_of(&report, "libcrypto3"), ["ALPINE-CVE-2023-5363"]);
    assert_eq!(
        report.findings[0].fixed_version.as_deref(),
        Some("3.1.4-r0")
    );
    // Another branch has its own advisories (none here).
    let report = scan_offline(&[apk], &os("alpine", "3.19.1")).await;
    assert!(report.findings.is_empty());
}

#[tokio::test]
async fn packages_not_covered_are_listed_with_the_reason() {
    let os = debian12();
    let packages = [
        deb("bash", "5.2.15-2", "bash", "5.2.15-2"),
        pkg(PackageType::Gem, "rails", "7.0.0"),
        pkg(PackageType::Rpm, "rpm-in-debian", "1.0-1"),
        pkg(PackageType::Go, "example.com/app", "(devel)"),
    ];
    let report = scan_offline(&packages, &os).await;
    let reasons: Vec<(&str, NotCovered)> = report
        .not_covered
        .iter()
        .map(|u| (u.package.as_str(), u.reason))
        .collect();
    assert_eq!(
        reasons,
        [
            ("rails", NotCovered::NotImported),
            ("rpm-in-debian", NotCovered::NoAdvisoryData),
            ("example.com/app", NotCovered::NoVersion),
        ]
    );
    assert_eq!(report.not_covered[0].ecosystem.as_deref(), Some("RubyGems"));
    assert!(
        report.not_covered[0]
            .message
            .contains("porthole vulndb update")
    );
    assert_eq!(report.packages_covered, 1);
    assert_eq!(report.missing_exports(), ["RubyGems"]);
}

#[tokio::test]
async fn the_json_report_uses_snake_case_names() {
    let (packages, os) = mixed_image();
    let report = scan_offline(&packages, &os).await;
    let v = serde_json::to_value(&report).unwrap();
    for key in [
        "source",
        "packages_scanned",
        "counts",
        "findings",
        "not_covered",
        "recommended_fixes",
        "warnings",
    ] {
        assert!(v.get(key).is_some(), "missing {key}");
    }
    assert_eq!(v["source"]["kind"], "offline");
    assert_eq!(v["source"]["imported_at"], "2024-05-01T12:00:00Z");
    let f = &v["findings"][0];
    for key in [
        "id",
        "aliases",
        "summary",
        "severity",
        "cvss_score",
        "cvss_vector",
        "package",
        "version",
        "type",
        "purl",
        "fixed_version",
        "layer",
        "layer_digest",
        "url",
    ] {
        assert!(f.get(key).is_some(), "finding lacks {key}: {f}");
    }
    assert_eq!(f["severity"], "critical");
    assert_eq!(f["type"], "npm");
    let fix = &v["recommended_fixes"][0];
    assert!(fix.get("target_version").is_some() && fix.get("installed_version").is_some());

    let high = report.only_severities(&[Severity::High, Severity::Critical]);
    assert_eq!(high.findings.len(), 5);
    assert_eq!(high.counts.total, 5);
    assert!(
        high.recommended_fixes
            .iter()
            .all(|f| f.clears.high + f.clears.critical > 0)
    );
}

#[tokio::test]
async fn maven_artifacts_match_by_group_and_artifact_in_maven_order() {
    let jar = |version: &str| {
        let mut p = pkg(PackageType::Maven, "log4j-core", version);
        p.purl = format!("pkg:maven/org.apache.logging.log4j/log4j-core@{version}");
        p.location = "/app/lib/log4j-core.jar".into();
        p
    };
    let packages = [
        jar("2.14.1"),
        jar("2.12.1"),
        jar("2.0-beta8"),
        jar("2.17.1"),
    ];
    let report = scan_offline(&packages, &debian12()).await;
    let fixed: Vec<(&str, Option<&str>)> = report
        .findings
        .iter()
        .map(|f| (f.version.as_str(), f.fixed_version.as_deref()))
        .collect();
    assert_eq!(
        fixed,
        [("2.12.1", Some("2.12.2")), ("2.14.1", Some("2.15.0"))]
    );
    let f = &report.findings[0];
    assert_eq!(f.id, "GHSA-jfh8-c2jp-5v3q");
    assert_eq!(f.severity, Severity::Critical);
    assert_eq!(f.cvss_score, Some(10.0));
    assert_eq!(
        f.matched_name.as_deref(),
        Some("org.apache.logging.log4j:log4j-core")
    );
}

#[tokio::test]
async fn red_hat_advisories_match_any_stream_of_the_release_online_and_offline() {
    let rhsa = serde_json::json!({
        "schema_version": "1.6.3",
        "id": "RHSA-2024:2447",
        "modified": "2024-09-25T06:31:06Z",
        "published": "2024-04-30T10:14:09Z",
        "summary": "Moderate: openssl and openssl-fips-provider security update",
        "related": ["CVE-2023-3446", "CVE-2023-3817"],
        "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:L"}],
        "affected": [
            {"package": {"ecosystem": "Red Hat:enterprise_linux:9::baseos", "name": "openssl-libs",
                         "purl": "pkg:rpm/redhat/openssl-libs@3.0.7-27.el9?arch=x86_64&epoch=1"},
             "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1:3.0.7-27.el9"}]}]},
            {"package": {"ecosystem": "Red Hat:enterprise_linux:9::appstream", "name": "openssl-libs"},
             "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1:3.0.7-27.el9"}]}]},
            {"package": {"ecosystem": "Red Hat:enterprise_linux:8::baseos", "name": "openssl-libs"},
             "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1:1.1.1k-12.el8_9"}]}]}
        ],
        "database_specific": {"severity": "Moderate"}
    });
    let records = vec![rhsa];
    let server = OsvServer::start(&records).await;
    let (_store, db) = offline_db(&server, &records, &["Red Hat"]).await;
    let mut p = pkg(PackageType::Rpm, "openssl-libs", "1:3.0.7-24.el9");
    p.source_name = Some("openssl".into());
    let rhel9 = os("rhel", "9.3");
    let options = ScanOptions::default();
    let offline = scan(
        std::slice::from_ref(&p),
        Some(&rhel9),
        &porthole_engine::vulns::Source::Offline(db),
        &options,
    )
    .await
    .unwrap();
    let from_api = scan(
        std::slice::from_ref(&p),
        Some(&rhel9),
        &online(&server),
        &options,
    )
    .await
    .unwrap();
    for report in [&offline, &from_api] {
        assert_eq!(report.findings.len(), 1, "{report:?}");
        let f = &report.findings[0];
        assert_eq!(f.fixed_version.as_deref(), Some("1:3.0.7-27.el9"));
        assert_eq!(f.severity, Severity::Medium);
        assert_eq!(f.ecosystem, "Red Hat:enterprise_linux:9::");
    }
    assert!(
        server
            .log()
            .iter()
            .any(|l| l.contains(r#""ecosystem":"Red Hat""#))
    );
    // Fixed on 9: nothing.
    p.version = "1:3.0.7-27.el9".into();
    let report = scan(&[p], Some(&rhel9), &online(&server), &options)
        .await
        .unwrap();
    assert!(report.findings.is_empty());
}
