//! Where `porthole` keeps its store: `--store`, else `$PORTHOLE_STORE`, else the config
//! file's `store`, else the data directory. Each run has its own HOME, XDG directories and
//! config file, and no other environment.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use porthole_tests::fixtures::{MediaTypes, catalog};
use serde_json::Value;
use tempfile::TempDir;

const BIN: &str = env!("CARGO_BIN_EXE_porthole");

struct Home {
    dir: TempDir,
}

impl Home {
    fn new() -> Home {
        Home {
            dir: tempfile::tempdir().expect("home"),
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn config(&self, value: &Value) {
        std::fs::write(self.path("porthole.json"), value.to_string()).expect("config");
    }

    /// `porthole ARGS` with this home and `env` only (no `--store`).
    fn run(&self, env: &[(&str, &Path)], args: &[&str]) -> Output {
        let home = self.dir.path();
        let mut command = Command::new(BIN);
        command
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", home)
            .env("XDG_CONFIG_HOME", home.join("config"))
            .env("XDG_DATA_HOME", home.join("data"))
            .env("PORTHOLE_CONFIG", home.join("porthole.json"))
            .args(args)
            .stdin(Stdio::null());
        for (name, value) in env {
            command.env(name, value);
        }
        command.output().expect("run porthole")
    }

    /// The rows `porthole --json images` lists, as JSON text.
    fn images(&self, env: &[(&str, &Path)], extra: &[&str]) -> Vec<String> {
        let mut args = vec!["--json"];
        args.extend_from_slice(extra);
        args.push("images");
        let output = self.run(env, &args);
        assert!(
            output.status.success(),
            "porthole {args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let json: Value = serde_json::from_slice(&output.stdout).expect("JSON");
        let rows = json.as_array().or_else(|| json["images"].as_array());
        rows.expect("a list of images")
            .iter()
            .map(|row| row.to_string())
            .collect()
    }
}

/// A store at `dir` holding one image tagged `name`.
fn store_with(dir: &Path, name: &str) {
    catalog::simple(MediaTypes::Oci).write_layout(dir, name);
}

#[test]
fn images_come_from_the_configured_store_unless_the_environment_or_flag_say_otherwise() {
    let home = Home::new();
    let configured = home.path("configured-store");
    let from_env = home.path("env-store");
    let from_flag = home.path("flag-store");
    store_with(&configured, "docker.io/library/configured:1");
    store_with(&from_env, "docker.io/library/from-env:1");
    store_with(&from_flag, "docker.io/library/from-flag:1");
    home.config(&serde_json::json!({ "store": configured }));

    let listed = home.images(&[], &[]);
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert!(listed[0].contains("configured"), "{listed:?}");

    let env = [("PORTHOLE_STORE", from_env.as_path())];
    let listed = home.images(&env, &[]);
    assert!(
        listed.len() == 1 && listed[0].contains("from-env"),
        "{listed:?}"
    );

    let flag = from_flag.display().to_string();
    let listed = home.images(&env, &["--store", &flag]);
    assert!(
        listed.len() == 1 && listed[0].contains("from-flag"),
        "{listed:?}"
    );

    // Nothing was created in the data directory.
    assert!(!home.path("data").join("porthole").exists());
}

#[test]
fn without_any_choice_the_store_is_in_the_data_directory() {
    let home = Home::new();
    home.config(&serde_json::json!({}));
    assert!(home.images(&[], &[]).is_empty());
    let default = home.path("data").join("porthole").join("store");
    assert!(default.join("oci-layout").is_file(), "{default:?}");
}

#[test]
fn a_relative_configured_store_is_refused_with_the_key_named() {
    let home = Home::new();
    home.config(&serde_json::json!({ "store": "relative/store" }));
    let output = home.run(&[], &["--json", "images"]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("relative/store") && stderr.contains("absolute"),
        "{stderr}"
    );
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
}
