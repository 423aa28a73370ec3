//! Shared by the `packages_*` tests: one harness for the fixture folders
//! (`tests/fixtures/packages/<ecosystem>/<case>/`, each a small root filesystem `root/`
//! beside the `expected.tsv` that the ecosystem's own tool printed for it, or that its
//! format documentation gives where no tool runs here), plus running those tools.

#![allow(dead_code)]

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use porthole_engine::packages::{self, Package};

/// Where slow fixtures (the debootstrap rootfs, pip and npm installs) are kept between runs.
#[path = "../common/debian.rs"]
mod debian;

pub const CACHE_DIR: &str = "/var/tmp/porthole-test-cache";

/// `tests/fixtures/packages/<ecosystem>`.
pub fn fixtures(ecosystem: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/packages")
        .join(ecosystem)
}

/// Runs `cmd`, panicking with its output when it fails.
pub fn run(cmd: &mut Command) -> Vec<u8> {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed ({}):\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// Whether `tool` can be run at all.
pub fn have(tool: &str) -> bool {
    Command::new(tool).arg("--version").output().is_ok()
}

/// One package as the fixture files write it: tab-separated
/// `type name version arch source_name source_version licenses(;) purl location`.
pub fn row(p: &Package) -> String {
    [
        p.kind.as_str().to_owned(),
        p.name.clone(),
        p.version.clone(),
        p.arch.clone().unwrap_or_default(),
        p.source_name.clone().unwrap_or_default(),
        p.source_version.clone().unwrap_or_default(),
        p.licenses.join(";"),
        p.purl.clone(),
        p.location.clone(),
    ]
    .join("\t")
}

/// Compares two sets of lines, panicking with what is missing and what is extra.
pub fn assert_same_lines(got: &BTreeSet<String>, want: &BTreeSet<String>, what: &str) {
    let missing: Vec<_> = want.difference(got).collect();
    let extra: Vec<_> = got.difference(want).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "{what}: {} expected lines missing, {} unexpected\nmissing:\n{}\nunexpected:\n{}",
        missing.len(),
        extra.len(),
        missing
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join("\n"),
        extra
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join("\n"),
    );
}

/// Every case folder of an ecosystem: detects in `root/` and compares with
/// `expected.tsv` (blank lines and `#` comments ignored). Returns how many cases ran.
pub fn check_cases(ecosystem: &str) -> usize {
    let dir = fixtures(ecosystem);
    let mut cases: Vec<_> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("expected.tsv").exists())
        .collect();
    cases.sort();
    assert!(!cases.is_empty(), "no cases in {}", dir.display());
    for case in &cases {
        let name = case.file_name().unwrap().to_string_lossy();
        let root = case.join("root");
        let (_, found) =
            packages::detect_in_dir(&root).unwrap_or_else(|e| panic!("{ecosystem}/{name}: {e}"));
        let got: BTreeSet<String> = found.iter().map(row).collect();
        let want: BTreeSet<String> = fs::read_to_string(case.join("expected.tsv"))
            .unwrap()
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
            .map(str::to_owned)
            .collect();
        assert_same_lines(&got, &want, &format!("{ecosystem}/{name}"));
        assert_eq!(
            got.len(),
            found.len(),
            "{ecosystem}/{name}: a package was reported twice"
        );
    }
    cases.len()
}

/// A scratch directory under the cache, recreated.
pub fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(CACHE_DIR).join(format!("{name}.tmp-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

/// Keeps a built fixture: renames `tmp` to `CACHE_DIR/name` (marking it complete).
pub fn keep(tmp: &Path, name: &str) -> PathBuf {
    fs::write(tmp.join(".complete"), b"").unwrap();
    let done = Path::new(CACHE_DIR).join(name);
    let _ = fs::remove_dir_all(&done);
    fs::rename(tmp, &done).unwrap();
    done
}

/// A cached fixture, if it was completed before.
pub fn cached(name: &str) -> Option<PathBuf> {
    let done = Path::new(CACHE_DIR).join(name);
    done.join(".complete").exists().then_some(done)
}

/// The Debian bookworm minbase rootfs the `layers_*` tests build too (same recipe and
/// place, so it is made once for both).
pub fn debian_rootfs() -> Option<PathBuf> {
    debian::debian_rootfs(CACHE_DIR)
}
