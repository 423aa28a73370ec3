//! On a terminal, `porthole pull` draws a progress bar per layer, as `docker pull` does.
//! util-linux `script` gives the binary a real pseudo-terminal.

use std::process::Command;

use porthole_tests::fixtures::catalog;
use porthole_tests::{RegistryAuth, TestRegistry};

const BIN: &str = env!("CARGO_BIN_EXE_porthole");

#[test]
fn pull_on_a_terminal_draws_per_layer_progress() {
    if Command::new("script").arg("--version").output().is_err() {
        panic!("util-linux `script` is needed for this test (scripts/setup.sh installs it)");
    }
    let registry = TestRegistry::start(RegistryAuth::None);
    let pushed = catalog::multi_layer(2, 300_000).push(&registry, "tty/multi", "v1");
    let home = tempfile::tempdir().unwrap();
    let store = home.path().join("store");
    let command = format!(
        "{BIN} --store {} pull {}",
        store.display(),
        pushed.reference()
    );
    let out = Command::new("script")
        .args(["-qfec", &command, "/dev/null"])
        .env("HOME", home.path())
        .env("PORTHOLE_CONFIG", home.path().join("config.json"))
        .env("DOCKER_CONFIG", home.path())
        .env("COLUMNS", "120")
        .output()
        .expect("run script");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    for digest in pushed.layer_digests() {
        let short = &digest["sha256:".len().."sha256:".len() + 12];
        assert!(
            text.contains(&format!("{short}: Pull complete")),
            "no finished bar for layer {short} in:\n{text}"
        );
    }
    // The bar itself: indicatif's `[=====>   ]` with byte counts.
    assert!(text.contains("[="), "no progress bar drawn in:\n{text}");
    assert!(text.contains("Status: Downloaded newer image"), "{text}");
}
