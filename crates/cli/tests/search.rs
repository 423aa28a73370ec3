//! `porthole search` and `porthole tags` as a person and a script see them: against the
//! harness's Docker Hub replay server (`PORTHOLE_HUB_URL`) and a real `docker-registry`.
//!
//! Every run gets its own HOME, config file and store, and no other environment, so nothing
//! reaches a network other than loopback.

use std::process::{Command, Output, Stdio};

use porthole_tests::fixtures::{MediaTypes, catalog};
use porthole_tests::hub::{
    HOSTILE, HOSTILE_DESCRIPTION, HubReplay, MANY_TAGS_COUNT, MANY_TAGS_REPO, POPULAR, Reply, Route,
};
use porthole_tests::{RegistryAuth, TestRegistry};
use serde_json::Value;
use tempfile::TempDir;

// Inside `mod search` so that `cargo test search` selects these tests by name.
mod search {
    use super::*;

    const BIN: &str = env!("CARGO_BIN_EXE_porthole");

    /// The contract's keys, in `porthole search --json` objects.
    const SEARCH_KEYS: [&str; 10] = [
        "name",
        "registry",
        "publisher",
        "description",
        "stars",
        "pulls",
        "official",
        "verified",
        "open_source",
        "updated",
    ];

    struct Porthole {
        home: TempDir,
        hub: Option<String>,
    }

    impl Porthole {
        fn new(hub: &HubReplay) -> Porthole {
            Porthole {
                home: tempfile::tempdir().expect("home"),
                hub: Some(hub.url()),
            }
        }

        fn without_hub() -> Porthole {
            Porthole {
                home: tempfile::tempdir().expect("home"),
                hub: None,
            }
        }

        fn command(&self) -> Command {
            let home = self.home.path();
            let mut command = Command::new(BIN);
            command
                .env_clear()
                .env("PATH", std::env::var_os("PATH").unwrap_or_default())
                .env("HOME", home)
                .env("DOCKER_CONFIG", home.join("docker"))
                .env("XDG_CONFIG_HOME", home.join("config"))
                .env("XDG_DATA_HOME", home.join("data"))
                .env("PORTHOLE_CONFIG", home.join("porthole.json"))
                .arg("--store")
                .arg(home.join("store"))
                .stdin(Stdio::null());
            if let Some(hub) = &self.hub {
                command.env("PORTHOLE_HUB_URL", hub);
            }
            command
        }

        fn run(&self, args: &[&str]) -> Output {
            self.command().args(args).output().expect("run porthole")
        }

        fn json(&self, args: &[&str]) -> Value {
            let output = self.run(&[args, &["--json"]].concat());
            assert_success(&output, args);
            serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
                panic!(
                    "porthole {args:?} printed no single JSON document ({e}):\n{}",
                    String::from_utf8_lossy(&output.stdout)
                )
            })
        }
    }

    fn assert_success(output: &Output, args: &[&str]) {
        assert!(
            output.status.success(),
            "porthole {args:?} failed ({}):\nstdout: {}\nstderr: {}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }

    fn assert_one_error_line(output: &Output, needles: &[&str]) {
        assert!(!output.status.success(), "expected a failure");
        let stderr = String::from_utf8_lossy(&output.stderr);
        let lines: Vec<&str> = stderr.lines().collect();
        assert_eq!(lines.len(), 1, "one line on stderr, got:\n{stderr}");
        assert!(lines[0].starts_with("porthole: error: "), "{stderr}");
        for needle in needles {
            assert!(
                lines[0].contains(needle),
                "expected `{needle}` in: {stderr}"
            );
        }
    }

    fn keys(v: &Value) -> Vec<&str> {
        let mut keys: Vec<&str> = v
            .as_object()
            .expect("an object")
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort_unstable();
        keys
    }

    fn sorted(keys: &[&'static str]) -> Vec<&'static str> {
        let mut keys = keys.to_vec();
        keys.sort_unstable();
        keys
    }

    #[test]
    fn search_prints_the_contract_objects() {
        let hub = HubReplay::start();
        let porthole = Porthole::new(&hub);
        let rows = porthole.json(&["search", "nginx"]);
        let rows = rows.as_array().expect("an array");
        assert_eq!(rows.len(), 3);
        for row in rows {
            assert_eq!(keys(row), sorted(&SEARCH_KEYS));
        }
        assert_eq!(
            rows[0],
            serde_json::json!({
                "name": "nginx",
                "registry": "docker.io",
                "publisher": "library",
                "description": "Official build of Nginx.",
                "stars": 20811,
                "pulls": 1_000_000_000u64,
                "official": true,
                "verified": false,
                "open_source": false,
                "updated": "2026-11-20T10:11:12.000000Z",
            })
        );
        assert_eq!(rows[1]["name"], "bitnami/nginx");
        assert_eq!(rows[1]["verified"], true);
        assert_eq!(rows[2]["open_source"], true);
    }

    #[test]
    fn search_filters_by_badge_and_limit() {
        let hub = HubReplay::start();
        let porthole = Porthole::new(&hub);
        let official = porthole.json(&["search", "nginx", "--official"]);
        assert_eq!(official.as_array().map(Vec::len), Some(1));
        assert_eq!(official[0]["name"], "nginx");
        assert_eq!(hub.requests()[0].params("badges"), ["official"]);

        let verified = porthole.json(&["search", "--verified", "nginx"]);
        assert_eq!(verified.as_array().map(Vec::len), Some(1));
        assert_eq!(verified[0]["name"], "bitnami/nginx");

        let limited = porthole.json(&["search", "nginx", "--limit", "2"]);
        assert_eq!(limited.as_array().map(Vec::len), Some(2));

        // More than a page: two requests of 100, cut to 150.
        hub.reset_log();
        let many = porthole.json(&["search", POPULAR, "--limit", "150"]);
        assert_eq!(many.as_array().map(Vec::len), Some(150));
        let froms: Vec<String> = hub
            .requests()
            .iter()
            .map(|r| format!("{}+{}", r.param("from").unwrap(), r.param("size").unwrap()))
            .collect();
        assert_eq!(froms, ["0+100", "100+100"]);
    }

    #[test]
    fn search_human_output_is_a_table_like_docker_search() {
        let hub = HubReplay::start();
        let porthole = Porthole::new(&hub);
        let output = porthole.run(&["search", "nginx"]);
        assert_success(&output, &["search", "nginx"]);
        let stdout = String::from_utf8_lossy(&output.stdout);
        let lines: Vec<&str> = stdout.lines().collect();
        assert_eq!(lines.len(), 4, "{stdout}");
        let header: Vec<&str> = lines[0].split_whitespace().collect();
        assert_eq!(
            header,
            ["NAME", "DESCRIPTION", "STARS", "OFFICIAL"],
            "{stdout}"
        );
        assert!(
            lines[1].starts_with("nginx ")
                && lines[1].contains("20811")
                && lines[1].ends_with("[OK]"),
            "{stdout}"
        );
        assert!(!lines[2].contains("[OK]"), "{stdout}");
    }

    #[test]
    fn hostile_descriptions_are_plain_text() {
        let hub = HubReplay::start();
        let porthole = Porthole::new(&hub);
        let rows = porthole.json(&["search", HOSTILE]);
        // JSON carries the text unchanged (a UI shows it as text).
        assert_eq!(rows[0]["description"], HOSTILE_DESCRIPTION);
        assert!(
            rows[1]["description"]
                .as_str()
                .is_some_and(|d| d.starts_with('\u{1b}'))
        );
        // A terminal gets no escape sequences, and each result stays on one line.
        let output = porthole.run(&["search", HOSTILE]);
        assert_success(&output, &["search", HOSTILE]);
        assert!(
            !output.stdout.contains(&0x1b),
            "an escape reached the terminal"
        );
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert_eq!(stdout.lines().count(), 4, "{stdout}");
        assert!(stdout.contains(HOSTILE_DESCRIPTION), "{stdout}");
    }

    #[test]
    fn search_falls_back_to_v2_when_v3_is_missing() {
        let hub = HubReplay::start();
        hub.inject_always(Route::SearchV3, Reply::Status(404));
        let porthole = Porthole::new(&hub);
        let rows = porthole.json(&["search", "nginx"]);
        assert_eq!(rows.as_array().map(Vec::len), Some(1));
        assert_eq!(rows[0]["name"], "nginx");
        assert_eq!(rows[0]["official"], true);
        assert_eq!(rows[0]["pulls"], 1_000_000_000u64);
        assert_eq!(keys(&rows[0]), sorted(&SEARCH_KEYS));
        assert_eq!(hub.count(Route::SearchV2), 1);
    }

    #[test]
    fn rate_limits_and_outages_read_as_one_line() {
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
        let porthole = Porthole::new(&hub);
        let output = porthole.run(&["search", "nginx"]);
        assert_one_error_line(&output, &["rate-limiting", "limit 180", "42s"]);
        assert_eq!(output.status.code(), Some(1));

        hub.inject_always(Route::SearchV3, Reply::Status(503));
        hub.inject_always(Route::SearchV2, Reply::Status(503));
        let output = porthole.run(&["search", "nginx", "--json"]);
        assert_one_error_line(&output, &["cannot search Docker Hub for `nginx`", "503"]);
        assert!(output.stdout.is_empty());
    }

    #[test]
    fn hub_url_comes_from_the_config_file_too() {
        let hub = HubReplay::start();
        let porthole = Porthole::without_hub();
        std::fs::write(
            porthole.home.path().join("porthole.json"),
            serde_json::json!({ "hubUrl": hub.url() }).to_string(),
        )
        .expect("config");
        let rows = porthole.json(&["search", "nginx"]);
        assert_eq!(rows.as_array().map(Vec::len), Some(3));
        assert_eq!(hub.count(Route::SearchV3), 1);
    }

    #[test]
    fn tags_from_docker_hub_with_platforms() {
        let hub = HubReplay::start();
        let porthole = Porthole::new(&hub);
        let tags = porthole.json(&["tags", "nginx"]);
        let tags = tags.as_array().expect("an array");
        assert_eq!(tags.len(), 2);
        assert_eq!(
            keys(&tags[0]),
            sorted(&["name", "digest", "updated", "platforms"])
        );
        assert_eq!(tags[0]["name"], "1.27");
        assert_eq!(tags[0]["digest"], format!("sha256:{}", "a".repeat(64)));
        assert_eq!(tags[0]["updated"], "2026-11-20T10:11:12.000000Z");
        let amd64 = &tags[0]["platforms"][0];
        assert_eq!(
            keys(amd64),
            sorted(&["os", "architecture", "variant", "digest", "size"])
        );
        assert_eq!(amd64["os"], "linux");
        assert_eq!(amd64["architecture"], "amd64");
        assert_eq!(amd64["variant"], Value::Null);
        assert_eq!(amd64["size"], 72_000_000);
        assert_eq!(tags[0]["platforms"][1]["variant"], "v8");

        let many = porthole.json(&["tags", MANY_TAGS_REPO, "--limit", "30"]);
        assert_eq!(many.as_array().map(Vec::len), Some(30));
        let all = porthole.json(&["tags", MANY_TAGS_REPO, "--limit", "500"]);
        assert_eq!(all.as_array().map(Vec::len), Some(MANY_TAGS_COUNT));

        let output = porthole.run(&["tags", "nginx"]);
        assert_success(&output, &["tags", "nginx"]);
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(stdout.starts_with("TAG "), "{stdout}");
        assert!(
            stdout.contains("linux/amd64 (72 MB), linux/arm64/v8 (70 MB)"),
            "{stdout}"
        );

        let output = porthole.run(&["tags", "nobody/nothing"]);
        assert_one_error_line(&output, &["nobody/nothing", "not found"]);
    }

    #[test]
    fn registry_search_tags_and_typed_references() {
        let registry = TestRegistry::start(RegistryAuth::None);
        let index = catalog::multi_arch(MediaTypes::Oci);
        index.push(&registry, "team/app", "1.2");
        index.push(&registry, "team/app", "2.0");
        catalog::simple(MediaTypes::Oci).push(&registry, "team/web", "v1");
        catalog::simple(MediaTypes::Docker).push(&registry, "other/app-cli", "v1");
        let porthole = Porthole::without_hub();
        let addr = registry.addr();

        let rows = porthole.json(&["search", "app", "--registry", addr]);
        let rows = rows.as_array().expect("an array");
        let names: Vec<&str> = rows.iter().filter_map(|r| r["name"].as_str()).collect();
        assert_eq!(names, ["other/app-cli", "team/app"]);
        for row in rows {
            assert_eq!(keys(row), sorted(&SEARCH_KEYS));
            assert_eq!(row["registry"], addr);
            assert_eq!(row["official"], false);
        }

        let tags = porthole.json(&["tags", &format!("{addr}/team/app")]);
        let tags = tags.as_array().expect("an array");
        let names: Vec<&str> = tags.iter().filter_map(|t| t["name"].as_str()).collect();
        assert_eq!(names, ["1.2", "2.0"]);
        assert_eq!(tags[0]["digest"], index.digest);
        let platforms = tags[0]["platforms"].as_array().expect("platforms");
        assert_eq!(platforms.len(), 3);
        for (p, image) in platforms.iter().zip(&index.images) {
            let size = image.config_size() + image.layers.iter().map(|l| l.size).sum::<u64>();
            assert_eq!(p["size"], size);
            assert_eq!(p["digest"], image.manifest_digest);
            assert_eq!(p["architecture"], image.platform.architecture);
        }

        // A full reference typed as the query is resolved, not searched for.
        let resolved = porthole.json(&["search", &format!("{addr}/team/app:1.2")]);
        assert_eq!(resolved.as_array().map(Vec::len), Some(1));
        assert_eq!(resolved[0]["name"], "team/app");
        assert_eq!(resolved[0]["registry"], addr);
        assert_eq!(resolved[0]["digest"], index.digest);
        assert_eq!(resolved[0]["platforms"].as_array().map(Vec::len), Some(3));

        let output = porthole.run(&["search", "app", "--registry", addr]);
        assert_success(&output, &["search"]);
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert_eq!(
            stdout.lines().collect::<Vec<_>>(),
            [
                "NAME".to_owned(),
                format!("{addr}/other/app-cli"),
                format!("{addr}/team/app")
            ]
        );
    }

    #[test]
    fn a_registry_that_refuses_its_catalog_says_what_to_do() {
        let hub = HubReplay::start();
        let porthole = Porthole::without_hub();
        let output = porthole.run(&["search", "x", "--registry", &hub.addr()]);
        assert_one_error_line(
            &output,
            &[
                &format!("cannot search registry {}", hub.addr()),
                "type a full reference",
            ],
        );
        let htpasswd = TestRegistry::start(RegistryAuth::Htpasswd {
            user: "bob",
            password: "hunter2",
        });
        let output = porthole.run(&["search", "x", "--registry", htpasswd.addr()]);
        assert_one_error_line(
            &output,
            &[
                &format!("porthole login {}", htpasswd.addr()),
                "full reference",
            ],
        );
    }
}
