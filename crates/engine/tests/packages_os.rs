//! Which OS an image is: one fixture folder per source of the answer (os-release through a
//! symlink, each fallback file alone, shell quoting, nothing at all). `expected.txt` is
//! `location id id_like version_id codename pretty_name`, or `-` for no answer.

mod packages_support;

mod packages_os {
    use std::fs;

    use porthole_engine::packages::{self, os_release};

    use super::packages_support::*;

    #[test]
    fn each_case_identifies_its_os() {
        let dir = fixtures("os");
        let mut cases: Vec<_> = fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        cases.sort();
        assert_eq!(cases.len(), 8);
        for case in cases {
            let (os, _) = packages::detect_in_dir(&case.join("root")).unwrap();
            let got = match os {
                None => "-".to_owned(),
                Some(os) => [
                    os.location.clone(),
                    os.id.clone(),
                    os.id_like.join(" "),
                    os.version_id.clone().unwrap_or_default(),
                    os.version_codename.clone().unwrap_or_default(),
                    os.pretty_name.clone().unwrap_or_default(),
                ]
                .join("\t"),
            };
            let want = fs::read_to_string(case.join("expected.txt")).unwrap();
            assert_eq!(got, want.trim_end_matches('\n'), "{}", case.display());
        }
    }

    #[test]
    fn os_release_wins_over_the_fallbacks() {
        let read = |path: &str| match path {
            "/etc/os-release" => Some(b"ID=ubuntu\nVERSION_ID=\"24.04\"\n".to_vec()),
            "/etc/debian_version" => Some(b"trixie/sid\n".to_vec()),
            "/etc/lsb-release" => Some(b"DISTRIB_ID=Ubuntu\n".to_vec()),
            _ => None,
        };
        let os = os_release::resolve(read).unwrap();
        assert_eq!(
            (os.id.as_str(), os.version_id.as_deref()),
            ("ubuntu", Some("24.04"))
        );
        assert!(os_release::wants("/etc/alpine-release"));
        assert!(!os_release::wants("/etc/os-release.d/x"));
        // An os-release without ID is `linux`, as the spec says; an empty file says nothing.
        let os = os_release::parse("/etc/os-release", b"NAME=Linux\n").unwrap();
        assert_eq!(os.id, "linux");
        assert!(os_release::parse("/etc/os-release", b"").is_none());
        assert!(os_release::parse("/etc/redhat-release", b"garbage").is_none());
    }
}
