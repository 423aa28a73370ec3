//! Layers are indexed while they stream in: the pull reports each layer's diff_id, size and
//! file count from the index, caches the index in the store, and refuses an image whose
//! config disagrees with its layers' uncompressed bytes.

mod pull_support;

use porthole_engine::layers::{LayerError, LayerIndex};
use porthole_engine::pull::PullError;
use porthole_engine::store::Store;
use porthole_tests::client::{push_blob, push_raw_manifest};
use porthole_tests::fixtures::{MediaTypes, catalog};
use porthole_tests::{RegistryAuth, TestRegistry};
use pull_support::{Client, TestStore, pull_into};

#[tokio::test]
async fn layers_are_indexed_during_the_pull_and_cached() {
    let registry = TestRegistry::start(RegistryAuth::None);
    let client = Client::anonymous();
    let image = catalog::every_compression();
    let pushed = image.push(&registry, "index/every", "v1");
    let store = TestStore::new();

    let report = pull_into(&client.client, &store, &pushed.reference(), None)
        .await
        .expect("pull");

    let opened = Store::open(store.root()).expect("store");
    for (layer, fixture) in report.layers.iter().zip(&image.layers) {
        assert_eq!(
            layer.diff_id.as_ref().map(ToString::to_string).as_deref(),
            Some(fixture.diff_id.as_str()),
            "diff_id of {}",
            layer.digest
        );
        assert_eq!(layer.uncompressed_size, Some(fixture.tar_size));
        assert!(layer.files.unwrap_or(0) > 0, "{layer:?}");
        let cached = LayerIndex::load_cached(&opened, &layer.digest).expect("index cached");
        assert_eq!(cached.diff_id(), layer.diff_id.as_ref().unwrap());
        assert_eq!(cached.file_count(), layer.files.unwrap());
    }
    store.assert_fsck_clean();
}

#[tokio::test]
async fn a_config_whose_diff_ids_disagree_with_the_layers_is_refused() {
    let registry = TestRegistry::start(RegistryAuth::None);
    let image = catalog::simple(MediaTypes::Oci);
    image.push(&registry, "index/lying", "good");

    // Same layer, but a config that claims another diff_id for it.
    let mut config: serde_json::Value = serde_json::from_slice(&image.config).unwrap();
    let wrong = format!("sha256:{}", "0".repeat(64));
    config["rootfs"]["diff_ids"][0] = serde_json::Value::String(wrong.clone());
    let config_bytes = serde_json::to_vec(&config).unwrap();
    let config_digest = push_blob(&registry, "index/lying", &config_bytes);
    let mut manifest: serde_json::Value = serde_json::from_slice(&image.manifest).unwrap();
    manifest["config"]["digest"] = serde_json::Value::String(config_digest);
    manifest["config"]["size"] = serde_json::json!(config_bytes.len());
    let manifest_bytes = serde_json::to_vec(&manifest).unwrap();
    push_raw_manifest(
        &registry,
        "index/lying",
        "bad",
        &manifest_bytes,
        &image.manifest_media_type,
    );

    let store = TestStore::new();
    let client = Client::anonymous();
    let reference = format!("{}/index/lying:bad", registry.addr());
    let err = pull_into(&client.client, &store, &reference, None)
        .await
        .expect_err("a lying config must fail the pull");
    match &err {
        PullError::Layer(LayerError::DiffIdMismatch {
            expected, found, ..
        }) => {
            assert_eq!(expected.to_string(), wrong);
            assert_eq!(found.to_string(), image.layers[0].diff_id);
        }
        other => panic!("expected a diff_id mismatch, got {other:?}"),
    }
    assert!(err.to_string().contains(&wrong), "{err}");
    assert!(
        Store::open(store.root())
            .unwrap()
            .images()
            .unwrap()
            .is_empty(),
        "nothing is named after a refused pull"
    );
}
