//! Java archives (`.jar`, `.war`, `.ear`, Jenkins `.jpi`/`.hpi`): every
//! `META-INF/maven/<group>/<artifact>/pom.properties` is a Maven package; an archive with
//! none is named from its `META-INF/MANIFEST.MF` and file name. Archives nested inside
//! (Spring Boot's `BOOT-INF/lib/*.jar`, a war's `WEB-INF/lib/*.jar`) are opened in memory,
//! up to [`MAX_DEPTH`] levels; their location is `outer.jar:inner.jar`.
//!
//! Without a `pom.properties` the group is unknown: it is taken from the manifest
//! (`Implementation-Vendor-Id`, or the `Bundle-SymbolicName` before `.<name>`), else the
//! name itself, as syft does.

use std::collections::BTreeMap;
use std::io::{Cursor, Read};

use super::purl::Purl;
use super::{DetectContext, Detector, MIB, Package, PackageError, PackageType, file_name};

/// How deep archives inside archives are opened.
pub const MAX_DEPTH: usize = 4;
/// A nested archive larger than this (uncompressed) is not opened.
const MAX_NESTED: u64 = 128 * MIB;
/// All nested archives of one file together may not exceed this (uncompressed).
const MAX_NESTED_TOTAL: u64 = 1024 * MIB;
/// A manifest or pom.properties larger than this is not read.
const MAX_TEXT: u64 = MIB;

const EXTENSIONS: [&str; 5] = [".jar", ".war", ".ear", ".jpi", ".hpi"];

/// The Java archive detector.
pub struct JavaDetector;

impl Detector for JavaDetector {
    fn name(&self) -> &'static str {
        "java"
    }

    fn wants(&self, path: &str, _mode: u32) -> bool {
        is_archive(path)
    }

    fn max_file_size(&self) -> u64 {
        512 * MIB
    }

    fn parse(
        &self,
        path: &str,
        bytes: &[u8],
        _ctx: &DetectContext,
    ) -> Result<Vec<Package>, PackageError> {
        let mut out = Vec::new();
        let mut budget = MAX_NESTED_TOTAL;
        archive(path, bytes, 0, &mut budget, &mut out).map_err(|source| PackageError::Zip {
            path: path.to_owned(),
            source,
        })?;
        Ok(out)
    }
}

fn is_archive(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    EXTENSIONS.iter().any(|ext| lower.ends_with(ext))
}

fn read_text<R: Read>(entry: R) -> Option<String> {
    let mut buf = Vec::new();
    entry.take(MAX_TEXT).read_to_end(&mut buf).ok()?;
    Some(String::from_utf8_lossy(&buf).into_owned())
}

/// Reads one archive; nested archives that fail to open are skipped, only the outermost
/// failing is an error.
fn archive(
    location: &str,
    bytes: &[u8],
    depth: usize,
    budget: &mut u64,
    out: &mut Vec<Package>,
) -> Result<(), zip::result::ZipError> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes))?;
    let mut poms = Vec::new();
    let mut manifest = None;
    for i in 0..zip.len() {
        let Ok(entry) = zip.by_index(i) else {
            continue;
        };
        if entry.is_dir() {
            continue;
        }
        let Ok(name) = entry.name().map(|n| n.into_owned()) else {
            continue;
        };
        if name.starts_with("META-INF/maven/") && name.ends_with("/pom.properties") {
            if let Some(text) = read_text(entry) {
                poms.push(text);
            }
        } else if name.eq_ignore_ascii_case("META-INF/MANIFEST.MF") {
            manifest = read_text(entry);
        } else if depth < MAX_DEPTH && is_archive(&name) && entry.size() <= MAX_NESTED.min(*budget)
        {
            // One nested archive in memory at a time, and a total for the whole file, so
            // that an archive of archives cannot exhaust memory.
            let mut buf = Vec::new();
            if entry.take(MAX_NESTED).read_to_end(&mut buf).is_ok() {
                *budget = budget.saturating_sub(buf.len() as u64);
                let inner = format!("{location}:{name}");
                let _ = archive(&inner, &buf, depth + 1, budget, out);
            }
        }
    }
    let manifest = manifest.map(|m| manifest_fields(&m)).unwrap_or_default();
    let licenses: Vec<String> = manifest
        .get("Bundle-License")
        .map(|l| vec![l.clone()])
        .unwrap_or_default();
    let mut found = false;
    for pom in &poms {
        let props = properties(pom);
        let (Some(group), Some(artifact), Some(version)) = (
            props.get("groupId"),
            props.get("artifactId"),
            props.get("version"),
        ) else {
            continue;
        };
        found = true;
        out.push(maven(group, artifact, version, location, licenses.clone()));
    }
    if !found && let Some((group, name, version)) = from_manifest(location, &manifest) {
        out.push(maven(&group, &name, &version, location, licenses));
    }
    Ok(())
}

fn maven(
    group: &str,
    artifact: &str,
    version: &str,
    location: &str,
    licenses: Vec<String>,
) -> Package {
    let mut p = Package::new(PackageType::Maven, artifact, version, location);
    p.purl = Purl::new("maven", artifact)
        .namespace(group.to_owned())
        .version(version.to_owned())
        .to_string();
    p.licenses = licenses;
    p
}

/// `key=value` lines (`#` comments), as java.util.Properties writes them.
fn properties(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.starts_with('#') && !l.starts_with('!'))
        .filter_map(|l| l.split_once(['=', ':']))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .filter(|(k, v)| !k.is_empty() && !v.is_empty())
        .collect()
}

/// `Key: value` lines of a manifest's main section; a line starting with one space
/// continues the one before.
pub fn manifest_fields(text: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut last: Option<String> = None;
    for line in text.lines() {
        let line = line.trim_end_matches('\r');
        if line.is_empty() {
            break; // the main section ends at the first blank line
        }
        if let Some(cont) = line.strip_prefix(' ') {
            if let Some(value) = last.as_ref().and_then(|k| out.get_mut(k)) {
                let value: &mut String = value;
                value.push_str(cont);
            }
            continue;
        }
        if let Some((k, v)) = line.split_once(':') {
            out.insert(k.trim().to_owned(), v.trim().to_owned());
            last = Some(k.trim().to_owned());
        }
    }
    out
}

/// `(group, name, version)` from a manifest and the archive's file name
/// (`commons-io-2.11.0.jar` → `commons-io`, `2.11.0`).
fn from_manifest(
    location: &str,
    manifest: &BTreeMap<String, String>,
) -> Option<(String, String, String)> {
    let file = file_name(location.rsplit(':').next().unwrap_or(location));
    let stem = file.rsplit_once('.').map_or(file, |(s, _)| s);
    // The file name's version starts at the first `-` followed by a digit.
    let split = stem
        .match_indices('-')
        .find(|(i, _)| stem[i + 1..].starts_with(|c: char| c.is_ascii_digit()))
        .map(|(i, _)| i);
    let (file_name_part, file_version) = match split {
        Some(i) => (&stem[..i], Some(&stem[i + 1..])),
        None => (stem, None),
    };
    let get = |k: &str| {
        manifest
            .get(k)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    };
    let symbolic = get("Bundle-SymbolicName").map(|s| s.split(';').next().unwrap_or(s).trim());
    let name = if file_name_part.is_empty() {
        get("Implementation-Title").or(symbolic)?
    } else {
        file_name_part
    };
    let version = get("Implementation-Version")
        .or_else(|| get("Bundle-Version"))
        .or_else(|| get("Specification-Version"))
        .or(file_version)?;
    let group = get("Implementation-Vendor-Id")
        .map(str::to_owned)
        .or_else(|| {
            symbolic
                .and_then(|s| s.strip_suffix(&format!(".{name}")))
                .map(str::to_owned)
        })
        .unwrap_or_else(|| name.to_owned());
    Some((group, name.to_owned(), version.to_owned()))
}
