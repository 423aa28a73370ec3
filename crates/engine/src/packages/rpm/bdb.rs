//! rpm's Berkeley DB backend (`Packages`, rpm < 4.16: RHEL ≤ 8, CentOS, Amazon Linux 2):
//! a Berkeley DB *hash* database keyed by header number, read by hand.
//!
//! The file is a sequence of pages of `pagesize` bytes. Page 0 is the hash metadata page
//! (magic `0x061561` at offset 12, page size at 20, in the byte order of the machine that
//! wrote it, which the magic reveals). Each hash page (type 2 or 13) has a 26-byte header
//! (`entries` at 20, `type` at 25) and then `entries` u16 offsets to items, alternating key
//! and value. rpm's headers are too large for a page, so a value is an `H_OFFPAGE` item
//! (type 3: page number at 4, total length at 8) naming the first of a chain of overflow
//! pages (type 7), each holding `hf_offset` (at 22) bytes after its header and linking to
//! the next at 16. A value small enough to stay on its page is an `H_KEYDATA` item (type
//! 1, bytes up to where the item before it starts); rpm's record 0, a 4-byte counter, is
//! one, and is skipped.

use super::super::PackageError;

const HASH_MAGIC: u32 = 0x0006_1561;
const PAGE_HEADER: usize = 26;
const P_HASH_UNSORTED: u8 = 2;
const P_OVERFLOW: u8 = 7;
const P_HASH: u8 = 13;
const H_KEYDATA: u8 = 1;
const H_OFFPAGE: u8 = 3;

/// Whether `bytes` start like a Berkeley DB hash database (either byte order).
pub fn is_bdb(bytes: &[u8]) -> bool {
    magic_order(bytes).is_some()
}

/// `Some(little_endian)` when the hash magic is at offset 12.
fn magic_order(bytes: &[u8]) -> Option<bool> {
    let raw: [u8; 4] = bytes.get(12..16)?.try_into().ok()?;
    if u32::from_le_bytes(raw) == HASH_MAGIC {
        Some(true)
    } else if u32::from_be_bytes(raw) == HASH_MAGIC {
        Some(false)
    } else {
        None
    }
}

/// The value of every record that lives on overflow pages: rpm's header blobs.
pub fn blobs(path: &str, bytes: &[u8]) -> Result<Vec<Vec<u8>>, PackageError> {
    let malformed = |reason: String| PackageError::malformed(path, "Berkeley DB file", reason);
    let Some(le) = magic_order(bytes) else {
        // A btree rpmdb (magic 0x053162) is valid Berkeley DB, just not what rpm writes.
        if bytes
            .get(12..16)
            .is_some_and(|m| m == 0x0005_3162u32.to_le_bytes() || m == 0x0005_3162u32.to_be_bytes())
        {
            return Err(PackageError::unsupported(
                path,
                "Berkeley DB btree",
                "rpm's Packages is a hash database",
            ));
        }
        return Err(malformed("no hash database magic at offset 12".into()));
    };
    let db = Db { bytes, le };
    let page_size = db
        .u32(20)
        .ok_or_else(|| malformed("truncated metadata page".into()))? as usize;
    if !(512..=65536).contains(&page_size) || !page_size.is_power_of_two() {
        return Err(malformed(format!("implausible page size {page_size}")));
    }
    let pages = bytes.len() / page_size;
    let mut out = Vec::new();
    for pgno in 1..pages {
        let page = pgno * page_size;
        let Some(kind) = bytes.get(page + 25).copied() else {
            break;
        };
        if kind != P_HASH && kind != P_HASH_UNSORTED {
            continue;
        }
        let entries = db.u16(page + 20).unwrap_or(0) as usize;
        // Items alternate key, value: values are the odd ones.
        for i in (1..entries).step_by(2) {
            let Some(offset) = db.u16(page + PAGE_HEADER + 2 * i) else {
                break;
            };
            let offset = offset as usize;
            if offset >= page_size {
                continue;
            }
            let item = page + offset;
            match bytes.get(item) {
                Some(&H_OFFPAGE) => {
                    let (Some(first), Some(len)) = (db.u32(item + 4), db.u32(item + 8)) else {
                        continue;
                    };
                    if let Some(blob) = db.overflow(first as usize, len as usize, page_size) {
                        out.push(blob);
                    }
                }
                Some(&H_KEYDATA) => {
                    // Items are packed down from the page end: this one ends where the
                    // previous one (the key) starts.
                    let end = db
                        .u16(page + PAGE_HEADER + 2 * (i - 1))
                        .map_or(page_size, usize::from)
                        .min(page_size);
                    if let Some(value) = bytes.get(item + 1..page + end) {
                        // rpm's record 0 (a 4-byte counter) is too short to be a header.
                        if value.len() >= 8 {
                            out.push(value.to_vec());
                        }
                    }
                }
                _ => {}
            }
        }
    }
    Ok(out)
}

struct Db<'a> {
    bytes: &'a [u8],
    le: bool,
}

impl Db<'_> {
    fn u16(&self, at: usize) -> Option<u16> {
        let b: [u8; 2] = self.bytes.get(at..at.checked_add(2)?)?.try_into().ok()?;
        Some(if self.le {
            u16::from_le_bytes(b)
        } else {
            u16::from_be_bytes(b)
        })
    }

    fn u32(&self, at: usize) -> Option<u32> {
        let b: [u8; 4] = self.bytes.get(at..at.checked_add(4)?)?.try_into().ok()?;
        Some(if self.le {
            u32::from_le_bytes(b)
        } else {
            u32::from_be_bytes(b)
        })
    }

    /// Follows a chain of overflow pages from `pgno`, collecting `len` bytes. `None` for a
    /// broken chain (a loop, a wrong page type, a page past the end, a short total).
    fn overflow(&self, mut pgno: usize, len: usize, page_size: usize) -> Option<Vec<u8>> {
        let pages = self.bytes.len() / page_size;
        if len > self.bytes.len() {
            return None;
        }
        let mut out = Vec::with_capacity(len);
        let mut hops = 0;
        while pgno != 0 && out.len() < len {
            hops += 1;
            if pgno >= pages || hops > pages {
                return None;
            }
            let page = pgno * page_size;
            if self.bytes.get(page + 25) != Some(&P_OVERFLOW) {
                return None;
            }
            let used = self.u16(page + 22)? as usize;
            let take = used.min(page_size - PAGE_HEADER).min(len - out.len());
            out.extend_from_slice(
                self.bytes
                    .get(page + PAGE_HEADER..page + PAGE_HEADER + take)?,
            );
            pgno = self.u32(page + 16)? as usize;
        }
        (out.len() == len).then_some(out)
    }
}
