//! A registry serving HTTPS with its own CA: trusted through the per-registry `caFile`
//! setting, and refused without it.

mod pull_support;

use porthole_engine::config::{Config, RegistrySettings};
use porthole_engine::registry::RegistryClient;
use porthole_engine::registry::credentials::CredentialStore;
use porthole_tests::fixtures::{MediaTypes, catalog};
use porthole_tests::{RegistryAuth, TestRegistry};
use pull_support::{TestStore, fast_retry, pull_into};

#[tokio::test]
async fn a_registry_with_its_own_ca_is_pulled_over_https_when_its_ca_file_is_configured() {
    let registry = TestRegistry::start_tls(RegistryAuth::None);
    let image = catalog::simple(MediaTypes::Oci);
    let pushed = image.push(&registry, "tls/simple", "v1");
    let dir = tempfile::tempdir().unwrap();
    let ca_file = dir.path().join("ca.pem");
    std::fs::write(&ca_file, registry.ca_pem().unwrap()).unwrap();

    let client = |ca: Option<&std::path::Path>| {
        let config = Config {
            registries: vec![RegistrySettings {
                host: registry.addr().to_owned(),
                insecure: false,
                ca_file: ca.map(ToOwned::to_owned),
            }],
            ..Config::default()
        };
        RegistryClient::new(
            config,
            CredentialStore::new(dir.path().to_owned(), Vec::new()),
        )
        .unwrap()
        .with_retry(fast_retry())
    };

    let store = TestStore::new();
    let report = pull_into(&client(Some(&ca_file)), &store, &pushed.reference(), None)
        .await
        .expect("the pull trusts the configured CA");
    assert_eq!(report.digest.to_string(), image.manifest_digest);
    store.assert_holds(&image);

    // Without the CA file a loopback registry is spoken to in plain HTTP, which this HTTPS-only
    // registry refuses: the pull fails instead of silently trusting anything.
    let store = TestStore::new();
    let err = pull_into(&client(None), &store, &pushed.reference(), None)
        .await
        .expect_err("no CA configured");
    assert!(!err.to_string().is_empty());

    // With another CA's certificate the TLS handshake fails, and the message says so in
    // words a person can act on rather than in hyper's ("error sending request for url").
    let other_key = rcgen::KeyPair::generate().unwrap();
    let other = rcgen::CertificateParams::new(vec!["127.0.0.1".to_owned()])
        .unwrap()
        .self_signed(&other_key)
        .unwrap();
    let wrong_ca = dir.path().join("other-ca.pem");
    std::fs::write(&wrong_ca, other.pem()).unwrap();
    let store = TestStore::new();
    let err = pull_into(&client(Some(&wrong_ca)), &store, &pushed.reference(), None)
        .await
        .expect_err("the registry's certificate is not signed by the configured CA");
    let message = err.to_string();
    assert!(
        message.contains(&format!(
            "cannot reach registry {}: the TLS handshake failed: invalid peer certificate",
            registry.addr()
        )),
        "{message}"
    );
    assert!(!message.contains("error sending request"), "{message}");
    assert!(
        message.contains("as `caFile` in the config file"),
        "{message}"
    );
}
