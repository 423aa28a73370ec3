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

    /// 256 cases, or `PROPTEST_CASES` (`PROPTEST_CASES=5000 cargo test --release -p
    /// porthole-engine --test layers_props` for a longer run).
    fn cases() -> u32 {
        std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(256)
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

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
            let model = Model::apply(&stack);
            prop_assume!(!model.refused);

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

    /// The OCI rules applied literally, layer by layer, to a map of paths, as extraction
    /// applies them: a layer's whiteouts and opaque markers first (they remove what the
    /// layers below left), then its entries in tar order, each resolved through the
    /// symlinks on the way as a chroot would, whichever layer made them.
    struct Model {
        /// After each layer.
        states: Vec<State>,
        changes: Vec<Vec<(String, ChangeKind)>>,
        /// A path goes through a loop of symlinks: extraction refuses the layer, so the
        /// stack says nothing about the rules.
        refused: bool,
    }

    /// Where `path` is in `state`, its symlinks followed (the last component too with
    /// `follow_last`), `..` stopping at the root and absolute targets starting from it.
    /// With `make` (a layer's entry, of layer `make`), missing directories and
    /// non-directories on the way become new directories; without (a marker), a path
    /// that does not lead through directories is `Ok(None)`. `Err` for a loop of links.
    fn resolve(
        state: &mut State,
        path: &str,
        follow_last: bool,
        make: Option<usize>,
    ) -> Result<Option<String>, ()> {
        let mut rest: Vec<String> = path.split('/').rev().map(str::to_owned).collect();
        let mut done: Vec<String> = Vec::new();
        let mut hops = 0;
        while let Some(part) = rest.pop() {
            match part.as_str() {
                "" | "." => continue,
                ".." => {
                    done.pop();
                    continue;
                }
                _ => done.push(part),
            }
            if rest.is_empty() && !follow_last {
                break;
            }
            let here = done.join("/");
            match state.get(&here).map(|(v, _)| v.clone()) {
                Some(v) if v.kind == FileType::Symlink => {
                    hops += 1;
                    if hops > 40 {
                        return Err(());
                    }
                    let target = v.link.unwrap_or_default();
                    done.pop();
                    if target.starts_with('/') {
                        done.clear();
                    }
                    rest.extend(target.split('/').rev().map(str::to_owned));
                }
                Some(v) if v.kind == FileType::Dir => {}
                _ if rest.is_empty() => {}
                _ => match make {
                    Some(layer) => {
                        let v = Version {
                            layer,
                            kind: FileType::Dir,
                            size: 0,
                            mode: 0o755,
                            link: None,
                        };
                        state.insert(here.clone(), (v, (layer, here)));
                    }
                    None => return Ok(None),
                },
            }
        }
        Ok(Some(done.join("/")))
    }

    impl Model {
        fn apply(stack: &[Vec<(String, Op)>]) -> Model {
            let mut refused = false;
            let mut state = State::new();
            let mut states = Vec::new();
            let mut changes = Vec::new();
            for (i, ops) in stack.iter().enumerate() {
                let before = state.clone();
                for (path, op) in ops {
                    let follow_last = match op {
                        Op::Whiteout => false,
                        Op::Opaque => true,
                        _ => continue,
                    };
                    // Each marker is found as the layers below left the path, whatever
                    // the layer's other markers remove.
                    let mut below = before.clone();
                    let Ok(Some(at)) = resolve(&mut below, path, follow_last, None) else {
                        continue;
                    };
                    match op {
                        Op::Whiteout => state.retain(|p, _| !is_within(p, &at)),
                        _ => state.retain(|p, _| !(is_within(p, &at) && *p != at)),
                    }
                }
                for (path, op) in ops {
                    let (kind, size, mode, link) = match op {
                        Op::File(n) => (FileType::File, *n as u64, 0o644, None),
                        Op::Dir(mode) => (FileType::Dir, 0, *mode, None),
                        Op::Symlink(t) => (FileType::Symlink, 0, 0o777, Some((*t).to_owned())),
                        Op::Whiteout | Op::Opaque => continue,
                    };
                    let at = match resolve(&mut state, path, false, Some(i)) {
                        Ok(Some(at)) => at,
                        _ => {
                            refused = true;
                            continue;
                        }
                    };
                    let existing_dir = state.get(&at).is_some_and(|(v, _)| v.kind == FileType::Dir);
                    if !(kind == FileType::Dir && existing_dir) {
                        state.retain(|p, _| !is_within(p, &at));
                    }
                    let v = Version {
                        layer: i,
                        kind,
                        size,
                        mode,
                        link,
                    };
                    state.insert(at.clone(), (v, (i, at)));
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
                refused,
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
