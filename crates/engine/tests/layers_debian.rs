//! A real distribution: a Debian bookworm minbase rootfs made by debootstrap, turned into
//! layers by GNU tar (PAX and GNU formats) and into an image by umoci (`repack` writes the
//! base layer, then a layer of whiteouts for what was deleted; a GNU tar layer adds an
//! opaque directory, long names and a path re-added after removal). The index must match
//! the rootfs itself, and the merged view what `umoci unpack` extracts.
//!
//! The rootfs and the umoci image are built once and kept under
//! /var/tmp/porthole-test-cache (about 40 s the first time). The tests are skipped, saying
//! so, only where debootstrap cannot run (not root, not installed, no mirror).

mod layers_support;

mod layers_debian {
    use std::fs;
    use std::path::{Path, PathBuf};
    use std::process::Command;
    use std::time::Instant;

    use porthole_engine::layers::{ChangeKind, ImageLayers, LayerIndex};
    use porthole_engine::store::Store;

    use super::layers_support::*;

    /// Bump when the recipe below changes, so that old fixtures are not reused.
    const FIXTURE: &str = "umoci-debian-v1";

    /// The umoci image (`layout/`, tag `debian`) and its `umoci unpack` (`unpacked/`).
    fn umoci_image(rootfs: &Path) -> PathBuf {
        cached_fixture(FIXTURE, |work| {
            let long = format!("{}/{}", "d".repeat(150), "f".repeat(150));
            sh(
                work,
                &format!(
                    r#"set -e
                umoci init --layout layout
                umoci new --image layout:debian
                umoci unpack --image layout:debian bundle
                cp -a {rootfs}/. bundle/rootfs/
                umoci repack --refresh-bundle --image layout:debian \
                    --history.created_by "debootstrap --variant=minbase bookworm" bundle
                cd bundle/rootfs
                rm -rf usr/share/doc etc/motd var/lib/apt/lists/*
                printf porthole > etc/hostname
                ln -sf bash usr/bin/sh
                chmod 700 root
                rm -rf var/cache/debconf && printf file > var/cache/debconf
                mkdir -p opt/app && head -c 2000000 /dev/urandom > opt/app/blob
                cd ../..
                umoci repack --refresh-bundle --image layout:debian \
                    --history.created_by "RUN cleanup" bundle
                umoci config --image layout:debian --config.env FOO=bar
                mkdir -p extra/var/log extra/usr/share/doc/bash extra/etc extra/{dir}
                touch extra/var/log/.wh..wh..opq extra/etc/.wh.issue
                printf new > extra/var/log/new.log
                printf again > extra/usr/share/doc/bash/copyright
                printf long > extra/{long}
                ln -s ../../etc/os-release extra/{dir}/link
                ln extra/{long} extra/usr/share/doc/bash/hard-to-long
                (cd extra && tar --format=gnu -cf ../extra.tar var/log usr/share/doc/bash etc/.wh.issue {dir})
                umoci raw add-layer --history.created_by "COPY extra /" --image layout:debian extra.tar
                umoci unpack --image layout:debian unpacked
                rm -rf bundle extra extra.tar"#,
                    rootfs = rootfs.display(),
                    dir = "d".repeat(150),
                ),
            );
        })
    }

    #[test]
    fn the_debian_image_merges_to_what_umoci_unpacks() {
        let Some(rootfs) = debian_rootfs() else {
            return;
        };
        let fixture = umoci_image(&rootfs);
        // A copy, so that the index cache starts empty.
        let tmp = tempfile::tempdir().unwrap();
        let layout = tmp.path().join("layout");
        run(Command::new("cp")
            .arg("-a")
            .arg(fixture.join("layout"))
            .arg(&layout));
        let store = Store::open(&layout).unwrap();
        let image = store.resolve("debian").unwrap();

        let started = Instant::now();
        let layers = ImageLayers::load(&store, &image).unwrap();
        let built = started.elapsed();
        let uncompressed: u64 = layers.layers().iter().map(|l| l.uncompressed_size()).sum();
        eprintln!(
            "indexed {} layers ({} MB uncompressed, {} paths) in {:?}: {:.0} MB/s",
            layers.layers().len(),
            uncompressed / 1_000_000,
            layers.file_count(),
            built,
            uncompressed as f64 / 1e6 / built.as_secs_f64()
        );

        let want = walk_dir(&fixture.join("unpacked/rootfs"));
        assert!(want.len() > 5000, "{} paths", want.len());
        assert_same_view(&merged_view(&layers), &want, "debian image vs umoci unpack");

        let steps = layers.steps();
        let rows: Vec<(Option<&str>, bool)> = steps
            .iter()
            .map(|s| (s.created_by.as_deref(), s.empty_layer))
            .collect();
        assert_eq!(
            rows,
            [
                (Some("debootstrap --variant=minbase bookworm"), false),
                (Some("RUN cleanup"), false),
                (rows[2].0, true),
                (Some("COPY extra /"), false),
            ]
        );
        let base = walk_dir(&rootfs);
        assert_eq!(steps[0].files as usize, base.len());
        // What the cleanup deleted, counted on the rootfs itself.
        let deleted = base
            .keys()
            .filter(|p| {
                p.as_str() == "usr/share/doc"
                    || p.starts_with("usr/share/doc/")
                    || p.as_str() == "etc/motd"
                    || p.starts_with("var/lib/apt/lists/")
                    || p.starts_with("var/cache/debconf/")
            })
            .count();
        assert_eq!(steps[1].removed as usize, deleted);
        // Bytes of the base layer that the cleanup removed (docs and apt lists at least).
        assert!(
            steps[0].wasted_bytes > 10_000_000,
            "{}",
            steps[0].wasted_bytes
        );
        let history: Vec<(usize, ChangeKind)> = layers
            .path_history("/usr/share/doc/bash/copyright")
            .into_iter()
            .map(|c| (c.entry.layer, c.change))
            .collect();
        assert_eq!(
            history,
            [
                (0, ChangeKind::Added),
                (1, ChangeKind::Removed),
                (3, ChangeKind::Added)
            ]
        );
        let e = layers.efficiency();
        assert!(e.score > 0.5 && e.score < 1.0, "{e:?}");
        assert!(e.wasted_bytes > 0);

        // Opened again, from the cache.
        let started = Instant::now();
        let again = ImageLayers::load(&store, &image).unwrap();
        eprintln!(
            "opened the cached index of {} paths in {:?}",
            again.file_count(),
            started.elapsed()
        );
        assert_eq!(again.steps(), steps);
    }

    /// Files read out of the image (`porthole cat`) are byte for byte what `umoci unpack`
    /// extracted: through merged-/usr symlinks, a symlink to a relative path, a hard link
    /// to a long name, `..` after a symlink (taken from where the link led, as the kernel
    /// does), a 2 MB file, a file of the base layer and ones of later layers.
    #[test]
    fn files_read_out_of_the_debian_image_are_what_umoci_unpacks() {
        let Some(rootfs) = debian_rootfs() else {
            return;
        };
        let fixture = umoci_image(&rootfs);
        let store = Store::open(fixture.join("layout")).unwrap();
        let image = store.resolve("debian").unwrap();
        let layers = ImageLayers::load(&store, &image).unwrap();
        let unpacked = fixture.join("unpacked/rootfs");
        let long = format!("{}/{}", "d".repeat(150), "f".repeat(150));
        let link = format!("{}/link", "d".repeat(150));
        for (path, real) in [
            ("/bin/sh", "usr/bin/bash"),
            ("/etc/os-release", "usr/lib/os-release"),
            (
                "/lib/x86_64-linux-gnu/../../../etc/hostname",
                "etc/hostname",
            ),
            ("/usr/bin/perl", "usr/bin/perl"),
            ("/usr/share/doc/bash/hard-to-long", long.as_str()),
            (link.as_str(), "etc/os-release"),
            ("/opt/app/blob", "opt/app/blob"),
            ("/var/lib/dpkg/status", "var/lib/dpkg/status"),
        ] {
            if !unpacked.join(real).exists() {
                panic!("the fixture lacks {real}");
            }
            let want = fs::read(unpacked.join(real)).unwrap();
            let mut got = Vec::new();
            let read =
                porthole_engine::layers::read_file(&store, &layers, path, &mut got, None, &|| {
                    false
                })
                .unwrap();
            assert!(
                got == want,
                "{path}: {} bytes, want {}",
                got.len(),
                want.len()
            );
            assert_eq!(read.size, want.len() as u64);
        }
    }

    #[test]
    fn gnu_tar_of_the_debian_rootfs_indexes_exactly_the_rootfs() {
        let Some(rootfs) = debian_rootfs() else {
            return;
        };
        let want = walk_dir(&rootfs);
        let tmp = tempfile::tempdir().unwrap();
        for (format, compress) in [("pax", "cat"), ("gnu", "zstd -q -T0 -1")] {
            let tar = tmp.path().join(format!("rootfs-{format}.tar"));
            let blob = tmp.path().join(format!("rootfs-{format}.blob"));
            // Bare top-level names: paths without `./`.
            sh(
                &rootfs,
                &format!(
                    "ls -A | tar --format={format} -cf {t} -T - && {compress} < {t} > {b}",
                    t = tar.display(),
                    b = blob.display()
                ),
            );
            let started = Instant::now();
            let file = fs::File::open(&blob).unwrap();
            let index =
                LayerIndex::from_reader(&fake_digest(format), "application/octet-stream", file)
                    .unwrap();
            let took = started.elapsed();
            eprintln!(
                "{format} ({compress}): {} MB, {} entries in {took:?}: {:.0} MB/s uncompressed",
                index.uncompressed_size() / 1_000_000,
                index.len(),
                index.uncompressed_size() as f64 / 1e6 / took.as_secs_f64()
            );
            assert_eq!(index.diff_id(), &sha256sum(&tar), "{format}");
            assert_same_view(
                &layer_view(&index),
                &want,
                &format!("tar --format={format}"),
            );
            fs::remove_file(&tar).unwrap();
            fs::remove_file(&blob).unwrap();
        }
    }
}
