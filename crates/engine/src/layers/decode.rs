//! Which codec a layer uses, and a streaming decoder for it.
//!
//! The media type says what the registry claims; the first bytes say what it is. Registries
//! and build tools mislabel layers (gzip served as `tar`, zstd as `tar+gzip`), so the magic
//! bytes decide and the media type only breaks a tie (an empty blob).

use std::fmt;
use std::io::{self, BufReader, Chain, Cursor, Read};

use serde::{Deserialize, Serialize};

/// How a layer's tar stream is compressed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Codec {
    /// One or more gzip members (eStargz is many members in a row).
    Gzip,
    /// One or more zstd frames, skippable frames included (zstd:chunked).
    Zstd,
    /// A plain tar.
    Uncompressed,
}

impl fmt::Display for Codec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Codec::Gzip => "gzip",
            Codec::Zstd => "zstd",
            Codec::Uncompressed => "uncompressed tar",
        })
    }
}

/// What the first bytes of a blob say it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sniffed {
    Codec(Codec),
    /// A compression we do not decode.
    Unsupported(&'static str),
    /// No magic number: a tar (its magic is at byte 257 and old tars have none), or nothing.
    Unknown,
}

/// How many leading bytes [`sniff`] looks at.
pub const SNIFF_LEN: usize = 6;

impl Codec {
    /// The codec a layer media type names (OCI and Docker, distributable or not), or `None`
    /// when the type says nothing about compression (the bytes then decide).
    pub fn from_media_type(media_type: &str) -> Option<Codec> {
        let base = media_type.split(';').next().unwrap_or("").trim();
        if base.ends_with("+gzip") || base.ends_with(".gzip") {
            Some(Codec::Gzip)
        } else if base.ends_with("+zstd") || base.ends_with(".zstd") {
            Some(Codec::Zstd)
        } else if base.ends_with(".tar") {
            Some(Codec::Uncompressed)
        } else {
            None
        }
    }
}

/// Recognises gzip (`1f 8b`), zstd frames (`28 b5 2f fd`) and zstd skippable frames
/// (`5? 2a 4d 18`, which zstd:chunked and seekable zstd put first or last), and names the
/// compressions we do not decode.
pub fn sniff(head: &[u8]) -> Sniffed {
    match head {
        [0x1f, 0x8b, ..] => Sniffed::Codec(Codec::Gzip),
        [0x28, 0xb5, 0x2f, 0xfd, ..] => Sniffed::Codec(Codec::Zstd),
        [b, 0x2a, 0x4d, 0x18, ..] if b & 0xf0 == 0x50 => Sniffed::Codec(Codec::Zstd),
        [b'B', b'Z', b'h', ..] => Sniffed::Unsupported("bzip2"),
        [0xfd, b'7', b'z', b'X', b'Z', 0x00, ..] => Sniffed::Unsupported("xz"),
        [0x04, 0x22, 0x4d, 0x18, ..] => Sniffed::Unsupported("lz4"),
        _ => Sniffed::Unknown,
    }
}

/// Decides the codec from what the bytes say and what the media type claims.
pub fn choose(head: &[u8], media_type: &str) -> Result<Codec, &'static str> {
    match sniff(head) {
        Sniffed::Codec(c) => Ok(c),
        Sniffed::Unsupported(name) => Err(name),
        // No compression magic: a tar, whatever the label says. Only an empty blob has no
        // bytes to look at, and it decodes to nothing either way.
        Sniffed::Unknown if head.is_empty() => {
            Ok(Codec::from_media_type(media_type).unwrap_or(Codec::Uncompressed))
        }
        Sniffed::Unknown => Ok(Codec::Uncompressed),
    }
}

/// A reader whose first bytes were read ahead to sniff them.
pub type Peeked<R> = Chain<Cursor<Vec<u8>>, R>;

/// Reads up to [`SNIFF_LEN`] bytes from `input` (fewer only at its end) and returns them
/// with a reader that yields the whole stream again.
pub fn peek<R: Read>(mut input: R) -> io::Result<(Vec<u8>, Peeked<R>)> {
    let mut head = vec![0u8; SNIFF_LEN];
    let mut filled = 0;
    while filled < SNIFF_LEN {
        match input.read(&mut head[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
    head.truncate(filled);
    Ok((head.clone(), Cursor::new(head).chain(input)))
}

/// A streaming decoder of `codec` over `input`: the uncompressed tar bytes.
pub fn decoder<'a, R: Read + 'a>(codec: Codec, input: R) -> io::Result<Box<dyn Read + 'a>> {
    Ok(match codec {
        Codec::Gzip => Box::new(flate2::bufread::MultiGzDecoder::new(
            BufReader::with_capacity(64 * 1024, input),
        )),
        // Reads every frame in a row and skips skippable frames (the zstd:chunked manifest
        // and footer). The window is capped at zstd's default of 128 MiB (2^27).
        Codec::Zstd => Box::new(zstd::stream::read::Decoder::new(input)?),
        Codec::Uncompressed => Box::new(input),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn magic_bytes_win_over_media_types() {
        let oci_tar = "application/vnd.oci.image.layer.v1.tar";
        let oci_gzip = "application/vnd.oci.image.layer.v1.tar+gzip";
        assert_eq!(choose(&[0x1f, 0x8b, 8, 0], oci_tar), Ok(Codec::Gzip));
        assert_eq!(choose(b"usr/\0\0", oci_gzip), Ok(Codec::Uncompressed));
        assert_eq!(choose(&[0x28, 0xb5, 0x2f, 0xfd], oci_gzip), Ok(Codec::Zstd));
        assert_eq!(choose(&[0x50, 0x2a, 0x4d, 0x18], oci_tar), Ok(Codec::Zstd));
        assert_eq!(choose(&[0x5e, 0x2a, 0x4d, 0x18], oci_tar), Ok(Codec::Zstd));
        assert_eq!(choose(b"BZh91AY", oci_tar), Err("bzip2"));
        assert_eq!(choose(b"", oci_gzip), Ok(Codec::Gzip));
        assert_eq!(choose(b"", "whatever"), Ok(Codec::Uncompressed));
    }

    #[test]
    fn media_types_name_their_codec() {
        for (mt, codec) in [
            (
                "application/vnd.oci.image.layer.v1.tar+gzip",
                Some(Codec::Gzip),
            ),
            (
                "application/vnd.oci.image.layer.v1.tar+zstd",
                Some(Codec::Zstd),
            ),
            (
                "application/vnd.oci.image.layer.v1.tar",
                Some(Codec::Uncompressed),
            ),
            (
                "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
                Some(Codec::Gzip),
            ),
            (
                "application/vnd.docker.image.rootfs.diff.tar.gzip",
                Some(Codec::Gzip),
            ),
            (
                "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
                Some(Codec::Gzip),
            ),
            (
                "application/vnd.docker.image.rootfs.diff.tar",
                Some(Codec::Uncompressed),
            ),
            ("application/octet-stream", None),
        ] {
            assert_eq!(Codec::from_media_type(mt), codec, "{mt}");
        }
    }

    #[test]
    fn peek_gives_the_whole_stream_back() {
        let data: Vec<u8> = (0..100u8).collect();
        // A reader that hands out one byte at a time, as a slow channel may.
        struct OneByte<'a>(&'a [u8]);
        impl Read for OneByte<'_> {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                match (self.0.split_first(), buf.first_mut()) {
                    (Some((b, rest)), Some(slot)) => {
                        *slot = *b;
                        self.0 = rest;
                        Ok(1)
                    }
                    _ => Ok(0),
                }
            }
        }
        let (head, mut all) = peek(OneByte(&data)).unwrap();
        assert_eq!(head, &data[..SNIFF_LEN]);
        let mut back = Vec::new();
        all.read_to_end(&mut back).unwrap();
        assert_eq!(back, data);
        let (head, _) = peek(&b"ab"[..]).unwrap();
        assert_eq!(head, b"ab");
    }
}
