//! Property tests of `rootfs::unpack` and `rootfs::export`: random stacks of layers (files,
//! directories, symlinks pointing anywhere, hard links, whiteouts, opaque directories, with
//! paths through the symlinks of lower layers and of their own, in any tar order) are
//! unpacked, and the tree on disk must be the engine's
//! merged layer index (`ImageLayers::tree`): the same paths with the same types, modes,
//! sizes and link targets. The export must list the same paths once each, with the same
//! metadata, the unpacked files' bytes, and the unpack's hard-link groups; and it must be
//! the same bytes whether the layer indexes are cached (the one-pass plan) or not.
//!
//! 256 cases by default; `PROPTEST_CASES=5000 cargo test --release -p porthole-engine
//! --test rootfs_props` for a longer run.

mod layers_support;

mod rootfs_props {
    use std::collections::{BTreeMap, BTreeSet};
    use std::fs;
    use std::io::Read as _;
    use std::os::unix::fs::MetadataExt as _;
    use std::path::Path;

    use porthole_engine::layers::{FileType, ImageLayers};
    use porthole_engine::rootfs::{self, UnpackOptions};
    use porthole_engine::store::Store;
    use proptest::prelude::*;
    use tokio_util::sync::CancellationToken;

    use super::layers_support::{walk_dir, write_image};

    /// What a layer does to one path.
    #[derive(Clone, Debug)]
    enum Op {
        /// A regular file of this many bytes, with this mode.
        File(usize, u32),
        Dir(u32),
        Symlink(&'static str),
        /// A hard link to this path (which may not exist, or be a directory).
        Hardlink(String),
        Whiteout,
        Opaque,
    }

    fn path() -> impl Strategy<Value = String> {
        prop::collection::vec(prop::sample::select(vec!["a", "b", "c"]), 1..4)
            .prop_map(|p| p.join("/"))
    }

    /// One layer's tar, its members in any order: whiteouts after other entries, paths
    /// through symlinks the same layer wrote just before, the same path twice, a file
    /// over what the layer wrote inside it, hard links to anything. Nothing is left out:
    /// the index must read every such tar as extraction does.
    fn layer() -> impl Strategy<Value = Vec<(String, Op)>> {
        let op = prop_oneof![
            4 => (0usize..3000, prop::sample::select(vec![0o644u32, 0o755, 0o4755, 0o600]))
                .prop_map(|(n, m)| Op::File(n, m)),
            2 => prop::sample::select(vec![0o755u32, 0o700, 0o1777]).prop_map(Op::Dir),
            2 => prop::sample::select(vec!["a", "b/c", "../c", "/a", "/b/../c"])
                .prop_map(Op::Symlink),
            1 => path().prop_map(Op::Hardlink),
            2 => Just(Op::Whiteout),
            1 => Just(Op::Opaque),
        ];
        prop::collection::vec((path(), op), 0..8)
    }

    fn octal(field: &mut [u8], value: u64) {
        let text = format!("{value:0width$o}\0", width = field.len() - 1);
        field.copy_from_slice(text.as_bytes());
    }

    /// One GNU tar member (names are short: no long-name members needed).
    fn member(out: &mut Vec<u8>, name: &str, kind: u8, content: &[u8], link: &str, mode: u32) {
        let mut h = [0u8; 512];
        h[..name.len()].copy_from_slice(name.as_bytes());
        octal(&mut h[100..108], u64::from(mode));
        octal(&mut h[108..116], 0);
        octal(&mut h[116..124], 0);
        octal(&mut h[124..136], content.len() as u64);
        octal(&mut h[136..148], 1_700_000_000);
        h[156] = kind;
        h[157..157 + link.len()].copy_from_slice(link.as_bytes());
        h[257..265].copy_from_slice(b"ustar  \0");
        h[148..156].copy_from_slice(b"        ");
        let sum: u64 = h.iter().map(|&b| u64::from(b)).sum();
        h[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
        out.extend_from_slice(&h);
        out.extend_from_slice(content);
        out.resize(out.len().div_ceil(512) * 512, 0);
    }

    /// Layer `layer`'s tar: file contents differ by layer and path, so that a file taken
    /// from the wrong layer shows.
    fn layer_tar(layer: usize, ops: &[(String, Op)]) -> Vec<u8> {
        let mut out = Vec::new();
        for (path, op) in ops {
            let (dir, base) = match path.rsplit_once('/') {
                Some((d, b)) => (format!("{d}/"), b),
                None => (String::new(), path.as_str()),
            };
            match op {
                Op::File(n, mode) => {
                    let seed = format!("{layer}:{path}:");
                    let content: Vec<u8> = seed.bytes().cycle().take(*n).collect();
                    member(&mut out, path, b'0', &content, "", *mode);
                }
                Op::Dir(mode) => member(&mut out, &format!("{path}/"), b'5', &[], "", *mode),
                Op::Symlink(t) => member(&mut out, path, b'2', &[], t, 0o777),
                Op::Hardlink(t) => member(&mut out, path, b'1', &[], t, 0o644),
                Op::Whiteout => member(&mut out, &format!("{dir}.wh.{base}"), b'0', &[], "", 0),
                Op::Opaque => member(&mut out, &format!("{path}/.wh..wh..opq"), b'0', &[], "", 0),
            }
        }
        out.extend_from_slice(&[0; 1024]);
        out
    }

    /// One path as both sides are compared: type, permission bits, size (regular files),
    /// link target (symlinks).
    type View = BTreeMap<String, (&'static str, u32, u64, Option<String>)>;

    fn project(view: &BTreeMap<String, super::layers_support::Seen>) -> View {
        view.iter()
            .map(|(p, s)| (p.clone(), (s.kind, s.mode, s.size, s.link.clone())))
            .collect()
    }

    /// The merged index's final tree, keyed and compared as [`View`].
    fn index_view(layers: &ImageLayers) -> View {
        layers
            .tree("/", None)
            .unwrap()
            .into_iter()
            .map(|e| {
                let v = match e.kind {
                    FileType::Symlink => ("symlink", e.mode, 0, e.link_target.clone()),
                    FileType::Dir => ("dir", e.mode, 0, None),
                    FileType::File => ("file", e.mode, e.size, None),
                    // A hard link shares the inode its target had when it was made: the
                    // index gives it that file's mode and size (a link to a symlink is
                    // that symlink).
                    FileType::Hardlink => ("file", e.mode, e.size, None),
                    other => (other.as_str(), e.mode, 0, None),
                };
                (e.path[1..].to_owned(), v)
            })
            .collect()
    }

    /// `got` is `want`, or what differs.
    fn same_view(got: &View, want: &View) -> Result<(), String> {
        let keys: BTreeSet<&String> = got.keys().chain(want.keys()).collect();
        let problems: Vec<String> = keys
            .into_iter()
            .filter(|k| got.get(*k) != want.get(*k))
            .map(|k| format!("{k}: got {:?}, want {:?}", got.get(k), want.get(k)))
            .collect();
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems.join("\n"))
        }
    }

    /// An export's members: the view (hard links resolved to their file), each regular
    /// file's bytes, the hard-link groups (each file's names), and every name in order.
    struct Exported {
        view: View,
        content: BTreeMap<String, Vec<u8>>,
        groups: BTreeSet<BTreeSet<String>>,
        names: Vec<String>,
    }

    fn read_export(bytes: &[u8]) -> Exported {
        let mut view = View::new();
        let mut content = BTreeMap::new();
        let mut groups: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        let mut names = Vec::new();
        let mut archive = tar::Archive::new(bytes);
        for entry in archive.entries().unwrap() {
            let mut entry = entry.unwrap();
            let path = entry.path().unwrap().to_string_lossy().into_owned();
            let h = entry.header().clone();
            let mode = h.mode().unwrap() & 0o7777;
            names.push(path.clone());
            let seen = match h.entry_type() {
                tar::EntryType::Directory => ("dir", mode, 0, None),
                tar::EntryType::Symlink => {
                    let target = entry.link_name().unwrap().unwrap();
                    (
                        "symlink",
                        mode,
                        0,
                        Some(target.to_string_lossy().into_owned()),
                    )
                }
                tar::EntryType::Regular => {
                    let mut data = Vec::new();
                    entry.read_to_end(&mut data).unwrap();
                    content.insert(path.clone(), data);
                    groups.entry(path.clone()).or_default().insert(path.clone());
                    ("file", mode, h.size().unwrap(), None)
                }
                tar::EntryType::Link => {
                    let target = entry.link_name().unwrap().unwrap();
                    let target = target.to_string_lossy().into_owned();
                    let (_, mode, size, _) = view[&target].clone();
                    groups.get_mut(&target).unwrap().insert(path.clone());
                    ("file", mode, size, None)
                }
                other => panic!("{path}: unexpected member type {other:?}"),
            };
            view.insert(path, seen);
        }
        Exported {
            view,
            content,
            groups: groups.into_values().collect(),
            names,
        }
    }

    /// The unpacked tree's hard-link groups: the names of each regular file.
    fn inode_groups(root: &Path, view: &View) -> BTreeSet<BTreeSet<String>> {
        let mut by_inode: BTreeMap<u64, BTreeSet<String>> = BTreeMap::new();
        for (path, (kind, ..)) in view {
            if *kind == "file" {
                let ino = fs::symlink_metadata(root.join(path)).unwrap().ino();
                by_inode.entry(ino).or_default().insert(path.clone());
            }
        }
        by_inode.into_values().collect()
    }

    fn export(store: &Store, image: &porthole_engine::store::ImageSummary) -> Vec<u8> {
        let mut out = Vec::new();
        rootfs::export(store, image, &mut out, &CancellationToken::new()).unwrap();
        out
    }

    fn check_stack(stack: &[Vec<(String, Op)>]) -> Result<(), TestCaseError> {
        let tmp = tempfile::tempdir().unwrap();
        let store = Store::open(tmp.path().join("store")).unwrap();
        let tars: Vec<Vec<u8>> = stack
            .iter()
            .enumerate()
            .map(|(i, ops)| layer_tar(i, ops))
            .collect();
        // Every other layer gzipped: with their indexes cached, the export keeps aside
        // the files of layers that compress and reads the others again.
        let blobs: Vec<(Vec<u8>, &str)> = tars
            .iter()
            .enumerate()
            .map(|(i, t)| {
                if i % 2 == 0 {
                    return (t.clone(), "application/vnd.oci.image.layer.v1.tar");
                }
                let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
                std::io::Write::write_all(&mut gz, t).unwrap();
                (
                    gz.finish().unwrap(),
                    "application/vnd.oci.image.layer.v1.tar+gzip",
                )
            })
            .collect();
        let image = write_image(&store, "props:latest", &blobs, &tars, serde_json::json!([]));

        // The export before any index is cached: every file kept aside as it streams.
        let out = tmp.path().join("out");
        let mut uncached = Vec::new();
        let exported = rootfs::export(&store, &image, &mut uncached, &CancellationToken::new());
        let unpacked = rootfs::unpack(
            &store,
            &image,
            &out,
            &UnpackOptions::default(),
            &mut |_| {},
            &CancellationToken::new(),
        );
        let unpacked = match (unpacked, exported) {
            (Ok(u), Ok(_)) => u,
            // A hard link to nothing (or to a directory): both refuse the image alike.
            (Err(u), Err(e)) => {
                prop_assert_eq!(u.to_string(), e.to_string());
                prop_assert!(!out.exists(), "a failed unpack left its target");
                return Ok(());
            }
            (u, e) => {
                return Err(TestCaseError::fail(format!(
                    "unpack and export disagree: {u:?} / {e:?}"
                )));
            }
        };

        let layers = ImageLayers::load(&store, &image).unwrap();
        let indexed = index_view(&layers);
        let on_disk = project(&walk_dir(&out));
        same_view(&on_disk, &indexed)
            .map_err(|e| TestCaseError::fail(format!("unpack vs the merged index:\n{e}")))?;
        prop_assert_eq!(
            unpacked.files + unpacked.hardlinks,
            on_disk.values().filter(|v| v.0 == "file").count() as u64
        );
        prop_assert_eq!(
            unpacked.symlinks,
            on_disk.values().filter(|v| v.0 == "symlink").count() as u64
        );

        // Now with the indexes cached: the one-pass plan. The same bytes.
        let cached = export(&store, &image);
        prop_assert!(
            cached == uncached,
            "the export differs once the indexes are cached"
        );

        let exported = read_export(&cached);
        let unique: BTreeSet<&String> = exported.names.iter().collect();
        prop_assert_eq!(unique.len(), exported.names.len(), "a path exported twice");
        same_view(&exported.view, &indexed)
            .map_err(|e| TestCaseError::fail(format!("export vs the merged index:\n{e}")))?;
        for (path, data) in &exported.content {
            let on_disk = fs::read(out.join(path)).unwrap();
            prop_assert!(&on_disk == data, "{}: the export's bytes differ", path);
        }
        prop_assert_eq!(&exported.view, &on_disk, "export vs unpack");
        prop_assert_eq!(
            &exported.groups,
            &inode_groups(&out, &on_disk),
            "hard-link groups"
        );
        Ok(())
    }

    /// 256 cases, or `PROPTEST_CASES`.
    fn cases() -> u32 {
        std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(256)
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

        #[test]
        fn rootfs_unpack_and_export_match_the_merged_index(
            stack in prop::collection::vec(layer(), 1..5)
        ) {
            check_stack(&stack)?;
        }
    }
}
