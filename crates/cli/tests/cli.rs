//! The `porthole` binary against real registries (porthole-tests' harness): what a person and
//! a script see (JSON documents, one-line errors, exit codes), a pull killed with SIGKILL,
//! docker.io mirrors, and login/logout.
//!
//! Every run gets its own HOME, DOCKER_CONFIG, config file and store, and no other
//! environment, so the tests never read or write the user's files and never reach a network
//! other than loopback.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use porthole_tests::fixtures::{MediaTypes, catalog};
use porthole_tests::proxy::Fault;
use porthole_tests::{FaultProxy, Method, RegistryAuth, StaticServer, TestRegistry, TokenIssuer};
use serde_json::Value;

mod common;
use common::{Porthole, assert_one_error_line, assert_success};

fn blob_count(store: &Path) -> usize {
    std::fs::read_dir(store.join("blobs").join("sha256"))
        .map(Iterator::count)
        .unwrap_or(0)
}

#[test]
fn pull_images_inspect_rm_gc_fsck_in_json() {
    let registry = TestRegistry::start(RegistryAuth::None);
    let image = catalog::multi_layer(2, 20_000);
    let pushed = image.push(&registry, "cli/app", "v1");
    let porthole = Porthole::new();

    let report = porthole.json(&["pull", &pushed.reference()]);
    let reference = format!("{}/cli/app:v1", registry.addr());
    assert_eq!(report["reference"], reference.as_str());
    assert_eq!(report["digest"], image.manifest_digest.as_str());
    assert_eq!(report["id"], image.config_digest.as_str());
    assert_eq!(report["platform"], "linux/amd64");
    let layers = report["layers"].as_array().expect("layers");
    assert_eq!(layers.len(), 2);
    for (layer, built) in layers.iter().zip(&image.layers) {
        assert_eq!(layer["digest"], built.digest.as_str());
        assert_eq!(layer["size"], built.size);
        assert_eq!(
            layer["media_type"],
            built.media_type(MediaTypes::Oci).as_str()
        );
        assert_eq!(layer["downloaded"], built.size);
        assert_eq!(layer["already_present"], false);
    }

    // Pulling again finds everything in place.
    let again = porthole.json(&["pull", &pushed.reference()]);
    assert!(
        again["layers"]
            .as_array()
            .expect("layers")
            .iter()
            .all(|l| l["already_present"] == true && l["downloaded"] == 0),
        "{again:#}"
    );

    let images = porthole.json(&["images"]);
    let rows = images.as_array().expect("an array of images");
    assert_eq!(rows.len(), 1, "{images:#}");
    let row = &rows[0];
    assert_eq!(row["reference"], reference.as_str());
    assert_eq!(
        row["repository"],
        format!("{}/cli/app", registry.addr()).as_str()
    );
    assert_eq!(row["tag"], "v1");
    assert_eq!(row["digest"], image.manifest_digest.as_str());
    assert_eq!(row["id"], image.config_digest.as_str());
    assert_eq!(row["created"], "2024-01-01T00:00:00Z");
    let size: u64 = image.config_size() + image.layers.iter().map(|l| l.size).sum::<u64>();
    assert_eq!(row["size"], size);
    assert_eq!(row["platform"], "linux/amd64");

    // Human output names the image too.
    let table = porthole.run(&["images"]);
    assert_success(&table, &["images"]);
    let table = String::from_utf8_lossy(&table.stdout);
    assert!(table.starts_with("REPOSITORY"), "{table}");
    assert!(
        table.contains(&format!("{}/cli/app", registry.addr())),
        "{table}"
    );

    let short_id = &image.config_digest["sha256:".len().."sha256:".len() + 12];
    for what in [reference.as_str(), short_id] {
        let inspect = porthole.json(&["inspect", what]);
        assert_eq!(inspect["digest"], image.manifest_digest.as_str(), "{what}");
        assert_eq!(inspect["id"], image.config_digest.as_str(), "{what}");
        assert_eq!(
            inspect["manifest"]["config"]["digest"],
            image.config_digest.as_str()
        );
        assert_eq!(inspect["config"]["rootfs"]["type"], "layers");
        assert_eq!(inspect["platform"], "linux/amd64");
    }

    // fsck notices a damaged blob, and says so with its exit status.
    let layer_path = porthole
        .store()
        .join("blobs/sha256")
        .join(image.layers[1].digest.trim_start_matches("sha256:"));
    let original = std::fs::read(&layer_path).expect("layer blob");
    let mut damaged = original.clone();
    damaged[100] ^= 0xff;
    std::fs::write(&layer_path, &damaged).expect("damage the blob");
    let fsck = porthole.run(&["fsck"]);
    assert!(!fsck.status.success(), "fsck passed a corrupt blob");
    let report = String::from_utf8_lossy(&fsck.stdout);
    assert!(
        report.contains(&format!("corrupt: {}", image.layers[1].digest)),
        "{report}"
    );
    std::fs::write(&layer_path, &original).expect("repair the blob");
    assert_success(&porthole.run(&["fsck"]), &["fsck"]);

    assert_eq!(blob_count(&porthole.store()), 4);
    let index_dir = porthole.store().join("porthole-cache").join("layers");
    let cached = || std::fs::read_dir(&index_dir).map_or(0, |d| d.count());
    assert_eq!(cached(), 2, "the pull cached both layers' indexes");
    assert_success(&porthole.run(&["rm", &reference]), &["rm"]);
    assert_eq!(porthole.json(&["images"]), serde_json::json!([]));
    let gc = porthole.json(&["gc"]);
    assert_eq!(gc["blobs_removed"], 4, "{gc:#}");
    assert_eq!(gc["indexes_removed"], 2, "{gc:#}");
    assert_eq!(blob_count(&porthole.store()), 0);
    assert_eq!(cached(), 0, "gc removed the index of the deleted layer");
    let fsck = porthole.run(&["fsck"]);
    assert_success(&fsck, &["fsck"]);

    let missing = porthole.run(&["inspect", &reference]);
    assert_one_error_line(&missing, "no image named");
}

#[test]
fn errors_are_one_line_on_stderr() {
    let registry = TestRegistry::start(RegistryAuth::None);
    let porthole = Porthole::new();

    let bad = porthole.run(&["pull", "Not A Reference!"]);
    assert_one_error_line(&bad, "Not A Reference!");
    assert_eq!(bad.stdout, b"");

    let absent = porthole.run(&["pull", &registry.reference("no/such", "v1")]);
    assert_one_error_line(&absent, "not found");

    // A registry that is not there: the reason, once, not the HTTP client's chain of causes.
    let port = dead_port();
    let nobody = porthole.run(&["pull", &format!("127.0.0.1:{port}/no/one:v1")]);
    assert_one_error_line(
        &nobody,
        &format!("cannot reach registry 127.0.0.1:{port}: connection refused"),
    );
    let line = String::from_utf8_lossy(&nobody.stderr);
    assert!(line.trim_end().ends_with("connection refused"), "{line}");

    let json = porthole
        .command()
        .args(["--json", "pull", "Not A Reference!"])
        .output()
        .expect("run porthole");
    assert_one_error_line(&json, "porthole: error:");
    assert_eq!(json.stdout, b"", "no JSON document for a failure");
}

#[test]
fn platform_flag_picks_from_a_manifest_list() {
    let registry = TestRegistry::start(RegistryAuth::None);
    let index = catalog::multi_arch(MediaTypes::Docker);
    let pushed = index.push(&registry, "cli/multi", "v1");
    let porthole = Porthole::new();

    let report = porthole.json(&["pull", &pushed.reference(), "--platform", "linux/arm64"]);
    let arm64 = index.image_for("linux/arm64/v8").expect("arm64 image");
    assert_eq!(report["digest"], arm64.manifest_digest.as_str());
    assert_eq!(report["index_digest"], index.digest.as_str());
    assert_eq!(report["platform"], "linux/arm64");

    let missing = porthole.run(&["pull", &pushed.reference(), "--platform", "windows/amd64"]);
    assert_one_error_line(&missing, "linux/arm/v7");
}

/// SIGKILL mid-download leaves a partial that the next pull resumes, and a consistent store.
#[test]
fn a_killed_pull_resumes_and_the_store_stays_consistent() {
    let registry = TestRegistry::start(RegistryAuth::None);
    let image = catalog::big_layer(4 << 20, 31);
    let pushed = image.push(&registry, "cli/big", "v1");
    let proxy = FaultProxy::in_front_of(&registry);
    let layer = &image.layers[0];
    proxy.inject(Fault::stall_after(1 << 20).on(&format!("/blobs/{}", layer.digest)));
    let porthole = Porthole::new();
    let reference = pushed.reference_via(&proxy.addr());

    let mut child = porthole
        .command()
        .args(["--json", "pull", &reference])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn porthole pull");
    let hex = layer.digest.trim_start_matches("sha256:");
    let partial = porthole
        .store()
        .join("ingest")
        .join(format!("sha256-{hex}.partial"));
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::fs::metadata(&partial).map_or(0, |m| m.len()) == 0 {
        if let Ok(Some(status)) = child.try_wait() {
            panic!("porthole pull exited ({status}) before the layer started");
        }
        assert!(
            Instant::now() < deadline,
            "no partial download at {}",
            partial.display()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().expect("SIGKILL porthole pull");
    child.wait().expect("reap porthole pull");
    let kept = std::fs::metadata(&partial)
        .expect("the partial survives")
        .len();
    assert!(kept > 0 && kept <= 1 << 20, "{kept}");
    assert_eq!(porthole.json(&["images"]), serde_json::json!([]));

    let report = porthole.json(&["pull", &reference]);
    assert_eq!(report["digest"], image.manifest_digest.as_str());
    assert_eq!(report["layers"][0]["downloaded"], layer.size - kept);
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
    assert!(!partial.exists());
    let blob = std::fs::read(porthole.store().join("blobs/sha256").join(hex)).expect("layer blob");
    assert_eq!(blob, layer.blob.to_vec());
    assert_success(&porthole.run(&["fsck"]), &["fsck"]);
}

/// Ctrl-C cancels cleanly: one error line, the partial kept, nothing named, fsck clean.
#[test]
fn an_interrupted_pull_says_so_and_keeps_its_partial() {
    let registry = TestRegistry::start(RegistryAuth::None);
    let image = catalog::big_layer(2 << 20, 32);
    let pushed = image.push(&registry, "cli/big", "v1");
    let proxy = FaultProxy::in_front_of(&registry);
    let layer = &image.layers[0];
    proxy.inject(Fault::stall_after(1 << 20).on(&format!("/blobs/{}", layer.digest)));
    let porthole = Porthole::new();

    let child = porthole
        .command()
        .args(["pull", &pushed.reference_via(&proxy.addr())])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn porthole pull");
    let hex = layer.digest.trim_start_matches("sha256:");
    let partial = porthole
        .store()
        .join("ingest")
        .join(format!("sha256-{hex}.partial"));
    wait_for_bytes(&partial);
    let interrupt = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("run kill");
    assert!(interrupt.success());
    let output = child.wait_with_output().expect("porthole pull");

    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    let last = stderr.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("porthole: error: ") && last.contains("cancelled"),
        "{stderr}"
    );
    assert!(std::fs::metadata(&partial).expect("partial").len() > 0);
    assert_eq!(porthole.json(&["images"]), serde_json::json!([]));
    assert_success(&porthole.run(&["fsck"]), &["fsck"]);
}

/// Waits until the file at `path` holds some bytes.
fn wait_for_bytes(path: &Path) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::fs::metadata(path).map_or(0, |m| m.len()) == 0 {
        assert!(
            Instant::now() < deadline,
            "nothing written to {}",
            path.display()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A port nothing listens on.
fn dead_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("address").port()
}

#[test]
fn docker_hub_names_are_pulled_from_mirrors() {
    let registry = TestRegistry::start(RegistryAuth::None);
    let image = catalog::simple(MediaTypes::Oci);
    image.push(&registry, "library/nginx", "latest");
    let mirror = registry.url();

    let by_flag = Porthole::new();
    let report = by_flag.json(&["--registry-mirror", &mirror, "pull", "nginx"]);
    assert_eq!(report["reference"], "docker.io/library/nginx:latest");
    assert_eq!(report["digest"], image.manifest_digest.as_str());
    assert_eq!(report["source"], registry.addr());
    let images = by_flag.json(&["images"]);
    assert_eq!(
        images[0]["reference"], "docker.io/library/nginx:latest",
        "{images:#}"
    );
    assert_eq!(images[0]["repository"], "docker.io/library/nginx");

    let by_env = Porthole::new();
    let output = by_env
        .command()
        .env("PORTHOLE_REGISTRY_MIRRORS", &mirror)
        .args(["--json", "pull", "nginx"])
        .output()
        .expect("run porthole");
    assert_success(&output, &["pull", "nginx"]);
    let report: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(report["digest"], image.manifest_digest.as_str());
    assert_eq!(report["source"], registry.addr());
    assert_eq!(
        by_env.json(&["images"])[0]["reference"],
        "docker.io/library/nginx:latest"
    );

    // A dead mirror first: the next mirror serves the pull, and promptly. (Docker Hub itself,
    // the last resort, is unreachable here; the pull must not need it.)
    let proxy = FaultProxy::in_front_of(&registry);
    let fallback = Porthole::new();
    let dead = format!("http://127.0.0.1:{}", dead_port());
    let started = Instant::now();
    let output = fallback
        .command()
        .args(["--json", "--registry-mirror", &dead])
        .args(["--registry-mirror", &proxy.url(), "pull", "nginx:latest"])
        .output()
        .expect("run porthole");
    assert_success(&output, &["pull", "nginx:latest"]);
    let report: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(report["source"], proxy.addr().as_str());
    assert_eq!(report["digest"], image.manifest_digest.as_str());
    assert!(
        proxy.request_count("/v2/library/nginx/manifests/latest") >= 1,
        "{:#?}",
        proxy.requests()
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn login_and_logout_keep_credentials_in_docker_config() {
    let registry = TestRegistry::start(RegistryAuth::Htpasswd {
        user: "bob",
        password: "hunter2",
    });
    let image = catalog::simple(MediaTypes::Oci);
    let pushed = image.push(&registry, "private/app", "v1");
    let porthole = Porthole::new();
    let server = registry.addr();

    let refused = porthole.login(server, "bob", "wrong");
    assert_one_error_line(&refused, "refused the credentials");
    assert_eq!(porthole.auths().get(server), None, "nothing saved");

    let anonymous = porthole.run(&["pull", &pushed.reference()]);
    assert_one_error_line(&anonymous, "requires you to sign in");

    let login = porthole.login(server, "bob", "hunter2");
    assert_success(&login, &["login"]);
    assert!(String::from_utf8_lossy(&login.stdout).contains("Login Succeeded"));
    let expected = base64::engine::general_purpose::STANDARD.encode("bob:hunter2");
    assert_eq!(porthole.auths()[server]["auth"], expected.as_str());

    let report = porthole.json(&["pull", &pushed.reference()]);
    assert_eq!(report["digest"], image.manifest_digest.as_str());

    let logout = porthole.run(&["logout", server]);
    assert_success(&logout, &["logout"]);
    assert_eq!(porthole.auths().get(server), None, "{}", porthole.auths());
    let again = porthole.run(&["pull", &pushed.reference()]);
    assert_one_error_line(&again, "requires you to sign in");

    // A token registry checks the password at its token service.
    let issuer = TokenIssuer::builder().user("alice", "secret").start();
    let token_registry = TestRegistry::start(RegistryAuth::Token(&issuer));
    let server = token_registry.addr();
    assert_one_error_line(
        &porthole.login(server, "alice", "wrong"),
        "refused the credentials",
    );
    assert_success(&porthole.login(server, "alice", "secret"), &["login"]);
    assert!(porthole.auths()[server]["auth"].is_string());
}

/// An image built in steps, as a Dockerfile would: a Debian-like base with a dpkg
/// database, an `ENV`, an `apt-get install` that rewrites the database (upgrading one
/// package, adding another), and an npm install that also removes a base file.
fn stepped_image() -> porthole_tests::fixtures::Image {
    use porthole_tests::fixtures::{ImageBuilder, LayerBuilder};
    let stanza = |name: &str, version: &str| {
        format!(
            "Package: {name}\nStatus: install ok installed\nVersion: {version}\nArchitecture: amd64\n\n"
        )
    };
    ImageBuilder::new(MediaTypes::Oci)
        .layer(
            LayerBuilder::new()
                .dir("etc")
                .file(
                    "etc/os-release",
                    "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\n",
                )
                .file(
                    "var/lib/dpkg/status",
                    stanza("base-files", "12.4") + &stanza("libssl3", "3.0.11-1"),
                )
                .file("usr/share/doc/libssl3/copyright", "License: Apache-2.0\n")
                .file("etc/motd", "hello\n"),
        )
        .empty_history("ENV LANG=C.UTF-8")
        .layer(LayerBuilder::new().file(
            "var/lib/dpkg/status",
            stanza("base-files", "12.4") + &stanza("curl", "7.88.1-10") + &stanza("libssl3", "3.0.13-1"),
        ))
        .layer(
            LayerBuilder::new()
                .file(
                    "app/node_modules/left-pad/package.json",
                    r#"{"name": "left-pad", "version": "1.3.0", "license": "WTFPL"}"#,
                )
                .whiteout("etc/motd"),
        )
        .build()
}

#[test]
fn cat_prints_a_file_as_the_image_or_a_step_holds_it() {
    let registry = TestRegistry::start(RegistryAuth::None);
    let pushed = stepped_image().push(&registry, "cli/cat", "v1");
    let porthole = Porthole::new();
    porthole.json(&["pull", &pushed.reference()]);
    let reference = pushed.reference();
    let cat = |args: &[&str]| {
        let mut all = vec!["cat", reference.as_str()];
        all.extend_from_slice(args);
        let output = porthole.run(&all);
        assert_success(&output, &all);
        String::from_utf8(output.stdout).unwrap()
    };

    assert!(cat(&["/etc/os-release"]).starts_with("PRETTY_NAME=\"Debian GNU/Linux 12"));
    // The dpkg database as the base step wrote it, and as step 2 rewrote it.
    let base = cat(&["/var/lib/dpkg/status", "--layer", "0"]);
    let last = cat(&["/var/lib/dpkg/status"]);
    assert!(
        base.contains("libssl3\n") && !base.contains("curl"),
        "{base}"
    );
    assert!(last.contains("Package: curl\n"), "{last}");
    // Step 3 removed /etc/motd: there before it, gone after.
    assert_eq!(cat(&["etc/motd", "--layer", "2"]), "hello\n");
    let gone = porthole.run(&["cat", &reference, "/etc/motd"]);
    assert_one_error_line(&gone, "no `/etc/motd` in this image");
    let dir = porthole.run(&["cat", &reference, "/etc"]);
    assert_one_error_line(&dir, "`/etc` is a directory, not a file");
    let step = porthole.run(&["cat", &reference, "/etc/motd", "--layer", "7"]);
    assert_one_error_line(&step, "there is no layer 7");

    let doc = porthole.json(&["cat", &reference, "/etc/./../etc//motd", "--layer", "1"]);
    assert_eq!(doc["path"], "/etc/motd", "{doc}");
    assert_eq!(doc["file"]["path"], "/etc/motd");
    assert_eq!(doc["file"]["layer"], 0);
    assert_eq!(doc["size"], 6);
    assert_eq!(doc["truncated"], false);
    assert_eq!(
        doc["sha256"],
        "sha256:5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03"
    );
    assert_eq!(doc["encoding"], "utf-8");
    assert_eq!(doc["content"], "hello\n");
}

#[test]
fn diff_file_compares_one_files_contents_between_two_images() {
    use porthole_tests::fixtures::{ImageBuilder, LayerBuilder};
    let registry = TestRegistry::start(RegistryAuth::None);
    let image = |conf: &'static str, motd: &'static str| {
        ImageBuilder::new(MediaTypes::Oci)
            .layer(
                LayerBuilder::new()
                    .dir("etc")
                    .file("etc/app.conf", conf)
                    .file("etc/motd", motd)
                    .file("etc/bin", "\0\x01binary"),
            )
            .build()
    };
    let old = image("port = 80\nuser = www\n", "hi\n").push(&registry, "cli/conf", "1");
    let new = image("port = 8080\nuser = www\n", "hi\n").push(&registry, "cli/conf", "2");
    let porthole = Porthole::new();
    porthole.json(&["pull", &old.reference()]);
    porthole.json(&["pull", &new.reference()]);
    let (a, b) = (old.reference(), new.reference());

    let args = [
        "diff",
        &a,
        &b,
        "--file",
        "/etc/app.conf",
        "--file",
        "etc/motd",
    ];
    let text = porthole.run(&args);
    assert_success(&text, &args);
    let text = String::from_utf8(text.stdout).unwrap();
    assert!(
        text.starts_with(
            "--- a/etc/app.conf\n+++ b/etc/app.conf\n@@ -1,2 +1,2 @@\n-port = 80\n+port = 8080\n user = www\n"
        ),
        "{text}"
    );
    assert!(
        text.contains("Files a/etc/motd and b/etc/motd are identical (sha256:"),
        "{text}"
    );

    let doc = porthole.json(&[
        "diff",
        &a,
        &b,
        "--file",
        "/etc/app.conf",
        "--file",
        "/etc/bin",
    ]);
    assert_eq!(doc[0]["path"], "/etc/app.conf", "{doc}");
    assert_eq!(doc[0]["change"]["kind"], "text");
    assert_eq!(doc[0]["change"]["lines_added"], 1);
    assert_eq!(doc[0]["change"]["lines_removed"], 1);
    assert_eq!(doc[0]["base"]["size"], 21);
    assert_eq!(doc[0]["target"]["size"], 23);
    assert_eq!(doc[1]["change"]["kind"], "identical");
    let none = porthole.run(&["diff", &a, &b, "--file", "/etc/none"]);
    assert_one_error_line(&none, "neither image has `/etc/none`");
}

#[test]
fn layers_files_efficiency_packages_and_os_of_a_pulled_image() {
    let registry = TestRegistry::start(RegistryAuth::None);
    let image = stepped_image();
    let pushed = image.push(&registry, "cli/stepped", "v1");
    let porthole = Porthole::new();
    porthole.json(&["pull", &pushed.reference()]);
    let reference = pushed.reference();
    let digests: Vec<&str> = image.layers.iter().map(|l| l.digest.as_str()).collect();

    // layers: four steps, the ENV one empty.
    let steps = porthole.json(&["layers", &reference]);
    let steps = steps.as_array().expect("steps");
    assert_eq!(steps.len(), 4, "{steps:?}");
    assert_eq!(steps[1]["empty_layer"], true);
    assert_eq!(steps[1]["digest"], Value::Null);
    assert_eq!(steps[2]["digest"], digests[1]);
    assert_eq!(steps[2]["modified"], 1, "{}", steps[2]);
    assert_eq!(steps[3]["removed"], 1, "{}", steps[3]);
    let table = porthole.run(&["layers", &reference]);
    assert_success(&table, &["layers"]);
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(
        text.starts_with("STEP") && text.contains("ENV LANG=C.UTF-8"),
        "{text}"
    );

    // files: the final filesystem has no /etc/motd; step 3 removed it.
    let files = porthole.json(&["files", &reference, "/etc"]);
    let paths: Vec<&str> = files
        .as_array()
        .expect("files")
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert!(
        paths.contains(&"/etc/os-release") && !paths.contains(&"/etc/motd"),
        "{paths:?}"
    );
    let changes = porthole.json(&["files", &reference, "--layer", "3"]);
    let removed: Vec<&Value> = changes
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["change"] == "removed")
        .collect();
    assert_eq!(removed.len(), 1, "{changes}");
    assert_eq!(removed[0]["path"], "/etc/motd");

    // efficiency: the rewritten dpkg database is wasted space.
    let efficiency = porthole.json(&["efficiency", &reference]);
    let wasted = efficiency["inefficient_files"].as_array().unwrap();
    assert!(
        wasted.iter().any(|f| f["path"] == "/var/lib/dpkg/status"),
        "{efficiency}"
    );
    assert!(efficiency["score"].as_f64().unwrap() < 1.0);

    // packages: each once, from the step that introduced it.
    let packages = porthole.json(&["packages", &reference]);
    let rows: Vec<String> = packages
        .as_array()
        .expect("an array of packages")
        .iter()
        .map(|p| {
            format!(
                "{} {} {} {}",
                p["type"].as_str().unwrap(),
                p["name"].as_str().unwrap(),
                p["version"].as_str().unwrap(),
                p["layer"]
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            "deb base-files 12.4 0",
            "deb curl 7.88.1-10 2",
            "deb libssl3 3.0.13-1 2",
            "npm left-pad 1.3.0 3"
        ]
    );
    let curl = &packages[1];
    assert_eq!(
        curl["purl"],
        "pkg:deb/debian/curl@7.88.1-10?arch=amd64&distro=debian-12"
    );
    assert_eq!(curl["layer_digest"], digests[1]);
    assert_eq!(curl["location"], "/var/lib/dpkg/status");
    for field in ["licenses", "source_name", "source_version", "arch"] {
        assert!(curl.get(field).is_some(), "{field} missing from {curl}");
    }
    // The upgraded libssl3's copyright file is still the base layer's.
    assert_eq!(packages[2]["licenses"], serde_json::json!(["Apache-2.0"]));
    let npm = porthole.json(&["packages", &reference, "--type", "npm"]);
    assert_eq!(npm.as_array().unwrap().len(), 1);
    assert_eq!(npm[0]["purl"], "pkg:npm/left-pad@1.3.0");
    let step2 = porthole.json(&["packages", &reference, "--layer", "2", "--type", "deb,rpm"]);
    assert_eq!(step2.as_array().unwrap().len(), 2, "{step2}");
    assert_eq!(
        porthole.json(&["packages", &reference, "--layer", "1"]),
        serde_json::json!([])
    );
    assert_one_error_line(
        &porthole.run(&["packages", &reference, "--layer", "9"]),
        "there is no layer 9",
    );
    assert_one_error_line(
        &porthole.run(&["packages", &reference, "--type", "debs"]),
        "unknown package type \"debs\"",
    );
    let table = porthole.run(&["packages", &reference]);
    assert_success(&table, &["packages"]);
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(
        text.starts_with("NAME") && text.contains("left-pad"),
        "{text}"
    );
    assert!(
        String::from_utf8_lossy(&table.stderr)
            .contains("4 packages (3 deb, 1 npm) on Debian GNU/Linux 12 (bookworm)"),
        "{}",
        String::from_utf8_lossy(&table.stderr)
    );

    // sbom: both formats carry every package with its purl and introducing layer.
    let spdx = porthole.run(&["sbom", &reference, "--format", "spdx"]);
    assert_success(&spdx, &["sbom"]);
    let spdx: Value = serde_json::from_slice(&spdx.stdout).expect("an SPDX document");
    assert_eq!(spdx["spdxVersion"], "SPDX-2.3");
    let purls: Vec<&str> = spdx["packages"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["externalRefs"].as_array().into_iter().flatten())
        .filter(|r| r["referenceType"] == "purl")
        .map(|r| r["referenceLocator"].as_str().unwrap())
        .collect();
    assert!(purls.contains(&"pkg:npm/left-pad@1.3.0"), "{purls:?}");
    assert!(
        purls
            .iter()
            .any(|p| p.starts_with("pkg:oci/stepped@sha256")),
        "{purls:?}"
    );
    let file = porthole.home.path().join("out.cdx.json");
    let written = porthole.run(&["sbom", &reference, "--output", file.to_str().unwrap()]);
    assert_success(&written, &["sbom", "--output"]);
    assert!(String::from_utf8_lossy(&written.stderr).contains("SBOM of 4 packages"));
    let bom: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    assert_eq!(
        (bom["bomFormat"].as_str(), bom["specVersion"].as_str()),
        (Some("CycloneDX"), Some("1.6"))
    );
    let curl = bom["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "curl")
        .expect("curl in the BOM");
    let layer = curl["properties"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "porthole:layer:index")
        .expect("the introducing layer");
    assert_eq!(layer["value"], "2");
    assert_one_error_line(
        &porthole.run(&["sbom", &reference, "--format", "swid"]),
        "not an SBOM format",
    );

    // os
    let os = porthole.json(&["os", &reference]);
    assert_eq!(os["id"], "debian");
    assert_eq!(os["version_id"], "12");
    assert_eq!(os["location"], "/etc/os-release");
    let text = porthole.run(&["os", &reference]);
    assert!(String::from_utf8_lossy(&text.stdout).contains("Debian GNU/Linux 12 (bookworm)"));
}

#[test]
fn vulns_of_a_pulled_image_from_an_imported_osv_export() {
    use porthole_tests::fixtures::{ImageBuilder, LayerBuilder};
    let registry = TestRegistry::start(RegistryAuth::None);
    let image = ImageBuilder::new(MediaTypes::Oci)
        .layer(
            LayerBuilder::new()
                .file("etc/os-release", "ID=debian\nVERSION_ID=\"12\"\n")
                .file(
                    "var/lib/dpkg/status",
                    "Package: libssl3\nStatus: install ok installed\nSource: openssl\nVersion: 3.0.11-1~deb12u1\nArchitecture: amd64\n\n\
                     Package: zlib1g\nStatus: install ok installed\nSource: zlib\nVersion: 1:1.2.13.dfsg-1\nArchitecture: amd64\n\n",
                ),
        )
        .build();
    let pushed = image.push(&registry, "cli/vulnerable", "v1");
    // A newer build of the same repository, with openssl upgraded past both advisories.
    let newer = ImageBuilder::new(MediaTypes::Oci)
        .layer(
            LayerBuilder::new()
                .file("etc/os-release", "ID=debian\nVERSION_ID=\"12\"\n")
                .file(
                    "var/lib/dpkg/status",
                    "Package: libssl3\nStatus: install ok installed\nSource: openssl\nVersion: 3.0.13-1~deb12u1\nArchitecture: amd64\n\n",
                ),
        )
        .created("2025-06-01T00:00:00Z")
        .env("OPENSSL_VERSION=3.0.13")
        .user("app")
        .build();
    let pushed_newer = newer.push(&registry, "cli/vulnerable", "v2");
    let porthole = Porthole::new();
    porthole.json(&["pull", &pushed.reference()]);
    porthole.json(&["pull", &pushed_newer.reference()]);
    let reference = pushed.reference();

    // OSV's export bucket: Debian/all.zip with two openssl advisories.
    let osv = Path::new(env!("CARGO_MANIFEST_DIR")).join("../engine/tests/fixtures/osv");
    let bucket = porthole.home.path().join("bucket");
    std::fs::create_dir_all(bucket.join("Debian")).unwrap();
    let zipped = Command::new("python3")
        .arg("-c")
        .arg("import sys, zipfile\nwith zipfile.ZipFile(sys.argv[1], 'w') as z:\n    for p in sys.argv[2:]:\n        z.write(p, p.rsplit('/', 1)[-1])")
        .arg(bucket.join("Debian/all.zip"))
        .arg(osv.join("DSA-5532-1.json"))
        .arg(osv.join("DEBIAN-CVE-2024-0727.json"))
        .status()
        .unwrap();
    assert!(zipped.success());
    let server = StaticServer::start(&bucket);
    std::fs::write(
        porthole.home.path().join("porthole.json"),
        format!(
            r#"{{"osvDataUrl": "{}", "osvApiUrl": "http://127.0.0.1:{}"}}"#,
            server.url(),
            dead_port()
        ),
    )
    .unwrap();

    let status = porthole.run(&["vulndb", "status"]);
    assert!(String::from_utf8_lossy(&status.stdout).contains("no offline database"));
    let update = porthole.json(&["vulndb", "update", "Debian"]);
    assert_eq!(update["status"]["records"], 2, "{update}");
    let status = porthole.json(&["vulndb", "status"]);
    assert_eq!(status["ecosystems"][0]["ecosystem"], "Debian");

    // Never scanned: `images --json` says so.
    let counts_of = |images: &Value, reference: &str| {
        images
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["reference"] == reference)
            .unwrap_or_else(|| panic!("{reference} is not listed: {images}"))["vulnerabilities"]
            .clone()
    };
    let before = porthole.json(&["images"]);
    assert_eq!(counts_of(&before, &reference), Value::Null, "{before}");

    let report = porthole.json(&["vulns", &reference]);
    assert_eq!(report["source"]["kind"], "offline");
    let mut found: Vec<String> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            format!(
                "{} {} {} {} {}",
                f["id"].as_str().unwrap(),
                f["package"].as_str().unwrap(),
                f["matched_name"].as_str().unwrap_or("-"),
                f["fixed_version"].as_str().unwrap_or("-"),
                f["layer"]
            )
        })
        .collect();
    found.sort();
    assert_eq!(
        found,
        [
            "DEBIAN-CVE-2024-0727 libssl3 openssl 3.0.13-1~deb12u1 0",
            "DSA-5532-1 libssl3 openssl 3.0.11-1~deb12u2 0"
        ]
    );
    assert_eq!(report["packages_scanned"], 2);
    let newer_images = report["newer_images"].as_array().unwrap();
    assert_eq!(newer_images.len(), 1, "{report}");
    assert_eq!(
        newer_images[0]["reference"],
        pushed_newer.reference().as_str()
    );
    assert_eq!(newer_images[0]["counts"]["total"], 0);
    assert!(newer_images[0]["critical_high_change"].as_i64().unwrap() <= 0);
    // The newer image has no newer image.
    let report_v2 = porthole.json(&["vulns", &pushed_newer.reference()]);
    assert_eq!(report_v2["findings"], serde_json::json!([]));
    assert_eq!(report_v2["newer_images"], serde_json::json!([]));
    let fix = &report["recommended_fixes"][0];
    assert_eq!(fix["target_version"], "3.0.13-1~deb12u1", "{fix}");

    let text = porthole.run(&["vulns", &reference]);
    assert_success(&text, &["vulns"]);
    let stdout = String::from_utf8_lossy(&text.stdout);
    assert!(
        stdout.starts_with("SEVERITY") && stdout.contains("DSA-5532-1"),
        "{stdout}"
    );
    let stderr = String::from_utf8_lossy(&text.stderr);
    assert!(
        stderr.contains("2 findings") && stderr.contains("offline database"),
        "{stderr}"
    );
    assert!(stderr.contains("newer image in the store: "), "{stderr}");

    let none = porthole.json(&["vulns", &reference, "--severity", "critical"]);
    assert_eq!(none["findings"], serde_json::json!([]));
    assert_one_error_line(
        &porthole.run(&["vulns", &reference, "--severity", "severe"]),
        "unknown severity",
    );
    // Online, with nothing listening where the API should be: one line naming the URL.
    let online = porthole.run(&["vulns", &reference, "--online"]);
    assert_one_error_line(&online, "127.0.0.1");

    // The last scan's counts are kept for `porthole images` (and the app's Images list):
    // all of them, though the last successful scan was filtered to critical, and the
    // failed online scan changed nothing. The newer image was scanned for comparison.
    let after = porthole.json(&["images"]);
    let kept = counts_of(&after, &reference);
    assert_eq!(kept["counts"], report["counts"], "{after}");
    assert_eq!(kept["counts"]["total"], 2, "{after}");
    assert_eq!(kept["source"], "offline");
    assert_eq!(kept["packages_scanned"], 2);
    assert!(
        kept["scanned_at"].as_str().unwrap().ends_with('Z'),
        "{kept}"
    );
    assert_eq!(
        counts_of(&after, &pushed_newer.reference())["counts"]["total"],
        0,
        "{after}"
    );
    // diff: v1 → v2 upgrades libssl3, drops zlib1g, rewrites dpkg's status file and fixes
    // both advisories.
    let newer_reference = pushed_newer.reference();
    let diff = porthole.json(&["diff", &reference, &newer_reference, "--vulns"]);
    assert_eq!(diff["base"]["reference"], reference.as_str());
    assert_eq!(diff["target"]["reference"], newer_reference.as_str());
    assert_eq!(diff["shared_layers"], 0, "{diff:#}");
    let changed = &diff["packages"]["changed"];
    assert_eq!(changed.as_array().unwrap().len(), 1, "{diff:#}");
    assert_eq!(changed[0]["name"], "libssl3");
    assert_eq!(changed[0]["type"], "deb");
    assert_eq!(changed[0]["from"], "3.0.11-1~deb12u1");
    assert_eq!(changed[0]["to"], "3.0.13-1~deb12u1");
    assert_eq!(changed[0]["direction"], "upgraded");
    assert_eq!(diff["packages"]["removed"][0]["name"], "zlib1g", "{diff:#}");
    assert_eq!(diff["packages"]["added"], serde_json::json!([]));
    let modified = diff["files"]["modified"].as_array().unwrap();
    let status = modified
        .iter()
        .find(|m| m["path"] == "/var/lib/dpkg/status")
        .unwrap_or_else(|| panic!("the status file changed: {diff:#}"));
    assert!(
        status["changes"]
            .as_array()
            .unwrap()
            .contains(&Value::from("size")),
        "{status}"
    );
    assert_eq!(diff["files"]["added"], serde_json::json!([]));
    // The newer build also runs as another user and sets a variable.
    let config: Vec<String> = diff["config"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| format!("{} {} {} {}", c["field"], c["key"], c["before"], c["after"]))
        .collect();
    assert_eq!(
        config,
        [
            r#""user" null null "app""#,
            r#""env" "OPENSSL_VERSION" null "3.0.13""#,
        ],
        "{diff:#}"
    );
    let vulns = &diff["vulnerabilities"];
    assert_eq!(vulns["base_counts"]["total"], 2, "{vulns:#}");
    assert_eq!(vulns["target_counts"]["total"], 0);
    let mut fixed: Vec<&str> = vulns["fixed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    fixed.sort_unstable();
    assert_eq!(fixed, ["DEBIAN-CVE-2024-0727", "DSA-5532-1"]);
    assert_eq!(vulns["introduced"], serde_json::json!([]));
    // The other way round, the advisories come back.
    let back = porthole.json(&["diff", &newer_reference, &reference, "--vulns"]);
    assert_eq!(
        back["vulnerabilities"]["introduced"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(back["packages"]["changed"][0]["direction"], "downgraded");
    assert_eq!(back["packages"]["added"][0]["name"], "zlib1g");
    // Without --vulns, no scan and no `vulnerabilities` field.
    let plain = porthole.json(&["diff", &reference, &newer_reference]);
    assert!(plain.get("vulnerabilities").is_none(), "{plain:#}");
    let text = porthole.run(&["diff", &reference, &newer_reference, "--vulns"]);
    assert_success(&text, &["diff"]);
    let stdout = String::from_utf8_lossy(&text.stdout);
    for needle in [
        "packages  2 → 1: 1 upgraded, 0 downgraded, 0 changed, 0 added, 1 removed",
        "3.0.11-1~deb12u1",
        "M ",
        "/var/lib/dpkg/status  (size ",
        "2 fixed, 0 introduced",
        "1 → 1, no base layer shared",
        "env OPENSSL_VERSION",
        "fixed",
    ] {
        assert!(stdout.contains(needle), "{needle:?} in:\n{stdout}");
    }
    let only_packages = porthole.run(&["diff", &reference, &newer_reference, "--type", "packages"]);
    assert_success(&only_packages, &["diff"]);
    assert!(!String::from_utf8_lossy(&only_packages.stdout).contains("/var/lib/dpkg/status  ("));
    assert_one_error_line(
        &porthole.run(&["diff", &reference, "no/such:image"]),
        "no/such:image",
    );

    // Removed images lose their summaries at gc.
    porthole.json(&["rm", &reference]);
    let gc = porthole.json(&["gc"]);
    assert_eq!(gc["scan_summaries_removed"], 1, "{gc:#}");
}

#[test]
fn diff_pull_fetches_what_the_store_lacks_then_compares() {
    let registry = TestRegistry::start(RegistryAuth::None);
    let (a, b) = catalog::sharing_a_layer();
    let a = a.push(&registry, "diff/app", "a").reference();
    let b = b.push(&registry, "diff/app", "b").reference();
    let porthole = Porthole::new();

    // Without --pull, a missing image is an error naming it.
    assert_one_error_line(&porthole.run(&["diff", &a, &b]), &a);
    assert_eq!(porthole.json(&["images"]), serde_json::json!([]));

    let out = porthole.run(&["--json", "diff", "--pull", &a, &b]);
    assert_success(&out, &["diff", "--pull"]);
    // The pulls' progress went to stderr: stdout is the one JSON document.
    let diff: Value = serde_json::from_slice(&out.stdout).expect("one JSON document");
    assert_eq!(diff["shared_layers"], 1, "{diff:#}");
    let paths = |kind: &str| -> Vec<String> {
        diff["files"][kind]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["path"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(paths("added"), ["/app-b.txt"]);
    assert_eq!(paths("removed"), ["/app-a.txt"]);
    assert_eq!(porthole.json(&["images"]).as_array().unwrap().len(), 2);
    // Both present now: nothing more is fetched (the registry could be gone).
    drop(registry);
    let again = porthole.run(&["--json", "diff", "--pull", &a, &b]);
    assert_success(&again, &["diff", "--pull", "again"]);
}
