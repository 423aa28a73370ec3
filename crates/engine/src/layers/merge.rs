//! Stacks layer indexes into the image's final filesystem, as the OCI image spec's
//! "Applying Changesets" says, and on the way records what each layer changed and what it
//! wasted.
//!
//! Layer by layer, for each path: first the layer's whiteouts remove what the layers
//! *below* have (`.wh.<name>` removes that path and everything inside it; `.wh..wh..opq`
//! removes everything inside its directory; an entry that is not a directory replaces a
//! directory below, contents and all), then the layer's own entries are written (a
//! directory over a directory only changes its metadata; anything else replaces). Entries
//! of the same layer are never hidden by that layer's whiteouts, so a path can be removed
//! and added again in one layer.
//!
//! All the layers' paths are visited once, in tree order (a k-way merge of the sorted
//! indexes), with a stack of the directories above the current path: the whole image is
//! merged in time linear in its number of entries, with no map keyed by path.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use serde::Serialize;

use super::index::{FileType, LayerIndex, RawEntry};
use super::paths::{self, tree_cmp};

/// How a layer changed a path, relative to the layers below it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ChangeKind {
    Added,
    /// Written again over what was there: a file's content, a link, or a directory's
    /// mode or owner (a directory restated with the same metadata is no change).
    Modified,
    /// Whited out, or gone with a directory that was.
    Removed,
}

/// A version of a path: which layer wrote it, and where its entry is in that layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Version {
    pub layer: u32,
    pub pos: u32,
}

/// A path of the final filesystem.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Node {
    pub version: Version,
    /// Position after the last node of this path's subtree.
    pub end: u32,
}

/// One change a layer made; `version` is the version it describes (for a removal, the
/// removed one).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Change {
    pub version: Version,
    pub kind: ChangeKind,
}

/// Per-layer counts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct LayerStats {
    pub added: u64,
    pub modified: u64,
    pub removed: u64,
    /// Bytes of this layer's files that a later layer overwrites or removes.
    pub wasted_bytes: u64,
    /// Bytes of this layer's regular files.
    pub file_bytes: u64,
}

/// A path that more than one layer wrote or removed, as dive lists it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Inefficiency {
    /// One of the versions, for its path.
    pub version: Version,
    pub count: u32,
    pub cumulative: u64,
}

/// dive's efficiency numbers (see [`merge`]).
#[derive(Clone, Debug, Default)]
pub(crate) struct DiveStats {
    pub min_sum: u64,
    pub cumulative_sum: u64,
    pub inefficient: Vec<Inefficiency>,
}

/// The merged image.
pub(crate) struct Merged {
    /// The final filesystem, in tree order.
    pub nodes: Vec<Node>,
    /// Per layer, its changes in tree order.
    pub changes: Vec<Vec<Change>>,
    pub stats: Vec<LayerStats>,
    pub dive: DiveStats,
}

/// A layer removes lower versions of everything inside a directory at `layer`.
#[derive(Clone, Copy, Debug)]
struct Kill {
    layer: u32,
    /// The stack depth of the whiteout or opaque directory that causes it, when dive
    /// counts what it removes there; `None` for a directory replaced by a file.
    origin: Option<usize>,
}

/// What dive saw of one path: how many layers' trees have it as a leaf, and its sizes.
#[derive(Clone, Copy, Debug, Default)]
struct Visits {
    count: u32,
    cumulative: u64,
    min: u64,
    sample: Option<Version>,
}

impl Visits {
    fn add(&mut self, size: u64, version: Version) {
        self.min = if self.count == 0 {
            size
        } else {
            self.min.min(size)
        };
        self.count += 1;
        self.cumulative = self.cumulative.saturating_add(size);
        self.sample.get_or_insert(version);
    }
}

/// A whiteout (or opaque marker) waiting for the sizes of what it removes.
#[derive(Clone, Copy, Debug)]
struct Pending {
    layer: u32,
    version: Version,
    removed_bytes: u64,
    /// An opaque marker (a path of its own in dive's trees, seen once).
    opaque: bool,
    /// A whiteout that dive sees as a leaf of this path (not one the layer re-adds).
    visit: bool,
}

/// A directory above the current path (or the path itself, while it is processed).
struct Frame<'a> {
    path: &'a str,
    /// Removals that apply to everything inside this directory, by layer.
    kills: Vec<Kill>,
    node: Option<usize>,
    visits: Visits,
    pending: Vec<Pending>,
}

/// The next entry of one layer, for the k-way merge (smallest path first, then the lowest
/// layer).
struct Head<'a> {
    path: &'a str,
    layer: u32,
    pos: u32,
}

impl Ord for Head<'_> {
    fn cmp(&self, other: &Self) -> Ordering {
        tree_cmp(other.path, self.path).then(other.layer.cmp(&self.layer))
    }
}

impl PartialOrd for Head<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Head<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Head<'_> {}

/// The state of one path as the layers stack up.
#[derive(Clone, Copy, Debug)]
struct State {
    version: Version,
    kind: FileType,
    size: u64,
    mode: u32,
    uid: u64,
    gid: u64,
}

impl State {
    fn of(raw: &RawEntry, version: Version, kind: FileType) -> State {
        State {
            version,
            kind,
            size: if kind == FileType::File { raw.size } else { 0 },
            mode: raw.mode,
            uid: raw.uid,
            gid: raw.gid,
        }
    }
}

/// Stacks `layers` (bottom first).
///
/// Wasted space and the efficiency score follow dive's `filetree/efficiency.go`: every
/// layer's tree is walked leaf by leaf; a path that is a leaf in more than one layer is
/// "inefficient" and all its sizes count as wasted; the score is the sum over paths of the
/// smallest size seen divided by the sum of all sizes seen. A whiteout of a directory
/// counts the bytes it removes; a whiteout of a file counts 0. Unlike dive, an opaque
/// directory counts the bytes it hides (dive ignores opaque markers).
pub(crate) fn merge(layers: &[&LayerIndex]) -> Merged {
    let mut m = Merger {
        layers,
        nodes: Vec::new(),
        changes: vec![Vec::new(); layers.len()],
        stats: vec![LayerStats::default(); layers.len()],
        dive: DiveStats::default(),
        stack: Vec::new(),
    };
    let root_kills: Vec<Kill> = layers
        .iter()
        .enumerate()
        .filter(|(_, l)| l.root_opaque)
        .map(|(i, _)| Kill {
            layer: i as u32,
            origin: Some(0),
        })
        .collect();
    m.stack.push(Frame {
        path: "",
        kills: root_kills,
        node: None,
        visits: Visits::default(),
        pending: layers
            .iter()
            .enumerate()
            .filter(|(_, l)| l.root_opaque)
            .map(|(i, _)| Pending {
                layer: i as u32,
                version: Version {
                    layer: i as u32,
                    pos: 0,
                },
                removed_bytes: 0,
                opaque: true,
                visit: false,
            })
            .collect(),
    });
    for (i, layer) in layers.iter().enumerate() {
        m.stats[i].file_bytes = layer
            .entries
            .iter()
            .filter(|e| e.kind == Some(FileType::File))
            .map(|e| e.size)
            // Saturating: a GNU sparse entry's size is whatever its header claims.
            .fold(0, u64::saturating_add);
    }

    let mut heap: BinaryHeap<Head<'_>> = BinaryHeap::with_capacity(layers.len());
    for (i, layer) in layers.iter().enumerate() {
        if let Some(first) = layer.entries.first() {
            heap.push(Head {
                path: layer.path_of(first),
                layer: i as u32,
                pos: 0,
            });
        }
    }
    let mut group: Vec<Version> = Vec::new();
    while let Some(head) = heap.pop() {
        let path = head.path;
        group.clear();
        let mut next = Some(head);
        while let Some(h) = next.take() {
            group.push(Version {
                layer: h.layer,
                pos: h.pos,
            });
            let layer = layers[h.layer as usize];
            if let Some(e) = layer.entries.get(h.pos as usize + 1) {
                heap.push(Head {
                    path: layer.path_of(e),
                    layer: h.layer,
                    pos: h.pos + 1,
                });
            }
            if heap.peek().is_some_and(|p| p.path == path) {
                next = heap.pop();
            }
        }
        m.path(path, &group);
    }
    while m.stack.len() > 1 {
        m.pop();
    }
    let root = m.stack.pop().map(|f| f.pending).unwrap_or_default();
    m.settle_pending(&root);

    Merged {
        nodes: m.nodes,
        changes: m.changes,
        stats: m.stats,
        dive: m.dive,
    }
}

struct Merger<'l, 'a> {
    layers: &'l [&'a LayerIndex],
    nodes: Vec<Node>,
    changes: Vec<Vec<Change>>,
    stats: Vec<LayerStats>,
    dive: DiveStats,
    stack: Vec<Frame<'a>>,
}

impl<'a> Merger<'_, 'a> {
    fn raw(&self, v: Version) -> &'a RawEntry {
        &self.layers[v.layer as usize].entries[v.pos as usize]
    }

    /// Closes the innermost directory: its subtree ends here, and its dive visits are
    /// complete.
    fn pop(&mut self) {
        let Some(frame) = self.stack.pop() else {
            return;
        };
        if let Some(node) = frame.node {
            self.nodes[node].end = self.nodes.len() as u32;
        }
        let mut visits = frame.visits;
        for p in frame.pending.iter().filter(|p| p.visit) {
            visits.add(p.removed_bytes, p.version);
        }
        self.settle_pending(&frame.pending);
        if visits.count > 0 {
            self.dive.min_sum = self.dive.min_sum.saturating_add(visits.min);
            self.dive.cumulative_sum = self.dive.cumulative_sum.saturating_add(visits.cumulative);
            if visits.count >= 2
                && let Some(version) = visits.sample
            {
                self.dive.inefficient.push(Inefficiency {
                    version,
                    count: visits.count,
                    cumulative: visits.cumulative,
                });
            }
        }
    }

    /// An opaque marker is a path of its own in dive's trees (`dir/.wh..opq`), seen once.
    fn settle_pending(&mut self, pending: &[Pending]) {
        for p in pending.iter().filter(|p| p.opaque) {
            self.dive.min_sum = self.dive.min_sum.saturating_add(p.removed_bytes);
            self.dive.cumulative_sum = self.dive.cumulative_sum.saturating_add(p.removed_bytes);
        }
    }

    /// Every layer's entry for one path (`group`, lowest layer first).
    fn path(&mut self, path: &'a str, group: &[Version]) {
        while self.stack.len() > 1 && !paths::is_inside(path, self.stack[self.stack.len() - 1].path)
        {
            self.pop();
        }
        let depth = self.stack.len();
        let inherited = &self.stack[depth - 1].kills;

        // Removals of this path: from above, and its own whiteouts.
        let mut kills: Vec<Kill> = inherited.clone();
        let mut own_kills: Vec<Kill> = Vec::new();
        let mut pending: Vec<Pending> = Vec::new();
        for &v in group {
            let raw = self.raw(v);
            let whiteout = raw.flags & super::index::WHITEOUT != 0;
            let opaque = raw.flags & super::index::OPAQUE != 0;
            let replaces_dir = matches!(raw.kind, Some(k) if k != FileType::Dir);
            if whiteout {
                // The path itself goes; dive counts what was inside it at this whiteout.
                insert_kill(
                    &mut kills,
                    Kill {
                        layer: v.layer,
                        origin: None,
                    },
                );
            }
            if whiteout || opaque {
                insert_kill(
                    &mut own_kills,
                    Kill {
                        layer: v.layer,
                        origin: Some(depth),
                    },
                );
                pending.push(Pending {
                    layer: v.layer,
                    version: v,
                    removed_bytes: 0,
                    opaque: opaque && !whiteout,
                    visit: whiteout && raw.kind.is_none(),
                });
            } else if replaces_dir {
                insert_kill(
                    &mut own_kills,
                    Kill {
                        layer: v.layer,
                        origin: None,
                    },
                );
            }
        }
        let mut descendant_kills = inherited.clone();
        for k in own_kills {
            insert_kill(&mut descendant_kills, k);
        }

        // Walk the layers that touch this path, in order.
        let mut state: Option<State> = None;
        let mut visits = Visits::default();
        let (mut g, mut k) = (0, 0);
        loop {
            let layer = match (group.get(g), kills.get(k)) {
                (None, None) => break,
                (Some(v), None) => v.layer,
                (None, Some(kill)) => kill.layer,
                (Some(v), Some(kill)) => v.layer.min(kill.layer),
            };
            let before = state;
            if let Some(kill) = kills.get(k).filter(|kill| kill.layer == layer) {
                k += 1;
                if let Some(s) = state.take() {
                    self.supersede(s);
                    if let Some(origin) = kill.origin {
                        self.attribute(origin, layer, s.size);
                    }
                }
            }
            if let Some(&v) = group.get(g).filter(|v| v.layer == layer) {
                g += 1;
                let raw = self.raw(v);
                if let Some(kind) = raw.kind {
                    let implicit = raw.flags & super::index::IMPLICIT != 0;
                    if !(implicit && state.is_some_and(|s| s.kind == FileType::Dir)) {
                        if let Some(s) = state {
                            self.supersede(s);
                        }
                        state = Some(State::of(raw, v, kind));
                    }
                    if !implicit && self.is_leaf(v, path) {
                        visits.add(if kind == FileType::File { raw.size } else { 0 }, v);
                    }
                }
            }
            self.classify(layer, before, state);
        }

        let node = state.map(|s| {
            self.nodes.push(Node {
                version: s.version,
                end: 0,
            });
            self.nodes.len() - 1
        });
        self.stack.push(Frame {
            path,
            kills: descendant_kills,
            node,
            visits,
            pending,
        });
    }

    /// Whether `v`'s layer has nothing inside `path` (dive visits leaves only).
    fn is_leaf(&self, v: Version, path: &str) -> bool {
        let layer = self.layers[v.layer as usize];
        layer
            .entries
            .get(v.pos as usize + 1)
            .is_none_or(|next| !paths::is_inside(layer.path_of(next), path))
    }

    /// A version stops being visible: its bytes were wasted.
    fn supersede(&mut self, s: State) {
        let stats = &mut self.stats[s.version.layer as usize];
        stats.wasted_bytes = stats.wasted_bytes.saturating_add(s.size);
    }

    /// A removal by the whiteout or opaque directory at stack depth `origin` took `bytes`.
    fn attribute(&mut self, origin: usize, layer: u32, bytes: u64) {
        if let Some(p) = self
            .stack
            .get_mut(origin)
            .and_then(|f| f.pending.iter_mut().find(|p| p.layer == layer))
        {
            p.removed_bytes = p.removed_bytes.saturating_add(bytes);
        }
    }

    fn classify(&mut self, layer: u32, before: Option<State>, after: Option<State>) {
        let (kind, version) = match (before, after) {
            (None, Some(a)) => (ChangeKind::Added, a.version),
            (Some(b), None) => (ChangeKind::Removed, b.version),
            (Some(b), Some(a)) if a.version.layer == layer && a.version != b.version => {
                let same_dir = b.kind == FileType::Dir
                    && a.kind == FileType::Dir
                    && (b.mode, b.uid, b.gid) == (a.mode, a.uid, a.gid);
                if same_dir {
                    return;
                }
                (ChangeKind::Modified, a.version)
            }
            _ => return,
        };
        let stats = &mut self.stats[layer as usize];
        match kind {
            ChangeKind::Added => stats.added += 1,
            ChangeKind::Modified => stats.modified += 1,
            ChangeKind::Removed => stats.removed += 1,
        }
        self.changes[layer as usize].push(Change { version, kind });
    }
}

/// Adds `kill` to a list sorted by layer, keeping the one already there for that layer
/// (the outermost directory's).
fn insert_kill(kills: &mut Vec<Kill>, kill: Kill) {
    match kills.binary_search_by_key(&kill.layer, |k| k.layer) {
        Ok(_) => {}
        Err(at) => kills.insert(at, kill),
    }
}
