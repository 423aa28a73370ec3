//! Cross-checks with independent tools: `skopeo` and `umoci`.
//!
//! References without a transport are taken as `docker://` references; TLS verification is off
//! for `docker://` (the test registries are plain HTTP on loopback).

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// `PATH` lookup of an executable.
pub(crate) fn find_on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

fn require(tool: &str) -> PathBuf {
    find_on_path(tool).unwrap_or_else(|| {
        panic!(
            "`{tool}` is not installed: run the test setup in README.md (on Debian: \
             `apt-get install docker-registry skopeo umoci`)"
        )
    })
}

/// Runs `tool args…`, panicking with its stderr unless it exits 0.
pub(crate) fn run<I, S>(tool: &str, args: I) -> Output
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let args: Vec<_> = args.into_iter().map(|a| a.as_ref().to_owned()).collect();
    let output = Command::new(require(tool))
        .args(&args)
        .env_remove("REGISTRY_AUTH_FILE")
        .output()
        .unwrap_or_else(|err| panic!("cannot run {tool}: {err}"));
    if !output.status.success() {
        panic!(
            "`{tool} {}` failed ({}):\n{}{}",
            args.iter()
                .map(|a| a.to_string_lossy())
                .collect::<Vec<_>>()
                .join(" "),
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    output
}

/// Runs `skopeo` with `args`, panicking with its output unless it succeeds.
pub fn skopeo<I, S>(args: I) -> Output
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    run("skopeo", args)
}

fn transport(reference: &str) -> String {
    let has_transport = [
        "docker://",
        "oci:",
        "oci-archive:",
        "dir:",
        "docker-archive:",
    ]
    .iter()
    .any(|t| reference.starts_with(t));
    if has_transport {
        reference.to_owned()
    } else {
        format!("docker://{reference}")
    }
}

fn inspect_args(reference: &str, raw: bool, creds: Option<(&str, &str)>) -> Vec<String> {
    let reference = transport(reference);
    let mut args = vec!["inspect".to_owned()];
    if raw {
        args.push("--raw".to_owned());
    }
    if reference.starts_with("docker://") {
        args.push("--tls-verify=false".to_owned());
        match creds {
            Some((user, password)) => args.push(format!("--creds={user}:{password}")),
            None => args.push("--no-creds".to_owned()),
        }
    }
    args.push(reference);
    args
}

/// `skopeo inspect` of `reference` (e.g. `127.0.0.1:PORT/repo:tag`), anonymously.
///
/// The JSON has `Digest` (the manifest digest), `Layers`, `LayersData`, `Architecture`, `Os`…
pub fn skopeo_inspect(reference: &str) -> serde_json::Value {
    skopeo_inspect_with(reference, None)
}

/// `skopeo inspect` with credentials (for htpasswd and token registries).
pub fn skopeo_inspect_with(reference: &str, creds: Option<(&str, &str)>) -> serde_json::Value {
    let output = skopeo(inspect_args(reference, false, creds));
    serde_json::from_slice(&output.stdout).expect("skopeo inspect prints JSON")
}

/// `skopeo inspect --raw`: the manifest (or index) bytes exactly as the registry serves them.
pub fn skopeo_inspect_raw(reference: &str, creds: Option<(&str, &str)>) -> Vec<u8> {
    skopeo(inspect_args(reference, true, creds)).stdout
}

/// `skopeo copy` of `reference` into the OCI layout `dir` under `tag` (all platforms when `all`).
///
/// skopeo 1.9's `oci:` destination stores OCI manifests only, so Docker schema2 images are
/// converted (their manifest digest changes); layer blobs are copied as they are.
pub fn skopeo_copy_to_oci(reference: &str, dir: &Path, tag: &str, all: bool) {
    let mut args = vec!["copy".to_owned(), "--quiet".to_owned()];
    let source = transport(reference);
    if source.starts_with("docker://") {
        args.push("--src-tls-verify=false".to_owned());
        args.push("--src-no-creds".to_owned());
    }
    if all {
        args.push("--all".to_owned());
    }
    args.push(source);
    args.push(format!("oci:{}:{tag}", dir.display()));
    skopeo(args);
}

/// `umoci unpack --rootless --image DIR:TAG BUNDLE`: the image's filesystem ends up in
/// `BUNDLE/rootfs`, which is returned. `bundle` must not exist yet.
pub fn umoci_unpack(layout: &Path, tag: &str, bundle: &Path) -> PathBuf {
    run(
        "umoci",
        [
            OsStr::new("unpack"),
            OsStr::new("--rootless"),
            OsStr::new("--image"),
            format!("{}:{tag}", layout.display()).as_ref(),
            bundle.as_os_str(),
        ],
    );
    bundle.join("rootfs")
}
