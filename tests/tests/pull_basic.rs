//! Pulls from a real registry (distribution 2.8) without faults: media types, layer sharing,
//! platforms, codecs, digests. Each test checks the bytes on disk against the pushed fixture,
//! and the store against `fsck` and, where they can read it, umoci and skopeo.

mod pull_support;

use porthole_engine::pull::{PullError, PullEvent};
use porthole_engine::registry::RegistryError;
use porthole_engine::{Digest, Platform};
use porthole_tests::fixtures::{
    ImageBuilder, LayerBuilder, MediaTypes, catalog, media_type, random_bytes,
};
use porthole_tests::proxy::Fault;
use porthole_tests::tools::{skopeo_inspect, umoci_unpack};
use porthole_tests::{FaultProxy, Method, RegistryAuth, TestRegistry};
use pull_support::{
    Client, Events, TestStore, layer_digests, pull_into, pull_observed, pull_with_jobs,
};
use tokio_util::sync::CancellationToken;

#[tokio::test]
async fn pulls_oci_and_docker_images_byte_exact() {
    let registry = TestRegistry::start(RegistryAuth::None);
    let client = Client::anonymous();
    for (family, tag) in [(MediaTypes::Oci, "oci"), (MediaTypes::Docker, "docker")] {
        let image = catalog::simple(family);
        let pushed = image.push(&registry, "basic/simple", tag);
        let store = TestStore::new();

        let report = pull_into(&client.client, &store, &pushed.reference(), None)
            .await
            .unwrap_or_else(|e| panic!("{tag}: {e}"));

        let reference = format!("{}/basic/simple:{tag}", registry.addr());
        assert_eq!(report.reference, reference);
        assert_eq!(report.digest.to_string(), image.manifest_digest, "{tag}");
        assert_eq!(report.id.to_string(), image.config_digest, "{tag}");
        assert_eq!(report.index_digest, None);
        assert_eq!(report.platform.to_string(), "linux/amd64");
        assert_eq!(layer_digests(&report), pushed.layer_digests());
        let layer = &report.layers[0];
        assert_eq!(layer.media_type, image.layers[0].media_type(family));
        assert_eq!(layer.size, image.layers[0].size);
        assert_eq!(
            (layer.downloaded, layer.already_present),
            (layer.size, false)
        );

        let summary = store.image(&reference);
        assert_eq!(summary.digest.to_string(), image.manifest_digest);
        assert_eq!(summary.id.to_string(), image.config_digest);
        assert_eq!(summary.tag.as_deref(), Some(tag));
        assert_eq!(summary.media_type, image.manifest_media_type);
        assert_eq!(summary.created.as_deref(), Some("2024-01-01T00:00:00Z"));
        assert_eq!(
            summary.size,
            image.config_size() + image.layers[0].size,
            "config plus compressed layers"
        );
        store.assert_holds(&image);
        store.assert_fsck_clean();
        let fsck = store.store.fsck().expect("fsck");
        assert_eq!(fsck.blobs_checked, 3, "{fsck:#?}");
        assert!(fsck.unreferenced.is_empty(), "{fsck:#?}");
        assert!(
            store.ingest_files().is_empty(),
            "{:?}",
            store.ingest_files()
        );

        // skopeo 1.9 reads only OCI-typed entries from an OCI layout; umoci likewise.
        if family == MediaTypes::Oci {
            let inspect = skopeo_inspect(&format!("oci:{}:{tag}", store.root().display()));
            assert_eq!(inspect["Digest"], image.manifest_digest);
            let bundle = store.dir.path().join("bundle");
            let rootfs = umoci_unpack(store.root(), tag, &bundle);
            assert_eq!(
                std::fs::read_to_string(rootfs.join("etc/os-release")).expect("os-release"),
                "ID=porthole\nVERSION_ID=1\n"
            );
            assert_eq!(
                std::fs::read_link(rootfs.join("bin/hi")).expect("symlink"),
                std::path::Path::new("hello")
            );
        }
    }
}

#[tokio::test]
async fn pulls_every_layer_of_a_multi_layer_image() {
    let registry = TestRegistry::start(RegistryAuth::None);
    let image = catalog::multi_layer(3, 100_000);
    let pushed = image.push(&registry, "basic/layers", "v1");
    let client = Client::anonymous();
    let store = TestStore::new();
    let events = Events::default();

    let report = pull_observed(
        &client.client,
        &store,
        &pushed.reference(),
        None,
        &events,
        &CancellationToken::new(),
    )
    .await
    .expect("pull");

    assert_eq!(layer_digests(&report), pushed.layer_digests());
    let total: u64 = image.layers.iter().map(|l| l.size).sum();
    assert_eq!(report.bytes_downloaded, total);
    assert_eq!(report.bytes_present, 0);
    store.assert_holds(&image);
    store.assert_fsck_clean();

    let events = events.all();
    assert!(
        matches!(events.first(), Some(PullEvent::Resolved { .. })),
        "{events:?}"
    );
    assert!(
        matches!(events.last(), Some(PullEvent::Done { id }) if id.to_string() == image.config_digest),
        "{events:?}"
    );
    let done: Vec<String> = events
        .iter()
        .filter_map(|e| match e {
            PullEvent::LayerDone { digest } => Some(digest.to_string()),
            _ => None,
        })
        .collect();
    assert_eq!(done.len(), 3, "{events:?}");

    let rootfs = umoci_unpack(store.root(), "v1", &store.dir.path().join("bundle"));
    for i in 0..3u64 {
        let content = std::fs::read(rootfs.join(format!("layer-{i}.bin"))).expect("layer file");
        assert_eq!(content, random_bytes(i, 100_000), "layer-{i}.bin");
    }
}

/// `--jobs N` bounds the downloads, not the layers in flight: with every blob answered after a
/// delay, the (N+1)th request waits for a download to finish, and a finished layer's fsync
/// does not keep the next one waiting. (Without the bound, all six arrive at once.)
#[tokio::test]
async fn jobs_bounds_the_downloads_at_once() {
    const JOBS: usize = 2;
    const DELAY: std::time::Duration = std::time::Duration::from_millis(300);
    let registry = TestRegistry::start(RegistryAuth::None);
    let mut image = ImageBuilder::new(MediaTypes::Oci);
    for i in 0..6 {
        image = image.layer(LayerBuilder::new().file(&format!("{i}.bin"), random_bytes(i, 50_000)));
    }
    let image = image.build();
    let pushed = image.push(&registry, "basic/jobs", "v1");
    let proxy = FaultProxy::in_front_of(&registry);
    proxy.inject(
        Fault::delay(DELAY)
            .on("/blobs/")
            .method(Method::GET)
            .always(),
    );
    let client = Client::anonymous();
    let store = TestStore::new();
    pull_with_jobs(
        &client.client,
        &store,
        &pushed.reference_via(&proxy.addr()),
        JOBS,
    )
    .await
    .expect("the pull");
    store.assert_holds(&image);

    let layers = pushed.layer_digests();
    let mut arrivals: Vec<_> = proxy
        .requests()
        .into_iter()
        .filter(|r| r.method == Method::GET && layers.iter().any(|d| r.path.ends_with(&**d)))
        .map(|r| r.received)
        .collect();
    arrivals.sort();
    assert_eq!(arrivals.len(), 6, "one GET per layer");
    for (i, pair) in arrivals.windows(JOBS + 1).enumerate() {
        let gap = pair[JOBS] - pair[0];
        assert!(
            gap >= DELAY * 9 / 10,
            "layer download {} started {gap:?} after download {}: more than {JOBS} at once",
            i + JOBS + 1,
            i + 1
        );
    }
    // And N at once, not one after another.
    assert!(
        arrivals[1] - arrivals[0] < DELAY / 2,
        "the first {JOBS} start together"
    );
}

/// A manifest may name the same blob twice (old Docker images repeat the empty layer): it is
/// fetched and written once, and its second place is reported as already present, whatever
/// the concurrency.
#[tokio::test]
async fn a_layer_repeated_in_one_manifest_is_stored_once() {
    let registry = TestRegistry::start(RegistryAuth::None);
    let repeated = LayerBuilder::new()
        .file("same.bin", random_bytes(40, 200_000))
        .build();
    let image = ImageBuilder::new(MediaTypes::Docker)
        .built_layer(repeated.clone())
        .layer(LayerBuilder::new().file("middle.txt", "between"))
        .built_layer(repeated.clone())
        .build();
    let pushed = image.push(&registry, "basic/repeated", "v1");
    let proxy = FaultProxy::in_front_of(&registry);
    let client = Client::anonymous();
    let reference = pushed.reference_via(&proxy.addr());

    for jobs in [3, 1] {
        let store = TestStore::new();
        let report = pull_with_jobs(&client.client, &store, &reference, jobs)
            .await
            .unwrap_or_else(|e| panic!("--jobs {jobs}: {e}"));
        assert_eq!(layer_digests(&report), pushed.layer_digests());
        let present: Vec<bool> = report.layers.iter().map(|l| l.already_present).collect();
        assert_eq!(present, [false, false, true], "--jobs {jobs}");
        assert_eq!(
            report.bytes_downloaded,
            image.layers[0].size + image.layers[1].size
        );
        store.assert_holds(&image);
        store.assert_fsck_clean();
        assert!(
            store.ingest_files().is_empty(),
            "{:?}",
            store.ingest_files()
        );
    }
    assert_eq!(proxy.request_count_for(Method::GET, &repeated.digest), 2);
}

#[tokio::test]
async fn a_layer_shared_by_two_images_is_downloaded_once() {
    let registry = TestRegistry::start(RegistryAuth::None);
    let (a, b) = catalog::sharing_a_layer();
    let pushed_a = a.push(&registry, "shared/a", "v1");
    let pushed_b = b.push(&registry, "shared/b", "v1");
    let proxy = FaultProxy::in_front_of(&registry);
    let client = Client::anonymous();
    let store = TestStore::new();
    let base = &a.layers[0];

    let first = pull_into(
        &client.client,
        &store,
        &pushed_a.reference_via(&proxy.addr()),
        None,
    )
    .await
    .expect("pull a");
    assert!(!first.layers[0].already_present);

    let events = Events::default();
    let second = pull_observed(
        &client.client,
        &store,
        &pushed_b.reference_via(&proxy.addr()),
        None,
        &events,
        &CancellationToken::new(),
    )
    .await
    .expect("pull b");
    assert_eq!(second.layers[0].digest.to_string(), base.digest);
    assert!(second.layers[0].already_present, "{:?}", second.layers);
    assert_eq!(second.layers[0].downloaded, 0);
    assert!(!second.layers[1].already_present);
    assert_eq!(second.bytes_present, base.size);
    assert!(
        events.all().iter().any(
            |e| matches!(e, PullEvent::LayerExists { digest } if digest.to_string() == base.digest)
        ),
        "{:?}",
        events.all()
    );
    assert_eq!(proxy.request_count_for(Method::GET, &base.digest), 1);

    store.assert_holds(&a);
    store.assert_holds(&b);
    store.assert_fsck_clean();
    assert_eq!(store.store.images().expect("images").len(), 2);
}

#[tokio::test]
async fn multi_platform_indexes_pick_the_wanted_platform() {
    let registry = TestRegistry::start(RegistryAuth::None);
    let client = Client::anonymous();
    for (family, tag) in [(MediaTypes::Oci, "oci"), (MediaTypes::Docker, "docker")] {
        let index = catalog::multi_arch(family);
        let pushed = index.push(&registry, "multi/arch", tag);
        let host = Platform::host().to_string();
        let cases = [
            (None, host.as_str()),
            (Some("linux/arm64/v8"), "linux/arm64/v8"),
            (Some("linux/arm64"), "linux/arm64/v8"),
            (Some("linux/arm/v7"), "linux/arm/v7"),
            (Some("linux/amd64"), "linux/amd64"),
        ];
        for (wanted, expected) in cases {
            let Some(image) = index.image_for(expected) else {
                assert!(wanted.is_none(), "{expected} is in the fixture");
                continue; // a host that the fixture has no image for
            };
            let store = TestStore::new();
            let report = pull_into(&client.client, &store, &pushed.reference(), wanted)
                .await
                .unwrap_or_else(|e| panic!("{tag} {wanted:?}: {e}"));
            let what = format!("{tag}, --platform {wanted:?}");
            assert_eq!(report.digest.to_string(), image.manifest_digest, "{what}");
            assert_eq!(report.id.to_string(), image.config_digest, "{what}");
            assert_eq!(
                report.index_digest.as_ref().map(Digest::to_string),
                Some(index.digest.clone())
            );
            assert_eq!(
                report.platform,
                expected.parse::<Platform>().expect("platform"),
                "{what}"
            );
            store.assert_holds(image);
            let summary = store.image(&format!("{}/multi/arch:{tag}", registry.addr()));
            assert_eq!(summary.digest.to_string(), image.manifest_digest, "{what}");
            assert_eq!(
                summary.index_digest.map(|d| d.to_string()),
                Some(index.digest.clone())
            );
            assert_eq!(summary.media_type, image.manifest_media_type);
            store.assert_fsck_clean();
        }

        // By the index's digest: the same choice, and the name keeps the digest.
        let arm64 = index.image_for("linux/arm64/v8").expect("arm64 image");
        let store = TestStore::new();
        let report = pull_into(
            &client.client,
            &store,
            &pushed.by_digest(),
            Some("linux/arm64"),
        )
        .await
        .unwrap_or_else(|e| panic!("{tag} by digest: {e}"));
        assert_eq!(report.digest.to_string(), arm64.manifest_digest);
        assert_eq!(
            report.index_digest.map(|d| d.to_string()),
            Some(index.digest.clone())
        );
        let summary = store.image(&pushed.by_digest());
        assert_eq!(summary.digest.to_string(), arm64.manifest_digest);
        store.assert_holds(arm64);
        store.assert_fsck_clean();

        let store = TestStore::new();
        let err = pull_into(
            &client.client,
            &store,
            &pushed.reference(),
            Some("linux/s390x"),
        )
        .await
        .expect_err("no s390x image");
        assert!(
            matches!(
                &err,
                PullError::Registry(RegistryError::NoMatchingPlatform { .. })
            ),
            "{err:?}"
        );
        let message = err.to_string();
        for platform in ["linux/s390x", "linux/amd64", "linux/arm64", "linux/arm/v7"] {
            assert!(
                message.contains(platform),
                "{platform} missing from: {message}"
            );
        }
        assert!(store.store.images().expect("images").is_empty());
    }
}

#[tokio::test]
async fn zstd_and_uncompressed_layers_are_stored_as_served() {
    let registry = TestRegistry::start(RegistryAuth::None);
    let client = Client::anonymous();
    for (image, repo, layer_types) in [
        (
            catalog::zstd_layer(),
            "codec/zstd",
            vec![media_type::OCI_LAYER_ZSTD],
        ),
        (
            catalog::uncompressed_layer(),
            "codec/plain",
            vec![media_type::OCI_LAYER_TAR],
        ),
        (
            catalog::every_compression(),
            "codec/every",
            vec![
                media_type::OCI_LAYER_GZIP,
                media_type::OCI_LAYER_ZSTD,
                media_type::OCI_LAYER_TAR,
            ],
        ),
    ] {
        let pushed = image.push(&registry, repo, "v1");
        let store = TestStore::new();
        let report = pull_into(&client.client, &store, &pushed.reference(), None)
            .await
            .unwrap_or_else(|e| panic!("{repo}: {e}"));
        let types: Vec<&str> = report
            .layers
            .iter()
            .map(|l| l.media_type.as_str())
            .collect();
        assert_eq!(types, layer_types, "{repo}");
        store.assert_holds(&image);
        store.assert_fsck_clean();
    }
}

#[tokio::test]
async fn pulls_by_digest_and_refuses_a_manifest_that_does_not_match_it() {
    let registry = TestRegistry::start(RegistryAuth::None);
    let image = catalog::simple(MediaTypes::Oci);
    let pushed = image.push(&registry, "digest/simple", "v1");
    let client = Client::anonymous();

    let store = TestStore::new();
    let report = pull_into(&client.client, &store, &pushed.by_digest(), None)
        .await
        .expect("pull by digest");
    assert_eq!(report.digest.to_string(), image.manifest_digest);
    let summary = store.image(&pushed.by_digest());
    assert_eq!(summary.tag, None);
    assert_eq!(summary.digest.to_string(), image.manifest_digest);
    store.assert_holds(&image);
    store.assert_fsck_clean();

    // One byte of the manifest changed on the way: by digest, and by tag (checked against the
    // registry's Docker-Content-Digest).
    let proxy = FaultProxy::in_front_of(&registry);
    for reference in [
        format!("{}/digest/simple@{}", proxy.addr(), image.manifest_digest),
        pushed.reference_via(&proxy.addr()),
    ] {
        proxy.inject(Fault::flip_byte(10).on("/manifests/"));
        let store = TestStore::new();
        let err = pull_into(&client.client, &store, &reference, None)
            .await
            .expect_err("a corrupt manifest");
        match &err {
            PullError::Registry(RegistryError::DigestMismatch {
                expected, found, ..
            }) => {
                assert_eq!(expected.to_string(), image.manifest_digest, "{reference}");
                assert_ne!(found, expected);
            }
            other => panic!("{reference}: {other:?}"),
        }
        assert_eq!(proxy.unused_faults(), 0);
        assert!(store.store.images().expect("images").is_empty());
        assert!(!store.blob_path(&image.manifest_digest).exists());
    }
}
