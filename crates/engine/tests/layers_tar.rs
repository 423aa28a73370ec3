//! One layer at a time: tars written by GNU tar (PAX, GNU and v7/ustar-less forms, long
//! names and links, devices, absolute paths, an entry named `/`), every codec, broken
//! input, and the streaming indexer the pull feeds. The ground truth is the directory the
//! tar was made from and `sha256sum` of the tar.

mod layers_support;

mod layers_tar {
    use std::fs;
    use std::io::Cursor;
    use std::path::Path;
    use std::process::Command;

    use porthole_engine::layers::{Codec, FileType, LayerError, LayerIndex, LayerIndexer};

    use super::layers_support::*;

    const OCI_TAR: &str = "application/vnd.oci.image.layer.v1.tar";
    const OCI_GZIP: &str = "application/vnd.oci.image.layer.v1.tar+gzip";
    const OCI_ZSTD: &str = "application/vnd.oci.image.layer.v1.tar+zstd";

    /// A tree with what layers hold: long names (over 100 and over 255 bytes), a long
    /// symlink target, a hard link to a long name, devices, a fifo, odd modes and owners,
    /// an empty directory, a file named like a whiteout's neighbour.
    fn sample_tree(root: &Path) {
        let long_dir = format!("d{}", "x".repeat(120));
        let long_file = format!("f{}.txt", "y".repeat(150));
        let long_target = format!("../{}", "t".repeat(200));
        sh(
            root,
            &format!(
                "set -e
                 mkdir -p a/b/c {long_dir} empty dev
                 printf hello > short.txt
                 head -c 70000 /dev/zero > a/b/c/zeros
                 printf long > {long_dir}/{long_file}
                 ln {long_dir}/{long_file} a/hard-to-long
                 ln -s {long_target} a/link-long
                 ln -s short.txt a/b/rel-link
                 mkfifo a/fifo
                 mknod dev/null-ish c 1 3
                 mknod dev/loop-ish b 7 0
                 printf s > setuid && chmod 4755 setuid
                 chmod 1777 empty
                 chown 1000:1001 a/b/c/zeros
                 chown -h 65534:65534 a/b/rel-link
                 printf x > 'name with spaces' && printf y > \"$(printf 'caf\\303\\251')\""
            ),
        );
    }

    fn index_file(path: &Path, media_type: &str) -> Result<LayerIndex, LayerError> {
        let bytes = fs::read(path).unwrap();
        LayerIndex::from_reader(&fake_digest("layer"), media_type, Cursor::new(bytes))
    }

    #[test]
    fn gnu_tar_formats_index_exactly_what_the_directory_holds() {
        let tmp = tempfile::tempdir().unwrap();
        let src = tmp.path().join("src");
        fs::create_dir(&src).unwrap();
        sample_tree(&src);
        let want = walk_dir(&src);
        // `.` (entries named `./x`, and `./` itself) and bare names (`x`, no `./`).
        for (format, names) in [
            ("pax", "."),
            ("gnu", "."),
            ("pax", "bare"),
            ("gnu", "bare"),
            ("oldgnu", "bare"),
        ] {
            let tar = tmp.path().join(format!("{format}-{names}.tar"));
            let list = if names == "." { "echo ." } else { "ls -A" };
            sh(
                &src,
                &format!("{list} | tar --format={format} -cf {} -T -", tar.display()),
            );
            let index = index_file(&tar, OCI_TAR).unwrap();
            assert_eq!(index.diff_id(), &sha256sum(&tar), "{format} {names}");
            assert_eq!(index.uncompressed_size(), fs::metadata(&tar).unwrap().len());
            assert_eq!(index.codec(), Codec::Uncompressed);
            assert_same_view(
                &layer_view(&index),
                &want,
                &format!("tar --format={format} {names}"),
            );
            assert_eq!(index.file_count(), want.len(), "{format} {names}");
            let hard = index.get("a/hard-to-long").unwrap();
            assert!(
                hard.kind == Some(FileType::Hardlink) || hard.kind == Some(FileType::File),
                "{hard:?}"
            );
        }
    }

    #[test]
    fn absolute_paths_and_an_entry_named_slash_stay_under_the_root() {
        let tmp = tempfile::tempdir().unwrap();
        let src = tmp.path().join("src");
        fs::create_dir(&src).unwrap();
        sh(&src, "mkdir -p etc && printf root > etc/passwd");
        let tar = tmp.path().join("abs.tar");
        // -P keeps the leading `/`: an entry named `/`, then absolute paths.
        sh(
            tmp.path(),
            &format!(
                "tar -P --no-recursion -cf {t} / && tar -P -rf {t} {s}/etc",
                t = tar.display(),
                s = src.display()
            ),
        );
        let listing = String::from_utf8(run(Command::new("tar").arg("-tf").arg(&tar))).unwrap();
        assert_eq!(listing.lines().next(), Some("/"), "{listing}");
        let index = index_file(&tar, OCI_TAR).unwrap();
        let rel = src.strip_prefix("/").unwrap().join("etc/passwd");
        let passwd = index
            .get(rel.to_str().unwrap())
            .expect("absolute path made relative");
        assert_eq!(passwd.size, 4);
        for e in index.entries() {
            assert!(!e.path.is_empty() && !e.path.starts_with('/'), "{e:?}");
        }
    }

    /// umoci writes a layer of one directory as exactly one 512-byte header, without the
    /// two zero blocks that end an archive.
    #[test]
    fn a_512_byte_tar_without_end_blocks_is_a_whole_layer() {
        let mut header = tar::Header::new_ustar();
        header.set_path("etc/").unwrap();
        header.set_entry_type(tar::EntryType::Directory);
        header.set_mode(0o755);
        header.set_size(0);
        header.set_cksum();
        let bytes = header.as_bytes().to_vec();
        assert_eq!(bytes.len(), 512);
        let index =
            LayerIndex::from_reader(&fake_digest("umoci"), OCI_TAR, Cursor::new(&bytes)).unwrap();
        assert_eq!(index.len(), 1);
        assert_eq!(index.get("etc").unwrap().kind, Some(FileType::Dir));
        assert_eq!(index.diff_id(), &porthole_engine::Digest::of(&bytes));
        assert_eq!(index.uncompressed_size(), 512);
    }

    #[test]
    fn a_malformed_tar_names_the_layer_and_the_offset() {
        let tmp = tempfile::tempdir().unwrap();
        sh(
            tmp.path(),
            "mkdir src && head -c 1000 /dev/zero > src/one && printf two > src/two \
             && tar --format=gnu -C src -cf good.tar one two",
        );
        let good = fs::read(tmp.path().join("good.tar")).unwrap();
        let layer = fake_digest("broken");
        let index =
            |bytes: &[u8]| LayerIndex::from_reader(&layer, OCI_TAR, Cursor::new(bytes.to_vec()));

        // `one` is a header and 2 data blocks, so `two`'s header starts at 1536: break its
        // checksum.
        let mut bad_sum = good.clone();
        assert_eq!(&bad_sum[1536..1539], b"two");
        bad_sum[1536 + 148] ^= 1;
        match index(&bad_sum) {
            Err(e @ LayerError::MalformedTar { offset: 1536, .. }) => {
                let text = e.to_string();
                assert!(
                    text.contains(&layer.to_string()) && text.contains("1536"),
                    "{text}"
                );
            }
            other => panic!("expected a malformed tar at 1536, got {other:?}"),
        }

        // Cut inside `one`'s data.
        match index(&good[..900]) {
            Err(LayerError::MalformedTar { offset, reason, .. }) => {
                assert_eq!(offset, 900, "{reason}");
                assert!(reason.contains("ends"), "{reason}");
            }
            other => panic!("expected a truncated tar, got {other:?}"),
        }

        // Not a tar at all.
        let noise: Vec<u8> = (0..4096u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        assert!(
            matches!(
                index(&noise),
                Err(LayerError::MalformedTar { offset: 0, .. })
            ),
            "{:?}",
            index(&noise)
        );
    }

    /// A zstd skippable frame, as zstd:chunked puts its table of contents in.
    fn skippable(payload: &[u8]) -> Vec<u8> {
        let mut frame = vec![0x50, 0x2a, 0x4d, 0x18];
        frame.extend_from_slice(&(payload.len() as u32).to_le_bytes());
        frame.extend_from_slice(payload);
        frame
    }

    #[test]
    fn every_codec_decodes_and_magic_bytes_beat_the_media_type() {
        let tmp = tempfile::tempdir().unwrap();
        let src = tmp.path().join("src");
        fs::create_dir(&src).unwrap();
        sample_tree(&src);
        let tar_path = tmp.path().join("layer.tar");
        sh(
            &src,
            &format!("tar --format=pax -cf {} .", tar_path.display()),
        );
        let tar = fs::read(&tar_path).unwrap();
        let diff_id = sha256sum(&tar_path);
        let want = walk_dir(&src);

        let gzip = pipe(Command::new("gzip").arg("-c"), &tar);
        // Three gzip members in a row (as eStargz writes one per file).
        let mut multi_gzip = Vec::new();
        for part in tar.chunks(tar.len() / 3 + 1) {
            multi_gzip.extend(pipe(Command::new("gzip").arg("-c"), part));
        }
        let zstd = pipe(Command::new("zstd").args(["-c", "-q"]), &tar);
        // Several frames, with skippable frames first, between and last.
        let mut chunked = skippable(b"manifest");
        for part in tar.chunks(tar.len() / 2 + 1) {
            chunked.extend(pipe(Command::new("zstd").args(["-c", "-q"]), part));
            chunked.extend(skippable(&[7; 100]));
        }
        for (name, blob, codec) in [
            ("gzip", &gzip, Codec::Gzip),
            ("multi-member gzip", &multi_gzip, Codec::Gzip),
            ("zstd", &zstd, Codec::Zstd),
            ("zstd:chunked-like", &chunked, Codec::Zstd),
            ("tar", &tar, Codec::Uncompressed),
        ] {
            for media_type in [OCI_TAR, OCI_GZIP, OCI_ZSTD, "application/octet-stream"] {
                let index =
                    LayerIndex::from_reader(&fake_digest(name), media_type, Cursor::new(blob))
                        .unwrap_or_else(|e| panic!("{name} as {media_type}: {e}"));
                assert_eq!(index.codec(), codec, "{name}");
                assert_eq!(index.diff_id(), &diff_id, "{name} as {media_type}");
                assert_eq!(index.compressed_size(), blob.len() as u64);
                assert_eq!(index.uncompressed_size(), tar.len() as u64);
                assert_same_view(&layer_view(&index), &want, name);
            }
        }
    }

    #[test]
    fn a_damaged_compressed_stream_is_a_decompress_error() {
        let tar = tar_of_one_file(b"some content that compresses");
        let gzip = pipe(Command::new("gzip").arg("-c"), &tar);
        let zstd = pipe(Command::new("zstd").args(["-c", "-q"]), &tar);
        let layer = fake_digest("damaged");
        let index = |bytes: Vec<u8>| LayerIndex::from_reader(&layer, OCI_GZIP, Cursor::new(bytes));

        let cut = gzip[..gzip.len() - 12].to_vec();
        match index(cut) {
            Err(
                e @ LayerError::Decompress {
                    codec: Codec::Gzip, ..
                },
            ) => {
                assert!(e.to_string().contains(&layer.to_string()), "{e}");
            }
            other => panic!("expected a gzip error, got {other:?}"),
        }
        let mut flipped = zstd.clone();
        let mid = flipped.len() / 2;
        flipped[mid] ^= 0xff;
        flipped.truncate(flipped.len() - 3);
        assert!(
            matches!(
                index(flipped),
                Err(LayerError::Decompress {
                    codec: Codec::Zstd,
                    ..
                })
            ),
            "damaged zstd"
        );
        let bzip2 = pipe(Command::new("bzip2").arg("-c"), &tar);
        assert!(matches!(
            index(bzip2),
            Err(LayerError::UnsupportedCompression {
                format: "bzip2",
                ..
            })
        ));
        assert!(matches!(
            LayerIndex::from_reader(
                &layer,
                "application/vnd.oci.image.layer.v1.tar+gzip+encrypted",
                Cursor::new(gzip)
            ),
            Err(LayerError::UnsupportedMediaType { .. })
        ));
    }

    fn tar_of_one_file(content: &[u8]) -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        let mut h = tar::Header::new_gnu();
        h.set_size(content.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        b.append_data(&mut h, "etc/file", content).unwrap();
        b.into_inner().unwrap()
    }

    #[test]
    fn the_pull_indexer_gives_the_same_index_as_the_stored_blob() {
        let tmp = tempfile::tempdir().unwrap();
        let src = tmp.path().join("src");
        fs::create_dir(&src).unwrap();
        sample_tree(&src);
        sh(&src, "head -c 3000000 /dev/urandom > big");
        let tar = run(Command::new("tar")
            .args(["-C"])
            .arg(&src)
            .args(["-cf", "-", "."]));
        let gzip = pipe(Command::new("gzip").arg("-c"), &tar);
        let layer = fake_digest("pulled");
        let expected = LayerIndex::from_reader(&layer, OCI_GZIP, Cursor::new(&gzip)).unwrap();

        for chunk in [1usize, 7, 4096, 100_000, 1 << 20] {
            let mut indexer = LayerIndexer::start(layer.clone(), OCI_GZIP);
            for part in gzip.chunks(if chunk == 1 { 4093 } else { chunk }) {
                indexer.feed(part).unwrap();
            }
            assert_eq!(indexer.finish().unwrap(), expected, "chunks of {chunk}");
        }

        // The server ignored Range: half a download, then the whole blob again.
        let mut indexer = LayerIndexer::start(layer.clone(), OCI_GZIP);
        indexer.feed(&gzip[..gzip.len() / 2]).unwrap();
        indexer.restart();
        for part in gzip.chunks(65536) {
            indexer.feed(part).unwrap();
        }
        assert_eq!(indexer.finish().unwrap(), expected, "after a restart");

        // A broken layer never fails `feed` (the download goes on); `finish` says why.
        let mut indexer = LayerIndexer::start(layer.clone(), OCI_TAR);
        for _ in 0..200 {
            indexer.feed(&[0x55; 65536]).unwrap();
        }
        assert!(matches!(
            indexer.finish(),
            Err(LayerError::MalformedTar { .. })
        ));

        // Dropped half-way (a cancelled pull): returns, leaves no thread blocked.
        let mut indexer = LayerIndexer::start(layer.clone(), OCI_GZIP);
        indexer.feed(&gzip[..1000]).unwrap();
        drop(indexer);

        // Nothing fed: an empty blob is an empty layer.
        let empty = LayerIndexer::start(layer, OCI_TAR).finish().unwrap();
        assert!(empty.is_empty());
        assert_eq!(empty.diff_id(), &porthole_engine::Digest::of(b""));
    }

    #[test]
    fn whiteouts_in_a_tar_are_recorded_not_listed() {
        let tmp = tempfile::tempdir().unwrap();
        sh(
            tmp.path(),
            "set -e; mkdir -p l/etc l/var/cache l/usr
             touch l/etc/.wh.motd l/var/cache/.wh..wh..opq l/.wh.tmp l/usr/.wh..wh.plnk
             printf new > l/var/cache/fresh
             tar --format=pax -C l -cf layer.tar .",
        );
        let index = index_file(&tmp.path().join("layer.tar"), OCI_TAR).unwrap();
        let motd = index.get("etc/motd").unwrap();
        assert!(motd.whiteout && motd.kind.is_none());
        assert!(index.get("tmp").unwrap().whiteout);
        let cache = index.get("var/cache").unwrap();
        assert!(cache.opaque && cache.kind == Some(FileType::Dir));
        assert!(index.get("var/cache/fresh").is_some());
        assert!(
            index.entries().all(|e| !e.path.contains(".wh.")),
            "markers are not files"
        );
        // etc, var, var/cache, var/cache/fresh and usr (`./` is the root): no markers.
        assert_eq!(index.file_count(), 5);
    }
}
