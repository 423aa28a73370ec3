//! Runs the real, built Porthole app through `tauri-driver` (WebDriver) and reads what it
//! shows. See README.md for the build recipe.
//!
//! A test first asks [`prerequisites`] whether it can run here: without a display, the built
//! app or `tauri-driver` it prints `e2e SKIPPED: <why>` and passes, so that a headless
//! `cargo test --workspace` stays green; with `PORTHOLE_E2E_REQUIRED=1` (CI) a missing
//! prerequisite fails instead.

pub mod app;
pub mod driver;
pub mod fixture;
pub mod osv;

use std::io::Write as _;
use std::path::{Path, PathBuf};

pub use driver::{Driver, Session};
pub use fixture::{COMPARED_PACKAGES, DEBIAN_OS_RELEASE, Fixture, PACKAGES_IMAGE};

/// Set to `1` to make a missing prerequisite a failure rather than a skip.
pub const REQUIRED_ENV: &str = "PORTHOLE_E2E_REQUIRED";
/// Overrides the app binary (default `<target>/debug/porthole-app`).
pub const APP_ENV: &str = "PORTHOLE_E2E_APP";
/// Overrides the `tauri-driver` binary (default: on `PATH`, else `~/.cargo/bin`).
pub const DRIVER_ENV: &str = "TAURI_DRIVER";
/// Overrides WebKitGTK's WebDriver (default `/usr/bin/WebKitWebDriver`).
pub const NATIVE_DRIVER_ENV: &str = "WEBKIT_WEBDRIVER";

/// What a test needs to launch the app.
#[derive(Debug, Clone)]
pub struct Prerequisites {
    /// The built app (`cargo build --features tauri/custom-protocol -p porthole-app`).
    pub app: PathBuf,
    pub tauri_driver: PathBuf,
    pub native_driver: PathBuf,
}

/// The tools a test needs, or `None` after printing why the test is skipped.
///
/// # Panics
/// When something is missing and `PORTHOLE_E2E_REQUIRED=1`.
pub fn prerequisites(test: &str) -> Option<Prerequisites> {
    match find_prerequisites() {
        Ok(found) => Some(found),
        Err(why) if std::env::var(REQUIRED_ENV).is_ok_and(|v| v == "1") => {
            panic!("e2e test {test} cannot run ({REQUIRED_ENV}=1): {why}")
        }
        Err(why) => {
            // Straight to stderr, not through `eprintln!`, which the test harness captures:
            // a skip must show in a plain `cargo test` run.
            let _ = writeln!(std::io::stderr(), "e2e SKIPPED: {test}: {why}");
            None
        }
    }
}

fn find_prerequisites() -> Result<Prerequisites, String> {
    if std::env::var_os("DISPLAY").is_none_or(|d| d.is_empty()) {
        return Err("DISPLAY is not set (run under `xvfb-run -a`)".into());
    }
    let app = std::env::var_os(APP_ENV)
        .map(PathBuf::from)
        .unwrap_or_else(|| target_dir().join("debug").join("porthole-app"));
    if !app.is_file() {
        return Err(format!(
            "the app is not built at {} (npm --prefix ui run build && cargo build --features \
             tauri/custom-protocol -p porthole-app)",
            app.display()
        ));
    }
    let tauri_driver = std::env::var_os(DRIVER_ENV)
        .map(PathBuf::from)
        .or_else(|| find_on_path("tauri-driver"))
        .or_else(|| {
            let home = std::env::var_os("HOME")?;
            Some(Path::new(&home).join(".cargo/bin/tauri-driver")).filter(|p| p.is_file())
        })
        .ok_or("tauri-driver is not installed (cargo install tauri-driver --locked)")?;
    let native_driver = std::env::var_os(NATIVE_DRIVER_ENV)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/WebKitWebDriver"));
    if !native_driver.is_file() {
        return Err(format!(
            "{} is missing (apt-get install webkit2gtk-driver)",
            native_driver.display()
        ));
    }
    Ok(Prerequisites {
        app,
        tauri_driver,
        native_driver,
    })
}

fn find_on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}

/// The workspace's target directory (`$CARGO_TARGET_DIR`, else `<workspace>/target`).
pub fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if !dir.is_empty() => {
            let dir = PathBuf::from(dir);
            if dir.is_absolute() {
                dir
            } else {
                workspace_root().join(dir)
            }
        }
        _ => workspace_root().join("target"),
    }
}

/// The repository root (two levels above this crate).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("tests/e2e sits two levels below the workspace root")
        .to_path_buf()
}

/// A size as the UI writes it (ui/src/lib/format.ts `formatSize`): decimal units, three
/// significant digits ("74.8 MB", "1.05 GB", "512 B").
pub fn format_size(bytes: u64) -> String {
    const UNITS: [&str; 6] = ["B", "kB", "MB", "GB", "TB", "PB"];
    if bytes < 1000 {
        return format!("{bytes} B");
    }
    let mut unit = ((bytes as f64).log10() / 3.0).floor() as usize;
    unit = unit.min(UNITS.len() - 1);
    let mut value = bytes as f64 / 1000f64.powi(unit as i32);
    if format!("{value:.2e}").parse::<f64>().unwrap_or(value) >= 1000.0 && unit < UNITS.len() - 1 {
        unit += 1;
        value = bytes as f64 / 1000f64.powi(unit as i32);
    }
    let digits = if value >= 100.0 {
        0
    } else if value >= 10.0 {
        1
    } else {
        2
    };
    format!("{value:.digits$} {}", UNITS[unit])
}

#[cfg(test)]
mod tests {
    use super::format_size;

    #[test]
    fn sizes_match_the_ui() {
        assert_eq!(format_size(999), "999 B");
        assert_eq!(format_size(1000), "1.00 kB");
        assert_eq!(format_size(74_812_345), "74.8 MB");
        assert_eq!(format_size(312_400_000), "312 MB");
        assert_eq!(format_size(999_950), "1.00 MB");
        assert_eq!(format_size(1_050_000_000), "1.05 GB");
    }
}
