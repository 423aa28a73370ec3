//! Nothing from the network, an image or the user may panic a parser. Every entry point that
//! reads such input gets arbitrary input and mutations of real samples:
//! - package databases and metadata files: the fixtures under `tests/fixtures/packages`,
//!   through every detector that wants their path, and arbitrary bytes behind the magic
//!   numbers the detectors look for;
//! - Docker Hub's answers (`tests/fixtures/hub`), OSV records and manifests, their JSON trees
//!   mutated;
//! - the strings people and registries type (references, challenges, digests, licences);
//! - a store whose `index.json`, manifest or image config were damaged on disk (each blob
//!   under its own digest, so the parsers behind the digest checks are reached);
//! - damaged settings and credential files (Porthole's config, Docker's `config.json`,
//!   podman's `auth.json`).
//!
//! Errors are fine; a panic fails the test.

use std::path::{Path, PathBuf};

use proptest::prelude::*;
use proptest::sample::Index;
use serde_json::Value;

use porthole_engine::config::Config;
use porthole_engine::digest::Digest;
use porthole_engine::hub::{self, HubRepoName, SearchQuery};
use porthole_engine::layers::ImageLayers;
use porthole_engine::packages::{self, DetectContext, os_release};
use porthole_engine::reference::Reference;
use porthole_engine::registry::credentials::CredentialStore;
use porthole_engine::registry::{auth, manifest};
use porthole_engine::sbom::license::Expression;
use porthole_engine::store::Store;
use porthole_engine::vulns::{cvss, osv};

fn engine_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every file of the package fixtures, as `(path in the image, bytes)`: the fixtures are
/// laid out as `<ecosystem>/<case>/root/<path in the image>`.
fn package_samples() -> &'static [(String, Vec<u8>)] {
    static SAMPLES: std::sync::OnceLock<Vec<(String, Vec<u8>)>> = std::sync::OnceLock::new();
    SAMPLES.get_or_init(|| {
        let mut out = Vec::new();
        let base = engine_dir().join("tests/fixtures/packages");
        for case in walk(&base) {
            let rel = case.strip_prefix(&base).unwrap();
            let parts: Vec<_> = rel.components().collect();
            if parts.len() > 3 && parts[2].as_os_str() == "root" {
                let in_image: PathBuf = parts[3..].iter().collect();
                let bytes = std::fs::read(&case).unwrap();
                out.push((format!("/{}", in_image.display()), bytes));
            }
        }
        assert!(out.len() > 20, "the package fixtures were not found");
        out
    })
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let entry = entry.unwrap();
            let kind = entry.file_type().unwrap();
            if kind.is_dir() {
                stack.push(entry.path());
            } else if kind.is_file() {
                files.push(entry.path());
            }
        }
    }
    files.sort();
    files
}

/// Paths each detector reads, beyond the fixtures' (binaries, archives, rpm databases).
const MORE_PATHS: &[&str] = &[
    "/var/lib/rpm/rpmdb.sqlite",
    "/var/lib/rpm/Packages",
    "/var/lib/rpm/Packages.db",
    "/usr/local/bin/app",
    "/app/lib/app.jar",
    "/app/app.war",
    "/usr/lib/ruby/gems/3.1.0/specifications/rake-13.0.6.gemspec",
    "/usr/lib/python3.11/site-packages/pkg-1.0.dist-info/RECORD",
    "/app/node_modules/pkg/package.json",
    "/app/vendor/composer/installed.json",
    "/var/lib/dpkg/status",
    "/lib/apk/db/installed",
    "/etc/os-release",
];

/// Runs every detector that wants `path` over `bytes`, and the os-release parser.
fn detect_all(path: &str, bytes: &[u8]) {
    let ctx = DetectContext::default();
    for detector in packages::detectors() {
        if detector.wants(path, 0o755) {
            let _ = detector.parse(path, bytes, &ctx);
        }
    }
    let _ = os_release::parse(path, bytes);
}

/// One edit of a byte string.
#[derive(Debug, Clone)]
enum Edit {
    Set(Index, u8),
    Insert(Index, u8),
    Remove(Index),
    Truncate(Index),
    /// Copies a run of the input over another place (repeats structure, e.g. a length field).
    Splice(Index, Index, u8),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        4 => (any::<Index>(), any::<u8>()).prop_map(|(i, b)| Edit::Set(i, b)),
        2 => (any::<Index>(), any::<u8>()).prop_map(|(i, b)| Edit::Insert(i, b)),
        2 => any::<Index>().prop_map(Edit::Remove),
        1 => any::<Index>().prop_map(Edit::Truncate),
        1 => (any::<Index>(), any::<Index>(), 1u8..64).prop_map(|(a, b, n)| Edit::Splice(a, b, n)),
    ]
}

fn apply(mut bytes: Vec<u8>, edits: &[Edit]) -> Vec<u8> {
    for e in edits {
        if bytes.is_empty() {
            break;
        }
        match e {
            Edit::Set(i, b) => {
                let i = i.index(bytes.len());
                bytes[i] = *b;
            }
            Edit::Insert(i, b) => {
                let i = i.index(bytes.len() + 1);
                bytes.insert(i, *b);
            }
            Edit::Remove(i) => {
                let i = i.index(bytes.len());
                bytes.remove(i);
            }
            Edit::Truncate(i) => bytes.truncate(i.index(bytes.len())),
            Edit::Splice(from, to, n) => {
                let from = from.index(bytes.len());
                let to = to.index(bytes.len());
                let n = usize::from(*n)
                    .min(bytes.len() - from)
                    .min(bytes.len() - to);
                let run = bytes[from..from + n].to_vec();
                bytes[to..to + n].copy_from_slice(&run);
            }
        }
    }
    bytes
}

/// A JSON value of any shape, with strings that are not all ASCII and numbers at the edges.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        prop_oneof![
            Just(i64::MIN),
            Just(-1i64),
            Just(0),
            Just(i64::MAX),
            any::<i64>()
        ]
        .prop_map(Value::from),
        prop_oneof![Just(u64::MAX), any::<u64>()].prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        "\\PC{0,24}".prop_map(Value::String),
        "(sha256:[0-9a-f]{0,64}|[a-z0-9./:@_-]{0,40})".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-z_]{1,12}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Replaces the node at a chosen place of `doc` (in document order) by `with`, or removes it
/// from its object or array when `with` is `None`.
fn mutate_json(doc: &mut Value, at: Index, with: Option<Value>) {
    fn count(v: &Value) -> usize {
        1 + match v {
            Value::Array(a) => a.iter().map(count).sum(),
            Value::Object(o) => o.values().map(count).sum(),
            _ => 0,
        }
    }
    fn visit(v: &mut Value, target: &mut usize, with: &mut Option<Option<Value>>) -> bool {
        if *target == 0 {
            if let Some(Some(new)) = with.take() {
                *v = new;
            }
            return true;
        }
        *target -= 1;
        match v {
            Value::Array(a) => {
                for i in 0..a.len() {
                    if *target == 0 && matches!(with, Some(None)) {
                        a.remove(i);
                        return true;
                    }
                    if visit(&mut a[i], target, with) {
                        return true;
                    }
                }
            }
            Value::Object(o) => {
                let keys: Vec<String> = o.keys().cloned().collect();
                for k in keys {
                    if *target == 0 && matches!(with, Some(None)) {
                        o.remove(&k);
                        return true;
                    }
                    if visit(o.get_mut(&k).unwrap(), target, with) {
                        return true;
                    }
                }
            }
            _ => {}
        }
        false
    }
    let mut target = at.index(count(doc));
    let mut with = Some(with);
    visit(doc, &mut target, &mut with);
}

/// The Hub answers, read once.
fn hub_samples() -> &'static [(&'static str, Value)] {
    static SAMPLES: std::sync::OnceLock<Vec<(&'static str, Value)>> = std::sync::OnceLock::new();
    SAMPLES.get_or_init(|| {
        let dir = engine_dir().join("../../tests/fixtures/hub");
        [
            "search-v3-nginx.json",
            "search-v2-nginx.json",
            "tags-library-nginx.json",
            "repository-library-nginx.json",
        ]
        .into_iter()
        .map(|name| {
            let text = std::fs::read_to_string(dir.join(name)).unwrap();
            (name, serde_json::from_str(&text).unwrap())
        })
        .collect()
    })
}

/// Parses `body` as the answer `name` is a sample of; whether that worked.
fn hub_parse(name: &str, body: &[u8]) -> bool {
    match name {
        "search-v3-nginx.json" => hub::parse::parse_search_v3(body, 0).is_ok(),
        "search-v2-nginx.json" => hub::parse::parse_search_v2(body, 3).is_ok(),
        "tags-library-nginx.json" => hub::parse::parse_tags(body).is_ok(),
        _ => hub::parse::parse_repository(body, "library", "nginx").is_ok(),
    }
}

/// The OSV records, read once.
fn osv_samples() -> &'static [Value] {
    static SAMPLES: std::sync::OnceLock<Vec<Value>> = std::sync::OnceLock::new();
    SAMPLES.get_or_init(|| {
        walk(&engine_dir().join("tests/fixtures/osv"))
            .into_iter()
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .map(|p| serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap())
            .collect()
    })
}

/// Starts of the files detectors look into: ELF (64- and 32-bit), zip, SQLite, Berkeley DB's
/// hash magic, rpm's NDB.
const MAGICS: &[&[u8]] = &[
    b"",
    b"\x7fELF\x02\x01\x01\0",
    b"\x7fELF\x01\x01\x01\0",
    b"PK\x03\x04",
    b"SQLite format 3\0",
    b"\0\0\0\0\x61\x15\x06\0",
    b"RpmP",
];

const MANIFEST_TYPES: &[&str] = &[
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.docker.distribution.manifest.v1+prettyjws",
    "application/json",
];

fn manifest_sample() -> Value {
    serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            "digest": format!("sha256:{}", "a".repeat(64)),
            "size": 1234
        },
        "layers": [{
            "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
            "digest": format!("sha256:{}", "b".repeat(64)),
            "size": 5678,
            "urls": ["https://example.com/layer"],
            "annotations": {"org.opencontainers.image.title": "x"}
        }],
        "manifests": [{
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": format!("sha256:{}", "c".repeat(64)),
            "size": 99,
            "platform": {"architecture": "arm64", "os": "linux", "variant": "v8"}
        }],
        "annotations": {"org.opencontainers.image.created": "2024-01-01T00:00:00Z"}
    })
}

/// A one-file layer, as a tar.
fn layer_tar() -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    let mut header = tar::Header::new_ustar();
    header.set_size(5);
    header.set_mode(0o644);
    header.set_cksum();
    builder
        .append_data(&mut header, "etc/hello", &b"hello"[..])
        .unwrap();
    builder.into_inner().unwrap()
}

type JsonEdits = Vec<(Index, Option<Value>)>;

/// Between `count.start` and `count.end - 1` edits: most replace a node, a fifth remove one.
fn json_edits(count: std::ops::Range<usize>) -> impl Strategy<Value = JsonEdits> {
    prop::collection::vec(
        (any::<Index>(), prop::option::weighted(0.8, json_value())),
        count,
    )
}

fn edited(mut doc: Value, edits: JsonEdits) -> Vec<u8> {
    for (at, with) in edits {
        mutate_json(&mut doc, at, with);
    }
    doc.to_string().into_bytes()
}

/// A store holding one image whose config, manifest and `index.json` went through `edits`
/// (each blob stored under its own digest, so only the content is off), read every way the
/// CLI and the app read it. Returns how many images had their layers loaded.
fn read_damaged_store(config: JsonEdits, manifest: JsonEdits, index: JsonEdits) -> usize {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(tmp.path().join("store")).unwrap();
    let layer = layer_tar();
    let layer_digest = Digest::of(&layer);
    store.write_blob(&layer_digest, &layer).unwrap();
    let config = edited(
        serde_json::json!({
            "created": "2024-05-01T12:00:00Z",
            "architecture": "amd64",
            "os": "linux",
            "config": {
                "Env": ["PATH=/usr/bin"], "Entrypoint": ["/bin/sh"], "Cmd": ["-c", "true"],
                "WorkingDir": "/", "User": "1000", "ExposedPorts": {"80/tcp": {}},
                "Volumes": {"/data": {}}, "Labels": {"a": "b"}
            },
            "rootfs": {"type": "layers", "diff_ids": [layer_digest.to_string()]},
            "history": [
                {"created_by": "/bin/sh -c #(nop) ADD file:abc in /", "created": "2024-05-01T12:00:00Z"},
                {"created_by": "CMD [\"sh\"]", "empty_layer": true}
            ]
        }),
        config,
    );
    let config_digest = Digest::of(&config);
    store.write_blob(&config_digest, &config).unwrap();
    let manifest = edited(
        serde_json::json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {
                "mediaType": "application/vnd.oci.image.config.v1+json",
                "digest": config_digest.to_string(),
                "size": config.len()
            },
            "layers": [{
                "mediaType": "application/vnd.oci.image.layer.v1.tar",
                "digest": layer_digest.to_string(),
                "size": layer.len()
            }]
        }),
        manifest,
    );
    let manifest_digest = Digest::of(&manifest);
    store.write_blob(&manifest_digest, &manifest).unwrap();
    let index = edited(
        serde_json::json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.index.v1+json",
            "manifests": [{
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "digest": manifest_digest.to_string(),
                "size": manifest.len(),
                "platform": {"architecture": "amd64", "os": "linux"},
                "annotations": {
                    "io.containerd.image.name": "docker.io/library/damaged:1",
                    "org.opencontainers.image.ref.name": "1"
                }
            }]
        }),
        index,
    );
    std::fs::write(Store::index_file(store.root()), index).unwrap();

    let mut loaded = 0;
    if let Ok(images) = store.images() {
        for image in &images {
            let _ = store.write_archive(
                std::slice::from_ref(image),
                std::io::sink(),
                &tokio_util::sync::CancellationToken::new(),
            );
            if let Ok(layers) = ImageLayers::load(&store, image) {
                let _ = layers.steps();
                let _ = layers.tree("/", None);
                let _ = layers.packages();
                loaded += 1;
            }
        }
    }
    let _ = store.resolve("damaged");
    let _ = store.resolve(&manifest_digest.hex()[..12]);
    let _ = store.fsck();
    let _ = store.gc_estimate();
    loaded
}

/// Porthole's config, Docker's `config.json` and podman's `auth.json`, each through `edits`,
/// read as a pull reads them. (No credential helper is named: a mutation cannot add one,
/// since the keys it makes are lower-case and Docker's are `credsStore` and `credHelpers`.)
/// Returns whether the undamaged files would have given credentials for docker.io.
fn read_damaged_settings(config: JsonEdits, docker: JsonEdits, podman: JsonEdits) -> bool {
    let tmp = tempfile::tempdir().unwrap();
    let auth = |user: &str| {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:s3cr\u{e9}t"))
    };
    let config_path = tmp.path().join("porthole.json");
    let config_doc = serde_json::json!({
        "registryMirrors": ["http://127.0.0.1:5000", "https://mirror.example"],
        "registries": [{"host": "127.0.0.1:5000", "insecure": true, "caFile": "/etc/ssl/x.pem"}],
        "maxConcurrentDownloads": 4,
        "defaultPlatform": "linux/arm64/v8",
        "hubUrl": "http://127.0.0.1:1",
        "store": "/var/lib/porthole",
        "theme": "dark"
    });
    std::fs::write(&config_path, edited(config_doc, config)).unwrap();
    if let Ok(config) = Config::load(&config_path) {
        let _ = config.registry("127.0.0.1:5000");
        let _ = config.store_dir();
        let _ = config.jobs();
        let _ = config.mirror_urls();
        if let Some(p) = &config.default_platform {
            let _ = p.parse::<porthole_engine::Platform>();
        }
    }
    let docker_dir = tmp.path().join("docker");
    std::fs::create_dir(&docker_dir).unwrap();
    let docker_doc = serde_json::json!({
        "auths": {
            "https://index.docker.io/v1/": {"auth": auth("hub")},
            "127.0.0.1:5000": {"username": "u", "password": "p"},
            "registry.example": {"identitytoken": "tok", "registrytoken": "rt"}
        }
    });
    std::fs::write(docker_dir.join("config.json"), edited(docker_doc, docker)).unwrap();
    let podman_file = tmp.path().join("auth.json");
    let podman_doc = serde_json::json!({"auths": {"quay.io": {"auth": auth("quay")}}});
    std::fs::write(&podman_file, edited(podman_doc, podman)).unwrap();
    let helpers = tmp.path().join("no-helpers");
    std::fs::create_dir(&helpers).unwrap();
    let store = CredentialStore::new(docker_dir, vec![podman_file]).with_helper_dir(helpers);
    let hub = store.get("docker.io", Some("library/nginx"));
    for (registry, repository) in [
        ("127.0.0.1:5000", None),
        ("registry.example", Some("a/b")),
        ("quay.io", Some("x/y")),
    ] {
        let _ = store.lookup(registry, repository);
    }
    matches!(hub, Ok(Some(_)))
}

/// The samples the properties below mutate parse as they are, so the mutations start from
/// input that reaches past the first check.
#[test]
fn the_samples_parse_as_they_are() {
    for (name, doc) in hub_samples() {
        assert!(hub_parse(name, doc.to_string().as_bytes()), "{name}");
    }
    for doc in osv_samples() {
        assert!(
            osv::parse(doc.to_string().as_bytes()).is_ok(),
            "{}",
            doc["id"]
        );
    }
    let bytes = manifest_sample().to_string().into_bytes();
    let digest = Digest::of(&bytes);
    assert!(manifest::parse_manifest(bytes, None, digest, "r", "x").is_ok());
}

/// The undamaged settings give docker.io's credentials.
#[test]
fn the_undamaged_settings_are_read_whole() {
    assert!(read_damaged_settings(Vec::new(), Vec::new(), Vec::new()));
}

/// The undamaged store is read whole: the property test below reaches the real code.
/// A `docker save` archive of one image (legacy layout: `manifest.json`, the config, an
/// uncompressed layer behind a symlink), as plain tar bytes, or gzip-compressed.
fn docker_archive(gzip: bool) -> Vec<u8> {
    let layer = layer_tar();
    let diff_id = Digest::of(&layer);
    let config = serde_json::json!({
        "architecture": "amd64", "os": "linux",
        "rootfs": {"type": "layers", "diff_ids": [diff_id.to_string()]},
        "history": [{"created_by": "ADD rootfs /"}]
    })
    .to_string();
    let manifest = serde_json::json!([{
        "Config": "config.json", "RepoTags": ["example.com/loaded:1"], "Layers": ["abc/layer.tar"]
    }])
    .to_string();
    let mut builder = tar::Builder::new(Vec::new());
    for (name, bytes) in [
        ("manifest.json", manifest.as_bytes()),
        ("config.json", config.as_bytes()),
        ("layer-blob.tar", &layer[..]),
    ] {
        let mut header = tar::Header::new_ustar();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        builder.append_data(&mut header, name, bytes).unwrap();
    }
    let mut link = tar::Header::new_ustar();
    link.set_entry_type(tar::EntryType::Symlink);
    link.set_size(0);
    link.set_cksum();
    builder
        .append_link(&mut link, "abc/layer.tar", "../layer-blob.tar")
        .unwrap();
    let tar = builder.into_inner().unwrap();
    if !gzip {
        return tar;
    }
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut encoder, &tar).unwrap();
    encoder.finish().unwrap()
}

/// Loads `bytes` into a fresh store; returns how many images it added.
fn load(bytes: &[u8]) -> usize {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(tmp.path().join("store")).unwrap();
    let token = tokio_util::sync::CancellationToken::new();
    let loaded = store
        .load_archive(bytes, &token)
        .map_or(0, |r| r.images.len());
    // Whatever was added reads as an image.
    if let Ok(images) = store.images() {
        for image in &images {
            let _ = ImageLayers::load(&store, image);
        }
    }
    loaded
}

#[test]
fn the_undamaged_archives_load_whole() {
    assert_eq!(load(&docker_archive(false)), 1);
    assert_eq!(load(&docker_archive(true)), 1);
}

#[test]
fn the_undamaged_store_is_read_whole() {
    assert_eq!(read_damaged_store(Vec::new(), Vec::new(), Vec::new()), 1);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn detectors_survive_mutated_samples(
        sample in any::<Index>(),
        edits in prop::collection::vec(edit(), 1..12),
    ) {
        let samples = package_samples();
        let (path, bytes) = &samples[sample.index(samples.len())];
        detect_all(path, &apply(bytes.clone(), &edits));
    }

    #[test]
    fn image_archives_survive_mutation(
        gzip in any::<bool>(),
        edits in prop::collection::vec(edit(), 1..12),
    ) {
        load(&apply(docker_archive(gzip), &edits));
    }

    #[test]
    fn detectors_survive_arbitrary_bytes(
        path in prop::sample::select(MORE_PATHS),
        magic in prop::sample::select(MAGICS),
        body in prop::collection::vec(any::<u8>(), 0..4096),
    ) {
        let mut bytes = magic.to_vec();
        bytes.extend_from_slice(&body);
        detect_all(path, &bytes);
    }

    #[test]
    fn text_parsers_survive_any_string(
        s in prop_oneof!["\\PC{0,80}", "[a-zA-Z0-9:/@._\\-=\", ]{0,80}"],
    ) {
        let _ = Reference::parse(&s);
        let _ = s.parse::<Digest>();
        let _ = auth::parse_challenge(&s);
        let _ = HubRepoName::parse(&s);
        let _ = SearchQuery::new(&s);
        let _ = hub::ratelimit::parse_ratelimit(&s);
        let _ = hub::parse::docker_logo(&s);
        let _ = Expression::parse(&s);
        let _ = cvss::base_score(&s);
        let _ = porthole_engine::vulns::time::Timestamp::parse(&s);
        let _ = packages::rpm::split_source_rpm(&s);
        let _ = packages::golang::parse_modinfo(&s);
        let _ = packages::java::manifest_fields(&s);
        let _ = packages::apk::records(&s);
        let _ = packages::dpkg::display_version(&s);
        let _ = packages::purl::encode(&s);
    }

    #[test]
    fn hub_answers_survive_mutation(
        sample in any::<Index>(),
        edits in json_edits(1..5),
    ) {
        let samples = hub_samples();
        let (name, doc) = &samples[sample.index(samples.len())];
        let _ = hub_parse(name, &edited(doc.clone(), edits));
    }

    #[test]
    fn hub_answers_survive_arbitrary_bytes(
        name in prop::sample::select(&[
            "search-v3-nginx.json", "search-v2-nginx.json", "tags-library-nginx.json", "x",
        ][..]),
        body in prop::collection::vec(any::<u8>(), 0..512),
    ) {
        let _ = hub_parse(name, &body);
    }

    #[test]
    fn osv_records_survive_mutation(
        sample in any::<Index>(),
        edits in json_edits(1..5),
    ) {
        let samples = osv_samples();
        let doc = samples[sample.index(samples.len())].clone();
        let _ = osv::parse(&edited(doc, edits));
    }

    #[test]
    fn a_damaged_store_is_read_without_panicking(
        config in json_edits(0..4),
        manifest in json_edits(0..3),
        index in json_edits(0..3),
    ) {
        let _ = read_damaged_store(config, manifest, index);
    }

    #[test]
    fn damaged_settings_and_credentials_are_read_without_panicking(
        config in json_edits(0..4),
        docker in json_edits(0..4),
        podman in json_edits(0..3),
    ) {
        let _ = read_damaged_settings(config, docker, podman);
    }

    #[test]
    fn manifests_survive_mutation(
        content_type in prop::option::of(prop::sample::select(MANIFEST_TYPES)),
        media_type in prop::sample::select(MANIFEST_TYPES),
        edits in json_edits(0..5),
    ) {
        let mut doc = manifest_sample();
        doc["mediaType"] = Value::from(media_type);
        let bytes = edited(doc, edits);
        let digest = Digest::of(&bytes);
        let _ = manifest::parse_manifest(
            bytes,
            content_type.map(str::to_owned),
            digest,
            "127.0.0.1:5000",
            "library/nginx:latest",
        );
    }
}
