//! Alpine packages: apk's `lib/apk/db/installed`, stanzas of one-letter `K:value` lines
//! separated by blank lines (P name, V version, A arch, L license, o origin, T description,
//! U url, m maintainer, t build time, c commit, D depends, p provides, F directory and R
//! file below it, with a/Z attributes and checksums).

use std::collections::BTreeMap;

use super::purl::Purl;
use super::{DetectContext, Detector, MIB, Package, PackageError, PackageType};

pub(crate) const INSTALLED: &str = "/lib/apk/db/installed";

/// The apk database detector.
pub struct ApkDetector;

impl Detector for ApkDetector {
    fn name(&self) -> &'static str {
        "apk"
    }

    fn wants(&self, path: &str, _mode: u32) -> bool {
        path == INSTALLED
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
        Ok(records(&text)
            .into_iter()
            .filter_map(|r| package(&r, path, ctx))
            .collect())
    }
}

/// One stanza of the database, the fields we use.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ApkRecord {
    pub name: String,
    pub version: String,
    pub arch: Option<String>,
    pub license: Option<String>,
    pub origin: Option<String>,
    pub depends: Vec<String>,
    pub provides: Vec<String>,
    /// Absolute paths of the files (`F` + `R`).
    pub files: Vec<String>,
}

/// Every stanza that names a package (`P:`), in order.
pub fn records(text: &str) -> Vec<ApkRecord> {
    let mut out = Vec::new();
    let mut current = ApkRecord::default();
    let mut dir = String::new();
    let mut flush = |current: &mut ApkRecord| {
        let done = std::mem::take(current);
        if !done.name.is_empty() {
            out.push(done);
        }
    };
    for line in text.lines() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() {
            flush(&mut current);
            dir.clear();
            continue;
        }
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.to_owned();
        match key {
            "P" => current.name = value,
            "V" => current.version = value,
            "A" => current.arch = Some(value).filter(|v| !v.is_empty()),
            "L" => current.license = Some(value).filter(|v| !v.is_empty()),
            "o" => current.origin = Some(value).filter(|v| !v.is_empty()),
            "D" => current.depends = value.split_whitespace().map(str::to_owned).collect(),
            "p" => current.provides = value.split_whitespace().map(str::to_owned).collect(),
            "F" => dir = value.trim_matches('/').to_owned(),
            "R" => {
                let path = if dir.is_empty() {
                    format!("/{value}")
                } else {
                    format!("/{dir}/{value}")
                };
                current.files.push(path);
            }
            _ => {}
        }
    }
    flush(&mut current);
    out
}

fn package(r: &ApkRecord, path: &str, ctx: &DetectContext) -> Option<Package> {
    if r.version.is_empty() {
        return None;
    }
    let mut p = Package::new(PackageType::Apk, &r.name, &r.version, path);
    p.arch = r.arch.clone();
    p.licenses = r.license.iter().cloned().collect();
    p.source_name = Some(r.origin.clone().unwrap_or_else(|| r.name.clone()));
    p.source_version = Some(r.version.clone());
    p.purl = purl(&p, ctx);
    Some(p)
}

/// The purl of an apk package: `pkg:apk/<vendor>/<name>@<version>?arch=…&distro=…`, the
/// vendor and distro from the image's OS (`alpine` when it is unknown).
pub(crate) fn purl(p: &Package, ctx: &DetectContext) -> String {
    Purl::new("apk", &p.name)
        .namespace(ctx.vendor().unwrap_or_else(|| "alpine".into()))
        .version(p.version.clone())
        .qualifier("arch", p.arch.clone())
        .qualifier("distro", ctx.distro())
        .to_string()
}

/// Which package owns each file, from the `F`/`R` lines of the database.
pub fn file_owners(bytes: &[u8]) -> BTreeMap<String, String> {
    let text = String::from_utf8_lossy(bytes);
    let mut out = BTreeMap::new();
    for record in records(&text) {
        for file in record.files {
            out.insert(file, record.name.clone());
        }
    }
    out
}
