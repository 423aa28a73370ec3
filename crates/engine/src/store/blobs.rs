//! Blobs: reading them back verified, writing small ones whole, and streaming big ones
//! through a resumable, locked partial file in `ingest/`.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::PathBuf;

use super::layout::{self, sync_dir};
use super::lock::{self, Mode, is_same_file};
use super::{Store, StoreError, io_error};
use crate::digest::{Digest, Hasher};

const CHUNK: usize = 1 << 20;

/// What [`Store::ingest`] found.
#[derive(Debug)]
pub enum Ingest {
    /// The blob is already in the store, verified on the way in: nothing to download.
    AlreadyPresent,
    /// Write the blob through this (possibly resuming at [`BlobWriter::offset`]).
    Writer(BlobWriter),
}

impl Store {
    /// Whether the blob is in the store with the expected size. (Its content was verified
    /// when it was written; [`Store::fsck`] verifies it again.)
    pub fn has_blob(&self, digest: &Digest, size: u64) -> bool {
        fs::metadata(self.blob_path(digest)).is_ok_and(|m| m.is_file() && m.len() == size)
    }

    /// Reads a whole blob and checks its digest. Refuses blobs larger than `max` bytes, so
    /// a damaged store cannot make us allocate without bound.
    pub fn read_blob(&self, digest: &Digest, max: u64) -> Result<Vec<u8>, StoreError> {
        let path = self.blob_path(digest);
        let file = File::open(&path).map_err(|e| match e.kind() {
            io::ErrorKind::NotFound => StoreError::MissingBlob {
                digest: digest.clone(),
                path: path.clone(),
            },
            _ => io_error("open", &path)(e),
        })?;
        let len = file.metadata().map_err(io_error("read", &path))?.len();
        let too_large = |size| StoreError::TooLarge {
            digest: digest.clone(),
            size,
            max,
        };
        if len > max {
            return Err(too_large(len));
        }
        let mut bytes = Vec::with_capacity(len as usize);
        file.take(max + 1)
            .read_to_end(&mut bytes)
            .map_err(io_error("read", &path))?;
        if bytes.len() as u64 > max {
            return Err(too_large(bytes.len() as u64));
        }
        let found = Digest::of(&bytes);
        if found != *digest {
            return Err(StoreError::DigestMismatch {
                expected: digest.clone(),
                found,
            });
        }
        Ok(bytes)
    }

    /// Stores a small blob held in memory (a manifest, a config): checks the digest, then
    /// writes a temporary file, fsyncs it and renames it into `blobs/`. Does nothing when the
    /// blob is already there.
    pub fn write_blob(&self, expected: &Digest, bytes: &[u8]) -> Result<(), StoreError> {
        let found = Digest::of(bytes);
        if found != *expected {
            return Err(StoreError::DigestMismatch {
                expected: expected.clone(),
                found,
            });
        }
        if self.has_blob(expected, bytes.len() as u64) {
            return Ok(());
        }
        let ingest = self.ingest_dir();
        fs::create_dir_all(&ingest).map_err(io_error("create directory", &ingest))?;
        let mut temp = layout::temp_file(&ingest)?;
        temp.write_all(bytes)
            .map_err(io_error("write", temp.path()))?;
        self.persist_blob(temp, expected)
    }

    /// Moves a temporary file of `ingest/` (made by `layout::temp_file`) whose bytes are
    /// the blob `digest` into `blobs/`: fsync, rename, fsync of the directory.
    pub(super) fn persist_blob(
        &self,
        temp: tempfile::NamedTempFile,
        digest: &Digest,
    ) -> Result<(), StoreError> {
        temp.as_file()
            .sync_all()
            .map_err(io_error("sync", temp.path()))?;
        let blobs = self.blobs_dir();
        fs::create_dir_all(&blobs).map_err(io_error("create directory", &blobs))?;
        let target = self.blob_path(digest);
        temp.persist(&target)
            .map_err(|e| io_error("move into place", &target)(e.error))?;
        sync_dir(&blobs)
    }

    /// Begins, or resumes, writing the blob `digest` of `size` bytes.
    ///
    /// The data goes to `<root>/ingest/sha256-<hex>.partial`, which the returned writer holds
    /// under an exclusive lock, so two writers (threads or processes) never share a partial.
    /// When another writer holds it, this call blocks until that writer commits or gives
    /// up, then returns [`Ingest::AlreadyPresent`] if the blob arrived meanwhile. (So do not
    /// ingest the same digest twice from one thread while the first writer is alive: dedupe
    /// a manifest's layers first.) Call it from a blocking thread, and hold
    /// [`Store::lock_shared`] until the image is added, so gc leaves the new blob alone.
    pub fn ingest(&self, digest: &Digest, size: u64) -> Result<Ingest, StoreError> {
        if self.has_blob(digest, size) {
            return Ok(Ingest::AlreadyPresent);
        }
        let dir = self.ingest_dir();
        fs::create_dir_all(&dir).map_err(io_error("create directory", &dir))?;
        let path = dir.join(format!("sha256-{}.partial", digest.hex()));
        loop {
            let file = OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(&path)
                .map_err(io_error("open", &path))?;
            lock::lock(&file, Mode::Exclusive, &path)?;
            let ours = is_same_file(&file, &path)?;
            if self.has_blob(digest, size) {
                if ours {
                    // A partial left next to a finished blob (we may have just created it).
                    remove_if_present(&path)?;
                }
                return Ok(Ingest::AlreadyPresent);
            }
            if !ours {
                // While we waited, its writer renamed it into blobs/ with the wrong size,
                // or gc removed it: start over with whatever is at the path now.
                continue;
            }
            return BlobWriter::resume(self.clone(), file, path, digest.clone(), size)
                .map(Ingest::Writer);
        }
    }
}

/// How much written data may pile up in the page cache before its writeback is started.
const WRITEBACK_STEP: u64 = 8 * 1024 * 1024;

/// Ask the kernel to start writing `len` bytes at `offset` to disk now, without waiting, so
/// that the fsync in [`BlobWriter::commit`] finds little left to do instead of the whole
/// blob. Purely a hint: durability still comes from that fsync, so failures are ignored.
#[cfg(target_os = "linux")]
#[allow(unsafe_code)]
fn start_writeback(file: &File, offset: u64, len: u64) {
    use std::os::fd::AsRawFd;
    let (Ok(offset), Ok(len)) = (i64::try_from(offset), i64::try_from(len)) else {
        return;
    };
    // SAFETY: sync_file_range only reads its integer arguments; the descriptor is valid for
    // as long as `file` is borrowed, and a bad one would only make the call fail.
    let _ = unsafe {
        libc::sync_file_range(file.as_raw_fd(), offset, len, libc::SYNC_FILE_RANGE_WRITE)
    };
}

#[cfg(not(target_os = "linux"))]
fn start_writeback(_file: &File, _offset: u64, _len: u64) {}

fn remove_if_present(path: &std::path::Path) -> Result<(), StoreError> {
    match fs::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(io_error("remove", path)(e)),
        _ => Ok(()),
    }
}

/// Writes one blob into the store, hashing as it goes. A sync API: use it from a blocking
/// thread. Dropping it without [`BlobWriter::commit`] keeps the partial file (a later
/// `ingest` of the same digest resumes from it) and releases its lock.
pub struct BlobWriter {
    store: Store,
    /// Locked exclusively for as long as the writer lives.
    file: File,
    path: PathBuf,
    digest: Digest,
    size: u64,
    /// Covers exactly the bytes in the partial file.
    hasher: Hasher,
    /// Set when a failed write could not be undone: the file and the hash may disagree.
    poisoned: bool,
    /// Bytes before this offset have been handed to the kernel for writeback.
    writeback_from: u64,
}

impl std::fmt::Debug for BlobWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlobWriter")
            .field("path", &self.path)
            .field("digest", &self.digest)
            .field("size", &self.size)
            .field("offset", &self.hasher.len())
            .field("poisoned", &self.poisoned)
            .finish()
    }
}

impl BlobWriter {
    /// Takes over a locked partial: re-hashes what it holds so that writing resumes where it
    /// stopped, and discards it when it cannot be a prefix of the blob.
    fn resume(
        store: Store,
        mut file: File,
        path: PathBuf,
        digest: Digest,
        size: u64,
    ) -> Result<BlobWriter, StoreError> {
        let len = file.metadata().map_err(io_error("read", &path))?.len();
        let mut hasher = Hasher::new();
        if len <= size {
            file.seek(SeekFrom::Start(0))
                .map_err(io_error("read", &path))?;
            let mut buf = vec![0; CHUNK];
            loop {
                let n = file.read(&mut buf).map_err(io_error("read", &path))?;
                if n == 0 {
                    break;
                }
                hasher.update(&buf[..n]);
            }
            if hasher.len() == size && hasher.clone().finish() != digest {
                hasher = Hasher::new(); // complete but wrong: start again
            }
        }
        let mut writer = BlobWriter {
            store,
            file,
            path,
            digest,
            size,
            writeback_from: hasher.len(),
            hasher,
            poisoned: false,
        };
        writer.truncate_to_hashed()?;
        Ok(writer)
    }

    /// Bytes already in the partial file, covered by the hash: ask the registry for the
    /// rest (`Range: bytes=<offset>-`).
    pub fn offset(&self) -> u64 {
        self.hasher.len()
    }

    /// The blob's expected size.
    pub fn size(&self) -> u64 {
        self.size
    }

    pub fn digest(&self) -> &Digest {
        &self.digest
    }

    /// Appends `buf` and hashes it. Fails with [`StoreError::SizeMismatch`], writing nothing,
    /// as soon as the blob would grow past its expected size.
    pub fn write(&mut self, buf: &[u8]) -> Result<(), StoreError> {
        self.check_not_poisoned()?;
        let after = self.hasher.len() + buf.len() as u64;
        if after > self.size {
            return Err(StoreError::SizeMismatch {
                expected: self.size,
                found: after,
            });
        }
        if let Err(e) = self.file.write_all(buf) {
            // Part of `buf` may be in the file: cut it back to what the hash covers.
            if self.truncate_to_hashed().is_err() {
                self.poisoned = true;
            }
            return Err(io_error("write to", &self.path)(e));
        }
        self.hasher.update(buf);
        let written = self.hasher.len();
        if written - self.writeback_from >= WRITEBACK_STEP {
            start_writeback(
                &self.file,
                self.writeback_from,
                written - self.writeback_from,
            );
            self.writeback_from = written;
        }
        Ok(())
    }

    /// Empties the partial file and resets the hash (for a server that ignored a `Range`
    /// request and sent the blob from its first byte).
    pub fn restart(&mut self) -> Result<(), StoreError> {
        self.hasher = Hasher::new();
        self.writeback_from = 0;
        self.poisoned = false;
        if let Err(e) = self.truncate_to_hashed() {
            self.poisoned = true;
            return Err(e);
        }
        Ok(())
    }

    /// Checks the size and digest, then moves the blob into `blobs/`: fsync of the file,
    /// rename, fsync of the directory. On a mismatch the partial is deleted (its bytes are
    /// wrong, resuming from them would be too). Succeeds without writing when the blob is
    /// already there.
    pub fn commit(mut self) -> Result<(), StoreError> {
        let check = if self.poisoned {
            Err(StoreError::Corrupt {
                path: self.path.clone(),
                reason: "an earlier write failed and could not be undone".into(),
            })
        } else if self.hasher.len() != self.size {
            Err(StoreError::SizeMismatch {
                expected: self.size,
                found: self.hasher.len(),
            })
        } else {
            let found = std::mem::take(&mut self.hasher).finish();
            if found == self.digest {
                Ok(())
            } else {
                Err(StoreError::DigestMismatch {
                    expected: self.digest.clone(),
                    found,
                })
            }
        };
        if let Err(e) = check {
            remove_if_present(&self.path)?;
            return Err(e);
        }
        if self.store.has_blob(&self.digest, self.size) {
            return remove_if_present(&self.path);
        }
        self.file.sync_all().map_err(io_error("sync", &self.path))?;
        let blobs = self.store.blobs_dir();
        fs::create_dir_all(&blobs).map_err(io_error("create directory", &blobs))?;
        let target = self.store.blob_path(&self.digest);
        // Renamed while still locked: a writer waiting for this partial finds the blob.
        fs::rename(&self.path, &target).map_err(io_error("move into place", &target))?;
        sync_dir(&blobs)
    }

    fn truncate_to_hashed(&mut self) -> Result<(), StoreError> {
        let len = self.hasher.len();
        self.file
            .set_len(len)
            .and_then(|()| self.file.seek(SeekFrom::Start(len)))
            .map(drop)
            .map_err(io_error("truncate", &self.path))
    }

    fn check_not_poisoned(&self) -> Result<(), StoreError> {
        if self.poisoned {
            return Err(StoreError::Corrupt {
                path: self.path.clone(),
                reason: "an earlier write failed and could not be undone; call restart()".into(),
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> (tempfile::TempDir, Store) {
        let tmp = tempfile::tempdir().unwrap();
        let store = Store::open(tmp.path().join("store")).unwrap();
        (tmp, store)
    }

    fn writer(store: &Store, digest: &Digest, size: u64) -> BlobWriter {
        match store.ingest(digest, size).unwrap() {
            Ingest::Writer(w) => w,
            Ingest::AlreadyPresent => panic!("blob unexpectedly present"),
        }
    }

    fn partial(store: &Store, digest: &Digest) -> PathBuf {
        store
            .root()
            .join("ingest")
            .join(format!("sha256-{}.partial", digest.hex()))
    }

    #[test]
    fn resumes_an_interrupted_write() {
        let (_tmp, store) = store();
        let data: Vec<u8> = (0..10_000u32).map(|i| (i % 251) as u8).collect();
        let digest = Digest::of(&data);
        let mut w = writer(&store, &digest, data.len() as u64);
        assert_eq!(w.offset(), 0);
        w.write(&data[..5_000]).unwrap();
        drop(w);
        assert!(!store.has_blob(&digest, data.len() as u64));
        assert_eq!(fs::metadata(partial(&store, &digest)).unwrap().len(), 5_000);

        let mut w = writer(&store, &digest, data.len() as u64);
        assert_eq!(w.offset(), 5_000);
        w.write(&data[5_000..]).unwrap();
        w.commit().unwrap();
        assert!(store.has_blob(&digest, data.len() as u64));
        assert!(!partial(&store, &digest).exists());
        assert_eq!(store.read_blob(&digest, 1 << 20).unwrap(), data);
        assert!(matches!(
            store.ingest(&digest, data.len() as u64).unwrap(),
            Ingest::AlreadyPresent
        ));
    }

    #[test]
    fn restart_discards_what_was_written() {
        let (_tmp, store) = store();
        let data = b"the whole blob";
        let digest = Digest::of(data);
        let mut w = writer(&store, &digest, data.len() as u64);
        w.write(b"garbage").unwrap();
        w.restart().unwrap();
        assert_eq!(w.offset(), 0);
        w.write(data).unwrap();
        w.commit().unwrap();
        assert_eq!(store.read_blob(&digest, 100).unwrap(), data);
    }

    #[test]
    fn a_digest_mismatch_leaves_neither_blob_nor_partial() {
        let (_tmp, store) = store();
        let digest = Digest::of(b"expected");
        let mut w = writer(&store, &digest, 8);
        w.write(b"tampered").unwrap();
        let err = w.commit().unwrap_err();
        assert!(
            matches!(&err, StoreError::DigestMismatch { expected, found }
                if *expected == digest && *found == Digest::of(b"tampered")),
            "{err}"
        );
        assert!(!store.blob_path(&digest).exists());
        assert!(!partial(&store, &digest).exists());
    }

    #[test]
    fn too_many_bytes_fail_at_once_and_too_few_at_commit() {
        let (_tmp, store) = store();
        let digest = Digest::of(b"four");
        let mut w = writer(&store, &digest, 4);
        w.write(b"fo").unwrap();
        let err = w.write(b"urs").unwrap_err();
        assert!(
            matches!(
                err,
                StoreError::SizeMismatch {
                    expected: 4,
                    found: 5
                }
            ),
            "{err}"
        );
        assert_eq!(w.offset(), 2, "the refused bytes were not written");
        let err = w.commit().unwrap_err();
        assert!(matches!(
            err,
            StoreError::SizeMismatch {
                expected: 4,
                found: 2
            }
        ));
        assert!(!partial(&store, &digest).exists());
    }

    #[test]
    fn a_partial_longer_than_the_blob_is_discarded() {
        let (_tmp, store) = store();
        let digest = Digest::of(b"abc");
        fs::create_dir_all(store.root().join("ingest")).unwrap();
        fs::write(partial(&store, &digest), b"abcdef").unwrap();
        let mut w = writer(&store, &digest, 3);
        assert_eq!(w.offset(), 0);
        w.write(b"abc").unwrap();
        w.commit().unwrap();
        assert!(store.has_blob(&digest, 3));
    }

    #[test]
    fn a_complete_but_wrong_partial_is_discarded() {
        let (_tmp, store) = store();
        let digest = Digest::of(b"abc");
        fs::create_dir_all(store.root().join("ingest")).unwrap();
        fs::write(partial(&store, &digest), b"xyz").unwrap();
        let w = writer(&store, &digest, 3);
        assert_eq!(w.offset(), 0);
    }

    #[test]
    fn concurrent_ingest_of_one_digest_writes_once() {
        let (_tmp, store) = store();
        let data = vec![7u8; 100_000];
        let digest = Digest::of(&data);
        let size = data.len() as u64;
        let mut first = writer(&store, &digest, size);
        first.write(&data[..50_000]).unwrap();

        let (started_tx, started_rx) = std::sync::mpsc::channel();
        let other = Store::open(store.root()).unwrap();
        let second = std::thread::spawn({
            let digest = digest.clone();
            move || {
                started_tx.send(()).unwrap();
                other.ingest(&digest, size).unwrap()
            }
        });
        started_rx.recv().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(100));
        assert!(
            !second.is_finished(),
            "the second writer waits for the lock"
        );
        first.write(&data[50_000..]).unwrap();
        first.commit().unwrap();
        assert!(matches!(second.join().unwrap(), Ingest::AlreadyPresent));
        assert!(!partial(&store, &digest).exists());
    }

    #[test]
    fn a_waiter_takes_over_an_abandoned_partial() {
        let (_tmp, store) = store();
        let data = b"0123456789";
        let digest = Digest::of(data);
        let mut first = writer(&store, &digest, 10);
        first.write(&data[..4]).unwrap();
        let other = store.clone();
        let second = std::thread::spawn({
            let digest = digest.clone();
            move || match other.ingest(&digest, 10).unwrap() {
                Ingest::Writer(w) => w.offset(),
                Ingest::AlreadyPresent => u64::MAX,
            }
        });
        std::thread::sleep(std::time::Duration::from_millis(50));
        drop(first);
        assert_eq!(second.join().unwrap(), 4);
    }

    #[test]
    fn write_blob_verifies_and_read_blob_limits() {
        let (_tmp, store) = store();
        let digest = Digest::of(b"{}");
        assert!(matches!(
            store.write_blob(&digest, b"[]"),
            Err(StoreError::DigestMismatch { .. })
        ));
        assert!(!store.blob_path(&digest).exists());
        store.write_blob(&digest, b"{}").unwrap();
        store.write_blob(&digest, b"{}").unwrap();
        assert_eq!(store.read_blob(&digest, 2).unwrap(), b"{}");
        assert!(matches!(
            store.read_blob(&digest, 1),
            Err(StoreError::TooLarge {
                size: 2,
                max: 1,
                ..
            })
        ));
        let missing = Digest::of(b"nope");
        assert!(matches!(
            store.read_blob(&missing, 10),
            Err(StoreError::MissingBlob { .. })
        ));
        // No temporary files left behind.
        assert_eq!(
            fs::read_dir(store.root().join("ingest")).unwrap().count(),
            0
        );
    }

    #[test]
    fn read_blob_detects_a_flipped_byte() {
        let (_tmp, store) = store();
        let digest = Digest::of(b"hello");
        store.write_blob(&digest, b"hello").unwrap();
        fs::write(store.blob_path(&digest), b"hellO").unwrap();
        assert!(matches!(
            store.read_blob(&digest, 10),
            Err(StoreError::DigestMismatch { .. })
        ));
    }
}
