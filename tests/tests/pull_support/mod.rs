//! What the `pull_*` tests share: an engine client with short retry delays, a fresh store,
//! credentials in a throw-away Docker config, and checks of what a pull left on disk.
//!
//! Each `pull_*.rs` test binary includes this with `mod pull_support;`; not every binary uses
//! every helper.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use base64::Engine as _;
use porthole_engine::pull::{PullError, PullEvent, PullOptions, PullReport, pull};
use porthole_engine::registry::RegistryClient;
use porthole_engine::registry::client::RetryPolicy;
use porthole_engine::registry::credentials::CredentialStore;
use porthole_engine::store::{ImageSummary, Store};
use porthole_engine::{Platform, Reference};
use porthole_tests::fixtures::{Image, sha256_digest};
use tempfile::TempDir;
use tokio_util::sync::CancellationToken;

/// Retries that finish in milliseconds, and a connection that goes silent for a second counts
/// as broken, so that fault tests stay fast.
pub fn fast_retry() -> RetryPolicy {
    RetryPolicy {
        attempts: 5,
        first_delay: Duration::from_millis(20),
        max_delay: Duration::from_millis(200),
        max_retry_after: Duration::from_secs(5),
        stall_timeout: Duration::from_secs(1),
    }
}

/// A registry client and the directory its Docker `config.json` lives in.
pub struct Client {
    pub client: RegistryClient,
    pub docker_config: TempDir,
}

impl Client {
    /// No credentials anywhere (an empty Docker config directory, no Podman files).
    pub fn anonymous() -> Client {
        let dir = tempfile::tempdir().expect("docker config dir");
        Client::in_dir(dir)
    }

    /// Credentials for `registry` (`127.0.0.1:PORT`) in `config.json`'s `auths`, base64
    /// `user:password` as `docker login` writes them.
    pub fn with_login(registry: &str, user: &str, password: &str) -> Client {
        let dir = tempfile::tempdir().expect("docker config dir");
        let auth = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
        let config = serde_json::json!({ "auths": { registry: { "auth": auth } } });
        std::fs::write(dir.path().join("config.json"), config.to_string()).expect("config.json");
        Client::in_dir(dir)
    }

    fn in_dir(dir: TempDir) -> Client {
        let credentials = CredentialStore::new(dir.path().to_owned(), Vec::new());
        let client = RegistryClient::new(Default::default(), credentials)
            .expect("registry client")
            .with_retry(fast_retry());
        Client {
            client,
            docker_config: dir,
        }
    }
}

/// An empty store in a temporary directory.
pub struct TestStore {
    pub dir: TempDir,
    pub store: Store,
}

impl TestStore {
    pub fn new() -> TestStore {
        let dir = tempfile::tempdir().expect("store dir");
        let store = Store::open(dir.path().join("store")).expect("open the store");
        TestStore { dir, store }
    }

    pub fn root(&self) -> &Path {
        self.store.root()
    }

    /// `blobs/sha256/<hex>` of `digest` (`sha256:<hex>`).
    pub fn blob_path(&self, digest: &str) -> PathBuf {
        let hex = digest.strip_prefix("sha256:").expect("a sha256 digest");
        self.root().join("blobs").join("sha256").join(hex)
    }

    /// The blob's bytes, which must hash to its name.
    pub fn blob(&self, digest: &str) -> Vec<u8> {
        let path = self.blob_path(digest);
        let bytes = std::fs::read(&path)
            .unwrap_or_else(|e| panic!("blob {digest} at {}: {e}", path.display()));
        assert_eq!(
            sha256_digest(&bytes),
            digest,
            "{} is corrupt",
            path.display()
        );
        bytes
    }

    /// The files in `ingest/` (partial downloads and temporary files).
    pub fn ingest_files(&self) -> Vec<String> {
        match std::fs::read_dir(self.root().join("ingest")) {
            Ok(entries) => entries
                .map(|e| {
                    e.expect("ingest entry")
                        .file_name()
                        .to_string_lossy()
                        .into_owned()
                })
                .collect(),
            Err(_) => Vec::new(),
        }
    }

    /// The image named `reference`, from `Store::images`.
    pub fn image(&self, reference: &str) -> ImageSummary {
        let images = self.store.images().expect("list images");
        images
            .iter()
            .find(|i| i.reference.as_deref() == Some(reference))
            .cloned()
            .unwrap_or_else(|| panic!("no image {reference} in {images:#?}"))
    }

    /// `fsck` finds nothing missing or damaged.
    pub fn assert_fsck_clean(&self) {
        let report = self.store.fsck().expect("fsck");
        assert!(report.is_clean(), "{report:#?}");
    }

    /// Every blob of `image` (manifest, config, layers) is on disk, byte for byte as built.
    pub fn assert_holds(&self, image: &Image) {
        assert_eq!(self.blob(&image.manifest_digest), image.manifest.to_vec());
        assert_eq!(self.blob(&image.config_digest), image.config.to_vec());
        for layer in &image.layers {
            assert_eq!(
                self.blob(&layer.digest),
                layer.blob.to_vec(),
                "layer {}",
                layer.digest
            );
        }
    }
}

/// Every event a pull reported, in order.
#[derive(Default)]
pub struct Events(Mutex<Vec<PullEvent>>);

impl Events {
    pub fn push(&self, event: PullEvent) {
        self.0.lock().expect("events").push(event);
    }

    pub fn all(&self) -> Vec<PullEvent> {
        self.0.lock().expect("events").clone()
    }
}

/// Pulls `reference` into `store` for `platform` (the host's when `None`), with two jobs.
pub async fn pull_into(
    client: &RegistryClient,
    store: &TestStore,
    reference: &str,
    platform: Option<&str>,
) -> Result<PullReport, PullError> {
    let events = Events::default();
    pull_observed(
        client,
        store,
        reference,
        platform,
        &events,
        &CancellationToken::new(),
    )
    .await
}

/// [`pull_into`], recording events into `events` and stopping when `cancel` fires.
pub async fn pull_observed(
    client: &RegistryClient,
    store: &TestStore,
    reference: &str,
    platform: Option<&str>,
    events: &Events,
    cancel: &CancellationToken,
) -> Result<PullReport, PullError> {
    let reference = Reference::parse(reference).expect("a valid reference");
    let options = PullOptions {
        platform: platform.map(|p| p.parse::<Platform>().expect("a valid platform")),
        jobs: 2,
        index: true,
    };
    let observer = |e: PullEvent| events.push(e);
    pull(
        client,
        &store.store,
        &reference,
        &options,
        &observer,
        cancel,
    )
    .await
}

/// Pulls `reference` for the host's platform, `jobs` layers at a time.
pub async fn pull_with_jobs(
    client: &RegistryClient,
    store: &TestStore,
    reference: &str,
    jobs: usize,
) -> Result<PullReport, PullError> {
    let reference = Reference::parse(reference).expect("a valid reference");
    let options = PullOptions {
        platform: None,
        jobs,
        index: true,
    };
    let observer = |_: PullEvent| {};
    pull(
        client,
        &store.store,
        &reference,
        &options,
        &observer,
        &CancellationToken::new(),
    )
    .await
}

/// The layer digests of a report, as strings.
pub fn layer_digests(report: &PullReport) -> Vec<String> {
    report.layers.iter().map(|l| l.digest.to_string()).collect()
}
