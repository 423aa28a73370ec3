//! The directory on disk that `unpack` writes, reached only through descriptors: every
//! operation is relative to an open directory (`openat`, `mkdirat`, `linkat`, … with
//! `O_NOFOLLOW`), so a symlink that an earlier entry planted can never redirect a later
//! write, and nothing is written outside the root.

use std::collections::{BTreeMap, HashSet};
use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::OwnedFd;
use std::rc::Rc;

use rustix::fs::{
    AtFlags, Dir, FileType, Gid, Mode, OFlags, Timespec, Timestamps, Uid, chmodat, chownat, fchmod,
    fchown, futimens, linkat, mkdirat, mknodat, openat, readlinkat, statat, symlinkat, unlinkat,
    utimensat,
};

use super::apply::{Created, Found, Place, Tree};
use super::layer::{Header, Kind};

/// A directory's metadata, applied once all layers are in.
#[derive(Clone, Debug)]
struct DirMeta {
    mode: u32,
    owner: Option<(u64, u64)>,
    mtime: Option<(i64, u32)>,
}

/// What the tree holds at the end.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Counts {
    pub files: u64,
    pub directories: u64,
    pub symlinks: u64,
    /// Names of a regular file beyond its first.
    pub hardlinks: u64,
    /// Device nodes, FIFOs, sockets.
    pub special: u64,
    /// Regular files' bytes, each file once.
    pub bytes: u64,
}

pub(crate) struct Disk {
    root: Rc<OwnedFd>,
    /// Set owners (root does, as GNU tar's `--same-owner`).
    same_owner: bool,
    /// Why a device node may not be made here.
    mknod_refused: &'static str,
    /// Directories' metadata by real path, for `finish`.
    dirs: BTreeMap<Vec<u8>, DirMeta>,
    buffer: Vec<u8>,
}

/// Directories stay open to their owner while layers are applied.
const WORKING_DIR_MODE: u32 = 0o700;

fn open_dir_at(dir: &OwnedFd, name: &[u8]) -> io::Result<OwnedFd> {
    Ok(openat(
        dir,
        name,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::empty(),
    )?)
}

fn times(mtime: (i64, u32)) -> Timestamps {
    let t = Timespec {
        tv_sec: mtime.0,
        tv_nsec: i64::from(mtime.1),
    };
    Timestamps {
        last_access: t,
        last_modification: t,
    }
}

fn ids(uid: u64, gid: u64) -> io::Result<(Uid, Gid)> {
    let too_large = |what| io::Error::other(format!("its {what} is too large for this system"));
    let uid = u32::try_from(uid).ok().filter(|&u| u != u32::MAX);
    let gid = u32::try_from(gid).ok().filter(|&g| g != u32::MAX);
    Ok((
        Uid::from_raw(uid.ok_or_else(|| too_large("owner"))?),
        Gid::from_raw(gid.ok_or_else(|| too_large("group"))?),
    ))
}

impl Disk {
    /// The tree rooted at the directory `root` (open, empty).
    pub fn new(root: OwnedFd, same_owner: bool) -> Disk {
        let mut dirs = BTreeMap::new();
        // The root as an image's root usually is, unless a layer says otherwise.
        dirs.insert(
            Vec::new(),
            DirMeta {
                mode: 0o755,
                owner: None,
                mtime: None,
            },
        );
        let root_user = rustix::process::geteuid().is_root();
        Disk {
            root: Rc::new(root),
            same_owner,
            mknod_refused: if root_user {
                "the system refused to create it"
            } else {
                "not running as root"
            },
            dirs,
            buffer: vec![0; 256 * 1024],
        }
    }

    /// Applies the directories' modes, owners and times, deepest first (a directory
    /// without write permission must get it last).
    pub fn finish(&mut self) -> io::Result<()> {
        for (path, meta) in self.dirs.iter().rev() {
            let mut fd: Option<OwnedFd> = None;
            let mut missing = false;
            for part in path.split(|&b| b == b'/').filter(|p| !p.is_empty()) {
                let dir = fd.as_ref().unwrap_or(&self.root);
                match open_dir_at(dir, part) {
                    Ok(next) => fd = Some(next),
                    // Removed or replaced since (records are dropped on removal; this is
                    // only a guard): nothing to apply.
                    Err(_) => {
                        missing = true;
                        break;
                    }
                }
            }
            if missing {
                continue;
            }
            let dir = fd.as_ref().unwrap_or(&self.root);
            if let (true, Some((uid, gid))) = (self.same_owner, meta.owner) {
                let (uid, gid) = ids(uid, gid)?;
                fchown(dir, Some(uid), Some(gid))?;
            }
            fchmod(dir, Mode::from_raw_mode(meta.mode))?;
            if let Some(mtime) = meta.mtime {
                futimens(dir, &times(mtime))?;
            }
        }
        Ok(())
    }

    /// Counts what the tree holds (each regular file once, however many names it has).
    pub fn count(&self) -> io::Result<Counts> {
        let mut counts = Counts::default();
        let mut inodes = HashSet::new();
        let mut todo = vec![rustix::io::dup(&self.root)?];
        while let Some(dir) = todo.pop() {
            for name in list(&dir)? {
                let st = statat(&dir, &name[..], AtFlags::SYMLINK_NOFOLLOW)?;
                match FileType::from_raw_mode(st.st_mode) {
                    FileType::Directory => {
                        counts.directories += 1;
                        todo.push(open_dir_at(&dir, &name)?);
                    }
                    FileType::Symlink => counts.symlinks += 1,
                    FileType::RegularFile => {
                        if st.st_nlink > 1 && !inodes.insert((st.st_dev, st.st_ino)) {
                            counts.hardlinks += 1;
                        } else {
                            counts.files += 1;
                            counts.bytes = counts.bytes.saturating_add(st.st_size as u64);
                        }
                    }
                    _ => counts.special += 1,
                }
            }
        }
        Ok(counts)
    }

    fn forget_dirs(&mut self, path: &[u8]) {
        let mut inside = path.to_vec();
        inside.push(b'/');
        self.dirs.remove(path);
        let gone: Vec<Vec<u8>> = self
            .dirs
            .range(inside.clone()..)
            .take_while(|(k, _)| k.starts_with(&inside))
            .map(|(k, _)| k.clone())
            .collect();
        for k in gone {
            self.dirs.remove(&k);
        }
    }

    fn set_owner_and_times(&self, at: &Place<'_, Rc<OwnedFd>>, header: &Header) -> io::Result<()> {
        if self.same_owner {
            let (uid, gid) = ids(header.uid, header.gid)?;
            chownat(
                &**at.dir,
                at.name,
                Some(uid),
                Some(gid),
                AtFlags::SYMLINK_NOFOLLOW,
            )?;
        }
        utimensat(
            &**at.dir,
            at.name,
            &times(header.mtime),
            AtFlags::SYMLINK_NOFOLLOW,
        )?;
        Ok(())
    }
}

/// The names in `dir`, without `.` and `..`.
fn list(dir: &OwnedFd) -> io::Result<Vec<Vec<u8>>> {
    let mut names = Vec::new();
    let mut entries = Dir::read_from(dir)?;
    while let Some(entry) = entries.read() {
        let name = entry?.file_name().to_bytes().to_vec();
        if name != b"." && name != b".." {
            names.push(name);
        }
    }
    Ok(names)
}

/// Removes the directory `name` in `dir` with everything in it, never following a link.
fn remove_tree(dir: &OwnedFd, name: &[u8]) -> io::Result<()> {
    let inner = match open_dir_at(dir, name) {
        Ok(fd) => fd,
        // A directory without permissions (after `finish`, when not root).
        Err(e) if e.kind() == io::ErrorKind::PermissionDenied => {
            chmodat(
                dir,
                name,
                Mode::from_raw_mode(WORKING_DIR_MODE),
                AtFlags::empty(),
            )?;
            open_dir_at(dir, name)?
        }
        Err(e) => return Err(e),
    };
    for child in list(&inner)? {
        let st = statat(&inner, &child[..], AtFlags::SYMLINK_NOFOLLOW)?;
        if FileType::from_raw_mode(st.st_mode) == FileType::Directory {
            remove_tree(&inner, &child)?;
        } else {
            unlinkat(&inner, &child[..], AtFlags::empty())?;
        }
    }
    unlinkat(dir, name, AtFlags::REMOVEDIR)?;
    Ok(())
}

/// Removes the directory `path` and everything in it (a temporary tree being given up).
pub(crate) fn remove_all(path: &std::path::Path) -> io::Result<()> {
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => std::path::Path::new("."),
    };
    let Some(name) = path.file_name() else {
        return Ok(());
    };
    let parent = File::open(parent)?;
    use std::os::unix::ffi::OsStrExt;
    match remove_tree(&OwnedFd::from(parent), name.as_bytes()) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        other => other,
    }
}

impl Tree for Disk {
    type Dir = Rc<OwnedFd>;

    fn root(&self) -> Rc<OwnedFd> {
        self.root.clone()
    }

    fn lstat(&mut self, at: &Place<'_, Rc<OwnedFd>>) -> io::Result<Option<Found>> {
        match statat(&**at.dir, at.name, AtFlags::SYMLINK_NOFOLLOW) {
            Ok(st) => Ok(Some(match FileType::from_raw_mode(st.st_mode) {
                FileType::Directory => Found::Dir,
                FileType::Symlink => Found::Symlink,
                _ => Found::Other,
            })),
            Err(rustix::io::Errno::NOENT | rustix::io::Errno::NOTDIR) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    fn readlink(&mut self, at: &Place<'_, Rc<OwnedFd>>) -> io::Result<Vec<u8>> {
        Ok(readlinkat(&**at.dir, at.name, Vec::new())?.into_bytes())
    }

    fn open_dir(&mut self, at: &Place<'_, Rc<OwnedFd>>) -> io::Result<Rc<OwnedFd>> {
        Ok(Rc::new(open_dir_at(at.dir, at.name)?))
    }

    fn mkdir(&mut self, at: &Place<'_, Rc<OwnedFd>>) -> io::Result<()> {
        mkdirat(&**at.dir, at.name, Mode::from_raw_mode(WORKING_DIR_MODE))?;
        // As a directory the tar only implies: made as `mkdir -p` makes it.
        self.dirs.insert(
            at.path(),
            DirMeta {
                mode: 0o755,
                owner: None,
                mtime: None,
            },
        );
        Ok(())
    }

    fn remove(&mut self, at: &Place<'_, Rc<OwnedFd>>, found: Found) -> io::Result<()> {
        if found == Found::Dir {
            self.forget_dirs(&at.path());
            remove_tree(at.dir, at.name)
        } else {
            Ok(unlinkat(&**at.dir, at.name, AtFlags::empty())?)
        }
    }

    fn children(&mut self, dir: &Rc<OwnedFd>, _: &[u8]) -> io::Result<Vec<Vec<u8>>> {
        list(dir)
    }

    fn create(
        &mut self,
        at: &Place<'_, Rc<OwnedFd>>,
        header: &Header,
        content: &mut dyn Read,
    ) -> io::Result<Created> {
        match header.kind {
            Kind::Symlink => {
                symlinkat(&header.link[..], &**at.dir, at.name)?;
                self.set_owner_and_times(at, header)?;
            }
            Kind::Char | Kind::Block | Kind::Fifo => {
                let kind = match header.kind {
                    Kind::Char => FileType::CharacterDevice,
                    Kind::Block => FileType::BlockDevice,
                    _ => FileType::Fifo,
                };
                let device = rustix::fs::makedev(header.device.0, header.device.1);
                let mode = Mode::from_raw_mode(header.mode);
                match mknodat(&**at.dir, at.name, kind, mode, device) {
                    Ok(()) => {}
                    Err(rustix::io::Errno::PERM | rustix::io::Errno::ACCESS) => {
                        return Ok(Created::Skipped(self.mknod_refused));
                    }
                    Err(e) => return Err(e.into()),
                }
                self.set_owner_and_times(at, header)?;
                // mknod's mode went through the umask; chown may have cleared setuid.
                chmodat(&**at.dir, at.name, mode, AtFlags::empty())?;
            }
            _ => {
                let fd = openat(
                    &**at.dir,
                    at.name,
                    OFlags::WRONLY
                        | OFlags::CREATE
                        | OFlags::EXCL
                        | OFlags::NOFOLLOW
                        | OFlags::CLOEXEC,
                    Mode::from_raw_mode(0o600),
                )?;
                let mut file = File::from(fd);
                let mut written = 0u64;
                loop {
                    let n = match content.read(&mut self.buffer) {
                        Ok(0) => break,
                        Ok(n) => n,
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                        Err(e) => return Err(e),
                    };
                    file.write_all(&self.buffer[..n])?;
                    written += n as u64;
                }
                if written != header.size {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        format!("{written} of {} bytes", header.size),
                    ));
                }
                if self.same_owner {
                    let (uid, gid) = ids(header.uid, header.gid)?;
                    fchown(&file, Some(uid), Some(gid))?;
                }
                // After chown, which clears setuid and setgid.
                fchmod(&file, Mode::from_raw_mode(header.mode))?;
                futimens(&file, &times(header.mtime))?;
            }
        }
        Ok(Created::Written)
    }

    fn link(
        &mut self,
        target: &Place<'_, Rc<OwnedFd>>,
        at: &Place<'_, Rc<OwnedFd>>,
    ) -> io::Result<()> {
        Ok(linkat(
            &**target.dir,
            target.name,
            &**at.dir,
            at.name,
            AtFlags::empty(),
        )?)
    }

    fn set_dir(&mut self, path: &[u8], header: &Header) {
        self.dirs.insert(
            path.to_vec(),
            DirMeta {
                mode: header.mode,
                owner: Some((header.uid, header.gid)),
                mtime: Some(header.mtime),
            },
        );
    }
}
