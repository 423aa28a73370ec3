//! One layer's index: every path its tar writes or whites out, with type, size, mode,
//! owner and link target, sorted in tree order ([`paths::tree_cmp`]).
//!
//! The paths live in one string and the records are fixed-size, so an index of 100,000
//! entries is two allocations and loads (see `cache.rs`) without touching each path.

use std::cmp::Ordering;

use serde::{Deserialize, Serialize};

use super::decode::Codec;
use super::paths::{self, tree_cmp};
use crate::digest::Digest;
use crate::packages::FoundFile;

/// A layer with more entries than this is refused (the index of one entry costs about
/// 100 bytes while it is built; real layers have well under a million).
pub const MAX_ENTRIES: usize = 4_000_000;
/// Paths and link targets of one layer, in bytes (offsets are `u32`).
pub const MAX_NAME_BYTES: usize = 1 << 30;

/// The type of a file in an image, as the CLI and the UI name it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FileType {
    File,
    Dir,
    Symlink,
    /// A hard link to `link_target`, a path of the same image.
    Hardlink,
    Char,
    Block,
    Fifo,
}

impl FileType {
    pub fn as_str(self) -> &'static str {
        match self {
            FileType::File => "file",
            FileType::Dir => "dir",
            FileType::Symlink => "symlink",
            FileType::Hardlink => "hardlink",
            FileType::Char => "char",
            FileType::Block => "block",
            FileType::Fifo => "fifo",
        }
    }

    /// "a directory", "a symbolic link", … for messages.
    pub fn with_article(self) -> &'static str {
        match self {
            FileType::File => "a file",
            FileType::Dir => "a directory",
            FileType::Symlink => "a symbolic link",
            FileType::Hardlink => "a hard link",
            FileType::Char => "a character device",
            FileType::Block => "a block device",
            FileType::Fifo => "a named pipe (FIFO)",
        }
    }

    /// `drwxr-xr-x` for `mode` (its permission bits), with setuid, setgid and sticky as
    /// `ls -l` shows them (`-rwsr-xr-x`, `drwxrwxrwt`) and `h` for a hard link, as tar does.
    pub fn mode_string(self, mode: u32) -> String {
        let mut s = String::with_capacity(10);
        s.push(match self {
            FileType::Dir => 'd',
            FileType::Symlink => 'l',
            FileType::Hardlink => 'h',
            FileType::Char => 'c',
            FileType::Block => 'b',
            FileType::Fifo => 'p',
            FileType::File => '-',
        });
        let specials = [(0o4000, 's', 'S'), (0o2000, 's', 'S'), (0o1000, 't', 'T')];
        for (who, (special, on, off)) in specials.iter().enumerate() {
            let bits = (mode >> (6 - 3 * who)) & 0o7;
            s.push(if bits & 4 != 0 { 'r' } else { '-' });
            s.push(if bits & 2 != 0 { 'w' } else { '-' });
            let x = bits & 1 != 0;
            s.push(match (mode & special != 0, x) {
                (true, true) => *on,
                (true, false) => *off,
                (false, true) => 'x',
                (false, false) => '-',
            });
        }
        s
    }
}

/// A range of [`LayerIndex`]'s name string.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Span {
    pub start: u32,
    pub len: u32,
}

impl Span {
    pub(crate) fn get(self, names: &str) -> &str {
        // Spans are checked against the string when an index is built or loaded.
        names
            .get(self.start as usize..self.start as usize + self.len as usize)
            .unwrap_or("")
    }
}

pub(crate) const WHITEOUT: u8 = 1;
pub(crate) const OPAQUE: u8 = 2;
pub(crate) const IMPLICIT: u8 = 4;
/// With [`OPAQUE`]: the tar has an opaque marker for this directory (rather than a
/// directory written over a non-directory of the same layer, which hides the layers below
/// as one does).
pub(crate) const MARKER: u8 = 8;
/// A directory that the layer's later entries made of a non-directory it wrote (which is
/// kept among [`LayerIndex::shadowed`]).
pub(crate) const CONVERTED: u8 = 16;

/// One record of the index, as stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct RawEntry {
    pub path: Span,
    pub link: Span,
    pub size: u64,
    pub mtime: i64,
    pub mode: u32,
    pub uid: u64,
    pub gid: u64,
    /// `None`: the layer only whites this path out.
    pub kind: Option<FileType>,
    pub flags: u8,
    /// The tar member that wrote this record (its position among the tar's entries, as
    /// tar readers list them); for a directory the tar only implies, the latest of the
    /// members inside it.
    pub seq: u32,
}

/// One path of a layer, borrowed from its [`LayerIndex`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LayerEntry<'a> {
    /// Relative to the root, without a leading `/` (see [`paths`](super::paths)).
    pub path: &'a str,
    /// What the layer writes here; `None` when it only whites the path out.
    pub kind: Option<FileType>,
    /// Bytes of a regular file's content; 0 for everything else (a hard link's content is
    /// its target's: stacked, [`ImageLayers`](super::ImageLayers) gives it that size).
    pub size: u64,
    /// Permission bits with setuid, setgid and sticky (`0o7777`).
    pub mode: u32,
    pub uid: u64,
    pub gid: u64,
    /// Seconds since the epoch.
    pub mtime: i64,
    /// A symlink's target as written; a hard link's target path (relative to the root).
    pub link_target: Option<&'a str>,
    /// The layer removes what the layers below have at this path (`.wh.<name>`).
    pub whiteout: bool,
    /// The layer hides what the layers below have inside this directory (`.wh..wh..opq`).
    pub opaque: bool,
    /// The tar has no entry for this directory, only for paths inside it.
    pub implicit: bool,
}

/// Everything one layer does to the filesystem.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LayerIndex {
    pub(crate) digest: Digest,
    pub(crate) diff_id: Digest,
    pub(crate) media_type: String,
    pub(crate) codec: Codec,
    pub(crate) compressed_size: u64,
    pub(crate) uncompressed_size: u64,
    /// A `.wh..wh..opq` at the top: everything below is hidden.
    pub(crate) root_opaque: bool,
    pub(crate) entries: Vec<RawEntry>,
    /// Records of the tar that `entries` leave out (tar order): an entry written again
    /// later, or inside something the layer replaced later, and markers inside a file of
    /// the layer's. Where a lower layer's symlink sends them elsewhere they are not
    /// replaced after all, so stacking lands them again with the rest (see `symlinks.rs`).
    pub(crate) shadowed: Vec<RawEntry>,
    /// The path (and hard link target) as the tar names them, of the records that the
    /// layer's own symlinks moved, by sequence number.
    pub(crate) tar_names: Vec<TarName>,
    pub(crate) names: String,
    /// The files that package detectors wanted, with what they found (tar order).
    pub(crate) found: Vec<FoundFile>,
}

impl LayerIndex {
    /// The layer's blob digest (compressed).
    pub fn digest(&self) -> &Digest {
        &self.digest
    }

    /// SHA-256 of the uncompressed tar stream.
    pub fn diff_id(&self) -> &Digest {
        &self.diff_id
    }

    /// The media type the layer was indexed under.
    pub fn media_type(&self) -> &str {
        &self.media_type
    }

    /// The codec the bytes turned out to use.
    pub fn codec(&self) -> Codec {
        self.codec
    }

    pub fn compressed_size(&self) -> u64 {
        self.compressed_size
    }

    pub fn uncompressed_size(&self) -> u64 {
        self.uncompressed_size
    }

    /// The files of this layer that hold packages or an OS identity, with what the
    /// detectors found in them (OS package purls not yet completed with the image's OS).
    pub fn found_files(&self) -> &[FoundFile] {
        &self.found
    }

    /// Whether the layer hides everything below it.
    pub fn root_opaque(&self) -> bool {
        self.root_opaque
    }

    /// How many paths the index holds (whiteouts and implicit directories included).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The paths the tar itself writes: no whiteouts, no implicit directories.
    pub fn file_count(&self) -> usize {
        self.entries
            .iter()
            .filter(|e| e.kind.is_some() && e.flags & IMPLICIT == 0)
            .count()
    }

    /// Every path, in tree order.
    pub fn entries(&self) -> impl ExactSizeIterator<Item = LayerEntry<'_>> + '_ {
        self.entries.iter().map(|raw| self.view(raw))
    }

    /// The entry at position `i` of [`LayerIndex::entries`].
    pub fn entry(&self, i: usize) -> Option<LayerEntry<'_>> {
        self.entries.get(i).map(|raw| self.view(raw))
    }

    /// The entry for `path` (normalised, as the index keeps paths).
    pub fn get(&self, path: &str) -> Option<LayerEntry<'_>> {
        self.position(path).ok().and_then(|i| self.entry(i))
    }

    /// Where `path` is, or would be, in tree order.
    pub(crate) fn position(&self, path: &str) -> Result<usize, usize> {
        self.entries
            .binary_search_by(|e| tree_cmp(e.path.get(&self.names), path))
    }

    /// The records at `path` that later entries of the layer replaced, in tar order.
    fn shadowed_at(&self, path: &str) -> &[RawEntry] {
        let start = self
            .shadowed
            .partition_point(|r| tree_cmp(r.path.get(&self.names), path).is_lt());
        let len = self.shadowed[start..]
            .iter()
            .take_while(|r| r.path.get(&self.names) == path)
            .count();
        &self.shadowed[start..start + len]
    }

    /// The layer's whiteouts and opaque markers as tar member names (`etc/.wh.motd`,
    /// `var/.wh..wh..opq`), for extraction to apply before the layer's other entries;
    /// `None` when one of their names was not UTF-8 (the index keeps it approximately).
    pub fn marker_names(&self) -> Option<Vec<Vec<u8>>> {
        let mut out = Vec::new();
        if self.root_opaque {
            out.push(b".wh..wh..opq".to_vec());
        }
        for raw in self.entries.iter().chain(&self.shadowed) {
            let path = raw.path.get(&self.names);
            if raw.flags & (WHITEOUT | MARKER) != 0 && path.contains('\u{fffd}') {
                return None;
            }
            if raw.flags & WHITEOUT != 0 {
                let (dir, name) = (paths::parent(path), paths::file_name(path));
                let sep = if dir.is_empty() { "" } else { "/" };
                out.push(format!("{dir}{sep}.wh.{name}").into_bytes());
            }
            if raw.flags & MARKER != 0 {
                out.push(format!("{path}/.wh..wh..opq").into_bytes());
            }
        }
        Some(out)
    }

    /// The tar's whiteout ([`WHITEOUT`]) and opaque marker ([`MARKER`]) flags at `path`.
    pub(crate) fn markers_at(&self, path: &str) -> u8 {
        let standing = self
            .position(path)
            .ok()
            .map_or(0, |i| self.entries[i].flags);
        let replaced = self.shadowed_at(path).iter().fold(0, |f, r| f | r.flags);
        (standing | replaced) & (WHITEOUT | MARKER)
    }

    /// The path and link that the tar's member `seq` names, before the layer's own
    /// symlinks moved them; `None` when they did not.
    pub(crate) fn tar_name(&self, seq: u32) -> Option<(&str, &str)> {
        let i = self.tar_names.binary_search_by_key(&seq, |t| t.seq).ok()?;
        let t = self.tar_names[i];
        Some((t.path.get(&self.names), t.link.get(&self.names)))
    }

    /// The last record of the tar at `path` (not a marker) written before its member
    /// `seq`, whether it still stands or a later entry replaced it.
    pub(crate) fn written_before(&self, path: &str, seq: u32) -> Option<RawEntry> {
        let standing = self
            .position(path)
            .ok()
            .map(|i| self.entries[i])
            .filter(|r| r.kind.is_some() && r.flags & IMPLICIT == 0 && r.seq < seq);
        let replaced = self
            .shadowed_at(path)
            .iter()
            .rfind(|r| r.kind.is_some() && r.seq < seq)
            .copied();
        match (standing, replaced) {
            // A non-directory that a later entry made a directory is kept with the
            // directory's sequence number: the non-directory is what was written.
            (Some(a), Some(b)) => Some(if a.seq > b.seq { a } else { b }),
            (a, b) => a.or(b),
        }
    }

    pub(crate) fn path_of(&self, raw: &RawEntry) -> &str {
        raw.path.get(&self.names)
    }

    pub(crate) fn view<'a>(&'a self, raw: &RawEntry) -> LayerEntry<'a> {
        LayerEntry {
            path: raw.path.get(&self.names),
            kind: raw.kind,
            size: raw.size,
            mode: raw.mode,
            uid: raw.uid,
            gid: raw.gid,
            mtime: raw.mtime,
            link_target: matches!(raw.kind, Some(FileType::Symlink | FileType::Hardlink))
                .then(|| raw.link.get(&self.names)),
            whiteout: raw.flags & WHITEOUT != 0,
            opaque: raw.flags & OPAQUE != 0,
            implicit: raw.flags & IMPLICIT != 0,
        }
    }

    /// Checks what a loaded index must hold for lookups to work: spans inside the names
    /// and on character boundaries, entries strictly in tree order.
    pub(crate) fn validate(&self) -> Result<(), String> {
        let in_names = |s: Span| {
            let (start, end) = (s.start as usize, s.start as usize + s.len as usize);
            self.names.is_char_boundary(start)
                && end <= self.names.len()
                && self.names.is_char_boundary(end)
        };
        let mut previous: Option<&str> = None;
        for (i, raw) in self.entries.iter().enumerate() {
            if !in_names(raw.path) || !in_names(raw.link) {
                return Err(format!("entry {i} points outside the name table"));
            }
            let path = raw.path.get(&self.names);
            if !paths::is_normalized(path) {
                return Err(format!("entry {i} has a path that is not normalised"));
            }
            if previous.is_some_and(|p| tree_cmp(p, path) != Ordering::Less) {
                return Err(format!("entry {i} is out of order"));
            }
            previous = Some(path);
        }
        let tar_spans = self.tar_names.iter().map(|t| (t.path, t.link));
        for (path, link) in self
            .shadowed
            .iter()
            .map(|r| (r.path, r.link))
            .chain(tar_spans)
        {
            if !in_names(path) || !in_names(link) {
                return Err("a replaced record points outside the name table".to_owned());
            }
        }
        Ok(())
    }
}

/// What a tar entry says about one path, before the layer is complete.
#[derive(Clone, Debug)]
pub(crate) struct Meta {
    pub kind: FileType,
    pub size: u64,
    pub mode: u32,
    pub uid: u64,
    pub gid: u64,
    pub mtime: i64,
}

/// Collects a layer's entries in archive order, moves those that go through a symlink
/// the tar wrote before them to where extraction puts them, then sorts them, resolves
/// duplicates (the last entry for a path wins, as when a tar is extracted; an entry
/// inside a path that a later entry replaced with a non-directory goes) and adds the
/// directories that the tar implies but does not list. What later entries replaced is
/// kept aside ([`LayerIndex::shadowed`]) for stacking.
#[derive(Default)]
pub(crate) struct IndexBuilder {
    names: String,
    /// Entries in archive order.
    pending: Vec<RawEntry>,
    root_opaque: bool,
    /// The sequence number of the next entry (see [`IndexBuilder::set_sequence`]).
    next: u32,
    /// The paths are already landed through the layer's own symlinks.
    landed: bool,
}

/// A record's path and link as its tar member names them (see
/// [`LayerIndex::tar_names`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct TarName {
    pub seq: u32,
    pub path: Span,
    pub link: Span,
}

/// What [`IndexBuilder::finish`] gives: the entries in tree order and their name string.
pub(crate) struct Built {
    pub entries: Vec<RawEntry>,
    pub shadowed: Vec<RawEntry>,
    pub tar_names: Vec<TarName>,
    pub names: String,
    pub root_opaque: bool,
}

/// Why the builder refused an entry.
#[derive(Debug)]
pub(crate) enum BuildLimit {
    Entries,
    Names,
}

impl IndexBuilder {
    pub fn new() -> IndexBuilder {
        IndexBuilder::default()
    }

    fn span(&mut self, text: &str) -> Result<Span, BuildLimit> {
        if self.names.len() + text.len() > MAX_NAME_BYTES {
            return Err(BuildLimit::Names);
        }
        let start = self.names.len() as u32;
        self.names.push_str(text);
        Ok(Span {
            start,
            len: text.len() as u32,
        })
    }

    fn push(
        &mut self,
        path: &str,
        link: &str,
        meta: Option<Meta>,
        flags: u8,
    ) -> Result<(), BuildLimit> {
        if self.pending.len() >= MAX_ENTRIES {
            return Err(BuildLimit::Entries);
        }
        let path = self.span(path)?;
        let link = self.span(link)?;
        let m = meta.as_ref();
        let seq = self.next;
        self.next = self.next.saturating_add(1);
        self.pending.push(RawEntry {
            path,
            link,
            size: m.map_or(0, |m| m.size),
            mtime: m.map_or(0, |m| m.mtime),
            mode: m.map_or(0, |m| m.mode),
            uid: m.map_or(0, |m| m.uid),
            gid: m.map_or(0, |m| m.gid),
            kind: m.map(|m| m.kind),
            flags,
            seq,
        });
        Ok(())
    }

    /// The next entry is the tar's member `seq` (counting from 0, as tar readers list
    /// members); without this, entries are numbered in the order they are added.
    pub fn set_sequence(&mut self, seq: u32) {
        self.next = seq;
    }

    /// The paths to come are already where extraction puts them: the layer's own symlinks
    /// are not followed again.
    pub fn landed(&mut self) {
        self.landed = true;
    }

    /// The tar writes `path` (normalised, not the root).
    pub fn add(&mut self, path: &str, meta: Meta, link: &str) -> Result<(), BuildLimit> {
        self.push(path, link, Some(meta), 0)
    }

    /// The tar whites `path` out (`.wh.<name>`).
    pub fn whiteout(&mut self, path: &str) -> Result<(), BuildLimit> {
        self.push(path, "", None, WHITEOUT)
    }

    /// The tar makes `dir` opaque (`.wh..wh..opq`); `""` is the root.
    pub fn opaque(&mut self, dir: &str) -> Result<(), BuildLimit> {
        if dir.is_empty() {
            self.root_opaque = true;
            return Ok(());
        }
        self.push(dir, "", None, OPAQUE | MARKER)
    }

    /// The finished entries (tree order) and their name string.
    pub fn finish(self) -> Built {
        let IndexBuilder {
            mut names,
            mut pending,
            root_opaque,
            landed,
            ..
        } = self;
        let moved = if landed {
            Vec::new()
        } else {
            super::symlinks::follow_own_links(&mut names, &mut pending)
        };
        let path = |i: u32| pending[i as usize].path.get(&names);
        let mut order: Vec<u32> = (0..pending.len() as u32).collect();
        // Stable: entries for the same path stay in archive order.
        order.sort_by(|&a, &b| tree_cmp(path(a), path(b)));

        // All the records for one path: flags add up, the last real entry wins. A directory
        // written after a non-directory at the same path (two tar entries that lower
        // symlinks resolve to one place, say) was extracted fresh: the non-directory had
        // already replaced whatever the layers below had there, so the directory hides it,
        // as an opaque one does.
        let is_non_dir = |raw: &RawEntry| raw.kind.is_some_and(|k| k != FileType::Dir);
        let mut merged: Vec<Merged> = Vec::with_capacity(order.len());
        let mut shadowed: Vec<RawEntry> = Vec::new();
        let mut i = 0;
        while i < order.len() {
            let first = order[i];
            let mut raw = pending[first as usize];
            let mut replaced_below = is_non_dir(&raw);
            let mut cleared = replaced_below.then_some(raw.seq);
            let mut j = i + 1;
            while j < order.len() && path(order[j]) == path(first) {
                let next = pending[order[j] as usize];
                let mut flags = raw.flags | next.flags;
                if next.kind.is_some() {
                    if raw.kind.is_some() {
                        shadowed.push(raw);
                    }
                    if next.kind == Some(FileType::Dir) && replaced_below {
                        flags |= OPAQUE;
                    }
                    if is_non_dir(&next) {
                        replaced_below = true;
                        cleared = Some(next.seq);
                    }
                    raw = next;
                }
                raw.flags = flags;
                j += 1;
            }
            merged.push((raw, raw.seq, cleared));
            i = j;
        }
        // A whiteout or opaque marker creates nothing (umoci extracts none of them into a
        // missing directory), unless the layer also writes something inside that path:
        // then it is a directory the tar implies. The first real entry after a path in
        // tree order is inside it exactly when any is.
        let mut next_real: Option<&str> = None;
        for (raw, seq, _) in merged.iter_mut().rev() {
            let p = raw.path.get(&names);
            if raw.kind.is_none() && next_real.is_some_and(|r| paths::is_inside(r, p)) {
                raw.kind = Some(FileType::Dir);
                raw.flags |= IMPLICIT;
                raw.mode = 0o755;
                // Made by the entries inside it (see `add_implied_directories`).
                *seq = 0;
            }
            if raw.kind.is_some() {
                next_real = Some(p);
            }
        }

        add_implied_directories(&mut merged, &names);

        let mut out = Layout {
            entries: Vec::with_capacity(merged.len()),
            shadowed: Vec::new(),
            names: String::with_capacity(names.len()),
            stack: Vec::new(),
        };
        for raw in shadowed {
            out.shadow(raw.path.get(&names), raw.link.get(&names), raw);
        }
        for (raw, seq, cleared) in merged {
            let (p, link) = (raw.path.get(&names), raw.link.get(&names));
            out.place(p, link, raw, seq, cleared);
        }
        let mut tar_names: Vec<TarName> = moved
            .into_iter()
            .map(|t| {
                let path = out.push_name(t.path.get(&names));
                let link = out.push_name(t.link.get(&names));
                TarName {
                    seq: t.seq,
                    path,
                    link,
                }
            })
            .collect();
        tar_names.sort_by_key(|t| t.seq);
        let names_out = &out.names;
        out.shadowed.sort_by(|a, b| {
            tree_cmp(a.path.get(names_out), b.path.get(names_out)).then(a.seq.cmp(&b.seq))
        });
        Built {
            entries: out.entries,
            shadowed: out.shadowed,
            tar_names,
            names: out.names,
            root_opaque,
        }
    }
}

/// A path's merged record, its archive sequence number, and that of the last
/// non-directory the layer wrote there (which removed what the layer wrote inside before).
type Merged = (RawEntry, u32, Option<u32>);

/// Adds a directory record for every ancestor of a real entry that the tar does not list
/// (`a/b/c` alone implies `a` and `a/b`), keeping `merged` in tree order. Such a directory
/// appears when its first entry is extracted, so it carries the latest sequence number of
/// the entries inside it.
fn add_implied_directories(merged: &mut Vec<Merged>, names: &str) {
    let listed = merged.len();
    // The records above the current one: (path span, position in `merged`).
    let mut stack: Vec<(Span, usize)> = Vec::new();
    for i in 0..listed {
        let (raw, seq, _) = merged[i];
        let path = raw.path.get(names);
        while stack
            .last()
            .is_some_and(|(s, _)| !paths::is_inside(path, s.get(names)))
        {
            stack.pop();
        }
        if raw.kind.is_some() {
            // Walk the ancestors from the top, matching them against the stack.
            for (at, (cut, _)) in path.match_indices('/').enumerate() {
                let prefix = &path[..cut];
                if stack.get(at).is_some_and(|(s, _)| s.get(names) == prefix) {
                    let (_, j) = stack[at];
                    if j >= listed || merged[j].0.flags & IMPLICIT != 0 {
                        merged[j].1 = merged[j].1.max(seq);
                    }
                } else {
                    let span = Span {
                        start: raw.path.start,
                        len: cut as u32,
                    };
                    let implied = RawEntry {
                        path: span,
                        link: Span::default(),
                        size: 0,
                        mtime: 0,
                        mode: 0o755,
                        uid: 0,
                        gid: 0,
                        kind: Some(FileType::Dir),
                        flags: IMPLICIT,
                        seq,
                    };
                    merged.push((implied, seq, None));
                    stack.insert(at, (span, merged.len() - 1));
                }
            }
        }
        stack.push((raw.path, i));
    }
    if merged.len() > listed {
        // Two sorted runs: the listed records and the implied directories.
        merged.sort_by(|a, b| tree_cmp(a.0.path.get(names), b.0.path.get(names)));
    }
}

/// The tree as it is laid out, with the chain of directories above the last entry.
struct Layout {
    entries: Vec<RawEntry>,
    shadowed: Vec<RawEntry>,
    names: String,
    /// (position in `entries`, archive sequence number, the last non-directory's) of the
    /// ancestors of the next path.
    stack: Vec<(usize, u32, Option<u32>)>,
}

impl Layout {
    fn path(&self, at: usize) -> &str {
        self.entries[at].path.get(&self.names)
    }

    /// Keeps a record that the layer's later entries replaced (see
    /// [`LayerIndex::shadowed`]).
    fn shadow(&mut self, path: &str, link: &str, raw: RawEntry) {
        let at = self.emit(path, link, raw);
        if let Some(raw) = self.entries.pop() {
            debug_assert_eq!(at, self.entries.len());
            self.shadowed.push(raw);
        }
    }

    fn push_name(&mut self, text: &str) -> Span {
        let start = self.names.len() as u32;
        self.names.push_str(text);
        Span {
            start,
            len: text.len() as u32,
        }
    }

    fn emit(&mut self, path: &str, link: &str, mut raw: RawEntry) -> usize {
        let start = self.names.len() as u32;
        self.names.push_str(path);
        raw.path = Span {
            start,
            len: path.len() as u32,
        };
        let start = self.names.len() as u32;
        self.names.push_str(link);
        raw.link = Span {
            start,
            len: link.len() as u32,
        };
        self.entries.push(raw);
        self.entries.len() - 1
    }

    /// Places one path's merged record after its ancestors.
    fn place(&mut self, path: &str, link: &str, mut raw: RawEntry, seq: u32, cleared: Option<u32>) {
        raw.seq = seq;
        while let Some(&(top, _, _)) = self.stack.last() {
            if paths::is_inside(path, self.path(top)) {
                break;
            }
            self.stack.pop();
        }
        if raw.kind.is_none() {
            // A marker inside something that this layer writes as a file is moot (the
            // file already replaced whatever was below); otherwise it stands alone.
            let moot = self
                .stack
                .iter()
                .any(|&(at, _, _)| matches!(self.entries[at].kind, Some(k) if k != FileType::Dir));
            if moot {
                self.shadow(path, link, raw);
            } else {
                let at = self.emit(path, link, raw);
                self.stack.push((at, seq, cleared));
            }
            return;
        }
        // Ancestors must be directories. One that the layer wrote as something else
        // before this entry became a directory when this entry was extracted: a new one of
        // this layer's, since the non-directory had already replaced whatever the layers
        // below had there (so it hides that, as an opaque one does). One written after
        // this entry replaced the directory, and this entry with it, as did a
        // non-directory written there after this entry, even if a directory followed it.
        for k in 0..self.stack.len() {
            let (at, ancestor_seq, ancestor_cleared) = self.stack[k];
            let ancestor = &mut self.entries[at];
            let replaced = match ancestor.kind {
                Some(FileType::Dir) | None => ancestor_cleared.is_some_and(|c| c > seq),
                Some(_) => ancestor_seq > seq && ancestor.flags & IMPLICIT == 0,
            };
            if replaced {
                if raw.flags & IMPLICIT == 0 {
                    self.shadow(path, link, raw);
                } else if raw.flags & (WHITEOUT | OPAQUE) != 0 {
                    // The markers of a directory only the tar's entries implied.
                    let mut marker = raw;
                    marker.kind = None;
                    marker.flags &= !IMPLICIT;
                    self.shadow(path, link, marker);
                }
                return;
            }
            match ancestor.kind {
                Some(FileType::Dir) | None => {}
                Some(_) => {
                    // What it was stays known: a hard link to it links that.
                    if ancestor.flags & IMPLICIT == 0 {
                        let mut original = *ancestor;
                        original.flags &= !(WHITEOUT | OPAQUE | MARKER);
                        self.shadowed.push(original);
                    }
                    let ancestor = &mut self.entries[at];
                    ancestor.kind = Some(FileType::Dir);
                    ancestor.flags = (ancestor.flags | OPAQUE | CONVERTED) & !IMPLICIT;
                    ancestor.size = 0;
                    ancestor.mode = 0o755;
                    ancestor.uid = 0;
                    ancestor.gid = 0;
                    ancestor.link = Span::default();
                }
            }
        }
        // `add_implied_directories` listed every ancestor, but one may have been dropped
        // above (written before a file replaced its parent) while this later entry made
        // it again: imply it here.
        let known = self
            .stack
            .last()
            .map_or(0, |&(top, _, _)| self.path(top).len());
        let mut cut = known;
        while let Some(slash) = path[cut + usize::from(cut > 0)..].find('/') {
            cut += usize::from(cut > 0) + slash;
            let implied = RawEntry {
                path: Span::default(),
                link: Span::default(),
                size: 0,
                mtime: 0,
                mode: 0o755,
                uid: 0,
                gid: 0,
                kind: Some(FileType::Dir),
                flags: IMPLICIT,
                seq,
            };
            let at = self.emit(&path[..cut], "", implied);
            self.stack.push((at, seq, None));
        }
        let at = self.emit(path, link, raw);
        self.stack.push((at, seq, cleared));
    }
}

#[cfg(test)]
impl LayerIndex {
    /// A checked index of what `f` adds, named `name` (its digest and diff_id derive from
    /// it, so that layers built with different names differ), for unit tests.
    pub(crate) fn built_for_tests(name: &str, f: impl FnOnce(&mut IndexBuilder)) -> LayerIndex {
        let mut b = IndexBuilder::new();
        f(&mut b);
        let Built {
            entries,
            shadowed,
            tar_names,
            names,
            root_opaque,
        } = b.finish();
        let index = LayerIndex {
            digest: Digest::of(name.as_bytes()),
            diff_id: Digest::of(format!("diff {name}").as_bytes()),
            media_type: String::new(),
            codec: Codec::Uncompressed,
            compressed_size: 0,
            uncompressed_size: 0,
            root_opaque,
            found: Vec::new(),
            entries,
            shadowed,
            tar_names,
            names,
        };
        index.validate().unwrap();
        index
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_read_like_ls() {
        assert_eq!(FileType::Dir.mode_string(0o755), "drwxr-xr-x");
        assert_eq!(FileType::File.mode_string(0o4755), "-rwsr-xr-x");
        assert_eq!(FileType::Dir.mode_string(0o1777), "drwxrwxrwt");
        assert_eq!(FileType::File.mode_string(0o2644), "-rw-r-Sr--");
        assert_eq!(FileType::Symlink.mode_string(0o777), "lrwxrwxrwx");
        assert_eq!(FileType::Hardlink.mode_string(0o600), "hrw-------");
    }

    fn meta(kind: FileType, size: u64) -> Meta {
        Meta {
            kind,
            size,
            mode: 0o644,
            uid: 0,
            gid: 0,
            mtime: 0,
        }
    }

    fn build(f: impl FnOnce(&mut IndexBuilder)) -> LayerIndex {
        LayerIndex::built_for_tests("layer", f)
    }

    fn listing(index: &LayerIndex) -> Vec<String> {
        index
            .entries()
            .map(|e| {
                let kind = e.kind.map_or("-", FileType::as_str);
                let mut flags = String::new();
                for (on, c) in [(e.whiteout, 'w'), (e.opaque, 'o'), (e.implicit, 'i')] {
                    if on {
                        flags.push(c);
                    }
                }
                format!("{} {kind} {flags}", e.path).trim_end().to_owned()
            })
            .collect()
    }

    #[test]
    fn adds_implied_directories_and_sorts_in_tree_order() {
        let index = build(|b| {
            b.add("usr/bin/env", meta(FileType::File, 5), "").unwrap();
            b.add("usr-local", meta(FileType::Dir, 0), "").unwrap();
            b.add("usr", meta(FileType::Dir, 0), "").unwrap();
            b.add("a/b/c/d", meta(FileType::File, 1), "").unwrap();
        });
        assert_eq!(
            listing(&index),
            [
                "a dir i",
                "a/b dir i",
                "a/b/c dir i",
                "a/b/c/d file",
                "usr dir",
                "usr/bin dir i",
                "usr/bin/env file",
                "usr-local dir"
            ]
        );
        assert_eq!(index.file_count(), 4);
        assert_eq!(index.get("usr/bin/env").unwrap().size, 5);
        assert!(index.get("usr/bin/e").is_none());
    }

    #[test]
    fn the_last_entry_for_a_path_wins_and_whiteouts_stay() {
        let index = build(|b| {
            b.add("etc/motd", meta(FileType::File, 1), "").unwrap();
            b.whiteout("etc/motd").unwrap();
            b.add("etc/motd", meta(FileType::File, 2), "").unwrap();
            b.opaque("var").unwrap();
            b.opaque("").unwrap();
        });
        assert_eq!(listing(&index), ["etc dir i", "etc/motd file w", "var - o"]);
        assert_eq!(index.get("etc/motd").unwrap().size, 2);
        assert!(index.root_opaque());
    }

    #[test]
    fn markers_create_nothing_unless_the_layer_writes_inside_them() {
        let index = build(|b| {
            b.whiteout("x/gone").unwrap();
            b.opaque("y/z").unwrap();
            b.whiteout("w").unwrap();
            b.add("w/new", meta(FileType::File, 1), "").unwrap();
            b.add("f", meta(FileType::File, 1), "").unwrap();
            b.whiteout("f/moot").unwrap();
        });
        assert_eq!(
            listing(&index),
            ["f file", "w dir wi", "w/new file", "x/gone - w", "y/z - o"]
        );
    }

    /// `b -> ../c` then `b/a` in one tar: extraction follows the link it has just made
    /// (`..` stops at the root), so the file is `c/a` and `b` stays a link; a hostile
    /// layer could otherwise hide `c/a` from the index.
    #[test]
    fn a_path_through_a_symlink_of_the_same_layer_lands_where_it_points() {
        let index = build(|b| {
            b.add("b", meta(FileType::Symlink, 0), "../c").unwrap();
            b.add("b/a", meta(FileType::File, 4), "").unwrap();
            b.add("d", meta(FileType::Symlink, 0), "/e/../c").unwrap();
            b.add("d/f", meta(FileType::File, 1), "").unwrap();
        });
        assert_eq!(
            listing(&index),
            ["b symlink", "c dir i", "c/a file", "c/f file", "d symlink"]
        );
        assert_eq!(index.get("c/a").unwrap().size, 4);
    }

    /// Entries are applied in tar order: a directory at the link's own path after the
    /// path through it replaces the link (the file stays where the link sent it), while a
    /// link made after a path replaces the directory that path was in.
    #[test]
    fn a_symlink_of_the_same_layer_counts_from_where_it_is_in_the_tar() {
        let index = build(|b| {
            b.add("b", meta(FileType::Symlink, 0), "c").unwrap();
            b.add("b/a", meta(FileType::File, 1), "").unwrap();
            b.add("b", meta(FileType::Dir, 0), "").unwrap();
            b.add("x/y", meta(FileType::File, 1), "").unwrap();
            b.add("x", meta(FileType::Symlink, 0), "c").unwrap();
            b.add("x/z", meta(FileType::File, 1), "").unwrap();
        });
        assert_eq!(
            listing(&index),
            ["b dir o", "c dir i", "c/a file", "c/z file", "x symlink"]
        );
    }

    /// Found by `rootfs_props`: a non-directory written between a path and a directory at
    /// its parent (`b/a`, `b -> a`, `b/`) removed the path, though the last entry at `b`
    /// is a directory.
    #[test]
    fn a_non_directory_between_a_path_and_a_directory_over_it_drops_the_path() {
        let index = build(|b| {
            b.add("b/a", meta(FileType::File, 1), "").unwrap();
            b.add("b", meta(FileType::Symlink, 0), "a").unwrap();
            b.add("b", meta(FileType::Dir, 0), "").unwrap();
        });
        assert_eq!(listing(&index), ["b dir o"]);
    }

    #[test]
    fn a_file_written_over_a_directory_drops_what_was_inside() {
        let index = build(|b| {
            b.add("a/x", meta(FileType::File, 1), "").unwrap();
            b.add("a", meta(FileType::File, 3), "").unwrap();
            b.add("b", meta(FileType::File, 3), "").unwrap();
            b.add("b/y", meta(FileType::File, 1), "").unwrap();
        });
        // `b`, a file, replaced whatever was below; `b/y` then made it a new directory of
        // this layer's, hiding the layers below as an opaque one does.
        assert_eq!(listing(&index), ["a file", "b dir o", "b/y file"]);
    }
}
