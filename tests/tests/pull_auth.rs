//! Pulls from registries that want credentials: htpasswd (Basic) and token (Bearer) auth,
//! with credentials from a Docker `config.json`, token caching and refresh after expiry.

mod pull_support;

use std::time::Duration;

use porthole_engine::pull::PullError;
use porthole_engine::registry::RegistryError;
use porthole_tests::fixtures::{MediaTypes, catalog};
use porthole_tests::{FaultProxy, RegistryAuth, TestRegistry, TokenIssuer};
use pull_support::{Client, TestStore, pull_into};

fn assert_message(err: &PullError, needle: &str) {
    let message = err.to_string();
    assert!(
        message.contains(needle),
        "expected `{needle}` in: {message}"
    );
}

#[tokio::test]
async fn htpasswd_registry_takes_credentials_from_docker_config() {
    let registry = TestRegistry::start(RegistryAuth::Htpasswd {
        user: "bob",
        password: "hunter2",
    });
    let image = catalog::multi_layer(2, 10_000);
    let pushed = image.push(&registry, "private/app", "v1");

    let good = Client::with_login(registry.addr(), "bob", "hunter2");
    let store = TestStore::new();
    let report = pull_into(&good.client, &store, &pushed.reference(), None)
        .await
        .expect("pull with bob's credentials");
    assert_eq!(report.digest.to_string(), image.manifest_digest);
    store.assert_holds(&image);
    store.assert_fsck_clean();

    let wrong = Client::with_login(registry.addr(), "bob", "nope");
    let store = TestStore::new();
    let err = pull_into(&wrong.client, &store, &pushed.reference(), None)
        .await
        .expect_err("a wrong password");
    assert!(
        matches!(
            &err,
            PullError::Registry(RegistryError::CredentialsRefused { .. })
        ),
        "{err:?}"
    );
    assert_message(&err, "refused the credentials");
    assert_message(&err, registry.addr());

    let anonymous = Client::anonymous();
    let err = pull_into(&anonymous.client, &store, &pushed.reference(), None)
        .await
        .expect_err("no credentials");
    assert!(
        matches!(
            &err,
            PullError::Registry(RegistryError::AuthRequired { .. })
        ),
        "{err:?}"
    );
    assert_message(&err, "requires you to sign in");
    assert!(store.store.images().expect("images").is_empty());
}

#[tokio::test]
async fn token_registry_allows_anonymous_pulls_when_the_issuer_does() {
    let issuer = TokenIssuer::builder()
        .user("alice", "secret")
        .allow_anonymous_pull(true)
        .start();
    let registry = TestRegistry::start(RegistryAuth::Token(&issuer));
    let image = catalog::simple(MediaTypes::Docker);
    let pushed = image.push(&registry, "public/app", "v1");
    issuer.reset_log();
    // The token service has a bad moment: its 503s are retried like the registry's.
    issuer.fail_next(2, 503);

    let client = Client::anonymous();
    let store = TestStore::new();
    pull_into(&client.client, &store, &pushed.reference(), None)
        .await
        .expect("anonymous pull");
    store.assert_holds(&image);

    let requests = issuer.requests();
    assert_eq!(issuer.tokens_issued(), 1, "{requests:#?}");
    let statuses: Vec<u16> = requests.iter().map(|r| r.status).collect();
    assert_eq!(statuses, [503, 503, 200]);
    assert!(requests.iter().all(|r| !r.basic_auth), "{requests:#?}");
    assert_eq!(requests[2].scopes, ["repository:public/app:pull"]);
}

#[tokio::test]
async fn token_registry_pull_uses_one_cached_token_for_every_request() {
    let issuer = TokenIssuer::builder().user("alice", "secret").start();
    let registry = TestRegistry::start(RegistryAuth::Token(&issuer));
    let image = catalog::multi_layer(4, 20_000);
    let pushed = image.push(&registry, "team/app", "v1");
    issuer.reset_log();

    let client = Client::with_login(registry.addr(), "alice", "secret");
    let store = TestStore::new();
    let report = pull_into(&client.client, &store, &pushed.reference(), None)
        .await
        .expect("credentialed pull");
    assert_eq!(report.layers.len(), 4);
    store.assert_holds(&image);
    store.assert_fsck_clean();

    // Manifest, config and four layers: one token.
    let requests = issuer.requests();
    assert_eq!(issuer.tokens_issued(), 1, "{requests:#?}");
    assert_eq!(requests.len(), 1, "{requests:#?}");
    assert_eq!(requests[0].user.as_deref(), Some("alice"));
    assert_eq!(requests[0].account.as_deref(), Some("alice"));

    // The wrong password is refused by the token service.
    let wrong = Client::with_login(registry.addr(), "alice", "wrong");
    let err = pull_into(&wrong.client, &TestStore::new(), &pushed.reference(), None)
        .await
        .expect_err("a wrong password");
    assert!(
        matches!(
            &err,
            PullError::Registry(RegistryError::CredentialsRefused { .. })
        ),
        "{err:?}"
    );
    assert_message(&err, "refused the credentials");

    // Without credentials, and no anonymous access.
    let anonymous = Client::anonymous();
    let err = pull_into(
        &anonymous.client,
        &TestStore::new(),
        &pushed.reference(),
        None,
    )
    .await
    .expect_err("no credentials");
    assert_message(&err, "requires you to sign in");
}

#[tokio::test]
async fn an_expired_token_is_refreshed_after_the_registry_refuses_it() {
    let issuer = TokenIssuer::builder()
        .user("alice", "secret")
        .expires_in(Duration::from_secs(3))
        .hard_expiry(true)
        .start();
    let registry = TestRegistry::start(RegistryAuth::Token(&issuer));
    let first = catalog::simple(MediaTypes::Oci);
    let second = catalog::multi_layer(2, 10_000);
    first.push(&registry, "team/app", "v1");
    second.push(&registry, "team/app", "v2");
    // Through a proxy, to see what the registry answered.
    let proxy = FaultProxy::in_front_of(&registry);
    issuer.reset_log();

    let client = Client::with_login(&proxy.addr(), "alice", "secret");
    let store = TestStore::new();
    pull_into(
        &client.client,
        &store,
        &format!("{}/team/app:v1", proxy.addr()),
        None,
    )
    .await
    .expect("first pull");
    let issued_first = issuer.tokens_issued();
    assert!(issued_first >= 1);

    // The engine keeps tokens for at least 60 s, but this one dies after 3 (2 to 3 s after
    // it was issued, as `iat` is in whole seconds).
    std::thread::sleep(Duration::from_millis(3_100));
    proxy.reset_log();
    pull_into(
        &client.client,
        &store,
        &format!("{}/team/app:v2", proxy.addr()),
        None,
    )
    .await
    .expect("second pull, after the token expired");
    assert_eq!(
        issuer.tokens_issued(),
        issued_first + 1,
        "{:#?}",
        issuer.requests()
    );
    let requests = proxy.requests();
    let refused = requests
        .iter()
        .filter(|r| {
            r.status == 401
                && r.header("authorization")
                    .is_some_and(|a| a.starts_with("Bearer "))
        })
        .count();
    assert_eq!(refused, 1, "the stale token is refused once: {requests:#?}");
    store.assert_holds(&first);
    store.assert_holds(&second);
    store.assert_fsck_clean();
}
