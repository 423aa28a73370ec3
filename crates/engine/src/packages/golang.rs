//! Go binaries: the build information the Go linker embeds (what `go version -m` prints):
//! the Go version, the main module, and every dependency module with its version.
//!
//! Which files: the path alone cannot tell a Go binary, so [`GoDetector::wants`] takes any
//! file with an execute bit, and shared objects (`*.so`), up to 256 MiB; [`parse`] then
//! drops at once whatever is not ELF (`\x7fELF`), and reads only the `.go.buildinfo`
//! section (or, for binaries without section headers, the first writable segment), so a
//! non-Go binary costs one section-table lookup.
//!
//! The build info starts with the 16-aligned magic `\xff Go buildinf:`, a pointer size and
//! flags. Go 1.18+ (flag bit 2) inlines the version and module strings after the 32-byte
//! header, each prefixed by a uvarint length; older binaries store two pointers to Go string
//! headers, resolved through the program headers. The module info is framed by 16 sentinel
//! bytes on each side, and is lines of `path`, `mod`, `dep`, `=>` (replaces the line
//! before) and `build`.
//!
//! Packages: the main module (version `(devel)` unless built from a module proxy), each
//! dependency, and `stdlib` at the Go version. A module replaced by another module is
//! reported as the replacement (that is the code in the binary); one replaced by a local
//! directory keeps its path at version `(devel)`. Binaries built in GOPATH mode (Debian's)
//! carry no module lines, only `stdlib`.
//!
//! [`parse`]: Detector::parse

use super::elf::{Elf, wants_binary};
use super::purl::Purl;
use super::{DetectContext, Detector, MIB, Package, PackageError, PackageType};

const MAGIC: &[u8] = b"\xff Go buildinf:";
const ALIGN: usize = 16;
const HEADER: usize = 32;

/// The Go binary detector.
pub struct GoDetector;

impl Detector for GoDetector {
    fn name(&self) -> &'static str {
        "go"
    }

    fn wants(&self, path: &str, mode: u32) -> bool {
        wants_binary(path, mode)
    }

    fn max_file_size(&self) -> u64 {
        256 * MIB
    }

    fn magic(&self) -> Option<&'static [u8]> {
        Some(b"\x7fELF")
    }

    fn parse(
        &self,
        path: &str,
        bytes: &[u8],
        _ctx: &DetectContext,
    ) -> Result<Vec<Package>, PackageError> {
        let Some(info) = read_build_info(bytes) else {
            return Ok(Vec::new());
        };
        Ok(info.packages(path))
    }
}

/// One module line (`mod` or `dep`), after any `=>` replacement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Module {
    pub path: String,
    pub version: String,
    pub sum: Option<String>,
    /// The module this one replaced (`=>`), if any.
    pub replaces: Option<(String, String)>,
}

/// What `go version -m` prints for a binary.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BuildInfo {
    /// `go1.21.5`.
    pub go_version: String,
    /// The `path` line: the main package's import path.
    pub path: Option<String>,
    pub main: Option<Module>,
    pub deps: Vec<Module>,
    /// `build` settings (`GOARCH=amd64`, `-ldflags=…`, `vcs.revision=…`).
    pub settings: Vec<(String, String)>,
}

impl BuildInfo {
    fn setting(&self, key: &str) -> Option<&str> {
        self.settings
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The main module, each dependency, and the Go standard library (`stdlib`, versioned
    /// as the toolchain), as packages found at `location`.
    pub fn packages(&self, location: &str) -> Vec<Package> {
        let arch = self.setting("GOARCH").map(str::to_owned);
        let mut out = Vec::new();
        let mut push = |path: &str, version: &str| {
            let mut p = Package::new(PackageType::Go, path, version, location);
            let purl_version = (version != "(devel)" && !version.is_empty()).then_some(version);
            p.purl = super::purl::golang(path, purl_version);
            p.arch = arch.clone();
            out.push(p);
        };
        if let Some(main) = &self.main {
            push(&main.path, &main.version);
        }
        for dep in &self.deps {
            push(&dep.path, &dep.version);
        }
        if !self.go_version.is_empty() {
            let mut p = Package::new(PackageType::Go, "stdlib", &self.go_version, location);
            let v = self
                .go_version
                .strip_prefix("go")
                .unwrap_or(&self.go_version);
            // `go1.21.5 X:boringcrypto` → `1.21.5`.
            let v = v.split_whitespace().next().unwrap_or(v);
            p.purl = Purl::new("golang", "stdlib")
                .version(v.to_owned())
                .to_string();
            p.arch = arch.clone();
            out.push(p);
        }
        out
    }
}

/// The build info of a Go ELF binary; `None` for anything else.
pub fn read_build_info(bytes: &[u8]) -> Option<BuildInfo> {
    let elf = Elf::parse(bytes)?;
    let (version, modinfo) = match elf.section(".go.buildinfo") {
        Some(section) => decode(&elf, section)?,
        None => elf
            .segments()
            .into_iter()
            .filter(|s| s.writable)
            .find_map(|s| decode(&elf, elf.bytes(s.offset, s.filesz)?))?,
    };
    let mut info = parse_modinfo(&modinfo);
    info.go_version = version;
    Some(info)
}

/// Finds the aligned header in `data` and reads the two strings it leads to.
fn decode(elf: &Elf, mut data: &[u8]) -> Option<(String, String)> {
    let mut base = 0usize;
    loop {
        let i = memchr::memmem::find(data, MAGIC)?;
        if (base + i).is_multiple_of(ALIGN) && data.len() - i >= HEADER {
            data = data.get(i..)?;
            break;
        }
        let skip = (i + 1).next_multiple_of(ALIGN).max(ALIGN);
        data = data.get(skip..)?;
        base += skip;
    }
    let ptr_size = usize::from(*data.get(14)?);
    let flags = *data.get(15)?;
    let (version, modinfo) = if flags & 2 != 0 {
        let (version, rest) = varint_string(data.get(HEADER..)?)?;
        let (modinfo, _) = varint_string(rest)?;
        (version.to_vec(), modinfo.to_vec())
    } else {
        if ptr_size != 4 && ptr_size != 8 {
            return None;
        }
        let big_endian = flags & 1 != 0;
        let ptr = |at: usize| -> Option<u64> {
            let b = data.get(at..at + ptr_size)?;
            Some(match (ptr_size, big_endian) {
                (4, false) => u64::from(u32::from_le_bytes(b.try_into().ok()?)),
                (4, true) => u64::from(u32::from_be_bytes(b.try_into().ok()?)),
                (_, false) => u64::from_le_bytes(b.try_into().ok()?),
                (_, true) => u64::from_be_bytes(b.try_into().ok()?),
            })
        };
        let size = ptr_size as u64;
        let string = |header_addr: u64| -> Option<Vec<u8>> {
            let addr = elf.read_ptr(header_addr, size, big_endian)?;
            let len = elf.read_ptr(header_addr.checked_add(size)?, size, big_endian)?;
            if len > (64 << 20) {
                return None;
            }
            Some(elf.read_vaddr(addr, len)?.to_vec())
        };
        (string(ptr(16)?)?, string(ptr(16 + ptr_size)?)?)
    };
    let modinfo = strip_sentinels(&modinfo);
    Some((
        String::from_utf8_lossy(&version).into_owned(),
        String::from_utf8_lossy(modinfo).into_owned(),
    ))
}

/// A uvarint length, then that many bytes.
fn varint_string(data: &[u8]) -> Option<(&[u8], &[u8])> {
    let mut len: u64 = 0;
    let mut shift = 0;
    let mut used: usize = 0;
    for &b in data.iter().take(10) {
        used += 1;
        len |= u64::from(b & 0x7f).checked_shl(shift)?;
        if b & 0x80 == 0 {
            let len = usize::try_from(len).ok()?;
            let end = used.checked_add(len)?;
            return Some((data.get(used..end)?, data.get(end..)?));
        }
        shift += 7;
    }
    None
}

/// Module info is wrapped in 16 bytes on each side; without them it is empty.
fn strip_sentinels(modinfo: &[u8]) -> &[u8] {
    let n = modinfo.len();
    if n >= 33 && modinfo.get(n - 17) == Some(&b'\n') {
        modinfo.get(16..n - 16).unwrap_or_default()
    } else {
        &[]
    }
}

/// Parses the module info text (the lines `go version -m` prints, without indentation).
pub fn parse_modinfo(text: &str) -> BuildInfo {
    let mut info = BuildInfo::default();
    // Which list the last `mod`/`dep` went to, for a following `=>`.
    let mut last_is_main = false;
    for line in text.lines() {
        let mut cols = line.split('\t');
        let key = cols.next().unwrap_or("");
        let rest: Vec<&str> = cols.collect();
        let module = |rest: &[&str]| {
            Some(Module {
                path: (*rest.first()?).to_owned(),
                version: rest.get(1).copied().unwrap_or("").to_owned(),
                sum: rest
                    .get(2)
                    .map(|s| (*s).to_owned())
                    .filter(|s| !s.is_empty()),
                replaces: None,
            })
        };
        match key {
            "path" => info.path = rest.first().map(|s| (*s).to_owned()),
            "mod" => {
                info.main = module(&rest);
                last_is_main = true;
            }
            "dep" => {
                if let Some(m) = module(&rest) {
                    info.deps.push(m);
                    last_is_main = false;
                }
            }
            "=>" => {
                let Some(mut replacement) = module(&rest) else {
                    continue;
                };
                let target = if last_is_main {
                    info.main.as_mut()
                } else {
                    info.deps.last_mut()
                };
                if let Some(old) = target {
                    replacement.replaces = Some((old.path.clone(), old.version.clone()));
                    // A directory replacement (`=> ./fork`) is local code: it keeps the
                    // module's path, but no released version can be claimed for it.
                    if replacement.path.starts_with(['.', '/']) {
                        replacement.path = old.path.clone();
                        replacement.version = "(devel)".to_owned();
                    }
                    *old = replacement;
                }
            }
            "build" => {
                let setting = rest.join("\t");
                if let Some((k, v)) = setting.split_once('=') {
                    info.settings.push((k.to_owned(), v.to_owned()));
                }
            }
            _ => {}
        }
    }
    info
}
