//! Reading one file's bytes out of an image (`porthole cat`, the app's file viewer),
//! checked against what `umoci unpack` extracts from the same image: files written
//! through a lower layer's symlink, hard links in one layer and to a lower layer's file,
//! files overwritten by later steps, symlinks followed inside the image (never out of
//! it), files larger than what is kept in memory, and a layer whose blob no longer
//! matches its diff_id.

mod layers_support;

mod layers_content {
    use std::fs;
    use std::os::unix::fs::MetadataExt;
    use std::path::Path;
    use std::process::Command;

    use porthole_engine::Digest;
    use porthole_engine::compare::{ContentChange, diff_content};
    use porthole_engine::layers::{FileType, ImageLayers, LayerError, read_file, resolve};
    use porthole_engine::store::Store;

    use super::layers_support::*;

    fn never() -> bool {
        false
    }

    /// The bytes `read_file` gives for `path`, with what it says of them.
    fn cat(store: &Store, view: &ImageLayers, path: &str) -> Result<Vec<u8>, LayerError> {
        let mut out = Vec::new();
        let read = read_file(store, view, path, &mut out, None, &never)?;
        assert_eq!(read.size, out.len() as u64, "{path}");
        assert_eq!(read.written, read.size, "{path}");
        assert!(!read.truncated, "{path}");
        assert_eq!(read.sha256, Digest::of(&out), "{path}");
        Ok(out)
    }

    /// A hard link entry to `target`, a file the layer does not hold (one of a lower
    /// layer's), as a Python `tarfile` writes it: GNU tar cannot.
    fn tar_with_link_below(dir: &Path, tar: &Path, link: &str, target: &str) {
        sh(
            dir,
            &format!(
                r#"python3 - <<'EOF'
import tarfile
with tarfile.open("{tar}", "w", format=tarfile.PAX_FORMAT) as t:
    info = tarfile.TarInfo("{link}")
    info.type = tarfile.LNKTYPE
    info.linkname = "{target}"
    t.addfile(info)
EOF"#,
                tar = tar.display()
            ),
        );
    }

    /// A layer (raw tar, as a Python `tarfile` writes it) that writes through a symlink
    /// it has just made, `twin -> usr/lib` then `twin/own-link` (extraction follows the
    /// link: `usr/lib/own-link`), and replaces `usr/bin/dash`, which earlier layers
    /// hard-link: the links keep the old file.
    fn tar_through_own_link(dir: &Path, tar: &Path) {
        sh(
            dir,
            &format!(
                r#"python3 - <<'EOF'
import io, tarfile
with tarfile.open("{tar}", "w", format=tarfile.PAX_FORMAT) as t:
    link = tarfile.TarInfo("twin")
    link.type = tarfile.SYMTYPE
    link.linkname = "usr/lib"
    t.addfile(link)
    for name, data in [("twin/own-link", b"through the layer's own link"), ("usr/bin/dash", b"new dash")]:
        info = tarfile.TarInfo(name)
        info.size = len(data)
        info.mode = 0o755
        t.addfile(info, io.BytesIO(data))
EOF"#,
                tar = tar.display()
            ),
        );
    }

    /// Four layers: a base with a merged-/usr style `bin -> usr/bin`, hard links and a
    /// 3 MB file; a layer writing through the symlink, overwriting a file and escaping
    /// links; a layer (raw tar) with a hard link to a file of the base; a layer (raw tar)
    /// writing through its own symlink and replacing the hard links' target.
    fn image() -> Umoci {
        let img = Umoci::new();
        img.layer(
            "base",
            "mkdir -p usr/bin usr/lib etc
             printf 'dash binary' > usr/bin/dash; ln usr/bin/dash usr/bin/dash-hard
             ln -s usr/bin bin
             printf 'ID=test\\n' > usr/lib/os-release; ln -s ../usr/lib/os-release etc/os-release
             printf 'root:x:0:0:image root:/root:/bin/sh\\n' > etc/passwd
             printf one > etc/hostname
             head -c 3000000 /dev/urandom > usr/lib/big
             : > etc/empty",
            "--format=pax .",
        );
        img.layer(
            "upper",
            "mkdir -p bin etc srv
             printf 'tool via bin' > bin/tool
             printf two > etc/hostname
             ln -s ../../../../../etc srv/up; ln -s /etc srv/abs; ln -s /srv/abs/passwd srv/chain
             ln -s loop-b srv/loop-a; ln -s loop-a srv/loop-b
             ln -s etc/hostname srv/rel-from-root",
            "--format=gnu bin/tool etc/hostname srv",
        );
        let tar = img.dir.join("below.tar");
        tar_with_link_below(&img.dir, &tar, "opt/dash-again", "usr/bin/dash");
        run(Command::new("umoci")
            .args([
                "raw",
                "add-layer",
                "--history.created_by",
                "link below",
                "--image",
            ])
            .arg(self_image(&img.layout))
            .arg(&tar));
        let tar = img.dir.join("own-link.tar");
        tar_through_own_link(&img.dir, &tar);
        run(Command::new("umoci")
            .args([
                "raw",
                "add-layer",
                "--history.created_by",
                "own link",
                "--image",
            ])
            .arg(self_image(&img.layout))
            .arg(&tar));
        img
    }

    #[test]
    fn every_file_reads_as_umoci_unpacks_it() {
        let img = image();
        let rootfs = img.unpack();
        let store = img.store();
        let view = img.load();
        let mut checked = 0;
        for (path, seen) in walk_dir(&rootfs) {
            let meta = fs::symlink_metadata(rootfs.join(path.trim_start_matches('/'))).unwrap();
            if !meta.is_file() {
                continue;
            }
            let want = fs::read(rootfs.join(path.trim_start_matches('/'))).unwrap();
            assert_eq!(
                cat(&store, &view, &path).unwrap(),
                want,
                "{path} ({seen:?})"
            );
            checked += 1;
        }
        // dash, dash-hard, os-release, passwd, hostname, big, empty, tool, dash-again,
        // own-link.
        assert_eq!(checked, 10);
        // umoci extracts the link to the base's file as a hard link to it, as we read it;
        // the last layer's `usr/bin/dash` is a new file, which the links do not share.
        let hard = fs::metadata(rootfs.join("usr/bin/dash-hard")).unwrap();
        let again = fs::metadata(rootfs.join("opt/dash-again")).unwrap();
        assert_eq!(hard.ino(), again.ino());
        assert_eq!(
            cat(&store, &view, "/opt/dash-again").unwrap(),
            b"dash binary"
        );
        assert_eq!(cat(&store, &view, "/usr/bin/dash").unwrap(), b"new dash");
        let link = view.get("/usr/bin/dash-hard").unwrap();
        assert_eq!((link.size, link.mode), (11, 0o644), "the link's own file");
        assert_eq!(view.get("/twin").unwrap().kind, FileType::Symlink);
        assert!(view.get("/twin/own-link").is_none());
    }

    #[test]
    fn symlinks_are_followed_inside_the_image_only() {
        let img = image();
        let store = img.store();
        let view = img.load();
        let passwd = b"root:x:0:0:image root:/root:/bin/sh\n".to_vec();
        for path in [
            "/srv/up/passwd",
            "/srv/abs/passwd",
            "/srv/chain",
            "/../../etc/passwd",
            "/usr/../../etc/./passwd",
        ] {
            assert_eq!(cat(&store, &view, path).unwrap(), passwd, "{path}");
        }
        assert_eq!(cat(&store, &view, "/bin/tool").unwrap(), b"tool via bin");
        assert_eq!(cat(&store, &view, "/bin/dash").unwrap(), b"new dash");
        assert_eq!(
            cat(&store, &view, "/bin/dash-hard").unwrap(),
            b"dash binary"
        );
        assert_eq!(
            cat(&store, &view, "/twin/own-link").unwrap(),
            b"through the layer's own link"
        );
        assert_eq!(cat(&store, &view, "/etc/os-release").unwrap(), b"ID=test\n");
        // A relative target is relative to the link's directory: `srv/etc/hostname`.
        assert!(matches!(
            cat(&store, &view, "/srv/rel-from-root"),
            Err(LayerError::PathNotFound { path }) if path == "/srv/etc"
        ));

        let entry = resolve(&view, "/bin/tool", true).unwrap();
        assert_eq!(entry.path, "/usr/bin/tool");
        assert_eq!(
            resolve(&view, "/bin", false).unwrap().kind,
            FileType::Symlink
        );
    }

    #[test]
    fn what_cannot_be_read_says_why() {
        let img = image();
        let store = img.store();
        let view = img.load();
        let err = |path: &str| cat(&store, &view, path).unwrap_err();
        assert!(matches!(
            err("/srv/loop-a"),
            LayerError::TooManyLinks { .. }
        ));
        assert!(matches!(
            err("/usr/bin"),
            LayerError::NotAFile {
                kind: FileType::Dir,
                ..
            }
        ));
        assert!(matches!(err("/"), LayerError::NotAFile { .. }));
        assert!(matches!(
            err("/etc/passwd/x"),
            LayerError::NotADirectory { path } if path == "/etc/passwd"
        ));
        assert!(matches!(
            err("/no/such"),
            LayerError::PathNotFound { path } if path == "/no"
        ));
        assert_eq!(
            err("/srv/loop-a").to_string(),
            "`/srv/loop-a`: too many levels of symbolic links (more than 40), or a loop of them"
        );
    }

    #[test]
    fn a_step_shows_the_file_as_it_left_it() {
        let img = image();
        let store = img.store();
        let view = img.load();
        assert_eq!(cat(&store, &view, "/etc/hostname").unwrap(), b"two");
        let base = view.as_of_step(0).unwrap();
        assert_eq!(cat(&store, &base, "/etc/hostname").unwrap(), b"one");
        assert!(matches!(
            cat(&store, &base, "/bin/tool"),
            Err(LayerError::PathNotFound { .. })
        ));
        assert!(matches!(
            view.as_of_step(9),
            Err(LayerError::NoSuchLayer { layer: 9, .. })
        ));
    }

    #[test]
    fn a_limit_keeps_the_head_and_hashes_the_whole_file() {
        let img = image();
        let rootfs = img.unpack();
        let store = img.store();
        let view = img.load();
        let want = fs::read(rootfs.join("usr/lib/big")).unwrap();
        for limit in [0u64, 1000, 1 << 20, (1 << 20) + 1, 2_500_000] {
            let mut out = Vec::new();
            let read =
                read_file(&store, &view, "/usr/lib/big", &mut out, Some(limit), &never).unwrap();
            assert_eq!(out, want[..limit as usize], "limit {limit}");
            assert_eq!(read.written, limit);
            assert_eq!(read.size, 3_000_000);
            assert!(read.truncated);
            assert_eq!(read.sha256, Digest::of(&want));
        }
        // Over the in-memory part: the rest comes back from the temporary file.
        assert_eq!(cat(&store, &view, "/usr/lib/big").unwrap(), want);
    }

    #[test]
    fn a_read_can_be_cancelled() {
        let img = image();
        let store = img.store();
        let view = img.load();
        let mut out = Vec::new();
        let err = read_file(&store, &view, "/usr/lib/big", &mut out, None, &|| true).unwrap_err();
        assert!(matches!(err, LayerError::ReadCancelled { .. }), "{err}");
        assert!(out.is_empty());
    }

    #[test]
    fn a_layer_that_no_longer_matches_its_diff_id_gives_nothing_out() {
        let img = image();
        let store = img.store();
        let view = img.load();
        // The index is cached; now the blob on disk changes under it (a damaged disk):
        // still a valid gzip tar holding the file, but not the layer the config names.
        let layer = &view.layers()[1];
        let blob = store.blob_path(layer.digest());
        let work = img.dir.join("tamper");
        fs::create_dir_all(work.join("etc")).unwrap();
        fs::write(work.join("etc/hostname"), "tampered").unwrap();
        sh(
            &work,
            &format!("tar -czf {} etc/hostname", img.dir.join("t.tgz").display()),
        );
        let mut perms = fs::metadata(&blob).unwrap().permissions();
        #[allow(clippy::permissions_set_readonly_false)]
        perms.set_readonly(false);
        fs::set_permissions(&blob, perms).unwrap();
        fs::copy(img.dir.join("t.tgz"), &blob).unwrap();

        let mut out = Vec::new();
        let err = read_file(&store, &view, "/etc/hostname", &mut out, None, &never).unwrap_err();
        assert!(matches!(err, LayerError::DiffIdMismatch { .. }), "{err}");
        assert!(out.is_empty(), "nothing unverified is handed out");
    }

    /// The unified diff of a file between two steps is what GNU `diff -u` prints for the
    /// two versions umoci extracts (hunks, context, "No newline at end of file").
    #[test]
    fn a_files_diff_between_two_views_is_what_diff_u_prints() {
        let img = Umoci::new();
        img.layer(
            "base",
            "mkdir etc; seq 1 40 | sed 's/^/line /' > etc/app.conf; printf one > etc/hostname
             printf 'same' > etc/same; head -c 3000 /dev/urandom > etc/blob
             head -c 1500000 /dev/zero | tr '\\0' a > etc/huge",
            "--format=pax .",
        );
        let base_root = img.dir.join("base-root");
        run(Command::new("cp")
            .arg("-a")
            .arg(img.unpack())
            .arg(&base_root));
        img.layer(
            "edit",
            "mkdir etc; seq 1 40 | sed 's/^/line /; s/^line 3$/line three/; s/^line 30$/line thirty/' > etc/app.conf
             echo 'line 41' >> etc/app.conf; printf two > etc/hostname; printf 'same' > etc/same
             printf 'new file\\n' > etc/new; head -c 3000 /dev/urandom > etc/blob
             head -c 1500000 /dev/zero | tr '\\0' b > etc/huge",
            "--format=pax .",
        );
        let top_root = img.unpack();
        let store = img.store();
        let view = img.load();
        let base = view.as_of_step(0).unwrap();

        for name in ["app.conf", "hostname"] {
            let path = format!("/etc/{name}");
            let diff = diff_content(&store, &base, &view, &path, ("a", "b")).unwrap();
            let ContentChange::Text { unified, .. } = &diff.change else {
                panic!("{path}: {:?}", diff.change);
            };
            let gnu = Command::new("diff")
                .arg("-u")
                .args([
                    "--label",
                    &format!("a{path}"),
                    "--label",
                    &format!("b{path}"),
                ])
                .arg(base_root.join("etc").join(name))
                .arg(top_root.join("etc").join(name))
                .output()
                .unwrap();
            assert_eq!(unified, &String::from_utf8(gnu.stdout).unwrap(), "{path}");
            assert_eq!(diff.base.as_ref().unwrap().layer, 0);
            assert_eq!(diff.target.as_ref().unwrap().layer, 1);
        }
        let conf = diff_content(&store, &base, &view, "/etc/app.conf", ("a", "b")).unwrap();
        assert!(matches!(
            conf.change,
            ContentChange::Text {
                lines_added: 3,
                lines_removed: 2,
                ..
            }
        ));

        let same = diff_content(&store, &base, &view, "/etc/same", ("a", "b")).unwrap();
        assert_eq!(
            same.change,
            ContentChange::Identical,
            "rewritten, same bytes"
        );
        let added = diff_content(&store, &base, &view, "/etc/new", ("a", "b")).unwrap();
        assert!(added.base.is_none());
        let ContentChange::Text { unified, .. } = added.change else {
            panic!("text");
        };
        assert!(unified.ends_with("@@ -0,0 +1 @@\n+new file\n"), "{unified}");
        let blob = diff_content(&store, &base, &view, "/etc/blob", ("a", "b")).unwrap();
        assert_eq!(blob.change, ContentChange::Binary);
        let huge = diff_content(&store, &base, &view, "/etc/huge", ("a", "b")).unwrap();
        assert_eq!(huge.change, ContentChange::TooLarge);
        assert_ne!(huge.base.unwrap().sha256, huge.target.unwrap().sha256);
        assert!(matches!(
            diff_content(&store, &base, &view, "/etc/none", ("a", "b")),
            Err(LayerError::InNeitherImage { .. })
        ));
    }
}
