//! The Files tab's file viewer (one file of the image, its head as text or as a hex dump)
//! and the Compare tab's file diff (one file in both images).

use serde::Serialize;
use ts_rs::TS;

use porthole_engine::compare::{ContentChange, ContentDiff, FileVersion};
use porthole_engine::layers::FileContent;

/// The most bytes of a file the viewer shows; **Save** writes the whole file.
pub const VIEW_LIMIT: u64 = 256 * 1024;
/// The most bytes of a binary file shown as a hex dump.
const HEX_LIMIT: usize = 4096;

/// One file of an image, as the viewer shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "../ui/src/tauri/bindings/")]
pub struct FileView {
    /// The path asked for (absolute).
    pub path: String,
    /// The file whose bytes these are: `path` with its symlinks followed.
    pub resolved_path: String,
    /// Its length in bytes.
    #[ts(type = "number")]
    pub size: u64,
    /// Bytes of it read for the view (at most 256 KiB).
    #[ts(type = "number")]
    pub shown: u64,
    /// The file is longer than what is shown.
    pub truncated: bool,
    /// SHA-256 of the whole file, `sha256:<hex>`.
    pub sha256: String,
    /// `-rw-r--r--`, as `ls -l` shows it.
    pub mode: String,
    pub uid: u32,
    pub gid: u32,
    /// The build step that last wrote it.
    pub layer: u32,
    /// The package that installed it, if its package database says.
    pub package: Option<String>,
    pub body: FileBody,
}

/// A file of the image saved whole.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "../ui/src/tauri/bindings/")]
pub struct SavedFile {
    /// The file written (absolute).
    pub path: String,
    #[ts(type = "number")]
    pub size: u64,
}

/// What the viewer draws.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(tag = "kind", rename_all = "camelCase")]
#[ts(export_to = "../ui/src/tauri/bindings/")]
pub enum FileBody {
    /// UTF-8 text without NUL bytes: shown as text (never as HTML).
    Text {
        text: String,
    },
    /// Anything else: the first 4 KiB as `xxd` shows them.
    Binary {
        hex: String,
    },
    Empty,
}

impl FileView {
    pub fn new(read: &FileContent, bytes: &[u8]) -> FileView {
        let file = &read.file;
        FileView {
            path: read.path.clone(),
            resolved_path: file.path.clone(),
            size: read.size,
            shown: read.written,
            truncated: read.truncated,
            sha256: read.sha256.to_string(),
            mode: file.kind.mode_string(file.mode),
            uid: u32::try_from(file.uid).unwrap_or(u32::MAX),
            gid: u32::try_from(file.gid).unwrap_or(u32::MAX),
            layer: u32::try_from(file.layer).unwrap_or(u32::MAX),
            package: file.package.clone(),
            body: FileBody::of(bytes, read.truncated),
        }
    }
}

impl FileBody {
    /// Text when `bytes` are UTF-8 without NUL (a character cut by the view's limit does
    /// not count against it), else a hex dump.
    pub fn of(bytes: &[u8], truncated: bool) -> FileBody {
        if bytes.is_empty() {
            return FileBody::Empty;
        }
        let text = match std::str::from_utf8(bytes) {
            Ok(text) => Some(text),
            // Only an incomplete character at the very end, where the limit cut the file.
            Err(e) if truncated && e.error_len().is_none() => {
                std::str::from_utf8(&bytes[..e.valid_up_to()]).ok()
            }
            Err(_) => None,
        };
        match text {
            Some(text) if !text.contains('\0') => FileBody::Text {
                text: text.to_owned(),
            },
            _ => FileBody::Binary {
                hex: hex_dump(&bytes[..bytes.len().min(HEX_LIMIT)]),
            },
        }
    }
}

/// `00000000: 7f45 4c46 0201 0100 0000 0000 0000 0000  .ELF............`, as `xxd` prints.
pub fn hex_dump(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(bytes.len() / 16 * 68 + 68);
    for (i, row) in bytes.chunks(16).enumerate() {
        let _ = write!(out, "{:08x}:", i * 16);
        for pair in 0..8 {
            out.push(' ');
            for b in row.iter().skip(pair * 2).take(2) {
                let _ = write!(out, "{b:02x}");
            }
            let missing = 2usize.saturating_sub(row.len().saturating_sub(pair * 2));
            out.push_str(&"  ".repeat(missing));
        }
        out.push_str("  ");
        out.extend(row.iter().map(|&b| {
            if b.is_ascii_graphic() || b == b' ' {
                b as char
            } else {
                '.'
            }
        }));
        out.push('\n');
    }
    out
}

/// The most lines of a unified diff sent to the Compare tab.
pub const MAX_DIFF_LINES: usize = 5000;

/// One file in the two images compared, as the Compare tab's file diff shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "../ui/src/tauri/bindings/")]
pub struct FileDiffView {
    pub path: String,
    /// The base image's version; `null` when it has no such file.
    pub base: Option<FileVersionRow>,
    pub target: Option<FileVersionRow>,
    pub body: FileDiffBody,
}

/// One image's version of the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "../ui/src/tauri/bindings/")]
pub struct FileVersionRow {
    /// Where the bytes are (symlinks followed).
    pub path: String,
    #[ts(type = "number")]
    pub size: u64,
    pub sha256: String,
    /// The build step that wrote it.
    pub layer: u32,
}

/// How the two versions' bytes differ.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(tag = "kind", rename_all = "camelCase")]
#[ts(export_to = "../ui/src/tauri/bindings/")]
pub enum FileDiffBody {
    /// The same bytes: only metadata changed, if anything.
    Identical,
    /// A unified diff, line by line (at most 5,000 lines; `truncated` when there were more).
    #[serde(rename_all = "camelCase")]
    Text {
        lines: Vec<DiffLine>,
        lines_added: u32,
        lines_removed: u32,
        truncated: bool,
    },
    /// Different bytes, not both text.
    Binary,
    /// Different bytes, and a version over 1 MiB: compared by SHA-256 only.
    TooLarge,
}

/// One line of a unified diff.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "../ui/src/tauri/bindings/")]
pub struct DiffLine {
    pub kind: DiffLineKind,
    /// The line as `diff -u` prints it (its `+`, `-` or space included), without the newline.
    pub text: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "../ui/src/tauri/bindings/")]
pub enum DiffLineKind {
    /// `--- a/…`, `+++ b/…`.
    Header,
    /// `@@ -1,3 +1,4 @@`.
    Hunk,
    Added,
    Removed,
    Context,
    /// `\ No newline at end of file`.
    Note,
}

impl From<&FileVersion> for FileVersionRow {
    fn from(v: &FileVersion) -> FileVersionRow {
        FileVersionRow {
            path: v.path.clone(),
            size: v.size,
            sha256: v.sha256.to_string(),
            layer: u32::try_from(v.layer).unwrap_or(u32::MAX),
        }
    }
}

impl From<&ContentDiff> for FileDiffView {
    fn from(d: &ContentDiff) -> FileDiffView {
        let body = match &d.change {
            ContentChange::Identical => FileDiffBody::Identical,
            ContentChange::Binary => FileDiffBody::Binary,
            ContentChange::TooLarge => FileDiffBody::TooLarge,
            ContentChange::Text {
                unified,
                lines_added,
                lines_removed,
            } => {
                let all = unified.lines().count();
                FileDiffBody::Text {
                    lines: diff_lines(unified, MAX_DIFF_LINES),
                    lines_added: u32::try_from(*lines_added).unwrap_or(u32::MAX),
                    lines_removed: u32::try_from(*lines_removed).unwrap_or(u32::MAX),
                    truncated: all > MAX_DIFF_LINES,
                }
            }
        };
        FileDiffView {
            path: d.path.clone(),
            base: d.base.as_ref().map(FileVersionRow::from),
            target: d.target.as_ref().map(FileVersionRow::from),
            body,
        }
    }
}

/// The first `max` lines of a unified diff, each with its kind. Only the first two lines
/// are headers: a removed line `-- x` prints as `--- x` and is still a removal.
pub fn diff_lines(unified: &str, max: usize) -> Vec<DiffLine> {
    unified
        .lines()
        .take(max)
        .enumerate()
        .map(|(i, line)| {
            let kind = match line.as_bytes().first() {
                _ if i < 2 && (line.starts_with("--- ") || line.starts_with("+++ ")) => {
                    DiffLineKind::Header
                }
                Some(b'@') => DiffLineKind::Hunk,
                Some(b'+') => DiffLineKind::Added,
                Some(b'-') => DiffLineKind::Removed,
                Some(b'\\') => DiffLineKind::Note,
                _ => DiffLineKind::Context,
            };
            DiffLine {
                kind,
                text: line.to_owned(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hex_dump_matches_xxd() {
        let bytes: Vec<u8> = (0u8..=40).chain(*b"\x7fELF").collect();
        let want = "00000000: 0001 0203 0405 0607 0809 0a0b 0c0d 0e0f  ................\n\
                    00000010: 1011 1213 1415 1617 1819 1a1b 1c1d 1e1f  ................\n\
                    00000020: 2021 2223 2425 2627 287f 454c 46          !\"#$%&'(.ELF\n";
        assert_eq!(hex_dump(&bytes), want);
        // Cross-check with xxd itself where it is installed.
        if let Ok(out) = std::process::Command::new("xxd")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .and_then(|mut child| {
                use std::io::Write as _;
                child.stdin.take().unwrap().write_all(&bytes)?;
                child.wait_with_output()
            })
        {
            assert_eq!(String::from_utf8(out.stdout).unwrap(), want);
        }
    }

    #[test]
    fn text_binary_and_a_character_cut_by_the_limit() {
        assert_eq!(FileBody::of(b"", false), FileBody::Empty);
        assert_eq!(
            FileBody::of("héllo <script>".as_bytes(), false),
            FileBody::Text {
                text: "héllo <script>".into()
            }
        );
        // `é` is two bytes; the limit kept only the first.
        let cut = &"abé".as_bytes()[..3];
        assert_eq!(
            FileBody::of(cut, true),
            FileBody::Text { text: "ab".into() }
        );
        assert!(matches!(FileBody::of(cut, false), FileBody::Binary { .. }));
        assert!(matches!(
            FileBody::of(b"text\0with nul", false),
            FileBody::Binary { .. }
        ));
        assert!(matches!(
            FileBody::of(b"\xff\xfe", true),
            FileBody::Binary { .. }
        ));
        let big = vec![0u8; 10_000];
        let FileBody::Binary { hex } = FileBody::of(&big, false) else {
            panic!("binary");
        };
        assert_eq!(hex.lines().count(), 256, "the first 4 KiB only");
    }

    #[test]
    fn diff_lines_are_classified_and_only_the_first_two_are_headers() {
        let unified = "--- a/x\n+++ b/x\n@@ -1,2 +1,2 @@\n--- removed dashes\n+++ added pluses\n same\n\\ No newline at end of file\n";
        let kinds: Vec<DiffLineKind> = diff_lines(unified, 100).iter().map(|l| l.kind).collect();
        assert_eq!(
            kinds,
            [
                DiffLineKind::Header,
                DiffLineKind::Header,
                DiffLineKind::Hunk,
                DiffLineKind::Removed,
                DiffLineKind::Added,
                DiffLineKind::Context,
                DiffLineKind::Note,
            ]
        );
        assert_eq!(diff_lines(unified, 3).len(), 3);
    }
}
