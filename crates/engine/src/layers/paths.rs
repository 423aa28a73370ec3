//! Paths inside an image's filesystem, as the index keeps them.
//!
//! An indexed path is relative to the root, `/`-separated, with no empty, `.` or `..`
//! component and no leading or trailing `/`: `usr/bin/env`. The root itself is the empty
//! string. Paths are ordered as a depth-first walk of the tree visits them ([`tree_cmp`]), so
//! a directory's whole subtree is one contiguous run right after it.

use std::cmp::Ordering;

/// Resolves a path from an archive (or typed by a person) under the root, lexically: `.`
/// and empty components go, `..` removes the component before it and stops at the root, a
/// leading `/` is dropped. Never yields a path outside the root; `None` is the root itself.
///
/// Bytes that are not UTF-8 are replaced (U+FFFD): the index, the CLI and the UI speak
/// UTF-8, and image files with such names are rare enough to show approximately.
pub fn normalize(raw: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(raw);
    let mut parts: Vec<&str> = Vec::new();
    for part in text.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            other => parts.push(other),
        }
    }
    (!parts.is_empty()).then(|| parts.join("/"))
}

/// Whether `path` is already in the form [`normalize`] gives (and not the root), without
/// allocating: no empty, `.` or `..` component.
pub fn is_normalized(path: &str) -> bool {
    !path.is_empty() && path.split('/').all(|c| !matches!(c, "" | "." | ".."))
}

/// The order of a depth-first walk: component by component, so `a` < `a/b` < `a-b`.
/// (Plain byte order would put `a-b` between `a` and `a/b`, as `-` sorts before `/`.)
pub fn tree_cmp(a: &str, b: &str) -> Ordering {
    let key = |c: u8| if c == b'/' { 0u16 } else { u16::from(c) + 1 };
    for (x, y) in a.bytes().zip(b.bytes()) {
        if x != y {
            return key(x).cmp(&key(y));
        }
    }
    a.len().cmp(&b.len())
}

/// Whether `path` is `dir` or inside it (`dir` empty: the root, which holds everything).
pub fn is_within(path: &str, dir: &str) -> bool {
    dir.is_empty()
        || (path.starts_with(dir)
            && (path.len() == dir.len() || path.as_bytes()[dir.len()] == b'/'))
}

/// Whether `path` is strictly inside `dir`.
pub fn is_inside(path: &str, dir: &str) -> bool {
    path.len() > dir.len() && is_within(path, dir)
}

/// The directory that holds `path` (`""` for a top-level name).
pub fn parent(path: &str) -> &str {
    path.rfind('/').map_or("", |i| &path[..i])
}

/// The last component.
pub fn file_name(path: &str) -> &str {
    path.rfind('/').map_or(path, |i| &path[i + 1..])
}

/// How many components `path` has (the root has none).
pub fn depth(path: &str) -> usize {
    if path.is_empty() {
        0
    } else {
        path.bytes().filter(|&b| b == b'/').count() + 1
    }
}

/// `/usr/bin`, as people read a path.
pub fn absolute(path: &str) -> String {
    format!("/{path}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_under_the_root() {
        let n = |s: &str| normalize(s.as_bytes());
        assert_eq!(n("./usr/bin/"), Some("usr/bin".into()));
        assert_eq!(n("usr//bin/./env"), Some("usr/bin/env".into()));
        assert_eq!(n("/etc/passwd"), Some("etc/passwd".into()));
        assert_eq!(n("../../etc/passwd"), Some("etc/passwd".into()));
        assert_eq!(n("a/b/../../../c"), Some("c".into()));
        assert_eq!(n("/"), None);
        assert_eq!(n("./"), None);
        assert_eq!(n(".."), None);
        assert_eq!(n(""), None);
        assert_eq!(normalize(b"caf\xe9"), Some("caf\u{fffd}".into()));
        for ok in ["a", "a/b", "a/.b", "a..b/c"] {
            assert!(is_normalized(ok), "{ok}");
        }
        for bad in ["", "/a", "a/", "a//b", "./a", "a/..", "a/./b"] {
            assert!(!is_normalized(bad), "{bad}");
        }
    }

    #[test]
    fn tree_order_keeps_subtrees_together() {
        let mut v = vec!["a-b", "a/b", "a", "a/b/c", "a.b", "b", "a/c"];
        v.sort_by(|x, y| tree_cmp(x, y));
        assert_eq!(v, ["a", "a/b", "a/b/c", "a/c", "a-b", "a.b", "b"]);
    }

    #[test]
    fn containment() {
        assert!(is_within("usr/bin", "usr"));
        assert!(is_within("usr", "usr"));
        assert!(!is_within("usrx", "usr"));
        assert!(is_within("usr", ""));
        assert!(is_inside("usr/bin", "usr"));
        assert!(!is_inside("usr", "usr"));
        assert_eq!(parent("usr/bin/env"), "usr/bin");
        assert_eq!(parent("usr"), "");
        assert_eq!(file_name("usr/bin/env"), "env");
        assert_eq!(depth("usr/bin/env"), 3);
        assert_eq!(depth(""), 0);
    }
}
