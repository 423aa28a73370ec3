//! What the `porthole` CLI tests share: an isolated home and store to run the built binary
//! in, and the two shapes of its outcome (success; one error line on stderr).

#![allow(dead_code)]

use std::io::Write as _;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use serde_json::Value;
use tempfile::TempDir;

pub const BIN: &str = env!("CARGO_BIN_EXE_porthole");

/// An isolated home for `porthole` runs.
pub struct Porthole {
    pub home: TempDir,
}

impl Porthole {
    pub fn new() -> Porthole {
        let home = tempfile::tempdir().expect("home");
        std::fs::create_dir_all(home.path().join("docker")).expect("docker config dir");
        Porthole { home }
    }

    /// A path in the home directory, for what a test writes (a target directory, a file).
    pub fn path(&self, name: &str) -> PathBuf {
        self.home.path().join(name)
    }

    pub fn store(&self) -> PathBuf {
        self.home.path().join("store")
    }

    pub fn docker_config(&self) -> PathBuf {
        self.home.path().join("docker").join("config.json")
    }

    /// `porthole --store STORE`, with an environment of its own.
    pub fn command(&self) -> Command {
        let home = self.home.path();
        let mut command = Command::new(BIN);
        command
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", home)
            .env("DOCKER_CONFIG", home.join("docker"))
            .env("XDG_CONFIG_HOME", home.join("config"))
            .env("XDG_DATA_HOME", home.join("data"))
            .env("XDG_RUNTIME_DIR", home.join("run"))
            .env("PORTHOLE_CONFIG", home.join("porthole.json"))
            .arg("--store")
            .arg(self.store())
            .stdin(Stdio::null());
        command
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.command().args(args).output().expect("run porthole")
    }

    /// Runs with `--json`, expects success and exactly one JSON document on stdout.
    pub fn json(&self, args: &[&str]) -> Value {
        let output = self
            .command()
            .arg("--json")
            .args(args)
            .output()
            .expect("run porthole");
        assert_success(&output, args);
        serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
            panic!(
                "porthole {args:?} printed no single JSON document ({e}):\n{}",
                String::from_utf8_lossy(&output.stdout)
            )
        })
    }

    pub fn login(&self, server: &str, user: &str, password: &str) -> Output {
        let mut child = self
            .command()
            .args(["login", server, "-u", user, "--password-stdin"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn porthole login");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(format!("{password}\n").as_bytes())
            .expect("write the password");
        child.wait_with_output().expect("porthole login")
    }

    pub fn auths(&self) -> Value {
        let text = std::fs::read_to_string(self.docker_config()).unwrap_or_else(|_| "{}".into());
        let config: Value = serde_json::from_str(&text).expect("config.json is JSON");
        config.get("auths").cloned().unwrap_or(Value::Null)
    }
}

pub fn assert_success(output: &Output, args: &[&str]) {
    assert!(
        output.status.success(),
        "porthole {args:?} failed ({}):\nstdout: {}\nstderr: {}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A failure reads as one line on stderr: `porthole: error: …`.
pub fn assert_one_error_line(output: &Output, needle: &str) {
    assert!(!output.status.success(), "expected a failure");
    let stderr = String::from_utf8_lossy(&output.stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "one line on stderr, got:\n{stderr}");
    assert!(lines[0].starts_with("porthole: error: "), "{stderr}");
    assert!(
        lines[0].contains(needle),
        "expected `{needle}` in: {stderr}"
    );
}
