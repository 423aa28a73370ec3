//! Walks a layer's tar stream entry by entry and tells the index builder what each entry
//! does: writes a path, whites one out, or makes a directory opaque.
//!
//! tar-rs does the parsing (ustar, GNU and PAX headers, GNU long names and links, PAX
//! path, linkpath, size, uid and gid); this module adds what an image layer needs on top:
//! paths resolved under the root ([`paths::normalize`]), OCI whiteouts, the PAX `mtime`, and
//! errors that say where the archive broke. Content is skipped (read through, so that the
//! caller's hash sees every byte), never buffered.

use std::cell::Cell;
use std::io::{self, Read};
use std::rc::Rc;

use tar::EntryType;

use super::index::{BuildLimit, FileType, IndexBuilder, Meta};
use super::paths;
use crate::packages::{FoundFile, Wanted};

/// The OCI whiteout prefix: `.wh.<name>` removes `<name>` from the layers below.
pub const WHITEOUT_PREFIX: &str = ".wh.";
/// The OCI opaque marker: the directory holding it hides its lower contents.
pub const OPAQUE_MARKER: &str = ".wh..wh..opq";

/// Why a walk stopped.
#[derive(Debug)]
pub(crate) enum WalkError {
    /// The stream is not a valid tar (or it ended early): where and why.
    Malformed {
        offset: u64,
        reason: String,
    },
    Limit(BuildLimit),
}

/// A reader that counts what it handed out and remembers whether it reached the end.
struct Counted<R> {
    inner: R,
    position: Rc<Cell<u64>>,
    ended: Rc<Cell<bool>>,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n == 0 && !buf.is_empty() {
            self.ended.set(true);
        }
        self.position.set(self.position.get() + n as u64);
        Ok(n)
    }
}

/// Reads the tar in `input` to its end-of-archive marker (or its last whole entry: umoci
/// writes tars without the marker) and feeds `builder`; the files that package detectors
/// want are read and examined on the way, into `found` (unless it is `None`). Returns `input`, positioned after
/// what the walk read, so that the caller can read the rest for the diff_id.
pub(crate) fn walk<R: Read>(
    input: R,
    builder: &mut IndexBuilder,
    mut found: Option<&mut Vec<FoundFile>>,
) -> Result<R, WalkError> {
    let position = Rc::new(Cell::new(0u64));
    let ended = Rc::new(Cell::new(false));
    let counted = Counted {
        inner: input,
        position: position.clone(),
        ended: ended.clone(),
    };
    let mut archive = tar::Archive::new(counted);
    // Where the next header starts: the offset to report when it cannot be parsed.
    let mut next_header = 0u64;
    let malformed = |offset: u64, source: io::Error| {
        // When the stream ran out, say so, and where it did.
        let (offset, reason) = if ended.get() {
            (
                position.get(),
                format!("the archive ends in the middle of an entry ({source})"),
            )
        } else {
            (offset, source.to_string())
        };
        WalkError::Malformed { offset, reason }
    };
    {
        let entries = archive.entries().map_err(|e| malformed(0, e))?;
        for (sequence, entry) in entries.enumerate() {
            let mut entry = entry.map_err(|e| malformed(next_header, e))?;
            builder.set_sequence(u32::try_from(sequence).unwrap_or(u32::MAX));
            let header_at = entry.raw_header_position();
            // (For a GNU sparse file `size` is the expanded size, so an error right after
            // one is reported a little off; such files do not occur in image layers.)
            next_header = entry
                .raw_file_position()
                .saturating_add(entry.size().div_ceil(512).saturating_mul(512));
            visit(&mut entry, builder, found.as_deref_mut()).map_err(|e| match e {
                VisitError::Header(source) => malformed(header_at, source),
                VisitError::Limit(l) => WalkError::Limit(l),
            })?;
        }
    }
    Ok(archive.into_inner().inner)
}

enum VisitError {
    Header(io::Error),
    Limit(BuildLimit),
}

impl From<BuildLimit> for VisitError {
    fn from(l: BuildLimit) -> VisitError {
        VisitError::Limit(l)
    }
}

fn visit<R: Read>(
    entry: &mut tar::Entry<'_, R>,
    builder: &mut IndexBuilder,
    found: Option<&mut Vec<FoundFile>>,
) -> Result<(), VisitError> {
    let kind = match entry.header().entry_type() {
        // A global PAX header describes the archive, not a file.
        EntryType::XGlobalHeader => return Ok(()),
        EntryType::Directory => FileType::Dir,
        EntryType::Symlink => FileType::Symlink,
        EntryType::Link => FileType::Hardlink,
        EntryType::Char => FileType::Char,
        EntryType::Block => FileType::Block,
        EntryType::Fifo => FileType::Fifo,
        // Regular, contiguous, GNU sparse, and types POSIX says to read as regular files.
        _ => FileType::File,
    };
    let Some(path) = paths::normalize(&entry.path_bytes()) else {
        // The root itself (`/`, `./`): nothing to index.
        return Ok(());
    };

    let name = paths::file_name(&path);
    if let Some(target) = name.strip_prefix(WHITEOUT_PREFIX) {
        let dir = paths::parent(&path);
        if name == OPAQUE_MARKER {
            builder.opaque(dir)?;
        } else if target.starts_with(WHITEOUT_PREFIX) || matches!(target, "" | "." | "..") {
            // Other `.wh..wh.` names are aufs bookkeeping; `.wh..` would name a parent.
        } else if dir.is_empty() {
            builder.whiteout(target)?;
        } else {
            builder.whiteout(&format!("{dir}/{target}"))?;
        }
        return Ok(());
    }

    let header = entry.header();
    let raw = header.as_old();
    let mode = numeric(&raw.mode, header.mode().map(u64::from))? as u32 & 0o7777;
    let uid = numeric(&raw.uid, header.uid())?;
    let gid = numeric(&raw.gid, header.gid())?;
    let mut mtime = i64::try_from(numeric(&raw.mtime, header.mtime())?).unwrap_or(i64::MAX);
    let link = match kind {
        FileType::Symlink => entry
            .link_name_bytes()
            .map(|l| String::from_utf8_lossy(&l).into_owned())
            .unwrap_or_default(),
        FileType::Hardlink => entry
            .link_name_bytes()
            .and_then(|l| paths::normalize(&l))
            .unwrap_or_default(),
        _ => String::new(),
    };
    let size = if kind == FileType::File {
        entry.size()
    } else {
        0
    };
    if let Some(pax) = entry.pax_extensions().map_err(VisitError::Header)? {
        for ext in pax.flatten() {
            if ext.key_bytes() == b"mtime"
                && let Some(secs) = ext.value().ok().and_then(pax_seconds)
            {
                mtime = secs;
            }
        }
    }
    builder.add(
        &path,
        Meta {
            kind,
            size,
            mode,
            uid,
            gid,
            mtime,
        },
        &link,
    )?;
    if let Some(found) = found
        && kind == FileType::File
    {
        let absolute = paths::absolute(&path);
        if let Some(wanted) = Wanted::of(&absolute, mode, size) {
            examine(entry, &absolute, size, wanted, found).map_err(VisitError::Header)?;
        }
    }
    Ok(())
}

/// Wanted files larger than this are not held in memory while the detectors read them:
/// they go to an unlinked temporary file, which the detectors see through a memory map
/// (they read headers and a section or two, not the whole of a 100 MB binary or jar).
const IN_MEMORY_LIMIT: u64 = 4 * 1024 * 1024;

/// Reads a wanted file's content (through the caller's hash, like every other byte) and
/// keeps what the detectors find in it. Only the first bytes of a file that turns out not
/// to be what a binary detector reads are kept in memory.
fn examine<R: Read>(
    entry: &mut tar::Entry<'_, R>,
    path: &str,
    size: u64,
    wanted: Wanted,
    found: &mut Vec<FoundFile>,
) -> io::Result<()> {
    let mut content = Vec::new();
    entry.by_ref().take(4).read_to_end(&mut content)?;
    let Some(wanted) = wanted.after_head(&content) else {
        return Ok(());
    };
    if size > IN_MEMORY_LIMIT {
        match spill(entry, &content)? {
            Ok(map) => found.extend(wanted.examine(path, &map)),
            // The layer is fine; only this file could not be looked into: say so.
            Err(why) => found.push(FoundFile {
                path: path.to_owned(),
                packages: Vec::new(),
                errors: vec![format!(
                    "not examined: no room for a temporary copy of it ({why})"
                )],
                os_release: None,
                copyright_licenses: None,
                owned_files: Vec::new(),
            }),
        }
        return Ok(());
    }
    // `size` is at most the detectors' limit (512 MiB), checked by `Wanted::of`.
    content.reserve_exact(
        usize::try_from(size)
            .unwrap_or(0)
            .saturating_sub(content.len()),
    );
    entry.read_to_end(&mut content)?;
    found.extend(wanted.examine(path, &content));
    Ok(())
}

/// Copies the rest of `entry`, after its first bytes `head`, to an unlinked temporary file
/// and maps it. The outer error is the archive's (reading the entry failed); the inner one
/// is the temporary file's, after which the entry has still been read to its end.
fn spill<R: Read>(
    entry: &mut tar::Entry<'_, R>,
    head: &[u8],
) -> io::Result<Result<memmap2::Mmap, io::Error>> {
    use std::io::Write;
    let mut file = tempfile::tempfile().and_then(|mut f| f.write_all(head).map(|()| f));
    let mut buf = vec![0; 64 * 1024];
    loop {
        let n = entry.read(&mut buf)?;
        if n == 0 {
            break;
        }
        if let Ok(f) = &mut file
            && let Err(e) = f.write_all(&buf[..n])
        {
            file = Err(e);
        }
    }
    Ok(file.and_then(|f| map_file(&f)))
}

/// A read-only map of `file`.
#[allow(unsafe_code)]
fn map_file(file: &std::fs::File) -> io::Result<memmap2::Mmap> {
    // SAFETY: the map's contract is that nobody changes the file while it is mapped. The
    // file is an unlinked temporary that only `spill` holds, written in full before the
    // map is made and never written again; the map keeps its own reference to the pages.
    unsafe { memmap2::Mmap::map(file) }
}

/// A numeric header field, read as Go's archive/tar (and so Docker) reads it: a field of
/// only NULs and spaces is 0; anything else must parse.
fn numeric(field: &[u8], parsed: io::Result<u64>) -> Result<u64, VisitError> {
    match parsed {
        Ok(n) => Ok(n),
        Err(_) if field.iter().all(|&b| b == 0 || b == b' ') => Ok(0),
        Err(e) => Err(VisitError::Header(e)),
    }
}

/// The whole seconds of a PAX time (`1700000000.123456789`, possibly negative).
fn pax_seconds(value: &str) -> Option<i64> {
    value.split('.').next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A tar holding one regular file.
    fn tar_of(path: &str, content: &[u8]) -> Vec<u8> {
        let mut tar = tar::Builder::new(Vec::new());
        let mut header = tar::Header::new_gnu();
        header.set_size(content.len() as u64);
        header.set_mode(0o644);
        header.set_entry_type(tar::EntryType::Regular);
        tar.append_data(&mut header, path, content).unwrap();
        tar.into_inner().unwrap()
    }

    /// A dpkg status file of `n` packages, padded with description lines to `min_len`.
    fn dpkg_status(n: usize, min_len: usize) -> Vec<u8> {
        let mut out = String::new();
        for i in 0..n {
            out.push_str(&format!(
                "Package: pkg{i}\nStatus: install ok installed\nVersion: 1.{i}\nArchitecture: amd64\n"
            ));
            out.push_str("Description: padding\n");
            while out.len() < (i + 1) * min_len / n {
                out.push_str(
                    " .................................................................\n",
                );
            }
            out.push('\n');
        }
        out.into_bytes()
    }

    fn found_in(tar: &[u8]) -> Vec<FoundFile> {
        let mut builder = IndexBuilder::new();
        let mut found = Vec::new();
        walk(tar, &mut builder, Some(&mut found)).unwrap();
        found
    }

    #[test]
    fn a_wanted_file_past_the_in_memory_limit_is_examined_through_a_temporary_copy() {
        let small = dpkg_status(40, 64 * 1024);
        let large = dpkg_status(40, 6 * 1024 * 1024);
        assert!(small.len() as u64 <= IN_MEMORY_LIMIT);
        assert!(large.len() as u64 > IN_MEMORY_LIMIT);
        let names = |found: &[FoundFile]| -> Vec<String> {
            found
                .iter()
                .flat_map(|f| {
                    f.packages
                        .iter()
                        .map(|p| format!("{} {}", p.name, p.version))
                })
                .collect()
        };
        let from_memory = found_in(&tar_of("var/lib/dpkg/status", &small));
        let from_disk = found_in(&tar_of("var/lib/dpkg/status", &large));
        assert_eq!(names(&from_memory).len(), 40);
        assert_eq!(names(&from_disk), names(&from_memory));
        assert!(
            from_disk.iter().all(|f| f.errors.is_empty()),
            "{from_disk:?}"
        );
    }

    #[test]
    fn pax_times_keep_their_whole_seconds() {
        assert_eq!(pax_seconds("1700000000.123456789"), Some(1_700_000_000));
        assert_eq!(pax_seconds("-5.5"), Some(-5));
        assert_eq!(pax_seconds("12"), Some(12));
        assert_eq!(pax_seconds("x"), None);
    }
}
