//! Property tests: random tars (with `..`, absolute paths, empty components, whiteout
//! names, long names, symlinks pointing anywhere) and random damage to them never make the
//! walker panic, and an index never names a path outside the root; random stacks of
//! layers merge exactly as a direct reading of the OCI rules says.
//!
//! `cargo fuzz` runs the same code paths without bounds (crates/engine/fuzz).

mod layers_props {
    use std::collections::BTreeMap;
    use std::io::Cursor;

    use porthole_engine::Digest;
    use porthole_engine::layers::paths::{is_normalized, is_within, tree_cmp};
    use porthole_engine::layers::{ChangeKind, FileType, ImageLayers, LayerIndex};
    use proptest::prelude::*;

    /// One tar member: name, type flag, content, link name, mode.
    type Member = (Vec<u8>, u8, Vec<u8>, Vec<u8>, u32);

    fn octal(field: &mut [u8], value: u64) {
        let text = format!("{value:0width$o}\0", width = field.len() - 1);
        let bytes = text.as_bytes();
        // Too large for the field: leave it zero (the walker must cope).
        if bytes.len() == field.len() {
            field.copy_from_slice(bytes);
        }
    }

    fn pad(out: &mut Vec<u8>) {
        out.resize(out.len().div_ceil(512) * 512, 0);
    }

    /// A GNU header, preceded by `L`/`K` members for names over 100 bytes.
    fn push_member(out: &mut Vec<u8>, (name, kind, content, link, mode): &Member) {
        for (long, flag) in [(name, b'L'), (link, b'K')] {
            if long.len() > 100 {
                let mut data = long.clone();
                data.push(0);
                push_member(
                    out,
                    &(b"././@LongLink".to_vec(), flag, data, Vec::new(), 0o644),
                );
            }
        }
        let mut h = [0u8; 512];
        let n = name.len().min(100);
        h[..n].copy_from_slice(&name[..n]);
        octal(&mut h[100..108], u64::from(*mode));
        octal(&mut h[108..116], 0);
        octal(&mut h[116..124], 0);
        octal(&mut h[124..136], content.len() as u64);
        octal(&mut h[136..148], 1_700_000_000);
        h[156] = *kind;
        let l = link.len().min(100);
        h[157..157 + l].copy_from_slice(&link[..l]);
        h[257..265].copy_from_slice(b"ustar  \0");
        h[148..156].copy_from_slice(b"        ");
        let sum: u64 = h.iter().map(|&b| u64::from(b)).sum();
        let text = format!("{sum:06o}\0 ");
        h[148..156].copy_from_slice(text.as_bytes());
        out.extend_from_slice(&h);
        out.extend_from_slice(content);
        pad(out);
    }

    fn tar(members: &[Member]) -> Vec<u8> {
        let mut out = Vec::new();
        for m in members {
            push_member(&mut out, m);
        }
        out.extend_from_slice(&[0; 1024]);
        out
    }

    /// Path components that test resolution: parents, dots, empties, whiteout names,
    /// long names.
    fn component() -> impl Strategy<Value = String> {
        prop_oneof![
            4 => "[a-c]",
            2 => Just("..".to_owned()),
            1 => Just(".".to_owned()),
            1 => Just(String::new()),
            1 => Just(".wh.a".to_owned()),
            1 => Just(".wh..wh..opq".to_owned()),
            1 => Just(".wh..wh.plnk".to_owned()),
            1 => Just(".wh.".to_owned()),
            1 => Just(".wh...".to_owned()),
            1 => "[x-z]{90,130}",
        ]
    }

    fn raw_path() -> impl Strategy<Value = Vec<u8>> {
        (
            prop_oneof![Just(""), Just("/"), Just("./"), Just("../"), Just("//")],
            prop::collection::vec(component(), 1..5),
            any::<bool>(),
        )
            .prop_map(|(prefix, parts, slash)| {
                let mut p = format!("{prefix}{}", parts.join("/"));
                if slash {
                    p.push('/');
                }
                p.into_bytes()
            })
    }

    fn member() -> impl Strategy<Value = Member> {
        (
            raw_path(),
            prop::sample::select(vec![
                b'0', b'\0', b'5', b'2', b'1', b'3', b'4', b'6', b'7', b'g', b'Z',
            ]),
            prop::collection::vec(any::<u8>(), 0..600),
            raw_path(),
            0u32..0o10000,
        )
            .prop_map(|(name, kind, content, link, mode)| {
                let content = if matches!(kind, b'0' | b'\0' | b'7' | b'Z') {
                    content
                } else {
                    Vec::new()
                };
                (name, kind, content, link, mode)
            })
    }

    /// What every index must satisfy, whatever the tar held.
    fn check_index(index: &LayerIndex) -> Result<(), TestCaseError> {
        let mut previous: Option<&str> = None;
        for e in index.entries() {
            prop_assert!(is_normalized(e.path), "not under the root: {:?}", e.path);
            prop_assert!(!e.path.split('/').any(|c| c == ".."), "{:?}", e.path);
            if let Some(p) = previous {
                prop_assert!(tree_cmp(p, e.path).is_lt(), "{p:?} then {:?}", e.path);
            }
            if e.kind == Some(FileType::Hardlink) {
                let t = e.link_target.unwrap_or_default();
                prop_assert!(t.is_empty() || is_normalized(t), "hard link to {t:?}");
            }
            if e.kind.is_some() && !e.implicit {
                prop_assert!(e.mode <= 0o7777);
            }
            previous = Some(e.path);
        }
        let image = ImageLayers::from_indexes(vec![index.clone()], Vec::new());
        for f in image.tree("/", None).unwrap() {
            prop_assert!(
                f.path.starts_with('/') && is_normalized(&f.path[1..]),
                "{}",
                f.path
            );
        }
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

        #[test]
        fn layers_indexes_never_name_a_path_outside_the_root(
            members in prop::collection::vec(member(), 0..30)
        ) {
            let bytes = tar(&members);
            let index = LayerIndex::from_reader(&Digest::of(b"p"), "", Cursor::new(&bytes))
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(index.diff_id(), &Digest::of(&bytes));
            check_index(&index)?;
        }

        #[test]
        fn layers_damaged_tars_fail_cleanly(
            members in prop::collection::vec(member(), 1..12),
            flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..6),
            cut in prop::option::of(any::<prop::sample::Index>()),
            gzip in any::<bool>(),
        ) {
            let mut bytes = tar(&members);
            if gzip {
                use std::io::Write;
                let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
                enc.write_all(&bytes).unwrap();
                bytes = enc.finish().unwrap();
            }
            for (at, value) in flips {
                let i = at.index(bytes.len());
                bytes[i] ^= value;
            }
            if let Some(cut) = cut {
                bytes.truncate(cut.index(bytes.len() + 1));
            }
            if let Ok(index) = LayerIndex::from_reader(&Digest::of(b"d"), "", Cursor::new(&bytes)) {
                check_index(&index)?;
            }
        }

        #[test]
        fn layers_merge_follows_the_oci_rules(stack in prop::collection::vec(layer(), 1..5)) {
            let indexes: Vec<LayerIndex> = stack
                .iter()
                .enumerate()
                .map(|(i, ops)| {
                    let digest = Digest::of(format!("layer {i}").as_bytes());
                    LayerIndex::from_reader(&digest, "", Cursor::new(tar(&layer_tar(ops)))).unwrap()
                })
                .collect();
            let image = ImageLayers::from_indexes(indexes.clone(), Vec::new());
            let model = Model::apply(&indexes);
            prop_assume!(!model.conflict);

            let got: BTreeMap<String, Version> = image
                .tree("/", None)
                .unwrap()
                .into_iter()
                .map(|f| {
                    let v = Version { layer: f.layer, kind: f.kind, size: f.size, mode: f.mode, link: f.link_target };
                    (f.path[1..].to_owned(), v)
                })
                .collect();
            prop_assert_eq!(&got, &model.final_view());

            let steps = image.steps();
            for (layer, expected) in model.changes.iter().enumerate() {
                let mut got: Vec<(String, ChangeKind)> = image
                    .layer_changes(layer, "/", None)
                    .unwrap()
                    .into_iter()
                    .map(|c| (c.entry.path[1..].to_owned(), c.change))
                    .collect();
                got.sort();
                prop_assert_eq!(&got, expected, "changes of layer {}", layer);
                prop_assert_eq!(steps[layer].wasted_bytes, model.wasted(layer), "wasted in {}", layer);
            }
        }
    }

    /// What a layer does to one path.
    #[derive(Clone, Debug)]
    enum Op {
        File(usize),
        Dir(u32),
        Symlink(&'static str),
        Whiteout,
        Opaque,
    }

    fn layer() -> impl Strategy<Value = Vec<(String, Op)>> {
        let path = prop::collection::vec(prop::sample::select(vec!["a", "b", "c"]), 1..4)
            .prop_map(|p| p.join("/"));
        let op = prop_oneof![
            3 => (0usize..50).prop_map(Op::File),
            2 => prop::sample::select(vec![0o755u32, 0o700]).prop_map(Op::Dir),
            1 => prop::sample::select(vec!["a", "../x", "/etc"]).prop_map(Op::Symlink),
            2 => Just(Op::Whiteout),
            1 => Just(Op::Opaque),
        ];
        prop::collection::vec((path, op), 0..8)
    }

    fn layer_tar(ops: &[(String, Op)]) -> Vec<Member> {
        ops.iter()
            .map(|(path, op)| {
                let (dir, base) = match path.rsplit_once('/') {
                    Some((d, b)) => (format!("{d}/"), b),
                    None => (String::new(), path.as_str()),
                };
                match op {
                    Op::File(n) => (
                        path.clone().into_bytes(),
                        b'0',
                        vec![1; *n],
                        Vec::new(),
                        0o644,
                    ),
                    Op::Dir(mode) => (
                        format!("{path}/").into_bytes(),
                        b'5',
                        Vec::new(),
                        Vec::new(),
                        *mode,
                    ),
                    Op::Symlink(t) => (
                        path.clone().into_bytes(),
                        b'2',
                        Vec::new(),
                        t.as_bytes().to_vec(),
                        0o777,
                    ),
                    Op::Whiteout => (
                        format!("{dir}.wh.{base}").into_bytes(),
                        b'0',
                        Vec::new(),
                        Vec::new(),
                        0,
                    ),
                    Op::Opaque => (
                        format!("{path}/.wh..wh..opq").into_bytes(),
                        b'0',
                        Vec::new(),
                        Vec::new(),
                        0,
                    ),
                }
            })
            .collect()
    }

    /// A path's visible version, as the tests compare it.
    #[derive(Clone, Debug, PartialEq, Eq)]
    struct Version {
        layer: usize,
        kind: FileType,
        size: u64,
        mode: u32,
        link: Option<String>,
    }

    /// Path -> (version, identity of the entry that wrote it: layer and path).
    type State = BTreeMap<String, (Version, (usize, String))>;

    /// The OCI rules applied literally, layer by layer, to a map of paths.
    struct Model {
        /// After each layer.
        states: Vec<State>,
        changes: Vec<Vec<(String, ChangeKind)>>,
        /// A layer writes through a lower symlink into a place where it also writes a
        /// file: extraction fails on such a tar (containerd: "not a directory"), so the
        /// stack says nothing about the rules.
        conflict: bool,
    }

    /// Where `path` of `layer` lands given the state below it: through each ancestor that
    /// is a symlink there (relative to its directory, or to the root when absolute), unless
    /// the layer itself lists a directory at that place.
    fn follow_links(below: &State, layer: &LayerIndex, path: &str) -> String {
        let mut current = path.to_owned();
        for _ in 0..40 {
            let hit = current.match_indices('/').map(|(i, _)| i).find_map(|i| {
                let a = &current[..i];
                let own_dir = layer
                    .get(a)
                    .is_some_and(|e| e.kind.is_some() && !e.implicit);
                match below.get(a) {
                    Some((v, _)) if v.kind == FileType::Symlink && !own_dir => {
                        Some((i, v.link.clone().unwrap_or_default()))
                    }
                    _ => None,
                }
            });
            let Some((i, target)) = hit else {
                return current;
            };
            let base = if target.starts_with('/') {
                String::new()
            } else {
                current[..i]
                    .rsplit_once('/')
                    .map_or(String::new(), |(d, _)| d.to_owned())
            };
            let joined = format!("{base}/{target}{}", &current[i..]);
            let mut parts: Vec<&str> = Vec::new();
            for c in joined.split('/') {
                match c {
                    "" | "." => {}
                    ".." => {
                        parts.pop();
                    }
                    c => parts.push(c),
                }
            }
            current = parts.join("/");
        }
        path.to_owned()
    }

    impl Model {
        fn apply(layers: &[LayerIndex]) -> Model {
            let mut conflict = false;
            let mut state = State::new();
            let mut states = Vec::new();
            let mut changes = Vec::new();
            for (i, index) in layers.iter().enumerate() {
                let before = state.clone();
                // Extraction follows the symlinks the layers below left (containerd, umoci):
                // each entry's path, as it lands.
                // Whiteouts find what they remove as the layers below have it; what the
                // layer writes lands after its own whiteouts ran.
                let removed_at = |p: &str| follow_links(&before, index, p);
                if index.root_opaque() {
                    state.clear();
                }
                for e in index.entries().filter(|e| e.whiteout) {
                    let path = removed_at(e.path);
                    state.retain(|p, _| !is_within(p, &path));
                }
                for e in index.entries().filter(|e| e.opaque) {
                    let path = removed_at(e.path);
                    state.retain(|p, _| !(is_within(p, &path) && *p != path));
                }
                let after_removals = state.clone();
                let at = |p: &str| follow_links(&after_removals, index, p);
                for e in index.entries() {
                    let Some(kind) = e.kind else { continue };
                    let path = at(e.path);
                    if path != e.path
                        && path.match_indices('/').any(|(end, _)| {
                            index
                                .get(&path[..end])
                                .is_some_and(|d| d.kind.is_some_and(|k| k != FileType::Dir))
                        })
                    {
                        conflict = true;
                    }
                    // A directory the tar only implies never replaces a symlink below:
                    // extraction goes through the link instead.
                    let below_link = after_removals
                        .get(&path)
                        .is_some_and(|(v, _)| v.kind == FileType::Symlink);
                    if e.implicit && below_link && state.contains_key(&path) {
                        continue;
                    }
                    // The directories a followed path needs are made as it lands (over
                    // anything else there, as an implied directory always is).
                    for (end, _) in path.match_indices('/') {
                        let dir = &path[..end];
                        let is_dir = state.get(dir).is_some_and(|(v, _)| v.kind == FileType::Dir);
                        if !is_dir {
                            let v = Version {
                                layer: i,
                                kind: FileType::Dir,
                                size: 0,
                                mode: 0o755,
                                link: None,
                            };
                            state.insert(dir.to_owned(), (v, (i, dir.to_owned())));
                        }
                    }
                    let existing_dir = state
                        .get(&path)
                        .is_some_and(|(v, _)| v.kind == FileType::Dir);
                    if kind == FileType::Dir && existing_dir && e.implicit {
                        continue;
                    }
                    if !(kind == FileType::Dir && existing_dir) {
                        state.retain(|p, _| !is_within(p, &path));
                    }
                    let v = Version {
                        layer: i,
                        kind,
                        size: e.size,
                        mode: e.mode,
                        link: e.link_target.map(|t| match kind {
                            FileType::Hardlink => format!("/{t}"),
                            _ => t.to_owned(),
                        }),
                    };
                    state.insert(path.clone(), (v, (i, path.clone())));
                }
                let mut diff = Vec::new();
                for (p, (v, id)) in &state {
                    match before.get(p) {
                        None => diff.push((p.clone(), ChangeKind::Added)),
                        Some((b, bid)) if bid != id => {
                            let same_dir = b.kind == FileType::Dir
                                && v.kind == FileType::Dir
                                && b.mode == v.mode;
                            if !same_dir {
                                diff.push((p.clone(), ChangeKind::Modified));
                            }
                        }
                        Some(_) => {}
                    }
                }
                for p in before.keys().filter(|p| !state.contains_key(*p)) {
                    diff.push((p.clone(), ChangeKind::Removed));
                }
                diff.sort();
                changes.push(diff);
                states.push(state.clone());
            }
            Model {
                states,
                changes,
                conflict,
            }
        }

        fn final_view(&self) -> BTreeMap<String, Version> {
            self.states
                .last()
                .map(|s| s.iter().map(|(p, (v, _))| (p.clone(), v.clone())).collect())
                .unwrap_or_default()
        }

        /// Bytes of `layer`'s files that are gone from the final view.
        fn wasted(&self, layer: usize) -> u64 {
            let last = self.states.last().unwrap();
            self.states[layer]
                .iter()
                .filter(|(_, (v, id))| {
                    id.0 == layer
                        && v.kind == FileType::File
                        && !last.values().any(|(_, lid)| lid == id)
                })
                .map(|(_, (v, _))| v.size)
                .sum()
        }
    }
}
