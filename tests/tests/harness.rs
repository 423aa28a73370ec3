//! Self-tests of the harness: the registry, the token issuer, the fault proxy and the fixtures
//! do what their docs say, checked against real tools (docker-registry, skopeo, umoci) and
//! reqwest.

use std::path::Path;
use std::time::{Duration, Instant};

use http::Method;
use porthole_tests::client::RegistryClient;
use porthole_tests::fixtures::{MediaTypes, catalog, media_type, sha256_digest};
use porthole_tests::proxy::{Fault, Framing, StorageHost};
use porthole_tests::token::{Access, TokenIssuer};
use porthole_tests::tools::{
    skopeo_copy_to_oci, skopeo_inspect, skopeo_inspect_raw, skopeo_inspect_with, umoci_unpack,
};
use porthole_tests::{FaultProxy, RegistryAuth, TestRegistry, send};

/// A reqwest client that works whether or not the workspace unified `rustls-no-provider` in.
fn reqwest_client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("reqwest client")
}

fn get(url: &str) -> porthole_tests::SimpleResponse {
    send(Method::GET, url, &[], "").expect("GET")
}

// ---------------------------------------------------------------------------------------------
// TestRegistry

#[test]
fn registry_starts_answers_and_is_gone_after_drop() {
    let registry = TestRegistry::start(RegistryAuth::None);
    assert!(
        registry.addr().starts_with("127.0.0.1:"),
        "{}",
        registry.addr()
    );
    let response = get(&format!("{}/v2/", registry.url()));
    assert_eq!(response.status, 200);
    assert_eq!(
        response.header("docker-distribution-api-version"),
        Some("registry/2.0")
    );
    assert!(
        registry.logs().contains("listening on"),
        "{}",
        registry.logs()
    );

    let pid = registry.pid();
    let dir = registry.dir().to_owned();
    assert!(Path::new(&format!("/proc/{pid}")).exists());
    drop(registry);
    assert!(
        !Path::new(&format!("/proc/{pid}")).exists(),
        "registry {pid} still running"
    );
    assert!(!dir.exists(), "{} not removed", dir.display());
}

#[test]
fn two_registries_run_side_by_side() {
    let a = TestRegistry::start(RegistryAuth::None);
    let b = TestRegistry::start(RegistryAuth::None);
    assert_ne!(a.addr(), b.addr());
    assert_eq!(get(&format!("{}/v2/", b.url())).status, 200);
}

#[test]
fn htpasswd_registry_refuses_anonymous_and_accepts_basic() {
    let registry = TestRegistry::start(RegistryAuth::Htpasswd {
        user: "bob",
        password: "hunter2",
    });
    let url = format!("{}/v2/", registry.url());

    let anonymous = get(&url);
    assert_eq!(anonymous.status, 401);
    assert_eq!(
        anonymous.header("www-authenticate"),
        Some(r#"Basic realm="porthole-test""#)
    );

    let good = send(
        Method::GET,
        &url,
        &[("authorization", "Basic Ym9iOmh1bnRlcjI=")],
        "",
    )
    .expect("GET");
    assert_eq!(good.status, 200, "bob:hunter2");
    let bad = send(
        Method::GET,
        &url,
        &[("authorization", "Basic Ym9iOm5vcGU=")],
        "",
    )
    .expect("GET");
    assert_eq!(bad.status, 401, "bob:nope");

    let pushed = catalog::simple(MediaTypes::Oci).push(&registry, "private/simple", "v1");
    let inspect = skopeo_inspect_with(&pushed.reference(), Some(("bob", "hunter2")));
    assert_eq!(inspect["Digest"], pushed.manifest_digest());
}

// ---------------------------------------------------------------------------------------------
// Fixtures

#[test]
fn pushed_fixtures_are_byte_exact_for_oci_and_docker() {
    let registry = TestRegistry::start(RegistryAuth::None);
    for (family, tag) in [(MediaTypes::Oci, "oci"), (MediaTypes::Docker, "docker")] {
        let image = catalog::simple(family);
        let pushed = image.push(&registry, "fixtures/simple", tag);
        let inspect = skopeo_inspect(&pushed.reference());
        assert_eq!(inspect["Digest"], pushed.manifest_digest(), "{tag}");
        let layers: Vec<&str> = inspect["Layers"]
            .as_array()
            .expect("Layers")
            .iter()
            .map(|l| l.as_str().expect("digest"))
            .collect();
        assert_eq!(layers, pushed.layer_digests(), "{tag}");
        assert_eq!(
            skopeo_inspect_raw(&pushed.reference(), None),
            image.manifest.to_vec(),
            "{tag}"
        );

        let manifest = send(
            Method::GET,
            &format!("{}/v2/fixtures/simple/manifests/{tag}", registry.url()),
            &[("accept", &image.manifest_media_type)],
            "",
        )
        .expect("GET manifest");
        assert_eq!(
            manifest.header("content-type"),
            Some(image.manifest_media_type.as_str())
        );
        assert_eq!(
            manifest.header("docker-content-digest"),
            Some(pushed.manifest_digest())
        );
    }
}

#[test]
fn multi_arch_indexes_push_with_every_platform() {
    let registry = TestRegistry::start(RegistryAuth::None);
    for (family, tag, index_type) in [
        (MediaTypes::Oci, "oci", media_type::OCI_INDEX),
        (
            MediaTypes::Docker,
            "docker",
            media_type::DOCKER_MANIFEST_LIST,
        ),
    ] {
        let index = catalog::multi_arch(family);
        let pushed = index.push(&registry, "fixtures/multi", tag);
        let raw = skopeo_inspect_raw(&pushed.reference(), None);
        assert_eq!(raw, index.index.to_vec(), "{tag}");
        let json: serde_json::Value = serde_json::from_slice(&raw).expect("index JSON");
        assert_eq!(json["mediaType"], index_type);
        assert_eq!(json["manifests"].as_array().expect("manifests").len(), 3);
        for platform in catalog::MULTI_ARCH_PLATFORMS {
            let image = index.image_for(platform).expect("platform image");
            let child = format!(
                "{}/fixtures/multi@{}",
                registry.addr(),
                image.manifest_digest
            );
            assert_eq!(
                skopeo_inspect_raw(&child, None),
                image.manifest.to_vec(),
                "{platform}"
            );
        }
    }
}

#[test]
fn layer_blobs_keep_their_compression_and_bytes() {
    let registry = TestRegistry::start(RegistryAuth::None);
    let every = catalog::every_compression();
    let media_types: Vec<String> = every
        .layers
        .iter()
        .map(|l| l.media_type(MediaTypes::Oci))
        .collect();
    assert_eq!(
        media_types,
        [
            media_type::OCI_LAYER_GZIP,
            media_type::OCI_LAYER_ZSTD,
            media_type::OCI_LAYER_TAR
        ]
    );
    let big = catalog::big_layer(8 << 20, 1);
    assert!(
        big.layers[0].size > 8 << 20,
        "incompressible: {}",
        big.layers[0].size
    );
    for (image, repo) in [
        (every, "fixtures/codecs"),
        (catalog::zstd_layer(), "fixtures/zstd"),
        (catalog::uncompressed_layer(), "fixtures/plain"),
        (big, "fixtures/big"),
    ] {
        image.push(&registry, repo, "v1");
        for layer in &image.layers {
            let blob = get(&format!(
                "{}/v2/{repo}/blobs/{}",
                registry.url(),
                layer.digest
            ));
            assert_eq!(blob.status, 200);
            assert_eq!(
                sha256_digest(&blob.body),
                layer.digest,
                "{repo}: skopeo changed a blob"
            );
        }
    }
}

#[test]
fn shared_layer_images_share_exactly_the_base_blob() {
    let (a, b) = catalog::sharing_a_layer();
    assert_eq!(a.layers[0].digest, b.layers[0].digest);
    assert_ne!(a.layers[1].digest, b.layers[1].digest);
    assert_eq!(catalog::multi_layer(3, 1000).layers.len(), 3);
    // Deterministic: the same calls give the same digests.
    assert_eq!(
        catalog::simple(MediaTypes::Oci).manifest_digest,
        catalog::simple(MediaTypes::Oci).manifest_digest
    );
}

#[test]
fn foreign_layer_manifests_are_accepted_raw() {
    let registry = TestRegistry::start(RegistryAuth::None);
    let pushed = catalog::push_foreign_layer(&registry, "fixtures/foreign", "v1");
    assert_eq!(pushed.manifest_digest, sha256_digest(&pushed.manifest));
    let raw = skopeo_inspect_raw(&registry.reference("fixtures/foreign", "v1"), None);
    assert_eq!(raw, pushed.manifest.to_vec());
    let missing = get(&format!(
        "{}/v2/fixtures/foreign/blobs/{}",
        registry.url(),
        pushed.foreign_digest
    ));
    assert_eq!(
        missing.status, 404,
        "the foreign layer is not in the registry"
    );
}

#[test]
fn umoci_unpacks_a_fixture_layout_and_skopeo_copies_back() {
    let work = tempfile::tempdir().expect("tempdir");
    let image = catalog::simple(MediaTypes::Oci);
    let layout = work.path().join("layout");
    image.write_layout(&layout, "v1");
    let rootfs = umoci_unpack(&layout, "v1", &work.path().join("bundle"));
    assert_eq!(
        std::fs::read_to_string(rootfs.join("etc/os-release")).expect("os-release"),
        "ID=porthole\nVERSION_ID=1\n"
    );
    assert_eq!(
        std::fs::read_link(rootfs.join("bin/hi")).expect("symlink"),
        Path::new("hello")
    );

    let registry = TestRegistry::start(RegistryAuth::None);
    let pushed = image.push(&registry, "fixtures/roundtrip", "v1");
    let copy = work.path().join("copy");
    skopeo_copy_to_oci(&pushed.reference(), &copy, "v1", false);
    let index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(copy.join("index.json")).expect("index.json"))
            .expect("JSON");
    assert_eq!(index["manifests"][0]["digest"], pushed.manifest_digest());
}

// ---------------------------------------------------------------------------------------------
// TokenIssuer

#[test]
fn token_registry_challenges_and_accepts_issued_tokens() {
    let issuer = TokenIssuer::builder()
        .user("alice", "secret")
        .allow_anonymous_pull(true)
        .start();
    let registry = TestRegistry::start(RegistryAuth::Token(&issuer));
    let pushed = catalog::simple(MediaTypes::Oci).push(&registry, "team/app", "v1");
    issuer.reset_log();

    let ping = get(&format!("{}/v2/", registry.url()));
    assert_eq!(ping.status, 401);
    let challenge = ping.header("www-authenticate").expect("challenge");
    assert!(
        challenge.starts_with(&format!(
            r#"Bearer realm="{}",service="porthole-test-registry""#,
            issuer.realm()
        )),
        "{challenge}"
    );

    let manifest_url = format!("{}/v2/team/app/manifests/v1", registry.url());
    let denied = send(
        Method::GET,
        &manifest_url,
        &[("accept", media_type::OCI_MANIFEST)],
        "",
    )
    .expect("GET");
    assert_eq!(denied.status, 401);
    assert!(
        denied
            .header("www-authenticate")
            .expect("challenge")
            .contains(r#"scope="repository:team/app:pull""#)
    );

    // Anonymous pull token, then the retry succeeds.
    let token_url = format!(
        "{}?service=porthole-test-registry&scope=repository:team/app:pull",
        issuer.realm()
    );
    let token = get(&token_url);
    assert_eq!(token.status, 200);
    let body: serde_json::Value = serde_json::from_slice(&token.body).expect("token JSON");
    assert_eq!(body["token"], body["access_token"]);
    assert_eq!(body["expires_in"], 300);
    assert!(
        body["issued_at"]
            .as_str()
            .expect("issued_at")
            .ends_with('Z')
    );
    let bearer = format!("Bearer {}", body["token"].as_str().expect("token"));
    let allowed = send(
        Method::GET,
        &manifest_url,
        &[
            ("accept", media_type::OCI_MANIFEST),
            ("authorization", &bearer),
        ],
        "",
    )
    .expect("GET");
    assert_eq!(allowed.status, 200, "{}", registry.logs());
    assert_eq!(
        allowed.header("docker-content-digest"),
        Some(pushed.manifest_digest())
    );

    // Anonymous tokens are pull-only: a push is refused.
    let push_token = get(&format!(
        "{}?service=porthole-test-registry&scope=repository:team/app:pull,push",
        issuer.realm()
    ));
    let granted = &issuer.requests()[1].granted;
    assert_eq!(granted, &[Access::repository("team/app", &["pull"])]);
    let push_bearer = format!(
        "Bearer {}",
        serde_json::from_slice::<serde_json::Value>(&push_token.body).expect("JSON")["token"]
            .as_str()
            .expect("token")
    );
    let upload = send(
        Method::POST,
        &format!("{}/v2/team/app/blobs/uploads/", registry.url()),
        &[("authorization", &push_bearer)],
        "",
    )
    .expect("POST");
    assert_eq!(upload.status, 401);

    // A wrong password is refused by the issuer; the right one gets push access.
    let wrong = send(
        Method::GET,
        &token_url,
        &[("authorization", "Basic YWxpY2U6d3Jvbmc=")],
        "",
    )
    .expect("GET");
    assert_eq!(wrong.status, 401);
    let client = RegistryClient::for_registry(&registry);
    client.push_blob("team/app", b"pushed with alice's token");

    let log = issuer.requests();
    assert_eq!(log.len(), 4, "{log:#?}");
    assert!(!log[0].basic_auth && log[0].status == 200);
    assert!(log[2].basic_auth && log[2].status == 401 && log[2].user.as_deref() == Some("alice"));
    assert!(log[3].basic_auth && log[3].status == 200);
    assert_eq!(issuer.tokens_issued(), 3);
}

#[test]
fn issuer_without_anonymous_pull_refuses_anonymous_requests() {
    let issuer = TokenIssuer::builder().user("alice", "secret").start();
    let response = get(&format!(
        "{}?service=porthole-test-registry&scope=repository:a:pull",
        issuer.realm()
    ));
    assert_eq!(response.status, 401);
    issuer.fail_next(1, 503);
    let failing = send(
        Method::GET,
        &format!("{}?scope=repository:a:pull", issuer.realm()),
        &[("authorization", "Basic YWxpY2U6c2VjcmV0")],
        "",
    )
    .expect("GET");
    assert_eq!(failing.status, 503);
    assert_eq!(issuer.tokens_issued(), 0);
}

#[test]
fn short_lived_tokens_stop_working_after_expires_in() {
    // Two issuers trusted by two registries: one backdates `exp` by the registry's 60 s leeway
    // (the default), the other writes the honest `exp`, which distribution 2.8 keeps accepting.
    let hard = TokenIssuer::builder()
        .expires_in(Duration::from_secs(2))
        .start();
    let honest = TokenIssuer::builder()
        .expires_in(Duration::from_secs(2))
        .hard_expiry(false)
        .start();
    let hard_registry = TestRegistry::start(RegistryAuth::Token(&hard));
    let honest_registry = TestRegistry::start(RegistryAuth::Token(&honest));
    let access = [Access::repository("nothing/here", &["pull"])];
    let check = |registry: &TestRegistry, issuer: &TokenIssuer| {
        let url = format!("{}/v2/nothing/here/tags/list", registry.url());
        let auth = format!("Bearer {}", issuer.mint("", &access));
        move || {
            send(Method::GET, &url, &[("authorization", &auth)], "")
                .expect("GET")
                .status
        }
    };
    let (hard_check, honest_check) = (
        check(&hard_registry, &hard),
        check(&honest_registry, &honest),
    );
    // 404: authorised, and the repository is unknown.
    assert_eq!(hard_check(), 404, "{}", hard_registry.logs());
    assert_eq!(honest_check(), 404, "{}", honest_registry.logs());
    std::thread::sleep(Duration::from_millis(3100));
    assert_eq!(hard_check(), 401, "expired token still accepted");
    assert_eq!(
        honest_check(),
        404,
        "distribution 2.8 has a 60 s leeway past exp"
    );
}

// ---------------------------------------------------------------------------------------------
// FaultProxy

struct Setup {
    registry: TestRegistry,
    proxy: FaultProxy,
    digest: String,
    blob: Vec<u8>,
    blob_path: String,
}

/// A registry with one image holding a 1 MiB layer, and a proxy in front of it.
fn setup() -> Setup {
    let registry = TestRegistry::start(RegistryAuth::None);
    let image = catalog::big_layer(1 << 20, 7);
    image.push(&registry, "proxy/big", "v1");
    let proxy = FaultProxy::in_front_of(&registry);
    let layer = &image.layers[0];
    Setup {
        blob_path: format!("/v2/proxy/big/blobs/{}", layer.digest),
        digest: layer.digest.clone(),
        blob: layer.blob.to_vec(),
        proxy,
        registry,
    }
}

async fn read_until_error(response: reqwest::Response) -> (Vec<u8>, Option<reqwest::Error>) {
    let mut response = response;
    let mut received = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => received.extend_from_slice(&chunk),
            Ok(None) => return (received, None),
            Err(err) => return (received, Some(err)),
        }
    }
}

#[tokio::test]
async fn proxy_forwards_headers_and_counts_requests() {
    let s = setup();
    let http = reqwest_client();
    let response = http
        .get(format!("{}/v2/proxy/big/manifests/v1", s.proxy.url()))
        .header("accept", media_type::OCI_MANIFEST)
        .send()
        .await
        .expect("GET");
    assert_eq!(response.status(), 200);
    assert!(response.headers().contains_key("docker-content-digest"));
    let blob = http
        .get(format!("{}{}", s.proxy.url(), s.blob_path))
        .send()
        .await
        .expect("GET");
    assert_eq!(sha256_digest(&blob.bytes().await.expect("body")), s.digest);

    assert_eq!(s.proxy.request_count("/manifests/"), 1);
    assert_eq!(s.proxy.request_count_for(Method::GET, &s.digest), 1);
    let first = &s.proxy.requests()[0];
    assert_eq!(first.header("accept"), Some(media_type::OCI_MANIFEST));
    assert_eq!(first.status, 200);
}

#[tokio::test]
async fn proxy_cuts_a_blob_mid_body_and_serves_the_rest_by_range() {
    let s = setup();
    let http = reqwest_client();
    s.proxy.inject(Fault::cut_after(100_000).on("/blobs/"));
    let url = format!("{}{}", s.proxy.url(), s.blob_path);
    let response = http.get(&url).send().await.expect("headers arrive");
    assert_eq!(response.content_length(), Some(s.blob.len() as u64));
    let (head, error) = read_until_error(response).await;
    assert!(error.is_some(), "the body should fail");
    assert_eq!(head.len(), 100_000);
    assert_eq!(s.proxy.unused_faults(), 0);

    let rest = http
        .get(&url)
        .header("range", format!("bytes={}-", head.len()))
        .send()
        .await
        .expect("GET range");
    assert_eq!(rest.status(), 206);
    assert_eq!(
        rest.headers()
            .get("content-range")
            .and_then(|v| v.to_str().ok()),
        Some(format!("bytes 100000-{}/{}", s.blob.len() - 1, s.blob.len()).as_str())
    );
    let mut whole = head;
    whole.extend_from_slice(&rest.bytes().await.expect("rest"));
    assert_eq!(sha256_digest(&whole), s.digest);
    let faults: Vec<_> = s.proxy.requests().iter().map(|r| r.fault).collect();
    assert_eq!(faults, [Some("cut"), None]);
}

#[tokio::test]
async fn proxy_answers_statuses_k_times() {
    let s = setup();
    let http = reqwest_client();
    let url = format!("{}/v2/proxy/big/manifests/v1", s.proxy.url());
    s.proxy
        .inject(Fault::status(503).on("/manifests/").times(2));
    s.proxy.inject(Fault::rate_limited(1).on("/manifests/"));
    s.proxy
        .inject(Fault::status(502).body("upstream down").on("/manifests/"));
    let mut seen = Vec::new();
    for _ in 0..5 {
        let response = http
            .get(&url)
            .header("accept", media_type::OCI_MANIFEST)
            .send()
            .await
            .expect("GET");
        let retry_after = response
            .headers()
            .get("retry-after")
            .map(|v| v.to_str().expect("ASCII").to_owned());
        seen.push((response.status().as_u16(), retry_after));
    }
    let statuses: Vec<u16> = seen.iter().map(|(s, _)| *s).collect();
    assert_eq!(statuses, [503, 503, 429, 502, 200]);
    assert_eq!(seen[2].1.as_deref(), Some("1"));
}

#[tokio::test]
async fn proxy_flips_one_byte() {
    let s = setup();
    s.proxy.inject(Fault::flip_byte(70_000).on("/blobs/"));
    let body = reqwest_client()
        .get(format!("{}{}", s.proxy.url(), s.blob_path))
        .send()
        .await
        .expect("GET")
        .bytes()
        .await
        .expect("body");
    assert_eq!(body.len(), s.blob.len());
    let differing: Vec<usize> = (0..body.len()).filter(|&i| body[i] != s.blob[i]).collect();
    assert_eq!(differing, [70_000]);
}

#[tokio::test]
async fn proxy_redirects_blobs_to_storage_without_authorization() {
    let s = setup();
    let http = reqwest_client();
    for host in [
        StorageHost::Localhost,
        StorageHost::OtherLoopback,
        StorageHost::OtherPort,
    ] {
        s.proxy.reset_log();
        s.proxy
            .inject(Fault::redirect_to_storage(host).on("/blobs/"));
        let response = http
            .get(format!("{}{}", s.proxy.url(), s.blob_path))
            .header("authorization", "Bearer registry-secret")
            .send()
            .await
            .expect("GET");
        assert_eq!(response.status(), 200, "{host:?}");
        assert!(
            response
                .url()
                .as_str()
                .starts_with(&s.proxy.storage_url(host)),
            "{host:?}: {}",
            response.url()
        );
        assert_eq!(
            sha256_digest(&response.bytes().await.expect("body")),
            s.digest,
            "{host:?}"
        );
        let proxied = s.proxy.requests();
        assert_eq!(proxied[0].status, 307);
        assert_eq!(
            proxied[0].header("authorization"),
            Some("Bearer registry-secret")
        );
        let stored = s.proxy.storage_requests();
        assert_eq!(stored.len(), 1, "{host:?}");
        assert_eq!(
            stored[0].header("authorization"),
            None,
            "{host:?}: credentials leaked"
        );
    }

    // Storage honours Range, and storage paths take faults too.
    s.proxy.reset_log();
    s.proxy
        .inject(Fault::redirect_to_storage(StorageHost::OtherPort).on("/blobs/"));
    s.proxy.inject(Fault::cut_after(10).on("/storage/"));
    let response = http
        .get(format!("{}{}", s.proxy.url(), s.blob_path))
        .send()
        .await
        .expect("GET");
    let storage_url = response.url().clone();
    let (head, error) = read_until_error(response).await;
    assert!(error.is_some() && head.len() == 10);
    let ranged = http
        .get(storage_url)
        .header("range", "bytes=10-19")
        .send()
        .await
        .expect("GET");
    assert_eq!(ranged.status(), 206);
    assert_eq!(&ranged.bytes().await.expect("body")[..], &s.blob[10..20]);
}

#[tokio::test]
async fn proxy_redirects_with_the_registry_token_behind_the_scenes() {
    let issuer = TokenIssuer::builder().user("alice", "secret").start();
    let registry = TestRegistry::start(RegistryAuth::Token(&issuer));
    let image = catalog::simple(MediaTypes::Oci);
    image.push(&registry, "private/app", "v1");
    let proxy = FaultProxy::in_front_of(&registry);
    proxy.inject(Fault::redirect_to_storage(StorageHost::Localhost).on("/blobs/"));
    let token = issuer.mint("alice", &[Access::repository("private/app", &["pull"])]);
    let layer = &image.layers[0];
    let response = reqwest_client()
        .get(format!(
            "{}/v2/private/app/blobs/{}",
            proxy.url(),
            layer.digest
        ))
        .bearer_auth(token)
        .send()
        .await
        .expect("GET");
    assert_eq!(response.status(), 200);
    assert_eq!(
        sha256_digest(&response.bytes().await.expect("body")),
        layer.digest
    );
    assert_eq!(proxy.storage_requests()[0].header("authorization"), None);
}

#[tokio::test]
async fn proxy_serves_oversize_manifests_with_and_without_length() {
    let s = setup();
    let http = reqwest_client();
    let url = format!("{}/v2/proxy/big/manifests/v1", s.proxy.url());
    let size = 5 << 20;
    s.proxy
        .inject(Fault::oversize_body(size, Framing::ContentLength).on("/manifests/"));
    s.proxy
        .inject(Fault::oversize_body(size, Framing::Chunked).on("/manifests/"));

    let declared = http
        .get(&url)
        .header("accept", media_type::OCI_MANIFEST)
        .send()
        .await
        .expect("GET");
    assert_eq!(declared.content_length(), Some(size));
    assert_eq!(declared.bytes().await.expect("body").len() as u64, size);

    let chunked = http
        .get(&url)
        .header("accept", media_type::OCI_MANIFEST)
        .send()
        .await
        .expect("GET");
    assert!(chunked.headers().get("content-length").is_none());
    assert_eq!(
        chunked
            .headers()
            .get("transfer-encoding")
            .map(|v| v.as_bytes()),
        Some(&b"chunked"[..])
    );
    assert_eq!(chunked.bytes().await.expect("body").len() as u64, size);
}

#[tokio::test]
async fn proxy_delays_and_stalls() {
    let s = setup();
    let http = reqwest_client();
    s.proxy
        .inject(Fault::delay(Duration::from_millis(400)).on("/v2/"));
    let start = Instant::now();
    let response = http
        .get(format!("{}/v2/", s.proxy.url()))
        .send()
        .await
        .expect("GET");
    assert_eq!(response.status(), 200);
    assert!(start.elapsed() >= Duration::from_millis(400));

    s.proxy.inject(Fault::stall_after(1000).on("/blobs/"));
    let response = http
        .get(format!("{}{}", s.proxy.url(), s.blob_path))
        .timeout(Duration::from_millis(800))
        .send()
        .await
        .expect("headers arrive");
    let (head, error) = read_until_error(response).await;
    assert_eq!(head.len(), 1000);
    assert!(error.expect("stalled body times out").is_timeout());
}

#[test]
fn pushes_work_through_the_proxy() {
    let s = setup();
    let client = RegistryClient::new(&s.proxy.addr());
    let digest = client.push_blob("through/proxy", b"uploaded via the proxy");
    let image = catalog::simple(MediaTypes::Docker);
    let pushed = image.push_to(&s.proxy.addr(), None, "through/proxy", "v1");
    assert_eq!(
        s.proxy.request_count_for(Method::PUT, "/blobs/uploads/"),
        1 + 2
    );
    assert!(s.proxy.request_count_for(Method::PUT, "/manifests/v1") >= 1);
    let direct = get(&format!(
        "{}/v2/through/proxy/blobs/{digest}",
        s.registry.url()
    ));
    assert_eq!(&direct.body[..], b"uploaded via the proxy");
    assert_eq!(
        skopeo_inspect(&pushed.reference())["Digest"],
        pushed.manifest_digest()
    );
}
