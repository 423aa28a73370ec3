//! How a layer's entries are applied to a tree, as `umoci unpack` and containerd's applier
//! do it, written once over [`Tree`] so that the directory on disk (`disk.rs`) and the
//! in-memory model that `export` plans with (`model.rs`) follow the same rules:
//!
//! - An entry's directory is resolved under the root as a chroot would (securejoin): each
//!   symlink met on the way is followed, relative to the directory that holds it or, when
//!   absolute, to the root; `..` stops at the root. Missing directories are made (mode
//!   0755), and a non-directory in the way is replaced by a directory, as the layer index
//!   models it. The entry's own name is never followed: what is there is replaced, unless
//!   both are directories.
//! - `.wh.<name>` removes `<name>` and `.wh..wh..opq` empties its directory, but never what
//!   the same layer writes (OCI: whiteouts apply to lower layers only): a layer's markers
//!   are applied before its other entries (`Applier::start_layer` takes them from the
//!   layer's index, wherever the tar has them), and what each removes is found as the
//!   layers below left it.
//! - A hard link's target is resolved the same way except its last component (a link to
//!   a symlink links the symlink), and must exist.
//! - Directories are made writable by their owner while layers are applied; their modes,
//!   owners and times are the tree's to apply once all layers are in.

use std::collections::{HashSet, VecDeque};
use std::io::{self, Read};

use super::RootfsError;
use super::layer::{Header, Kind, is_marker};
use crate::digest::Digest;

/// What is at a name, without following it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Found {
    Dir,
    Symlink,
    Other,
}

/// What became of a non-directory entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Created {
    Written,
    /// Not made, and why (a device node when not running as root).
    Skipped(&'static str),
}

/// A name in a directory of the tree: the directory's handle and real path (no symlink in
/// it, relative to the root), and the name.
pub(crate) struct Place<'a, D> {
    pub dir: &'a D,
    pub dir_path: &'a [u8],
    pub name: &'a [u8],
}

impl<D> Place<'_, D> {
    /// The real path of the name, relative to the root.
    pub fn path(&self) -> Vec<u8> {
        join(self.dir_path, self.name)
    }
}

/// `dir/name`, or `name` at the root.
pub(crate) fn join(dir: &[u8], name: &[u8]) -> Vec<u8> {
    let mut p = Vec::with_capacity(dir.len() + 1 + name.len());
    p.extend_from_slice(dir);
    if !dir.is_empty() {
        p.push(b'/');
    }
    p.extend_from_slice(name);
    p
}

/// The operations the rules need. None of them follows a symlink at `name`.
pub(crate) trait Tree {
    /// A directory of the tree (an open descriptor, or a path in the model).
    type Dir: Clone;
    fn root(&self) -> Self::Dir;
    fn lstat(&mut self, at: &Place<'_, Self::Dir>) -> io::Result<Option<Found>>;
    fn readlink(&mut self, at: &Place<'_, Self::Dir>) -> io::Result<Vec<u8>>;
    fn open_dir(&mut self, at: &Place<'_, Self::Dir>) -> io::Result<Self::Dir>;
    /// A new directory, with the defaults of one the tar only implies (see `set_dir`).
    fn mkdir(&mut self, at: &Place<'_, Self::Dir>) -> io::Result<()>;
    /// Removes what is at `at` (a directory with everything in it).
    fn remove(&mut self, at: &Place<'_, Self::Dir>, found: Found) -> io::Result<()>;
    fn children(&mut self, dir: &Self::Dir, dir_path: &[u8]) -> io::Result<Vec<Vec<u8>>>;
    /// Writes a file (with `content`), symlink, device node or FIFO at a free name.
    fn create(
        &mut self,
        at: &Place<'_, Self::Dir>,
        header: &Header,
        content: &mut dyn Read,
    ) -> io::Result<Created>;
    /// A hard link at `at` to what is at `target`.
    fn link(&mut self, target: &Place<'_, Self::Dir>, at: &Place<'_, Self::Dir>) -> io::Result<()>;
    /// The directory at `path` (real, relative to the root) has `header`'s metadata.
    fn set_dir(&mut self, path: &[u8], header: &Header);
}

/// How many symlinks one path may go through (Linux's `MAXSYMLINKS`).
const MAX_LINKS: usize = 40;

/// A resolved directory: its handle and real path.
type Resolved<D> = (D, Vec<u8>);

/// Applies layers, one entry at a time, to a [`Tree`].
pub(crate) struct Applier<T: Tree> {
    pub tree: T,
    layer: Option<Digest>,
    /// The real paths this layer wrote, and their ancestors.
    upper: HashSet<Vec<u8>>,
    /// The last directory resolved for writing: (the entry's raw directory, result).
    cache: Option<(Vec<u8>, Resolved<T::Dir>)>,
    /// The layer's markers gathered so far, and whether they were applied (then the tar's
    /// are skipped).
    markers: Vec<Vec<u8>>,
    markers_done: bool,
}

impl<T: Tree> Applier<T> {
    pub fn new(tree: T) -> Applier<T> {
        Applier {
            tree,
            layer: None,
            upper: HashSet::new(),
            cache: None,
            markers: Vec::new(),
            markers_done: false,
        }
    }

    /// The next layer begins. `markers`: the layer's whiteouts and opaque markers (paths,
    /// normalised, in tar order), applied now and skipped when the tar meets them; `None`
    /// when the tar has them before its other entries, where they are gathered and
    /// applied together before the first other entry (or at [`Applier::end_layer`]).
    pub fn start_layer(
        &mut self,
        digest: &Digest,
        markers: Option<&[Vec<u8>]>,
    ) -> Result<(), RootfsError> {
        self.layer = Some(digest.clone());
        self.upper.clear();
        self.cache = None;
        self.markers.clear();
        self.markers_done = false;
        if let Some(markers) = markers {
            self.markers.extend_from_slice(markers);
            self.apply_markers()?;
        }
        Ok(())
    }

    /// The layer's entries are all in: markers not applied yet (a layer of markers
    /// only) are applied now.
    pub fn end_layer(&mut self) -> Result<(), RootfsError> {
        self.apply_markers()
    }

    /// Applies the gathered markers, each found as the layers below left its path (all
    /// are resolved before any removes anything: whiteouts describe the layers below, so
    /// `.wh.l` does not stop `l/.wh.x` from reaching through the lower symlink `l`).
    fn apply_markers(&mut self) -> Result<(), RootfsError> {
        if self.markers_done {
            return Ok(());
        }
        self.markers_done = true;
        let markers = std::mem::take(&mut self.markers);
        let mut found = Vec::with_capacity(markers.len());
        for path in &markers {
            let (parent, name) = split(path);
            let Some(target) = name.strip_prefix(b".wh.") else {
                continue;
            };
            let opaque = target == b".wh..opq";
            if !opaque && (target.starts_with(b".wh.") || matches!(target, b"" | b"." | b"..")) {
                // Other `.wh..wh.` names are aufs bookkeeping; `.wh..` would name a parent.
                continue;
            }
            if let Some(dir) = self.resolve_dir(parent, false)? {
                found.push((dir, (!opaque).then_some(target)));
            }
        }
        self.cache = None;
        for ((dir, dir_path), target) in found {
            match target {
                None => self.wipe_children(&dir, &dir_path)?,
                Some(name) => {
                    let at = Place {
                        dir: &dir,
                        dir_path: &dir_path,
                        name,
                    };
                    let path = at.path();
                    if let Some(what) = self.tree.lstat(&at).map_err(self.fail("look at", &path))? {
                        self.wipe(&at, what)?;
                    }
                }
            }
        }
        Ok(())
    }

    fn fail(&self, action: &'static str, path: &[u8]) -> impl FnOnce(io::Error) -> RootfsError {
        let layer = self.layer.clone().unwrap_or_else(|| Digest::of(b""));
        let path = String::from_utf8_lossy(path).into_owned();
        move |source| RootfsError::Write {
            layer,
            action,
            path,
            source,
        }
    }

    /// Applies one entry (its content read from `content` if it has any).
    pub fn apply(
        &mut self,
        header: &Header,
        content: &mut dyn Read,
    ) -> Result<Created, RootfsError> {
        if header.path.is_empty() {
            // The root itself: its metadata, never its type (a root replaced by a
            // symlink could send later writes anywhere).
            if header.kind == Kind::Dir {
                self.tree.set_dir(b"", header);
            }
            return Ok(Created::Written);
        }
        if is_marker(&header.path) {
            if !self.markers_done {
                self.markers.push(header.path.clone());
            }
            return Ok(Created::Written);
        }
        self.apply_markers()?;
        let (parent, name) = split(&header.path);
        // Resolving for writing makes what is missing, so there is always a directory;
        // should that ever fail, the layer is refused rather than the program stopped.
        let Some((dir, dir_path)) = self.resolve_dir(parent, true)? else {
            let path = String::from_utf8_lossy(parent).into_owned();
            return Err(self.fail("resolve the directory", parent)(
                io::Error::other(format!("`{path}` could not be made a directory")),
            ));
        };
        let at = Place {
            dir: &dir,
            dir_path: &dir_path,
            name,
        };
        let path = at.path();
        let existing = self.tree.lstat(&at).map_err(self.fail("look at", &path))?;
        let keep_dir = header.kind == Kind::Dir && existing == Some(Found::Dir);
        if let Some(found) = existing.filter(|_| !keep_dir) {
            self.tree
                .remove(&at, found)
                .map_err(self.fail("replace", &path))?;
            if found != Found::Other {
                self.cache = None;
            }
        }
        let created = match header.kind {
            Kind::Dir => {
                if !keep_dir {
                    self.tree
                        .mkdir(&at)
                        .map_err(self.fail("create the directory", &path))?;
                }
                self.tree.set_dir(&path, header);
                Created::Written
            }
            Kind::Hardlink => {
                self.hard_link(header, &at)?;
                Created::Written
            }
            _ => self
                .tree
                .create(&at, header, content)
                .map_err(self.fail("write", &path))?,
        };
        // The path and its ancestors are this layer's now.
        let mut upper = path;
        loop {
            if !self.upper.insert(upper.clone()) {
                break;
            }
            match upper.iter().rposition(|&b| b == b'/') {
                Some(i) => upper.truncate(i),
                None => break,
            }
        }
        Ok(created)
    }

    fn hard_link(&mut self, header: &Header, at: &Place<'_, T::Dir>) -> Result<(), RootfsError> {
        let layer = self.layer.clone().unwrap_or_else(|| Digest::of(b""));
        let bad = |why: &'static str| RootfsError::BadHardLink {
            layer: layer.clone(),
            path: String::from_utf8_lossy(&header.path).into_owned(),
            target: String::from_utf8_lossy(&header.link).into_owned(),
            why,
        };
        if header.link.is_empty() {
            return Err(bad("is the root directory"));
        }
        let (parent, name) = match header.link.iter().rposition(|&b| b == b'/') {
            Some(i) => (&header.link[..i], &header.link[i + 1..]),
            None => (&b""[..], &header.link[..]),
        };
        let Some((dir, dir_path)) = self.resolve_dir(parent, false)? else {
            return Err(bad("does not exist"));
        };
        let target = Place {
            dir: &dir,
            dir_path: &dir_path,
            name,
        };
        let target_path = target.path();
        match self
            .tree
            .lstat(&target)
            .map_err(self.fail("look at", &target_path))?
        {
            None => Err(bad("does not exist")),
            Some(Found::Dir) => Err(bad("is a directory")),
            Some(_) => self
                .tree
                .link(&target, at)
                .map_err(self.fail("hard-link", &at.path())),
        }
    }

    /// Removes what is at `at`, except what this layer wrote there.
    fn wipe(&mut self, at: &Place<'_, T::Dir>, found: Found) -> Result<(), RootfsError> {
        let path = at.path();
        if !self.upper.contains(&path) {
            return self
                .tree
                .remove(at, found)
                .map_err(self.fail("remove", &path));
        }
        if found == Found::Dir {
            let dir = self.tree.open_dir(at).map_err(self.fail("open", &path))?;
            self.wipe_children(&dir, &path)?;
        }
        Ok(())
    }

    fn wipe_children(&mut self, dir: &T::Dir, dir_path: &[u8]) -> Result<(), RootfsError> {
        let names = self
            .tree
            .children(dir, dir_path)
            .map_err(self.fail("list", dir_path))?;
        for name in names {
            let at = Place {
                dir,
                dir_path,
                name: &name,
            };
            let found = self
                .tree
                .lstat(&at)
                .map_err(self.fail("look at", &at.path()))?;
            if let Some(found) = found {
                self.wipe(&at, found)?;
            }
        }
        Ok(())
    }

    /// The directory `raw` (an entry's, normalised) resolved under the root, following
    /// symlinks as a chroot would. With `create`, what is missing (or not a directory) is
    /// made a directory; without, `None` when it does not resolve to one.
    fn resolve_dir(
        &mut self,
        raw: &[u8],
        create: bool,
    ) -> Result<Option<Resolved<T::Dir>>, RootfsError> {
        if let Some((key, resolved)) = &self.cache
            && key == raw
        {
            return Ok(Some(resolved.clone()));
        }
        let root = self.tree.root();
        // The real path so far: each directory's handle and the length of the path
        // before it.
        let mut stack: Vec<(T::Dir, usize)> = Vec::new();
        let mut real: Vec<u8> = Vec::new();
        let mut todo: VecDeque<Vec<u8>> = components(raw).collect();
        let mut links = 0;
        while let Some(name) = todo.pop_front() {
            match &name[..] {
                b"" | b"." => continue,
                b".." => {
                    if let Some((_, len)) = stack.pop() {
                        real.truncate(len);
                    }
                    continue;
                }
                _ => {}
            }
            let dir = stack
                .last()
                .map_or_else(|| root.clone(), |(d, _)| d.clone());
            let at = Place {
                dir: &dir,
                dir_path: &real,
                name: &name,
            };
            let path = at.path();
            let found = self.tree.lstat(&at).map_err(self.fail("look at", &path))?;
            match found {
                Some(Found::Dir) => {}
                Some(Found::Symlink) => {
                    links += 1;
                    if links > MAX_LINKS {
                        return Err(RootfsError::TooManyLinks {
                            layer: self.layer.clone().unwrap_or_else(|| Digest::of(b"")),
                            path: String::from_utf8_lossy(raw).into_owned(),
                        });
                    }
                    let target = self
                        .tree
                        .readlink(&at)
                        .map_err(self.fail("read the link", &path))?;
                    if target.starts_with(b"/") {
                        stack.clear();
                        real.clear();
                    }
                    for part in components(&target).collect::<Vec<_>>().into_iter().rev() {
                        todo.push_front(part);
                    }
                    continue;
                }
                // A missing directory, or a non-directory, that a later `..` leaves again
                // is passed over (neither made nor replaced), as umoci's securejoin reads
                // such a path lexically (the kernel would refuse it); markers find what
                // they remove the same way.
                Some(Found::Other) | None if left_again(&todo).is_some() => {
                    if let Some(through) = left_again(&todo) {
                        todo.drain(..through);
                    }
                    continue;
                }
                Some(Found::Other) if create => {
                    self.tree
                        .remove(&at, Found::Other)
                        .map_err(self.fail("replace", &path))?;
                    self.tree
                        .mkdir(&at)
                        .map_err(self.fail("create the directory", &path))?;
                }
                None if create => self
                    .tree
                    .mkdir(&at)
                    .map_err(self.fail("create the directory", &path))?,
                _ => return Ok(None),
            }
            let opened = self.tree.open_dir(&at).map_err(self.fail("open", &path))?;
            let len = real.len();
            real = path;
            stack.push((opened, len));
        }
        let dir = stack.last().map_or(root, |(d, _)| d.clone());
        let resolved = (dir, real);
        if create {
            self.cache = Some((raw.to_vec(), resolved.clone()));
        }
        Ok(Some(resolved))
    }
}

/// A path's directory and last component (`""` and the path at the root).
fn split(path: &[u8]) -> (&[u8], &[u8]) {
    match path.iter().rposition(|&b| b == b'/') {
        Some(i) => (&path[..i], &path[i + 1..]),
        None => (&b""[..], path),
    }
}

/// How many of the components after a missing one (`rest`) to skip because a `..` among
/// them leaves it again (the `..` included); `None` when the path stays inside it.
fn left_again(rest: &VecDeque<Vec<u8>>) -> Option<usize> {
    let mut depth = 1usize;
    for (i, name) in rest.iter().enumerate() {
        match &name[..] {
            b"" | b"." => {}
            b".." => {
                depth -= 1;
                if depth == 0 {
                    return Some(i + 1);
                }
            }
            _ => depth += 1,
        }
    }
    None
}

fn components(path: &[u8]) -> impl Iterator<Item = Vec<u8>> + '_ {
    path.split(|&b| b == b'/')
        .filter(|c| !c.is_empty())
        .map(<[u8]>::to_vec)
}

#[cfg(test)]
mod tests {
    use super::super::model::{Model, Node};
    use super::*;

    fn header(path: &str, kind: Kind, mode: u32, link: &str) -> Header {
        Header {
            path: path.as_bytes().to_vec(),
            kind,
            size: 0,
            mode,
            uid: 0,
            gid: 0,
            mtime: (0, 0),
            link: link.as_bytes().to_vec(),
            device: (0, 0),
        }
    }

    /// The paths of the tree, with each directory's mode.
    fn listing(model: &Model) -> Vec<String> {
        model
            .nodes
            .iter()
            .map(|(p, n)| {
                let p = String::from_utf8_lossy(p);
                match n {
                    Node::Dir(meta) => format!("{p}/ {:o}", meta.mode),
                    Node::Symlink(..) => format!("{p}@"),
                    _ => p.into_owned(),
                }
            })
            .collect()
    }

    /// `x` (0700, with `x/old`) and `l -> x` below.
    fn lower() -> Applier<Model> {
        let mut applier = Applier::new(Model::default());
        applier.start_layer(&Digest::of(b"0"), None).unwrap();
        for h in [
            header("x", Kind::Dir, 0o700, ""),
            header("x/old", Kind::File, 0o644, ""),
            header("l", Kind::Symlink, 0o777, "x"),
        ] {
            applier.apply(&h, &mut io::empty()).unwrap();
        }
        applier.end_layer().unwrap();
        applier
    }

    /// OCI: a layer's whiteouts remove what the layers below have, never what the layer
    /// itself writes, wherever they are in its tar. `.wh.x` after `x/new` removes the
    /// lower `x` (its mode and `x/old` with it); `x/new` then needs a new `x`.
    #[test]
    fn whiteouts_after_other_entries_apply_before_them() {
        let mut applier = lower();
        let tar = [
            header("x/new", Kind::File, 0o644, ""),
            header(".wh.x", Kind::File, 0, ""),
        ];
        let markers: Vec<Vec<u8>> = vec![b".wh.x".to_vec()];
        applier
            .start_layer(&Digest::of(b"1"), Some(&markers))
            .unwrap();
        for h in &tar {
            applier.apply(h, &mut io::empty()).unwrap();
        }
        applier.end_layer().unwrap();
        assert_eq!(listing(&applier.tree), ["l@", "x/ 755", "x/new"]);
    }

    /// Markers at the head of a tar are gathered, and each is found as the layers below
    /// left its path: `.wh.l` first does not keep `l/.wh.old` from reaching `x/old`.
    #[test]
    fn markers_are_found_before_any_of_them_removes_anything() {
        let mut applier = lower();
        applier.start_layer(&Digest::of(b"1"), None).unwrap();
        for h in [
            header(".wh.l", Kind::File, 0, ""),
            header("l/.wh.old", Kind::File, 0, ""),
        ] {
            applier.apply(&h, &mut io::empty()).unwrap();
        }
        applier.end_layer().unwrap();
        assert_eq!(listing(&applier.tree), ["x/ 700"]);
    }
}
