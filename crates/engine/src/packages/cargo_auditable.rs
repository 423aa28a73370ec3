//! Rust binaries built with `cargo auditable`: the `.dep-v0` ELF section holds the
//! zlib-compressed JSON dependency list (`{"packages": [{"name", "version", "source",
//! "kind", "dependencies", "root"}]}`). Files are chosen as for Go binaries (any executable
//! or shared object; non-ELF files are dropped at once).

use std::io::Read;

use serde::Deserialize;

use super::elf::{Elf, wants_binary};
use super::purl::Purl;
use super::{DetectContext, Detector, MIB, Package, PackageError, PackageType};

/// The decompressed JSON may not exceed this (cargo-auditable itself caps it at 8 MiB).
const MAX_JSON: u64 = 8 * MIB;

/// The cargo-auditable detector.
pub struct CargoAuditableDetector;

#[derive(Deserialize)]
struct VersionInfo {
    packages: Vec<AuditPackage>,
}

#[derive(Deserialize)]
struct AuditPackage {
    name: String,
    version: String,
}

impl Detector for CargoAuditableDetector {
    fn name(&self) -> &'static str {
        "cargo-auditable"
    }

    fn wants(&self, path: &str, mode: u32) -> bool {
        wants_binary(path, mode)
    }

    fn max_file_size(&self) -> u64 {
        256 * MIB
    }

    fn magic(&self) -> Option<&'static [u8]> {
        Some(b"\x7fELF")
    }

    fn parse(
        &self,
        path: &str,
        bytes: &[u8],
        _ctx: &DetectContext,
    ) -> Result<Vec<Package>, PackageError> {
        let Some(section) = Elf::parse(bytes).and_then(|elf| elf.section(".dep-v0")) else {
            return Ok(Vec::new());
        };
        let mut json = Vec::new();
        flate2::read::ZlibDecoder::new(section)
            .take(MAX_JSON + 1)
            .read_to_end(&mut json)
            .map_err(|source| PackageError::Io {
                path: path.to_owned(),
                source,
            })?;
        if json.len() as u64 > MAX_JSON {
            return Err(PackageError::malformed(
                path,
                "cargo-auditable section",
                "dependency list larger than 8 MiB",
            ));
        }
        let info: VersionInfo =
            serde_json::from_slice(&json).map_err(|e| PackageError::json(path, e))?;
        Ok(info
            .packages
            .into_iter()
            .map(|pkg| {
                let mut p = Package::new(PackageType::Cargo, &pkg.name, &pkg.version, path);
                p.purl = Purl::new("cargo", &pkg.name)
                    .version(pkg.version.clone())
                    .to_string();
                p
            })
            .collect())
    }
}
