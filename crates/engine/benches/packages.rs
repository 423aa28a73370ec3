//! What package detection costs while a layer is indexed: the same layer blob indexed
//! with and without the detectors, alternating, and the medians compared. Also how long
//! stacking an indexed image's packages takes. Run by `bench/packages.sh`, which passes
//! the layer (`BENCH_LAYER=path/to/layer.tar.gz`); prints, never fails on the numbers.

use std::fs;
use std::time::{Duration, Instant};

use porthole_engine::Digest;
use porthole_engine::layers::{HistoryEntry, ImageLayers, IndexOptions, LayerIndex};

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    let Ok(path) = std::env::var("BENCH_LAYER") else {
        eprintln!("set BENCH_LAYER to a layer blob (bench/packages.sh does)");
        return;
    };
    let runs: usize = std::env::var("BENCH_RUNS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(7);
    let blob = fs::read(&path).expect("the layer blob");
    let digest = Digest::of(&blob);
    let media_type = "application/vnd.oci.image.layer.v1.tar+gzip";
    let index = |packages: bool| {
        let started = Instant::now();
        let index =
            LayerIndex::from_reader_with(&digest, media_type, &blob[..], IndexOptions { packages })
                .expect("the layer indexes");
        (started.elapsed(), index)
    };
    let (mut with, mut without) = (Vec::new(), Vec::new());
    let mut last = None;
    for _ in 0..runs {
        let (t, i) = index(true);
        with.push(t);
        last = Some(i);
        without.push(index(false).0);
    }
    let (with, without) = (median(with), median(without));
    let layer = last.expect("at least one run");
    println!(
        "index {} ({} MB compressed, {} files, {} files kept for packages), medians of {runs}:",
        path,
        blob.len() / 1_000_000,
        layer.file_count(),
        layer.found_files().len()
    );
    println!(
        "  without package detection {:>8.1} ms",
        without.as_secs_f64() * 1e3
    );
    println!(
        "  with package detection    {:>8.1} ms  ({:+.1}%)",
        with.as_secs_f64() * 1e3,
        (with.as_secs_f64() / without.as_secs_f64() - 1.0) * 100.0
    );

    let image = ImageLayers::from_indexes(vec![layer], vec![HistoryEntry::default()]);
    let mut stack = Vec::new();
    let mut count = 0;
    for _ in 0..runs {
        let started = Instant::now();
        count = image.packages().packages.len();
        stack.push(started.elapsed());
    }
    println!(
        "  stacking the image's {count} packages {:>8.2} ms",
        median(stack).as_secs_f64() * 1e3
    );
}
