//! Searching a private registry (the real `docker-registry`): the catalog paged with `n` and
//! `Link`, filtered by the query; tags paged likewise; the catalog behind htpasswd and token
//! auth (`registry:catalog:*`); a registry without a catalog; and a full reference resolved to
//! its platforms and sizes.

use std::time::Duration;

use base64::Engine as _;
use porthole_engine::Reference;
use porthole_engine::registry::RegistryClient;
use porthole_engine::registry::catalog::{CATALOG_SCOPE, CatalogError, ListOptions};
use porthole_engine::registry::client::RetryPolicy;
use porthole_engine::registry::credentials::CredentialStore;
use porthole_engine::registry::resolve::resolve_reference;
use porthole_tests::fixtures::{Image, MediaTypes, catalog};
use porthole_tests::hub::HubReplay;
use porthole_tests::{FaultProxy, RegistryAuth, TestRegistry, TokenIssuer};
use tempfile::TempDir;
use tokio_util::sync::CancellationToken;

// Inside `mod search` so that `cargo test search` selects these tests by name.
mod search {
    use super::*;

    /// An engine client whose Docker config holds `login` (registry, user, password), if any.
    fn client(login: Option<(&str, &str, &str)>) -> (RegistryClient, TempDir) {
        let dir = tempfile::tempdir().expect("docker config dir");
        if let Some((registry, user, password)) = login {
            let auth =
                base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
            let config = serde_json::json!({ "auths": { registry: { "auth": auth } } });
            std::fs::write(dir.path().join("config.json"), config.to_string())
                .expect("config.json");
        }
        let client = RegistryClient::new(
            Default::default(),
            CredentialStore::new(dir.path().to_owned(), Vec::new()),
        )
        .expect("registry client")
        .with_retry(RetryPolicy {
            attempts: 3,
            first_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(50),
            max_retry_after: Duration::from_secs(1),
            stall_timeout: Duration::from_secs(2),
        });
        (client, dir)
    }

    const REPOS: [&str; 7] = [
        "team/app-a",
        "team/app-b",
        "team/App-C-legacy",
        "team/web",
        "tools/app-runner",
        "tools/lint",
        "zeta/app-z",
    ];

    fn push_repos(registry: &TestRegistry, image: &Image) {
        for repo in REPOS {
            // Repository names are lowercase; the query match is case-insensitive anyway.
            image.push(registry, &repo.to_lowercase(), "v1");
        }
    }

    fn opts(page_size: u32, limit: usize) -> ListOptions {
        ListOptions { page_size, limit }
    }

    #[tokio::test]
    async fn catalog_pages_through_link_headers_and_filters_by_the_query() {
        let registry = TestRegistry::start(RegistryAuth::None);
        push_repos(&registry, &catalog::simple(MediaTypes::Oci));
        let proxy = FaultProxy::in_front_of(&registry);
        let (client, _dir) = client(None);
        let cancel = CancellationToken::new();

        let found = client
            .search_catalog(&proxy.addr(), "APP", &opts(2, 100), &cancel)
            .await
            .expect("catalog");
        assert_eq!(
            found.repositories,
            [
                "team/app-a",
                "team/app-b",
                "team/app-c-legacy",
                "tools/app-runner",
                "zeta/app-z"
            ]
        );
        assert_eq!(found.scanned, REPOS.len());
        assert!(found.complete);
        assert_eq!(found.registry, proxy.addr());
        // 7 repositories, 2 a page: 4 pages, each asked for with n=2.
        let pages: Vec<_> = proxy
            .requests()
            .into_iter()
            .filter(|r| r.path == "/v2/_catalog" && r.status == 200)
            .collect();
        assert_eq!(pages.len(), 4, "{pages:?}");
        assert!(
            pages
                .iter()
                .all(|r| r.query.as_deref().is_some_and(|q| q.contains("n=2")))
        );

        // A limit stops early, and says the list is not complete.
        proxy.reset_log();
        let two = client
            .search_catalog(&proxy.addr(), "app", &opts(2, 2), &cancel)
            .await
            .expect("catalog");
        assert_eq!(two.repositories, ["team/app-a", "team/app-b"]);
        assert!(!two.complete);
        assert_eq!(proxy.request_count("/v2/_catalog"), 1);

        // An empty query lists everything; the default page size is accepted by distribution.
        let all = client
            .search_catalog(registry.addr(), "", &ListOptions::default(), &cancel)
            .await
            .expect("catalog");
        assert_eq!(all.repositories.len(), REPOS.len());
        // An n over distribution's maxentries (1000) would be refused: it is clamped.
        let big = client
            .search_catalog(registry.addr(), "lint", &opts(50_000, 10), &cancel)
            .await
            .expect("catalog with a huge page size");
        assert_eq!(big.repositories, ["tools/lint"]);
    }

    #[tokio::test]
    async fn tags_are_listed_and_paged() {
        let registry = TestRegistry::start(RegistryAuth::None);
        let image = catalog::simple(MediaTypes::Docker);
        let tags = ["1.0", "1.1", "2.0", "latest", "nightly"];
        for tag in tags {
            image.push(&registry, "team/app", tag);
        }
        let proxy = FaultProxy::in_front_of(&registry);
        let (client, _dir) = client(None);
        let cancel = CancellationToken::new();
        let listed = client
            .list_tags(&proxy.addr(), "team/app", &opts(2, 100), &cancel)
            .await
            .expect("tags");
        let mut names = listed.tags.clone();
        names.sort();
        assert_eq!(names, tags);
        assert!(listed.complete);
        let pages = proxy.request_count("/v2/team/app/tags/list");
        // distribution 2.8 ignores `n` on tags/list and answers everything at once (newer
        // registries page it: see `tags_list_follows_link_headers`); both must read the same.
        assert!(pages == 3 || pages == 1, "{pages} pages");

        let first_two = client
            .list_tags(registry.addr(), "team/app", &opts(2, 2), &cancel)
            .await
            .expect("tags");
        assert_eq!(first_two.tags.len(), 2);
        assert!(!first_two.complete);

        let err = client
            .list_tags(registry.addr(), "team/nothing", &opts(10, 10), &cancel)
            .await
            .expect_err("no such repository");
        assert!(err.to_string().contains("team/nothing"), "{err}");
    }

    #[tokio::test]
    async fn htpasswd_catalog_needs_credentials() {
        let registry = TestRegistry::start(RegistryAuth::Htpasswd {
            user: "bob",
            password: "hunter2",
        });
        push_repos(&registry, &catalog::simple(MediaTypes::Oci));
        let cancel = CancellationToken::new();

        let (good, _d1) = client(Some((registry.addr(), "bob", "hunter2")));
        let found = good
            .search_catalog(registry.addr(), "tools", &opts(3, 100), &cancel)
            .await
            .expect("catalog with credentials");
        assert_eq!(found.repositories, ["tools/app-runner", "tools/lint"]);
        let tags = good
            .list_tags(registry.addr(), "tools/lint", &opts(10, 10), &cancel)
            .await
            .expect("tags with credentials");
        assert_eq!(tags.tags, ["v1"]);

        let (anonymous, _d2) = client(None);
        let err = anonymous
            .search_catalog(registry.addr(), "tools", &opts(3, 100), &cancel)
            .await
            .expect_err("anonymous");
        assert!(matches!(err, CatalogError::Refused { .. }), "{err:?}");
        let message = err.to_string();
        assert!(
            message.contains(&format!("porthole login {}", registry.addr()))
                && message.contains("type a full reference"),
            "{message}"
        );

        let (wrong, _d3) = client(Some((registry.addr(), "bob", "nope")));
        let err = wrong
            .search_catalog(registry.addr(), "tools", &opts(3, 100), &cancel)
            .await
            .expect_err("wrong password");
        assert!(
            matches!(&err, CatalogError::Refused { reason, .. } if reason.contains("refused your credentials")),
            "{err:?}"
        );
    }

    #[tokio::test]
    async fn token_catalog_asks_for_the_catalog_scope() {
        let issuer = TokenIssuer::builder()
            .user("alice", "secret")
            .allow_anonymous_pull(true)
            .start();
        let registry = TestRegistry::start(RegistryAuth::Token(&issuer));
        push_repos(&registry, &catalog::simple(MediaTypes::Oci));
        issuer.reset_log();
        let cancel = CancellationToken::new();

        let (alice, _d1) = client(Some((registry.addr(), "alice", "secret")));
        let found = alice
            .search_catalog(registry.addr(), "web", &opts(2, 100), &cancel)
            .await
            .expect("catalog with a token");
        assert_eq!(found.repositories, ["team/web"]);
        let requests = issuer.requests();
        assert!(
            requests
                .iter()
                .any(|r| r.scopes == [CATALOG_SCOPE] && r.status == 200 && !r.granted.is_empty()),
            "{requests:?}"
        );
        // One token serves every page.
        assert_eq!(
            requests
                .iter()
                .filter(|r| r.scopes == [CATALOG_SCOPE])
                .count(),
            1,
            "{requests:?}"
        );

        // Anonymous users get pull-only tokens: the catalog refuses them, clearly.
        let (anonymous, _d2) = client(None);
        let err = anonymous
            .search_catalog(registry.addr(), "web", &opts(2, 100), &cancel)
            .await
            .expect_err("anonymous catalog");
        assert!(matches!(err, CatalogError::Refused { .. }), "{err:?}");
        assert_eq!(err.code(), "auth");
        // …but may still list a repository's tags.
        let tags = anonymous
            .list_tags(registry.addr(), "team/web", &opts(10, 10), &cancel)
            .await
            .expect("anonymous tags");
        assert_eq!(tags.tags, ["v1"]);
    }

    #[tokio::test]
    async fn a_registry_without_a_catalog_suggests_a_full_reference() {
        // The Hub replay server answers 404 to /v2/_catalog, as many public registries do.
        let hub = HubReplay::start();
        let (client, _dir) = client(None);
        let err = client
            .search_catalog(
                &hub.addr(),
                "x",
                &ListOptions::default(),
                &CancellationToken::new(),
            )
            .await
            .expect_err("no catalog");
        assert!(matches!(err, CatalogError::Refused { .. }), "{err:?}");
        let message = err.to_string();
        assert!(
            message.contains("does not serve /v2/_catalog")
                && message.contains(&format!("{}/owner/app:tag", hub.addr())),
            "{message}"
        );
    }

    #[tokio::test]
    async fn a_typed_reference_resolves_to_platforms_and_sizes() {
        let registry = TestRegistry::start(RegistryAuth::None);
        let index = catalog::multi_arch(MediaTypes::Oci);
        let pushed = index.push(&registry, "team/multi", "1.2");
        let single = catalog::multi_layer(3, 5_000);
        let single_pushed = single.push(&registry, "team/single", "v1");
        let (client, _dir) = client(None);
        let cancel = CancellationToken::new();

        let reference = Reference::parse(&pushed.reference()).expect("reference");
        let resolved = resolve_reference(&client, &reference, &cancel)
            .await
            .expect("resolve the index");
        assert!(resolved.index);
        assert_eq!(resolved.digest.to_string(), index.digest);
        assert_eq!(resolved.registry, registry.addr());
        assert_eq!(resolved.repository, "team/multi");
        let platforms: Vec<String> = resolved
            .platforms
            .iter()
            .map(|p| match &p.variant {
                Some(v) => format!("{}/{}/{v}", p.os, p.architecture),
                None => format!("{}/{}", p.os, p.architecture),
            })
            .collect();
        assert_eq!(platforms, catalog::MULTI_ARCH_PLATFORMS);
        for (p, image) in resolved.platforms.iter().zip(&index.images) {
            let expected = image.config_size() + image.layers.iter().map(|l| l.size).sum::<u64>();
            assert_eq!(p.size, expected, "{}", image.platform);
            assert_eq!(p.digest.to_string(), image.manifest_digest);
            assert_eq!(p.layers, image.layers.len());
        }

        // By digest, a single-platform image: its platform comes from the config.
        let by_digest = Reference::parse(&single_pushed.by_digest()).expect("reference");
        let resolved = resolve_reference(&client, &by_digest, &cancel)
            .await
            .expect("resolve the image");
        assert!(!resolved.index);
        assert_eq!(resolved.platforms.len(), 1);
        let p = &resolved.platforms[0];
        assert_eq!(
            (p.os.as_str(), p.architecture.as_str()),
            (
                single.platform.os.as_str(),
                single.platform.architecture.as_str()
            )
        );
        assert_eq!(
            p.size,
            single.config_size() + single.layers.iter().map(|l| l.size).sum::<u64>()
        );

        let missing =
            Reference::parse(&format!("{}/team/multi:nope", registry.addr())).expect("ref");
        let err = resolve_reference(&client, &missing, &cancel)
            .await
            .expect_err("no such tag");
        assert!(err.to_string().contains("not found"), "{err}");
    }

    #[tokio::test]
    async fn tags_list_follows_link_headers() {
        // distribution 2.8 answers tags/list in one piece; the replay server's registry side pages
        // it with `n`, `last` and `Link`, as newer registries and Docker Hub's do.
        let hub = HubReplay::start();
        let (client, _dir) = client(None);
        let cancel = CancellationToken::new();
        let listed = client
            .list_tags(
                &hub.addr(),
                porthole_tests::hub::MANY_TAGS_REPO,
                &opts(10, 1000),
                &cancel,
            )
            .await
            .expect("tags");
        let expected: Vec<String> = (0..porthole_tests::hub::MANY_TAGS_COUNT)
            .map(|i| format!("v{i:02}"))
            .collect();
        assert_eq!(listed.tags, expected);
        assert!(listed.complete);
        let pages = hub.requests();
        assert_eq!(
            pages.len(),
            porthole_tests::hub::MANY_TAGS_COUNT.div_ceil(10)
        );
        assert_eq!(pages[0].param("n"), Some("10"));
        assert_eq!(pages[1].param("last"), Some("v09"));
    }
}
