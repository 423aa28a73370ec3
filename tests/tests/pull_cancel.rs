//! Cancelling a pull: it stops promptly, names nothing, keeps what it verified and the
//! partial download, and the next pull resumes from that partial.

mod pull_support;

use std::time::{Duration, Instant};

use porthole_engine::pull::{PullError, PullEvent};
use porthole_tests::fixtures::catalog;
use porthole_tests::proxy::Fault;
use porthole_tests::{FaultProxy, Method, RegistryAuth, TestRegistry};
use pull_support::{Client, Events, TestStore, pull_into};
use tokio_util::sync::CancellationToken;

#[tokio::test]
async fn a_cancelled_pull_names_nothing_and_the_next_one_resumes() {
    let registry = TestRegistry::start(RegistryAuth::None);
    let image = catalog::big_layer(4 << 20, 21);
    let pushed = image.push(&registry, "cancel/big", "v1");
    let proxy = FaultProxy::in_front_of(&registry);
    let layer = &image.layers[0];
    // The layer's first 1 MiB arrives, then nothing: the pull is surely still running when
    // it is cancelled.
    proxy.inject(Fault::stall_after(1 << 20).on(&format!("/blobs/{}", layer.digest)));
    let reference = pushed.reference_via(&proxy.addr());
    let client = Client::anonymous();
    let store = TestStore::new();

    let cancel = CancellationToken::new();
    let events = Events::default();
    let observer = |e: PullEvent| {
        if matches!(e, PullEvent::LayerProgress { .. }) {
            cancel.cancel();
        }
        events.push(e);
    };
    let parsed = porthole_engine::Reference::parse(&reference).expect("reference");
    let options = porthole_engine::pull::PullOptions {
        platform: None,
        jobs: 2,
        index: true,
    };
    let started = Instant::now();
    let err = porthole_engine::pull::pull(
        &client.client,
        &store.store,
        &parsed,
        &options,
        &observer,
        &cancel,
    )
    .await
    .expect_err("the pull was cancelled");
    assert!(matches!(err, PullError::Cancelled), "{err:?}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert!(
        !events
            .all()
            .iter()
            .any(|e| matches!(e, PullEvent::Done { .. })),
        "{:?}",
        events.all()
    );

    // Nothing names the image; the config is there (verified), the layer is not.
    assert!(store.store.images().expect("images").is_empty());
    let index: serde_json::Value = serde_json::from_slice(
        &std::fs::read(store.root().join("index.json")).expect("index.json"),
    )
    .expect("index.json is JSON");
    assert_eq!(index["manifests"], serde_json::json!([]), "{index}");
    assert!(!store.blob_path(&layer.digest).exists());
    assert!(!store.blob_path(&image.manifest_digest).exists());
    store.assert_fsck_clean();
    let hex = layer.digest.trim_start_matches("sha256:");
    let partial = store
        .root()
        .join("ingest")
        .join(format!("sha256-{hex}.partial"));
    let kept = std::fs::metadata(&partial)
        .unwrap_or_else(|e| panic!("the partial {}: {e}", partial.display()))
        .len();
    assert!(kept > 0 && kept <= 1 << 20, "{kept} bytes kept");

    // The next pull asks only for the rest.
    let report = pull_into(&client.client, &store, &reference, None)
        .await
        .expect("the second pull");
    assert_eq!(report.layers[0].downloaded, layer.size - kept);
    let gets: Vec<_> = proxy
        .requests()
        .into_iter()
        .filter(|r| r.method == Method::GET && r.path.ends_with(&layer.digest))
        .collect();
    assert_eq!(gets.len(), 2, "{gets:#?}");
    assert_eq!(
        gets[1].header("range"),
        Some(format!("bytes={kept}-").as_str())
    );
    store.assert_holds(&image);
    store.assert_fsck_clean();
    assert!(
        store.ingest_files().is_empty(),
        "{:?}",
        store.ingest_files()
    );
}

#[tokio::test]
async fn a_pull_waiting_for_a_slow_registry_stops_at_once_when_cancelled() {
    let registry = TestRegistry::start(RegistryAuth::None);
    let pushed = catalog::simple(porthole_tests::fixtures::MediaTypes::Oci).push(
        &registry,
        "cancel/slow",
        "v1",
    );
    let proxy = FaultProxy::in_front_of(&registry);
    proxy.inject(Fault::delay(Duration::from_secs(5)).on("/manifests/"));
    let client = Client::anonymous();
    let store = TestStore::new();
    let cancel = CancellationToken::new();
    let canceller = {
        let cancel = cancel.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(300)).await;
            cancel.cancel();
        })
    };

    let started = Instant::now();
    let err = pull_support::pull_observed(
        &client.client,
        &store,
        &pushed.reference_via(&proxy.addr()),
        None,
        &Events::default(),
        &cancel,
    )
    .await
    .expect_err("cancelled while the manifest is on its way");
    canceller.await.expect("the canceller");

    assert!(matches!(err, PullError::Cancelled), "{err:?}");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert!(store.store.images().expect("images").is_empty());
    store.assert_fsck_clean();
}
