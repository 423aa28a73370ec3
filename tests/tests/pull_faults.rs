//! Pulls through a [`FaultProxy`] that cuts, stalls, refuses, rate-limits, corrupts,
//! redirects and pads what the registry sends, and from a foreign layer's URL. A pull either
//! recovers and stores exactly the pushed bytes, or fails with the error that says what
//! happened and leaves nothing half-done in the store.

mod pull_support;

use std::time::{Duration, Instant};

use porthole_engine::pull::{PullError, PullEvent};
use porthole_engine::registry::RegistryError;
use porthole_engine::registry::manifest::MAX_MANIFEST_BYTES;
use porthole_tests::client::RegistryClient as RawClient;
use porthole_tests::fixtures::{
    Image, LayerBuilder, MediaTypes, catalog, media_type, sha256_digest,
};
use porthole_tests::proxy::{Fault, Framing, StorageHost};
use porthole_tests::{FaultProxy, Method, RegistryAuth, TestRegistry, TokenIssuer};
use pull_support::{Client, Events, TestStore, pull_into, pull_observed};
use tokio_util::sync::CancellationToken;

/// A registry holding `image` as `faults/app:v1`, and a proxy in front of it.
fn behind_proxy(image: &Image) -> (TestRegistry, FaultProxy, String) {
    let registry = TestRegistry::start(RegistryAuth::None);
    let pushed = image.push(&registry, "faults/app", "v1");
    let proxy = FaultProxy::in_front_of(&registry);
    let reference = pushed.reference_via(&proxy.addr());
    (registry, proxy, reference)
}

/// The GET requests the proxy saw for blob `digest`.
fn blob_gets(proxy: &FaultProxy, digest: &str) -> Vec<porthole_tests::proxy::RecordedRequest> {
    proxy
        .requests()
        .into_iter()
        .filter(|r| r.method == Method::GET && r.path.ends_with(digest))
        .collect()
}

#[tokio::test]
async fn a_connection_cut_mid_blob_resumes_with_range() {
    let image = catalog::big_layer(8 << 20, 11);
    let (_registry, proxy, reference) = behind_proxy(&image);
    let layer = &image.layers[0];
    let cut_at: u64 = 3 << 20;
    proxy.inject(Fault::cut_after(cut_at).on(&format!("/blobs/{}", layer.digest)));
    let store = TestStore::new();
    let events = Events::default();

    let report = pull_observed(
        &Client::anonymous().client,
        &store,
        &reference,
        None,
        &events,
        &CancellationToken::new(),
    )
    .await
    .expect("the pull recovers from the cut");

    assert_eq!(proxy.unused_faults(), 0);
    assert_eq!(report.layers[0].downloaded, layer.size);
    store.assert_holds(&image);
    store.assert_fsck_clean();
    let gets = blob_gets(&proxy, &layer.digest);
    assert_eq!(gets.len(), 2, "{gets:#?}");
    assert_eq!(gets[0].header("range"), None);
    assert_eq!(gets[0].fault, Some("cut"));
    assert_eq!(
        gets[1].header("range"),
        Some(format!("bytes={cut_at}-").as_str())
    );
    assert_eq!(gets[1].status, 206);
    assert!(
        events
            .all()
            .iter()
            .any(|e| matches!(e, PullEvent::LayerRetrying { .. })),
        "{:?}",
        events.all()
    );
}

/// Manifests and configs are read whole into memory: a broken connection there is retried
/// with a fresh request, as a layer's is resumed.
#[tokio::test]
async fn a_connection_cut_in_a_manifest_or_config_is_retried() {
    let image = catalog::simple(MediaTypes::Oci);
    let (_registry, proxy, reference) = behind_proxy(&image);
    proxy.inject(Fault::cut_after(40).on("/manifests/"));
    proxy.inject(Fault::cut_after(10).on(&format!("/blobs/{}", image.config_digest)));
    let store = TestStore::new();

    pull_into(&Client::anonymous().client, &store, &reference, None)
        .await
        .expect("the pull recovers from the cuts");

    assert_eq!(proxy.unused_faults(), 0);
    assert_eq!(proxy.request_count("/manifests/"), 2);
    assert_eq!(blob_gets(&proxy, &image.config_digest).len(), 2);
    store.assert_holds(&image);
    store.assert_fsck_clean();
}

#[tokio::test]
async fn a_stalled_blob_is_abandoned_and_resumed() {
    let image = catalog::big_layer(2 << 20, 12);
    let (_registry, proxy, reference) = behind_proxy(&image);
    let layer = &image.layers[0];
    proxy.inject(Fault::stall_after(1 << 20).on(&format!("/blobs/{}", layer.digest)));
    let store = TestStore::new();

    let started = Instant::now();
    pull_into(&Client::anonymous().client, &store, &reference, None)
        .await
        .expect("the pull recovers from the stall");
    // The client's stall timeout is 1 s (pull_support::fast_retry).
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );

    store.assert_holds(&image);
    let gets = blob_gets(&proxy, &layer.digest);
    assert_eq!(gets.len(), 2, "{gets:#?}");
    let range = gets[1].header("range").expect("a resumed request");
    let offset: u64 = range
        .strip_prefix("bytes=")
        .and_then(|r| r.strip_suffix('-'))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("Range: {range}"));
    assert!(offset > 0 && offset <= 1 << 20, "{range}");
}

#[tokio::test]
async fn server_errors_are_retried_until_the_registry_recovers() {
    let image = catalog::simple(MediaTypes::Oci);
    let (_registry, proxy, reference) = behind_proxy(&image);
    proxy.inject(Fault::status(503).on("/manifests/").times(3));
    proxy.inject(Fault::status(502).on("/blobs/").times(2));
    let store = TestStore::new();

    pull_into(&Client::anonymous().client, &store, &reference, None)
        .await
        .expect("the pull outlasts the errors");

    assert_eq!(proxy.unused_faults(), 0);
    assert_eq!(proxy.request_count("/manifests/"), 4);
    store.assert_holds(&image);
    store.assert_fsck_clean();

    // More failures in a row than the policy's attempts: the error says what the registry said.
    proxy.inject(Fault::status(503).on("/manifests/").always());
    let err = pull_into(
        &Client::anonymous().client,
        &TestStore::new(),
        &reference,
        None,
    )
    .await
    .expect_err("the registry never recovers");
    assert!(
        matches!(
            &err,
            PullError::Registry(RegistryError::Status { status: 503, .. })
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn rate_limits_are_waited_out_as_retry_after_says() {
    let image = catalog::simple(MediaTypes::Oci);
    let (_registry, proxy, reference) = behind_proxy(&image);
    proxy.inject(Fault::rate_limited(1).on("/manifests/"));
    let store = TestStore::new();

    let started = Instant::now();
    pull_into(&Client::anonymous().client, &store, &reference, None)
        .await
        .expect("the pull waits and succeeds");
    let elapsed = started.elapsed();

    assert!(
        elapsed >= Duration::from_millis(950),
        "Retry-After: 1, waited {elapsed:?}"
    );
    assert_eq!(proxy.unused_faults(), 0);
    let statuses: Vec<u16> = proxy
        .requests()
        .iter()
        .filter(|r| r.path.contains("/manifests/"))
        .map(|r| r.status)
        .collect();
    assert_eq!(statuses, [429, 200]);
    store.assert_holds(&image);

    // A Retry-After longer than the policy accepts fails at once, saying when to try again.
    proxy.inject(Fault::rate_limited(3600).on("/manifests/"));
    let started = Instant::now();
    let err = pull_into(
        &Client::anonymous().client,
        &TestStore::new(),
        &reference,
        None,
    )
    .await
    .expect_err("an hour is too long to wait");
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(
        matches!(&err, PullError::Registry(RegistryError::RateLimited { retry_after: Some(d), .. }) if d.as_secs() == 3600),
        "{err:?}"
    );
    assert!(err.to_string().contains("rate-limiting"), "{err}");
}

#[tokio::test]
async fn a_corrupt_layer_fails_the_pull_and_leaves_nothing_behind() {
    let image = catalog::multi_layer(2, 300_000);
    let (_registry, proxy, reference) = behind_proxy(&image);
    let bad = &image.layers[1];
    proxy.inject(Fault::flip_byte(200_000).on(&format!("/blobs/{}", bad.digest)));
    let store = TestStore::new();
    let client = Client::anonymous();

    let err = pull_into(&client.client, &store, &reference, None)
        .await
        .expect_err("a flipped byte");
    match &err {
        PullError::LayerDigestMismatch {
            reference: named,
            digest,
            found,
        } => {
            assert_eq!(digest.to_string(), bad.digest);
            assert_ne!(found.to_string(), bad.digest);
            assert!(named.ends_with("/faults/app:v1"), "{named}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(proxy.unused_faults(), 0);
    assert!(
        !store.blob_path(&bad.digest).exists(),
        "the corrupt blob was stored"
    );
    let hex = bad.digest.trim_start_matches("sha256:");
    assert!(
        !store.ingest_files().iter().any(|f| f.contains(hex)),
        "a partial of the corrupt layer is left: {:?}",
        store.ingest_files()
    );
    assert!(store.store.images().expect("images").is_empty());
    store.assert_fsck_clean();

    // The next pull fetches the layer afresh, and only that layer.
    proxy.reset_log();
    let report = pull_into(&client.client, &store, &reference, None)
        .await
        .expect("the second pull");
    assert_eq!(report.layers[1].downloaded, bad.size);
    assert_eq!(blob_gets(&proxy, &bad.digest).len(), 1);
    store.assert_holds(&image);
    store.assert_fsck_clean();
}

/// Redirected blob downloads (to S3, a CDN) never carry the registry's credentials.
#[tokio::test]
async fn redirected_blobs_never_get_the_registry_credentials() {
    let issuer = TokenIssuer::builder().user("alice", "secret").start();
    let token_registry = TestRegistry::start(RegistryAuth::Token(&issuer));
    let basic_registry = TestRegistry::start(RegistryAuth::Htpasswd {
        user: "bob",
        password: "hunter2",
    });
    let image = catalog::multi_layer(2, 50_000);
    for (registry, user, password, host, scheme) in [
        (
            &token_registry,
            "alice",
            "secret",
            StorageHost::OtherLoopback,
            "Bearer ",
        ),
        (
            &basic_registry,
            "bob",
            "hunter2",
            StorageHost::OtherPort,
            "Basic ",
        ),
    ] {
        let pushed = image.push(registry, "private/app", "v1");
        let proxy = FaultProxy::in_front_of(registry);
        proxy.inject(Fault::redirect_to_storage(host).on("/blobs/").always());
        let client = Client::with_login(&proxy.addr(), user, password);
        let store = TestStore::new();

        pull_into(
            &client.client,
            &store,
            &pushed.reference_via(&proxy.addr()),
            None,
        )
        .await
        .unwrap_or_else(|e| panic!("{host:?}: {e}"));

        store.assert_holds(&image);
        store.assert_fsck_clean();
        let redirected: Vec<_> = proxy
            .requests()
            .into_iter()
            .filter(|r| r.status == 307)
            .collect();
        assert_eq!(
            redirected.len(),
            3,
            "config and two layers: {redirected:#?}"
        );
        for r in &redirected {
            assert!(
                r.header("authorization")
                    .is_some_and(|a| a.starts_with(scheme)),
                "the registry itself gets the credentials: {r:#?}"
            );
        }
        let stored = proxy.storage_requests();
        assert_eq!(stored.len(), 3, "{stored:#?}");
        for r in &stored {
            assert_eq!(r.status, 200, "{r:#?}");
            assert_eq!(
                r.header("authorization"),
                None,
                "{host:?}: credentials leaked: {r:#?}"
            );
        }
    }
}

/// A redirected download that breaks off resumes through the registry (whose redirect may
/// carry a fresh signature), asking the storage host for the rest only.
#[tokio::test]
async fn a_redirected_download_cut_mid_way_resumes_through_the_registry() {
    let image = catalog::big_layer(1 << 20, 13);
    let (_registry, proxy, reference) = behind_proxy(&image);
    let layer = &image.layers[0];
    proxy.inject(
        Fault::redirect_to_storage(StorageHost::OtherPort)
            .on("/blobs/")
            .always(),
    );
    // The redirect rule comes first, so this one only sees the storage host's requests
    // (`/storage/<ticket>/<digest>`) for the layer.
    proxy.inject(Fault::cut_after(300_000).on(&layer.digest));
    let store = TestStore::new();

    pull_into(&Client::anonymous().client, &store, &reference, None)
        .await
        .expect("the pull recovers");

    store.assert_holds(&image);
    assert_eq!(
        proxy.unused_faults(),
        1,
        "only the unlimited redirect rule is left"
    );
    let layer_gets = blob_gets(&proxy, &layer.digest);
    assert_eq!(layer_gets.len(), 2, "{layer_gets:#?}");
    assert!(
        layer_gets.iter().all(|r| r.status == 307),
        "{layer_gets:#?}"
    );
    let stored: Vec<_> = proxy
        .storage_requests()
        .into_iter()
        .filter(|r| r.path.ends_with(&layer.digest))
        .collect();
    assert_eq!(stored.len(), 2, "{stored:#?}");
    assert_eq!(stored[0].fault, Some("cut"));
    assert_eq!(stored[1].header("range"), Some("bytes=300000-"));
    assert_eq!(stored[1].status, 206);
}

#[tokio::test]
async fn an_oversized_manifest_is_refused_with_or_without_content_length() {
    let image = catalog::simple(MediaTypes::Oci);
    let (_registry, proxy, reference) = behind_proxy(&image);
    let client = Client::anonymous();
    for framing in [Framing::ContentLength, Framing::Chunked] {
        proxy.inject(Fault::oversize_body(5 << 20, framing).on("/manifests/"));
        let store = TestStore::new();
        let err = pull_into(&client.client, &store, &reference, None)
            .await
            .expect_err("a 5 MiB manifest");
        assert!(
            matches!(&err, PullError::Registry(RegistryError::TooLarge { limit, .. }) if *limit == MAX_MANIFEST_BYTES),
            "{framing:?}: {err:?}"
        );
        assert_eq!(proxy.unused_faults(), 0);
        assert!(store.store.images().expect("images").is_empty());
    }
    // Nothing was retried: the manifest was asked for once per pull.
    assert_eq!(proxy.request_count("/manifests/"), 2);
}

/// A foreign (non-distributable) layer is not in the registry: it comes from its `urls`, here
/// another registry on loopback behind a proxy that counts what it serves.
#[tokio::test]
async fn a_foreign_layer_is_fetched_from_its_url() {
    let issuer = TokenIssuer::builder().user("alice", "secret").start();
    let registry = TestRegistry::start(RegistryAuth::Token(&issuer));
    let elsewhere = TestRegistry::start(RegistryAuth::None);
    let cdn = FaultProxy::in_front_of(&elsewhere);

    let foreign = LayerBuilder::new()
        .file("foreign.txt", "from elsewhere\n")
        .build();
    let local = LayerBuilder::new()
        .file("local.txt", "from the registry\n")
        .build();
    RawClient::for_registry(&elsewhere).push_blob("cdn/layers", &foreign.blob);
    let url = format!("{}/v2/cdn/layers/blobs/{}", cdn.url(), foreign.digest);
    let config = serde_json::json!({
        "architecture": "amd64",
        "os": "linux",
        "config": {},
        "rootfs": { "type": "layers", "diff_ids": [foreign.diff_id, local.diff_id] },
    })
    .to_string();
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": media_type::DOCKER_MANIFEST,
        "config": {
            "mediaType": media_type::DOCKER_CONFIG,
            "digest": sha256_digest(config.as_bytes()),
            "size": config.len(),
        },
        "layers": [
            {
                "mediaType": media_type::DOCKER_FOREIGN_LAYER,
                "digest": foreign.digest,
                "size": foreign.size,
                "urls": [url],
            },
            { "mediaType": media_type::DOCKER_LAYER_GZIP, "digest": local.digest, "size": local.size },
        ],
    })
    .to_string();
    let raw = RawClient::for_registry(&registry);
    raw.push_blob("win/app", config.as_bytes());
    raw.push_blob("win/app", &local.blob);
    let manifest_digest = raw.push_manifest(
        "win/app",
        "v1",
        manifest.as_bytes(),
        media_type::DOCKER_MANIFEST,
    );

    let client = Client::with_login(registry.addr(), "alice", "secret");
    let store = TestStore::new();
    let report = pull_into(
        &client.client,
        &store,
        &registry.reference("win/app", "v1"),
        None,
    )
    .await
    .expect("pull with a foreign layer");

    assert_eq!(report.digest.to_string(), manifest_digest);
    assert_eq!(
        report.layers[0].media_type,
        media_type::DOCKER_FOREIGN_LAYER
    );
    assert_eq!(store.blob(&foreign.digest), foreign.blob.to_vec());
    assert_eq!(store.blob(&local.digest), local.blob.to_vec());
    assert_eq!(store.blob(&manifest_digest), manifest.as_bytes());
    store.assert_fsck_clean();
    let fetched = cdn.requests();
    assert_eq!(fetched.len(), 1, "{fetched:#?}");
    assert_eq!(fetched[0].status, 200);
    assert_eq!(
        fetched[0].header("authorization"),
        None,
        "registry credentials leaked"
    );
}

/// A registry whose manifest misstates a layer's size: the pull fails with a size mismatch
/// (not a retry loop, nor a bare HTTP status), and stores nothing under that digest.
#[tokio::test]
async fn a_layer_whose_size_differs_from_its_descriptor_is_refused() {
    let registry = TestRegistry::start(RegistryAuth::None);
    let layer = LayerBuilder::new()
        .file(
            "data.bin",
            porthole_tests::fixtures::random_bytes(50, 100_000),
        )
        .build();
    let config = serde_json::json!({
        "architecture": "amd64",
        "os": "linux",
        "config": {},
        "rootfs": { "type": "layers", "diff_ids": [layer.diff_id] },
    })
    .to_string();
    let raw = RawClient::for_registry(&registry);
    raw.push_blob("sizes/app", config.as_bytes());
    raw.push_blob("sizes/app", &layer.blob);
    let client = Client::anonymous();
    for (tag, stated) in [
        ("longer", layer.size + 1000),
        ("shorter", layer.size - 1000),
    ] {
        let manifest = serde_json::json!({
            "schemaVersion": 2,
            "mediaType": media_type::OCI_MANIFEST,
            "config": {
                "mediaType": media_type::OCI_CONFIG,
                "digest": sha256_digest(config.as_bytes()),
                "size": config.len(),
            },
            "layers": [
                { "mediaType": media_type::OCI_LAYER_GZIP, "digest": layer.digest, "size": stated },
            ],
        })
        .to_string();
        raw.push_manifest(
            "sizes/app",
            tag,
            manifest.as_bytes(),
            media_type::OCI_MANIFEST,
        );
        let store = TestStore::new();
        let started = Instant::now();
        let err = pull_into(
            &client.client,
            &store,
            &registry.reference("sizes/app", tag),
            None,
        )
        .await
        .expect_err("a misstated size");
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "{tag}: {:?}",
            started.elapsed()
        );
        assert!(
            matches!(
                &err,
                PullError::Registry(RegistryError::SizeMismatch { expected, .. }) if *expected == stated
            ),
            "{tag}: {err:?}"
        );
        assert!(!store.blob_path(&layer.digest).exists(), "{tag}");
        assert!(store.store.images().expect("images").is_empty());
        store.assert_fsck_clean();

        if stated > layer.size {
            // Resuming from a partial that already holds the whole (real) blob: the registry
            // answers 416 to `Range: bytes=<size>-`, and that too is a size mismatch.
            let ingest = store.root().join("ingest");
            std::fs::create_dir_all(&ingest).expect("ingest dir");
            let hex = layer.digest.trim_start_matches("sha256:");
            std::fs::write(ingest.join(format!("sha256-{hex}.partial")), &layer.blob)
                .expect("write a partial");
            let err = pull_into(
                &client.client,
                &store,
                &registry.reference("sizes/app", tag),
                None,
            )
            .await
            .expect_err("a misstated size, resumed");
            assert!(
                matches!(
                    &err,
                    PullError::Registry(RegistryError::SizeMismatch { expected, found, .. })
                        if *expected == stated && *found == layer.size
                ),
                "{tag}, resumed: {err:?}"
            );
        }
    }
}
