//! `porthole unpack` and `porthole export` as a person and a script run them: an image pulled
//! from a real registry (porthole-tests' harness) with several layers (a whiteout, an
//! opaque directory, a symlink, a hard link, a file replaced, a file through a lower
//! symlink) unpacked into a directory and exported as a tar that GNU tar lists; the `--json`
//! report; a target that is not empty refused with one error line and left as it was; a
//! terminal refused as export's output; an unknown image named in one error line.

use std::collections::BTreeMap;
use std::os::unix::fs::MetadataExt as _;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use porthole_tests::fixtures::{Compression, ImageBuilder, LayerBuilder, MediaTypes};
use porthole_tests::{RegistryAuth, TestRegistry};

mod common;
use common::{BIN, Porthole, assert_success};

/// A failure reads as one line on stderr (`porthole: error: …`), and nothing on stdout.
fn assert_one_error_line(output: &Output, needle: &str) {
    common::assert_one_error_line(output, needle);
    assert_eq!(output.stdout, b"", "nothing on stdout");
}

/// Three layers (gzip, zstd, plain) that exercise the extraction rules.
fn layered_image() -> porthole_tests::fixtures::Image {
    ImageBuilder::new(MediaTypes::Oci)
        .layer(
            LayerBuilder::new()
                .dir("usr")
                .dir("usr/lib")
                .symlink("lib", "usr/lib")
                .file("usr/lib/libold.so", "old library\n")
                .dir("etc")
                .file("etc/os-release", "ID=porthole\n")
                .file("etc/motd", "welcome\n")
                .dir("var")
                .dir("var/cache")
                .file("var/cache/a", "cached a\n")
                .file("var/cache/b", "cached b\n")
                .dir("bin")
                .file_with_mode("bin/tool", "#!/bin/sh\necho tool\n", 0o755),
        )
        .layer(
            LayerBuilder::new()
                .compression(Compression::Zstd)
                .whiteout("etc/motd")
                .opaque_dir("var/cache")
                .file("var/cache/c", "cached c\n")
                .file("lib/libnew.so", "new library through the lib symlink\n")
                .hardlink("bin/tool-again", "bin/tool"),
        )
        .layer(
            LayerBuilder::new()
                .compression(Compression::None)
                .file("etc/os-release", "ID=porthole\nVERSION_ID=2\n")
                .symlink("bin/hi", "tool"),
        )
        .build()
}

/// The image pulled into `porthole`'s store; its reference.
fn pulled(porthole: &Porthole, registry: &TestRegistry) -> String {
    let pushed = layered_image().push(registry, "rootfs/app", "v1");
    let reference = pushed.reference();
    assert_success(&porthole.run(&["pull", &reference]), &["pull"]);
    reference
}

/// Every path under `root`: "type mode size link" (hard links share an inode).
fn listing(root: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut todo = vec![root.to_path_buf()];
    while let Some(dir) = todo.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let meta = std::fs::symlink_metadata(&path).unwrap();
            let rel = path.strip_prefix(root).unwrap().display().to_string();
            let line = if meta.is_dir() {
                todo.push(path.clone());
                format!("dir {:o}", meta.mode() & 0o7777)
            } else if meta.is_symlink() {
                format!(
                    "symlink -> {}",
                    std::fs::read_link(&path).unwrap().display()
                )
            } else {
                let text = String::from_utf8(std::fs::read(&path).unwrap()).unwrap();
                format!(
                    "file {:o} {:?} links={}",
                    meta.mode() & 0o7777,
                    text,
                    meta.nlink()
                )
            };
            out.insert(rel, line);
        }
    }
    out
}

#[test]
fn unpack_writes_the_final_filesystem_and_reports_it_in_json() {
    let registry = TestRegistry::start(RegistryAuth::None);
    let porthole = Porthole::new();
    let reference = pulled(&porthole, &registry);
    let image = porthole.json(&["inspect", &reference]);
    let dir = porthole.path("rootfs");
    let dir_text = dir.display().to_string();

    let report = porthole.json(&["unpack", &reference, &dir_text]);
    assert_eq!(report["reference"], reference.as_str(), "{report:#}");
    assert_eq!(report["id"], image["id"], "{report:#}");
    assert_eq!(report["directory"], dir_text.as_str());
    // os-release, libold.so, libnew.so, var/cache/c, bin/tool (twice).
    assert_eq!(report["files"], 5, "{report:#}");
    assert_eq!(report["hardlinks"], 1, "{report:#}");
    // usr, usr/lib, etc, var, var/cache, bin.
    assert_eq!(report["directories"], 6, "{report:#}");
    assert_eq!(report["symlinks"], 2, "{report:#}");
    // 25 + 12 + 36 + 9 + 20: each file once, however many names it has.
    assert_eq!(report["bytes"], 102, "{report:#}");
    assert_eq!(report["skipped"], serde_json::json!([]));
    let mut keys: Vec<&str> = report
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "bytes",
            "directories",
            "directory",
            "files",
            "hardlinks",
            "id",
            "reference",
            "skipped",
            "symlinks",
        ]
    );

    let tree = listing(&dir);
    let expected: BTreeMap<String, String> = [
        ("bin", "dir 755"),
        ("bin/hi", "symlink -> tool"),
        ("bin/tool", "file 755 \"#!/bin/sh\\necho tool\\n\" links=2"),
        (
            "bin/tool-again",
            "file 755 \"#!/bin/sh\\necho tool\\n\" links=2",
        ),
        ("etc", "dir 755"),
        (
            "etc/os-release",
            "file 644 \"ID=porthole\\nVERSION_ID=2\\n\" links=1",
        ),
        ("lib", "symlink -> usr/lib"),
        ("usr", "dir 755"),
        ("usr/lib", "dir 755"),
        (
            "usr/lib/libnew.so",
            "file 644 \"new library through the lib symlink\\n\" links=1",
        ),
        ("usr/lib/libold.so", "file 644 \"old library\\n\" links=1"),
        ("var", "dir 755"),
        ("var/cache", "dir 755"),
        ("var/cache/c", "file 644 \"cached c\\n\" links=1"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    assert_eq!(tree, expected);
    // Nothing else beside the target: no partial directory left.
    let beside: Vec<String> = std::fs::read_dir(porthole.home.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".partial-"))
        .collect();
    assert!(beside.is_empty(), "{beside:?}");

    // Without --json: one summary line on stderr, nothing on stdout.
    let again = porthole.path("again");
    let human = porthole.run(&["unpack", &reference, &again.display().to_string()]);
    assert_success(&human, &["unpack"]);
    assert_eq!(human.stdout, b"");
    let stderr = String::from_utf8_lossy(&human.stderr);
    assert!(
        stderr.starts_with(&format!(
            "Unpacked {reference} into {}: 5 files",
            again.display()
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains("6 directories, 2 symlinks, 1 hard links"),
        "{stderr}"
    );
    assert_eq!(listing(&again), expected);
}

#[test]
fn a_target_that_is_not_empty_is_refused_and_left_alone() {
    let registry = TestRegistry::start(RegistryAuth::None);
    let porthole = Porthole::new();
    let reference = pulled(&porthole, &registry);
    let dir = porthole.path("busy");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("mine.txt"), "keep me").unwrap();
    let before = listing(&dir);

    let refused = porthole.run(&["unpack", &reference, &dir.display().to_string()]);
    assert_one_error_line(&refused, "is not an empty directory");
    assert_eq!(listing(&dir), before);
    let refused = porthole.run(&["--json", "unpack", &reference, &dir.display().to_string()]);
    assert_one_error_line(&refused, "is not an empty directory");
    assert_eq!(listing(&dir), before);
    // A file in the way is refused the same way.
    let file = porthole.path("a-file");
    std::fs::write(&file, "x").unwrap();
    let refused = porthole.run(&["unpack", &reference, &file.display().to_string()]);
    assert_one_error_line(&refused, "is not an empty directory");
    assert_eq!(std::fs::read(&file).unwrap(), b"x");
    let names: Vec<String> = std::fs::read_dir(porthole.home.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".partial-"))
        .collect();
    assert!(names.is_empty(), "{names:?}");
}

/// GNU tar's verbose listing of `archive`: "type+mode owner size name[ -> target]".
fn gnu_listing(archive: &Path) -> Vec<String> {
    let out = Command::new("tar")
        .args(["--numeric-owner", "-tvf"])
        .arg(archive)
        .output()
        .expect("run tar");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|line| {
            // perms owner size date time name...
            let f: Vec<&str> = line.split_whitespace().collect();
            format!("{} {} {} {}", f[0], f[1], f[2], f[5..].join(" "))
        })
        .collect()
}

#[test]
fn export_writes_one_tar_to_a_file_whole_or_to_a_pipe() {
    let registry = TestRegistry::start(RegistryAuth::None);
    let porthole = Porthole::new();
    let reference = pulled(&porthole, &registry);
    let file = porthole.path("rootfs.tar");
    let file_text = file.display().to_string();

    let report = porthole.json(&["export", &reference, "-o", &file_text]);
    assert_eq!(report["entries"], 14, "{report:#}");
    assert_eq!(report["files"], 5, "{report:#}");
    assert_eq!(report["hardlinks"], 1, "{report:#}");
    assert_eq!(report["directories"], 6, "{report:#}");
    assert_eq!(report["symlinks"], 2, "{report:#}");
    let mut listed = gnu_listing(&file);
    listed.sort();
    assert_eq!(
        listed,
        [
            "-rw-r--r-- 0/0 25 etc/os-release".to_owned(),
            "-rw-r--r-- 0/0 12 usr/lib/libold.so".to_owned(),
            "-rw-r--r-- 0/0 36 usr/lib/libnew.so".to_owned(),
            "-rw-r--r-- 0/0 9 var/cache/c".to_owned(),
            "-rwxr-xr-x 0/0 20 bin/tool".to_owned(),
            "drwxr-xr-x 0/0 0 bin".to_owned(),
            "drwxr-xr-x 0/0 0 etc".to_owned(),
            "drwxr-xr-x 0/0 0 usr".to_owned(),
            "drwxr-xr-x 0/0 0 usr/lib".to_owned(),
            "drwxr-xr-x 0/0 0 var".to_owned(),
            "drwxr-xr-x 0/0 0 var/cache".to_owned(),
            "hrwxr-xr-x 0/0 0 bin/tool-again link to bin/tool".to_owned(),
            "lrwxrwxrwx 0/0 0 bin/hi -> tool".to_owned(),
            "lrwxrwxrwx 0/0 0 lib -> usr/lib".to_owned(),
        ]
        .into_iter()
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect::<Vec<_>>()
    );
    // GNU tar extracts it to the tree `unpack` writes.
    let extracted = porthole.path("extracted");
    std::fs::create_dir(&extracted).unwrap();
    let tar = Command::new("tar")
        .args(["-xpf", &file_text, "-C"])
        .arg(&extracted)
        .output()
        .unwrap();
    assert!(
        tar.status.success(),
        "{}",
        String::from_utf8_lossy(&tar.stderr)
    );
    let unpacked = porthole.path("unpacked");
    porthole.json(&["unpack", &reference, &unpacked.display().to_string()]);
    assert_eq!(listing(&extracted), listing(&unpacked));

    // To a pipe: the same bytes on stdout, the summary on stderr.
    let piped = porthole.run(&["export", &reference]);
    assert_success(&piped, &["export"]);
    assert!(
        piped.stdout == std::fs::read(&file).unwrap(),
        "stdout differs from -o FILE"
    );
    let stderr = String::from_utf8_lossy(&piped.stderr);
    assert!(
        stderr.starts_with(&format!(
            "Exported {reference} to stdout: 14 entries (5 files"
        )),
        "{stderr}"
    );
    // With --json and no -o, stdout is the tar alone.
    let json_piped = porthole.run(&["--json", "export", &reference]);
    assert_success(&json_piped, &["--json", "export"]);
    assert!(json_piped.stdout == piped.stdout);

    // An export that fails leaves an existing FILE as it was, and no temporary file.
    std::fs::write(&file, "previous").unwrap();
    let unknown = porthole.run(&["export", "no/such:image", "-o", &file_text]);
    assert_one_error_line(&unknown, "no/such:image");
    assert_eq!(std::fs::read(&file).unwrap(), b"previous");
    let mut names: Vec<String> = std::fs::read_dir(porthole.home.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("rootfs"))
        .collect();
    names.sort();
    assert_eq!(names, ["rootfs.tar"]);
}

#[test]
fn an_unknown_image_is_named_in_one_error_line() {
    let porthole = Porthole::new();
    let dir = porthole.path("out");
    let missing = porthole.run(&["unpack", "nothing/here:1", &dir.display().to_string()]);
    assert_one_error_line(&missing, "nothing/here:1");
    assert!(!dir.exists());
    let missing = porthole.run(&["export", "nothing/here:1"]);
    assert_one_error_line(&missing, "nothing/here:1");
    let missing = porthole.run(&["--json", "export", "nothing/here:1", "-o", "x.tar"]);
    assert_one_error_line(&missing, "nothing/here:1");
}

#[test]
fn export_refuses_to_write_to_a_terminal() {
    if Command::new("script").arg("--version").output().is_err() {
        panic!("util-linux `script` is needed for this test (scripts/setup.sh installs it)");
    }
    let porthole = Porthole::new();
    // The refusal comes before the image is even looked up.
    let command = format!(
        "{BIN} --store {} export nothing/here:1",
        porthole.path("store").display()
    );
    let out = Command::new("script")
        .args(["-qfec", &command, "/dev/null"])
        .env("HOME", porthole.home.path())
        .env("PORTHOLE_CONFIG", porthole.path("porthole.json"))
        .env("DOCKER_CONFIG", porthole.home.path())
        .stdin(Stdio::null())
        .output()
        .expect("run script");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "{text}");
    assert!(
        text.contains("porthole: error: refusing to write a tar archive to a terminal"),
        "{text}"
    );
    assert!(text.contains("use -o FILE, or redirect stdout"), "{text}");
}
