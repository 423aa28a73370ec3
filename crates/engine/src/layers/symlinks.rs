//! Paths that go through a symlink, moved to where extraction puts them.
//!
//! Extraction (containerd's applier, moby, umoci, `rootfs::unpack`) resolves each tar
//! entry's directory on disk, inside the root as a chroot would: every symlink met on the
//! way is followed, whichever layer made it. The index does the same in two steps:
//!
//! - [`follow_own_links`], as a layer is indexed: the symlinks the layer's own tar wrote
//!   earlier (`b -> ../c` then `b/a` writes `c/a`), in tar order ([`OwnLinks`]);
//! - [`follow_lower_symlinks`], as layers are stacked: the symlinks the layers below left
//!   (`lib -> usr/lib` below, `lib/x` above: `usr/lib/x`). A layer that has such a path
//!   is replayed in tar order from the names its tar gives ([`LayerIndex::tar_names`],
//!   and the records later ones replaced), each path through the lower layers' links and
//!   its own as they stand at that point: a link the layer replaced before (with a
//!   directory of its own, say) is not followed, one it replaces after is. Whiteouts and
//!   opaque markers land first, each as the layers below have its path (they apply
//!   before the layer's own entries), the marker's directory followed too
//!   (`l/.wh..wh..opq` with `l -> d` empties `d`). Hard links get their target's
//!   metadata as it was when they were made (a later entry or layer replacing the target
//!   leaves the link as it was); a hard link to a symlink is that symlink.

use std::collections::{BTreeMap, HashSet};
use std::ops::Bound;

use super::index::{
    BuildLimit, CONVERTED, FileType, IMPLICIT, IndexBuilder, LayerIndex, MARKER, MAX_NAME_BYTES,
    Meta, OPAQUE, RawEntry, Span, TarName, WHITEOUT,
};
use super::paths;

/// How many links one path may go through (Linux's `MAXSYMLINKS`).
const MAX_LINKS: usize = 40;

/// The symlinks one layer's tar has written so far, by the real path they are at, as
/// extraction meets them in tar order.
#[derive(Default)]
pub(crate) struct OwnLinks {
    links: BTreeMap<String, String>,
    /// `<path>/`, for the range of the links inside a path.
    inside: String,
}

impl OwnLinks {
    /// Where an entry of type `kind` at `path` (and, for a hard link, its target `link`)
    /// lands through the symlinks the tar wrote before it; `None` where it is as written
    /// (or goes through a loop of links, which extraction refuses). Then records what the
    /// entry does to those symlinks.
    pub fn land(
        &mut self,
        path: &str,
        kind: FileType,
        link: &str,
    ) -> (Option<String>, Option<String>) {
        if self.links.is_empty() && kind != FileType::Symlink {
            return (None, None);
        }
        let landed = self.resolve(path);
        let target = match kind {
            FileType::Hardlink => self.resolve(link),
            _ => None,
        };
        let at = landed.as_deref().unwrap_or(path);
        // A hard link to a symlink is that symlink.
        let linked = match kind {
            FileType::Hardlink => self.links.get(target.as_deref().unwrap_or(link)).cloned(),
            _ => None,
        };
        let (kind, link) = match &linked {
            Some(text) => (FileType::Symlink, text.as_str()),
            None => (kind, link),
        };
        match kind {
            // A directory over a directory keeps what is inside it; over a symlink, it
            // replaces the link.
            FileType::Dir => {
                self.links.remove(at);
            }
            _ => {
                self.links.remove(at);
                self.inside.clear();
                self.inside.push_str(at);
                self.inside.push('/');
                let inside = self.inside.as_str();
                let gone: Vec<String> = self
                    .links
                    .range::<str, _>((Bound::Included(inside), Bound::Unbounded))
                    .take_while(|(k, _)| k.starts_with(inside))
                    .map(|(k, _)| k.clone())
                    .collect();
                for k in gone {
                    self.links.remove(&k);
                }
                if kind == FileType::Symlink {
                    self.links.insert(at.to_owned(), link.to_owned());
                }
            }
        }
        (landed, target)
    }

    /// `path` with its proper ancestors followed through the recorded links; `None` when
    /// that changes nothing or meets a loop.
    fn resolve(&self, path: &str) -> Option<String> {
        if !ancestors(path).any(|a| self.links.contains_key(a)) {
            return None;
        }
        // What is left to walk, last component first (a stack); the path's own last
        // component is at the bottom, so it is never followed.
        let mut rest: Vec<String> = path.split('/').rev().map(str::to_owned).collect();
        let mut done: Vec<String> = Vec::new();
        let mut hops = 0;
        while let Some(part) = rest.pop() {
            match part.as_str() {
                "" | "." => continue,
                ".." => {
                    done.pop();
                    continue;
                }
                _ => done.push(part),
            }
            if rest.is_empty() {
                break;
            }
            if let Some(target) = self.links.get(&done.join("/")) {
                hops += 1;
                if hops > MAX_LINKS {
                    return None;
                }
                done.pop();
                if target.starts_with('/') {
                    done.clear();
                }
                rest.extend(target.split('/').rev().map(str::to_owned));
            }
        }
        let out = done.join("/");
        (!out.is_empty() && out != path).then_some(out)
    }
}

/// Moves a layer's entries (in tar order, their spans in `names`) that go through a
/// symlink of the same tar to where extraction puts them, and returns the names the tar
/// gave the moved ones. Whiteouts and opaque markers stay: they apply before the layer's
/// entries, when none of its links exist yet.
pub(crate) fn follow_own_links(names: &mut String, pending: &mut [RawEntry]) -> Vec<TarName> {
    let mut tar_names = Vec::new();
    if !pending.iter().any(|r| r.kind == Some(FileType::Symlink)) {
        return tar_names;
    }
    let mut own = OwnLinks::default();
    for raw in pending.iter_mut() {
        let Some(kind) = raw.kind else { continue };
        let (path, link) = own.land(raw.path.get(names), kind, raw.link.get(names));
        if path.is_none() && link.is_none() {
            continue;
        }
        let room = |m: &Option<String>| m.as_ref().map_or(0, String::len);
        if names.len() + room(&path) + room(&link) > MAX_NAME_BYTES {
            continue;
        }
        tar_names.push(TarName {
            seq: raw.seq,
            path: raw.path,
            link: raw.link,
        });
        for (moved, span) in [(path, &mut raw.path), (link, &mut raw.link)] {
            if let Some(moved) = moved {
                *span = Span {
                    start: names.len() as u32,
                    len: moved.len() as u32,
                };
                names.push_str(&moved);
            }
        }
    }
    tar_names
}

/// The layers, with each upper layer's paths rewritten through the symlinks of the
/// layers below it, and each hard link given what it linked to. Layers without such a
/// path are returned as they are (the common case costs one hash lookup per ancestor of
/// each path).
pub(crate) fn follow_lower_symlinks(mut layers: Vec<LayerIndex>) -> Vec<LayerIndex> {
    // Every path some layer below the current one made a symlink (whether or not it still
    // is one: `link_below` decides that for the few paths that matter).
    let mut links: HashSet<String> = HashSet::new();
    for i in 0..layers.len() {
        let (lower, upper) = layers.split_at_mut(i);
        if let Some(below) = lower.last() {
            links.extend(
                below
                    .entries()
                    .filter(|e| e.kind == Some(FileType::Symlink))
                    .map(|e| e.path.to_owned()),
            );
        }
        let through = |p: &str| ancestors(p).any(|a| links.contains(a));
        let layer = &upper[0];
        let affected = !links.is_empty()
            && layer.entries.iter().chain(&layer.shadowed).any(|r| {
                let (path, link) = (r.path.get(&layer.names), r.link.get(&layer.names));
                through(path)
                    || (r.flags & OPAQUE != 0 && links.contains(path))
                    // A hard link to a symlink is that symlink.
                    || (r.kind == Some(FileType::Hardlink)
                        && (through(link) || links.contains(link)))
            })
            || layer.tar_names.iter().any(|t| {
                let link = t.link.get(&layer.names);
                through(t.path.get(&layer.names)) || through(link) || links.contains(link)
            });
        if affected {
            match rewrite(lower, layer) {
                Ok(Some(rewritten)) => upper[0] = rewritten,
                Ok(None) => {}
                Err(_) => tracing::warn!(
                    "layer {}: too many paths to follow its lower layers' symlinks; shown as written",
                    upper[0].digest()
                ),
            }
        }
        link_hard_links(lower, &mut upper[0]);
    }
    layers
}

/// The proper ancestors of `path` (`a`, `a/b` for `a/b/c`).
fn ancestors(path: &str) -> impl Iterator<Item = &str> {
    path.match_indices('/').map(move |(i, _)| &path[..i])
}

/// `layer` with its paths resolved through `lower`'s symlinks and its own, as extraction
/// resolves them; `None` when nothing moves.
fn rewrite(lower: &[LayerIndex], layer: &LayerIndex) -> Result<Option<LayerIndex>, BuildLimit> {
    let mut moved = false;
    let mut builder = IndexBuilder::new();
    // What a whiteout or opaque marker removes is found as the layers below have it,
    // before any of the layer's own entries.
    let mut removals = Removals {
        root: layer.root_opaque,
        ..Removals::default()
    };
    let records = || layer.entries.iter().chain(&layer.shadowed);
    for raw in records() {
        let e = layer.view(raw);
        builder.set_sequence(raw.seq);
        if raw.flags & WHITEOUT != 0 {
            let path = resolve(lower, e.path);
            moved |= path != e.path;
            builder.whiteout(&path)?;
            removals.whiteouts.insert(path);
        }
        if raw.flags & MARKER != 0 {
            // The marker is `<dir>/.wh..wh..opq`: its directory is followed too.
            let inside = resolve(lower, &format!("{}/x", e.path));
            let path = paths::parent(&inside).to_owned();
            moved |= path != e.path;
            builder.opaque(&path)?;
            removals.opaque.insert(path);
        }
    }
    // What the layer writes lands in tar order, from the names its tar gives, through
    // the symlinks on the way as extraction meets them: the layers' below (unless the
    // layer's markers removed them, or its entries replaced them) and its own. (A
    // directory made of a non-directory of the layer's, or over one, is made again from
    // the replaced records.)
    builder.landed();
    let mut written: Vec<&RawEntry> = records()
        .filter(|r| r.kind.is_some() && r.flags & (IMPLICIT | CONVERTED) == 0)
        .collect();
    written.sort_by_key(|r| r.seq);
    let mut replay = Replay {
        lower,
        removals: &removals,
        own: BTreeMap::new(),
    };
    for raw in written {
        let e = layer.view(raw);
        let Some(kind) = e.kind else { continue };
        let (tar_path, tar_link) = layer
            .tar_name(raw.seq)
            .unwrap_or((e.path, raw.link.get(&layer.names)));
        // A loop of links: extraction refuses the layer; show the path as indexed.
        let path = replay.land(tar_path).unwrap_or_else(|| e.path.to_owned());
        let link = match kind {
            FileType::Hardlink if !tar_link.is_empty() => {
                replay.land(tar_link).unwrap_or_else(|| tar_link.to_owned())
            }
            _ => tar_link.to_owned(),
        };
        moved |= path != e.path || link != raw.link.get(&layer.names);
        replay.wrote(&path, kind, &link);
        // The builder implies again the directories the rewritten paths need.
        let meta = Meta {
            kind,
            size: e.size,
            mode: e.mode,
            uid: e.uid,
            gid: e.gid,
            mtime: e.mtime,
        };
        builder.set_sequence(raw.seq);
        builder.add(&path, meta, &link)?;
    }
    if !moved {
        return Ok(None);
    }
    let built = builder.finish();
    Ok(Some(LayerIndex {
        entries: built.entries,
        shadowed: built.shadowed,
        // Landed from them: a stacked layer is not landed again.
        tar_names: Vec::new(),
        names: built.names,
        root_opaque: built.root_opaque || layer.root_opaque,
        ..layer.clone()
    }))
}

/// What a layer's whiteouts and opaque markers removed, where they landed.
#[derive(Debug, Default)]
struct Removals {
    root: bool,
    whiteouts: HashSet<String>,
    opaque: HashSet<String>,
}

impl Removals {
    /// Whether what the layers below had at `path` is gone.
    fn removed(&self, path: &str) -> bool {
        self.root
            || self.whiteouts.contains(path)
            || ancestors(path).any(|d| self.whiteouts.contains(d) || self.opaque.contains(d))
    }
}

/// The record `layer` has for `path`.
fn own(layer: &LayerIndex, path: &str) -> Option<RawEntry> {
    layer.position(path).ok().map(|i| layer.entries[i])
}

/// Where a whiteout or opaque marker at `path` finds what it removes: through every
/// ancestor that the layers below (`lower`, rewritten) left a symlink.
fn resolve(lower: &[LayerIndex], path: &str) -> String {
    let mut current = path.to_owned();
    for _ in 0..MAX_LINKS {
        let Some((at, target)) =
            ancestors(&current).find_map(|a| link_below(lower, a).map(|t| (a.len(), t)))
        else {
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

/// What the layer being replayed wrote at a path.
#[derive(Clone, Debug)]
enum Own {
    /// `fresh`: made anew (over nothing, or over a non-directory), hiding what the layers
    /// below had there; otherwise the directory below, kept.
    Dir {
        fresh: bool,
    },
    Link(String),
    Other,
}

/// A layer's entries applied in tar order over the layers below, paths only: where each
/// lands, as extraction resolves it.
struct Replay<'a> {
    lower: &'a [LayerIndex],
    removals: &'a Removals,
    /// What the layer wrote (or made a directory of) so far, by real path.
    own: BTreeMap<String, Own>,
}

impl Replay<'_> {
    /// What the layers below left at `path`, if it still shows: not removed by the
    /// layer's markers, nor replaced by what the layer wrote there or above it.
    fn below(&self, path: &str) -> Option<(FileType, String)> {
        let hidden = self.removals.removed(path)
            || self.own.contains_key(path)
            || ancestors(path).any(|a| {
                matches!(
                    self.own.get(a),
                    Some(Own::Other | Own::Link(_) | Own::Dir { fresh: true })
                )
            });
        if hidden {
            return None;
        }
        let (layer, raw) = visible_below(self.lower, path)?;
        Some((raw.kind?, raw.link.get(&layer.names).to_owned()))
    }

    /// Where the entry `path` (as the tar names it) lands: its proper ancestors followed
    /// through the symlinks there, missing directories and non-directories on the way
    /// made directories. `None` for a loop of links.
    fn land(&mut self, path: &str) -> Option<String> {
        let mut rest: Vec<String> = path.split('/').rev().map(str::to_owned).collect();
        // The real path so far and, for each of its components, the length before it and
        // whether what the layers below had inside it is gone (kept as the walk goes, so
        // that a deep path costs no more than its length per component).
        let mut here = String::new();
        let mut stack: Vec<(usize, bool)> = Vec::new();
        let mut hops = 0;
        while let Some(part) = rest.pop() {
            match part.as_str() {
                "" | "." => continue,
                ".." => {
                    if let Some((len, _)) = stack.pop() {
                        here.truncate(len);
                    }
                    continue;
                }
                _ => {}
            }
            let parent_gone = stack.last().map_or(self.removals.root, |&(_, gone)| gone);
            let len = here.len();
            if !here.is_empty() {
                here.push('/');
            }
            here.push_str(&part);
            if rest.is_empty() {
                break;
            }
            let gone = parent_gone || self.removals.whiteouts.contains(&here);
            let link = match self.own.get(&here) {
                Some(Own::Link(target)) => Some(target.clone()),
                Some(Own::Dir { .. }) => None,
                Some(Own::Other) => {
                    self.own.insert(here.clone(), Own::Dir { fresh: true });
                    None
                }
                None => match visible_below(self.lower, &here).filter(|_| !gone) {
                    Some((layer, raw)) if raw.kind == Some(FileType::Symlink) => {
                        Some(raw.link.get(&layer.names).to_owned())
                    }
                    Some((_, raw)) if raw.kind == Some(FileType::Dir) => None,
                    // Missing, or not a directory: made one.
                    _ => {
                        self.own.insert(here.clone(), Own::Dir { fresh: true });
                        None
                    }
                },
            };
            if let Some(target) = link {
                hops += 1;
                if hops > MAX_LINKS {
                    return None;
                }
                here.truncate(len);
                if target.starts_with('/') {
                    here.clear();
                    stack.clear();
                }
                rest.extend(target.split('/').rev().map(str::to_owned));
                continue;
            }
            let hides = matches!(
                self.own.get(&here),
                Some(Own::Other | Own::Link(_) | Own::Dir { fresh: true })
            );
            stack.push((len, gone || hides || self.removals.opaque.contains(&here)));
        }
        (!here.is_empty()).then_some(here)
    }

    /// The layer wrote an entry of type `kind` at `at` (a hard link: to `link`, landed).
    fn wrote(&mut self, at: &str, kind: FileType, link: &str) {
        let own = match kind {
            FileType::Dir => {
                let fresh = match self.own.get(at) {
                    Some(Own::Dir { fresh }) => *fresh,
                    Some(_) => true,
                    None => !matches!(self.below(at), Some((FileType::Dir, _))),
                };
                self.own.insert(at.to_owned(), Own::Dir { fresh });
                return;
            }
            FileType::Symlink => Own::Link(link.to_owned()),
            // A hard link to a symlink is that symlink.
            FileType::Hardlink => match self.own.get(link) {
                Some(Own::Link(target)) => Own::Link(target.clone()),
                Some(_) => Own::Other,
                None => match self.below(link) {
                    Some((FileType::Symlink, target)) => Own::Link(target),
                    _ => Own::Other,
                },
            },
            _ => Own::Other,
        };
        let inside = format!("{at}/");
        let gone: Vec<String> = self
            .own
            .range(inside.clone()..)
            .take_while(|(k, _)| k.starts_with(&inside))
            .map(|(k, _)| k.clone())
            .collect();
        for k in gone {
            self.own.remove(&k);
        }
        self.own.insert(at.to_owned(), own);
    }
}

/// The record the stack `lower` has at `path` once applied, with its layer: the topmost
/// layer that writes `path`, unless a layer above that removed it (a whiteout or an
/// opaque directory above it, or a non-directory in place of one of its directories).
fn visible_below<'a>(lower: &'a [LayerIndex], path: &str) -> Option<(&'a LayerIndex, RawEntry)> {
    for layer in lower.iter().rev() {
        match own(layer, path) {
            // Only an opaque marker: it hides what is inside the path, not the path.
            Some(r) if r.kind.is_none() && r.flags & WHITEOUT == 0 => {}
            Some(r) => return r.kind.is_some().then_some((layer, r)),
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

/// The target of the symlink at `path` once the stack `lower` is applied, if it is one
/// then.
fn link_below(lower: &[LayerIndex], path: &str) -> Option<String> {
    let (layer, raw) = visible_below(lower, path)?;
    (raw.kind == Some(FileType::Symlink)).then(|| raw.link.get(&layer.names).to_owned())
}

/// What a hard link linked to when it was made.
enum Linked {
    /// A regular file (or a hard link to one, already resolved): its record.
    File(RawEntry),
    /// A symlink: its record and target (a hard link to a symlink is that symlink).
    Symlink(RawEntry, String),
}

/// Gives each hard link of `layer` (over the finished layers `lower`) the metadata its
/// target had when the link was made: extraction links that inode, whatever later
/// entries or layers do to the target's name. A hard link to a symlink becomes that
/// symlink. A link to a directory or to nothing (extraction refuses it) stays as it is.
fn link_hard_links(lower: &[LayerIndex], layer: &mut LayerIndex) {
    // (replaced, position): in `shadowed` or in `entries`.
    let record = |layer: &LayerIndex, (replaced, i): (bool, usize)| {
        if replaced {
            layer.shadowed[i]
        } else {
            layer.entries[i]
        }
    };
    let is_link = |r: &RawEntry| r.kind == Some(FileType::Hardlink);
    let mut links: Vec<(bool, usize)> = (0..layer.entries.len())
        .filter(|&i| is_link(&layer.entries[i]))
        .map(|i| (false, i))
        .chain(
            (0..layer.shadowed.len())
                .filter(|&i| is_link(&layer.shadowed[i]))
                .map(|i| (true, i)),
        )
        .collect();
    if links.is_empty() {
        return;
    }
    // In tar order: a link to an earlier link of the layer finds it resolved.
    links.sort_by_key(|&at| record(layer, at).seq);
    for at in links {
        let raw = record(layer, at);
        let Some(linked) = linked(lower, layer, raw.link.get(&layer.names), raw.seq) else {
            continue;
        };
        let (from, text) = match linked {
            Linked::File(from) => (from, None),
            Linked::Symlink(from, text) => (from, Some(text)),
        };
        let text = text.filter(|t| layer.names.len() + t.len() <= MAX_NAME_BYTES);
        let entry = if at.0 {
            &mut layer.shadowed[at.1]
        } else {
            &mut layer.entries[at.1]
        };
        entry.size = from.size;
        entry.mode = from.mode;
        entry.uid = from.uid;
        entry.gid = from.gid;
        entry.mtime = from.mtime;
        if let Some(text) = text {
            entry.kind = Some(FileType::Symlink);
            entry.link = Span {
                start: layer.names.len() as u32,
                len: text.len() as u32,
            };
            layer.names.push_str(&text);
        }
    }
}

/// What `target` was when `layer`'s member `seq` hard-linked it: the layer's own entry
/// written before the link, else what the layers below left there (unless the layer's
/// whiteouts, or a non-directory it wrote before in place of a directory, removed it).
fn linked(lower: &[LayerIndex], layer: &LayerIndex, target: &str, seq: u32) -> Option<Linked> {
    let of = |owner: &LayerIndex, r: RawEntry| match r.kind {
        Some(FileType::File | FileType::Hardlink) => Some(Linked::File(r)),
        Some(FileType::Symlink) => Some(Linked::Symlink(r, r.link.get(&owner.names).to_owned())),
        _ => None,
    };
    if target.is_empty() {
        return None;
    }
    if let Some(r) = layer.written_before(target, seq) {
        return of(layer, r);
    }
    // The layer's markers ran before the link; a non-directory it wrote before the link
    // in place of a directory above the target took the target with it.
    let removed = layer.root_opaque
        || layer.markers_at(target) & WHITEOUT != 0
        || ancestors(target).any(|a| {
            layer.markers_at(a) != 0
                || layer
                    .written_before(a, seq)
                    .is_some_and(|d| d.kind != Some(FileType::Dir))
        });
    if removed {
        return None;
    }
    let (owner, r) = visible_below(lower, target)?;
    of(owner, r)
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

    /// What stacking `layers` shows: path, type and step of each entry.
    fn stacked(layers: Vec<LayerIndex>) -> Vec<(String, FileType, usize)> {
        ImageLayers::from_indexes(layers, Vec::new())
            .tree("/", None)
            .unwrap()
            .into_iter()
            .map(|e| (e.path, e.kind, e.layer))
            .collect()
    }

    /// `d/x` and `l -> d` below.
    fn link_to_a_directory() -> LayerIndex {
        layer("0", |b| {
            b.add("d/x", meta(FileType::File), "").unwrap();
            b.add("d/y", meta(FileType::File), "").unwrap();
            b.add("l", meta(FileType::Symlink), "d").unwrap();
        })
    }

    /// `l/.wh.x` removes `d/x` (extraction resolves the marker's directory), and
    /// `l/.wh..wh..opq` empties `d`, not `l`, which stays a link.
    #[test]
    fn whiteouts_and_opaque_markers_land_through_a_lower_symlink() {
        let whiteout = layer("1", |b| b.whiteout("l/x").unwrap());
        assert_eq!(
            stacked(vec![link_to_a_directory(), whiteout]),
            expected(&[
                ("/d", FileType::Dir, 0),
                ("/d/y", FileType::File, 0),
                ("/l", FileType::Symlink, 0),
            ])
        );
        let opaque = layer("1", |b| b.opaque("l").unwrap());
        assert_eq!(
            stacked(vec![link_to_a_directory(), opaque]),
            expected(&[("/d", FileType::Dir, 0), ("/l", FileType::Symlink, 0)])
        );
    }

    /// Whiteouts say what the layers below have: `.wh.l` does not stop `l/.wh.x` from
    /// reaching `d/x` through the link, whatever their order in the tar.
    #[test]
    fn each_marker_finds_its_path_as_the_layers_below_left_it() {
        let top = layer("1", |b| {
            b.whiteout("l").unwrap();
            b.whiteout("l/x").unwrap();
        });
        assert_eq!(
            stacked(vec![link_to_a_directory(), top]),
            expected(&[("/d", FileType::Dir, 0), ("/d/y", FileType::File, 0)])
        );
    }

    /// Found by `rootfs_props`: `c -> a` below; above, `a/c -> ../c` then `c/c/a`. The
    /// path goes through the lower link (`a/c/a`), then the layer's own (`../c` from `a`
    /// is `c`), then the lower one again: `a/a`.
    #[test]
    fn lower_and_own_symlinks_are_followed_in_turn() {
        let below = layer("0", |b| b.add("c", meta(FileType::Symlink), "a").unwrap());
        let top = layer("1", |b| {
            b.add("a/c", meta(FileType::Symlink), "../c").unwrap();
            b.add("c/c/a", meta(FileType::File), "").unwrap();
        });
        assert_eq!(
            stacked(vec![below, top]),
            expected(&[
                ("/a", FileType::Dir, 1),
                ("/a/a", FileType::File, 1),
                ("/a/c", FileType::Symlink, 1),
                ("/c", FileType::Symlink, 0),
            ])
        );
    }

    /// A hard link shares its target's inode as it was when the link was made: a later
    /// layer replacing the target leaves the link its old size and mode; a hard link to a
    /// symlink is that symlink.
    #[test]
    fn a_hard_link_keeps_what_its_target_was_when_it_was_made() {
        let file = |size, mode| Meta {
            size,
            mode,
            ..meta(FileType::File)
        };
        let l0 = layer("0", |b| {
            b.add("f", file(3, 0o600), "").unwrap();
            b.add("s", meta(FileType::Symlink), "f").unwrap();
        });
        let l1 = layer("1", |b| {
            b.add("h", meta(FileType::Hardlink), "f").unwrap();
            b.add("t", meta(FileType::Hardlink), "s").unwrap();
        });
        let l2 = layer("2", |b| b.add("f", file(9, 0o644), "").unwrap());
        let image = ImageLayers::from_indexes(vec![l0, l1, l2], Vec::new());
        let h = image.get("/h").unwrap();
        assert_eq!((h.kind, h.size, h.mode), (FileType::Hardlink, 3, 0o600));
        assert_eq!(h.link_target.as_deref(), Some("/f"));
        let t = image.get("/t").unwrap();
        assert_eq!(
            (t.kind, t.link_target.as_deref()),
            (FileType::Symlink, Some("f"))
        );
        assert_eq!(image.get("/f").unwrap().size, 9);
    }

    /// The same, but the top layer writes a file under the place instead of the directory.
    /// `layers_props` once found the index keeping a new directory `etc/b` there, but
    /// extraction follows the symlink the layer has just made at `etc/b` (`-> a`), as it
    /// follows any other: the file lands at `etc/a/a` and the symlink stays.
    #[test]
    fn a_file_under_a_symlink_of_the_same_layer_follows_it_through_a_lower_link() {
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
                ("/etc/a", FileType::Dir, 2),
                ("/etc/a/a", FileType::File, 2),
                ("/etc/b", FileType::Symlink, 2),
            ])
        );
    }
}
