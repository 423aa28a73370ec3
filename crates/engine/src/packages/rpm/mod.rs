//! rpm packages, read straight from the rpm database (no `rpm` binary): `rpmdb.sqlite`
//! ([`sqlite`]), Berkeley DB `Packages` ([`bdb`]) and NDB `Packages.db` ([`ndb`]), in
//! `var/lib/rpm`, `usr/lib/sysimage/rpm` or `usr/share/rpm`. The format is told by the
//! file's magic, not its name. Each database row is a header blob ([`header`]).
//!
//! `gpg-pubkey` pseudo-packages (imported signing keys, which `rpm -qa` lists) are not
//! software and are left out.

pub mod bdb;
pub mod header;
pub mod ndb;
pub mod sqlite;

pub use header::RpmHeader;

use super::purl::Purl;
use super::{DetectContext, Detector, MIB, Package, PackageError, PackageType};

const DIRS: [&str; 3] = ["/var/lib/rpm/", "/usr/lib/sysimage/rpm/", "/usr/share/rpm/"];
const FILES: [&str; 3] = ["Packages", "Packages.db", "rpmdb.sqlite"];

/// The rpm database detector.
pub struct RpmDetector;

impl Detector for RpmDetector {
    fn name(&self) -> &'static str {
        "rpm"
    }

    fn wants(&self, path: &str, _mode: u32) -> bool {
        DIRS.iter().any(|dir| {
            path.strip_prefix(dir)
                .is_some_and(|name| FILES.contains(&name))
        })
    }

    fn max_file_size(&self) -> u64 {
        512 * MIB
    }

    fn parse(
        &self,
        path: &str,
        bytes: &[u8],
        ctx: &DetectContext,
    ) -> Result<Vec<Package>, PackageError> {
        Ok(read_headers(path, bytes)?
            .into_iter()
            .filter(|h| h.name != "gpg-pubkey")
            .map(|h| package(&h, path, ctx))
            .collect())
    }
}

/// Every readable header in an rpm database of any of the three formats; headers that do
/// not parse are skipped. An empty file is an empty database.
pub fn read_headers(path: &str, bytes: &[u8]) -> Result<Vec<RpmHeader>, PackageError> {
    let blobs = if bytes.is_empty() {
        Vec::new()
    } else if bytes.starts_with(b"SQLite format 3\0") {
        sqlite::blobs(path, bytes)?
    } else if ndb::is_ndb(bytes) {
        ndb::blobs(path, bytes)?
    } else if bdb::is_bdb(bytes) {
        bdb::blobs(path, bytes)?
    } else {
        return Err(PackageError::malformed(
            path,
            "rpm database",
            "neither SQLite, NDB nor Berkeley DB hash",
        ));
    };
    Ok(blobs
        .iter()
        .filter_map(|blob| header::parse(blob).ok())
        .collect())
}

/// `name`, `version-release` from a source rpm file name (`util-linux-2.32.1-42.el8.src.rpm`).
pub fn split_source_rpm(srpm: &str) -> Option<(&str, &str)> {
    let stem = srpm
        .strip_suffix(".src.rpm")
        .or_else(|| srpm.strip_suffix(".nosrc.rpm"))?;
    let (rest, _release) = stem.rsplit_once('-')?;
    let (name, _version) = rest.rsplit_once('-')?;
    Some((name, stem.get(name.len() + 1..)?))
}

fn package(h: &RpmHeader, path: &str, ctx: &DetectContext) -> Package {
    let mut p = Package::new(PackageType::Rpm, &h.name, &h.evr(), path);
    p.arch = h.arch.clone();
    p.licenses = h.license.iter().cloned().collect();
    if let Some((name, version)) = h.source_rpm.as_deref().and_then(split_source_rpm) {
        p.source_name = Some(name.to_owned());
        p.source_version = Some(version.to_owned());
    }
    p.purl = purl(&p, ctx);
    p
}

/// The purl of an rpm package: `pkg:rpm/<vendor>/<name>@<version>-<release>?arch=…&epoch=…
/// &distro=…`, the epoch taken from the `[epoch:]version-release` the package shows, the
/// vendor from the image's OS (`rhel` is `redhat`, as the purl spec's examples write it).
pub(crate) fn purl(p: &Package, ctx: &DetectContext) -> String {
    let (epoch, version) = match p.version.split_once(':') {
        Some((e, v)) if !e.is_empty() && e.bytes().all(|b| b.is_ascii_digit()) => (Some(e), v),
        _ => (None, p.version.as_str()),
    };
    let vendor = ctx.vendor().map(|id| match id.as_str() {
        "rhel" => "redhat".to_owned(),
        _ => id,
    });
    Purl::new("rpm", &p.name)
        .namespace(vendor)
        .version(version.to_owned())
        .qualifier("arch", p.arch.clone())
        .qualifier("epoch", epoch.map(str::to_owned))
        .qualifier("distro", ctx.distro())
        .to_string()
}
