//! What the `vulns_*` tests share: the OSV fixtures, packages to scan, zips built from
//! records, and [`OsvServer`], a small HTTP/1.1 server on 127.0.0.1 that answers like
//! OSV.dev's API and its export bucket:
//!
//! - `POST /v1/querybatch`: `{results: [{vulns: [{id, modified}], next_page_token?}]}`, at
//!   most [`OsvServer::page_size`] ids per page; a query sent back with `page_token`
//!   continues where its page ended. A query's ecosystem without a `:` matches every
//!   release of it (`Red Hat` matches `Red Hat:enterprise_linux:9::baseos`), as OSV.dev does.
//! - `GET /v1/vulns/{id}`: the record, or a 404 `{"code":5,"message":"Bug not found."}`.
//! - `GET /data/{ecosystem}/all.zip`: the zip set with [`OsvServer::set_zip`], or a 404.
//!
//! Faults are injected per path prefix for the next N requests ([`OsvServer::fail`]), and
//! every request is logged (`METHOD path`, with the body of POSTs).

#![allow(dead_code)]

use std::collections::{BTreeMap, HashMap};
use std::io::{Cursor, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use porthole_engine::packages::{OsRelease, Package, PackageType};
use porthole_engine::vulns::osv::{self, Vulnerability};
use porthole_engine::vulns::range;
use porthole_engine::vulns::version::VersionScheme;
use porthole_engine::vulns::{Retry, ecosystem};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

pub fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/osv")
}

/// The text of fixture `name` (`DSA-5532-1.json`).
pub fn fixture(name: &str) -> String {
    std::fs::read_to_string(fixtures_dir().join(name)).unwrap()
}

/// Every fixture record, parsed.
pub fn all_fixtures() -> Vec<Value> {
    let mut names: Vec<_> = std::fs::read_dir(fixtures_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".json"))
        .collect();
    names.sort();
    names
        .iter()
        .map(|n| serde_json::from_str(&fixture(n)).unwrap())
        .collect()
}

pub fn record(name: &str) -> Vulnerability {
    osv::parse(fixture(name).as_bytes()).unwrap()
}

/// No retries and no waiting: failures show at once.
pub fn no_retry() -> Retry {
    Retry {
        retries: 0,
        delay: std::time::Duration::from_millis(1),
    }
}

// ---------------------------------------------------------------------------------------
// Packages and images

pub fn os(id: &str, version_id: &str) -> OsRelease {
    OsRelease {
        id: id.into(),
        version_id: Some(version_id.into()),
        location: "/etc/os-release".into(),
        ..OsRelease::default()
    }
}

pub fn debian12() -> OsRelease {
    OsRelease {
        version_codename: Some("bookworm".into()),
        pretty_name: Some("Debian GNU/Linux 12 (bookworm)".into()),
        ..os("debian", "12")
    }
}

pub fn pkg(kind: PackageType, name: &str, version: &str) -> Package {
    Package {
        name: name.into(),
        version: version.into(),
        kind,
        purl: format!("pkg:{kind}/{name}@{version}"),
        licenses: Vec::new(),
        source_name: None,
        source_version: None,
        arch: None,
        location: "/".into(),
        layer: Some(0),
        layer_digest: None,
    }
}

/// A Debian binary package built from `source` at `source_version`.
pub fn deb(name: &str, version: &str, source: &str, source_version: &str) -> Package {
    Package {
        source_name: Some(source.into()),
        source_version: Some(source_version.into()),
        purl: format!("pkg:deb/debian/{name}@{version}?distro=debian-12"),
        location: "/var/lib/dpkg/status".into(),
        ..pkg(PackageType::Deb, name, version)
    }
}

/// The packages of a small Debian 12 image with Python and Node libraries on top: each
/// fixture's package at a vulnerable version, and a few that nothing affects.
pub fn mixed_image() -> (Vec<Package>, OsRelease) {
    let mut packages = vec![
        deb("libssl3", "3.0.9-1", "openssl", "3.0.9-1"),
        deb("openssl", "3.0.9-1", "openssl", "3.0.9-1"),
        deb("bash", "5.2.15-2+b2", "bash", "5.2.15-2"),
        pkg(PackageType::Python, "Requests", "2.28.1"),
        pkg(PackageType::Python, "Django", "4.2.1"),
        pkg(PackageType::Npm, "semver", "7.3.8"),
        pkg(PackageType::Npm, "ip", "2.0.1"),
        pkg(PackageType::Npm, "node-ipc", "10.1.1"),
        pkg(PackageType::Npm, "left-pad", "1.3.0"),
        pkg(PackageType::Go, "stdlib", "go1.21.1"),
        pkg(PackageType::Go, "golang.org/x/net", "v0.15.0"),
    ];
    packages[0].layer = Some(0);
    packages[3].layer = Some(2);
    (packages, debian12())
}

// ---------------------------------------------------------------------------------------
// Zips

/// An `all.zip` holding `records` as `<id>.json`, plus `extra` (name, bytes) entries.
pub fn zip_of(records: &[Value], extra: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for r in records {
        let id = r["id"].as_str().unwrap();
        w.start_file(format!("{id}.json"), opts).unwrap();
        w.write_all(serde_json::to_string_pretty(r).unwrap().as_bytes())
            .unwrap();
    }
    for (name, bytes) in extra {
        w.start_file(*name, opts).unwrap();
        w.write_all(bytes).unwrap();
    }
    w.finish().unwrap().into_inner()
}

/// The fixtures whose `affected` name an ecosystem of `export`, as OSV's export of it
/// would hold them.
pub fn export_of(records: &[Value], export: &str) -> Vec<Value> {
    records
        .iter()
        .filter(|r| {
            r["affected"].as_array().is_some_and(|a| {
                a.iter().any(|e| {
                    ecosystem::base(e["package"]["ecosystem"].as_str().unwrap_or("")) == export
                })
            })
        })
        .cloned()
        .collect()
}

// ---------------------------------------------------------------------------------------
// The server

#[derive(Clone, Debug)]
pub enum Fault {
    /// Answer this status with this body (and `Retry-After` when set).
    Status {
        status: u16,
        body: String,
        retry_after: Option<u64>,
    },
    /// A 200 whose body is not JSON.
    NotJson,
    /// Send only the first half of the body the request would get, as if complete.
    Truncate,
    /// Close the connection without answering.
    Close,
}

#[derive(Default)]
struct State {
    records: BTreeMap<String, Value>,
    zips: HashMap<String, Vec<u8>>,
    page_size: usize,
    faults: Vec<(String, usize, Fault)>,
    log: Vec<String>,
}

pub struct OsvServer {
    pub addr: std::net::SocketAddr,
    state: Arc<Mutex<State>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for OsvServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl OsvServer {
    /// A server holding `records`, on a fresh port of 127.0.0.1.
    pub async fn start(records: &[Value]) -> OsvServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let state = Arc::new(Mutex::new(State {
            page_size: 1000,
            ..State::default()
        }));
        for r in records {
            state
                .lock()
                .unwrap()
                .records
                .insert(r["id"].as_str().unwrap().to_owned(), r.clone());
        }
        let shared = state.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let state = shared.clone();
                tokio::spawn(async move {
                    let _ = serve(stream, state).await;
                });
            }
        });
        OsvServer { addr, state, task }
    }

    /// The API base URL.
    pub fn api_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The export bucket's base URL.
    pub fn data_url(&self) -> String {
        format!("http://{}/data", self.addr)
    }

    /// At most `n` ids per querybatch page.
    pub fn page_size(&self, n: usize) {
        self.state.lock().unwrap().page_size = n;
    }

    pub fn set_zip(&self, ecosystem: &str, bytes: Vec<u8>) {
        self.state
            .lock()
            .unwrap()
            .zips
            .insert(ecosystem.to_owned(), bytes);
    }

    /// The next `times` requests whose path starts with `prefix` get `fault`.
    pub fn fail(&self, prefix: &str, times: usize, fault: Fault) {
        self.state
            .lock()
            .unwrap()
            .faults
            .push((prefix.to_owned(), times, fault));
    }

    pub fn log(&self) -> Vec<String> {
        self.state.lock().unwrap().log.clone()
    }

    /// Requests logged whose line starts with `prefix` (`POST /v1/querybatch`).
    pub fn count(&self, prefix: &str) -> usize {
        self.log().iter().filter(|l| l.starts_with(prefix)).count()
    }
}

struct Request {
    method: String,
    path: String,
    body: Vec<u8>,
}

async fn read_request(stream: &mut TcpStream) -> Option<Request> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut first = lines.next()?.split(' ');
    let method = first.next()?.to_owned();
    let path = first.next()?.to_owned();
    let length: usize = lines
        .filter_map(|l| l.split_once(':'))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.trim().parse().ok())
        .unwrap_or(0);
    let mut body = buf[head_end + 4..].to_vec();
    while body.len() < length {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    Some(Request { method, path, body })
}

async fn serve(mut stream: TcpStream, state: Arc<Mutex<State>>) -> std::io::Result<()> {
    let Some(req) = read_request(&mut stream).await else {
        return Ok(());
    };
    let fault = {
        let mut s = state.lock().unwrap();
        let line = if req.method == "POST" {
            format!(
                "{} {} {}",
                req.method,
                req.path,
                String::from_utf8_lossy(&req.body)
            )
        } else {
            format!("{} {}", req.method, req.path)
        };
        s.log.push(line);
        let mut found = None;
        for (prefix, times, fault) in s.faults.iter_mut() {
            if *times > 0 && req.path.starts_with(prefix.as_str()) {
                *times -= 1;
                found = Some(fault.clone());
                break;
            }
        }
        found
    };
    let (status, mut body, retry_after) = match &fault {
        Some(Fault::Status {
            status,
            body,
            retry_after,
        }) => (*status, body.clone().into_bytes(), *retry_after),
        Some(Fault::NotJson) => (200, b"<html>upstream error</html>".to_vec(), None),
        Some(Fault::Close) => return Ok(()),
        Some(Fault::Truncate) | None => {
            let (status, body) = route(&req, &state);
            (status, body, None)
        }
    };
    if matches!(fault, Some(Fault::Truncate)) {
        body.truncate(body.len() / 2);
    }
    let reason = match status {
        200 => "OK",
        404 => "Not Found",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Status",
    };
    let mut head = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Length: {}\r\nContent-Type: application/json\r\nConnection: close\r\n",
        body.len()
    );
    if let Some(secs) = retry_after {
        head.push_str(&format!("Retry-After: {secs}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(&body).await?;
    stream.shutdown().await
}

fn route(req: &Request, state: &Arc<Mutex<State>>) -> (u16, Vec<u8>) {
    let not_found = || {
        (
            404,
            json!({"code": 5, "message": "Bug not found."})
                .to_string()
                .into_bytes(),
        )
    };
    let s = state.lock().unwrap();
    if req.method == "POST" && req.path == "/v1/querybatch" {
        let Ok(body) = serde_json::from_slice::<Value>(&req.body) else {
            return (400, br#"{"code":3,"message":"Invalid query."}"#.to_vec());
        };
        let queries = body["queries"].as_array().cloned().unwrap_or_default();
        if queries.len() > 1000 {
            return (400, br#"{"code":3,"message":"Too many queries."}"#.to_vec());
        }
        let results: Vec<Value> = queries
            .iter()
            .map(|q| batch_result(q, &s.records, s.page_size))
            .collect();
        return (200, json!({ "results": results }).to_string().into_bytes());
    }
    if req.method == "GET"
        && let Some(id) = req.path.strip_prefix("/v1/vulns/")
    {
        let id = percent_decode(id);
        return match s.records.get(&id) {
            Some(r) => (200, r.to_string().into_bytes()),
            None => not_found(),
        };
    }
    if req.method == "GET"
        && let Some(rest) = req.path.strip_prefix("/data/")
        && let Some(eco) = rest.strip_suffix("/all.zip")
    {
        return match s.zips.get(&percent_decode(eco)) {
            Some(z) => (200, z.clone()),
            None => (
                404,
                b"<?xml version='1.0' encoding='UTF-8'?><Error><Code>NoSuchKey</Code></Error>"
                    .to_vec(),
            ),
        };
    }
    not_found()
}

/// The ids of `records` affecting the query's version, a page of them from `page_token`.
fn batch_result(q: &Value, records: &BTreeMap<String, Value>, page_size: usize) -> Value {
    let eco = q["package"]["ecosystem"].as_str().unwrap_or("");
    let name = q["package"]["name"].as_str().unwrap_or("");
    let version = q["version"].as_str().unwrap_or("");
    let start: usize = q["page_token"]
        .as_str()
        .and_then(|t| t.strip_prefix("page-"))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    let mut hits: Vec<(&String, &Value)> = Vec::new();
    for (id, r) in records {
        let Ok(v) = osv::parse(r.to_string().as_bytes()) else {
            continue;
        };
        if v.is_withdrawn() {
            continue;
        }
        let hit = v.affected.iter().any(|a| {
            let e = &a.package.ecosystem;
            let same_eco = e == eco || (!eco.contains(':') && ecosystem::base(e) == eco);
            same_eco
                && ecosystem::normalize_name(e, &a.package.name)
                    == ecosystem::normalize_name(e, name)
                // As OSV.dev does: evaluate with the ecosystem's ordering; where it cannot,
                // answer the advisory anyway (a superset; the client evaluates again).
                && range::is_affected(a, version, VersionScheme::for_osv_ecosystem(e))
                    .unwrap_or(true)
        });
        if hit {
            hits.push((id, r));
        }
    }
    let page: Vec<Value> = hits
        .iter()
        .skip(start)
        .take(page_size)
        .map(|(id, r)| json!({"id": id, "modified": r["modified"]}))
        .collect();
    let mut out = serde_json::Map::new();
    if !page.is_empty() {
        out.insert("vulns".into(), Value::Array(page));
    }
    if start + page_size < hits.len() {
        out.insert(
            "next_page_token".into(),
            Value::String(format!("page-{}", start + page_size)),
        );
    }
    Value::Object(out)
}

fn percent_decode(s: &str) -> String {
    let mut out = Vec::new();
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && let Some(v) = s
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A port on 127.0.0.1 that nothing listens on.
pub fn closed_port_url() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    drop(l);
    format!("http://127.0.0.1:{port}")
}

/// A record affecting `name` in `ecosystem` from `introduced` to `fixed`.
pub fn synthetic(id: &str, ecosystem: &str, name: &str, introduced: &str, fixed: &str) -> Value {
    json!({
        "id": id,
        "modified": "2024-01-01T00:00:00Z",
        "aliases": [format!("CVE-2024-{}", id.len())],
        "summary": format!("{name}: synthetic advisory {id}"),
        "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],
        "affected": [{
            "package": {"ecosystem": ecosystem, "name": name},
            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": introduced}, {"fixed": fixed}]}]
        }]
    })
}

/// `v` with `key` set to `value`.
pub fn with(mut v: Value, key: &str, value: Value) -> Value {
    v[key] = value;
    v
}

/// `METHOD path` of each logged request.
pub fn paths(log: &[String]) -> Vec<String> {
    log.iter()
        .map(|l| l.split(' ').take(2).collect::<Vec<_>>().join(" "))
        .collect()
}

// ---------------------------------------------------------------------------------------
// Sources

/// An offline database in a fresh store directory, imported from `server`'s zips of the
/// exports of `records` (each export zipped as OSV publishes it).
pub async fn offline_db(
    server: &OsvServer,
    records: &[Value],
    exports: &[&str],
) -> (tempfile::TempDir, porthole_engine::vulns::VulnDb) {
    use porthole_engine::vulns::VulnDb;
    for export in exports {
        server.set_zip(export, zip_of(&export_of(records, export), &[]));
    }
    let store = tempfile::tempdir().unwrap();
    let db = VulnDb::in_store(store.path());
    let names: Vec<String> = exports.iter().map(|e| (*e).to_owned()).collect();
    db.update(&server.data_url(), &names, &update_options())
        .await
        .unwrap();
    (store, db)
}

/// Update options at a fixed time (2024-05-01T12:00:00Z), without retries.
pub fn update_options() -> porthole_engine::vulns::UpdateOptions {
    let now = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_714_564_800);
    let mut o = porthole_engine::vulns::UpdateOptions::new(now);
    o.retry = no_retry();
    o
}

/// The exports the fixtures cover.
pub const FIXTURE_EXPORTS: [&str; 7] = ["Debian", "Ubuntu", "Alpine", "PyPI", "npm", "Go", "Maven"];

/// An online source on `server`, without retries.
pub fn online(server: &OsvServer) -> porthole_engine::vulns::Source {
    let api = porthole_engine::vulns::OsvApi::new(&server.api_url())
        .unwrap()
        .with_retry(no_retry());
    porthole_engine::vulns::Source::Online(api)
}
