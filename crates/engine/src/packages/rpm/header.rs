//! rpm header blobs, as rpmdb stores them: `il` and `dl` (big-endian u32), `il` index
//! entries of 16 bytes (tag, type, offset, count), then `dl` bytes of data. Every read is
//! bounds-checked: a hostile blob yields an error or missing tags, never a panic.

const NAME: i32 = 1000;
const VERSION: i32 = 1001;
const RELEASE: i32 = 1002;
const EPOCH: i32 = 1003;
const SIZE: i32 = 1009;
const VENDOR: i32 = 1011;
const LICENSE: i32 = 1014;
const ARCH: i32 = 1022;
const OLDFILENAMES: i32 = 1027;
const SOURCERPM: i32 = 1044;
const DIRINDEXES: i32 = 1116;
const BASENAMES: i32 = 1117;
const DIRNAMES: i32 = 1118;
const MODULARITYLABEL: i32 = 5096;

const TYPE_INT8: u32 = 2;
const TYPE_INT16: u32 = 3;
const TYPE_INT32: u32 = 4;
const TYPE_INT64: u32 = 5;
const TYPE_STRING: u32 = 6;
const TYPE_STRING_ARRAY: u32 = 8;
const TYPE_I18NSTRING: u32 = 9;

/// rpm refuses headers with more entries or data than this (rpm's `HEADER_MAX_BYTES`
/// is 256 MiB; an index of 16-byte entries that large is already absurd).
const MAX_ENTRIES: usize = 0x0010_0000;

/// What we read from one installed package's header.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RpmHeader {
    pub name: String,
    pub epoch: Option<u32>,
    pub version: String,
    pub release: String,
    pub arch: Option<String>,
    pub license: Option<String>,
    pub source_rpm: Option<String>,
    pub vendor: Option<String>,
    pub size: Option<u64>,
    pub modularity_label: Option<String>,
    /// Absolute paths of the package's files.
    pub files: Vec<String>,
}

impl RpmHeader {
    /// `[epoch:]version-release`, as `rpm -q --qf '%{EVR}'` prints it.
    pub fn evr(&self) -> String {
        match self.epoch {
            Some(epoch) => format!("{epoch}:{}-{}", self.version, self.release),
            None => format!("{}-{}", self.version, self.release),
        }
    }
}

#[derive(Clone, Copy)]
struct Entry {
    tag: i32,
    ty: u32,
    offset: usize,
    count: usize,
}

/// Parses one header blob (without the 8-byte magic of a header in an rpm file).
pub fn parse(blob: &[u8]) -> Result<RpmHeader, String> {
    let il = be32(blob, 0).ok_or("header shorter than 8 bytes")? as usize;
    let dl = be32(blob, 4).ok_or("header shorter than 8 bytes")? as usize;
    if il == 0 || il > MAX_ENTRIES {
        return Err(format!("implausible index length {il}"));
    }
    let index_end = 8usize
        .checked_add(il.checked_mul(16).ok_or("index overflows")?)
        .ok_or("index overflows")?;
    let data_end = index_end.checked_add(dl).ok_or("data overflows")?;
    if data_end > blob.len() {
        return Err(format!(
            "header says {data_end} bytes, blob has {}",
            blob.len()
        ));
    }
    let data = blob.get(index_end..data_end).ok_or("data out of range")?;
    let mut entries = Vec::with_capacity(il);
    for i in 0..il {
        let at = 8 + i * 16;
        let (Some(tag), Some(ty), Some(offset), Some(count)) = (
            be32(blob, at),
            be32(blob, at + 4),
            be32(blob, at + 8),
            be32(blob, at + 12),
        ) else {
            return Err("index entry out of range".into());
        };
        entries.push(Entry {
            tag: tag as i32,
            ty,
            offset: offset as usize,
            count: count as usize,
        });
    }
    let h = Header { entries, data };
    let name = h.string(NAME).ok_or("no NAME tag")?;
    let files = match (
        h.strings(BASENAMES),
        h.strings(DIRNAMES),
        h.ints(DIRINDEXES),
    ) {
        (Some(base), Some(dirs), Some(index)) => base
            .iter()
            .zip(index.iter())
            .filter_map(|(base, &i)| {
                let dir = dirs.get(usize::try_from(i).ok()?)?;
                Some(format!("{dir}{base}"))
            })
            .collect(),
        _ => h.strings(OLDFILENAMES).unwrap_or_default(),
    };
    Ok(RpmHeader {
        name,
        epoch: h
            .ints(EPOCH)
            .and_then(|v| v.first().copied())
            .and_then(|e| u32::try_from(e).ok()),
        version: h.string(VERSION).unwrap_or_default(),
        release: h.string(RELEASE).unwrap_or_default(),
        arch: h.string(ARCH),
        license: h.string(LICENSE),
        source_rpm: h.string(SOURCERPM),
        vendor: h.string(VENDOR),
        size: h
            .ints(SIZE)
            .and_then(|v| v.first().copied())
            .and_then(|s| u64::try_from(s).ok()),
        modularity_label: h.string(MODULARITYLABEL),
        files,
    })
}

struct Header<'a> {
    entries: Vec<Entry>,
    data: &'a [u8],
}

impl Header<'_> {
    fn entry(&self, tag: i32) -> Option<Entry> {
        self.entries.iter().copied().find(|e| e.tag == tag)
    }

    /// A STRING, or the first of a STRING_ARRAY / I18NSTRING.
    fn string(&self, tag: i32) -> Option<String> {
        let e = self.entry(tag)?;
        if !matches!(e.ty, TYPE_STRING | TYPE_STRING_ARRAY | TYPE_I18NSTRING) {
            return None;
        }
        cstr(self.data, e.offset).filter(|s| !s.is_empty())
    }

    fn strings(&self, tag: i32) -> Option<Vec<String>> {
        let e = self.entry(tag)?;
        if !matches!(e.ty, TYPE_STRING | TYPE_STRING_ARRAY | TYPE_I18NSTRING) {
            return None;
        }
        let mut out = Vec::with_capacity(e.count.min(1 << 16));
        let mut at = e.offset;
        for _ in 0..e.count {
            let bytes = self.data.get(at..)?;
            let end = memchr::memchr(0, bytes)?;
            out.push(String::from_utf8_lossy(bytes.get(..end)?).into_owned());
            at = at.checked_add(end + 1)?;
        }
        Some(out)
    }

    fn ints(&self, tag: i32) -> Option<Vec<i64>> {
        let e = self.entry(tag)?;
        let width = match e.ty {
            TYPE_INT8 => 1,
            TYPE_INT16 => 2,
            TYPE_INT32 => 4,
            TYPE_INT64 => 8,
            _ => return None,
        };
        let len = e.count.checked_mul(width)?;
        let bytes = self.data.get(e.offset..e.offset.checked_add(len)?)?;
        Some(
            bytes
                .chunks_exact(width)
                .map(|c| match c {
                    [a] => i64::from(*a),
                    [a, b] => i64::from(u16::from_be_bytes([*a, *b])),
                    [a, b, c, d] => i64::from(u32::from_be_bytes([*a, *b, *c, *d])),
                    _ => {
                        let mut buf = [0u8; 8];
                        buf.copy_from_slice(c);
                        i64::from_be_bytes(buf)
                    }
                })
                .collect(),
        )
    }
}

fn be32(data: &[u8], at: usize) -> Option<u32> {
    let b: [u8; 4] = data.get(at..at.checked_add(4)?)?.try_into().ok()?;
    Some(u32::from_be_bytes(b))
}

fn cstr(data: &[u8], at: usize) -> Option<String> {
    let bytes = data.get(at..)?;
    let end = memchr::memchr(0, bytes)?;
    Some(String::from_utf8_lossy(bytes.get(..end)?).into_owned())
}
