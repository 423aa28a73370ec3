//! The Debian rootfs that the `layers_*` and `packages_*` tests share: built once by
//! debootstrap and kept in the test cache, so both suites read the same files.
//! Included by each suite's support module with `#[path]`.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A Debian bookworm minbase rootfs made by debootstrap, built once and kept in
/// `cache_dir`. `None` (with a message saying why) when it cannot be made here.
pub fn debian_rootfs(cache_dir: &str) -> Option<PathBuf> {
    let done = Path::new(cache_dir).join("bookworm-minbase");
    if done.join("etc/debian_version").exists() {
        return Some(done);
    }
    let skip = |why: String| {
        eprintln!("SKIPPED: no Debian rootfs for this test: {why}");
        None
    };
    // debootstrap needs root (mknod, chown, chroot).
    let uid = Command::new("id").arg("-u").output().ok()?;
    if String::from_utf8_lossy(&uid.stdout).trim() != "0" {
        return skip("debootstrap needs root".into());
    }
    if Command::new("debootstrap")
        .arg("--version")
        .output()
        .is_err()
    {
        return skip("debootstrap is not installed".into());
    }
    fs::create_dir_all(cache_dir).unwrap();
    let temp = Path::new(cache_dir).join(format!("bookworm-minbase.tmp-{}", std::process::id()));
    let _ = fs::remove_dir_all(&temp);
    let out = Command::new("debootstrap")
        .args(["--variant=minbase", "bookworm"])
        .arg(&temp)
        .arg("http://deb.debian.org/debian")
        .output()
        .unwrap();
    if !out.status.success() {
        let _ = fs::remove_dir_all(&temp);
        return skip(format!(
            "debootstrap failed (no network to the Debian mirror?): {}",
            String::from_utf8_lossy(&out.stderr)
                .lines()
                .last()
                .unwrap_or_default()
        ));
    }
    if fs::rename(&temp, &done).is_err() {
        // Another test process finished first: use its copy.
        let _ = fs::remove_dir_all(&temp);
    }
    Some(done)
}
