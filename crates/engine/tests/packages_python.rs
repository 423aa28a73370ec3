//! Python distributions against pip: wheels installed with `pip install --target` must list
//! as `pip list --path` lists them; the fixture folders (egg-info directory, bare egg-info
//! file, PEP 639 expressions, classifiers) are checked against pip too.

mod packages_support;

mod packages_python {
    use std::collections::BTreeSet;
    use std::path::{Path, PathBuf};
    use std::process::Command;

    use porthole_engine::packages::{self, PackageType};

    use super::packages_support::*;

    const SITE: &str = "usr/lib/python3/site-packages";

    fn pip_list(site: &Path) -> BTreeSet<String> {
        let out = run(Command::new("python3")
            .args([
                "-m",
                "pip",
                "list",
                "--disable-pip-version-check",
                "--format",
                "json",
                "--path",
            ])
            .arg(site));
        let list: serde_json::Value = serde_json::from_slice(&out).unwrap();
        list.as_array()
            .unwrap()
            .iter()
            .map(|p| {
                format!(
                    "{}\t{}",
                    p["name"].as_str().unwrap(),
                    p["version"].as_str().unwrap()
                )
            })
            .collect()
    }

    fn ours(root: &Path) -> BTreeSet<String> {
        let (_, found) = packages::detect_in_dir(root).unwrap();
        found
            .iter()
            .filter(|p| p.kind == PackageType::Python)
            .map(|p| format!("{}\t{}", p.name, p.version))
            .collect()
    }

    /// Three small pure-Python wheels from PyPI, installed once into a cached root.
    fn pip_root() -> Option<PathBuf> {
        const NAME: &str = "packages-pip-v1";
        if let Some(done) = cached(NAME) {
            return Some(done);
        }
        let tmp = scratch(NAME);
        let out = Command::new("python3")
            .args([
                "-m",
                "pip",
                "install",
                "--disable-pip-version-check",
                "--no-compile",
                "--quiet",
                "--target",
            ])
            .arg(tmp.join(SITE))
            .args(["six==1.16.0", "idna==3.7", "attrs==23.2.0"])
            .output();
        match out {
            Ok(out) if out.status.success() => Some(keep(&tmp, NAME)),
            Ok(out) => {
                eprintln!(
                    "SKIPPED: pip install failed (no PyPI?): {}",
                    String::from_utf8_lossy(&out.stderr)
                        .lines()
                        .last()
                        .unwrap_or_default()
                );
                None
            }
            Err(e) => {
                eprintln!("SKIPPED: cannot run python3: {e}");
                None
            }
        }
    }

    #[test]
    fn pip_installed_wheels_match_pip_list() {
        let Some(root) = pip_root() else {
            return;
        };
        let want = pip_list(&root.join(SITE));
        assert_eq!(want.len(), 3, "{want:?}");
        assert_same_lines(&ours(&root), &want, "pip install --target");
        let (_, found) = packages::detect_in_dir(&root).unwrap();
        let six = found.iter().find(|p| p.name == "six").unwrap();
        assert_eq!(six.purl, "pkg:pypi/six@1.16.0");
        assert_eq!(six.licenses, ["MIT"]);
        assert_eq!(
            six.location,
            format!("/{SITE}/six-1.16.0.dist-info/METADATA")
        );
    }

    #[test]
    fn fixture_cases_match_their_expected_lists() {
        assert_eq!(check_cases("python"), 1);
    }

    #[test]
    fn fixture_cases_match_pip_list() {
        if !have("python3") {
            eprintln!("SKIPPED: python3 is not installed");
            return;
        }
        let root = fixtures("python").join("metadata-kinds/root");
        let want = pip_list(&root.join("usr/lib/python3/dist-packages"));
        assert_same_lines(&ours(&root), &want, "metadata-kinds");
    }

    #[test]
    fn record_lists_the_installed_files() {
        let record = b"six.py,sha256=abc,34549\nsix-1.16.0.dist-info/RECORD,,\n\"odd,name.py\",,\n../../../bin/tool,,\n";
        let files = packages::python::record_files(
            "/usr/lib/python3/site-packages/six-1.16.0.dist-info/RECORD",
            record,
        );
        assert_eq!(
            files,
            [
                "/usr/lib/python3/site-packages/six.py",
                "/usr/lib/python3/site-packages/six-1.16.0.dist-info/RECORD",
                "/usr/lib/python3/site-packages/odd,name.py",
                "/usr/bin/tool",
            ]
        );
    }
}
