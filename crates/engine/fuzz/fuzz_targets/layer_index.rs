//! Untrusted bytes as a layer blob: whatever the codec and the tar hold, indexing returns
//! an index or an error, never panics, and never names a path outside the root.
#![no_main]

use std::io::Cursor;

use libfuzzer_sys::fuzz_target;
use porthole_engine::Digest;
use porthole_engine::layers::paths::{is_normalized, tree_cmp};
use porthole_engine::layers::{ImageLayers, LayerIndex};

fuzz_target!(|data: &[u8]| {
    let digest = Digest::of(b"fuzz");
    let Ok(index) = LayerIndex::from_reader(&digest, "", Cursor::new(data)) else {
        return;
    };
    let mut previous: Option<&str> = None;
    for e in index.entries() {
        assert!(is_normalized(e.path), "{:?}", e.path);
        if let Some(p) = previous {
            assert!(tree_cmp(p, e.path).is_lt(), "{p:?} then {:?}", e.path);
        }
        previous = Some(e.path);
    }
    let image = ImageLayers::from_indexes(vec![index], Vec::new());
    for f in image.tree("/", None).unwrap() {
        assert!(is_normalized(&f.path[1..]), "{}", f.path);
    }
});
