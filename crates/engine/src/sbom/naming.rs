//! The names an SBOM gives things: package keys (behind CycloneDX `bom-ref`s and SPDX
//! `SPDXID`s), the image's `pkg:oci` purl, and the document's UUID.

use std::collections::HashSet;

use sha2::{Digest as _, Sha256};

use super::{SbomOptions, SbomSubject};
use crate::packages::Package;
use crate::packages::purl::Purl;

/// How many characters of a package name a key keeps.
const KEY_NAME_MAX: usize = 48;

/// `s` with every run of characters outside `[A-Za-z0-9.]` turned into one `-`, no `-` at
/// either end, at most `max` characters: safe in an SPDX identifier (`[A-Za-z0-9.-]+`).
/// May be empty.
pub(crate) fn sanitize(s: &str, max: usize) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_alphanumeric() || c == '.' {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
        if out.len() >= max {
            break;
        }
    }
    out.truncate(max);
    while out.ends_with('-') {
        out.pop();
    }
    out
}

/// A stable, unique key per package, `<type>-<name>-<12 hex>` (`deb-libc6-3f2a…`), all in
/// `[A-Za-z0-9.-]`. The hex is a hash of everything known about the package, so a key
/// does not depend on the package's position in the list; packages identical in every
/// field get `-2`, `-3`, … in order.
pub(crate) fn package_keys(packages: &[Package]) -> Vec<String> {
    let mut used = HashSet::new();
    packages
        .iter()
        .map(|package| {
            let name = sanitize(&package.name, KEY_NAME_MAX);
            let hash = hex::encode(&fingerprint(package)[..6]);
            let base = if name.is_empty() {
                format!("{}-{hash}", package.kind)
            } else {
                format!("{}-{name}-{hash}", package.kind)
            };
            unique(&mut used, base)
        })
        .collect()
}

/// `base`, or `base-2`, `base-3`, … whichever is not yet in `used` (compared ignoring
/// ASCII case, as SPDX compares identifiers); records the one returned.
pub(crate) fn unique(used: &mut HashSet<String>, base: String) -> String {
    if used.insert(base.to_ascii_lowercase()) {
        return base;
    }
    (2..)
        .map(|n| format!("{base}-{n}"))
        .find(|candidate| used.insert(candidate.to_ascii_lowercase()))
        .expect("an unused suffix")
}

fn fingerprint(package: &Package) -> [u8; 32] {
    let mut hasher = Sha256::new();
    let mut field = |bytes: &[u8]| {
        // Length-prefixed, so that no two different packages hash the same fields.
        hasher.update((bytes.len() as u64).to_le_bytes());
        hasher.update(bytes);
    };
    field(package.kind.as_str().as_bytes());
    field(package.name.as_bytes());
    field(package.version.as_bytes());
    field(package.purl.as_bytes());
    field(package.location.as_bytes());
    field(package.arch.as_deref().unwrap_or_default().as_bytes());
    field(
        package
            .source_name
            .as_deref()
            .unwrap_or_default()
            .as_bytes(),
    );
    field(
        package
            .source_version
            .as_deref()
            .unwrap_or_default()
            .as_bytes(),
    );
    field(
        package
            .layer
            .map(|l| l.to_string())
            .unwrap_or_default()
            .as_bytes(),
    );
    for license in &package.licenses {
        field(license.as_bytes());
    }
    hasher.finalize().into()
}

/// The image's package URL per the purl spec's `oci` type: the repository's last path
/// segment as the name, the manifest digest as the version, and `arch`, `repository_url`
/// (registry and repository) and `tag` qualifiers:
/// `pkg:oci/debian@sha256:…?arch=amd64&repository_url=docker.io%2Flibrary%2Fdebian&tag=12`.
/// `None` without a reference: an `oci` purl must have a name.
pub(crate) fn image_purl(subject: &SbomSubject) -> Option<String> {
    let reference = subject.reference.as_ref()?;
    let name = reference.repository().rsplit('/').next()?;
    Some(
        Purl::new("oci", name)
            .version(subject.manifest_digest.to_string())
            .qualifier(
                "arch",
                subject.platform.as_ref().map(|p| p.architecture.clone()),
            )
            .qualifier("repository_url", reference.name())
            .qualifier("tag", reference.tag().map(str::to_owned))
            .to_string(),
    )
}

/// Whether `s` can be written where a purl is expected: `pkg:<type>/…` with a valid type
/// and no whitespace or control characters. Purls the detectors build always are; this
/// keeps anything else a caller put in [`Package::purl`] out of the document.
pub(crate) fn is_purl(s: &str) -> bool {
    let Some(rest) = s.strip_prefix("pkg:") else {
        return false;
    };
    let Some((ty, name)) = rest.trim_start_matches('/').split_once('/') else {
        return false;
    };
    let type_ok = ty.starts_with(|c: char| c.is_ascii_alphabetic())
        && ty
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '+' | '-'));
    type_ok && !name.is_empty() && !s.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// A UUID (RFC 9562 version 8, the hash-based "custom" kind) derived from what identifies
/// the document: its format, the manifest digest, the creation time, the tool's version and
/// the caller's seed.
pub(crate) fn document_uuid(format: &str, subject: &SbomSubject, options: &SbomOptions) -> String {
    let mut hasher = Sha256::new();
    for part in [
        "porthole-sbom",
        format,
        &subject.manifest_digest.to_string(),
        &options.created.to_string(),
        &options.tool_version,
        options.seed.as_deref().unwrap_or_default(),
    ] {
        hasher.update((part.len() as u64).to_le_bytes());
        hasher.update(part.as_bytes());
    }
    let mut b: [u8; 32] = hasher.finalize().into();
    b[6] = (b[6] & 0x0f) | 0x80;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex::encode(&b[..16]);
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// At most `max` characters of `s`, and whether any were cut.
pub(crate) fn truncate_chars(s: &str, max: usize) -> (&str, bool) {
    match s.char_indices().nth(max) {
        Some((end, _)) => (&s[..end], true),
        None => (s, false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanitize_keeps_spdx_id_characters() {
        assert_eq!(sanitize("libc6", 48), "libc6");
        assert_eq!(sanitize("@types/node", 48), "types-node");
        assert_eq!(sanitize("a\"b<script>c\n", 48), "a-b-script-c");
        assert_eq!(sanitize("名前", 48), "");
        assert_eq!(sanitize("--x--", 48), "x");
        assert_eq!(sanitize(&"a".repeat(100), 10), "a".repeat(10));
        assert_eq!(sanitize("abcdefghi-jkl", 10), "abcdefghi");
    }

    #[test]
    fn unique_suffixes_ignore_case() {
        let mut used = HashSet::new();
        assert_eq!(unique(&mut used, "MIT".into()), "MIT");
        assert_eq!(unique(&mut used, "mit".into()), "mit-2");
        assert_eq!(unique(&mut used, "MIT".into()), "MIT-3");
    }

    #[test]
    fn purls_are_recognised() {
        assert!(is_purl("pkg:deb/debian/libc6@2.36-9?arch=amd64"));
        assert!(is_purl("pkg:npm/%40types/node@20.1.0"));
        assert!(!is_purl(""));
        assert!(!is_purl("pkg:deb"));
        assert!(!is_purl("pkg:/name"));
        assert!(!is_purl("pkg:deb/name with space"));
        assert!(!is_purl("pkg:deb/name\n"));
        assert!(!is_purl("http://example.com/x"));
    }

    #[test]
    fn truncation_counts_characters() {
        assert_eq!(truncate_chars("ééé", 2), ("éé", true));
        assert_eq!(truncate_chars("ab", 2), ("ab", false));
    }
}
