//! Paths that go through a lower layer's symlink.
//!
//! When a layer's tar has `lib/x` and a layer below made `lib` a symlink to `usr/lib`,
//! extracting the layer (containerd's applier, umoci) follows the link, inside the root:
//! the file lands at `usr/lib/x` and `lib` stays a symlink. The index keeps each layer as
//! its tar says; before stacking, [`follow_lower_symlinks`] rewrites such paths of the
//! upper layers to where extraction puts them. A directory the layer itself writes at
//! that place (an explicit entry, not one the tar only implies) replaces the symlink
//! instead, as extraction does.

use std::collections::HashSet;

use super::index::{
    BuildLimit, FileType, IMPLICIT, IndexBuilder, LayerIndex, Meta, OPAQUE, WHITEOUT,
};
use super::paths;

/// How many links one path may go through (Linux's `MAXSYMLINKS`).
const MAX_LINKS: usize = 40;

/// The layers, with each upper layer's paths rewritten through the symlinks of the
/// layers below it. Layers without such a path are returned as they are (the common case
/// costs one hash lookup per ancestor of each path).
pub(crate) fn follow_lower_symlinks(mut layers: Vec<LayerIndex>) -> Vec<LayerIndex> {
    // Every path some layer below the current one made a symlink (whether or not it still
    // is one: `link_below` decides that for the few paths that matter).
    let mut links: HashSet<String> = HashSet::new();
    for i in 1..layers.len() {
        let (lower, upper) = layers.split_at_mut(i);
        links.extend(
            lower[i - 1]
                .entries()
                .filter(|e| e.kind == Some(FileType::Symlink))
                .map(|e| e.path.to_owned()),
        );
        if links.is_empty() {
            continue;
        }
        let layer = &upper[0];
        let affected = layer
            .entries()
            .any(|e| ancestors(e.path).any(|a| links.contains(a)));
        if !affected {
            continue;
        }
        match rewrite(lower, layer) {
            Ok(Some(rewritten)) => upper[0] = rewritten,
            Ok(None) => {}
            Err(_) => tracing::warn!(
                "layer {}: too many paths to follow its lower layers' symlinks; shown as written",
                layer.digest()
            ),
        }
    }
    layers
}

/// The proper ancestors of `path` (`a`, `a/b` for `a/b/c`).
fn ancestors(path: &str) -> impl Iterator<Item = &str> {
    path.match_indices('/').map(move |(i, _)| &path[..i])
}

/// `layer` with its paths resolved through `lower`'s symlinks; `None` when nothing moves.
fn rewrite(lower: &[LayerIndex], layer: &LayerIndex) -> Result<Option<LayerIndex>, BuildLimit> {
    let mut moved = false;
    let mut builder = IndexBuilder::new();
    for raw in &layer.entries {
        let e = layer.view(raw);
        if raw.flags & (WHITEOUT | OPAQUE) != 0 {
            // What a whiteout removes is found as the layers below have it.
            let path = resolve(lower, layer, e.path, false);
            moved |= path != e.path;
            if raw.flags & WHITEOUT != 0 {
                builder.whiteout(&path)?;
            }
            if raw.flags & OPAQUE != 0 {
                builder.opaque(&path)?;
            }
        }
        // What the layer writes lands after its own whiteouts ran: a link they removed
        // is not followed.
        let path = resolve(lower, layer, e.path, true);
        moved |= path != e.path && e.kind.is_some() && raw.flags & IMPLICIT == 0;
        // The builder implies again the directories the rewritten paths need.
        if let Some(kind) = e.kind.filter(|_| raw.flags & IMPLICIT == 0) {
            let meta = Meta {
                kind,
                size: e.size,
                mode: e.mode,
                uid: e.uid,
                gid: e.gid,
                mtime: e.mtime,
            };
            builder.add(&path, meta, e.link_target.unwrap_or(""))?;
        }
    }
    if !moved {
        return Ok(None);
    }
    let (entries, names, root_opaque) = builder.finish();
    Ok(Some(LayerIndex {
        entries,
        names,
        root_opaque: root_opaque || layer.root_opaque,
        ..layer.clone()
    }))
}

/// Where extraction puts the entry `path` that `layer`'s tar writes (`layer` as its tar
/// is, not rewritten), over the already rewritten layers `lower`.
pub(crate) fn landing(lower: &[LayerIndex], layer: &LayerIndex, path: &str) -> String {
    resolve(lower, layer, path, true)
}

/// Where extraction puts `path` of `layer`: through every ancestor that the layers below
/// left a symlink and that `layer` does not write as a directory itself (nor, with
/// `after_removals`, remove with its own whiteouts and opaque directories).
fn resolve(lower: &[LayerIndex], layer: &LayerIndex, path: &str, after_removals: bool) -> String {
    let removed_here = |a: &str| {
        after_removals
            && (layer.root_opaque
                || layer.get(a).is_some_and(|e| e.whiteout)
                || ancestors(a).any(|d| layer.get(d).is_some_and(|e| e.whiteout || e.opaque)))
    };
    let mut current = path.to_owned();
    for _ in 0..MAX_LINKS {
        let Some((at, target)) = ancestors(&current).find_map(|a| {
            let own = layer.get(a);
            if own.is_some_and(|e| e.kind.is_some() && !e.implicit) || removed_here(a) {
                return None;
            }
            link_below(lower, a).map(|t| (a.len(), t))
        }) else {
            return current;
        };
        let (link, rest) = current.split_at(at);
        let base = if target.starts_with('/') {
            ""
        } else {
            paths::parent(link)
        };
        current = paths::normalize(format!("{base}/{target}{rest}").as_bytes()).unwrap_or_default();
    }
    // A loop of links: extraction would fail; show the path as the tar wrote it.
    path.to_owned()
}

/// The target of the symlink at `path` once the stack `lower` is applied, if it is one
/// then: the topmost layer that writes `path` wrote a symlink, and no layer above that
/// removed it (a whiteout or an opaque directory above it, or a non-directory in place of
/// one of its directories).
fn link_below(lower: &[LayerIndex], path: &str) -> Option<String> {
    for layer in lower.iter().rev() {
        match layer.get(path) {
            // Only an opaque marker: it hides what is inside the path, not the path.
            Some(e) if e.kind.is_none() && !e.whiteout => {}
            Some(e) => {
                return match e.kind {
                    Some(FileType::Symlink) => e.link_target.map(str::to_owned),
                    _ => None,
                };
            }
            None => {}
        }
        if layer.root_opaque {
            return None;
        }
        let removed = ancestors(path).any(|a| {
            layer
                .get(a)
                .is_some_and(|d| d.kind != Some(FileType::Dir) || d.whiteout || d.opaque)
        });
        if removed {
            return None;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use crate::layers::ImageLayers;
    use crate::layers::LayerIndex;
    use crate::layers::index::{FileType, IndexBuilder, Meta};

    fn meta(kind: FileType) -> Meta {
        Meta {
            kind,
            size: 0,
            mode: if kind == FileType::Symlink {
                0o777
            } else {
                0o755
            },
            uid: 0,
            gid: 0,
            mtime: 0,
        }
    }

    fn layer(name: &str, f: impl FnOnce(&mut IndexBuilder)) -> LayerIndex {
        LayerIndex::built_for_tests(name, f)
    }

    /// What stacking `top` on `c -> /etc` (step 0) and on `b -> /etc` with `c/b/a` (step 1,
    /// which lands at `etc/b/a`) shows: path, type and step of each entry.
    fn over_two_links(top: LayerIndex) -> Vec<(String, FileType, usize)> {
        let l0 = layer("0", |b| {
            b.add("c", meta(FileType::Symlink), "/etc").unwrap()
        });
        let l1 = layer("1", |b| {
            b.add("b", meta(FileType::Symlink), "/etc").unwrap();
            b.add("c/b/a", meta(FileType::File), "").unwrap();
        });
        ImageLayers::from_indexes(vec![l0, l1, top], Vec::new())
            .tree("/", None)
            .unwrap()
            .into_iter()
            .map(|e| (e.path, e.kind, e.layer))
            .collect()
    }

    fn expected(rows: &[(&str, FileType, usize)]) -> Vec<(String, FileType, usize)> {
        rows.iter().map(|&(p, k, l)| (p.to_owned(), k, l)).collect()
    }

    /// Found by `layers_props` (2026-11-27): two entries of one layer that lower symlinks
    /// resolve to the same place, a symlink then a directory. Extraction replaces the
    /// lower directory `etc/b` (and `etc/b/a` in it) by the symlink, then the symlink by a
    /// new, empty directory.
    #[test]
    fn a_directory_after_a_symlink_at_one_place_hides_what_was_below() {
        let top = layer("2", |b| {
            b.add("b/b", meta(FileType::Symlink), "a").unwrap();
            b.add("c/b", meta(FileType::Dir), "").unwrap();
        });
        assert_eq!(
            over_two_links(top),
            expected(&[
                ("/b", FileType::Symlink, 1),
                ("/c", FileType::Symlink, 0),
                ("/etc", FileType::Dir, 1),
                ("/etc/b", FileType::Dir, 2),
            ])
        );
    }

    /// The same, but the top layer writes a file under the place instead of the directory:
    /// the directory the file needs replaces the symlink, as extraction makes it: a new
    /// directory of the top layer's (also found by `layers_props`).
    #[test]
    fn a_file_under_a_symlink_of_the_same_layer_lands_in_a_new_directory() {
        let top = layer("2", |b| {
            b.add("b/b", meta(FileType::Symlink), "a").unwrap();
            b.add("c/b/a", meta(FileType::File), "").unwrap();
        });
        assert_eq!(
            over_two_links(top),
            expected(&[
                ("/b", FileType::Symlink, 1),
                ("/c", FileType::Symlink, 0),
                ("/etc", FileType::Dir, 1),
                ("/etc/b", FileType::Dir, 2),
                ("/etc/b/a", FileType::File, 2),
            ])
        );
    }
}
