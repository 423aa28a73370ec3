//! A stand-in for OSV's export bucket on 127.0.0.1: `Debian/all.zip` holding a few advisories
//! that affect the packages of [`Fixture::add_packages_image`](crate::Fixture), served by a
//! tiny HTTP server on a thread of its own. Nothing leaves the machine.

use std::io::{BufRead as _, BufReader, Cursor, Write as _};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime};

use porthole_engine::vulns::{UpdateOptions, VulnDb};
use serde_json::json;

use crate::Fixture;

/// The advisories of [`debian_export`], as the Vulnerabilities tab should show them: the
/// installed package, the advisory id and its severity badge, most severe package first.
pub const VULNS_IMAGE: [(&str, &str, &str); 5] = [
    ("curl", "DSA-9001-1", "Critical 9.8"),
    ("curl", "DEBIAN-CVE-2023-0001", "Low"),
    ("libcurl4", "DSA-9001-1", "Critical 9.8"),
    ("libcurl4", "DEBIAN-CVE-2023-0001", "Low"),
    ("libc6", "DEBIAN-CVE-2024-2961", "High"),
];

/// The summary of the glibc advisory: markup, to be shown as text.
pub const HOSTILE_SUMMARY: &str = "<img src=x onerror=alert(1)> glibc: iconv() overflow";

fn record(
    id: &str,
    source: &str,
    fixed: &str,
    summary: &str,
    extra: serde_json::Value,
) -> serde_json::Value {
    let mut record = json!({
        "schema_version": "1.6.0",
        "id": id,
        "summary": summary,
        "published": "2024-04-17T00:00:00Z",
        "modified": "2024-04-18T05:50:32Z",
        "affected": [{
            "package": { "ecosystem": "Debian:12", "name": source,
                         "purl": format!("pkg:deb/debian/{source}?arch=source") },
            "ranges": [{ "type": "ECOSYSTEM", "events": [{ "introduced": "0" }, { "fixed": fixed }] }],
        }],
    });
    if let (Some(record), Some(extra)) = (record.as_object_mut(), extra.as_object()) {
        for (key, value) in extra {
            if key == "ecosystem_specific" {
                record["affected"][0]["ecosystem_specific"] = value.clone();
            } else {
                record.insert(key.clone(), value.clone());
            }
        }
    }
    record
}

/// OSV's `Debian/all.zip` export, shaped like crates/engine/tests/fixtures/osv/DSA-5532-1.json:
/// a DSA for the source package `curl` with a CVSS v3.1 vector (9.8, critical), a Debian CVE
/// record for `curl` rated `low`, and one for `glibc` rated `high` whose summary is markup.
pub fn debian_export() -> Vec<u8> {
    let records = [
        record(
            "DSA-9001-1",
            "curl",
            "7.88.1-10+deb12u6",
            "curl - security update",
            json!({
                "upstream": ["CVE-2024-2398", "DEBIAN-CVE-2024-2398"],
                "severity": [{ "type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H" }],
            }),
        ),
        record(
            "DEBIAN-CVE-2023-0001",
            "curl",
            "7.88.1-10+deb12u6",
            "curl: a low-urgency issue",
            json!({ "upstream": ["CVE-2023-0001"], "ecosystem_specific": { "urgency": "low" } }),
        ),
        record(
            "DEBIAN-CVE-2024-2961",
            "glibc",
            "2.36-9+deb12u7",
            HOSTILE_SUMMARY,
            json!({ "upstream": ["CVE-2024-2961"], "ecosystem_specific": { "urgency": "high" } }),
        ),
    ];
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for record in &records {
        let id = record["id"].as_str().expect("records have ids");
        zip.start_file(format!("{id}.json"), options)
            .expect("start a zip entry");
        zip.write_all(
            serde_json::to_string_pretty(record)
                .expect("serialize a record")
                .as_bytes(),
        )
        .expect("write a zip entry");
    }
    zip.finish().expect("finish the zip").into_inner()
}

/// An HTTP server on 127.0.0.1 that answers `GET /Debian/all.zip` with [`debian_export`] and
/// anything else with 404. Stopped when dropped.
pub struct OsvExportServer {
    port: u16,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl OsvExportServer {
    pub fn start() -> OsvExportServer {
        let listener =
            TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind the OSV export server");
        let port = listener.local_addr().expect("a bound address").port();
        let stop = Arc::new(AtomicBool::new(false));
        let zip = debian_export();
        let stopping = stop.clone();
        let thread = std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stopping.load(Ordering::SeqCst) {
                    break;
                }
                if let Ok(stream) = stream {
                    let _ = answer(stream, &zip);
                }
            }
        });
        OsvExportServer {
            port,
            stop,
            thread: Some(thread),
        }
    }

    /// The base URL to give as `osvDataUrl`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

fn answer(stream: TcpStream, zip: &[u8]) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request = String::new();
    reader.read_line(&mut request)?;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header)? == 0 || header == "\r\n" || header == "\n" {
            break;
        }
    }
    let mut stream = stream;
    let path = request.split_whitespace().nth(1).unwrap_or("");
    if path == "/Debian/all.zip" {
        write!(
            stream,
            "HTTP/1.1 200 OK\r\nContent-Type: application/zip\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            zip.len()
        )?;
        stream.write_all(zip)?;
    } else {
        stream.write_all(
            b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        )?;
    }
    stream.flush()
}

impl Drop for OsvExportServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so that it sees the flag.
        let _ = TcpStream::connect((Ipv4Addr::LOCALHOST, self.port));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// A port on 127.0.0.1 where nothing listens (bound, then released): the OSV API URL the
/// tests give, so that an online scan fails at once instead of leaving the machine.
pub fn dead_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|l| l.local_addr())
        .expect("bind a free port")
        .port()
}

/// Points `fixture`'s settings at `server` for OSV's exports and at a dead port for the OSV
/// API (so nothing leaves the machine); with `import`, also imports the Debian export into
/// the offline database, with the engine call the Settings page's Update button makes.
pub async fn use_offline_osv(fixture: &Fixture, server: &OsvExportServer, import: bool) {
    fixture.write_config(&json!({
        "osvApiUrl": format!("http://127.0.0.1:{}", dead_port()),
        "osvDataUrl": server.url(),
    }));
    if import {
        VulnDb::in_store(&fixture.store_root())
            .update(
                &server.url(),
                &["Debian".to_owned()],
                &UpdateOptions::new(SystemTime::now()),
            )
            .await
            .expect("import the OSV export served on loopback");
    }
}
