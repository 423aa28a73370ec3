//! rpm databases of all three formats, against what rpm itself lists:
//! - three real databases (Berkeley DB from RHEL 8, NDB from SLE 15, SQLite from
//!   CBL-Mariner 2.0; from go-rpmdb, MIT, see fixtures/packages/rpm/LICENSE.go-rpmdb) with
//!   the lists rpm printed for them;
//! - packages built here with `rpmbuild`, installed with `rpm --root … --justdb` into an
//!   rpmdb.sqlite, and the same headers loaded into a Berkeley DB hash `Packages` with
//!   `db5.3_load` (which rpm's read-only bdb backend then lists): both must equal
//!   `rpm -qa` on that root, files included;
//! - damaged databases and headers never panic.

mod packages_support;

mod packages_rpm {
    use std::collections::BTreeSet;
    use std::fs;
    use std::path::Path;
    use std::process::Command;

    use porthole_engine::packages::rpm::{self, RpmDetector};
    use porthole_engine::packages::{DetectContext, Detector, OsRelease, PackageType};

    use super::packages_support::*;

    const QF: &str = "%{NAME}\\t%{EVR}\\t%{ARCH}\\t%{SOURCERPM}\\t%{LICENSE}\\n";

    fn rows(headers: &[rpm::RpmHeader]) -> Vec<String> {
        let mut rows: Vec<String> = headers
            .iter()
            .map(|h| {
                format!(
                    "{}\t{}\t{}\t{}\t{}",
                    h.name,
                    h.evr(),
                    h.arch.as_deref().unwrap_or("(none)"),
                    h.source_rpm.as_deref().unwrap_or("(none)"),
                    h.license.as_deref().unwrap_or("(none)"),
                )
            })
            .collect();
        rows.sort();
        rows
    }

    fn expected(text: &str) -> Vec<String> {
        let mut rows: Vec<String> = text
            .lines()
            .filter(|l| !l.is_empty() && !l.starts_with("gpg-pubkey\t"))
            .map(str::to_owned)
            .collect();
        rows.sort();
        rows
    }

    fn check_real(case: &str, file: &str, image_path: &str) {
        let dir = fixtures("rpm").join(case);
        let bytes = fs::read(dir.join(file)).unwrap();
        let want = expected(&fs::read_to_string(dir.join("expected.tsv")).unwrap());
        let headers = rpm::read_headers(image_path, &bytes).unwrap();
        let got: Vec<String> = rows(&headers)
            .into_iter()
            .filter(|r| !r.starts_with("gpg-pubkey\t"))
            .collect();
        assert_eq!(got, want, "{case}: the package list differs from rpm's");
        // Through the detector: same packages, typed and located.
        assert!(RpmDetector.wants(image_path, 0o644));
        let ctx = DetectContext::default();
        let packages = RpmDetector.parse(image_path, &bytes, &ctx).unwrap();
        assert_eq!(packages.len(), want.len());
        assert!(packages.iter().all(|p| p.kind == PackageType::Rpm
            && p.location == image_path
            && p.purl.starts_with("pkg:rpm/")));
    }

    #[test]
    fn berkeley_db_from_rhel8_matches_rpm() {
        check_real("bdb-libuuid", "Packages", "/var/lib/rpm/Packages");
    }

    #[test]
    fn ndb_from_sle15_matches_rpm() {
        check_real(
            "ndb-sle15-bci",
            "Packages.db",
            "/usr/lib/sysimage/rpm/Packages.db",
        );
    }

    #[test]
    fn sqlite_from_cbl_mariner_matches_rpm() {
        check_real(
            "sqlite-cbl-mariner-2.0",
            "rpmdb.sqlite",
            "/var/lib/rpm/rpmdb.sqlite",
        );
    }

    #[test]
    fn epochs_purls_and_sources_follow_the_conventions() {
        let dir = fixtures("rpm").join("sqlite-cbl-mariner-2.0");
        let bytes = fs::read(dir.join("rpmdb.sqlite")).unwrap();
        let ctx = DetectContext {
            os: Some(OsRelease {
                id: "mariner".into(),
                version_id: Some("2.0".into()),
                ..OsRelease::default()
            }),
        };
        let packages = RpmDetector
            .parse("/var/lib/rpm/rpmdb.sqlite", &bytes, &ctx)
            .unwrap();
        let ca = packages
            .iter()
            .find(|p| p.name == "ca-certificates-base")
            .unwrap();
        assert_eq!(ca.version, "1:2.0.0-1.cm2");
        assert_eq!(
            ca.purl,
            "pkg:rpm/mariner/ca-certificates-base@2.0.0-1.cm2?arch=noarch&distro=mariner-2.0&epoch=1"
        );
        assert_eq!(ca.source_name.as_deref(), Some("ca-certificates"));
        assert_eq!(ca.source_version.as_deref(), Some("2.0.0-1.cm2"));
        assert_eq!(ca.licenses, ["MPLv2.0"]);
    }

    /// Two tiny packages, one with an epoch and files in several directories.
    fn build_packages(work: &Path) -> Vec<std::path::PathBuf> {
        let specs = [
            (
                "alpha",
                "Name: porthole-alpha\nVersion: 1.2.3\nRelease: 4.pt1\nEpoch: 2\n\
                 License: MIT AND Apache-2.0\nBuildArch: noarch\n",
                "/usr/share/alpha/readme",
            ),
            (
                "beta",
                "Name: porthole-beta\nVersion: 0.9\nRelease: 1\n\
                 License: GPL-2.0-or-later\n",
                "/usr/lib/beta/one\n/usr/lib/beta/sub/two\n/etc/beta.conf",
            ),
        ];
        for (name, head, files) in specs {
            let install: String = files
                .lines()
                .map(|f| {
                    format!(
                        "mkdir -p $(dirname %{{buildroot}}{f}) && echo {name} > %{{buildroot}}{f}\n"
                    )
                })
                .collect();
            let spec = format!(
                "{head}Summary: porthole test package\n%description\ntest\n\
                 %install\n{install}%files\n{files}\n"
            );
            fs::write(work.join(format!("{name}.spec")), spec).unwrap();
            run(Command::new("rpmbuild")
                .arg("--define")
                .arg(format!("_topdir {}", work.join("top").display()))
                .arg("--define")
                .arg("debug_package %{nil}")
                .arg("-bb")
                .arg(work.join(format!("{name}.spec"))));
        }
        let mut rpms = Vec::new();
        for arch in fs::read_dir(work.join("top/RPMS")).unwrap() {
            for f in fs::read_dir(arch.unwrap().path()).unwrap() {
                rpms.push(f.unwrap().path());
            }
        }
        rpms.sort();
        assert_eq!(rpms.len(), 2);
        rpms
    }

    fn rpm_qa(root: &Path, backend: &str) -> (Vec<String>, BTreeSet<String>) {
        let q = |args: &[&str]| {
            let out = run(Command::new("rpm")
                .arg("--root")
                .arg(root)
                .args(["--dbpath", "/var/lib/rpm", "--define"])
                .arg(format!("_db_backend {backend}"))
                .args(args));
            String::from_utf8(out).unwrap()
        };
        let list = expected(&q(&["-qa", "--qf", QF]));
        let files = q(&["-qal"]).lines().map(str::to_owned).collect();
        (list, files)
    }

    #[test]
    fn rpmbuilt_packages_in_sqlite_and_berkeley_db_match_rpm_qa() {
        if !have("rpmbuild") || !have("rpm") {
            eprintln!("SKIPPED: rpm and rpmbuild are not installed");
            return;
        }
        let work = tempfile::tempdir().unwrap();
        let rpms = build_packages(work.path());
        let root = work.path().join("root");
        fs::create_dir_all(&root).unwrap();
        run(Command::new("rpm")
            .arg("--root")
            .arg(&root)
            .args([
                "--dbpath",
                "/var/lib/rpm",
                "--define",
                "_db_backend sqlite",
                "-i",
                "--nodeps",
                "--justdb",
            ])
            .args(&rpms));
        let sqlite = root.join("var/lib/rpm/rpmdb.sqlite");
        let (want, want_files) = rpm_qa(&root, "sqlite");
        assert_eq!(want.len(), 2);
        let bytes = fs::read(&sqlite).unwrap();
        let headers = rpm::read_headers("/var/lib/rpm/rpmdb.sqlite", &bytes).unwrap();
        assert_eq!(rows(&headers), want, "rpmdb.sqlite");
        let files: BTreeSet<String> = headers.iter().flat_map(|h| h.files.clone()).collect();
        assert_eq!(files, want_files, "rpmdb.sqlite files");
        let alpha = headers.iter().find(|h| h.name == "porthole-alpha").unwrap();
        assert_eq!(
            (alpha.epoch, alpha.evr().as_str()),
            (Some(2), "2:1.2.3-4.pt1")
        );

        // The same headers in a Berkeley DB hash file, as rpm < 4.16 kept them: key 0 is
        // rpm's counter, then one record per header number (a little-endian u32).
        if !have("db5.3_load") {
            eprintln!("SKIPPED (Berkeley DB part): db5.3_load is not installed (db5.3-util)");
            return;
        }
        let bdb_root = work.path().join("bdb");
        fs::create_dir_all(bdb_root.join("var/lib/rpm")).unwrap();
        let escape = |b: &[u8]| -> String {
            b.iter()
                .map(|&c| {
                    if (0x20..0x7f).contains(&c) && c != b'\\' {
                        char::from(c).to_string()
                    } else {
                        format!("\\{c:02x}")
                    }
                })
                .collect()
        };
        let mut dump = format!(
            "{}\n{}\n",
            escape(&0u32.to_le_bytes()),
            escape(&3u32.to_le_bytes())
        );
        for (i, blob) in rpm::sqlite::blobs("rpmdb.sqlite", &bytes)
            .unwrap()
            .iter()
            .enumerate()
        {
            let key = u32::try_from(i + 1).unwrap().to_le_bytes();
            dump.push_str(&format!("{}\n{}\n", escape(&key), escape(blob)));
        }
        let dump_path = work.path().join("dump.txt");
        fs::write(&dump_path, dump).unwrap();
        let packages = bdb_root.join("var/lib/rpm/Packages");
        // A small page size forces the headers onto overflow pages, as real ones are.
        for page_size in ["512", "4096"] {
            let _ = fs::remove_file(&packages);
            run(Command::new("db5.3_load")
                .args(["-T", "-t", "hash", "-c"])
                .arg(format!("db_pagesize={page_size}"))
                .arg("-f")
                .arg(&dump_path)
                .arg(&packages));
            let (bdb_want, bdb_files) = rpm_qa(&bdb_root, "bdb_ro");
            assert_eq!(bdb_want, want, "rpm reads the converted database the same");
            let bytes = fs::read(&packages).unwrap();
            let headers = rpm::read_headers("/var/lib/rpm/Packages", &bytes).unwrap();
            assert_eq!(rows(&headers), bdb_want, "Packages (page size {page_size})");
            let files: BTreeSet<String> = headers.iter().flat_map(|h| h.files.clone()).collect();
            assert_eq!(files, bdb_files, "Packages files (page size {page_size})");
        }
    }

    /// A small deterministic generator (no dependency on the clock or a seed from outside).
    struct Lcg(u64);
    impl Lcg {
        fn next(&mut self) -> u64 {
            self.0 = self
                .0
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            self.0 >> 33
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n.max(1) as u64) as usize
        }
    }

    #[test]
    fn damaged_databases_and_headers_never_panic() {
        let mut rng = Lcg(0x5eed);
        for (case, file) in [
            ("bdb-libuuid", "Packages"),
            ("ndb-sle15-bci", "Packages.db"),
            ("sqlite-cbl-mariner-2.0", "rpmdb.sqlite"),
        ] {
            let bytes = fs::read(fixtures("rpm").join(case).join(file)).unwrap();
            // Cut short anywhere, and with bytes flipped at random.
            for cut in [
                0,
                1,
                12,
                16,
                100,
                4095,
                4096,
                4097,
                bytes.len() / 2,
                bytes.len() - 1,
            ] {
                let _ = rpm::read_headers(file, &bytes[..cut.min(bytes.len())]);
            }
            let rounds = if file == "rpmdb.sqlite" { 8 } else { 200 };
            for _ in 0..rounds {
                let mut damaged = bytes.clone();
                for _ in 0..1 + rng.below(64) {
                    let at = rng.below(damaged.len());
                    damaged[at] = rng.next() as u8;
                }
                let _ = rpm::read_headers(file, &damaged);
            }
        }
        // Header blobs: flip bytes in the index and data of a real header.
        let bytes = fs::read(fixtures("rpm").join("bdb-libuuid/Packages")).unwrap();
        let headers = rpm::bdb::blobs("Packages", &bytes).unwrap();
        let blob = &headers[0];
        for _ in 0..5000 {
            let mut damaged = blob.clone();
            for _ in 0..1 + rng.below(8) {
                let at = rng.below(damaged.len());
                damaged[at] = rng.next() as u8;
            }
            let cut = if rng.below(4) == 0 {
                rng.below(damaged.len())
            } else {
                damaged.len()
            };
            let _ = rpm::header::parse(&damaged[..cut]);
        }
        // Garbage that claims each format.
        for magic in [
            &b"SQLite format 3\0"[..],
            b"RpmP",
            b"\0\0\0\0\0\0\0\0\0\0\0\0\x61\x15\x06\0",
        ] {
            let mut junk = magic.to_vec();
            junk.extend((0..9000).map(|_| rng.next() as u8));
            let _ = rpm::read_headers("junk", &junk);
        }
    }
}
