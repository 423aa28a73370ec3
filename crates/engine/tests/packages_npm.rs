//! Node packages against npm: `npm install` into a root must list as
//! `npm ls --all --json` lists it (every name and version in its tree), scoped packages
//! included.

mod packages_support;

mod packages_npm {
    use std::collections::BTreeSet;
    use std::path::PathBuf;
    use std::process::Command;

    use porthole_engine::packages::{self, Detector, PackageType, npm::NpmDetector};

    use super::packages_support::*;

    /// `is-number@7`, `left-pad@1.3.0`, a scoped package and one with a dependency tree,
    /// installed once into a cached root.
    fn npm_root() -> Option<PathBuf> {
        const NAME: &str = "packages-npm-v1";
        if let Some(done) = cached(NAME) {
            return Some(done);
        }
        let tmp = scratch(NAME);
        let out = Command::new("npm")
            .args([
                "install",
                "--no-audit",
                "--no-fund",
                "--loglevel=error",
                "--prefix",
            ])
            .arg(tmp.join("app"))
            .args([
                "is-number@7",
                "left-pad@1.3.0",
                "@isaacs/string-locale-compare@1.1.0",
                "chalk@4.1.2",
            ])
            .output();
        match out {
            Ok(out) if out.status.success() => Some(keep(&tmp, NAME)),
            Ok(out) => {
                eprintln!(
                    "SKIPPED: npm install failed (no registry?): {}",
                    String::from_utf8_lossy(&out.stderr)
                        .lines()
                        .last()
                        .unwrap_or_default()
                );
                None
            }
            Err(e) => {
                eprintln!("SKIPPED: cannot run npm: {e}");
                None
            }
        }
    }

    fn walk(deps: &serde_json::Value, out: &mut BTreeSet<String>) {
        let Some(deps) = deps.as_object() else {
            return;
        };
        for (name, dep) in deps {
            if let Some(version) = dep["version"].as_str() {
                out.insert(format!("{name}\t{version}"));
            }
            walk(&dep["dependencies"], out);
        }
    }

    #[test]
    fn npm_installed_tree_matches_npm_ls() {
        let Some(root) = npm_root() else {
            return;
        };
        let out = run(Command::new("npm")
            .args(["ls", "--all", "--json", "--prefix"])
            .arg(root.join("app")));
        let tree: serde_json::Value = serde_json::from_slice(&out).unwrap();
        let mut want = BTreeSet::new();
        walk(&tree["dependencies"], &mut want);
        assert!(want.len() >= 9, "{want:?}");

        let (_, found) = packages::detect_in_dir(&root).unwrap();
        let npm: Vec<_> = found
            .iter()
            .filter(|p| p.kind == PackageType::Npm)
            .collect();
        let got: BTreeSet<String> = npm
            .iter()
            .map(|p| format!("{}\t{}", p.name, p.version))
            .collect();
        assert_same_lines(&got, &want, "npm install");
        let scoped = npm
            .iter()
            .find(|p| p.name == "@isaacs/string-locale-compare")
            .unwrap();
        assert_eq!(scoped.purl, "pkg:npm/%40isaacs/string-locale-compare@1.1.0");
        assert_eq!(scoped.licenses, ["ISC"]);
        assert_eq!(
            scoped.location,
            "/app/node_modules/@isaacs/string-locale-compare/package.json"
        );
    }

    #[test]
    fn wants_package_roots_only() {
        let d = &NpmDetector;
        assert!(d.wants("/app/node_modules/left-pad/package.json", 0o644));
        assert!(d.wants("/app/node_modules/@scope/pkg/package.json", 0o644));
        assert!(d.wants(
            "/usr/lib/node_modules/npm/node_modules/abbrev/package.json",
            0o644
        ));
        assert!(!d.wants("/app/package.json", 0o644));
        assert!(!d.wants("/app/node_modules/left-pad/lib/package.json", 0o644));
        assert!(!d.wants("/app/node_modules/@scope/package.json", 0o644));
        assert!(!d.wants("/app/node_modules/.package-lock.json", 0o644));
        assert!(!d.wants("/app/node_modules/left-pad/package.json.bak", 0o644));
    }

    #[test]
    fn fixture_cases_match_their_expected_lists() {
        assert_eq!(check_cases("npm"), 1);
    }
}
