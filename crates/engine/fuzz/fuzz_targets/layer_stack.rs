//! The whiteout logic: the input, split at `0xff` bytes, is up to four layer tars stacked
//! into one image; stacking and every query must hold up whatever they contain.
#![no_main]

use std::io::Cursor;

use libfuzzer_sys::fuzz_target;
use porthole_engine::Digest;
use porthole_engine::layers::{ImageLayers, LayerIndex};

fuzz_target!(|data: &[u8]| {
    let mut layers = Vec::new();
    for (i, part) in data.split(|&b| b == 0xff).take(4).enumerate() {
        let digest = Digest::of(&[i as u8]);
        match LayerIndex::from_reader(&digest, "", Cursor::new(part)) {
            Ok(index) => layers.push(index),
            Err(_) => return,
        }
    }
    let image = ImageLayers::from_indexes(layers, Vec::new());
    let all = image.tree("/", None).unwrap();
    assert_eq!(all.len(), image.file_count());
    for step in 0..image.steps().len() {
        image.layer_changes(step, "/", None).unwrap();
    }
    if let Some(first) = all.first() {
        image.path_history(&first.path);
        image.children(&first.path).ok();
    }
    let e = image.efficiency();
    assert!((0.0..=1.0).contains(&e.score), "{}", e.score);
    image.largest_files(5);
    image.search("a", 5);
});
