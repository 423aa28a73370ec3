//! Docker Hub search, tags, details and rate limits through the engine's `HubClient`, against
//! the harness's replay server (recorded response shapes; paging, fallbacks, 429, 5xx, slow
//! answers, missing fields, hostile text).

use std::time::{Duration, Instant};

use porthole_engine::Reference;
use porthole_engine::hub::{
    Badge, HubClient, HubError, HubRepoName, PullRateLimit, SEARCH_TTL, SearchQuery, SearchRoute,
    TagOrdering, TagQuery, pull_rate_limit,
};
use porthole_engine::registry::RegistryClient;
use porthole_engine::registry::client::RetryPolicy;
use porthole_engine::registry::credentials::CredentialStore;
use porthole_tests::hub::{
    HOSTILE, HOSTILE_DESCRIPTION, HubReplay, MANY, MANY_COUNT, MANY_TAGS_COUNT, MANY_TAGS_REPO,
    POPULAR, Reply, Route, SPARSE,
};
use tokio_util::sync::CancellationToken;
use url::Url;

// Inside `mod search` so that `cargo test search` selects these tests by name.
mod search {
    use super::*;

    fn client(hub: &HubReplay) -> HubClient {
        HubClient::new(Url::parse(&hub.url()).expect("replay URL")).expect("hub client")
    }

    fn query(text: &str) -> SearchQuery {
        SearchQuery::new(text)
    }

    #[tokio::test]
    async fn recorded_v3_page_reads_every_field() {
        let hub = HubReplay::start();
        let page = client(&hub)
            .search(&query("nginx"), Instant::now(), &CancellationToken::new())
            .await
            .expect("search");
        assert_eq!(page.route, SearchRoute::V3);
        assert_eq!(page.total, Some(3));
        assert!(!page.total_capped && !page.has_more);
        let names: Vec<&str> = page.results.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(
            names,
            ["nginx", "bitnami/nginx", "nginxinc/nginx-unprivileged"]
        );
        let nginx = &page.results[0];
        assert_eq!(nginx.namespace, "library");
        assert_eq!(nginx.badges, [Badge::Official]);
        assert_eq!(nginx.publisher.as_deref(), Some("library"));
        assert_eq!(
            nginx.description.as_deref(),
            Some("Official build of Nginx.")
        );
        assert_eq!(nginx.stars, Some(20811));
        // `pull_count` is a string under rate_plans[0].repositories[0].
        assert_eq!(nginx.pulls, Some(1_000_000_000));
        assert_eq!(
            nginx.updated.as_deref(),
            Some("2026-11-20T10:11:12.000000Z")
        );
        assert_eq!(nginx.logo_url, None, "empty logo URLs are no logo");
        assert_eq!(
            nginx.architectures,
            ["amd64", "arm64", "arm", "386", "ppc64le", "s390x"]
        );
        assert_eq!(nginx.operating_systems, ["linux"]);
        assert!(page.results[1].is_verified() && !page.results[1].is_official());
        assert!(page.results[2].is_open_source());
        assert_eq!(page.results[2].pulls, Some(100_000_000));

        let request = &hub.requests()[0];
        assert_eq!(request.route, Route::SearchV3);
        assert_eq!(request.param("query"), Some("nginx"));
        assert_eq!(request.param("from"), Some("0"));
        assert_eq!(request.param("size"), Some("25"));
        assert_eq!(request.param("type"), Some("image"));
    }

    #[tokio::test]
    async fn pages_follow_from_and_size_and_total_is_capped() {
        let hub = HubReplay::start();
        let hub_client = client(&hub);
        let cancel = CancellationToken::new();
        let mut names = Vec::new();
        let mut q = query(MANY);
        loop {
            let page = hub_client
                .search(&q, Instant::now(), &cancel)
                .await
                .expect("page");
            assert_eq!(page.total, Some(MANY_COUNT as u64));
            assert_eq!(page.from, q.from);
            names.extend(page.results.iter().map(|r| r.name.clone()));
            if !page.has_more {
                break;
            }
            q.from += q.size;
        }
        assert_eq!(names.len(), MANY_COUNT);
        assert_eq!(names[0], "acme/app-000");
        assert_eq!(
            names[MANY_COUNT - 1],
            format!("acme/app-{:03}", MANY_COUNT - 1)
        );
        assert_eq!(hub.count(Route::SearchV3), MANY_COUNT.div_ceil(25));

        let popular = hub_client
            .search(&query(POPULAR), Instant::now(), &cancel)
            .await
            .expect("popular");
        assert_eq!(popular.total, Some(10_000));
        assert!(popular.total_capped && popular.has_more);
    }

    #[tokio::test]
    async fn badges_are_asked_for_and_enforced() {
        let hub = HubReplay::start();
        let mut q = query(MANY);
        q.badges = vec![Badge::VerifiedPublisher];
        q.size = 100;
        let page = client(&hub)
            .search(&q, Instant::now(), &CancellationToken::new())
            .await
            .expect("search");
        assert_eq!(page.results.len(), MANY_COUNT.div_ceil(3));
        assert!(page.results.iter().all(|r| r.is_verified()));
        assert_eq!(hub.requests()[0].params("badges"), ["verified_publisher"]);

        let mut q = query("nginx");
        q.badges = vec![Badge::Official];
        let page = client(&hub)
            .search(&q, Instant::now(), &CancellationToken::new())
            .await
            .expect("search");
        assert_eq!(page.results.len(), 1);
        assert_eq!(page.results[0].name, "nginx");
    }

    #[tokio::test]
    async fn v3_missing_broken_or_unreadable_falls_back_to_v2() {
        for reply in [Reply::Status(404), Reply::Status(503), Reply::NotJson] {
            let hub = HubReplay::start();
            hub.inject_always(Route::SearchV3, reply.clone());
            let page = client(&hub)
                .search(&query("nginx"), Instant::now(), &CancellationToken::new())
                .await
                .unwrap_or_else(|e| panic!("{reply:?}: {e}"));
            assert_eq!(page.route, SearchRoute::V2, "{reply:?}");
            assert_eq!(page.results.len(), 1);
            let nginx = &page.results[0];
            assert_eq!(nginx.name, "nginx");
            assert!(nginx.is_official());
            assert_eq!(nginx.pulls, Some(1_000_000_000));
            assert_eq!(nginx.stars, Some(20811));
            let routes: Vec<Route> = hub.requests().iter().map(|r| r.route).collect();
            assert_eq!(routes, [Route::SearchV3, Route::SearchV2], "{reply:?}");
            let v2 = &hub.requests()[1];
            assert_eq!(v2.param("page"), Some("1"));
            assert_eq!(v2.param("page_size"), Some("25"));
        }
    }

    #[tokio::test]
    async fn v2_fallback_pages_by_number() {
        let hub = HubReplay::start();
        hub.inject_always(Route::SearchV3, Reply::Status(404));
        let mut q = query(MANY);
        q.from = 50;
        let page = client(&hub)
            .search(&q, Instant::now(), &CancellationToken::new())
            .await
            .expect("search");
        assert_eq!(page.route, SearchRoute::V2);
        assert_eq!(page.results.len(), MANY_COUNT - 50);
        assert_eq!(page.results[0].name, "acme/app-050");
        assert!(!page.has_more);
        assert_eq!(hub.requests()[1].param("page"), Some("3"));
    }

    #[tokio::test]
    async fn a_429_names_the_limit_and_reset_and_does_not_fall_back() {
        let hub = HubReplay::start();
        hub.inject(
            Route::SearchV3,
            Reply::RateLimited {
                limit: 180,
                retry_after: 42,
                reset: 1_800_000_000,
            },
            1,
        );
        let err = client(&hub)
            .search(&query("nginx"), Instant::now(), &CancellationToken::new())
            .await
            .expect_err("rate limited");
        match &err {
            HubError::RateLimited {
                limit,
                retry_after,
                reset,
            } => {
                assert_eq!(*limit, Some(180));
                assert_eq!(*retry_after, Some(Duration::from_secs(42)));
                assert_eq!(
                    *reset,
                    Some(std::time::UNIX_EPOCH + Duration::from_secs(1_800_000_000))
                );
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(err.code(), "rateLimited");
        let message = err.to_string();
        assert!(
            message.contains("limit 180") && message.contains("42s"),
            "{message}"
        );
        assert_eq!(hub.count(Route::SearchV2), 0);
    }

    #[tokio::test]
    async fn both_routes_failing_is_unavailable() {
        let hub = HubReplay::start();
        hub.inject_always(Route::SearchV3, Reply::Status(502));
        hub.inject_always(Route::SearchV2, Reply::Status(503));
        let err = client(&hub)
            .search(&query("nginx"), Instant::now(), &CancellationToken::new())
            .await
            .expect_err("unavailable");
        assert!(
            matches!(err, HubError::Unavailable { status: 503, .. }),
            "{err:?}"
        );
        assert_eq!(err.code(), "network");
        assert!(err.to_string().contains("try again later"), "{err}");
    }

    #[tokio::test]
    async fn the_same_query_within_a_minute_answers_from_memory() {
        let hub = HubReplay::start();
        let hub_client = client(&hub);
        let cancel = CancellationToken::new();
        let t0 = Instant::now();
        let first = hub_client
            .search(&query("nginx"), t0, &cancel)
            .await
            .expect("first");
        let again = hub_client
            .search(&query(" nginx "), t0 + Duration::from_secs(59), &cancel)
            .await
            .expect("again");
        assert_eq!(first, again);
        assert_eq!(hub.count(Route::SearchV3), 1, "answered from memory");
        hub_client
            .search(&query("nginx"), t0 + SEARCH_TTL, &cancel)
            .await
            .expect("after a minute");
        assert_eq!(hub.count(Route::SearchV3), 2, "stale after a minute");
        let mut second_page = query("nginx");
        second_page.from = 25;
        hub_client
            .search(&second_page, t0, &cancel)
            .await
            .expect("other page");
        assert_eq!(
            hub.count(Route::SearchV3),
            3,
            "another page is another query"
        );
    }

    #[tokio::test]
    async fn a_slow_query_superseded_by_a_newer_one_is_cancelled() {
        let hub = HubReplay::start();
        hub.inject(Route::SearchV3, Reply::Delay(Duration::from_secs(10)), 1);
        let hub_client = client(&hub);
        let slow_token = CancellationToken::new();
        let slow = {
            let (c, t) = (hub_client.clone(), slow_token.clone());
            tokio::spawn(async move { c.search(&query("ngin"), Instant::now(), &t).await })
        };
        // Wait until the slow request reached the server, then type on.
        let deadline = Instant::now() + Duration::from_secs(5);
        while hub.count(Route::SearchV3) == 0 {
            assert!(Instant::now() < deadline, "the slow query never arrived");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let started = Instant::now();
        slow_token.cancel();
        let newer = hub_client
            .search(&query("nginx"), Instant::now(), &CancellationToken::new())
            .await
            .expect("the newer query");
        let slow = slow.await.expect("join");
        assert!(matches!(slow, Err(HubError::Cancelled)), "{slow:?}");
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "cancelling took {:?}",
            started.elapsed()
        );
        assert_eq!(newer.results.len(), 3);
        // A cancelled query leaves nothing in the cache.
        hub_client
            .search(&query("ngin"), Instant::now(), &CancellationToken::new())
            .await
            .expect("asked again");
        assert_eq!(hub.count(Route::SearchV3), 3);
    }

    #[tokio::test]
    async fn hostile_text_comes_through_as_text_and_foreign_logos_are_dropped() {
        let hub = HubReplay::start();
        let page = client(&hub)
            .search(&query(HOSTILE), Instant::now(), &CancellationToken::new())
            .await
            .expect("search");
        let first = &page.results[0];
        assert_eq!(first.description.as_deref(), Some(HOSTILE_DESCRIPTION));
        assert_eq!(first.logo_url, None, "a logo on evil.example is not kept");
        assert!(
            page.results[1]
                .description
                .as_deref()
                .is_some_and(|d| d.starts_with("\u{1b}[31mred"))
        );
        assert_eq!(page.results[1].publisher.as_deref(), Some("<b>bitnami</b>"));
        assert_eq!(
            page.results[2].logo_url.as_deref(),
            Some("https://media.docker.com/logo.png")
        );
        // Serialised for the UI, the text is unchanged.
        let json = serde_json::to_value(&page).expect("serialise");
        assert_eq!(json["results"][0]["description"], HOSTILE_DESCRIPTION);
    }

    #[tokio::test]
    async fn missing_and_oddly_typed_fields_do_not_break_a_page() {
        let hub = HubReplay::start();
        let page = client(&hub)
            .search(&query(SPARSE), Instant::now(), &CancellationToken::new())
            .await
            .expect("search");
        assert_eq!(page.route, SearchRoute::V3);
        assert_eq!(page.total, None);
        assert_eq!(page.skipped, 2, "a number and a result without a name");
        let names: Vec<&str> = page.results.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["acme/bare", "acme/strings", "alpine"]);
        let strings = &page.results[1];
        assert_eq!(strings.stars, Some(12));
        assert_eq!(strings.pulls, Some(345));
        assert_eq!(strings.description, None);
        assert_eq!(strings.logo_url, None);
        assert!(page.results[2].is_official());
        assert_eq!(page.results[0].stars, None);
    }

    #[tokio::test]
    async fn tags_with_platforms_and_paging_through_next() {
        let hub = HubReplay::start();
        let hub_client = client(&hub);
        let cancel = CancellationToken::new();
        let nginx = HubRepoName::parse("nginx").expect("name");
        let page = hub_client
            .tags(&nginx, &TagQuery::default(), &cancel)
            .await
            .expect("tags");
        assert_eq!(page.count, Some(2));
        assert_eq!(page.next, None);
        let tag = &page.tags[0];
        assert_eq!(tag.name, "1.27");
        assert_eq!(
            tag.digest.as_ref().map(ToString::to_string),
            Some(format!("sha256:{}", "a".repeat(64)))
        );
        assert_eq!(tag.updated.as_deref(), Some("2026-11-20T10:11:12.000000Z"));
        assert_eq!(tag.images.len(), 2);
        assert_eq!(tag.images[0].architecture.as_deref(), Some("amd64"));
        assert_eq!(tag.images[0].variant, None);
        assert_eq!(tag.images[0].size, Some(72_000_000));
        assert_eq!(tag.images[1].variant.as_deref(), Some("v8"));
        let request = &hub.requests()[0];
        assert_eq!(
            request.path,
            "/v2/namespaces/library/repositories/nginx/tags"
        );
        assert_eq!(request.param("ordering"), Some("last_updated"));

        hub.reset_log();
        let many = HubRepoName::parse(MANY_TAGS_REPO).expect("name");
        let query = TagQuery {
            page_size: 10,
            ordering: TagOrdering::Name,
            name: None,
        };
        let tags = hub_client
            .all_tags(&many, &query, 1000, &cancel)
            .await
            .expect("all tags");
        assert_eq!(tags.len(), MANY_TAGS_COUNT);
        assert_eq!(tags[0].name, "v00");
        assert_eq!(
            tags[MANY_TAGS_COUNT - 1].name,
            format!("v{}", MANY_TAGS_COUNT - 1)
        );
        assert_eq!(hub.count(Route::Tags), MANY_TAGS_COUNT.div_ceil(10));
        assert!(
            hub.requests()[1..]
                .iter()
                .all(|r| r.param("page").is_some())
        );

        // A limit stops the paging early.
        hub.reset_log();
        let first_12 = hub_client
            .all_tags(&many, &query, 12, &cancel)
            .await
            .expect("12 tags");
        assert_eq!(first_12.len(), 12);
        assert_eq!(hub.count(Route::Tags), 2);

        let filtered = hub_client
            .all_tags(
                &many,
                &TagQuery {
                    name: Some("v1".into()),
                    ..query.clone()
                },
                100,
                &cancel,
            )
            .await
            .expect("filtered");
        assert_eq!(filtered.len(), 10, "v10 to v19");
        assert!(filtered.iter().all(|t| t.name.starts_with("v1")));
    }

    #[tokio::test]
    async fn tags_fall_back_to_the_older_route() {
        let hub = HubReplay::start();
        hub.inject_always(Route::Tags, Reply::Status(404));
        let page = client(&hub)
            .tags(
                &HubRepoName::parse("nginx").expect("name"),
                &TagQuery::default(),
                &CancellationToken::new(),
            )
            .await
            .expect("tags");
        assert_eq!(page.tags.len(), 2);
        let routes: Vec<Route> = hub.requests().iter().map(|r| r.route).collect();
        assert_eq!(routes, [Route::Tags, Route::TagsLegacy]);
    }

    #[tokio::test]
    async fn next_links_to_another_host_are_not_followed() {
        let hub = HubReplay::start();
        hub.foreign_next_links(true);
        let err = client(&hub)
            .all_tags(
                &HubRepoName::parse(MANY_TAGS_REPO).expect("name"),
                &TagQuery {
                    page_size: 10,
                    ..TagQuery::default()
                },
                100,
                &CancellationToken::new(),
            )
            .await
            .expect_err("foreign next link");
        assert!(matches!(err, HubError::ForeignLink { .. }), "{err:?}");
        assert!(err.to_string().contains("evil.example"), "{err}");
        assert_eq!(hub.count(Route::Tags), 1);
    }

    #[tokio::test]
    async fn unknown_repositories_are_not_found() {
        let hub = HubReplay::start();
        let err = client(&hub)
            .tags(
                &HubRepoName::parse("nobody/nothing").expect("name"),
                &TagQuery::default(),
                &CancellationToken::new(),
            )
            .await
            .expect_err("not found");
        assert!(matches!(err, HubError::NotFound { .. }), "{err:?}");
        assert!(err.to_string().contains("nobody/nothing"), "{err}");
    }

    #[tokio::test]
    async fn repository_details_for_the_card() {
        let hub = HubReplay::start();
        let hub_client = client(&hub);
        let cancel = CancellationToken::new();
        let details = hub_client
            .repository(&HubRepoName::parse("nginx").expect("name"), &cancel)
            .await
            .expect("details");
        assert_eq!(details.namespace, "library");
        assert_eq!(details.repository, "nginx");
        assert_eq!(
            details.description.as_deref(),
            Some("Official build of Nginx.")
        );
        assert_eq!(details.stars, Some(20811));
        assert_eq!(details.pulls, Some(1_000_000_000));
        assert_eq!(
            details.updated.as_deref(),
            Some("2026-11-20T10:11:12.000000Z")
        );
        assert!(
            details
                .full_description
                .as_deref()
                .is_some_and(|d| d.contains("<script>alert(1)</script>"))
        );
        // The older route, and string counts.
        hub.inject_always(Route::Repository, Reply::Status(404));
        let many = hub_client
            .repository(&HubRepoName::parse(MANY_TAGS_REPO).expect("name"), &cancel)
            .await
            .expect("details");
        assert_eq!((many.stars, many.pulls), (Some(3), Some(4500)));
        assert_eq!(hub.count(Route::RepositoryLegacy), 1);
    }

    fn registry_client() -> RegistryClient {
        let docker_config = tempfile::tempdir().expect("docker config dir");
        RegistryClient::new(
            Default::default(),
            CredentialStore::new(docker_config.path().to_owned(), Vec::new()),
        )
        .expect("registry client")
        .with_retry(RetryPolicy {
            attempts: 2,
            first_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(20),
            max_retry_after: Duration::from_secs(1),
            stall_timeout: Duration::from_secs(1),
        })
    }

    #[tokio::test]
    async fn pull_rate_limit_from_a_manifest_head() {
        let hub = HubReplay::start();
        let reference =
            Reference::parse(&format!("{}/library/nginx:latest", hub.addr())).expect("reference");
        let client = registry_client();
        let cancel = CancellationToken::new();
        let limit = pull_rate_limit(&client, &reference, &cancel)
            .await
            .expect("rate limit");
        assert_eq!(
            limit,
            Some(PullRateLimit {
                limit: 100,
                remaining: Some(76),
                window_seconds: Some(21600),
                source: Some("127.0.0.1".into()),
            })
        );
        let request = hub
            .requests()
            .into_iter()
            .find(|r| r.route == Route::Manifest)
            .expect("a manifest request");
        assert_eq!(request.method, porthole_tests::Method::HEAD);

        hub.inject(
            Route::Manifest,
            Reply::RateLimited {
                limit: 100,
                retry_after: 3600,
                reset: 1_800_000_000,
            },
            5,
        );
        let over = pull_rate_limit(&client, &reference, &cancel)
            .await
            .expect("rate limited");
        assert_eq!(over.map(|l| (l.limit, l.remaining)), Some((100, Some(0))));
    }
}
