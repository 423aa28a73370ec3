//! Stacking layers: images built with umoci from layers GNU tar wrote (whiteouts of files
//! and of whole directories, opaque directories, paths re-added after removal, a directory
//! replaced by a file, implied parent directories), checked against what `umoci unpack`
//! extracts; the changes and wasted bytes each step reports; the index cache; diff_ids.

mod layers_support;

mod layers_merge {
    use std::fs;
    use std::path::Path;
    use std::process::Command;
    use std::time::Instant;

    use porthole_engine::Digest;
    use porthole_engine::layers::{
        CACHE_FORMAT_VERSION, ChangeKind, FileType, ImageLayers, LayerError, LayerIndex,
        LayerIndexer, cache_path,
    };
    use porthole_engine::store::Store;
    use serde_json::json;

    use super::layers_support::*;

    /// Four layers exercising every whiteout rule, plus a config-only step.
    fn whiteout_image() -> Umoci {
        let img = Umoci::new();
        img.layer(
            "base",
            "mkdir -p etc/apt usr/share/doc/a usr/share/doc/b var/cache bin usr/bin tmp
             printf motd > etc/motd; printf host > etc/hostname; printf src > etc/apt/sources.list
             printf a > usr/share/doc/a/copyright; printf bb > usr/share/doc/b/copyright
             head -c 1000 /dev/zero > var/cache/1; head -c 500 /dev/zero > var/cache/2
             printf dash > usr/bin/dash; ln -s dash bin/sh; ln usr/bin/dash usr/bin/hard
             chmod 1777 tmp; chown 1000:1000 etc/motd",
            "--format=pax .",
        );
        img.config_step();
        img.layer(
            "whiteouts",
            "mkdir -p etc usr/share var/cache usr/bin bin
             touch etc/.wh.motd usr/share/.wh.doc var/cache/.wh..wh..opq usr/bin/.wh.hard
             printf three > var/cache/3; printf host2 > etc/hostname
             ln -s bash bin/sh; chmod 700 etc",
            "--format=pax .",
        );
        // Bare paths, no directory entries: the parents are implied.
        img.layer(
            "readd",
            "mkdir -p usr/share/doc/a var; printf again > usr/share/doc/a/copyright
             printf file > var/cache; printf back > etc-motd-not-a-dir",
            "--format=gnu usr/share/doc/a/copyright var/cache etc-motd-not-a-dir",
        );
        // A whiteout and a re-add of the same directory in one layer.
        img.layer(
            "same-layer",
            "mkdir -p etc/apt; touch etc/.wh.apt; printf new > etc/apt/new.list",
            "--format=pax etc/.wh.apt etc/apt",
        );
        img
    }

    #[test]
    fn the_merged_view_equals_what_umoci_unpacks() {
        let img = whiteout_image();
        let layers = img.load();
        assert_same_view(&merged_view(&layers), &img.unpacked(), "whiteout image");
        // Spot checks of the rules themselves.
        let view = merged_view(&layers);
        assert!(!view.contains_key("etc/motd"), "a whited-out file is gone");
        assert!(
            !view.contains_key("usr/share/doc/b"),
            "a whited-out directory is gone whole"
        );
        assert_eq!(
            view["usr/share/doc/a/copyright"].size, 5,
            "re-added after removal"
        );
        assert!(
            !view.contains_key("etc/apt/sources.list"),
            "lower content of a re-made dir"
        );
        assert!(view.contains_key("etc/apt/new.list"));
        assert_eq!(
            view["var/cache"].kind, "file",
            "a directory replaced by a file"
        );
        assert_eq!(view["bin/sh"].link.as_deref(), Some("bash"));
        assert_eq!(view["etc"].mode, 0o700);
    }

    /// Paths under a lower layer's symlink land where extraction puts them: through the
    /// link (relative, absolute, chained), unless the layer writes a directory there itself.
    #[test]
    fn paths_through_lower_symlinks_land_where_umoci_puts_them() {
        let img = Umoci::new();
        img.layer(
            "links",
            "mkdir -p usr/lib opt/real/deep srv
             ln -s usr/lib lib; ln -s /opt/real abs; ln -s abs chain; ln -s real/deep opt/deep
             ln -s usr/lib srv/replaced
             printf old > usr/lib/gone; printf keep > usr/lib/kept",
            "--format=pax .",
        );
        img.layer(
            "through",
            "mkdir -p lib abs chain/deep opt/deep srv/replaced
             printf x > lib/x; printf y > abs/y; printf z > chain/deep/z; printf w > opt/deep/w
             printf r > srv/replaced/r; touch lib/.wh.gone",
            // srv/replaced is listed as a directory of its own: it replaces the link.
            "--format=pax lib/x lib/.wh.gone abs/y chain/deep/z opt/deep/w srv/replaced",
        );
        let layers = img.load();
        let view = merged_view(&layers);
        assert_same_view(&view, &img.unpacked(), "symlink image");
        for (path, kind) in [
            ("usr/lib/x", "file"),
            ("opt/real/y", "file"),
            ("opt/real/deep/z", "file"),
            ("opt/real/deep/w", "file"),
            ("lib", "symlink"),
            ("srv/replaced", "dir"),
            ("srv/replaced/r", "file"),
        ] {
            assert_eq!(view.get(path).map(|s| s.kind), Some(kind), "{path}");
        }
        assert!(
            !view.contains_key("usr/lib/gone"),
            "whited out through the link"
        );
        assert!(view.contains_key("usr/lib/kept"));
        assert!(!view.contains_key("lib/x"));
    }

    #[test]
    fn each_step_reports_what_it_added_modified_and_removed() {
        let img = whiteout_image();
        let layers = img.load();
        let steps = layers.steps();
        assert_eq!(steps.len(), 5, "{steps:#?}");
        assert_eq!(steps[1].digest, None, "the config step has no layer");
        assert!(steps[1].empty_layer);
        assert_eq!(steps[2].created_by.as_deref(), Some("layer whiteouts"));

        let changes = |step: usize, path: &str| -> Vec<(String, ChangeKind)> {
            layers
                .layer_changes(step, path, None)
                .unwrap()
                .into_iter()
                .map(|c| (c.entry.path, c.change))
                .collect()
        };
        use ChangeKind::*;
        let s = |p: &str, k: ChangeKind| (p.to_owned(), k);
        assert_eq!(
            changes(2, "/"),
            [
                s("/bin/sh", Modified),
                s("/etc", Modified),
                s("/etc/hostname", Modified),
                s("/etc/motd", Removed),
                s("/usr/bin/hard", Removed),
                s("/usr/share/doc", Removed),
                s("/usr/share/doc/a", Removed),
                s("/usr/share/doc/a/copyright", Removed),
                s("/usr/share/doc/b", Removed),
                s("/usr/share/doc/b/copyright", Removed),
                s("/var/cache/1", Removed),
                s("/var/cache/2", Removed),
                s("/var/cache/3", Added),
            ]
        );
        assert_eq!(
            (steps[2].added, steps[2].modified, steps[2].removed),
            (1, 3, 9)
        );
        assert_eq!(
            changes(3, "/"),
            [
                s("/etc-motd-not-a-dir", Added),
                s("/usr/share/doc", Added),
                s("/usr/share/doc/a", Added),
                s("/usr/share/doc/a/copyright", Added),
                s("/var/cache", Modified),
                s("/var/cache/3", Removed),
            ]
        );
        assert_eq!(
            changes(4, "/etc"),
            [
                s("/etc/apt/new.list", Added),
                s("/etc/apt/sources.list", Removed),
            ]
        );
        // Depth limits: the directory and its children only.
        assert_eq!(
            changes(2, "/usr/share").len(),
            5,
            "everything under /usr/share"
        );
        assert_eq!(
            layers
                .layer_changes(2, "/usr/share", Some(1))
                .unwrap()
                .len(),
            1
        );
        assert!(layers.layer_changes(1, "/", None).unwrap().is_empty());
        assert!(matches!(
            layers.layer_changes(9, "/", None),
            Err(LayerError::NoSuchLayer { layer: 9, steps: 5 })
        ));

        let history: Vec<(usize, ChangeKind)> = layers
            .path_history("/usr/share/doc/a/copyright")
            .into_iter()
            .map(|c| (c.entry.layer, c.change))
            .collect();
        assert_eq!(history, [(0, Added), (2, Removed), (3, Added)]);
    }

    #[test]
    fn tree_queries_answer_from_the_final_filesystem() {
        let img = whiteout_image();
        let layers = img.load();
        let etc = layers.tree("/etc", None).unwrap();
        let paths: Vec<&str> = etc.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(
            paths,
            ["/etc", "/etc/apt", "/etc/apt/new.list", "/etc/hostname"]
        );
        let hostname = &etc[3];
        assert_eq!(
            (hostname.kind, hostname.size, hostname.layer),
            (FileType::File, 5, 2)
        );
        let top: Vec<String> = layers
            .children("/")
            .unwrap()
            .into_iter()
            .map(|e| e.path)
            .collect();
        assert_eq!(
            top,
            [
                "/bin",
                "/etc",
                "/etc-motd-not-a-dir",
                "/tmp",
                "/usr",
                "/var"
            ]
        );
        assert_eq!(layers.tree("/usr", Some(1)).unwrap().len(), 3);
        assert_eq!(layers.tree("etc/hostname/", None).unwrap().len(), 1);
        assert!(matches!(
            layers.tree("/nope", None),
            Err(LayerError::PathNotFound { .. })
        ));
        let largest: Vec<(String, u64)> = layers
            .largest_files(2)
            .into_iter()
            .map(|e| (e.path, e.size))
            .collect();
        assert_eq!(
            largest,
            [
                ("/etc/hostname".to_owned(), 5),
                ("/usr/share/doc/a/copyright".to_owned(), 5)
            ]
        );
        let found: Vec<String> = layers
            .search("COPY", 10)
            .into_iter()
            .map(|e| e.path)
            .collect();
        assert_eq!(found, ["/usr/share/doc/a/copyright"]);
        assert_eq!(layers.search("/usr/share/doc/", 10).len(), 2);
        assert_eq!(layers.get("/tmp").unwrap().mode, 0o1777);
    }

    #[test]
    fn wasted_space_follows_dive() {
        let img = Umoci::new();
        img.layer(
            "one",
            "mkdir d; head -c 1000 /dev/zero > d/f; head -c 500 /dev/zero > d/g; \
             head -c 100 /dev/zero > keep",
            "--format=pax d keep",
        );
        img.layer(
            "two",
            "mkdir d; head -c 300 /dev/zero > d/f",
            "--format=pax d/f",
        );
        img.layer("three", "mkdir d; touch d/.wh.g", "--format=pax d/.wh.g");
        let layers = img.load();
        let e = layers.efficiency();
        // dive: d/f is seen twice (1000 + 300), d/g twice (500 + a whiteout counted 0).
        assert_eq!(e.wasted_bytes, 1800);
        let files: Vec<(&str, u32, u64)> = e
            .inefficient_files
            .iter()
            .map(|f| (f.path.as_str(), f.count, f.wasted_bytes))
            .collect();
        assert_eq!(files, [("/d/f", 2, 1300), ("/d/g", 2, 500)]);
        // Smallest sizes (300 + 0 + 100) over all sizes seen (1300 + 500 + 100).
        assert!((e.score - 400.0 / 1900.0).abs() < 1e-9, "{}", e.score);
        let per_layer: Vec<u64> = e.layers.iter().map(|l| l.wasted_bytes).collect();
        assert_eq!(per_layer, [1500, 0, 0]);
        assert!((e.layers[0].efficiency - 100.0 / 1600.0).abs() < 1e-9);
        let steps = layers.steps();
        assert_eq!(steps[0].wasted_bytes, 1500);
        assert_eq!(
            (steps[2].added, steps[2].modified, steps[2].removed),
            (0, 0, 1)
        );
    }

    #[test]
    fn indexes_are_cached_and_rebuilt_when_stale_or_damaged() {
        let img = whiteout_image();
        let store = img.store();
        let first = img.load();
        let digests: Vec<Digest> = first.layers().iter().map(|l| l.digest().clone()).collect();
        for d in &digests {
            let cached = LayerIndex::load_cached(&store, d).expect("cached after the first load");
            // The layer as its tar is (`layers()` has them stacked: hard links resolved,
            // paths moved through lower symlinks).
            let media_type = first
                .layers()
                .iter()
                .find(|l| l.digest() == d)
                .unwrap()
                .media_type();
            assert_eq!(
                cached,
                LayerIndexer::index_blob(&store, d, media_type).unwrap()
            );
        }

        let path = cache_path(&store, &digests[0]);
        let good = fs::read(&path).unwrap();
        // Damaged: a flipped byte in the body, a cut, garbage, another format version.
        let mut flipped = good.clone();
        let last = flipped.len() - 1;
        flipped[last] ^= 0x40;
        let mut other_version = good.clone();
        other_version[8..12].copy_from_slice(&(CACHE_FORMAT_VERSION + 1).to_le_bytes());
        for bad in [
            flipped,
            good[..good.len() / 2].to_vec(),
            b"junk".to_vec(),
            other_version,
        ] {
            fs::write(&path, &bad).unwrap();
            assert!(LayerIndex::load_cached(&store, &digests[0]).is_none());
            let again = img.load();
            assert_eq!(again.steps(), first.steps());
            assert_eq!(fs::read(&path).unwrap(), good, "rewritten whole");
        }
        // Another layer's index under this name is not used either.
        fs::copy(cache_path(&store, &digests[1]), &path).unwrap();
        assert!(LayerIndex::load_cached(&store, &digests[0]).is_none());
        let started = Instant::now();
        img.load();
        eprintln!("reloaded a 4-layer image in {:?}", started.elapsed());
        assert_eq!(fs::read(&path).unwrap(), good);
    }

    /// A layer's uncompressed content that is not what the config's diff_id promises.
    #[test]
    fn a_diff_id_mismatch_is_an_error_naming_the_layer() {
        let tmp = tempfile::tempdir().unwrap();
        let store = Store::open(tmp.path().join("store")).unwrap();
        let src = tmp.path().join("src");
        fs::create_dir(&src).unwrap();
        sh(
            &src,
            "printf hi > hello && tar -cf ../layer.tar hello && gzip -n ../layer.tar",
        );
        let layer = fs::read(tmp.path().join("layer.tar.gz")).unwrap();
        let layer_digest = Digest::of(&layer);
        let wrong = Digest::of(b"not the tar");
        // The config promises a diff_id that is not the layer's.
        let image = write_image(
            &store,
            "example.com/bad:1",
            &[(layer, "application/vnd.oci.image.layer.v1.tar+gzip")],
            &[b"not the tar".to_vec()],
            json!([{"created_by": "ADD hello"}]),
        );
        let Err(err) = ImageLayers::load(&store, &image) else {
            panic!("expected a diff_id mismatch, got an image");
        };
        let text = err.to_string();
        let LayerError::DiffIdMismatch {
            layer,
            expected,
            found,
        } = err
        else {
            panic!("expected a diff_id mismatch, got {err}");
        };
        assert_eq!(layer, layer_digest);
        assert_eq!(expected, wrong);
        assert_eq!(found, sha256sum_of(&tmp.path().join("layer.tar.gz")));
        assert!(text.contains(&layer_digest.to_string()), "{text}");
    }

    /// The diff_id by the real tools: `gunzip | sha256sum`.
    fn sha256sum_of(gz: &Path) -> Digest {
        let out = run(Command::new("sh")
            .arg("-c")
            .arg(format!("gunzip -c {} | sha256sum", gz.display())));
        format!("sha256:{}", &String::from_utf8(out).unwrap()[..64])
            .parse()
            .unwrap()
    }
}
