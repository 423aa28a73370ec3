//! The offline database: importing OSV's `all.zip` exports from a local server, what
//! `status` says, atomic replacement, the same findings as online, and the scan's speed.

mod vulns_support;

use std::sync::{Arc, Mutex};
use std::time::Instant;

use porthole_engine::config::Config;
use porthole_engine::packages::PackageType;
use porthole_engine::vulns::{
    ScanOptions, Source, SourceKind, SourceMode, UpdateEvent, VulnDb, VulnError, scan,
    scan_with_config,
};
use serde_json::json;
use vulns_support::*;

#[tokio::test]
async fn an_update_imports_each_export_and_status_reports_it() {
    let records = all_fixtures();
    let server = OsvServer::start(&records).await;
    let mut pypi = export_of(&records, "PyPI");
    pypi.push(json!({"id": "PYSEC-BROKEN", "affected": "not a list", "aliases": 3}));
    server.set_zip(
        "PyPI",
        zip_of(
            &pypi,
            &[
                ("PYSEC-0000-1.json", b"{ this is not json"),
                ("README.txt", b"not a record"),
            ],
        ),
    );
    server.set_zip("npm", zip_of(&export_of(&records, "npm"), &[]));
    let store = tempfile::tempdir().unwrap();
    let db = VulnDb::in_store(store.path());
    assert!(!db.status().unwrap().present);

    let events = Arc::new(Mutex::new(Vec::new()));
    let mut options = update_options();
    let sink = events.clone();
    options.progress = Some(Arc::new(move |e| sink.lock().unwrap().push(e)));
    let report = db
        .update(&server.data_url(), &["pypi".into(), "npm".into()], &options)
        .await
        .unwrap();

    assert_eq!(db.path(), store.path().join("porthole-vulndb/osv.sqlite"));
    let status = db.status().unwrap();
    assert!(status.present);
    assert_eq!(
        status.updated_at.unwrap().to_string(),
        "2024-05-01T12:00:00Z"
    );
    let by_name = |n: &str| status.ecosystems.iter().find(|e| e.ecosystem == n).unwrap();
    // requests, django (the withdrawn duplicate is left out; the broken ones skipped).
    let py = by_name("PyPI");
    assert_eq!((py.records, py.withdrawn, py.skipped), (2, 1, 1));
    assert_eq!(py.url, format!("{}/PyPI/all.zip", server.data_url()));
    // semver, ip, node-ipc.
    assert_eq!(by_name("npm").records, 3);
    assert_eq!(status.records, 5);
    assert_eq!(report.updated.len(), 2);

    let events = events.lock().unwrap();
    assert!(
        matches!(&events[0], UpdateEvent::Downloading { ecosystem, .. } if ecosystem == "PyPI")
    );
    assert!(events.iter().any(
        |e| matches!(e, UpdateEvent::Imported { ecosystem, records: 3, .. } if ecosystem == "npm")
    ));
    let json = serde_json::to_value(&status).unwrap();
    assert_eq!(json["ecosystems"][0]["imported_at"], "2024-05-01T12:00:00Z");
}

#[tokio::test]
async fn updating_one_export_keeps_the_others_and_an_empty_list_refreshes_all() {
    let records = all_fixtures();
    let server = OsvServer::start(&records).await;
    let (_store, db) = offline_db(&server, &records, &["PyPI", "npm"]).await;

    // A newer PyPI export with one more advisory.
    let mut pypi = export_of(&records, "PyPI");
    pypi.push(synthetic("PYSEC-2099-1", "PyPI", "flask", "0", "3.0.1"));
    server.set_zip("PyPI", zip_of(&pypi, &[]));
    db.update(&server.data_url(), &["PyPI".into()], &update_options())
        .await
        .unwrap();
    let status = db.status().unwrap();
    let counts: Vec<(&str, u64)> = status
        .ecosystems
        .iter()
        .map(|e| (e.ecosystem.as_str(), e.records))
        .collect();
    assert_eq!(counts, [("PyPI", 3), ("npm", 3)]);

    // An empty list: every imported export again.
    let before = server.count("GET /data/");
    db.update(&server.data_url(), &[], &update_options())
        .await
        .unwrap();
    assert_eq!(server.count("GET /data/") - before, 2);

    // An ecosystem Porthole cannot download is refused before anything happens.
    let err = db
        .update(&server.data_url(), &["Hackage".into()], &update_options())
        .await
        .unwrap_err();
    assert!(matches!(err, VulnError::UnknownEcosystem { .. }));
    assert!(err.to_string().contains("PyPI"), "{err}");
}

#[tokio::test]
async fn a_truncated_zip_leaves_the_previous_database_intact() {
    let records = all_fixtures();
    let server = OsvServer::start(&records).await;
    let (store, db) = offline_db(&server, &records, &["Debian", "PyPI"]).await;
    let before = std::fs::read(db.path()).unwrap();
    let status_before = db.status().unwrap();

    // What a crashed update leaves behind is cleared by the next one.
    let dir = store.path().join("porthole-vulndb");
    std::fs::write(dir.join(".osv-crashed.sqlite.tmp"), b"half a database").unwrap();
    std::fs::write(dir.join(".download-crashed.zip"), b"PK").unwrap();

    // The Debian export arrives cut in half (the server says it is complete).
    server.fail("/data/Debian/all.zip", 1, Fault::Truncate);
    let err = db
        .update(
            &server.data_url(),
            &["PyPI".into(), "Debian".into()],
            &update_options(),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, VulnError::BadArchive { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(
        msg.contains("/data/Debian/all.zip") && msg.contains("left as it was"),
        "{msg}"
    );

    assert_eq!(std::fs::read(db.path()).unwrap(), before);
    assert_eq!(db.status().unwrap(), status_before);
    // No temporary files left behind.
    let leftovers: Vec<_> = std::fs::read_dir(store.path().join("porthole-vulndb"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n != "osv.sqlite" && n != ".lock")
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    // A dropped connection and a missing export fail the same way.
    server.fail("/data/Debian/all.zip", 1, Fault::Close);
    assert!(
        db.update(&server.data_url(), &["Debian".into()], &update_options())
            .await
            .is_err()
    );
    let err = db
        .update(
            &server.data_url(),
            &["Rocky Linux".into()],
            &update_options(),
        )
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("/data/Rocky%20Linux/all.zip answered 404"),
        "{err}"
    );
    assert_eq!(std::fs::read(db.path()).unwrap(), before);

    // And the database still answers.
    let source = Source::Offline(db);
    let p = [deb("libssl3", "3.0.9-1", "openssl", "3.0.9-1")];
    let report = scan(&p, Some(&debian12()), &source, &ScanOptions::default())
        .await
        .unwrap();
    assert_eq!(report.findings.len(), 2);
}

#[tokio::test]
async fn an_unreachable_data_server_is_named() {
    let store = tempfile::tempdir().unwrap();
    let db = VulnDb::in_store(store.path());
    let url = closed_port_url();
    let err = db
        .update(&url, &["Alpine".into()], &update_options())
        .await
        .unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains(&format!("{url}/Alpine/all.zip")), "{msg}");
    assert!(msg.contains("PORTHOLE_OSV_DATA_URL"), "{msg}");
    assert!(!db.path().exists());
}

#[tokio::test]
async fn scanning_without_a_database_says_how_to_get_one() {
    let store = tempfile::tempdir().unwrap();
    let source = Source::Offline(VulnDb::in_store(store.path()));
    let p = [pkg(PackageType::Npm, "semver", "7.3.8")];
    let err = scan(&p, None, &source, &ScanOptions::default())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("porthole vulndb update"), "{err}");
    assert_eq!(err.code(), "notFound");
}

#[tokio::test]
async fn online_and_offline_find_the_same_for_the_same_data() {
    let records = all_fixtures();
    let server = OsvServer::start(&records).await;
    let (_store, db) = offline_db(&server, &records, &FIXTURE_EXPORTS).await;
    let (packages, os) = mixed_image();
    let options = ScanOptions::default();
    let offline = scan(&packages, Some(&os), &Source::Offline(db), &options)
        .await
        .unwrap();
    let online = scan(&packages, Some(&os), &online(&server), &options)
        .await
        .unwrap();
    assert_eq!(offline.source.kind, SourceKind::Offline);
    assert_eq!(online.source.kind, SourceKind::Online);
    assert_eq!(offline.findings, online.findings);
    assert_eq!(offline.counts, online.counts);
    assert_eq!(offline.recommended_fixes, online.recommended_fixes);
    assert_eq!(offline.findings.len(), 11);
}

#[tokio::test]
async fn the_configured_source_follows_the_config_and_the_store() {
    let records = all_fixtures();
    let server = OsvServer::start(&records).await;
    let config = Config {
        osv_api_url: Some(server.api_url()),
        osv_data_url: Some(server.data_url()),
        ..Config::default()
    };
    let store = tempfile::tempdir().unwrap();
    let p = [pkg(PackageType::Npm, "semver", "7.3.8")];
    let options = ScanOptions::default();

    // Auto without a database: online, at the configured API.
    let report = scan_with_config(&p, None, &config, store.path(), SourceMode::Auto, &options)
        .await
        .unwrap();
    assert_eq!(report.source.kind, SourceKind::Online);
    assert_eq!(report.findings.len(), 1);

    server.set_zip("npm", zip_of(&export_of(&records, "npm"), &[]));
    VulnDb::in_store(store.path())
        .update_from_config(&config, &["npm".into()], &update_options())
        .await
        .unwrap();
    let before = server.count("POST /v1/querybatch");
    let report = scan_with_config(&p, None, &config, store.path(), SourceMode::Auto, &options)
        .await
        .unwrap();
    assert_eq!(report.source.kind, SourceKind::Offline);
    assert_eq!(report.findings.len(), 1);
    assert_eq!(server.count("POST /v1/querybatch"), before);
    let report = scan_with_config(
        &p,
        None,
        &config,
        store.path(),
        SourceMode::Online,
        &options,
    )
    .await
    .unwrap();
    assert_eq!(report.source.kind, SourceKind::Online);
}

/// 1,000 packages (600 Debian binaries of 120 source packages, 400 PyPI libraries) against
/// a database of 2,400 Debian and 800 PyPI advisories. Prints the time; the budget is
/// 200 ms in a release build (`bench/vulns.sh` measures it).
#[tokio::test]
async fn a_thousand_package_scan_is_one_indexed_pass() {
    let mut records = Vec::new();
    for s in 0..120 {
        for a in 0..20 {
            let mut r = synthetic(
                &format!("DEBIAN-CVE-2024-{s:03}{a:02}"),
                "Debian:12",
                &format!("src{s}"),
                "0",
                &format!("1.{a}-1"),
            );
            r["affected"][0]["ecosystem_specific"] = json!({"urgency": "medium"});
            records.push(r);
        }
    }
    for p in 0..400 {
        for a in 0..2 {
            records.push(synthetic(
                &format!("PYSEC-2024-{p:03}{a}"),
                "PyPI",
                &format!("lib-{p}"),
                "0",
                &format!("2.{a}.0"),
            ));
        }
    }
    let server = OsvServer::start(&[]).await;
    let (_store, db) = offline_db(&server, &records, &["Debian", "PyPI"]).await;

    let mut packages = Vec::new();
    for s in 0..120 {
        for b in 0..5 {
            packages.push(deb(
                &format!("bin{s}-{b}"),
                "1.5-1",
                &format!("src{s}"),
                "1.5-1",
            ));
        }
    }
    for p in 0..400 {
        packages.push(pkg(PackageType::Python, &format!("lib_{p}"), "1.0.0"));
    }
    assert_eq!(packages.len(), 1000);

    let source = Source::Offline(db);
    let start = Instant::now();
    let report = scan(
        &packages,
        Some(&debian12()),
        &source,
        &ScanOptions::default(),
    )
    .await
    .unwrap();
    let elapsed = start.elapsed();
    eprintln!(
        "scan of {} packages against the offline database: {:.1} ms ({} findings)",
        packages.len(),
        elapsed.as_secs_f64() * 1000.0,
        report.findings.len()
    );
    // Each source package: advisories fixed in 1.6 … 1.19 affect 1.5 (14 of 20), per binary.
    assert_eq!(report.findings.len(), 600 * 14 + 400 * 2);
    assert_eq!(report.recommended_fixes.len(), 120 + 400);
}
