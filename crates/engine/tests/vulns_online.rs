//! The online source against a local server that answers like OSV.dev's API: batching,
//! pagination, one fetch per record, and errors a person can act on.

mod vulns_support;

use porthole_engine::packages::PackageType;
use porthole_engine::vulns::api::PackageQuery;
use porthole_engine::vulns::{OsvApi, Retry, ScanOptions, Source, SourceKind, VulnError, scan};
use tokio_util::sync::CancellationToken;
use vulns_support::*;

fn q(ecosystem: &str, name: &str, version: &str) -> PackageQuery {
    PackageQuery {
        ecosystem: ecosystem.into(),
        name: name.into(),
        version: version.into(),
    }
}

#[tokio::test]
async fn an_online_scan_finds_the_same_as_the_advisories_say() {
    let server = OsvServer::start(&all_fixtures()).await;
    let (packages, os) = mixed_image();
    let report = scan(
        &packages,
        Some(&os),
        &online(&server),
        &ScanOptions::default(),
    )
    .await
    .unwrap();
    assert_eq!(report.source.kind, SourceKind::Online);
    assert_eq!(
        report.source.url.as_deref(),
        Some(&*format!("{}/", server.api_url()))
    );
    assert_eq!(report.findings.len(), 11);
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
    // The deb binaries of one source are one query; every query goes in one batch.
    assert_eq!(server.count("POST /v1/querybatch"), 1);
    let log = server.log();
    let batch = log.iter().find(|l| l.starts_with("POST")).unwrap();
    let body: serde_json::Value =
        serde_json::from_str(batch.splitn(3, ' ').nth(2).unwrap()).unwrap();
    let queries = body["queries"].as_array().unwrap();
    assert_eq!(queries.len(), packages.len() - 1);
    assert!(queries.contains(&serde_json::json!({
        "package": {"name": "openssl", "ecosystem": "Debian:12"},
        "version": "3.0.9-1"
    })));
    // Each advisory fetched once, although GO-2023-2102 affects two packages and the DSA
    // two binaries.
    let fetched: Vec<String> = paths(&log)
        .into_iter()
        .filter(|p| p.starts_with("GET /v1/vulns/"))
        .collect();
    let mut distinct = fetched.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(fetched.len(), distinct.len());
    assert_eq!(fetched.len(), 8);
}

#[tokio::test]
async fn every_page_of_a_query_is_followed() {
    let records: Vec<_> = (0..7)
        .map(|i| synthetic(&format!("PYSEC-2024-{i}"), "PyPI", "pillow", "0", "10.3.0"))
        .collect();
    let server = OsvServer::start(&records).await;
    server.page_size(3);
    let api = OsvApi::new(&server.api_url())
        .unwrap()
        .with_retry(no_retry());
    let ids = api
        .query_batch(
            &[
                q("PyPI", "pillow", "10.0.0"),
                q("PyPI", "requests", "2.0.0"),
            ],
            &CancellationToken::new(),
        )
        .await
        .unwrap();
    assert_eq!(ids[0].len(), 7);
    assert!(ids[1].is_empty());
    // 3 + 3 + 1: the first request and two follow-ups carrying only the paged query.
    assert_eq!(server.count("POST /v1/querybatch"), 3);
    let log = server.log();
    let last = log.iter().rfind(|l| l.starts_with("POST")).unwrap();
    assert!(last.contains(r#""page_token":"page-6""#), "{last}");
    assert!(!last.contains("requests"), "{last}");
}

#[tokio::test]
async fn more_than_a_thousand_queries_go_in_several_batches() {
    let records = vec![synthetic(
        "GHSA-aaaa-bbbb-cccc",
        "npm",
        "pkg-1500",
        "0",
        "2.0.0",
    )];
    let server = OsvServer::start(&records).await;
    let packages: Vec<_> = (0..2100)
        .map(|i| pkg(PackageType::Npm, &format!("pkg-{i}"), "1.0.0"))
        .collect();
    let report = scan(&packages, None, &online(&server), &ScanOptions::default())
        .await
        .unwrap();
    assert_eq!(server.count("POST /v1/querybatch"), 3);
    assert_eq!(report.findings.len(), 1);
    assert_eq!(report.findings[0].package, "pkg-1500");
}

#[tokio::test]
async fn an_unreachable_server_is_named_in_the_error() {
    let url = closed_port_url();
    let api = OsvApi::new(&url).unwrap().with_retry(no_retry());
    let packages = [pkg(PackageType::Npm, "semver", "7.3.8")];
    let err = scan(
        &packages,
        None,
        &Source::Online(api),
        &ScanOptions::default(),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, VulnError::Network { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(msg.contains(&url), "{msg}");
    assert!(msg.contains("PORTHOLE_OSV_API_URL"), "{msg}");
    assert_eq!(err.code(), "network");
}

#[tokio::test]
async fn rate_limiting_says_when_to_try_again() {
    let server = OsvServer::start(&all_fixtures()).await;
    server.fail(
        "/v1/querybatch",
        1,
        Fault::Status {
            status: 429,
            body: r#"{"code":8,"message":"Quota exceeded."}"#.into(),
            retry_after: Some(60),
        },
    );
    let packages = [pkg(PackageType::Npm, "semver", "7.3.8")];
    let err = scan(&packages, None, &online(&server), &ScanOptions::default())
        .await
        .unwrap_err();
    let msg = err.to_string();
    assert_eq!(err.code(), "rateLimited");
    assert!(msg.contains("try again in 60s"), "{msg}");
    assert!(msg.contains(&server.api_url()), "{msg}");
}

#[tokio::test]
async fn server_errors_are_reported_and_retried() {
    let server = OsvServer::start(&all_fixtures()).await;
    let unavailable = Fault::Status {
        status: 503,
        body: "upstream connect error".into(),
        retry_after: None,
    };
    server.fail("/v1/vulns/", 1, unavailable.clone());
    let packages = [pkg(PackageType::Npm, "semver", "7.3.8")];
    let err = scan(&packages, None, &online(&server), &ScanOptions::default())
        .await
        .unwrap_err();
    let msg = err.to_string();
    assert!(
        matches!(err, VulnError::Unavailable { status: 503, .. }),
        "{err:?}"
    );
    assert!(
        msg.contains("/v1/vulns/GHSA-c2qf-rxjj-qqgw") && msg.contains("try again later"),
        "{msg}"
    );

    // With retries, one 503 is ridden out.
    server.fail("/v1/querybatch", 1, unavailable);
    let api = OsvApi::new(&server.api_url()).unwrap().with_retry(Retry {
        retries: 2,
        delay: std::time::Duration::from_millis(10),
    });
    let report = scan(
        &packages,
        None,
        &Source::Online(api),
        &ScanOptions::default(),
    )
    .await
    .unwrap();
    assert_eq!(report.findings.len(), 1);
}

#[tokio::test]
async fn a_response_that_is_not_json_is_an_error_naming_the_url() {
    let server = OsvServer::start(&all_fixtures()).await;
    server.fail("/v1/querybatch", 1, Fault::NotJson);
    let packages = [pkg(PackageType::Npm, "semver", "7.3.8")];
    let err = scan(&packages, None, &online(&server), &ScanOptions::default())
        .await
        .unwrap_err();
    assert!(matches!(err, VulnError::Parse { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(
        msg.contains("/v1/querybatch") && msg.contains("not valid OSV JSON"),
        "{msg}"
    );
}

#[tokio::test]
async fn a_record_that_is_json_but_not_osv_is_skipped_with_a_warning() {
    let server = OsvServer::start(&all_fixtures()).await;
    server.fail(
        "/v1/vulns/GHSA-c2qf",
        1,
        Fault::Status {
            status: 200,
            body: r#"{"id": 12, "affected": "yes"}"#.into(),
            retry_after: None,
        },
    );
    let packages = [
        pkg(PackageType::Npm, "semver", "7.3.8"),
        pkg(PackageType::Npm, "ip", "2.0.0"),
    ];
    let report = scan(&packages, None, &online(&server), &ScanOptions::default())
        .await
        .unwrap();
    assert_eq!(report.findings.len(), 1);
    assert_eq!(report.findings[0].id, "GHSA-2p57-rm9w-gvfp");
    assert_eq!(report.warnings.len(), 1);
    assert!(
        report.warnings[0].contains("GHSA-c2qf-rxjj-qqgw"),
        "{:?}",
        report.warnings
    );
}

#[tokio::test]
async fn a_refused_query_shows_the_servers_explanation() {
    let server = OsvServer::start(&all_fixtures()).await;
    server.fail(
        "/v1/querybatch",
        1,
        Fault::Status {
            status: 400,
            body: r#"{"code":3,"message":"Invalid ecosystem."}"#.into(),
            retry_after: None,
        },
    );
    let packages = [pkg(PackageType::Npm, "semver", "7.3.8")];
    let err = scan(&packages, None, &online(&server), &ScanOptions::default())
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("answered 400: Invalid ecosystem."),
        "{err}"
    );
}

#[tokio::test]
async fn a_bad_api_url_says_which_setting_to_fix() {
    let err = OsvApi::new("ftp://osv.example").unwrap_err();
    assert_eq!(err.code(), "invalidInput");
    assert!(err.to_string().contains("osvApiUrl"), "{err}");
}

#[tokio::test]
async fn a_scan_can_be_cancelled() {
    let server = OsvServer::start(&all_fixtures()).await;
    let options = ScanOptions::default();
    options.cancel.cancel();
    let packages = [pkg(PackageType::Npm, "semver", "7.3.8")];
    let err = scan(&packages, None, &online(&server), &options)
        .await
        .unwrap_err();
    assert!(matches!(err, VulnError::Cancelled));
}
