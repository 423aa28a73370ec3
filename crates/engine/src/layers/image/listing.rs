//! Browsing an image's files one directory and one page at a time: the final filesystem,
//! or only what some build steps changed (with the directories that lead to those changes),
//! each entry with its change and the bytes of it that a later step wasted. A page costs
//! time in the number of entries of its directory (not of the image) and builds entries
//! only for the rows it returns, so a directory of 100,000 files is listed a screenful at a
//! time.

use serde::Serialize;

use super::{FileEntry, ImageLayers};
use crate::layers::LayerError;
use crate::layers::index::FileType;
use crate::layers::merge::{Change, ChangeKind, Version};
use crate::layers::paths::{self, tree_cmp};

/// Which paths a listing shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileScope<'a> {
    /// The final filesystem.
    Image,
    /// What these build steps changed (indexes as [`super::LayerStep::index`]). A path
    /// that several of them changed shows the latest of those changes.
    Steps(&'a [usize]),
}

/// Bytes of a path that a later step made invisible (dive's wasted space, per path).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Waste {
    pub bytes: u64,
    /// The later step that overwrote or removed them.
    pub by_step: usize,
    /// `Modified` (written over) or `Removed` (whited out, or gone with its directory).
    pub how: ChangeKind,
}

/// One row of a listing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ListedEntry {
    /// The path as the step left it (in the final filesystem: as it is there). Its `layer`
    /// is the step that made `change`, or that last wrote it.
    #[serde(flatten)]
    pub entry: FileEntry,
    /// What the step did; `None` in the final filesystem, and for a directory listed only
    /// because the chosen steps changed something inside it.
    pub change: Option<ChangeKind>,
    /// Whether the listing has entries inside it.
    pub has_children: bool,
    /// Of a step's change: this version's bytes, when a later step overwrote or removed
    /// them. Of a path of the final filesystem: the bytes of its earlier versions that later
    /// steps overwrote or removed (`by_step` is the last of those steps).
    pub waste: Option<Waste>,
}

/// One page of a directory's entries.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Listing {
    /// How many entries the directory has in the listing's scope.
    pub total: usize,
    /// The position of the first entry returned.
    pub offset: usize,
    pub entries: Vec<ListedEntry>,
}

/// A path name search: ASCII case ignored; a needle with a `/` matches the whole path.
pub(super) struct Needle<'a> {
    bytes: &'a [u8],
    whole_path: bool,
}

impl<'a> Needle<'a> {
    pub(super) fn new(needle: &'a str) -> Needle<'a> {
        Needle {
            bytes: needle.as_bytes(),
            whole_path: needle.contains('/'),
        }
    }

    /// Whether the indexed `path` (no leading `/`) matches.
    pub(super) fn matches(&self, path: &str) -> bool {
        let hay: std::borrow::Cow<'_, str> = if self.whole_path {
            paths::absolute(path).into()
        } else {
            paths::file_name(path).into()
        };
        self.bytes.is_empty()
            || hay
                .as_bytes()
                .windows(self.bytes.len())
                .any(|w| w.eq_ignore_ascii_case(self.bytes))
    }
}

/// A child of a directory in a step-changes listing.
struct ChangedChild<'s> {
    path: &'s str,
    /// The change at this very path, and the layer that made it.
    change: Option<(usize, Change)>,
    has_children: bool,
    /// A layer that changed something here (for a directory listed as a way in).
    layer: usize,
}

impl ImageLayers {
    /// One page (`limit` entries from `offset`) of the entries directly inside `dir`, in
    /// tree order: of the final filesystem, or of what the chosen steps changed. In the
    /// final filesystem a `dir` that is not there is an error; among changes it is empty.
    pub fn list_dir(
        &self,
        scope: FileScope<'_>,
        dir: &str,
        offset: usize,
        limit: usize,
    ) -> Result<Listing, LayerError> {
        let dir = paths::normalize(dir.as_bytes()).unwrap_or_default();
        match scope {
            FileScope::Image => {
                let nodes = self.child_nodes(&dir)?;
                let page = window(&nodes, offset, limit);
                Ok(Listing {
                    total: nodes.len(),
                    offset,
                    entries: page.iter().map(|&n| self.listed_node(n)).collect(),
                })
            }
            FileScope::Steps(steps) => {
                let layers = self.layers_of_steps(steps)?;
                let children = self.changed_children(&layers, &dir);
                let page = window(&children, offset, limit);
                Ok(Listing {
                    total: children.len(),
                    offset,
                    entries: page.iter().map(|c| self.listed_child(c)).collect(),
                })
            }
        }
    }

    /// Paths whose name contains `needle` (as [`ImageLayers::search`] matches them), in
    /// tree order, at most `limit`: of the final filesystem, or among the chosen steps'
    /// changes.
    pub fn search_in(
        &self,
        scope: FileScope<'_>,
        needle: &str,
        limit: usize,
    ) -> Result<Vec<ListedEntry>, LayerError> {
        let needle = Needle::new(needle);
        match scope {
            FileScope::Image => Ok((0..self.merged.nodes.len())
                .filter(|&n| needle.matches(self.path_of(self.merged.nodes[n].version)))
                .take(limit)
                .map(|n| self.listed_node(n))
                .collect()),
            FileScope::Steps(steps) => {
                let layers = self.layers_of_steps(steps)?;
                let mut hits: Vec<(&str, usize, Change)> = Vec::new();
                for &layer in &layers {
                    for &c in &self.merged.changes[layer] {
                        let path = self.path_of(c.version);
                        if needle.matches(path) {
                            hits.push((path, layer, c));
                        }
                    }
                }
                // Tree order, and of one path's changes the latest (the last after a stable
                // sort by path, as `layers` is ascending).
                hits.sort_by(|a, b| tree_cmp(a.0, b.0));
                let mut latest: Vec<(&str, usize, Change)> = Vec::new();
                for hit in hits {
                    match latest.last_mut() {
                        Some(last) if last.0 == hit.0 => *last = hit,
                        _ => latest.push(hit),
                    }
                }
                Ok(latest
                    .into_iter()
                    .take(limit)
                    .map(|(path, layer, change)| {
                        let has_children = layers
                            .iter()
                            .any(|&l| self.changes_inside(l, path).is_some_and(|r| !r.is_empty()));
                        self.listed_change(layer, change, has_children)
                    })
                    .collect())
            }
        }
    }

    /// The layers of `steps` (steps that made no layer have none), ascending.
    fn layers_of_steps(&self, steps: &[usize]) -> Result<Vec<usize>, LayerError> {
        let mut layers = Vec::with_capacity(steps.len());
        for &step in steps {
            self.check_step(step)?;
            if let Some(layer) = self.steps[step].layer {
                layers.push(layer);
            }
        }
        layers.sort_unstable();
        layers.dedup();
        Ok(layers)
    }

    /// The final filesystem's nodes directly inside `dir` (normalised; `""` the root).
    fn child_nodes(&self, dir: &str) -> Result<Vec<usize>, LayerError> {
        let nodes = &self.merged.nodes;
        let (start, end) = if dir.is_empty() {
            (0, nodes.len())
        } else {
            let at = self.find(dir).ok_or_else(|| LayerError::PathNotFound {
                path: paths::absolute(dir),
            })?;
            (at + 1, nodes[at].end as usize)
        };
        let mut out = Vec::new();
        let mut i = start;
        while i < end {
            out.push(i);
            i = (nodes[i].end as usize).max(i + 1);
        }
        Ok(out)
    }

    fn listed_node(&self, n: usize) -> ListedEntry {
        ListedEntry {
            entry: self.node_entry(n),
            change: None,
            has_children: self.merged.nodes[n].end as usize > n + 1,
            waste: self.earlier_waste(self.path_of(self.merged.nodes[n].version)),
        }
    }

    /// The range of `layer`'s changes strictly inside `dir` (`""`: all of them).
    fn changes_inside(&self, layer: usize, dir: &str) -> Option<std::ops::Range<usize>> {
        let list = self.merged.changes.get(layer)?;
        let lo = list.partition_point(|c| tree_cmp(self.path_of(c.version), dir).is_le());
        let hi =
            lo + list[lo..].partition_point(|c| paths::is_inside(self.path_of(c.version), dir));
        Some(lo..hi)
    }

    /// The entries directly inside `dir` that the changes of `layers` (ascending) list:
    /// the changed paths, and the directories with changes inside them.
    fn changed_children(&self, layers: &[usize], dir: &str) -> Vec<ChangedChild<'_>> {
        let prefix = if dir.is_empty() { 0 } else { dir.len() + 1 };
        let mut all: Vec<ChangedChild<'_>> = Vec::new();
        for &layer in layers {
            let Some(range) = self.changes_inside(layer, dir) else {
                continue;
            };
            let list = &self.merged.changes[layer][range];
            let mut i = 0;
            while i < list.len() {
                let path = self.path_of(list[i].version);
                let end = path[prefix..]
                    .find('/')
                    .map_or(path.len(), |at| prefix + at);
                let child = &path[..end];
                let change = if child.len() == path.len() {
                    i += 1;
                    Some((layer, list[i - 1]))
                } else {
                    None
                };
                let within = |c: &Change| paths::is_inside(self.path_of(c.version), child);
                // Most entries of a big directory have nothing inside them: look at the next
                // change before searching for the end of the subtree.
                let inside = match list.get(i) {
                    Some(next) if within(next) => list[i..].partition_point(within),
                    _ => 0,
                };
                i += inside;
                all.push(ChangedChild {
                    path: child,
                    change,
                    has_children: inside > 0,
                    layer,
                });
            }
        }
        if layers.len() < 2 {
            return all;
        }
        // Several layers: one row per path, with the latest change (stable sort: ascending
        // layers stay in order for a path).
        all.sort_by(|a, b| tree_cmp(a.path, b.path));
        let mut merged: Vec<ChangedChild<'_>> = Vec::with_capacity(all.len());
        for child in all {
            match merged.last_mut() {
                Some(last) if last.path == child.path => {
                    last.has_children |= child.has_children;
                    if child.change.is_some() {
                        last.change = child.change;
                        last.layer = child.layer;
                    }
                }
                _ => merged.push(child),
            }
        }
        merged
    }

    fn listed_child(&self, child: &ChangedChild<'_>) -> ListedEntry {
        if let Some((layer, change)) = child.change {
            return self.listed_change(layer, change, child.has_children);
        }
        // A way in to changes: the directory as the layer that changed something in it has
        // it (a layer's index lists every directory above its entries).
        let step = self.step_of[child.layer];
        let entry = match self.layers[child.layer].position(child.path) {
            Ok(pos) => self.file_entry(
                Version {
                    layer: child.layer as u32,
                    pos: pos as u32,
                },
                step,
            ),
            Err(_) => FileEntry {
                path: paths::absolute(child.path),
                kind: FileType::Dir,
                size: 0,
                mode: 0o755,
                uid: 0,
                gid: 0,
                link_target: None,
                layer: step,
                mtime: 0,
                package: None,
            },
        };
        ListedEntry {
            entry,
            change: None,
            has_children: child.has_children,
            waste: None,
        }
    }

    fn listed_change(&self, layer: usize, change: Change, has_children: bool) -> ListedEntry {
        ListedEntry {
            entry: self.file_entry(change.version, self.step_of[layer]),
            change: Some(change.kind),
            has_children,
            waste: self.later_waste(layer, change),
        }
    }

    /// The bytes of a regular file `layer` wrote that the next layer to change its path
    /// overwrote or removed.
    fn later_waste(&self, layer: usize, change: Change) -> Option<Waste> {
        if change.kind == ChangeKind::Removed {
            return None;
        }
        let raw = self.raw(change.version);
        if raw.kind != Some(FileType::File) || raw.size == 0 {
            return None;
        }
        let path = self.path_of(change.version);
        (layer + 1..self.merged.changes.len()).find_map(|later| {
            let list = &self.merged.changes[later];
            let at = list
                .binary_search_by(|c| tree_cmp(self.path_of(c.version), path))
                .ok()?;
            Some(Waste {
                bytes: raw.size,
                by_step: self.step_of[later],
                how: list[at].kind,
            })
        })
    }

    /// The bytes of the earlier versions of `path` (indexed form) that later layers
    /// overwrote or removed; `by_step` the last layer that did.
    fn earlier_waste(&self, path: &str) -> Option<Waste> {
        let mut waste: Option<Waste> = None;
        let mut previous: Option<Change> = None;
        for (layer, list) in self.merged.changes.iter().enumerate() {
            let Ok(at) = list.binary_search_by(|c| tree_cmp(self.path_of(c.version), path)) else {
                continue;
            };
            let change = list[at];
            if let Some(prev) = previous.filter(|p| p.kind != ChangeKind::Removed) {
                let raw = self.raw(prev.version);
                if raw.kind == Some(FileType::File) && raw.size > 0 {
                    let w = waste.get_or_insert(Waste {
                        bytes: 0,
                        by_step: 0,
                        how: change.kind,
                    });
                    w.bytes = w.bytes.saturating_add(raw.size);
                    w.by_step = self.step_of[layer];
                    w.how = change.kind;
                }
            }
            previous = Some(change);
        }
        waste
    }
}

/// `items[offset..offset + limit]`, clamped.
fn window<T>(items: &[T], offset: usize, limit: usize) -> &[T] {
    let start = offset.min(items.len());
    &items[start..start.saturating_add(limit).min(items.len())]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layers::LayerIndex;
    use crate::layers::index::{IndexBuilder, Meta};

    fn file(size: u64) -> Meta {
        Meta {
            kind: FileType::File,
            size,
            mode: 0o644,
            uid: 0,
            gid: 0,
            mtime: 0,
        }
    }

    fn dir() -> Meta {
        Meta {
            kind: FileType::Dir,
            size: 0,
            mode: 0o755,
            uid: 0,
            gid: 0,
            mtime: 0,
        }
    }

    fn layer(name: &str, f: impl FnOnce(&mut IndexBuilder)) -> LayerIndex {
        LayerIndex::built_for_tests(name, f)
    }

    /// Step 0 writes /etc/{a,b} and /usr/bin/tool; step 1 overwrites /etc/a, removes
    /// /etc/b, adds /etc/c and /var/x/y; step 2 overwrites /etc/c.
    fn image() -> ImageLayers {
        let l0 = layer("0", |b| {
            b.add("etc", dir(), "").unwrap();
            b.add("etc/a", file(10), "").unwrap();
            b.add("etc/b", file(20), "").unwrap();
            b.add("usr/bin/tool", file(5), "").unwrap();
        });
        let l1 = layer("1", |b| {
            b.add("etc/a", file(30), "").unwrap();
            b.whiteout("etc/b").unwrap();
            b.add("etc/c", file(1), "").unwrap();
            b.add("var/x/y", file(2), "").unwrap();
        });
        let l2 = layer("2", |b| {
            b.add("etc/c", file(3), "").unwrap();
        });
        ImageLayers::from_indexes(vec![l0, l1, l2], Vec::new())
    }

    /// `path mark has_children waste`, one line per entry.
    fn lines(listing: &[ListedEntry]) -> Vec<String> {
        listing
            .iter()
            .map(|e| {
                let mark = match e.change {
                    None => "-",
                    Some(ChangeKind::Added) => "A",
                    Some(ChangeKind::Modified) => "M",
                    Some(ChangeKind::Removed) => "D",
                };
                let waste = e.waste.as_ref().map_or(String::new(), |w| {
                    format!(" wasted {} by step {} ({:?})", w.bytes, w.by_step, w.how)
                });
                let more = if e.has_children { "/…" } else { "" };
                format!(
                    "{}{more} {mark} step {}{waste}",
                    e.entry.path, e.entry.layer
                )
            })
            .collect()
    }

    fn list(image: &ImageLayers, scope: FileScope<'_>, dir: &str) -> Vec<String> {
        let listing = image.list_dir(scope, dir, 0, 100).unwrap();
        assert_eq!(listing.total, listing.entries.len());
        lines(&listing.entries)
    }

    #[test]
    fn the_final_filesystem_with_the_bytes_earlier_versions_wasted() {
        let image = image();
        assert_eq!(
            list(&image, FileScope::Image, "/"),
            ["/etc/… - step 0", "/usr/… - step 0", "/var/… - step 1"]
        );
        assert_eq!(
            list(&image, FileScope::Image, "/etc"),
            [
                "/etc/a - step 1 wasted 10 by step 1 (Modified)",
                "/etc/c - step 2 wasted 1 by step 2 (Modified)"
            ]
        );
        assert!(matches!(
            image.list_dir(FileScope::Image, "/nope", 0, 10),
            Err(LayerError::PathNotFound { .. })
        ));
        assert_eq!(
            list(&image, FileScope::Image, "/etc/a"),
            Vec::<String>::new()
        );
    }

    #[test]
    fn one_steps_changes_with_the_directories_that_lead_to_them() {
        let image = image();
        assert_eq!(
            list(&image, FileScope::Steps(&[1]), "/"),
            ["/etc/… - step 1", "/var/… A step 1"]
        );
        assert_eq!(
            list(&image, FileScope::Steps(&[1]), "etc"),
            [
                "/etc/a M step 1",
                "/etc/b D step 1",
                "/etc/c A step 1 wasted 1 by step 2 (Modified)"
            ]
        );
        assert_eq!(
            list(&image, FileScope::Steps(&[1]), "/var"),
            ["/var/x/… A step 1"]
        );
        assert_eq!(
            list(&image, FileScope::Steps(&[0]), "/etc"),
            [
                "/etc/a A step 0 wasted 10 by step 1 (Modified)",
                "/etc/b A step 0 wasted 20 by step 1 (Removed)"
            ]
        );
        assert_eq!(
            list(&image, FileScope::Steps(&[1]), "/usr"),
            Vec::<String>::new()
        );
        assert!(matches!(
            image.list_dir(FileScope::Steps(&[7]), "/", 0, 10),
            Err(LayerError::NoSuchLayer { layer: 7, .. })
        ));
    }

    #[test]
    fn several_steps_show_each_paths_latest_change() {
        let image = image();
        assert_eq!(
            list(&image, FileScope::Steps(&[2, 0]), "/"),
            ["/etc/… A step 0", "/usr/… A step 0"]
        );
        assert_eq!(
            list(&image, FileScope::Steps(&[0, 1, 2]), "/etc"),
            ["/etc/a M step 1", "/etc/b D step 1", "/etc/c M step 2"]
        );
    }

    #[test]
    fn search_among_changes_keeps_the_latest() {
        let image = image();
        let found = image.search_in(FileScope::Steps(&[0, 1]), "B", 10).unwrap();
        assert_eq!(lines(&found), ["/etc/b D step 1", "/usr/bin/… A step 0"]);
        let found = image.search_in(FileScope::Steps(&[1]), "x/", 10).unwrap();
        assert_eq!(lines(&found), ["/var/x/y A step 1"]);
        let found = image.search_in(FileScope::Image, "c", 10).unwrap();
        assert_eq!(
            lines(&found),
            [
                "/etc/… - step 0",
                "/etc/c - step 2 wasted 1 by step 2 (Modified)"
            ]
        );
        assert_eq!(image.search_in(FileScope::Image, "", 2).unwrap().len(), 2);
    }

    #[test]
    fn a_directory_of_100k_files_is_listed_a_page_at_a_time() {
        let big = layer("big", |b| {
            for i in 0..100_000 {
                b.add(&format!("data/f{i:06}"), file(1), "").unwrap();
            }
            b.add("data-z", file(1), "").unwrap();
        });
        let image = ImageLayers::from_indexes(vec![big], Vec::new());
        for scope in [FileScope::Image, FileScope::Steps(&[0])] {
            let started = std::time::Instant::now();
            let page = image.list_dir(scope, "/data", 50_000, 200).unwrap();
            println!(
                "a page of 200 of a 100,000-entry directory ({scope:?}): {:?}",
                started.elapsed()
            );
            assert_eq!(page.entries.len(), 200);
            let page = image.list_dir(scope, "/data", 99_990, 50).unwrap();
            assert_eq!(page.total, 100_000);
            assert_eq!(page.entries.len(), 10);
            assert_eq!(page.entries[0].entry.path, "/data/f099990");
            let root = image.list_dir(scope, "/", 0, 50).unwrap();
            assert_eq!(root.total, 2, "{scope:?}");
            let past = image.list_dir(scope, "/data", 200_000, 50).unwrap();
            assert!(past.entries.is_empty());
        }
    }
}
