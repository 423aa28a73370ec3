//! Just enough ELF to find a section by name and map a virtual address to file bytes, for
//! the Go and cargo-auditable detectors. Every read is bounds-checked.

const SHT_NOBITS: u32 = 8;
const PT_LOAD: u32 = 1;
const PF_W: u32 = 2;

/// An ELF file's layout, borrowed from its bytes.
pub(crate) struct Elf<'a> {
    data: &'a [u8],
    is64: bool,
    le: bool,
}

/// A loadable segment: where its bytes are in the file and where they are mapped.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Segment {
    pub vaddr: u64,
    pub offset: u64,
    pub filesz: u64,
    pub writable: bool,
}

impl<'a> Elf<'a> {
    /// `None` unless `data` starts with `\x7fELF` and a known class and byte order.
    pub fn parse(data: &'a [u8]) -> Option<Elf<'a>> {
        if data.get(..4)? != b"\x7fELF" {
            return None;
        }
        let is64 = match data.get(4)? {
            1 => false,
            2 => true,
            _ => return None,
        };
        let le = match data.get(5)? {
            1 => true,
            2 => false,
            _ => return None,
        };
        Some(Elf { data, is64, le })
    }

    fn u16(&self, at: u64) -> Option<u16> {
        let at = usize::try_from(at).ok()?;
        let b: [u8; 2] = self.data.get(at..at.checked_add(2)?)?.try_into().ok()?;
        Some(if self.le {
            u16::from_le_bytes(b)
        } else {
            u16::from_be_bytes(b)
        })
    }

    fn u32(&self, at: u64) -> Option<u32> {
        let at = usize::try_from(at).ok()?;
        let b: [u8; 4] = self.data.get(at..at.checked_add(4)?)?.try_into().ok()?;
        Some(if self.le {
            u32::from_le_bytes(b)
        } else {
            u32::from_be_bytes(b)
        })
    }

    fn u64(&self, at: u64) -> Option<u64> {
        let at = usize::try_from(at).ok()?;
        let b: [u8; 8] = self.data.get(at..at.checked_add(8)?)?.try_into().ok()?;
        Some(if self.le {
            u64::from_le_bytes(b)
        } else {
            u64::from_be_bytes(b)
        })
    }

    /// The file bytes `[offset, offset + len)`.
    pub fn bytes(&self, offset: u64, len: u64) -> Option<&'a [u8]> {
        let start = usize::try_from(offset).ok()?;
        let end = start.checked_add(usize::try_from(len).ok()?)?;
        self.data.get(start..end)
    }

    /// The contents of the section called `name`, if present and stored in the file.
    pub fn section(&self, name: &str) -> Option<&'a [u8]> {
        let (shoff, shentsize, shnum, shstrndx) = if self.is64 {
            (
                self.u64(0x28)?,
                self.u16(0x3a)?,
                self.u16(0x3c)?,
                self.u16(0x3e)?,
            )
        } else {
            (
                u64::from(self.u32(0x20)?),
                self.u16(0x2e)?,
                self.u16(0x30)?,
                self.u16(0x32)?,
            )
        };
        if shoff == 0 || shentsize == 0 {
            return None;
        }
        let header = |i: u16| -> Option<(u32, u32, u64, u64)> {
            let at = shoff.checked_add(u64::from(i).checked_mul(u64::from(shentsize))?)?;
            let name = self.u32(at)?;
            let ty = self.u32(at + 4)?;
            let (offset, size) = if self.is64 {
                (self.u64(at + 0x18)?, self.u64(at + 0x20)?)
            } else {
                (
                    u64::from(self.u32(at + 0x10)?),
                    u64::from(self.u32(at + 0x14)?),
                )
            };
            Some((name, ty, offset, size))
        };
        let (_, _, str_off, str_size) = header(shstrndx)?;
        let names = self.bytes(str_off, str_size)?;
        for i in 0..shnum {
            let Some((name_at, ty, offset, size)) = header(i) else {
                continue;
            };
            let Some(rest) = names.get(name_at as usize..) else {
                continue;
            };
            let end = memchr::memchr(0, rest).unwrap_or(rest.len());
            if rest.get(..end) == Some(name.as_bytes()) {
                if ty == SHT_NOBITS {
                    return None;
                }
                return self.bytes(offset, size);
            }
        }
        None
    }

    /// The loadable segments.
    pub fn segments(&self) -> Vec<Segment> {
        let mut out = Vec::new();
        let header = if self.is64 {
            (self.u64(0x20), self.u16(0x36), self.u16(0x38))
        } else {
            (
                self.u32(0x1c).map(u64::from),
                self.u16(0x2a),
                self.u16(0x2c),
            )
        };
        let (Some(phoff), Some(phentsize), Some(phnum)) = header else {
            return out;
        };
        for i in 0..u64::from(phnum) {
            let Some(at) = i
                .checked_mul(u64::from(phentsize))
                .and_then(|o| o.checked_add(phoff))
            else {
                break;
            };
            let segment = if self.is64 {
                (|| {
                    Some((
                        self.u32(at)?,
                        self.u32(at + 4)?,
                        self.u64(at + 8)?,
                        self.u64(at + 0x10)?,
                        self.u64(at + 0x20)?,
                    ))
                })()
            } else {
                (|| {
                    Some((
                        self.u32(at)?,
                        self.u32(at + 0x18)?,
                        u64::from(self.u32(at + 4)?),
                        u64::from(self.u32(at + 8)?),
                        u64::from(self.u32(at + 0x10)?),
                    ))
                })()
            };
            let Some((ty, flags, offset, vaddr, filesz)) = segment else {
                break;
            };
            if ty == PT_LOAD {
                out.push(Segment {
                    vaddr,
                    offset,
                    filesz,
                    writable: flags & PF_W != 0,
                });
            }
        }
        out
    }

    /// `len` bytes mapped at virtual address `addr`, if a loadable segment stores them.
    pub fn read_vaddr(&self, addr: u64, len: u64) -> Option<&'a [u8]> {
        self.segments().into_iter().find_map(|s| {
            let delta = addr.checked_sub(s.vaddr)?;
            if delta.checked_add(len)? > s.filesz {
                return None;
            }
            self.bytes(s.offset.checked_add(delta)?, len)
        })
    }

    /// A pointer-sized word at virtual address `addr`.
    pub fn read_ptr(&self, addr: u64, ptr_size: u64, big_endian: bool) -> Option<u64> {
        let b = self.read_vaddr(addr, ptr_size)?;
        Some(match (ptr_size, big_endian) {
            (4, false) => u64::from(u32::from_le_bytes(b.try_into().ok()?)),
            (4, true) => u64::from(u32::from_be_bytes(b.try_into().ok()?)),
            (8, false) => u64::from_le_bytes(b.try_into().ok()?),
            (8, true) => u64::from_be_bytes(b.try_into().ok()?),
            _ => return None,
        })
    }
}

/// Whether `path`/`mode` look like a binary worth opening: any file with an execute bit,
/// or a shared object (`*.so`, `*.so.1.2`), which often has none.
pub(crate) fn wants_binary(path: &str, mode: u32) -> bool {
    if mode & 0o111 != 0 {
        return true;
    }
    let name = super::file_name(path);
    name.ends_with(".so") || name.contains(".so.")
}
