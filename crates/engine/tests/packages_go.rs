//! Go binaries against `go version -m`: a module-mode binary built here (a dependency and a
//! `=>` replacement), Debian's `/usr/bin/skopeo` and `umoci` (GOPATH builds: a Go version
//! and a `path`, no modules), and a hand-made ELF in the pre-1.18 pointer format, which the
//! go tool reads too. Also: Rust binaries with a cargo-auditable `.dep-v0` section (added
//! with objcopy), and hostile binaries that must not panic.

mod packages_support;

mod packages_go {
    use std::fs;
    use std::os::unix::fs::PermissionsExt;
    use std::path::{Path, PathBuf};
    use std::process::Command;

    use porthole_engine::packages::cargo_auditable::CargoAuditableDetector;
    use porthole_engine::packages::golang::{self, GoDetector};
    use porthole_engine::packages::{DetectContext, Detector, PackageType};

    use super::packages_support::*;

    /// What `go version -m FILE` says: the Go version, and the modules as
    /// (path, version) with `=>` replacements applied as the detector documents (a module
    /// replacement stands in for the original; a directory replacement keeps the original
    /// path at version `(devel)`).
    fn go_version_m(file: &Path) -> Option<(String, Vec<(String, String)>)> {
        if !have("go") {
            return None;
        }
        let out = run(Command::new("go").arg("version").arg("-m").arg(file));
        let text = String::from_utf8(out).unwrap();
        let mut lines = text.lines();
        let go = lines.next()?.rsplit_once(": ")?.1.to_owned();
        let mut modules: Vec<(String, String)> = Vec::new();
        for line in lines {
            let cols: Vec<&str> = line.trim_start_matches('\t').split('\t').collect();
            match cols.as_slice() {
                ["mod" | "dep", path, version, ..] => {
                    modules.push(((*path).to_owned(), (*version).to_owned()));
                }
                ["=>", path, rest @ ..] => {
                    let last = modules.last_mut().unwrap();
                    if path.starts_with('.') || path.starts_with('/') {
                        last.1 = "(devel)".to_owned();
                    } else {
                        *last = (
                            (*path).to_owned(),
                            rest.first().copied().unwrap_or("").to_owned(),
                        );
                    }
                }
                _ => {}
            }
        }
        Some((go, modules))
    }

    fn ours(file: &Path) -> (String, Vec<(String, String)>) {
        let bytes = fs::read(file).unwrap();
        let found = GoDetector
            .parse("/usr/bin/x", &bytes, &DetectContext::default())
            .unwrap();
        assert!(found.iter().all(|p| p.kind == PackageType::Go));
        let go = found
            .iter()
            .find(|p| p.name == "stdlib")
            .map(|p| p.version.clone())
            .unwrap_or_default();
        let modules = found
            .iter()
            .filter(|p| p.name != "stdlib")
            .map(|p| (p.name.clone(), p.version.clone()))
            .collect();
        (go, modules)
    }

    /// A module-mode binary with one dependency (replaced by a local directory) and one
    /// module replacement, built once offline (`GOPROXY=off`) and cached.
    fn module_binary() -> Option<PathBuf> {
        const NAME: &str = "packages-go-v1";
        if let Some(done) = cached(NAME) {
            return Some(done.join("hello"));
        }
        if !have("go") || !have("zip") {
            eprintln!("SKIPPED: go or zip is not installed (apt-get install golang-go zip)");
            return None;
        }
        let tmp = scratch(NAME);
        let src = tmp.join("src");
        for (path, text) in [
            (
                "go.mod",
                "module example.com/porthole/hello\n\ngo 1.19\n\nrequire (\n\texample.com/greet v1.2.3\n\texample.com/words v0.4.0\n)\n\nreplace example.com/greet v1.2.3 => ./greet\n\nreplace example.com/words => example.com/words-fork v0.4.1\n",
            ),
            (
                "main.go",
                "package main\n\nimport (\n\t\"fmt\"\n\n\t\"example.com/greet\"\n\t\"example.com/words\"\n)\n\nfunc main() { fmt.Println(greet.Hello(), words.Word) }\n",
            ),
            ("greet/go.mod", "module example.com/greet\n\ngo 1.19\n"),
            (
                "greet/greet.go",
                "package greet\n\nfunc Hello() string { return \"hello\" }\n",
            ),
        ] {
            let path = src.join(path);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, text).unwrap();
        }
        // The fork is served from a local module cache directory (a file:// GOPROXY),
        // so nothing goes to the network.
        let proxy = tmp.join("proxy/example.com/words-fork/@v");
        fs::create_dir_all(&proxy).unwrap();
        fs::write(proxy.join("list"), "v0.4.1\n").unwrap();
        fs::write(proxy.join("v0.4.1.info"), "{\"Version\":\"v0.4.1\"}\n").unwrap();
        fs::write(
            proxy.join("v0.4.1.mod"),
            "module example.com/words\n\ngo 1.19\n",
        )
        .unwrap();
        let zip_dir = tmp.join("zip/example.com/words-fork@v0.4.1");
        fs::create_dir_all(&zip_dir).unwrap();
        fs::write(
            zip_dir.join("go.mod"),
            "module example.com/words\n\ngo 1.19\n",
        )
        .unwrap();
        fs::write(
            zip_dir.join("words.go"),
            "package words\n\nconst Word = \"porthole\"\n",
        )
        .unwrap();
        run(Command::new("zip")
            .args(["-qr"])
            .arg(proxy.join("v0.4.1.zip"))
            .arg("example.com/words-fork@v0.4.1")
            .current_dir(tmp.join("zip")));
        let out = Command::new("go")
            .args(["build", "-mod=mod", "-o"])
            .arg(tmp.join("hello"))
            .arg(".")
            .current_dir(&src)
            .env("GOPROXY", format!("file://{}", tmp.join("proxy").display()))
            .env("GONOSUMDB", "*")
            .env("GOFLAGS", "-mod=mod")
            .env("GOSUMDB", "off")
            .env("GOPATH", tmp.join("gopath"))
            .env("GOCACHE", Path::new(CACHE_DIR).join("go-build-cache"))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "go build failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let _ = Command::new("chmod")
            .arg("-R")
            .arg("u+w")
            .arg(tmp.join("gopath"))
            .status();
        let _ = fs::remove_dir_all(tmp.join("gopath"));
        Some(keep(&tmp, NAME).join("hello"))
    }

    #[test]
    fn module_binary_matches_go_version_m() {
        let Some(bin) = module_binary() else {
            return;
        };
        let (go, mut want) = go_version_m(&bin).unwrap();
        let (our_go, mut got) = ours(&bin);
        assert_eq!(our_go, go);
        want.sort();
        got.sort();
        assert_eq!(got, want);
        assert_eq!(
            want,
            [
                ("example.com/greet".to_owned(), "(devel)".to_owned()),
                (
                    "example.com/porthole/hello".to_owned(),
                    "(devel)".to_owned()
                ),
                ("example.com/words-fork".to_owned(), "v0.4.1".to_owned()),
            ]
        );
        let info = golang::read_build_info(&fs::read(&bin).unwrap()).unwrap();
        assert_eq!(info.path.as_deref(), Some("example.com/porthole/hello"));
        let bytes = fs::read(&bin).unwrap();
        let found = GoDetector
            .parse("/app/hello", &bytes, &DetectContext::default())
            .unwrap();
        let fork = found
            .iter()
            .find(|p| p.name == "example.com/words-fork")
            .unwrap();
        assert_eq!(fork.purl, "pkg:golang/example.com/words-fork@v0.4.1");
        assert_eq!(fork.arch.as_deref(), Some("amd64"));
        let main = found
            .iter()
            .find(|p| p.name == "example.com/porthole/hello")
            .unwrap();
        assert_eq!(main.purl, "pkg:golang/example.com/porthole/hello");
    }

    #[test]
    fn debian_go_binaries_match_go_version_m() {
        for bin in ["/usr/bin/skopeo", "/usr/bin/umoci"] {
            let bin = Path::new(bin);
            if !bin.exists() {
                eprintln!("SKIPPED: {} is not installed", bin.display());
                continue;
            }
            let (go, modules) = ours(bin);
            assert!(go.starts_with("go1."), "{}: {go}", bin.display());
            let info = golang::read_build_info(&fs::read(bin).unwrap()).unwrap();
            assert!(info.path.as_deref().unwrap().starts_with("github.com/"));
            match go_version_m(bin) {
                Some((want_go, want)) => {
                    assert_eq!(go, want_go, "{}", bin.display());
                    assert_eq!(modules, want, "{}", bin.display());
                }
                None => eprintln!("SKIPPED (comparison): go is not installed"),
            }
        }
    }

    const SENTINEL_START: [u8; 16] = [
        0x30, 0x77, 0xaf, 0x0c, 0x92, 0x74, 0x08, 0x02, 0x41, 0xe1, 0xc1, 0x07, 0xe6, 0xd6, 0x18,
        0xe6,
    ];
    const SENTINEL_END: [u8; 16] = [
        0xf9, 0x32, 0x43, 0x31, 0x86, 0x18, 0x20, 0x72, 0x00, 0x82, 0x42, 0x10, 0x41, 0x16, 0xd8,
        0xf2,
    ];

    /// A minimal little-endian ELF64 executable whose `.go.buildinfo` uses the pre-1.18
    /// layout: two pointers to Go string headers, resolved through the one PT_LOAD.
    fn old_format_elf(version: &str, modinfo: &str) -> Vec<u8> {
        let base: u64 = 0x40_0000;
        let mut f = vec![0u8; 0x400];
        let put = |f: &mut Vec<u8>, at: usize, bytes: &[u8]| {
            if f.len() < at + bytes.len() {
                f.resize(at + bytes.len(), 0);
            }
            f[at..at + bytes.len()].copy_from_slice(bytes);
        };
        let mut mod_bytes = SENTINEL_START.to_vec();
        mod_bytes.extend_from_slice(modinfo.as_bytes());
        mod_bytes.extend_from_slice(&SENTINEL_END);
        // Build info header at 0x100, string headers at 0x120 and 0x130.
        put(&mut f, 0x100, b"\xff Go buildinf:");
        put(&mut f, 0x10e, &[8, 0]);
        put(&mut f, 0x110, &(base + 0x120).to_le_bytes());
        put(&mut f, 0x118, &(base + 0x130).to_le_bytes());
        put(&mut f, 0x120, &(base + 0x200).to_le_bytes());
        put(&mut f, 0x128, &(version.len() as u64).to_le_bytes());
        put(&mut f, 0x130, &(base + 0x300).to_le_bytes());
        put(&mut f, 0x138, &(mod_bytes.len() as u64).to_le_bytes());
        put(&mut f, 0x200, version.as_bytes());
        put(&mut f, 0x300, &mod_bytes);
        let strtab_at = f.len().next_multiple_of(8);
        let strtab = b"\0.go.buildinfo\0.shstrtab\0";
        put(&mut f, strtab_at, strtab);
        let sh_at = (strtab_at + strtab.len()).next_multiple_of(8);
        let total = sh_at + 3 * 64;
        // Section headers: null, .go.buildinfo, .shstrtab.
        let mut sh = vec![0u8; 3 * 64];
        let section = |sh: &mut Vec<u8>,
                       i: usize,
                       name: u32,
                       ty: u32,
                       flags: u64,
                       addr: u64,
                       off: u64,
                       size: u64| {
            let s = &mut sh[i * 64..(i + 1) * 64];
            s[0..4].copy_from_slice(&name.to_le_bytes());
            s[4..8].copy_from_slice(&ty.to_le_bytes());
            s[8..16].copy_from_slice(&flags.to_le_bytes());
            s[16..24].copy_from_slice(&addr.to_le_bytes());
            s[24..32].copy_from_slice(&off.to_le_bytes());
            s[32..40].copy_from_slice(&size.to_le_bytes());
            s[48..56].copy_from_slice(&16u64.to_le_bytes());
        };
        section(&mut sh, 1, 1, 1, 3, base + 0x100, 0x100, 0x100);
        section(
            &mut sh,
            2,
            15,
            3,
            0,
            0,
            strtab_at as u64,
            strtab.len() as u64,
        );
        put(&mut f, sh_at, &sh);
        // ELF header.
        let mut h = vec![0u8; 64];
        h[..8].copy_from_slice(&[0x7f, b'E', b'L', b'F', 2, 1, 1, 0]);
        h[16..18].copy_from_slice(&2u16.to_le_bytes()); // ET_EXEC
        h[18..20].copy_from_slice(&0x3eu16.to_le_bytes()); // x86-64
        h[20..24].copy_from_slice(&1u32.to_le_bytes());
        h[24..32].copy_from_slice(&base.to_le_bytes());
        h[32..40].copy_from_slice(&64u64.to_le_bytes()); // e_phoff
        h[40..48].copy_from_slice(&(sh_at as u64).to_le_bytes());
        h[52..54].copy_from_slice(&64u16.to_le_bytes());
        h[54..56].copy_from_slice(&56u16.to_le_bytes());
        h[56..58].copy_from_slice(&1u16.to_le_bytes());
        h[58..60].copy_from_slice(&64u16.to_le_bytes());
        h[60..62].copy_from_slice(&3u16.to_le_bytes());
        h[62..64].copy_from_slice(&2u16.to_le_bytes());
        put(&mut f, 0, &h);
        // One read-write PT_LOAD over the whole file.
        let mut p = vec![0u8; 56];
        p[0..4].copy_from_slice(&1u32.to_le_bytes());
        p[4..8].copy_from_slice(&6u32.to_le_bytes());
        p[16..24].copy_from_slice(&base.to_le_bytes());
        p[24..32].copy_from_slice(&base.to_le_bytes());
        p[32..40].copy_from_slice(&(total as u64).to_le_bytes());
        p[40..48].copy_from_slice(&(total as u64).to_le_bytes());
        p[48..56].copy_from_slice(&0x1000u64.to_le_bytes());
        put(&mut f, 64, &p);
        f
    }

    #[test]
    fn pre_118_pointer_format_matches_go_version_m() {
        let modinfo = "path\texample.com/old/cmd/tool\n\
                       mod\texample.com/old\tv0.3.1\th1:abc=\n\
                       dep\tgithub.com/pkg/errors\tv0.9.1\th1:xyz=\n\
                       dep\tgolang.org/x/sys\tv0.0.0-20200930185726-fdedc70b468f\th1:q=\n\
                       =>\tgolang.org/x/sys\tv0.1.0\th1:r=\n";
        let elf = old_format_elf("go1.16.15", modinfo);
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("old-tool");
        fs::write(&file, &elf).unwrap();
        fs::set_permissions(&file, fs::Permissions::from_mode(0o755)).unwrap();
        let (go, got) = ours(&file);
        let expected = (
            "go1.16.15".to_owned(),
            vec![
                ("example.com/old".to_owned(), "v0.3.1".to_owned()),
                ("github.com/pkg/errors".to_owned(), "v0.9.1".to_owned()),
                ("golang.org/x/sys".to_owned(), "v0.1.0".to_owned()),
            ],
        );
        assert_eq!((go.clone(), got.clone()), expected);
        match go_version_m(&file) {
            Some(want) => assert_eq!((go, got), want, "go version -m reads it the same"),
            None => eprintln!("SKIPPED (comparison): go is not installed"),
        }
    }

    #[test]
    fn binaries_without_build_info_and_hostile_bytes_yield_nothing() {
        let ctx = DetectContext::default();
        for file in ["/usr/bin/ls", "/usr/bin/env"] {
            let bytes = fs::read(file).unwrap();
            assert!(GoDetector.parse(file, &bytes, &ctx).unwrap().is_empty());
            assert!(
                CargoAuditableDetector
                    .parse(file, &bytes, &ctx)
                    .unwrap()
                    .is_empty()
            );
        }
        assert!(
            GoDetector
                .parse("/x.sh", b"#!/bin/sh\necho\n", &ctx)
                .unwrap()
                .is_empty()
        );
        // Every prefix length class and scattered flips of a real Go binary: never a panic.
        let elf = old_format_elf("go1.16.15", "path\tx\nmod\tx\tv1\t\n");
        let mut seed: u64 = 7;
        let mut next = move || {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            (seed >> 33) as usize
        };
        for cut in 0..elf.len() {
            let _ = GoDetector.parse("/x", &elf[..cut], &ctx);
        }
        for _ in 0..3000 {
            let mut damaged = elf.clone();
            for _ in 0..1 + next() % 6 {
                let at = next() % damaged.len();
                damaged[at] = next() as u8;
            }
            let _ = GoDetector.parse("/x", &damaged, &ctx);
            let _ = CargoAuditableDetector.parse("/x", &damaged, &ctx);
        }
    }

    #[test]
    fn wants_executables_and_shared_objects() {
        assert!(GoDetector.wants("/usr/local/bin/tool", 0o755));
        assert!(GoDetector.wants("/opt/app/server", 0o700));
        assert!(GoDetector.wants("/usr/lib/x86_64-linux-gnu/libfoo.so.1.2", 0o644));
        assert!(!GoDetector.wants("/usr/share/doc/readme", 0o644));
    }

    /// A copy of /usr/bin/true with a `.dep-v0` section, as cargo-auditable writes it.
    #[test]
    fn cargo_auditable_section_lists_the_crates() {
        if !have("objcopy") {
            eprintln!("SKIPPED: objcopy is not installed (binutils)");
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let json = r#"{"packages":[{"name":"porthole-tool","version":"0.3.0","source":"local","root":true,"dependencies":[1,2]},{"name":"serde","version":"1.0.200","source":"crates.io","dependencies":[]},{"name":"cc","version":"1.0.90","source":"crates.io","kind":"build"}]}"#;
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
        std::io::Write::write_all(&mut z, json.as_bytes()).unwrap();
        fs::write(dir.path().join("deps.z"), z.finish().unwrap()).unwrap();
        let out = dir.path().join("tool");
        run(Command::new("objcopy")
            .arg("--add-section")
            .arg(format!(".dep-v0={}", dir.path().join("deps.z").display()))
            .args([
                "--set-section-flags",
                ".dep-v0=noload,readonly",
                "/usr/bin/true",
            ])
            .arg(&out));
        let found = CargoAuditableDetector
            .parse(
                "/usr/local/bin/tool",
                &fs::read(&out).unwrap(),
                &DetectContext::default(),
            )
            .unwrap();
        let got: Vec<_> = found
            .iter()
            .map(|p| (p.kind, p.name.as_str(), p.version.as_str(), p.purl.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                (
                    PackageType::Cargo,
                    "porthole-tool",
                    "0.3.0",
                    "pkg:cargo/porthole-tool@0.3.0"
                ),
                (
                    PackageType::Cargo,
                    "serde",
                    "1.0.200",
                    "pkg:cargo/serde@1.0.200"
                ),
                (PackageType::Cargo, "cc", "1.0.90", "pkg:cargo/cc@1.0.90"),
            ]
        );
    }
}
