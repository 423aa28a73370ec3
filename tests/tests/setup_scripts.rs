//! The set-up scripts behind the README's two commands, where they can run here:
//! `scripts/install-node.sh` against a local copy of a nodejs.org release directory (the
//! real one is unreachable from this machine), and `scripts/toolchain.sh`'s PATH.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use porthole_tests::StaticServer;
use sha2::{Digest, Sha256};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the repository")
        .to_path_buf()
}

fn node_arch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "x64",
        "aarch64" => "arm64",
        other => panic!("no Node.js tarball name for {other}"),
    }
}

/// A release directory shaped like nodejs.org's `dist/latest-v22.x`: a tarball whose
/// `bin/node` prints `v22.99.0`, and `SHASUMS256.txt` with `sums_for` as the tarball's sum
/// (`None`: its real one).
fn release_dir(root: &Path, sums_for: Option<&str>) -> PathBuf {
    let name = format!("node-v22.99.0-linux-{}", node_arch());
    let build = root.join("build");
    let bin = build.join(&name).join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let node = bin.join("node");
    std::fs::write(&node, "#!/bin/sh\necho v22.99.0\n").unwrap();
    std::fs::set_permissions(&node, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let dist = root.join("dist");
    std::fs::create_dir_all(&dist).unwrap();
    let tarball = format!("{name}.tar.xz");
    let packed = Command::new("tar")
        .arg("-cJf")
        .arg(dist.join(&tarball))
        .arg("-C")
        .arg(&build)
        .arg(&name)
        .status()
        .unwrap();
    assert!(packed.success());
    let real = hex::encode(Sha256::digest(std::fs::read(dist.join(&tarball)).unwrap()));
    let sum = sums_for.map_or(real, str::to_owned);
    std::fs::write(
        dist.join("SHASUMS256.txt"),
        format!(
            "{}  node-v22.99.0-darwin-arm64.tar.gz\n{sum}  {tarball}\n{}  node-v22.99.0.tar.xz\n",
            "0".repeat(64),
            "1".repeat(64)
        ),
    )
    .unwrap();
    dist
}

fn install_node(dist_url: &str, dest: &Path) -> Output {
    Command::new(repo().join("scripts/install-node.sh"))
        .arg(dest)
        .env("PORTHOLE_NODE_DIST", dist_url)
        .output()
        .expect("run scripts/install-node.sh")
}

#[test]
fn install_node_unpacks_a_release_whose_sum_matches() {
    let tmp = tempfile::tempdir().unwrap();
    let server = StaticServer::start(&release_dir(tmp.path(), None));
    let dest = tmp.path().join("node");
    let out = install_node(server.url(), &dest);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("Node.js v22.99.0 installed in"), "{stdout}");
    let version = Command::new(dest.join("bin/node")).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&version.stdout), "v22.99.0\n");
}

#[test]
fn install_node_refuses_a_tarball_that_does_not_match_its_sum() {
    let tmp = tempfile::tempdir().unwrap();
    let server = StaticServer::start(&release_dir(tmp.path(), Some(&"f".repeat(64))));
    let dest = tmp.path().join("node");
    std::fs::create_dir_all(dest.join("bin")).unwrap();
    std::fs::write(dest.join("bin/node"), "the install that was there").unwrap();
    let out = install_node(server.url(), &dest);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("does not match its published SHA-256; not installed"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read_to_string(dest.join("bin/node")).unwrap(),
        "the install that was there",
        "the earlier install is left as it was"
    );
}

#[test]
fn install_node_says_when_the_release_cannot_be_reached() {
    let tmp = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}");
    let out = install_node(&url, &tmp.path().join("node"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains(&format!(
            "cannot reach {url}: install Node.js 20+, then run this again"
        )),
        "{stderr}"
    );
}

#[test]
fn toolchain_puts_the_user_toolchains_first_once() {
    let home = tempfile::tempdir().unwrap();
    let cargo_bin = home.path().join(".cargo/bin");
    let node_bin = home.path().join("data/porthole-toolchain/node/bin");
    std::fs::create_dir_all(&cargo_bin).unwrap();
    std::fs::create_dir_all(&node_bin).unwrap();
    let out = Command::new("bash")
        .arg("-c")
        .arg(". scripts/toolchain.sh; . scripts/toolchain.sh; printf %s \"$PATH\"")
        .current_dir(repo())
        .env("HOME", home.path())
        .env("XDG_DATA_HOME", home.path().join("data"))
        .env("PATH", "/usr/bin:/bin")
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!(
            "{}:{}:/usr/bin:/bin",
            node_bin.display(),
            cargo_bin.display()
        )
    );

    // Nothing installed for the user: PATH is left alone.
    let empty = tempfile::tempdir().unwrap();
    let out = Command::new("bash")
        .arg("-c")
        .arg(". scripts/toolchain.sh; printf %s \"$PATH\"")
        .current_dir(repo())
        .env("HOME", empty.path())
        .env_remove("XDG_DATA_HOME")
        .env("PATH", "/usr/bin:/bin")
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "/usr/bin:/bin");
}
