//! Pushes to a real registry (distribution 2.8): images pulled into a store go to another
//! repository and another registry, and are read back with skopeo and a fresh pull; blobs the
//! repository has are not sent again, blobs of the same registry are mounted; Basic and token
//! auth (with the push scope, and a pull-only account refused); 503/429 bursts and an upload
//! cut mid-way; a store that lacks a blob; and the `porthole push --json` document.

mod pull_support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, OnceLock};

use porthole_engine::registry::RegistryError;
use porthole_engine::registry::push::{
    BlobStatus, PushError, PushEvent, PushOptions, PushReport, push_image,
};
use porthole_engine::store::{ManifestDescriptor, NewImage};
use porthole_engine::{Digest, Reference};
use porthole_tests::fixtures::{
    Image, LayerBuilder, MediaTypes, catalog, media_type, sha256_digest,
};
use porthole_tests::proxy::Fault;
use porthole_tests::tools::{skopeo, skopeo_inspect_raw};
use porthole_tests::{FaultProxy, Method, RegistryAuth, TestRegistry, TokenIssuer};
use pull_support::{Client, TestStore, pull_into};
use serde_json::json;
use tokio_util::sync::CancellationToken;

/// Every event a push reported, in order.
#[derive(Default)]
struct Events(Mutex<Vec<PushEvent>>);

impl Events {
    fn all(&self) -> Vec<PushEvent> {
        self.0.lock().expect("events").clone()
    }
}

/// Pushes `source` (a reference or ID in `store`) to `destination`, two blobs at a time.
async fn push(
    client: &Client,
    store: &TestStore,
    source: &str,
    destination: &str,
    events: &Events,
) -> Result<PushReport, PushError> {
    let image = store
        .store
        .resolve(source)
        .expect("the source is in the store");
    let destination = Reference::parse(destination).expect("a valid destination");
    let observer = |e: PushEvent| events.0.lock().expect("events").push(e);
    push_image(
        &client.client,
        &store.store,
        &image,
        &destination,
        &PushOptions { jobs: 2 },
        &observer,
        &CancellationToken::new(),
    )
    .await
}

/// [`push`], without keeping the events.
async fn push_quietly(
    client: &Client,
    store: &TestStore,
    source: &str,
    destination: &str,
) -> Result<PushReport, PushError> {
    push(client, store, source, destination, &Events::default()).await
}

/// Every blob of the push (config and layers) ended as `status`.
#[track_caller]
fn assert_every_blob(report: &PushReport, status: BlobStatus) {
    assert!(
        statuses(report).iter().all(|s| *s == status),
        "every blob {status:?}: {report:#?}"
    );
}

fn statuses(report: &PushReport) -> Vec<BlobStatus> {
    std::iter::once(&report.config)
        .chain(&report.layers)
        .map(|b| b.status)
        .collect()
}

/// `skopeo copy` of `reference` into a `dir:` directory (manifest and blobs as served).
fn skopeo_copy_to_dir(reference: &str, dir: &Path, creds: Option<(&str, &str)>) {
    let mut args = vec![
        "copy".to_owned(),
        "--quiet".to_owned(),
        "--src-tls-verify=false".to_owned(),
    ];
    match creds {
        Some((u, p)) => args.push(format!("--src-creds={u}:{p}")),
        None => args.push("--src-no-creds".to_owned()),
    }
    args.push(format!("docker://{reference}"));
    args.push(format!("dir:{}", dir.display()));
    skopeo(args);
}

/// The registry serves `reference` as `image`: the manifest byte for byte (skopeo inspect
/// --raw), every blob byte for byte (skopeo copy to a directory).
fn assert_registry_serves(reference: &str, image: &Image, creds: Option<(&str, &str)>) {
    assert_eq!(
        skopeo_inspect_raw(reference, creds),
        image.manifest.to_vec(),
        "manifest of {reference}"
    );
    let dir = tempfile::tempdir().expect("skopeo dir");
    let out = dir.path().join("copy");
    skopeo_copy_to_dir(reference, &out, creds);
    let blob = |digest: &str| {
        std::fs::read(out.join(digest.trim_start_matches("sha256:")))
            .unwrap_or_else(|e| panic!("blob {digest} of {reference}: {e}"))
    };
    assert_eq!(blob(&image.config_digest), image.config.to_vec());
    for layer in &image.layers {
        assert_eq!(
            blob(&layer.digest),
            layer.blob.to_vec(),
            "layer {}",
            layer.digest
        );
    }
}

#[tokio::test]
async fn pushes_to_another_registry_and_repository_byte_exact() {
    let origin = TestRegistry::start(RegistryAuth::None);
    let target = TestRegistry::start(RegistryAuth::None);
    let client = Client::anonymous();
    for (family, tag) in [(MediaTypes::Oci, "oci"), (MediaTypes::Docker, "docker")] {
        let image = match family {
            MediaTypes::Oci => catalog::multi_layer(3, 120_000),
            MediaTypes::Docker => catalog::simple(MediaTypes::Docker),
        };
        let pushed = image.push(&origin, "src/app", tag);
        let store = TestStore::new();
        pull_into(&client.client, &store, &pushed.reference(), None)
            .await
            .expect("pull");

        // Another registry: every blob uploaded.
        let destination = format!("{}/team/app:{tag}-copy", target.addr());
        let events = Events::default();
        let report = push(&client, &store, &pushed.reference(), &destination, &events)
            .await
            .unwrap_or_else(|e| panic!("{tag}: {e}"));
        assert_eq!(report.reference, destination);
        assert_eq!(report.digest.to_string(), image.manifest_digest);
        assert_eq!(report.id.to_string(), image.config_digest);
        assert_every_blob(&report, BlobStatus::Pushed);
        let total = image.config_size() + image.layers.iter().map(|l| l.size).sum::<u64>();
        assert_eq!(report.bytes_uploaded, total);
        let events = events.all();
        assert!(
            matches!(events.first(), Some(PushEvent::Started { .. })),
            "{events:?}"
        );
        assert!(
            matches!(events.last(), Some(PushEvent::ManifestPushed { digest }) if digest.to_string() == image.manifest_digest),
            "{events:?}"
        );
        assert_registry_serves(&destination, &image, None);

        // A fresh pull of what was pushed gives the same image.
        let fresh = TestStore::new();
        let pulled = pull_into(&client.client, &fresh, &destination, None)
            .await
            .expect("pull back");
        assert_eq!(pulled.digest.to_string(), image.manifest_digest);
        fresh.assert_holds(&image);

        // Again: the repository has everything, nothing is uploaded.
        let again = push_quietly(&client, &store, &pushed.reference(), &destination)
            .await
            .expect("second push");
        assert_every_blob(&again, BlobStatus::Exists);
        assert_eq!(again.bytes_uploaded, 0);

        // Another repository of the image's own registry: blobs are mounted, not uploaded.
        let sibling = format!("{}/mirror/app:{tag}", origin.addr());
        let mounted = push_quietly(&client, &store, &pushed.reference(), &sibling)
            .await
            .expect("push to a sibling repository");
        assert_every_blob(&mounted, BlobStatus::Mounted);
        assert_eq!(mounted.bytes_uploaded, 0);
        assert_registry_serves(&sibling, &image, None);
    }
}

#[tokio::test]
async fn a_second_push_sends_no_blob_and_a_sibling_push_mounts() {
    let registry = TestRegistry::start(RegistryAuth::None);
    let proxy = FaultProxy::in_front_of(&registry);
    let client = Client::anonymous();
    let image = catalog::multi_layer(2, 50_000);
    // Pulled through the proxy, so the image's own name is on the proxy's address.
    let pushed = image.push(&registry, "src/app", "v1");
    let source = pushed.reference_via(&proxy.addr());
    let store = TestStore::new();
    pull_into(&client.client, &store, &source, None)
        .await
        .expect("pull");

    let destination = format!("{}/team/app:v1", proxy.addr());
    // The first push mounts from src/app (same registry); nothing travels.
    proxy.reset_log();
    let first = push_quietly(&client, &store, &source, &destination)
        .await
        .expect("push");
    assert_every_blob(&first, BlobStatus::Mounted);
    let mounts: Vec<_> = proxy
        .requests()
        .into_iter()
        .filter(|r| r.method == Method::POST)
        .collect();
    assert_eq!(mounts.len(), 3, "{mounts:#?}");
    for r in &mounts {
        let query = r.query.as_deref().unwrap_or_default();
        assert!(
            query.contains("mount=sha256") && query.contains("from=src%2Fapp"),
            "{query}"
        );
        assert_eq!(r.status, 201);
    }
    assert_eq!(proxy.request_count_for(Method::PUT, "/blobs/"), 0);

    proxy.reset_log();
    let second = push_quietly(&client, &store, &source, &destination)
        .await
        .expect("second push");
    assert_every_blob(&second, BlobStatus::Exists);
    assert_eq!(proxy.request_count_for(Method::HEAD, "/blobs/"), 3);
    assert_eq!(proxy.request_count_for(Method::POST, "/blobs/"), 0);
    assert_eq!(proxy.request_count_for(Method::PUT, "/blobs/"), 0);
    assert_eq!(proxy.request_count_for(Method::PUT, "/manifests/v1"), 1);
}

#[tokio::test]
async fn htpasswd_registry_takes_credentials_and_names_the_way_in() {
    let registry = TestRegistry::start(RegistryAuth::Htpasswd {
        user: "bob",
        password: "hunter2",
    });
    let image = catalog::multi_layer(2, 20_000);
    let pushed = image.push(&registry, "private/app", "v1");
    let bob = Client::with_login(registry.addr(), "bob", "hunter2");
    let store = TestStore::new();
    pull_into(&bob.client, &store, &pushed.reference(), None)
        .await
        .expect("pull");
    let destination = format!("{}/private/copy:v2", registry.addr());

    let anonymous = Client::anonymous();
    let err = push_quietly(&anonymous, &store, &pushed.reference(), &destination)
        .await
        .expect_err("no credentials");
    assert!(
        matches!(
            err,
            PushError::Registry(RegistryError::PushAuthRequired { .. })
        ),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        format!(
            "registry {0} requires you to sign in to push to private/copy: run `porthole login {0}`",
            registry.addr()
        )
    );

    let wrong = Client::with_login(registry.addr(), "bob", "nope");
    let err = push_quietly(&wrong, &store, &pushed.reference(), &destination)
        .await
        .expect_err("a wrong password");
    assert!(
        matches!(
            err,
            PushError::Registry(RegistryError::CredentialsRefused { .. })
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("refused the credentials"), "{err}");

    let report = push_quietly(&bob, &store, &pushed.reference(), &destination)
        .await
        .expect("push with bob's credentials");
    assert_every_blob(&report, BlobStatus::Mounted);
    assert_registry_serves(&destination, &image, Some(("bob", "hunter2")));
}

#[tokio::test]
async fn token_registry_grants_push_scope_and_refuses_a_pull_only_account() {
    let issuer = TokenIssuer::builder()
        .user("alice", "secret")
        .pull_only_user("reader", "letmein")
        .start();
    let registry = TestRegistry::start(RegistryAuth::Token(&issuer));
    let image = catalog::multi_layer(2, 30_000);
    let pushed = image.push(&registry, "src/app", "v1");
    let alice = Client::with_login(registry.addr(), "alice", "secret");
    let store = TestStore::new();
    pull_into(&alice.client, &store, &pushed.reference(), None)
        .await
        .expect("pull");

    // A mount asks for push on the destination and pull on the source repository.
    issuer.reset_log();
    let sibling = format!("{}/team/app:v1", registry.addr());
    let report = push_quietly(&alice, &store, &pushed.reference(), &sibling)
        .await
        .expect("alice pushes");
    assert_every_blob(&report, BlobStatus::Mounted);
    let scopes: Vec<Vec<String>> = issuer.requests().into_iter().map(|r| r.scopes).collect();
    assert!(
        scopes
            .iter()
            .any(|s| s.contains(&"repository:team/app:pull,push".to_owned())
                && s.contains(&"repository:src/app:pull".to_owned())),
        "{scopes:?}"
    );
    assert_registry_serves(&sibling, &image, Some(("alice", "secret")));

    // To another registry's name on the same issuer: uploads, with the push scope.
    issuer.reset_log();
    let fresh_store = TestStore::new();
    pull_into(&alice.client, &fresh_store, &sibling, None)
        .await
        .expect("pull back");
    let elsewhere = format!("{}/other/app:v2", registry.addr());
    let uploaded = push_quietly(&alice, &fresh_store, &sibling, &elsewhere)
        .await
        .expect("alice pushes again");
    assert_eq!(uploaded.digest.to_string(), image.manifest_digest);
    assert!(
        issuer.requests().iter().any(|r| r
            .scopes
            .iter()
            .any(|s| s == "repository:other/app:pull,push")
            && r.granted
                .iter()
                .any(|g| g.actions.contains(&"push".to_owned()))),
        "{:?}",
        issuer.requests()
    );

    let reader = Client::with_login(registry.addr(), "reader", "letmein");
    let destination = format!("{}/readonly/app:v1", registry.addr());
    let err = push_quietly(&reader, &store, &pushed.reference(), &destination)
        .await
        .expect_err("a pull-only account");
    assert!(
        matches!(err, PushError::Registry(RegistryError::PushDenied { .. })),
        "{err:?}"
    );
    let message = err.to_string();
    assert!(
        message.starts_with(&format!(
            "registry {} denied push access to readonly/app",
            registry.addr()
        )),
        "{message}"
    );
    assert!(message.contains("porthole login"), "{message}");
}

#[tokio::test]
async fn bursts_of_503_and_429_and_a_cut_upload_are_retried() {
    let registry = TestRegistry::start(RegistryAuth::None);
    let proxy = FaultProxy::in_front_of(&registry);
    let client = Client::anonymous();
    let image = catalog::big_layer(3 << 20, 7);
    let pushed = image.push(&registry, "src/big", "v1");
    let store = TestStore::new();
    pull_into(&client.client, &store, &pushed.reference(), None)
        .await
        .expect("pull");

    // The config is there already, so that the one blob PUT is the 3 MiB layer's, and the
    // cut falls a third of the way into it.
    porthole_tests::client::push_blob(&registry, "team/big", &image.config);
    proxy.inject(Fault::status(503).on("/blobs/").any_method().times(2));
    proxy.inject(Fault::rate_limited(1).on("/blobs/uploads/").any_method());
    proxy.inject(Fault::cut_request_after(1 << 20).on("/blobs/uploads/"));
    proxy.inject(Fault::status(502).on("/manifests/").any_method());
    let destination = format!("{}/team/big:v1", proxy.addr());
    let events = Events::default();
    let report = push(&client, &store, &pushed.reference(), &destination, &events)
        .await
        .expect("push through faults");
    assert_eq!(proxy.unused_faults(), 0, "every fault happened");
    assert_eq!(
        statuses(&report),
        vec![BlobStatus::Exists, BlobStatus::Pushed]
    );
    assert_eq!(report.bytes_uploaded, image.layers[0].size);
    let cut = proxy
        .requests()
        .into_iter()
        .filter(|r| r.fault == Some("cut_request"))
        .count();
    assert_eq!(cut, 1);
    assert!(
        events
            .all()
            .iter()
            .any(|e| matches!(e, PushEvent::BlobRetrying { .. })),
        "{:?}",
        events.all()
    );
    assert_registry_serves(&format!("{}/team/big:v1", registry.addr()), &image, None);
}

#[tokio::test]
async fn a_blob_missing_from_the_store_is_named_before_anything_is_sent() {
    let registry = TestRegistry::start(RegistryAuth::None);
    let proxy = FaultProxy::in_front_of(&registry);
    let client = Client::anonymous();
    let image = catalog::multi_layer(3, 10_000);
    let pushed = image.push(&registry, "src/app", "v1");
    let store = TestStore::new();
    pull_into(&client.client, &store, &pushed.reference(), None)
        .await
        .expect("pull");
    let gone = &image.layers[1].digest;
    std::fs::remove_file(store.blob_path(gone)).expect("remove a layer");

    proxy.reset_log();
    let destination = format!("{}/team/app:v1", proxy.addr());
    let err = push_quietly(&client, &store, &pushed.reference(), &destination)
        .await
        .expect_err("a missing layer");
    assert!(matches!(err, PushError::MissingBlobs { .. }), "{err:?}");
    let message = err.to_string();
    assert!(message.contains(&format!("layer 2 {gone}")), "{message}");
    assert!(message.contains("pull the image again"), "{message}");
    assert!(proxy.requests().is_empty(), "{:#?}", proxy.requests());
}

#[tokio::test]
async fn foreign_layers_are_left_out_and_digest_destinations_refused() {
    let registry = TestRegistry::start(RegistryAuth::None);
    let client = Client::anonymous();
    let store = TestStore::new();
    // An image with a foreign first layer, put in the store by hand.
    let foreign = LayerBuilder::new()
        .file("foreign.txt", "elsewhere\n")
        .build();
    let local = LayerBuilder::new().file("local.txt", "here\n").build();
    let config = json!({
        "architecture": "amd64", "os": "linux", "config": {},
        "rootfs": { "type": "layers", "diff_ids": [foreign.diff_id, local.diff_id] },
    })
    .to_string();
    let manifest = json!({
        "schemaVersion": 2,
        "mediaType": media_type::DOCKER_MANIFEST,
        "config": { "mediaType": media_type::DOCKER_CONFIG, "digest": sha256_digest(config.as_bytes()), "size": config.len() },
        "layers": [
            { "mediaType": "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
              "digest": foreign.digest, "size": foreign.size,
              "urls": [format!("https://foreign.invalid/{}", foreign.digest)] },
            { "mediaType": media_type::DOCKER_LAYER_GZIP, "digest": local.digest, "size": local.size },
        ],
    })
    .to_string();
    let digest = |s: &str| s.parse::<Digest>().expect("digest");
    // The store holds the foreign layer too, as a pull fetches it from its URL.
    for bytes in [
        config.as_bytes(),
        &foreign.blob,
        &local.blob,
        manifest.as_bytes(),
    ] {
        store
            .store
            .write_blob(&digest(&sha256_digest(bytes)), bytes)
            .expect("write blob");
    }
    let manifest_digest = sha256_digest(manifest.as_bytes());
    store
        .store
        .add_image(NewImage {
            name: "127.0.0.1:1/win/app:v1".into(),
            tag: None,
            manifest: ManifestDescriptor {
                media_type: media_type::DOCKER_MANIFEST.into(),
                digest: digest(&manifest_digest),
                size: manifest.len() as u64,
            },
            platform: None,
            index_digest: None,
        })
        .expect("add image");

    let destination = format!("{}/win/app:v1", registry.addr());
    let report = push_quietly(&client, &store, "127.0.0.1:1/win/app:v1", &destination)
        .await
        .expect("push");
    assert_eq!(
        statuses(&report),
        vec![
            BlobStatus::Pushed,
            BlobStatus::SkippedForeign,
            BlobStatus::Pushed
        ]
    );
    assert_eq!(report.bytes_uploaded, config.len() as u64 + local.size);
    assert_eq!(
        skopeo_inspect_raw(&destination, None),
        manifest.as_bytes().to_vec()
    );

    let by_digest = format!("{}/win/app@{manifest_digest}", registry.addr());
    let err = push_quietly(&client, &store, "127.0.0.1:1/win/app:v1", &by_digest)
        .await
        .expect_err("a digest destination");
    assert!(
        matches!(err, PushError::DigestDestination { .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("give a tag"), "{err}");
}

/// The `porthole` binary of this build, built first (so a stale one is never run).
fn porthole_bin() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let exe = std::env::current_exe().expect("test executable");
        let profile_dir = exe
            .parent()
            .and_then(Path::parent)
            .expect("target/<profile>/deps")
            .to_path_buf();
        let mut cargo = Command::new(env!("CARGO"));
        cargo
            .args([
                "build",
                "--quiet",
                "-p",
                "porthole-cli",
                "--bin",
                "porthole",
            ])
            .current_dir(env!("CARGO_MANIFEST_DIR"));
        if profile_dir.file_name().is_some_and(|n| n == "release") {
            cargo.arg("--release");
        }
        let status = cargo.status().expect("run cargo build");
        assert!(status.success(), "cargo build -p porthole-cli failed");
        profile_dir.join("porthole")
    })
}

#[tokio::test]
async fn the_cli_prints_one_json_document() {
    let registry = TestRegistry::start(RegistryAuth::None);
    let target = TestRegistry::start(RegistryAuth::None);
    let client = Client::anonymous();
    let image = catalog::multi_layer(2, 40_000);
    let pushed = image.push(&registry, "src/app", "v1");
    let store = TestStore::new();
    pull_into(&client.client, &store, &pushed.reference(), None)
        .await
        .expect("pull");
    let home = tempfile::tempdir().expect("home");
    let run = |args: &[&str]| {
        Command::new(porthole_bin())
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", home.path())
            .env("DOCKER_CONFIG", home.path().join("docker"))
            .env("PORTHOLE_CONFIG", home.path().join("porthole.json"))
            .arg("--store")
            .arg(store.root())
            .args(args)
            .output()
            .expect("run porthole")
    };
    let destination = format!("{}/cli/app:v9", target.addr());
    let id = image.config_digest.trim_start_matches("sha256:")[..12].to_owned();
    let out = run(&["--json", "push", "--jobs", "3", &id, &destination]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON document");
    assert_eq!(doc["reference"], destination);
    assert_eq!(doc["digest"], image.manifest_digest);
    assert_eq!(doc["id"], image.config_digest);
    assert_eq!(doc["config"]["status"], "pushed");
    let layers = doc["layers"].as_array().expect("layers");
    assert_eq!(layers.len(), 2);
    for (layer, built) in layers.iter().zip(&image.layers) {
        assert_eq!(layer["digest"], built.digest);
        assert_eq!(layer["size"], built.size);
        assert_eq!(layer["media_type"], built.media_type(MediaTypes::Oci));
        assert_eq!(layer["status"], "pushed");
    }
    let total = image.config_size() + image.layers.iter().map(|l| l.size).sum::<u64>();
    assert_eq!(doc["bytes_uploaded"], total);

    // Without a destination, the image's own name; then everything is there already.
    let out = run(&["--json", "push", &pushed.reference()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(doc["reference"], pushed.reference());
    assert_eq!(doc["layers"][0]["status"], "exists");
    assert_eq!(doc["bytes_uploaded"], 0);

    // Another repository of the image's own registry: mounted.
    let sibling = format!("{}/cli/app:v1", registry.addr());
    let out = run(&["--json", "push", &pushed.reference(), &sibling]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(doc["config"]["status"], "mounted");
    assert_eq!(doc["layers"][1]["status"], "mounted");

    // Human output: blob lines on stderr, the digest and the reference on stdout.
    let out = run(&["push", &pushed.reference(), &sibling]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        stdout,
        format!(
            "v1: digest: {} (0 pushed, 0 B uploaded; 3 already there, 0 mounted)\n{sibling}\n",
            image.manifest_digest
        )
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.starts_with(&format!(
            "The push refers to repository [{}/cli/app]\n",
            registry.addr()
        )),
        "{stderr}"
    );
    assert_eq!(
        stderr.matches(": Layer already exists").count(),
        3,
        "{stderr}"
    );

    // Errors: one line on stderr, non-zero.
    let out = run(&[
        "push",
        &id,
        &format!("{}/cli/app@{}", registry.addr(), image.manifest_digest),
    ]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.starts_with("porthole: error: cannot push to") && stderr.contains("give a tag"),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}
