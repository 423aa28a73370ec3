//! fsck: re-hash every blob that `index.json` reaches and report what is wrong, without
//! changing anything.

use std::collections::{HashSet, VecDeque};
use std::fs::File;
use std::io::{self, Read};

use serde::Serialize;

use super::gc::list_blobs;
use super::walk::{self, Kind, MAX_MANIFEST_SIZE};
use super::{Store, StoreError, io_error};
use crate::digest::{Digest, Hasher};

/// A blob whose content is right but whose size differs from what its descriptor says.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub struct BlobSizeMismatch {
    pub digest: Digest,
    pub expected: u64,
    pub found: u64,
}

/// What [`Store::fsck`] found. Sorted by digest.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub struct FsckReport {
    pub blobs_checked: usize,
    pub bytes_checked: u64,
    /// Reachable blobs that are not in the store.
    pub missing: Vec<Digest>,
    /// Blobs whose content does not hash to their name.
    pub corrupt: Vec<Digest>,
    pub size_mismatches: Vec<BlobSizeMismatch>,
    /// Manifests whose content is intact but cannot be read as a manifest, so their
    /// children were not checked.
    pub unparseable: Vec<Digest>,
    /// Blobs nothing reaches (what [`Store::gc`] would delete). Not damage.
    pub unreferenced: Vec<Digest>,
}

impl FsckReport {
    /// Nothing missing or damaged (unreferenced blobs are fine).
    pub fn is_clean(&self) -> bool {
        self.missing.is_empty()
            && self.corrupt.is_empty()
            && self.size_mismatches.is_empty()
            && self.unparseable.is_empty()
    }
}

enum Checked {
    Missing,
    Hashed {
        digest: Digest,
        len: u64,
        bytes: Option<Vec<u8>>,
    },
}

impl Store {
    /// Re-hashes every reachable blob (streaming, in bounded memory) and lists the missing,
    /// corrupt and wrongly sized ones, and the unreferenced ones. Modifies nothing; holds
    /// [`Store::lock_shared`] when it can, so a gc does not delete blobs under it.
    pub fn fsck(&self) -> Result<FsckReport, StoreError> {
        // A read-only store cannot get a lock file; check it anyway.
        let _lock = self.lock_shared().ok();
        let index = self.read_index()?;
        let mut report = FsckReport::default();
        let mut seen = HashSet::new();
        let mut queue = VecDeque::from(walk::roots(&index));
        while let Some(node) = queue.pop_front() {
            if !seen.insert(node.digest.clone()) {
                continue;
            }
            let keep = node.kind != Kind::Leaf && node.size <= MAX_MANIFEST_SIZE;
            let (found, len, bytes) = match self.hash_blob(&node.digest, keep)? {
                Checked::Missing => {
                    report.missing.push(node.digest);
                    continue;
                }
                Checked::Hashed { digest, len, bytes } => (digest, len, bytes),
            };
            report.blobs_checked += 1;
            report.bytes_checked += len;
            if found != node.digest {
                report.corrupt.push(node.digest);
                continue;
            }
            if len != node.size {
                report.size_mismatches.push(BlobSizeMismatch {
                    digest: node.digest.clone(),
                    expected: node.size,
                    found: len,
                });
            }
            match (node.kind, bytes.map(|b| walk::children(&b))) {
                (_, Some(Ok(children))) => queue.extend(children),
                (Kind::Manifest, _) => report.unparseable.push(node.digest),
                _ => {}
            }
        }
        report.unreferenced = list_blobs(&self.blobs_dir())?
            .into_iter()
            .map(|(d, _)| d)
            .filter(|d| !seen.contains(d))
            .collect();
        report.missing.sort();
        report.corrupt.sort();
        report
            .size_mismatches
            .sort_by(|a, b| a.digest.cmp(&b.digest));
        report.unparseable.sort();
        Ok(report)
    }

    /// Hashes a blob in 1 MiB chunks; keeps its bytes when asked (for manifests, which are
    /// small) and when it is not larger than [`MAX_MANIFEST_SIZE`].
    fn hash_blob(&self, digest: &Digest, keep: bool) -> Result<Checked, StoreError> {
        let path = self.blob_path(digest);
        let mut file = match File::open(&path) {
            Ok(file) => file,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Checked::Missing),
            Err(e) => return Err(io_error("open", &path)(e)),
        };
        let mut hasher = Hasher::new();
        let mut kept = keep.then(Vec::new);
        let mut buf = vec![0; 1 << 20];
        loop {
            let n = match file.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(io_error("read", &path)(e)),
            };
            hasher.update(&buf[..n]);
            if let Some(k) = &mut kept {
                if (k.len() + n) as u64 > MAX_MANIFEST_SIZE {
                    kept = None;
                } else {
                    k.extend_from_slice(&buf[..n]);
                }
            }
        }
        let len = hasher.len();
        Ok(Checked::Hashed {
            digest: hasher.finish(),
            len,
            bytes: kept,
        })
    }
}
