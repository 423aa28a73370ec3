//! What changed inside one file between two images (`porthole diff --file PATH`, the
//! Compare tab's file diff): both versions read out of their layers as `porthole cat`
//! reads them (symlinks followed inside each image, each layer checked against its
//! diff_id), compared by SHA-256, and for text a unified diff as `diff -u` prints it.
//! The file list's rsync-style quick check can call a rebuilt file "modified" when only its
//! time moved: this answers whether the bytes changed.

use std::time::Duration;

use serde::Serialize;
use similar::{ChangeTag, TextDiff};

use crate::Digest;
use crate::layers::{ImageLayers, LayerError, read_file};
use crate::store::Store;

/// The most bytes of each version read for a text diff; longer files are compared by
/// SHA-256 only.
pub const TEXT_DIFF_LIMIT: u64 = 1 << 20;
/// How long the line diff may search for the shortest edit before it settles for a longer
/// one (still a correct diff).
const DIFF_DEADLINE: Duration = Duration::from_secs(2);

/// One image's version of the file.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FileVersion {
    /// Where the bytes are: the path with its symlinks followed.
    pub path: String,
    pub size: u64,
    pub sha256: Digest,
    /// The build step that wrote it.
    pub layer: usize,
}

/// How the bytes differ.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ContentChange {
    /// The same bytes (only metadata, if anything, changed).
    Identical,
    /// Text on both sides (an absent side counts as empty): a unified diff.
    Text {
        unified: String,
        lines_added: usize,
        lines_removed: usize,
    },
    /// Different bytes, not both text (or NUL bytes in one).
    Binary,
    /// Different bytes, and a version longer than [`TEXT_DIFF_LIMIT`].
    TooLarge,
}

/// The file in both images.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ContentDiff {
    /// The path compared (absolute).
    pub path: String,
    /// `None` where the image has no such file.
    pub base: Option<FileVersion>,
    pub target: Option<FileVersion>,
    pub change: ContentChange,
}

/// Compares the file at `path` in `base` and `target`; `labels` name the two sides in the
/// unified diff's header (`--- nginx:1.26/etc/nginx.conf`).
pub fn diff_content(
    store: &Store,
    base: &ImageLayers,
    target: &ImageLayers,
    path: &str,
    labels: (&str, &str),
) -> Result<ContentDiff, LayerError> {
    let before = version(store, base, path)?;
    let after = version(store, target, path)?;
    let asked = before
        .as_ref()
        .or(after.as_ref())
        .map(|v| v.asked.clone())
        .ok_or_else(|| LayerError::InNeitherImage {
            path: path.to_owned(),
        })?;
    let same = matches!((&before, &after), (Some(a), Some(b)) if a.file.sha256 == b.file.sha256);
    let change = if same {
        ContentChange::Identical
    } else if before.as_ref().is_some_and(|v| v.truncated)
        || after.as_ref().is_some_and(|v| v.truncated)
    {
        ContentChange::TooLarge
    } else {
        match (text(&before), text(&after)) {
            (Some(old), Some(new)) => unified(old, new, &asked, labels),
            _ => ContentChange::Binary,
        }
    };
    Ok(ContentDiff {
        path: asked,
        base: before.map(|v| v.file),
        target: after.map(|v| v.file),
        change,
    })
}

/// A version's bytes as text (an absent version: empty), unless they are not UTF-8 or hold
/// a NUL byte.
fn text(version: &Option<Read>) -> Option<&str> {
    match version {
        None => Some(""),
        Some(v) => std::str::from_utf8(&v.bytes)
            .ok()
            .filter(|t| !t.contains('\0')),
    }
}

struct Read {
    asked: String,
    file: FileVersion,
    bytes: Vec<u8>,
    truncated: bool,
}

/// The file at `path` in `view`, or `None` when the image has nothing there.
fn version(store: &Store, view: &ImageLayers, path: &str) -> Result<Option<Read>, LayerError> {
    let mut bytes = Vec::new();
    match read_file(
        store,
        view,
        path,
        &mut bytes,
        Some(TEXT_DIFF_LIMIT),
        &|| false,
    ) {
        Ok(read) => Ok(Some(Read {
            asked: read.path,
            file: FileVersion {
                path: read.file.path,
                size: read.size,
                sha256: read.sha256,
                layer: read.file.layer,
            },
            bytes,
            truncated: read.truncated,
        })),
        Err(LayerError::PathNotFound { .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

fn unified(old: &str, new: &str, path: &str, labels: (&str, &str)) -> ContentChange {
    let diff = TextDiff::configure()
        .timeout(DIFF_DEADLINE)
        .diff_lines(old, new);
    let (mut lines_added, mut lines_removed) = (0, 0);
    for change in diff.iter_all_changes() {
        match change.tag() {
            ChangeTag::Insert => lines_added += 1,
            ChangeTag::Delete => lines_removed += 1,
            ChangeTag::Equal => {}
        }
    }
    let unified = diff
        .unified_diff()
        .context_radius(3)
        .header(
            &format!("{}{path}", labels.0),
            &format!("{}{path}", labels.1),
        )
        .to_string();
    ContentChange::Text {
        unified,
        lines_added,
        lines_removed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_unified_diff_as_diff_u_prints_it() {
        let ContentChange::Text {
            unified,
            lines_added,
            lines_removed,
        } = unified("a\nb\nc\n", "a\nB\nc\nd\n", "/etc/x", ("old:", "new:"))
        else {
            panic!("text");
        };
        assert_eq!(
            unified,
            "--- old:/etc/x\n+++ new:/etc/x\n@@ -1,3 +1,4 @@\n a\n-b\n+B\n c\n+d\n"
        );
        assert_eq!((lines_added, lines_removed), (2, 1));
    }
}
