//! Debian packages: dpkg's `var/lib/dpkg/status`, and distroless images'
//! `var/lib/dpkg/status.d/<package>` (one stanza per file, usually without `Status`).
//!
//! A stanza counts when its package is on disk: `Status` says `ok` and `installed` (or
//! `triggers-awaited`/`triggers-pending`, which are installed packages waiting for a
//! trigger), whatever the selection (`install`, `hold`, or even `deinstall` before the
//! removal ran). `config-files`, `not-installed`, `half-installed`, `unpacked`,
//! `half-configured` and `reinstreq` stanzas are skipped. Versions and source packages are
//! what `dpkg-query -W -f '${Version} ${source:Package} ${source:Version}'` prints.

use std::collections::BTreeMap;

use super::purl::Purl;
use super::{DetectContext, Detector, MIB, Package, PackageError, PackageType};

const STATUS: &str = "/var/lib/dpkg/status";
const STATUS_D: &str = "/var/lib/dpkg/status.d/";

/// The dpkg status database detector.
pub struct DpkgDetector;

impl Detector for DpkgDetector {
    fn name(&self) -> &'static str {
        "dpkg"
    }

    fn wants(&self, path: &str, _mode: u32) -> bool {
        path == STATUS
            || path.strip_prefix(STATUS_D).is_some_and(|name| {
                !name.is_empty() && !name.contains('/') && !name.ends_with(".md5sums")
            })
    }

    fn max_file_size(&self) -> u64 {
        64 * MIB
    }

    fn parse(
        &self,
        path: &str,
        bytes: &[u8],
        ctx: &DetectContext,
    ) -> Result<Vec<Package>, PackageError> {
        let text = String::from_utf8_lossy(bytes);
        let distroless = path.starts_with(STATUS_D);
        Ok(stanzas(&text)
            .filter_map(|stanza| package(&fields(stanza), distroless, path, ctx))
            .collect())
    }
}

/// The stanzas of a control file: runs of lines separated by blank lines.
pub(crate) fn stanzas(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = text;
    std::iter::from_fn(move || {
        loop {
            rest = rest.trim_start_matches(['\n', '\r']);
            if rest.is_empty() {
                return None;
            }
            // A blank line is one that is empty or only whitespace.
            let mut end = rest.len();
            let mut offset = 0;
            for line in rest.split_inclusive('\n') {
                if line.trim().is_empty() && offset > 0 {
                    end = offset;
                    break;
                }
                offset += line.len();
            }
            let stanza = &rest[..end];
            rest = &rest[end..];
            if !stanza.trim().is_empty() {
                return Some(stanza);
            }
        }
    })
}

/// `Field: value` lines; continuation lines (starting with a space or tab) are appended
/// with a newline. Field names are kept as written; look them up case-insensitively.
pub(crate) fn fields(stanza: &str) -> Vec<(&str, String)> {
    let mut out: Vec<(&str, String)> = Vec::new();
    for line in stanza.lines() {
        if line.starts_with([' ', '\t']) {
            if let Some((_, value)) = out.last_mut() {
                value.push('\n');
                value.push_str(line.trim());
            }
            continue;
        }
        if let Some((key, value)) = line.split_once(':') {
            out.push((key.trim(), value.trim().to_owned()));
        }
    }
    out
}

pub(crate) fn field<'a>(fields: &'a [(&str, String)], name: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
        .filter(|v| !v.is_empty())
}

/// Whether a `Status: want flag status` line means the package's files are installed.
pub fn is_installed(status: &str) -> bool {
    let words: Vec<&str> = status.split_whitespace().collect();
    matches!(
        words.as_slice(),
        [
            _,
            "ok",
            "installed" | "triggers-awaited" | "triggers-pending"
        ]
    )
}

/// A version as dpkg prints it: a `0:` epoch is not shown.
pub fn display_version(version: &str) -> &str {
    version.strip_prefix("0:").unwrap_or(version)
}

/// `Source: name (version)`, with dpkg's defaults: no `Source` → the package itself; no
/// version → the package's version.
pub fn source_of<'a>(
    source: Option<&'a str>,
    package: &'a str,
    version: &'a str,
) -> (&'a str, &'a str) {
    let Some(source) = source else {
        return (package, version);
    };
    match source.split_once('(') {
        Some((name, rest)) => {
            let v = rest.split(')').next().unwrap_or("").trim();
            let name = name.trim();
            (
                if name.is_empty() { package } else { name },
                if v.is_empty() { version } else { v },
            )
        }
        None => (source.trim(), version),
    }
}

fn package(
    fields: &[(&str, String)],
    distroless: bool,
    path: &str,
    ctx: &DetectContext,
) -> Option<Package> {
    let name = field(fields, "Package")?;
    match field(fields, "Status") {
        Some(status) if !is_installed(status) => return None,
        None if !distroless => return None,
        _ => {}
    }
    let version = display_version(field(fields, "Version")?);
    let arch = field(fields, "Architecture");
    let (source_name, source_version) = source_of(field(fields, "Source"), name, version);
    let source_version = display_version(source_version);
    let mut p = Package::new(PackageType::Deb, name, version, path);
    p.arch = arch.map(str::to_owned);
    p.source_name = Some(source_name.to_owned());
    p.source_version = Some(source_version.to_owned());
    p.purl = purl(&p, ctx);
    Some(p)
}

/// The purl of a deb package: `pkg:deb/<vendor>/<name>@<version>?arch=…&distro=…`, the
/// vendor and distro from the image's OS (`debian` when it is unknown).
pub(crate) fn purl(p: &Package, ctx: &DetectContext) -> String {
    Purl::new("deb", &p.name)
        .namespace(ctx.vendor().unwrap_or_else(|| "debian".into()))
        .version(p.version.clone())
        .qualifier("arch", p.arch.clone())
        .qualifier("distro", ctx.distro())
        .to_string()
}

/// Which packages own which paths, from dpkg's `info/<package>[:<arch>].list` files (one
/// absolute path a line) and `info/<package>[:<arch>].md5sums` (`<md5>  <path without the
/// leading slash>`). Directories are owned by many packages: each path maps to every owner,
/// in the order given.
pub fn file_owners<'a>(
    files: impl IntoIterator<Item = (&'a str, &'a [u8])>,
) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (path, bytes) in files {
        let name = super::file_name(path);
        let (stem, md5sums) = if let Some(stem) = name.strip_suffix(".list") {
            (stem, false)
        } else if let Some(stem) = name.strip_suffix(".md5sums") {
            (stem, true)
        } else {
            continue;
        };
        let package = stem.split(':').next().unwrap_or(stem);
        for line in String::from_utf8_lossy(bytes).lines() {
            let file = if md5sums {
                match line.split_once("  ") {
                    Some((_, file)) => format!("/{}", file.trim_start_matches('/')),
                    None => continue,
                }
            } else {
                line.to_owned()
            };
            if file.is_empty() || file == "/." {
                continue;
            }
            let owners = out.entry(file).or_default();
            if !owners.iter().any(|o| o == package) {
                owners.push(package.to_owned());
            }
        }
    }
    out
}

const INFO: &str = "/var/lib/dpkg/info/";
/// A `.list` file bigger than this is not read for file ownership.
pub const MAX_LIST_SIZE: u64 = 64 * MIB;

/// The package whose file list `path` is (`/var/lib/dpkg/info/<package>[:<arch>].list`).
pub fn list_of(path: &str) -> Option<&str> {
    let stem = path.strip_prefix(INFO)?.strip_suffix(".list")?;
    let package = stem.split(':').next().unwrap_or(stem);
    (!package.is_empty() && !stem.contains('/')).then_some(package)
}

const DOC: &str = "/usr/share/doc/";
/// Copyright files are text; anything bigger is not worth reading for its licences.
pub const MAX_COPYRIGHT_SIZE: u64 = 4 * MIB;

/// The package whose copyright file `path` is (`/usr/share/doc/<package>/copyright`).
pub fn copyright_of(path: &str) -> Option<&str> {
    let package = path.strip_prefix(DOC)?.strip_suffix("/copyright")?;
    (!package.is_empty() && !package.contains('/')).then_some(package)
}

/// The licences a Debian copyright file declares, as syft reads them: the first line of
/// each `License:` field (machine-readable DEP-5 files), and the licences of
/// `/usr/share/common-licenses/<name>` that older free-form files point to. In order of
/// first appearance, each once.
pub fn copyright_licenses(bytes: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(bytes);
    let mut out: Vec<String> = Vec::new();
    let mut add = |license: &str| {
        let license = license
            .trim()
            .trim_end_matches(['.', ',', ';', ')', '\'', '"']);
        if !license.is_empty() && !out.iter().any(|l| l == license) {
            out.push(license.to_owned());
        }
    };
    for line in text.lines() {
        if let Some(value) = line.strip_prefix("License:") {
            add(value);
        }
        let mut rest = line;
        while let Some(at) = rest.find("/usr/share/common-licenses/") {
            rest = &rest[at + "/usr/share/common-licenses/".len()..];
            let end = rest
                .find(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | ',' | ';' | ')'))
                .unwrap_or(rest.len());
            add(&rest[..end]);
            rest = &rest[end..];
        }
    }
    out
}

#[cfg(test)]
mod copyright_tests {
    use super::*;

    #[test]
    fn copyright_files_name_their_package() {
        assert_eq!(copyright_of("/usr/share/doc/bash/copyright"), Some("bash"));
        assert_eq!(copyright_of("/usr/share/doc/bash/x/copyright"), None);
        assert_eq!(copyright_of("/usr/share/doc//copyright"), None);
        assert_eq!(copyright_of("/usr/share/doc/bash/changelog.gz"), None);
    }

    #[test]
    fn licences_come_from_license_fields_and_common_licenses() {
        let dep5 = b"Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\nFiles: *\nLicense: GPL-3+\n\nFiles: x\nLicense: GPL-1+ or Artistic\n This program is free\n\nLicense: GPL-3+\n On Debian systems see /usr/share/common-licenses/GPL-3.\n";
        assert_eq!(
            copyright_licenses(dep5),
            ["GPL-3+", "GPL-1+ or Artistic", "GPL-3"]
        );
        let old = b"Copyright 1999\n\nSee `/usr/share/common-licenses/BSD' and /usr/share/common-licenses/GPL-2\n";
        assert_eq!(copyright_licenses(old), ["BSD", "GPL-2"]);
        assert!(copyright_licenses(b"\xff\xfe").is_empty());
    }
}
