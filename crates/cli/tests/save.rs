//! `porthole save` and `porthole load`: images pulled from a real registry, written as one
//! archive, read back by skopeo both ways a container engine would (`docker-archive:` as
//! `docker load` reads it, `oci-archive:` as an OCI layout) and by `porthole load`; skopeo's
//! legacy docker-archive loaded; hostile and broken archives refused.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use porthole_tests::fixtures::{ImageIndex, PushedImage, catalog};
use porthole_tests::{RegistryAuth, TestRegistry};
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_porthole");

/// `porthole --store HOME/store ARGS` with an environment of its own.
fn porthole(home: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("PORTHOLE_CONFIG", home.join("porthole.json"))
        .env("DOCKER_CONFIG", home.join("docker"))
        .arg("--store")
        .arg(home.join("store"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run porthole")
}

fn ok(output: Output) -> Output {
    assert!(
        output.status.success(),
        "porthole failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// Entry name → bytes of every regular file in the tar at `path`, and the names in order.
fn read_tar(path: &Path) -> (Vec<String>, BTreeMap<String, Vec<u8>>) {
    let mut archive = tar::Archive::new(std::fs::File::open(path).expect("the archive"));
    let (mut names, mut files) = (Vec::new(), BTreeMap::new());
    for entry in archive.entries().expect("a tar") {
        let mut entry = entry.expect("a tar entry");
        let name = entry.path().unwrap().to_string_lossy().into_owned();
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut entry, &mut bytes).unwrap();
        names.push(name.clone());
        files.insert(name, bytes);
    }
    (names, files)
}

fn json(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).expect("JSON")
}

/// The manifest and config digests of the one image in the OCI layout at `dir`.
fn layout_image(dir: &Path) -> (String, String) {
    let index = json(&std::fs::read(dir.join("index.json")).unwrap());
    let digest = index["manifests"][0]["digest"].as_str().unwrap().to_owned();
    let blob = |d: &str| dir.join("blobs/sha256").join(&d["sha256:".len()..]);
    let manifest = json(&std::fs::read(blob(&digest)).unwrap());
    let config = manifest["config"]["digest"].as_str().unwrap().to_owned();
    (digest, config)
}

fn skopeo_copy(from: &str, to: &str) {
    let out = Command::new("skopeo")
        .args(["copy", "-q", "--src-tls-verify=false", from, to])
        .output()
        .expect("run skopeo");
    assert!(
        out.status.success(),
        "skopeo copy {from} {to}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn blob_name(digest: &str) -> String {
    format!("blobs/sha256/{}", &digest["sha256:".len()..])
}

#[test]
fn saved_images_load_as_docker_and_oci_archives() {
    let registry = TestRegistry::start(RegistryAuth::None);
    let (a, b) = catalog::sharing_a_layer();
    let pushed: Vec<PushedImage> = vec![
        a.push(&registry, "save/a", "1.0"),
        b.push(&registry, "save/b", "2.0"),
    ];
    let home = tempfile::tempdir().unwrap();
    let home = home.path();
    for p in &pushed {
        ok(porthole(home, &["pull", &p.reference()]));
    }
    let archive = home.join("images.tar");
    let refs: Vec<String> = pushed.iter().map(PushedImage::reference).collect();
    let out = ok(porthole(
        home,
        &[
            "--json",
            "save",
            &refs[0],
            &refs[1],
            "-o",
            archive.to_str().unwrap(),
        ],
    ));
    let report = json(&out.stdout);
    assert_eq!(report["images"], serde_json::json!(refs));
    // Two manifests, two configs, three layers: the shared base layer once.
    assert_eq!(report["blobs"], 7);

    let (names, files) = read_tar(&archive);
    assert_eq!(names[..3], ["oci-layout", "blobs/", "blobs/sha256/"]);
    assert_eq!(names[names.len() - 2..], ["index.json", "manifest.json"]);
    assert_eq!(names.len(), 3 + 7 + 2, "each blob once: {names:?}");
    for (name, bytes) in &files {
        if let Some(hex) = name.strip_prefix("blobs/sha256/").filter(|h| !h.is_empty()) {
            let digest = sha256_hex(bytes);
            assert_eq!(digest, hex, "{name} holds what its name says");
        }
    }
    let manifest = json(&files["manifest.json"]);
    for (entry, (image, p)) in manifest
        .as_array()
        .unwrap()
        .iter()
        .zip([(&a, &pushed[0]), (&b, &pushed[1])])
    {
        assert_eq!(entry["Config"], blob_name(&image.config_digest));
        assert_eq!(entry["RepoTags"], serde_json::json!([p.reference()]));
        let layers: Vec<String> = image.layers.iter().map(|l| blob_name(&l.digest)).collect();
        assert_eq!(entry["Layers"], serde_json::json!(layers));
    }

    // As `docker load` reads it: manifest.json's image, its config and its layers (checked
    // by skopeo against the config's diff_ids).
    let dir = tempfile::tempdir().unwrap();
    let docker = dir.path().join("from-docker-archive");
    skopeo_copy(
        &format!("docker-archive:{}:{}", archive.display(), refs[1]),
        &format!("oci:{}:b", docker.display()),
    );
    // skopeo writes the config again (its own key order): the same document.
    let config = layout_image(&docker).1;
    let copied = std::fs::read(docker.join(blob_name(&config))).unwrap();
    assert_eq!(json(&copied), json(&b.config));
    // As an OCI layout: the manifest arrives byte for byte.
    let oci = dir.path().join("from-oci-archive");
    skopeo_copy(
        &format!("oci-archive:{}:1.0", archive.display()),
        &format!("oci:{}:a", oci.display()),
    );
    assert_eq!(
        layout_image(&oci),
        (a.manifest_digest.clone(), a.config_digest.clone())
    );

    // The same images give the same bytes.
    let again = home.join("again.tar");
    ok(porthole(
        home,
        &["save", &refs[0], &refs[1], "-o", again.to_str().unwrap()],
    ));
    assert!(std::fs::read(&archive).unwrap() == std::fs::read(&again).unwrap());

    // To a pipe, the same archive.
    let piped = ok(porthole(home, &["save", &refs[0], &refs[1]]));
    assert!(piped.stdout == std::fs::read(&archive).unwrap());
}

/// sha256 hex of `bytes`, computed by coreutils so the check does not lean on the engine.
fn sha256_hex(bytes: &[u8]) -> String {
    use std::io::Write as _;
    let mut child = Command::new("sha256sum")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("sha256sum");
    child.stdin.take().unwrap().write_all(bytes).unwrap();
    let out = child.wait_with_output().unwrap();
    String::from_utf8_lossy(&out.stdout)[..64].to_owned()
}

#[test]
fn a_damaged_blob_stops_the_archive_and_leaves_no_file() {
    let registry = TestRegistry::start(RegistryAuth::None);
    let image = catalog::multi_layer(2, 20_000);
    let pushed = image.push(&registry, "save/damaged", "v1");
    let home = tempfile::tempdir().unwrap();
    let home = home.path();
    ok(porthole(home, &["pull", &pushed.reference()]));
    // Flip one byte of a layer, keeping its size: only re-hashing finds it.
    let layer = home.join("store").join(blob_name(&image.layers[1].digest));
    let mut bytes = std::fs::read(&layer).unwrap();
    bytes[100] ^= 0xff;
    std::fs::write(&layer, bytes).unwrap();

    let out_dir = home.join("out");
    std::fs::create_dir(&out_dir).unwrap();
    let target = out_dir.join("image.tar");
    let out = porthole(
        home,
        &["save", &pushed.reference(), "-o", target.to_str().unwrap()],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("its content hashes to sha256:") && stderr.contains("run `porthole fsck`"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read_dir(&out_dir).unwrap().count(),
        0,
        "neither the archive nor its temporary file is left"
    );
}

#[test]
fn an_archive_is_neither_written_to_nor_read_from_a_terminal() {
    let home = tempfile::tempdir().unwrap();
    // `porthole ARGS` on a pseudo-terminal (util-linux `script`): it fails; what it printed.
    let on_a_terminal = |args: &str| {
        let command = format!(
            "{BIN} --store {} {args}",
            home.path().join("store").display()
        );
        let out = Command::new("script")
            .args(["-qfec", &command, "/dev/null"])
            .env("HOME", home.path())
            .env("PORTHOLE_CONFIG", home.path().join("porthole.json"))
            .output()
            .expect("run script (util-linux)");
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(!out.status.success(), "{args}: {text}");
        text
    };
    let text = on_a_terminal("save anything");
    assert!(
        text.contains("refusing to write an image archive to a terminal: use -o FILE"),
        "{text}"
    );
    // Nor read from one: `porthole load` with nothing piped in says what to do.
    let text = on_a_terminal("load");
    assert!(text.contains("no archive to load: use -i FILE"), "{text}");
}

#[test]
fn an_image_with_docker_media_types_is_saved_as_it_is() {
    let registry = TestRegistry::start(RegistryAuth::None);
    let image = catalog::simple(porthole_tests::fixtures::MediaTypes::Docker);
    let pushed = image.push(&registry, "save/docker", "v1");
    let home = tempfile::tempdir().unwrap();
    let home = home.path();
    ok(porthole(home, &["pull", &pushed.reference()]));
    let archive = home.join("docker.tar");
    ok(porthole(
        home,
        &["save", &pushed.reference(), "-o", archive.to_str().unwrap()],
    ));
    let (_, files) = read_tar(&archive);
    let index = json(&files["index.json"]);
    assert_eq!(
        index["manifests"][0]["mediaType"],
        image.manifest_media_type
    );
    assert_eq!(
        files[&blob_name(&image.manifest_digest)],
        image.manifest.to_vec(),
        "the manifest as pulled"
    );
    // Through docker-archive, as `docker load` reads it. (skopeo's oci-archive reader skips
    // index entries that are not OCI manifests, as its `oci:` reader of the store does.)
    let dir = tempfile::tempdir().unwrap();
    let to = dir.path().join("loaded");
    skopeo_copy(
        &format!(
            "docker-archive:{}:{}",
            archive.display(),
            pushed.reference()
        ),
        &format!("oci:{}:x", to.display()),
    );
    let config = layout_image(&to).1;
    assert_eq!(
        json(&std::fs::read(to.join(blob_name(&config))).unwrap()),
        json(&image.config)
    );
}

/// The images of `porthole images --json` as (reference, digest, id), sorted.
fn listed(home: &Path) -> Vec<(String, String, String)> {
    let out = ok(porthole(home, &["--json", "images"]));
    let mut rows: Vec<_> = json(&out.stdout)
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            let s = |k: &str| i[k].as_str().unwrap_or_default().to_owned();
            (s("reference"), s("digest"), s("id"))
        })
        .collect();
    rows.sort();
    rows
}

/// `porthole load -i ARCHIVE` into HOME's store, which must succeed; its stdout.
fn load_file(home: &Path, archive: &Path) -> String {
    let out = ok(porthole(home, &["load", "-i", archive.to_str().unwrap()]));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `porthole fsck` finds everything whole and nothing left over.
fn assert_clean(home: &Path) {
    let out = ok(porthole(home, &["fsck"]));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("The store is consistent."), "{text}");
    assert!(!text.contains("not used by any image"), "{text}");
}

#[test]
fn saved_images_load_back_whole_from_a_file_or_a_compressed_pipe() {
    let registry = TestRegistry::start(RegistryAuth::None);
    let (a, b) = catalog::sharing_a_layer();
    let refs = [
        a.push(&registry, "load/a", "1.0").reference(),
        b.push(&registry, "load/b", "2.0").reference(),
    ];
    let source = tempfile::tempdir().unwrap();
    for r in &refs {
        ok(porthole(source.path(), &["pull", r]));
    }
    let archive = source.path().join("images.tar");
    ok(porthole(
        source.path(),
        &["save", &refs[0], &refs[1], "-o", archive.to_str().unwrap()],
    ));

    let target = tempfile::tempdir().unwrap();
    assert_eq!(
        load_file(target.path(), &archive),
        format!("Loaded image: {}\nLoaded image: {}\n", refs[0], refs[1])
    );
    assert_eq!(listed(target.path()), listed(source.path()));
    assert_clean(target.path());
    // Loaded images read like pulled ones.
    let files = ok(porthole(target.path(), &["files", &refs[1]]));
    assert!(String::from_utf8_lossy(&files.stdout).contains("/app-b.txt"));

    // gzip-compressed, on stdin, as `docker save | gzip` makes it.
    let gz = source.path().join("images.tar.gz");
    let zipped = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "gzip -c '{}' > '{}'",
            archive.display(),
            gz.display()
        ))
        .status()
        .unwrap();
    assert!(zipped.success());
    let piped = tempfile::tempdir().unwrap();
    let out = Command::new(BIN)
        .env_clear()
        .env("HOME", piped.path())
        .env("PORTHOLE_CONFIG", piped.path().join("porthole.json"))
        .args(["--json", "--store"])
        .arg(piped.path().join("store"))
        .arg("load")
        .stdin(std::fs::File::open(&gz).unwrap())
        .output()
        .unwrap();
    let out = ok(out);
    let report = json(&out.stdout);
    assert_eq!(report["images"][1]["id"], b.config_digest.as_str());
    assert_eq!(listed(piped.path()), listed(source.path()));
    assert_clean(piped.path());
}

#[test]
fn a_loaded_layer_too_big_to_hold_is_stored_as_a_pulled_one_is() {
    let registry = TestRegistry::start(RegistryAuth::None);
    // Over the 1 MiB that load keeps in memory: it streams into a file of the store.
    let pulled = catalog::big_layer(3 << 20, 7)
        .push(&registry, "load/big", "1")
        .reference();
    let source = tempfile::tempdir().unwrap();
    ok(porthole(source.path(), &["pull", &pulled]));
    let archive = source.path().join("big.tar");
    ok(porthole(
        source.path(),
        &["save", &pulled, "-o", archive.to_str().unwrap()],
    ));
    let target = tempfile::tempdir().unwrap();
    load_file(target.path(), &archive);
    assert_eq!(listed(target.path()), listed(source.path()));
    assert_clean(target.path());
    // Readable by other users' tools, as pulled blobs are (skopeo or umoci under sudo).
    for blob in std::fs::read_dir(target.path().join("store/blobs/sha256")).unwrap() {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = blob.unwrap().metadata().unwrap().permissions().mode();
        assert_eq!(mode & 0o644, 0o644, "blob mode {mode:o}");
    }
}

#[test]
fn a_tagged_image_is_saved_and_loads_under_its_new_name() {
    let registry = TestRegistry::start(RegistryAuth::None);
    let (a, _) = catalog::sharing_a_layer();
    let pulled = a.push(&registry, "tag/a", "1.0").reference();
    let home = tempfile::tempdir().unwrap();
    ok(porthole(home.path(), &["pull", &pulled]));

    // Silent on success, as `docker tag` is.
    let out = ok(porthole(
        home.path(),
        &["tag", &pulled, "registry.lan:5000/team/app:prod"],
    ));
    assert!(out.stdout.is_empty() && out.stderr.is_empty(), "{out:?}");
    let out = ok(porthole(home.path(), &["--json", "tag", &pulled, "app"]));
    let tagged = json(&out.stdout);
    assert_eq!(tagged["reference"], "docker.io/library/app:latest");
    assert_eq!(tagged["id"], a.config_digest.as_str());
    let names: Vec<String> = listed(home.path()).into_iter().map(|r| r.0).collect();
    assert_eq!(
        names,
        [
            pulled.clone(),
            "docker.io/library/app:latest".to_owned(),
            "registry.lan:5000/team/app:prod".to_owned(),
        ]
    );

    let archive = home.path().join("prod.tar");
    ok(porthole(
        home.path(),
        &[
            "save",
            "registry.lan:5000/team/app:prod",
            "-o",
            archive.to_str().unwrap(),
        ],
    ));
    let other = tempfile::tempdir().unwrap();
    assert_eq!(
        load_file(other.path(), &archive),
        "Loaded image: registry.lan:5000/team/app:prod\n"
    );
    assert_clean(other.path());

    // Refused with one line, and nothing changes.
    let before = listed(home.path());
    for (target, needle) in [
        (
            "app@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
            "cannot carry a digest",
        ),
        ("Upper:1", "Upper:1"),
    ] {
        let out = porthole(home.path(), &["tag", &pulled, target]);
        assert!(!out.status.success(), "tag {target} succeeded");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains(needle), "{err}");
    }
    let out = porthole(home.path(), &["tag", "missing:1", "x"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("missing:1"));
    assert_eq!(listed(home.path()), before);
}

#[test]
fn an_archive_skopeo_writes_in_docker_s_legacy_layout_loads() {
    // skopeo's docker-archive is `docker save`'s layout before Docker 25: uncompressed
    // `<diff_id>.tar` layers, `<id>/layer.tar` symlinks to them, a `repositories` file.
    let registry = TestRegistry::start(RegistryAuth::None);
    let image = catalog::multi_layer(2, 20_000);
    let pushed = image.push(&registry, "load/legacy", "v1");
    let dir = tempfile::tempdir().unwrap();
    let legacy = dir.path().join("legacy.tar");
    skopeo_copy(
        &format!("docker://{}", pushed.reference()),
        &format!("docker-archive:{}:example.com/app:legacy", legacy.display()),
    );
    let home = tempfile::tempdir().unwrap();
    assert_eq!(
        load_file(home.path(), &legacy),
        "Loaded image: example.com/app:legacy\n"
    );
    let rows = listed(home.path());
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].0, "example.com/app:legacy");
    assert_eq!(rows[0].2, image.config_digest, "the image ID survives");
    // The layers (stored uncompressed, as the archive holds them) match the config's diff_ids.
    let layers = json(
        &ok(porthole(
            home.path(),
            &["--json", "layers", "example.com/app:legacy"],
        ))
        .stdout,
    );
    let diff_ids: Vec<&str> = layers
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|l| l["diff_id"].as_str())
        .collect();
    let expected: Vec<&str> = image.layers.iter().map(|l| l.diff_id.as_str()).collect();
    assert_eq!(diff_ids, expected, "{layers:#}");
    assert_clean(home.path());
}

/// A tar of `entries` (name, link target or contents), names written as they are, even
/// when they climb out (as a hostile archive would).
fn raw_tar(entries: &[(&str, Result<&str, &[u8]>)]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    for (name, what) in entries {
        let mut header = tar::Header::new_old();
        header.as_old_mut().name[..name.len()].copy_from_slice(name.as_bytes());
        header.set_mode(0o644);
        match what {
            Ok(target) => {
                header.set_entry_type(tar::EntryType::Symlink);
                header.as_old_mut().linkname[..target.len()].copy_from_slice(target.as_bytes());
                header.set_size(0);
                header.set_cksum();
                builder.append(&header, std::io::empty()).unwrap();
            }
            Err(bytes) => {
                header.set_size(bytes.len() as u64);
                header.set_cksum();
                builder.append(&header, *bytes).unwrap();
            }
        }
    }
    builder.into_inner().unwrap()
}

#[test]
fn hostile_or_broken_archives_are_refused_and_add_nothing() {
    let home = tempfile::tempdir().unwrap();
    let config =
        br#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"#;
    let manifest = br#"[{"Config":"config.json","RepoTags":["evil:1"],"Layers":["layer.tar"]}]"#;
    // An OCI layout whose manifest states absurd sizes for blobs it holds.
    let oci_manifest = format!(
        r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",
            "config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:{}","size":18446744073709551615}},
            "layers":[{{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:{}","size":18446744073709551615}}]}}"#,
        sha256_hex(config),
        sha256_hex(b"layer")
    );
    let oci_index = format!(
        r#"{{"schemaVersion":2,"manifests":[{{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:{}","size":{},"annotations":{{"io.containerd.image.name":"docker.io/library/evil:2"}}}}]}}"#,
        sha256_hex(oci_manifest.as_bytes()),
        oci_manifest.len()
    );
    let blob = |bytes: &[u8]| format!("blobs/sha256/{}", sha256_hex(bytes));
    let (config_name, layer_name, manifest_name) =
        (blob(config), blob(b"layer"), blob(oci_manifest.as_bytes()));
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "absurd sizes",
            raw_tar(&[
                (&config_name, Err(config)),
                (&layer_name, Err(b"layer")),
                (&manifest_name, Err(oci_manifest.as_bytes())),
                ("index.json", Err(oci_index.as_bytes())),
            ]),
            "is missing from the store",
        ),
        (
            "climbing",
            raw_tar(&[("../outside.txt", Err(b"x"))]),
            "its entry `../outside.txt` leaves the archive",
        ),
        (
            "absolute",
            raw_tar(&[("/tmp/abs.txt", Err(b"x"))]),
            "its entry `/tmp/abs.txt` leaves the archive",
        ),
        (
            "a link out",
            raw_tar(&[
                ("manifest.json", Err(manifest)),
                ("config.json", Err(config)),
                ("layer.tar", Ok("../../../etc/passwd")),
            ]),
            "it names `layer.tar`, which it does not hold",
        ),
        (
            "missing layer",
            raw_tar(&[
                ("manifest.json", Err(manifest)),
                ("config.json", Err(config)),
            ]),
            "it names `layer.tar`, which it does not hold",
        ),
        (
            "no manifest",
            raw_tar(&[("hello.txt", Err(b"hello"))]),
            "neither an index.json (OCI) nor a manifest.json (docker save)",
        ),
        (
            "xz",
            [&b"\xfd7zXZ\x00"[..], &[0u8; 64]].concat(),
            "it is xz-compressed, which Porthole does not read: decompress it first",
        ),
        (
            "not a tar",
            b"just some text, not a tar at all".repeat(40),
            "cannot be read as a tar",
        ),
    ];
    for (what, bytes, expected) in cases {
        let path = home.path().join(format!("{what}.tar"));
        std::fs::write(&path, bytes).unwrap();
        let out = porthole(home.path(), &["load", "-i", path.to_str().unwrap()]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{what}: loaded");
        assert_eq!(stderr.lines().count(), 1, "{what}: {stderr}");
        assert!(stderr.contains(expected), "{what}: {stderr}");
        assert!(listed(home.path()).is_empty(), "{what}: an image was added");
    }
    assert!(!home.path().join("outside.txt").exists());
    assert!(!Path::new("/tmp/abs.txt").exists());
}

#[test]
fn a_docker_25_archive_of_a_multi_platform_image_loads_through_its_manifest_json() {
    // Docker 25+ with the containerd image store: index.json lists the image's index (all
    // platforms), manifest.json the platform that was saved.
    let sha = |bytes: &[u8]| sha256_hex(bytes);
    let layer = {
        let mut b = tar::Builder::new(Vec::new());
        let mut h = tar::Header::new_ustar();
        h.set_size(2);
        h.set_mode(0o644);
        h.set_cksum();
        b.append_data(&mut h, "hi", &b"hi"[..]).unwrap();
        b.into_inner().unwrap()
    };
    let config = format!(
        r#"{{"architecture":"amd64","os":"linux","rootfs":{{"type":"layers","diff_ids":["sha256:{}"]}}}}"#,
        sha(&layer)
    );
    let index = br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}"#;
    let top = format!(
        r#"{{"schemaVersion":2,"manifests":[{{"mediaType":"application/vnd.oci.image.index.v1+json","digest":"sha256:{}","size":{}}}]}}"#,
        sha(index),
        index.len()
    );
    let manifest = format!(
        r#"[{{"Config":"blobs/sha256/{}","RepoTags":["multi:1"],"Layers":["blobs/sha256/{}"]}}]"#,
        sha(config.as_bytes()),
        sha(&layer)
    );
    let names = [
        format!("blobs/sha256/{}", sha(config.as_bytes())),
        format!("blobs/sha256/{}", sha(&layer)),
        format!("blobs/sha256/{}", sha(index)),
    ];
    let bytes = raw_tar(&[
        ("oci-layout", Err(br#"{"imageLayoutVersion":"1.0.0"}"#)),
        (&names[0], Err(config.as_bytes())),
        (&names[1], Err(&layer)),
        (&names[2], Err(index)),
        ("index.json", Err(top.as_bytes())),
        ("manifest.json", Err(manifest.as_bytes())),
    ]);
    let home = tempfile::tempdir().unwrap();
    let path = home.path().join("docker25.tar");
    std::fs::write(&path, bytes).unwrap();
    assert_eq!(load_file(home.path(), &path), "Loaded image: multi:1\n");
    let rows = listed(home.path());
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].2, format!("sha256:{}", sha(config.as_bytes())));
    let files = ok(porthole(home.path(), &["files", "multi:1"]));
    assert!(String::from_utf8_lossy(&files.stdout).contains("/hi"));
    assert_clean(home.path());
}

/// `catalog::multi_arch` (linux/amd64, linux/arm64/v8, linux/arm/v7) pushed as
/// `load/multi:v2` and written by `skopeo copy --all` to an oci-archive in `dir`: the whole
/// index and every platform's image. The index, and the archive's path.
fn multi_platform_archive(dir: &Path) -> (ImageIndex, PathBuf) {
    let registry = TestRegistry::start(RegistryAuth::None);
    let index = catalog::multi_arch(porthole_tests::fixtures::MediaTypes::Oci);
    let pushed = index.push(&registry, "load/multi", "v2");
    let archive = dir.join("multi.tar");
    let out = Command::new("skopeo")
        .args(["copy", "-q", "--all", "--src-tls-verify=false"])
        .arg(format!("docker://{}/load/multi:v2", pushed.registry))
        .arg(format!("oci-archive:{}:v2", archive.display()))
        .output()
        .expect("run skopeo");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (index, archive)
}

#[test]
fn a_multi_platform_oci_archive_loads_this_machine_s_platform() {
    let dir = tempfile::tempdir().unwrap();
    let (index, archive) = multi_platform_archive(dir.path());

    let home = tempfile::tempdir().unwrap();
    // skopeo names the image with a bare tag only: it loads untagged, by its ID.
    let amd64 = index.image_for("linux/amd64").expect("an amd64 image");
    assert_eq!(
        load_file(home.path(), &archive),
        format!("Loaded image ID: {}\n", amd64.config_digest)
    );
    let images = json(&ok(porthole(home.path(), &["--json", "images"])).stdout);
    let image = &images[0];
    assert_eq!(
        image["digest"],
        amd64.manifest_digest.as_str(),
        "{images:#}"
    );
    assert_eq!(image["index_digest"], index.digest.as_str(), "{images:#}");
    assert_eq!(image["tag"], "v2");
    assert_eq!(image["platform"], "linux/amd64");
    // The other platforms' blobs were stored as the archive went by; gc reclaims them.
    ok(porthole(home.path(), &["gc"]));
    assert_clean(home.path());
}

#[test]
fn load_platform_takes_that_platform_from_a_multi_platform_archive() {
    let dir = tempfile::tempdir().unwrap();
    let (index, archive) = multi_platform_archive(dir.path());
    let arm64 = index.image_for("linux/arm64/v8").expect("an arm64 image");
    // `linux/arm64` finds the index's linux/arm64/v8, as a pull does.
    let home = tempfile::tempdir().unwrap();
    let out = ok(porthole(
        home.path(),
        &[
            "load",
            "--platform",
            "linux/arm64",
            "-i",
            archive.to_str().unwrap(),
        ],
    ));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("Loaded image ID: {}\n", arm64.config_digest)
    );
    let images = json(&ok(porthole(home.path(), &["--json", "images"])).stdout);
    assert_eq!(images.as_array().unwrap().len(), 1, "{images:#}");
    let image = &images[0];
    assert_eq!(image["platform"], "linux/arm64", "{images:#}");
    assert_eq!(
        image["digest"],
        arm64.manifest_digest.as_str(),
        "{images:#}"
    );
    assert_eq!(image["id"], arm64.config_digest.as_str(), "{images:#}");
    assert_eq!(image["index_digest"], index.digest.as_str(), "{images:#}");
    let files = ok(porthole(home.path(), &["files", &arm64.config_digest]));
    assert!(String::from_utf8_lossy(&files.stdout).contains("/etc/arch"));

    // On stdin, with --json: the arm/v7 image.
    let arm = index.image_for("linux/arm/v7").expect("an arm/v7 image");
    let piped = tempfile::tempdir().unwrap();
    let out = Command::new(BIN)
        .env_clear()
        .env("HOME", piped.path())
        .env("PORTHOLE_CONFIG", piped.path().join("porthole.json"))
        .args(["--json", "--store"])
        .arg(piped.path().join("store"))
        .args(["load", "--platform", "linux/arm/v7"])
        .stdin(std::fs::File::open(&archive).unwrap())
        .output()
        .unwrap();
    let report = json(&ok(out).stdout);
    assert_eq!(report["images"][0]["digest"], arm.manifest_digest.as_str());
    assert_eq!(report["images"][0]["id"], arm.config_digest.as_str());
    let images = json(&ok(porthole(piped.path(), &["--json", "images"])).stdout);
    assert_eq!(images[0]["platform"], "linux/arm/v7", "{images:#}");
}

/// `porthole load --platform PLATFORM -i ARCHIVE`, which must fail with one line on stderr
/// and add no image; that line.
fn load_refused(home: &Path, archive: &Path, platform: &str) -> String {
    let out = porthole(
        home,
        &[
            "load",
            "--platform",
            platform,
            "-i",
            archive.to_str().unwrap(),
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!out.status.success(), "{platform}: loaded");
    assert_eq!(stderr.lines().count(), 1, "{platform}: {stderr}");
    assert!(listed(home).is_empty(), "{platform}: an image was added");
    stderr
}

#[test]
fn load_platform_absent_from_the_archive_names_the_platforms_it_has() {
    let dir = tempfile::tempdir().unwrap();
    let (index, archive) = multi_platform_archive(dir.path());
    let home = tempfile::tempdir().unwrap();
    let stderr = load_refused(home.path(), &archive, "linux/s390x");
    assert_eq!(
        stderr,
        format!(
            "porthole: error: cannot load {}: the archive has no linux/s390x image of {}; \
             it has linux/amd64, linux/arm64, linux/arm/v7 (ask for one of those with \
             --platform)\n",
            archive.display(),
            index.digest
        )
    );
    // arm/v6 runs no v7 image (the fallback goes down, never up).
    let stderr = load_refused(home.path(), &archive, "linux/arm/v6");
    assert!(stderr.contains("no linux/arm/v6 image"), "{stderr}");
    // A platform that does not parse is refused as `pull --platform` refuses it.
    let stderr = load_refused(home.path(), &archive, "linux");
    assert!(
        stderr.contains("`linux` is not a platform: expected os/arch[/variant]"),
        "{stderr}"
    );
}

#[test]
fn load_platform_refuses_a_single_platform_archive_for_another_platform() {
    // As `docker load --platform` checks a `docker save` archive: the image's config says
    // which platform it is for.
    let registry = TestRegistry::start(RegistryAuth::None);
    let image = catalog::multi_layer(2, 20_000);
    assert_eq!(image.platform.to_string(), "linux/amd64");
    let pushed = image.push(&registry, "load/single", "v1");
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("single.tar");
    skopeo_copy(
        &format!("docker://{}", pushed.reference()),
        &format!(
            "docker-archive:{}:example.com/app:single",
            archive.display()
        ),
    );
    let home = tempfile::tempdir().unwrap();
    let stderr = load_refused(home.path(), &archive, "linux/arm64");
    assert!(
        stderr.ends_with(
            "the archive has no linux/arm64 image of `example.com/app:single`; it has \
             linux/amd64 (ask for that with --platform)\n"
        ),
        "{stderr}"
    );
    // Its own platform loads.
    let out = ok(porthole(
        home.path(),
        &[
            "load",
            "--platform",
            "linux/x86_64",
            "-i",
            archive.to_str().unwrap(),
        ],
    ));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "Loaded image: example.com/app:single\n"
    );
    assert_eq!(listed(home.path()).len(), 1);
}
