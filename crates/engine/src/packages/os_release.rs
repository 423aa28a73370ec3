//! Which OS an image is: `/etc/os-release` (or `/usr/lib/os-release`), with the older
//! distribution-specific files as fallbacks for images that have none.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// An image's OS identity, as os-release(5) names it. Fields the file does not set are
/// `None` (`ID` defaults to `linux`, as the spec says).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OsRelease {
    /// `ID`: `debian`, `ubuntu`, `alpine`, `rhel`, `fedora`, `opensuse-leap`, …
    pub id: String,
    /// `ID_LIKE`, split on spaces.
    pub id_like: Vec<String>,
    pub name: Option<String>,
    pub version: Option<String>,
    pub version_id: Option<String>,
    pub version_codename: Option<String>,
    pub pretty_name: Option<String>,
    pub build_id: Option<String>,
    pub variant_id: Option<String>,
    pub home_url: Option<String>,
    /// The file this was read from.
    pub location: String,
}

/// The files consulted, best first: the first that parses wins.
pub const PATHS: [&str; 7] = [
    "/etc/os-release",
    "/usr/lib/os-release",
    "/etc/lsb-release",
    "/etc/alpine-release",
    "/etc/redhat-release",
    "/etc/system-release",
    "/etc/debian_version",
];

/// These files are tiny; anything bigger is not one.
pub const MAX_FILE_SIZE: u64 = 64 * 1024;

/// Whether `path` is one of [`PATHS`].
pub fn wants(path: &str) -> bool {
    PATHS.contains(&path)
}

/// The OS from the best of [`PATHS`] that `read` can give and that parses.
pub fn resolve(mut read: impl FnMut(&str) -> Option<Vec<u8>>) -> Option<OsRelease> {
    PATHS
        .iter()
        .find_map(|path| read(path).and_then(|bytes| parse(path, &bytes)))
}

/// Reads one of [`PATHS`]; `None` when it says nothing usable.
pub fn parse(path: &str, bytes: &[u8]) -> Option<OsRelease> {
    let text = String::from_utf8_lossy(bytes);
    let os = match super::file_name(path) {
        "os-release" => from_os_release(&text),
        "lsb-release" => from_lsb_release(&text),
        "alpine-release" => {
            let version = first_line(&text)?;
            Some(OsRelease {
                id: "alpine".into(),
                name: Some("Alpine Linux".into()),
                version_id: Some(version.to_owned()),
                pretty_name: Some(format!("Alpine Linux v{version}")),
                ..OsRelease::default()
            })
        }
        "redhat-release" | "system-release" => from_release_line(first_line(&text)?),
        "debian_version" => {
            let version = first_line(&text)?;
            let major = version.split('.').next().unwrap_or(version);
            let numeric = !major.is_empty() && major.bytes().all(|b| b.is_ascii_digit());
            Some(OsRelease {
                id: "debian".into(),
                name: Some("Debian GNU/Linux".into()),
                version_id: numeric.then(|| major.to_owned()),
                version: Some(version.to_owned()),
                version_codename: (!numeric)
                    .then(|| version.split('/').next().unwrap_or(version).to_owned()),
                pretty_name: Some(format!("Debian GNU/Linux {version}")),
                ..OsRelease::default()
            })
        }
        _ => None,
    }?;
    Some(OsRelease {
        location: path.to_owned(),
        ..os
    })
}

fn first_line(text: &str) -> Option<&str> {
    text.lines().map(str::trim).find(|l| !l.is_empty())
}

/// `KEY=value` lines with shell quoting, as os-release(5) and lsb-release use.
fn assignments(text: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('#') {
            continue;
        }
        let Some((key, raw)) = line.split_once('=') else {
            continue;
        };
        let key = key.trim();
        if key.is_empty() || !key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            continue;
        }
        out.insert(key.to_owned(), unquote(raw.trim()));
    }
    out
}

/// Shell-style unquoting: `"…"` with backslash escapes, `'…'` literal, bare words.
fn unquote(raw: &str) -> String {
    let mut out = String::new();
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                while let Some(c) = chars.next() {
                    match c {
                        '"' => break,
                        '\\' => {
                            if let Some(next) = chars.next() {
                                if !matches!(next, '$' | '`' | '"' | '\\' | '\n') {
                                    out.push('\\');
                                }
                                out.push(next);
                            }
                        }
                        c => out.push(c),
                    }
                }
            }
            '\'' => {
                for c in chars.by_ref() {
                    if c == '\'' {
                        break;
                    }
                    out.push(c);
                }
            }
            '\\' => {
                if let Some(next) = chars.next() {
                    out.push(next);
                }
            }
            c if c.is_whitespace() => break,
            c => out.push(c),
        }
    }
    out
}

fn from_os_release(text: &str) -> Option<OsRelease> {
    let mut kv = assignments(text);
    if kv.is_empty() {
        return None;
    }
    let mut take = |key: &str| kv.remove(key).filter(|v| !v.is_empty());
    Some(OsRelease {
        id: take("ID").unwrap_or_else(|| "linux".into()),
        id_like: take("ID_LIKE")
            .map(|s| s.split_whitespace().map(str::to_owned).collect())
            .unwrap_or_default(),
        name: take("NAME"),
        version: take("VERSION"),
        version_id: take("VERSION_ID"),
        version_codename: take("VERSION_CODENAME"),
        pretty_name: take("PRETTY_NAME"),
        build_id: take("BUILD_ID"),
        variant_id: take("VARIANT_ID"),
        home_url: take("HOME_URL"),
        location: String::new(),
    })
}

fn from_lsb_release(text: &str) -> Option<OsRelease> {
    let mut kv = assignments(text);
    let id = kv.remove("DISTRIB_ID").filter(|v| !v.is_empty())?;
    Some(OsRelease {
        id: id.to_ascii_lowercase().replace(' ', ""),
        name: Some(id),
        version_id: kv.remove("DISTRIB_RELEASE").filter(|v| !v.is_empty()),
        version_codename: kv.remove("DISTRIB_CODENAME").filter(|v| !v.is_empty()),
        pretty_name: kv.remove("DISTRIB_DESCRIPTION").filter(|v| !v.is_empty()),
        ..OsRelease::default()
    })
}

/// `Red Hat Enterprise Linux release 8.8 (Ootpa)`, `CentOS Linux release 7.9.2009 (Core)`,
/// `Fedora release 38 (Thirty Eight)`, `Amazon Linux release 2 (Karoo)`.
fn from_release_line(line: &str) -> Option<OsRelease> {
    let (name, rest) = line.split_once(" release ")?;
    let mut words = rest.split_whitespace();
    let version = words.next()?.to_owned();
    let codename = rest
        .split_once('(')
        .and_then(|(_, c)| c.split_once(')'))
        .map(|(c, _)| c.trim().to_owned());
    let lower = name.to_ascii_lowercase();
    let id = [
        ("red hat", "rhel"),
        ("centos", "centos"),
        ("fedora", "fedora"),
        ("rocky", "rocky"),
        ("alma", "almalinux"),
        ("oracle", "ol"),
        ("amazon", "amzn"),
        ("scientific", "scientific"),
    ]
    .iter()
    .find(|(needle, _)| lower.contains(needle))
    .map_or_else(
        || {
            lower
                .split_whitespace()
                .next()
                .unwrap_or("linux")
                .to_owned()
        },
        |(_, id)| (*id).to_owned(),
    );
    Some(OsRelease {
        id,
        name: Some(name.trim().to_owned()),
        version_id: Some(version),
        version_codename: codename,
        pretty_name: Some(line.to_owned()),
        ..OsRelease::default()
    })
}
