//! Size: an image of 100,000 files in three layers (the second overwrites and removes a
//! share of the first), indexed from the store, then opened again from the cache. The
//! issue's target is that the cached index opens "in well under 100 ms"; the number is
//! asserted in release builds (`cargo test --release`) and printed in debug ones.

mod layers_support;

mod layers_scale {
    use std::time::{Duration, Instant};

    use porthole_engine::layers::{ImageLayers, cache_path};
    use porthole_engine::store::Store;
    use serde_json::json;

    use super::layers_support::*;

    const FILES: usize = 100_000;

    /// A tar of `count` small files spread over 100 directories of 10 subdirectories.
    fn tar_of(count: usize, start: usize, extra: &[&str]) -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        for i in start..start + count {
            let path = format!("srv/d{:02}/s{}/file-{i:06}.dat", i % 100, (i / 100) % 10);
            // Every tenth file has content (a data block each keeps the tars small).
            let content = vec![b'x'; if i % 10 == 0 { i % 300 } else { 0 }];
            let mut h = tar::Header::new_gnu();
            h.set_size(content.len() as u64);
            h.set_mode(0o644);
            h.set_mtime(1_700_000_000);
            h.set_cksum();
            b.append_data(&mut h, path, content.as_slice()).unwrap();
        }
        for name in extra {
            let mut h = tar::Header::new_gnu();
            h.set_size(0);
            h.set_mode(0o644);
            h.set_cksum();
            b.append_data(&mut h, name, &[][..]).unwrap();
        }
        b.into_inner().unwrap()
    }

    #[test]
    fn a_100k_file_image_indexes_and_reopens_quickly() {
        let tmp = tempfile::tempdir().unwrap();
        let store = Store::open(tmp.path().join("store")).unwrap();
        // 70,000 files; then 20,000 more plus 10,000 overwrites and 100 removals; then
        // 10,000 more.
        let whiteouts: Vec<String> = (0..100)
            .map(|i| {
                format!(
                    "srv/d{:02}/s{}/.wh.file-{i:06}.dat",
                    i % 100,
                    (i / 100) % 10
                )
            })
            .collect();
        let whiteouts: Vec<&str> = whiteouts.iter().map(String::as_str).collect();
        let tars = [
            tar_of(70_000, 0, &[]),
            tar_of(30_000, 60_000, &whiteouts),
            tar_of(10_000, 90_000, &[]),
        ];
        let blobs: Vec<(Vec<u8>, &str)> = tars
            .iter()
            .map(|t| (t.clone(), "application/vnd.oci.image.layer.v1.tar"))
            .collect();
        let history = json!([{"created_by": "a"}, {"created_by": "b"}, {"created_by": "c"}]);
        let image = write_image(&store, "example.com/big:1", &blobs, &tars, history);

        let started = Instant::now();
        let built = ImageLayers::load(&store, &image).unwrap();
        let build_time = started.elapsed();
        let bytes: usize = tars.iter().map(Vec::len).sum();
        eprintln!(
            "built 3 indexes ({} MB of tar, {} entries) in {build_time:?}: {:.0} MB/s, {:.0} entries/s",
            bytes / 1_000_000,
            built.layers().iter().map(|l| l.len()).sum::<usize>(),
            bytes as f64 / 1e6 / build_time.as_secs_f64(),
            FILES as f64 / build_time.as_secs_f64()
        );
        assert_eq!(
            built.file_count(),
            99_900 + 1 + 100 + 1000,
            "files and directories"
        );
        let steps = built.steps();
        assert_eq!(
            (steps[1].added, steps[1].modified, steps[1].removed),
            (20_000, 10_000, 100)
        );

        let index_bytes: u64 = built
            .layers()
            .iter()
            .map(|l| {
                std::fs::metadata(cache_path(&store, l.digest()))
                    .unwrap()
                    .len()
            })
            .sum();
        eprintln!(
            "cache files: {} KB for {} KB of tar ({:.1}%)",
            index_bytes / 1000,
            bytes / 1000,
            index_bytes as f64 * 100.0 / bytes as f64
        );

        let mut best = Duration::MAX;
        for _ in 0..3 {
            let started = Instant::now();
            let opened = ImageLayers::load(&store, &image).unwrap();
            best = best.min(started.elapsed());
            assert_eq!(opened.file_count(), built.file_count());
        }
        eprintln!("opened the cached index of {FILES} files in {best:?}");
        if !cfg!(debug_assertions) {
            assert!(best < Duration::from_millis(100), "{best:?}");
        }

        let started = Instant::now();
        let children = built.children("/srv/d42").unwrap();
        let largest = built.largest_files(10);
        let found = built.search("FILE-042424", 10);
        eprintln!("three queries in {:?}", started.elapsed());
        assert_eq!(children.len(), 10);
        assert_eq!(largest[0].size, 290);
        assert_eq!(found.len(), 1);
    }
}
