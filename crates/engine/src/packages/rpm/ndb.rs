//! rpm's NDB backend (`Packages.db`, SUSE since SLE 15 SP3 / openSUSE Leap 15.3): rpm's
//! own little-endian format. Block 0 holds a 32-byte header (magic `RpmP`, version 0,
//! generation, the number of 4 KiB slot pages), then 16-byte slots (magic `Slot`, package
//! index, block offset, block count) fill the slot pages. A slot's blob starts at
//! `block offset × 16` with a 16-byte header (magic `BlbS`, package index, checksum,
//! length) followed by the header blob.

use super::super::PackageError;

const HEADER_MAGIC: &[u8; 4] = b"RpmP";
const SLOT_MAGIC: &[u8; 4] = b"Slot";
const BLOB_MAGIC: &[u8; 4] = b"BlbS";
const PAGE_SIZE: usize = 4096;
const SLOT_SIZE: usize = 16;
const BLOCK_SIZE: usize = 16;
const BLOB_HEADER: usize = 16;

/// Whether `bytes` start like an NDB package database.
pub fn is_ndb(bytes: &[u8]) -> bool {
    bytes.get(..4) == Some(HEADER_MAGIC)
}

/// The header blob of every used slot, in slot order.
pub fn blobs(path: &str, bytes: &[u8]) -> Result<Vec<Vec<u8>>, PackageError> {
    let malformed = |reason: String| PackageError::malformed(path, "NDB database", reason);
    if !is_ndb(bytes) {
        return Err(malformed("no `RpmP` magic".into()));
    }
    let version = le32(bytes, 4).ok_or_else(|| malformed("truncated header".into()))?;
    if version != 0 {
        return Err(PackageError::unsupported(
            path,
            "NDB database",
            format!("version {version} (only 0 is known)"),
        ));
    }
    let slot_pages = le32(bytes, 12).ok_or_else(|| malformed("truncated header".into()))? as usize;
    let slots_end = slot_pages
        .checked_mul(PAGE_SIZE)
        .filter(|&end| end <= bytes.len())
        .ok_or_else(|| malformed(format!("{slot_pages} slot pages do not fit in the file")))?;
    let mut out = Vec::new();
    // The first two slot-sized cells of page 0 are the file header.
    let mut at = 2 * SLOT_SIZE;
    while at + SLOT_SIZE <= slots_end {
        let slot = at;
        at += SLOT_SIZE;
        if bytes.get(slot..slot + 4) != Some(SLOT_MAGIC) {
            continue;
        }
        let (Some(pkg), Some(offset), Some(count)) = (
            le32(bytes, slot + 4),
            le32(bytes, slot + 8),
            le32(bytes, slot + 12),
        ) else {
            continue;
        };
        if pkg == 0 || count == 0 {
            continue;
        }
        let Some(start) = (offset as usize).checked_mul(BLOCK_SIZE) else {
            continue;
        };
        let Some(data) = start.checked_add(BLOB_HEADER) else {
            continue;
        };
        if bytes.get(start..start + 4) != Some(BLOB_MAGIC) || le32(bytes, start + 4) != Some(pkg) {
            continue;
        }
        let Some(len) = le32(bytes, start + 12).map(|l| l as usize) else {
            continue;
        };
        let span = (count as usize).saturating_mul(BLOCK_SIZE);
        if len.saturating_add(BLOB_HEADER) > span {
            continue;
        }
        let Some(blob) = data.checked_add(len).and_then(|end| bytes.get(data..end)) else {
            continue;
        };
        out.push(blob.to_vec());
    }
    Ok(out)
}

fn le32(data: &[u8], at: usize) -> Option<u32> {
    let b: [u8; 4] = data.get(at..at.checked_add(4)?)?.try_into().ok()?;
    Some(u32::from_le_bytes(b))
}
