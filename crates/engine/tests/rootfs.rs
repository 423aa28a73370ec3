//! `rootfs::unpack` and `rootfs::export` against the real tools: the tree `umoci unpack
//! --rootless` extracts from the same OCI layout (a Debian image made by debootstrap and
//! umoci, and synthetic layers with whiteouts, opaque directories, hard links and paths
//! written through symlinks), the tree GNU tar extracts from the export, and the engine's
//! merged layer index. Then hostile layers (built as raw tar bytes) that try to write
//! outside the target, and the errors that must leave nothing behind.

mod layers_support;

mod rootfs {
    use std::collections::BTreeMap;
    use std::fs;
    use std::io::Write as _;
    use std::os::unix::fs::{FileTypeExt, MetadataExt};
    use std::path::{Path, PathBuf};
    use std::process::Command;

    use porthole_engine::Digest;
    use porthole_engine::layers::ImageLayers;
    use porthole_engine::rootfs::{self, RootfsError, UnpackOptions, UnpackReport};
    use porthole_engine::store::{ImageSummary, Store};
    use tokio_util::sync::CancellationToken;

    use super::layers_support::*;

    /// Bump when the recipe below changes, so that old fixtures are not reused.
    const FIXTURE: &str = "rootfs-debian-v1";

    /// One path as the comparisons see it: type, permission bits, and for a regular
    /// file its size, content hash, mtime and hard-link group (the smallest path
    /// sharing its inode); for a symlink its target.
    #[derive(Clone, Debug, PartialEq, Eq)]
    struct Node {
        kind: &'static str,
        mode: u32,
        size: u64,
        sha256: Option<Digest>,
        mtime: Option<i64>,
        link: Option<String>,
        group: Option<String>,
    }

    fn tree(root: &Path) -> BTreeMap<String, Node> {
        let mut out = BTreeMap::new();
        let mut inodes: BTreeMap<u64, String> = BTreeMap::new();
        let mut todo = vec![root.to_path_buf()];
        let mut all = Vec::new();
        while let Some(dir) = todo.pop() {
            for entry in fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                let meta = fs::symlink_metadata(&path).unwrap();
                if meta.is_dir() {
                    todo.push(path.clone());
                }
                let rel = path
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                all.push((rel, path, meta));
            }
        }
        all.sort_by(|a, b| a.0.cmp(&b.0));
        for (rel, path, meta) in all {
            let ft = meta.file_type();
            let kind = if ft.is_dir() {
                "dir"
            } else if ft.is_symlink() {
                "symlink"
            } else if ft.is_file() {
                "file"
            } else if ft.is_char_device() {
                "char"
            } else if ft.is_block_device() {
                "block"
            } else {
                "fifo"
            };
            let file = ft.is_file();
            let group = file.then(|| {
                inodes
                    .entry(meta.ino())
                    .or_insert_with(|| rel.clone())
                    .clone()
            });
            out.insert(
                rel,
                Node {
                    kind,
                    mode: meta.mode() & 0o7777,
                    size: if file { meta.len() } else { 0 },
                    sha256: file.then(|| Digest::of(&fs::read(&path).unwrap())),
                    mtime: (file || ft.is_symlink()).then(|| meta.mtime()),
                    link: ft
                        .is_symlink()
                        .then(|| fs::read_link(&path).unwrap().to_string_lossy().into_owned()),
                    group,
                },
            );
        }
        out
    }

    /// umoci's rootless unpack makes an empty file for a device node (it cannot create
    /// one); as root we make the node. Anything else must be equal.
    fn assert_same_tree(
        ours: &BTreeMap<String, Node>,
        theirs: &BTreeMap<String, Node>,
        what: &str,
    ) {
        let mut problems = Vec::new();
        for (path, t) in theirs {
            match ours.get(path) {
                None => problems.push(format!("missing {path}: {t:?}")),
                Some(o) if o == t => {}
                Some(o)
                    if matches!(o.kind, "char" | "block") && t.kind == "file" && t.size == 0 => {}
                Some(o) => problems.push(format!("{path}: ours {o:?}, theirs {t:?}")),
            }
        }
        for path in ours.keys().filter(|p| !theirs.contains_key(*p)) {
            problems.push(format!("extra {path}: {:?}", ours[path]));
        }
        assert!(
            problems.is_empty(),
            "{what}: {} differences (of {} paths), first ones:\n{}",
            problems.len(),
            theirs.len(),
            problems
                .iter()
                .take(30)
                .cloned()
                .collect::<Vec<_>>()
                .join("\n")
        );
    }

    fn never() -> CancellationToken {
        CancellationToken::new()
    }

    fn unpack(
        store: &Store,
        image: &ImageSummary,
        dir: &Path,
    ) -> Result<UnpackReport, RootfsError> {
        rootfs::unpack(
            store,
            image,
            dir,
            &UnpackOptions::default(),
            &mut |_| {},
            &never(),
        )
    }

    /// `umoci unpack --rootless` of `layout:tag` into `bundle`; its rootfs.
    fn umoci_unpack(layout: &Path, tag: &str, bundle: &Path) -> PathBuf {
        run(Command::new("umoci")
            .args(["unpack", "--rootless", "--image"])
            .arg(format!("{}:{tag}", layout.display()))
            .arg(bundle));
        bundle.join("rootfs")
    }

    /// The export of `image`, extracted by GNU tar into `dir`.
    fn export_extracted(store: &Store, image: &ImageSummary, dir: &Path) -> Vec<String> {
        let tar = dir.with_extension("tar");
        let file = fs::File::create(&tar).unwrap();
        let mut out = std::io::BufWriter::new(file);
        rootfs::export(store, image, &mut out, &never()).unwrap();
        out.flush().unwrap();
        drop(out);
        fs::create_dir(dir).unwrap();
        run(Command::new("tar")
            .args(["-xpf"])
            .arg(&tar)
            .arg("--numeric-owner")
            .arg("-C")
            .arg(dir));
        let listed = run(Command::new("tar").arg("-tf").arg(&tar));
        String::from_utf8(listed)
            .unwrap()
            .lines()
            .map(|l| format!("/{}", l.trim_end_matches('/')))
            .collect()
    }

    /// Checks `image` every way: unpack against umoci, against the engine's merged index,
    /// and the export against the unpack and against the index's paths.
    fn check_image(store_dir: &Path, tag: &str) {
        let work = tempfile::tempdir().unwrap();
        let store = Store::open(store_dir).unwrap();
        let image = store.resolve(tag).unwrap();
        let ours_dir = work.path().join("ours");
        let report = unpack(&store, &image, &ours_dir).unwrap();
        let ours = tree(&ours_dir);
        let theirs = tree(&umoci_unpack(store_dir, tag, &work.path().join("bundle")));
        assert_same_tree(&ours, &theirs, "porthole unpack vs umoci unpack --rootless");
        assert!(
            report.skipped.is_empty(),
            "as root nothing is skipped: {report:?}"
        );
        assert_eq!(
            report.files + report.hardlinks,
            ours.values().filter(|n| n.kind == "file").count() as u64
        );
        assert_eq!(
            report.symlinks,
            ours.values().filter(|n| n.kind == "symlink").count() as u64
        );

        // Owners, and everything the index knows, as the engine's merged index says.
        let layers = ImageLayers::load(&store, &image).unwrap();
        assert_same_view(
            &walk_dir(&ours_dir),
            &merged_view(&layers),
            "unpack vs the layer index",
        );

        // The export, extracted by GNU tar, is the same tree (owners included), and
        // lists every path of the index once.
        let exported_dir = work.path().join("exported");
        let members = export_extracted(&store, &image, &exported_dir);
        assert_same_tree(&tree(&exported_dir), &ours, "export vs unpack");
        assert_same_view(
            &walk_dir(&exported_dir),
            &walk_dir(&ours_dir),
            "export owners",
        );
        let mut sorted = members.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), members.len(), "a path exported twice");
        let indexed: Vec<String> = {
            let mut v: Vec<String> = layers
                .tree("/", None)
                .unwrap()
                .into_iter()
                .map(|e| e.path)
                .collect();
            v.sort();
            v
        };
        assert_eq!(sorted, indexed, "export members vs porthole files");
    }

    /// A Debian minbase rootfs made by debootstrap as one umoci layer, a cleanup step
    /// (umoci's whiteouts), and a GNU tar layer with an opaque directory, a whiteout, hard
    /// links (to a file of the same layer and of the base), long names, and a file
    /// written through the base's `bin -> usr/bin`.
    fn debian_image(rootfs: &Path) -> PathBuf {
        cached_fixture(FIXTURE, |work| {
            sh(
                work,
                &format!(
                    r#"set -e
                umoci init --layout layout
                umoci new --image layout:debian
                umoci unpack --image layout:debian bundle
                cp -a {rootfs}/. bundle/rootfs/
                umoci repack --refresh-bundle --image layout:debian bundle
                cd bundle/rootfs
                rm -rf usr/share/doc etc/motd var/lib/apt/lists/*
                printf porthole > etc/hostname
                chmod 700 root
                rm -rf var/cache/debconf && printf file > var/cache/debconf
                cd ../..
                umoci repack --refresh-bundle --image layout:debian bundle
                mkdir -p extra/var/log extra/etc extra/bin extra/{long}
                touch extra/var/log/.wh..wh..opq extra/etc/.wh.issue
                printf new > extra/var/log/new.log
                ln extra/var/log/new.log extra/var/log/same.log
                printf tool > extra/bin/porthole-tool
                printf long > extra/{long}/f
                (cd extra && tar --format=gnu -cf ../extra.tar var/log etc/.wh.issue bin/porthole-tool {long})
                python3 - <<'EOF'
import tarfile
with tarfile.open("extra.tar", "a") as t:
    info = tarfile.TarInfo("opt/dash-again")
    info.type = tarfile.LNKTYPE
    info.linkname = "usr/bin/dash"
    t.addfile(info)
EOF
                umoci raw add-layer --image layout:debian extra.tar
                rm -rf bundle extra extra.tar"#,
                    rootfs = rootfs.display(),
                    long = "d".repeat(120),
                ),
            );
        })
    }

    #[test]
    fn the_debian_image_unpacks_as_umoci_unpacks_it() {
        let Some(rootfs) = debian_rootfs() else {
            return;
        };
        let fixture = debian_image(&rootfs);
        let tmp = tempfile::tempdir().unwrap();
        let layout = tmp.path().join("layout");
        run(Command::new("cp")
            .arg("-a")
            .arg(fixture.join("layout"))
            .arg(&layout));
        check_image(&layout, "debian");
    }

    /// Layers that exercise each rule: whiteouts and opaque directories (also of what the
    /// same layer wrote), hard links in one layer and to a lower one, a directory written
    /// through a lower symlink (`lib -> usr/lib`, then `lib/x`), a symlink replaced by a
    /// directory, a directory replaced by a file, modes that close directories.
    fn synthetic_image() -> Umoci {
        let img = Umoci::new();
        img.layer(
            "base",
            "mkdir -p usr/lib usr/bin etc/keep etc/gone var/spool opt/replaced
             ln -s usr/lib lib; ln -s usr/bin bin
             printf one > usr/lib/one; printf a > etc/keep/a; printf b > etc/gone/b
             printf data > usr/bin/prog; ln usr/bin/prog usr/bin/prog-hard
             ln -s /etc/keep abs-link; ln -s ../../nowhere dangling
             printf x > opt/replaced/x; mkdir -p opt/to-dir; ln -s /usr opt/to-dir-link
             printf s > var/spool/s; chmod 4755 usr/bin/prog; chmod 1777 var/spool
             touch -d @1600000000 usr/lib/one",
            "--format=pax .",
        );
        img.layer(
            "upper",
            "mkdir -p lib/sub etc/keep opt opt/to-dir-link usr/bin
             printf two > lib/two; printf three > lib/sub/three
             touch etc/.wh.gone etc/keep/.wh..wh..opq; printf c > etc/keep/c
             printf file > opt/replaced; chmod 500 opt/to-dir-link
             printf again > usr/bin/prog2",
            "--format=gnu lib/two lib/sub/three etc/.wh.gone etc/keep opt/replaced \\
             opt/to-dir-link usr/bin/prog2",
        );
        img.layer(
            "third",
            "mkdir -p usr/lib
             printf four > usr/lib/four; ln usr/lib/four usr/lib/four-hard
             touch usr/lib/.wh.one",
            "--format=pax usr/lib/four usr/lib/four-hard usr/lib/.wh.one",
        );
        img
    }

    #[test]
    fn synthetic_layers_unpack_as_umoci_unpacks_them() {
        let img = synthetic_image();
        check_image(&img.layout, "t");
        // Spot checks of what the rules say.
        let work = tempfile::tempdir().unwrap();
        let store = img.store();
        let out = work.path().join("out");
        unpack(&store, &store.resolve("t").unwrap(), &out).unwrap();
        assert!(fs::symlink_metadata(out.join("lib")).unwrap().is_symlink());
        assert_eq!(fs::read(out.join("usr/lib/sub/three")).unwrap(), b"three");
        assert!(!out.join("usr/lib/one").exists());
        assert!(!out.join("etc/gone").exists());
        assert!(!out.join("etc/keep/a").exists());
        assert_eq!(fs::read(out.join("etc/keep/c")).unwrap(), b"c");
        assert!(
            fs::symlink_metadata(out.join("opt/to-dir-link"))
                .unwrap()
                .is_dir()
        );
        assert_eq!(
            fs::metadata(out.join("opt/to-dir-link")).unwrap().mode() & 0o7777,
            0o500
        );
        assert_eq!(
            fs::metadata(out.join("usr/bin/prog")).unwrap().mode() & 0o7777,
            0o4755
        );
        let four = fs::metadata(out.join("usr/lib/four")).unwrap();
        assert_eq!(
            four.ino(),
            fs::metadata(out.join("usr/lib/four-hard")).unwrap().ino()
        );
    }

    // --- Hostile layers -----------------------------------------------------------

    /// One raw tar member: name, type flag, content, link name.
    type Member<'a> = (&'a str, u8, &'a [u8], &'a str);

    /// A tar written byte by byte (tar-rs refuses to write such names).
    fn raw_tar(members: &[Member<'_>]) -> Vec<u8> {
        let mut out = Vec::new();
        for (name, kind, content, link) in members {
            let mut h = [0u8; 512];
            h[..name.len()].copy_from_slice(name.as_bytes());
            let octal = |field: &mut [u8], v: u64| {
                let s = format!("{v:0w$o}\0", w = field.len() - 1);
                field.copy_from_slice(s.as_bytes());
            };
            octal(&mut h[100..108], if *kind == b'2' { 0o777 } else { 0o644 });
            octal(&mut h[108..116], 0);
            octal(&mut h[116..124], 0);
            octal(&mut h[124..136], content.len() as u64);
            octal(&mut h[136..148], 1_700_000_000);
            h[156] = *kind;
            h[157..157 + link.len()].copy_from_slice(link.as_bytes());
            h[257..265].copy_from_slice(b"ustar  \0");
            h[148..156].copy_from_slice(b"        ");
            let sum: u64 = h.iter().map(|&b| u64::from(b)).sum();
            h[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
            out.extend_from_slice(&h);
            out.extend_from_slice(content);
            out.resize(out.len().div_ceil(512) * 512, 0);
        }
        out.extend_from_slice(&[0; 1024]);
        out
    }

    /// A store holding one image of `layers` (plain tars).
    fn hostile_image(dir: &Path, layers: &[Vec<u8>]) -> (Store, ImageSummary) {
        let store = Store::open(dir.join("store")).unwrap();
        let blobs: Vec<(Vec<u8>, &str)> = layers
            .iter()
            .map(|t| (t.clone(), "application/vnd.oci.image.layer.v1.tar"))
            .collect();
        let image = write_image(
            &store,
            "hostile:latest",
            &blobs,
            layers,
            serde_json::json!([]),
        );
        (store, image)
    }

    /// Everything under `dir` (relative paths), for "nothing changed" checks.
    fn listing(dir: &Path) -> Vec<(String, Vec<u8>)> {
        let mut out = Vec::new();
        let mut todo = vec![dir.to_path_buf()];
        while let Some(d) = todo.pop() {
            for e in fs::read_dir(&d).unwrap() {
                let p = e.unwrap().path();
                let meta = fs::symlink_metadata(&p).unwrap();
                let rel = p.strip_prefix(dir).unwrap().to_string_lossy().into_owned();
                if meta.is_dir() {
                    todo.push(p);
                    out.push((rel, Vec::new()));
                } else if meta.is_symlink() {
                    out.push((
                        rel,
                        fs::read_link(&p)
                            .unwrap()
                            .into_os_string()
                            .into_encoded_bytes(),
                    ));
                } else {
                    out.push((rel, fs::read(&p).unwrap()));
                }
            }
        }
        out.sort();
        out
    }

    /// Unpacks the layers into `<tmp>/work/out` beside `<tmp>/work/sentinel` and checks
    /// that nothing outside `out` changed. Returns the unpack's result and `out`.
    fn unpack_hostile(
        layers: &[Vec<u8>],
    ) -> (Result<UnpackReport, RootfsError>, tempfile::TempDir) {
        let tmp = tempfile::tempdir().unwrap();
        let (store, image) = hostile_image(tmp.path(), layers);
        let work = tmp.path().join("work");
        let sentinel = work.join("sentinel");
        fs::create_dir_all(sentinel.join("etc")).unwrap();
        fs::write(sentinel.join("etc/passwd"), b"sentinel").unwrap();
        fs::write(work.join("evil"), b"sentinel").unwrap();
        let before = listing(&work);
        let out = work.join("out");
        let result = unpack(&store, &image, &out);
        let mut after = listing(&work);
        after.retain(|(p, _)| !p.starts_with("out"));
        assert_eq!(after, before, "something outside the target changed");
        if result.is_err() {
            assert!(!out.exists(), "a failed unpack left its target");
        }
        (result, tmp)
    }

    #[test]
    fn hostile_layers_never_write_outside_the_target() {
        let file = |name| raw_tar(&[(name, b'0', b"evil", "")]);
        let cases: Vec<(&str, Vec<Vec<u8>>, &str)> = vec![
            ("../ entries", vec![file("../../evil")], "evil"),
            ("an absolute path", vec![file("/../work/evil")], "work/evil"),
            (
                "a symlink to / then a write through it",
                vec![raw_tar(&[
                    ("lib", b'2', b"", "/"),
                    ("lib/evil", b'0', b"evil", ""),
                ])],
                "evil",
            ),
            (
                "a symlink up and out, then a write through it",
                vec![raw_tar(&[
                    ("up", b'2', b"", "../../.."),
                    ("up/sentinel/etc/passwd", b'0', b"evil", ""),
                ])],
                "sentinel/etc/passwd",
            ),
            (
                "a chain of symlinks",
                vec![raw_tar(&[
                    ("a", b'2', b"", "b"),
                    ("b", b'2', b"", "c/../../../../"),
                    ("c", b'2', b"", "/.."),
                    ("a/evil", b'0', b"evil", ""),
                ])],
                "evil",
            ),
            (
                "a lower layer's symlink, written through by an upper one",
                vec![
                    raw_tar(&[("lib", b'2', b"", "../../../work")]),
                    raw_tar(&[("lib/evil", b'0', b"evil", "")]),
                ],
                "work/evil",
            ),
            (
                "a hard link through a symlink to /",
                vec![raw_tar(&[
                    ("etc/passwd", b'0', b"image passwd", ""),
                    ("root", b'2', b"", "/"),
                    ("stolen", b'1', b"", "root/../../etc/passwd"),
                ])],
                "stolen",
            ),
        ];
        for (what, layers, landed) in cases {
            let (result, tmp) = unpack_hostile(&layers);
            let out = tmp.path().join("work/out");
            result.unwrap_or_else(|e| panic!("{what}: {e}"));
            let content =
                fs::read(out.join(landed)).unwrap_or_else(|e| panic!("{what}: {landed}: {e}"));
            assert!(
                content == b"evil" || content == b"image passwd",
                "{what}: {content:?}"
            );
        }
        // A hard link to a file outside the image: resolved inside it, where there is
        // none, so the unpack stops with a clear error and leaves nothing.
        for target in ["/etc/passwd", "../sentinel/etc/passwd", "../x"] {
            let (result, _tmp) = unpack_hostile(&[raw_tar(&[("h", b'1', b"", target)])]);
            match result {
                Err(e @ RootfsError::BadHardLink { .. }) => {
                    assert!(e.to_string().contains("does not exist"), "{e}")
                }
                other => panic!("hard link to {target}: {other:?}"),
            }
        }
        // A loop of links: refused, nothing left.
        let (result, _tmp) = unpack_hostile(&[raw_tar(&[
            ("x", b'2', b"", "y"),
            ("y", b'2', b"", "x"),
            ("x/evil", b'0', b"evil", ""),
        ])]);
        assert!(
            matches!(result, Err(RootfsError::TooManyLinks { .. })),
            "{result:?}"
        );
    }

    /// The export plans from the layers' cached indexes which files to keep aside as the
    /// layers stream. Where the indexes name a file otherwise than extraction does (here a
    /// name that is not UTF-8, which the index reads approximately), the file it did not
    /// foresee is read from its layer again: the same bytes as without any index.
    #[test]
    fn an_export_is_the_same_with_or_without_the_layer_indexes() {
        use std::os::unix::ffi::OsStrExt as _;
        let tmp = tempfile::tempdir().unwrap();
        // A name that is not UTF-8: the index reads it approximately (`caf\u{fffd}`), so
        // the plan made from the cached indexes does not foresee the file.
        let mut upper = tar::Builder::new(Vec::new());
        for (name, data) in [(&b"caf\xe9"[..], &b"latin-1 name"[..]), (b"old", b"new")] {
            let mut h = tar::Header::new_gnu();
            h.set_size(data.len() as u64);
            h.set_mode(0o644);
            h.set_mtime(1_700_000_000);
            upper
                .append_data(&mut h, std::ffi::OsStr::from_bytes(name), data)
                .unwrap();
        }
        let (store, image) = hostile_image(
            tmp.path(),
            &[
                raw_tar(&[("c/", b'5', b"", ""), ("old", b'0', b"overwritten", "")]),
                upper.into_inner().unwrap(),
            ],
        );
        let export = || {
            let mut out = Vec::new();
            rootfs::export(&store, &image, &mut out, &never()).unwrap();
            out
        };
        let without = export();
        let layers = ImageLayers::load(&store, &image).unwrap();
        assert!(layers.get("/caf\u{fffd}").is_some());
        let with = export();
        assert!(
            with == without,
            "the export changed once the indexes were cached"
        );
        let mut archive = tar::Archive::new(&with[..]);
        let mut files = BTreeMap::new();
        for entry in archive.entries().unwrap() {
            let mut entry = entry.unwrap();
            let path = entry.path_bytes().into_owned();
            let mut data = Vec::new();
            std::io::Read::read_to_end(&mut entry, &mut data).unwrap();
            files.insert(path, data);
        }
        assert_eq!(files[&b"caf\xe9"[..]], b"latin-1 name");
        assert_eq!(files[&b"old"[..]], b"new");
    }

    /// Found by `rootfs_props`: a path through a directory that is not there and back out
    /// of it (`a -> /b/../c`, then `a/x`) made `b`, or replaced a file `b` with a
    /// directory; umoci resolves such a path lexically and writes only `c/x`.
    #[test]
    fn a_missing_directory_left_again_by_dot_dot_is_not_made() {
        let (result, tmp) = unpack_hostile(&[
            raw_tar(&[("a", b'2', b"", "/b/../c"), ("f", b'2', b"", "/g/../h")]),
            raw_tar(&[
                ("g", b'0', b"a file", ""),
                ("a/x", b'0', b"x", ""),
                ("f/y", b'0', b"y", ""),
            ]),
        ]);
        result.unwrap();
        let out = tmp.path().join("work/out");
        assert_eq!(fs::read(out.join("c/x")).unwrap(), b"x");
        assert!(!out.join("b").exists(), "a directory `b` was made");
        assert_eq!(fs::read(out.join("h/y")).unwrap(), b"y");
        assert_eq!(
            fs::read(out.join("g")).unwrap(),
            b"a file",
            "`g` was replaced"
        );
    }

    /// OCI: "Files that are present in the same layer as a whiteout file can only be
    /// hidden by whiteout files in subsequent layers." A whiteout at the end of its tar
    /// removes the lower `x` (its files and its mode) before the layer's `x/new` is
    /// written, and a whiteout through the lower link `l` removes `d/gone`, though the
    /// layer replaced `l` before it.
    #[test]
    fn whiteouts_after_other_entries_of_their_layer_apply_first() {
        let (result, tmp) = unpack_hostile(&[
            raw_tar(&[
                ("x/", b'5', b"", ""),
                ("x/old", b'0', b"old", ""),
                ("d/gone", b'0', b"gone", ""),
                ("l", b'2', b"", "d"),
            ]),
            raw_tar(&[
                ("x/new", b'0', b"new", ""),
                ("l/", b'5', b"", ""),
                (".wh.x", b'0', b"", ""),
                ("l/.wh.gone", b'0', b"", ""),
            ]),
        ]);
        result.unwrap();
        let out = tmp.path().join("work/out");
        assert_eq!(fs::read(out.join("x/new")).unwrap(), b"new");
        assert!(!out.join("x/old").exists(), "the lower `x/old` stayed");
        assert!(!out.join("d/gone").exists(), "the lower `d/gone` stayed");
        assert!(fs::symlink_metadata(out.join("l")).unwrap().is_dir());
    }

    // --- Errors --------------------------------------------------------------------

    fn partials(dir: &Path) -> Vec<String> {
        fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.contains(".partial-"))
            .collect()
    }

    #[test]
    fn a_target_that_is_not_empty_is_refused_and_left_alone() {
        let tmp = tempfile::tempdir().unwrap();
        let (store, image) = hostile_image(tmp.path(), &[raw_tar(&[("f", b'0', b"x", "")])]);
        let out = tmp.path().join("out");
        fs::create_dir(&out).unwrap();
        fs::write(out.join("mine"), b"keep").unwrap();
        let err = unpack(&store, &image, &out).unwrap_err();
        assert!(matches!(err, RootfsError::TargetNotEmpty { .. }), "{err}");
        assert!(err.to_string().contains("not an empty directory"), "{err}");
        assert_eq!(listing(&out), [("mine".to_owned(), b"keep".to_vec())]);
        // An empty directory is fine, and so is a new one.
        fs::remove_file(out.join("mine")).unwrap();
        unpack(&store, &image, &out).unwrap();
        assert_eq!(fs::read(out.join("f")).unwrap(), b"x");
        assert!(partials(tmp.path()).is_empty());
    }

    #[test]
    fn a_damaged_layer_leaves_no_directory_and_no_partial_one() {
        let tmp = tempfile::tempdir().unwrap();
        let good = raw_tar(&[("a", b'0', b"first", ""), ("b", b'0', b"second", "")]);
        let (store, image) = hostile_image(tmp.path(), std::slice::from_ref(&good));
        // The same bytes but one changed: still a valid tar, but not the promised one.
        let blob = store.blob_path(&Digest::of(&good));
        let mut damaged = good;
        let at = damaged.windows(6).position(|w| w == b"second").unwrap();
        damaged[at] = b'S';
        fs::write(&blob, &damaged).unwrap();
        let out = tmp.path().join("out");
        let err = unpack(&store, &image, &out).unwrap_err();
        assert!(matches!(err, RootfsError::DiffIdMismatch { .. }), "{err}");
        assert!(!out.exists());
        assert!(partials(tmp.path()).is_empty());
        // The export stops the same way.
        let err = rootfs::export(&store, &image, std::io::sink(), &never()).unwrap_err();
        assert!(matches!(err, RootfsError::DiffIdMismatch { .. }), "{err}");
        // A missing blob says so.
        fs::remove_file(&blob).unwrap();
        let err = unpack(&store, &image, &out).unwrap_err();
        assert!(err.to_string().contains("missing from the store"), "{err}");
        assert!(!out.exists() && partials(tmp.path()).is_empty());
    }

    #[test]
    fn a_cancelled_unpack_leaves_nothing() {
        let tmp = tempfile::tempdir().unwrap();
        let (store, image) = hostile_image(tmp.path(), &[raw_tar(&[("f", b'0', b"x", "")])]);
        let out = tmp.path().join("out");
        let cancel = CancellationToken::new();
        cancel.cancel();
        let err = rootfs::unpack(
            &store,
            &image,
            &out,
            &UnpackOptions::default(),
            &mut |_| {},
            &cancel,
        )
        .unwrap_err();
        assert!(matches!(err, RootfsError::Cancelled), "{err}");
        assert!(!out.exists() && partials(tmp.path()).is_empty());
    }
}
