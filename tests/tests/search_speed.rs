//! How much of a search is our own time: parsing a 25-result v3 page and building the results,
//! and a whole search against the local replay server next to a bare fetch of the same bytes.
//! Prints the numbers (run with `--nocapture`); asserts only a generous ceiling, so a slow CI
//! machine does not fail it, while a pathological regression (say 100x) still does.

use std::time::{Duration, Instant};

use porthole_engine::hub::parse::parse_search_v3;
use porthole_engine::hub::{HubClient, SearchQuery};
use porthole_tests::hub::{HubReplay, MANY};
use tokio_util::sync::CancellationToken;
use url::Url;

const PARSES: u32 = 1000;
const SEARCHES: u32 = 200;

#[tokio::test]
async fn search_overhead_on_the_replay_server() {
    let hub = HubReplay::start();
    let body = hub.search_v3_body(MANY, 0, 25);
    let page = parse_search_v3(body.as_bytes(), 0).expect("parse");
    assert_eq!(page.results.len(), 25);

    let started = Instant::now();
    for _ in 0..PARSES {
        let page = parse_search_v3(std::hint::black_box(body.as_bytes()), 0).expect("parse");
        std::hint::black_box(page);
    }
    let per_parse = started.elapsed() / PARSES;

    // The floor: reading the same bytes into a JSON tree and nothing else.
    let started = Instant::now();
    for _ in 0..PARSES {
        let tree: serde_json::Value =
            serde_json::from_slice(std::hint::black_box(body.as_bytes())).expect("json");
        std::hint::black_box(tree);
    }
    let per_tree = started.elapsed() / PARSES;

    // A whole search (request, body, parse, results), each at a new `now` so that none is
    // answered from the cache…
    let client = HubClient::new(Url::parse(&hub.url()).expect("url")).expect("client");
    let cancel = CancellationToken::new();
    let query = SearchQuery::new(MANY);
    let t0 = Instant::now();
    client.search(&query, t0, &cancel).await.expect("warm up");
    let started = Instant::now();
    for i in 1..=SEARCHES {
        let now = t0 + Duration::from_secs(61) * i;
        std::hint::black_box(client.search(&query, now, &cancel).await.expect("search"));
    }
    let per_search = started.elapsed() / SEARCHES;

    // …next to fetching the same URL and reading its body with a plain client.
    let url = format!(
        "{}/api/search/v3/catalog/search?query={MANY}&from=0&size=25&type=image",
        hub.url()
    );
    let _ = rustls::crypto::ring::default_provider().install_default();
    let plain = reqwest::Client::new();
    plain.get(&url).send().await.expect("warm up");
    let started = Instant::now();
    for _ in 0..SEARCHES {
        let bytes = plain
            .get(&url)
            .send()
            .await
            .expect("get")
            .bytes()
            .await
            .expect("body");
        std::hint::black_box(bytes);
    }
    let per_fetch = started.elapsed() / SEARCHES;

    // And from memory.
    let started = Instant::now();
    for _ in 0..PARSES {
        std::hint::black_box(client.search(&query, t0, &cancel).await.expect("cached"));
    }
    let per_cached = started.elapsed() / PARSES;

    eprintln!(
        "search speed ({} bytes, 25 results, {} build): parse {per_parse:?}/page \
         (JSON tree alone {per_tree:?}); \
         whole search {per_search:?}; bare fetch {per_fetch:?}; so our share ≈ {:?}; \
         cached answer {per_cached:?}",
        body.len(),
        if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        },
        per_search.saturating_sub(per_fetch),
    );
    assert!(
        per_parse < Duration::from_millis(50),
        "parsing a page took {per_parse:?}"
    );
}
