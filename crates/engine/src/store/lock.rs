//! File locks (`flock` on Unix, `LockFileEx` on Windows, through fs4). They are advisory and
//! held per open file, so two handles in one process exclude each other just as two
//! processes do, and the OS releases them when a process dies.

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};
use std::thread;
use std::time::{Duration, Instant};

use fs4::FileExt;

use super::layout::{GC_LOCK, INDEX_LOCK};
use super::{Store, StoreError, io_error};

/// Held by a pull for its whole duration (see [`Store::lock_shared`]); released on drop.
#[derive(Debug)]
pub struct StoreLock {
    _file: File,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Mode {
    Shared,
    Exclusive,
}

/// Opens (creating it if needed) a lock file. Lock files are never deleted: deleting one
/// while another process waits on it would let two holders in.
fn open_lock_file(path: &Path) -> Result<File, StoreError> {
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
        .map_err(io_error("open lock file", path))
}

/// Blocks until the lock is held.
pub(super) fn lock(file: &File, mode: Mode, path: &Path) -> Result<(), StoreError> {
    match mode {
        Mode::Shared => FileExt::lock_shared(file),
        Mode::Exclusive => FileExt::lock(file),
    }
    .map_err(io_error("lock", path))
}

/// Tries to take the lock without blocking: `Ok(false)` when someone else holds it.
pub(super) fn try_lock(file: &File, mode: Mode, path: &Path) -> Result<bool, StoreError> {
    let result = match mode {
        Mode::Shared => FileExt::try_lock_shared(file),
        Mode::Exclusive => FileExt::try_lock(file),
    };
    match result {
        Ok(()) => Ok(true),
        Err(fs4::TryLockError::WouldBlock) => Ok(false),
        Err(fs4::TryLockError::Error(e)) => Err(io_error("lock", path)(e)),
    }
}

/// Takes a lock, waiting at most `timeout` (polling, since flock has no timed wait).
pub(super) fn lock_within(
    path: &Path,
    mode: Mode,
    timeout: Duration,
) -> Result<Option<File>, StoreError> {
    let file = open_lock_file(path)?;
    let start = Instant::now();
    loop {
        if try_lock(&file, mode, path)? {
            return Ok(Some(file));
        }
        if start.elapsed() >= timeout {
            return Ok(None);
        }
        thread::sleep(Duration::from_millis(20));
    }
}

/// The exclusive lock that serialises every read-modify-write of `index.json`. It is held
/// for milliseconds, so callers simply wait for it.
pub(super) fn index_lock(root: &Path) -> Result<File, StoreError> {
    let path = root.join(INDEX_LOCK);
    let file = open_lock_file(&path)?;
    lock(&file, Mode::Exclusive, &path)?;
    Ok(file)
}

impl Store {
    /// A shared lock on `<root>/.porthole-gc.lock`, which [`Store::gc`] takes exclusively.
    /// A pull holds it from before its first blob until after `add_image`, so gc never
    /// deletes blobs the pull has written but not referenced yet. Any number of pulls hold it
    /// at once. Blocks while a gc is running (gc is short; it does not wait for itself).
    pub fn lock_shared(&self) -> Result<StoreLock, StoreError> {
        let path = self.gc_lock_path();
        let file = open_lock_file(&path)?;
        lock(&file, Mode::Shared, &path)?;
        Ok(StoreLock { _file: file })
    }

    pub(super) fn gc_lock_path(&self) -> PathBuf {
        self.root().join(GC_LOCK)
    }
}

/// Whether `file` is still the file at `path` (it may have been renamed into `blobs/` or
/// removed by gc while we waited for its lock).
pub(super) fn is_same_file(file: &File, path: &Path) -> Result<bool, StoreError> {
    let at_path = match std::fs::metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(io_error("read", path)(e)),
    };
    let open = file.metadata().map_err(io_error("read", path))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        Ok(open.dev() == at_path.dev() && open.ino() == at_path.ino())
    }
    #[cfg(not(unix))]
    {
        // No stable file identity in std here: trust that the path still names our file.
        // (Only the rename-while-waiting race of `ingest` and gc depends on this.)
        let _ = (open, at_path);
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_exclusive_lock_excludes_shared_ones_across_handles() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("l.lock");
        let shared = lock_within(&path, Mode::Shared, Duration::ZERO)
            .unwrap()
            .unwrap();
        let second = lock_within(&path, Mode::Shared, Duration::ZERO).unwrap();
        assert!(second.is_some(), "shared locks coexist");
        assert!(
            lock_within(&path, Mode::Exclusive, Duration::from_millis(50))
                .unwrap()
                .is_none()
        );
        drop((shared, second));
        assert!(
            lock_within(&path, Mode::Exclusive, Duration::ZERO)
                .unwrap()
                .is_some()
        );
    }
}
