//! Debian packages against dpkg itself: a debootstrap'd bookworm rootfs must list exactly
//! what `dpkg-query -W` lists for it, name for name and version for version, and each
//! fixture status file what dpkg-query prints for it (less the packages whose files are not
//! installed). File ownership agrees with `dpkg-query -S`.

mod packages_support;

mod packages_dpkg {
    use std::collections::{BTreeMap, BTreeSet};
    use std::fs;
    use std::path::Path;
    use std::process::Command;

    use porthole_engine::packages::{self, PackageType, dpkg};

    use super::packages_support::*;

    const FORMAT: &str = "${db:Status-Eflag} ${db:Status-Status}\t${Package}\t${Version}\t${Architecture}\t${source:Package}\t${source:Version}\n";

    /// What dpkg-query lists under `admindir`, for the packages whose files are installed.
    fn dpkg_query(admindir: &Path) -> BTreeSet<String> {
        let out = run(Command::new("dpkg-query")
            .arg("--admindir")
            .arg(admindir)
            .args(["-W", "-f", FORMAT]));
        String::from_utf8(out)
            .unwrap()
            .lines()
            .filter_map(|l| {
                let (status, row) = l.split_once('\t')?;
                matches!(
                    status,
                    "ok installed" | "ok triggers-pending" | "ok triggers-awaited"
                )
                .then(|| row.to_owned())
            })
            .collect()
    }

    fn ours(root: &Path) -> BTreeSet<String> {
        let (_, found) = packages::detect_in_dir(root).unwrap();
        let debs: Vec<_> = found
            .iter()
            .filter(|p| p.kind == PackageType::Deb)
            .collect();
        let rows: BTreeSet<String> = debs
            .iter()
            .map(|p| {
                format!(
                    "{}\t{}\t{}\t{}\t{}",
                    p.name,
                    p.version,
                    p.arch.as_deref().unwrap_or(""),
                    p.source_name.as_deref().unwrap_or(""),
                    p.source_version.as_deref().unwrap_or("")
                )
            })
            .collect();
        assert_eq!(rows.len(), debs.len(), "a package was listed twice");
        rows
    }

    #[test]
    fn fixture_cases_match_their_expected_lists() {
        assert_eq!(check_cases("dpkg"), 3);
    }

    #[test]
    fn fixture_status_files_match_dpkg_query() {
        if !have("dpkg-query") {
            eprintln!("SKIPPED: dpkg-query is not installed");
            return;
        }
        for case in ["states", "empty"] {
            let root = fixtures("dpkg").join(case).join("root");
            let want = dpkg_query(&root.join("var/lib/dpkg"));
            assert_same_lines(&ours(&root), &want, case);
        }
    }

    #[test]
    fn debootstrap_rootfs_matches_dpkg_query() {
        let Some(root) = debian_rootfs() else {
            return;
        };
        let want = dpkg_query(&root.join("var/lib/dpkg"));
        assert!(want.len() > 80, "a minbase system has about 90 packages");
        let got = ours(&root);
        assert_same_lines(&got, &want, "bookworm minbase");
        eprintln!(
            "bookworm minbase: {} packages, all equal to dpkg-query's",
            got.len()
        );

        let (os, found) = packages::detect_in_dir(&root).unwrap();
        let os = os.unwrap();
        assert_eq!(
            (os.id.as_str(), os.version_id.as_deref()),
            ("debian", Some("12"))
        );
        assert_eq!(os.version_codename.as_deref(), Some("bookworm"));
        let libc = found.iter().find(|p| p.name == "libc6").unwrap();
        assert_eq!(libc.location, "/var/lib/dpkg/status");
        assert_eq!(
            libc.purl,
            format!(
                "pkg:deb/debian/libc6@{}?arch=amd64&distro=debian-12",
                libc.version.replace('+', "%2B")
            )
        );
    }

    #[test]
    fn file_owners_agree_with_dpkg_query_search() {
        let Some(root) = debian_rootfs() else {
            return;
        };
        let info = root.join("var/lib/dpkg/info");
        let mut files = Vec::new();
        for entry in fs::read_dir(&info).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if name.ends_with(".list") {
                files.push((
                    format!("/var/lib/dpkg/info/{name}"),
                    fs::read(&path).unwrap(),
                ));
            }
        }
        let owners = dpkg::file_owners(files.iter().map(|(p, b)| (p.as_str(), b.as_slice())));
        let probes = [
            "/bin/ls",
            "/usr/bin/dpkg",
            "/etc/debian_version",
            "/usr/bin/apt",
            "/usr/lib",
        ];
        let out = run(Command::new("dpkg-query")
            .arg("--admindir")
            .arg(root.join("var/lib/dpkg"))
            .arg("-S")
            .args(probes));
        // `pkg1, pkg2: /path` (packages with :arch for multi-arch ones).
        let mut want: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for line in String::from_utf8(out).unwrap().lines() {
            let (pkgs, path) = line.split_once(": ").unwrap();
            for pkg in pkgs.split(", ") {
                let name = pkg.split(':').next().unwrap().to_owned();
                want.entry(path.to_owned()).or_default().insert(name);
            }
        }
        for probe in probes {
            let got: BTreeSet<String> = owners[probe].iter().cloned().collect();
            assert_eq!(Some(&got), want.get(probe), "owners of {probe}");
        }
    }

    #[test]
    fn wants_only_the_status_database() {
        let d = &dpkg::DpkgDetector;
        use porthole_engine::packages::Detector;
        assert!(d.wants("/var/lib/dpkg/status", 0o644));
        assert!(d.wants("/var/lib/dpkg/status.d/libc6", 0o644));
        assert!(!d.wants("/var/lib/dpkg/status.d/libc6.md5sums", 0o644));
        assert!(!d.wants("/var/lib/dpkg/status-old", 0o644));
        assert!(!d.wants("/var/lib/dpkg/status.d/sub/x", 0o644));
        assert!(!d.wants("/var/lib/dpkg/available", 0o644));
    }
}
