//! The final filesystem worked out in memory, by the same rules as unpacking it (see
//! `apply.rs`), without any content: what `export` plans its one tar stream with. Each
//! regular file is an inode that remembers which tar member (layer and sequence number)
//! wrote its content, so that hard links stay hard links and overwritten files are left
//! out.

use std::collections::BTreeMap;
use std::io::{self, Read};

use super::apply::{Created, Found, Place, Tree, join};
use super::layer::{Header, Kind};

/// Metadata as a tar header carries it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Meta {
    pub mode: u32,
    pub uid: u64,
    pub gid: u64,
    pub mtime: (i64, u32),
}

impl Meta {
    fn of(h: &Header) -> Meta {
        Meta {
            mode: h.mode,
            uid: h.uid,
            gid: h.gid,
            mtime: h.mtime,
        }
    }
}

/// A regular file's content: the tar member that wrote it, and its metadata.
#[derive(Clone, Debug)]
pub(crate) struct Inode {
    pub layer: usize,
    pub sequence: usize,
    pub size: u64,
    pub meta: Meta,
}

#[derive(Clone, Debug)]
pub(crate) enum Node {
    Dir(Meta),
    File(usize),
    Symlink(Vec<u8>, Meta),
    /// A device node or FIFO: its kind and numbers.
    Special(Kind, (u32, u32), Meta),
}

#[derive(Default)]
pub(crate) struct Model {
    /// Every path but the root, by real path.
    pub nodes: BTreeMap<Vec<u8>, Node>,
    pub inodes: Vec<Inode>,
    /// The tar member being applied.
    pub layer: usize,
    pub sequence: usize,
    /// The regular file the last member made: its inode and real path (taken by the
    /// caller, which may copy the member's content aside).
    pub created: Option<(usize, Vec<u8>)>,
}

/// A directory the tar only implies (umoci makes it as `mkdir -p` does; the layer index
/// shows it so).
fn implied() -> Meta {
    Meta {
        mode: 0o755,
        uid: 0,
        gid: 0,
        mtime: (0, 0),
    }
}

impl Tree for Model {
    type Dir = Vec<u8>;

    fn root(&self) -> Vec<u8> {
        Vec::new()
    }

    fn lstat(&mut self, at: &Place<'_, Vec<u8>>) -> io::Result<Option<Found>> {
        Ok(self.nodes.get(&at.path()).map(|n| match n {
            Node::Dir(_) => Found::Dir,
            Node::Symlink(..) => Found::Symlink,
            _ => Found::Other,
        }))
    }

    fn readlink(&mut self, at: &Place<'_, Vec<u8>>) -> io::Result<Vec<u8>> {
        match self.nodes.get(&at.path()) {
            Some(Node::Symlink(target, _)) => Ok(target.clone()),
            _ => Err(io::Error::other("not a symbolic link")),
        }
    }

    fn open_dir(&mut self, at: &Place<'_, Vec<u8>>) -> io::Result<Vec<u8>> {
        Ok(at.path())
    }

    fn mkdir(&mut self, at: &Place<'_, Vec<u8>>) -> io::Result<()> {
        self.nodes.insert(at.path(), Node::Dir(implied()));
        Ok(())
    }

    fn remove(&mut self, at: &Place<'_, Vec<u8>>, _: Found) -> io::Result<()> {
        let path = at.path();
        self.nodes.remove(&path);
        let mut inside = path;
        inside.push(b'/');
        let gone: Vec<Vec<u8>> = self
            .nodes
            .range(inside.clone()..)
            .take_while(|(k, _)| k.starts_with(&inside))
            .map(|(k, _)| k.clone())
            .collect();
        for k in gone {
            self.nodes.remove(&k);
        }
        Ok(())
    }

    fn children(&mut self, _: &Vec<u8>, dir_path: &[u8]) -> io::Result<Vec<Vec<u8>>> {
        let prefix = if dir_path.is_empty() {
            Vec::new()
        } else {
            join(dir_path, b"")
        };
        Ok(self
            .nodes
            .range(prefix.clone()..)
            .take_while(|(k, _)| k.starts_with(&prefix))
            .map(|(k, _)| &k[prefix.len()..])
            .filter(|rest| !rest.contains(&b'/'))
            .map(<[u8]>::to_vec)
            .collect())
    }

    fn create(
        &mut self,
        at: &Place<'_, Vec<u8>>,
        header: &Header,
        _: &mut dyn Read,
    ) -> io::Result<Created> {
        let meta = Meta::of(header);
        let node = match header.kind {
            Kind::Symlink => Node::Symlink(header.link.clone(), meta),
            Kind::Char | Kind::Block | Kind::Fifo => {
                Node::Special(header.kind, header.device, meta)
            }
            _ => {
                self.inodes.push(Inode {
                    layer: self.layer,
                    sequence: self.sequence,
                    size: header.size,
                    meta,
                });
                let inode = self.inodes.len() - 1;
                self.created = Some((inode, at.path()));
                Node::File(inode)
            }
        };
        self.nodes.insert(at.path(), node);
        Ok(Created::Written)
    }

    fn link(&mut self, target: &Place<'_, Vec<u8>>, at: &Place<'_, Vec<u8>>) -> io::Result<()> {
        let node = self
            .nodes
            .get(&target.path())
            .cloned()
            .ok_or_else(|| io::Error::from(io::ErrorKind::NotFound))?;
        self.nodes.insert(at.path(), node);
        Ok(())
    }

    fn set_dir(&mut self, path: &[u8], header: &Header) {
        if !path.is_empty() {
            self.nodes
                .insert(path.to_vec(), Node::Dir(Meta::of(header)));
        }
    }
}
