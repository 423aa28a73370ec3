//! SBOM export (CycloneDX 1.6 and SPDX 2.3 JSON) of an image's packages.
//!
//! The exporters work over plain data: an [`SbomSubject`] (the image's identity, its layers,
//! its OS and the [`Package`]s found in it) and [`SbomOptions`] (the creation time and the
//! tool's version, passed in so that the same input always gives the same document). They
//! neither read the store nor look at the clock, and they cannot fail:
//!
//! ```no_run
//! # use porthole_engine::sbom::{SbomFormat, SbomOptions, SbomSubject, Timestamp};
//! # fn subject() -> SbomSubject { unimplemented!() }
//! let options = SbomOptions::new(
//!     Timestamp::from_system_time(std::time::SystemTime::now()),
//!     env!("CARGO_PKG_VERSION"),
//! );
//! let format: SbomFormat = "spdx".parse()?;
//! let json: String = format.render(&subject(), &options);
//! # Ok::<(), porthole_engine::sbom::SbomError>(())
//! ```
//!
//! - [`cyclonedx()`]: the image is `metadata.component` (type `container`, its purl
//!   `pkg:oci/…`), the OS an `operating-system` component, each package a `library`
//!   component with `porthole:*` properties (introducing layer, location, source package).
//! - [`spdx()`]: the document `DESCRIBES` the image package, which `CONTAINS` the OS and
//!   every package; each carries its purl as an external reference, its layer and location
//!   in `sourceInfo` and in an annotation.
//! - [`license`]: declared licence strings sorted into SPDX identifiers, valid expressions
//!   and names; nothing invalid is ever written where SPDX wants an expression.
//!
//! Everything from the image (names, versions, paths, licence text) is hostile: it is only
//! ever written as a JSON string by serde, identifiers derived from it keep to
//! `[A-Za-z0-9.-]` and are made unique, and purls that are not purls are left out.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::packages::{OsRelease, Package};
use crate::{Digest, Platform, Reference};

mod cyclonedx;
mod error;
pub mod license;
pub mod license_list;
mod naming;
mod properties;
mod spdx;
mod subject;
mod timestamp;

pub use cyclonedx::{CycloneDxBom, cyclonedx};
pub use error::SbomError;
pub use spdx::{SpdxDocument, spdx};
pub use timestamp::Timestamp;

/// The image an SBOM describes, and what was found in it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SbomSubject {
    /// How the image is named (`docker.io/library/debian:12`); `None` for an image known
    /// only by its digest, which then gets no `pkg:oci` purl (the purl needs a name).
    pub reference: Option<Reference>,
    /// The digest of the image manifest (for a multi-platform image, the chosen platform's).
    pub manifest_digest: Digest,
    /// The image ID: the digest of its config blob.
    pub image_id: Option<Digest>,
    pub platform: Option<Platform>,
    pub os: Option<OsRelease>,
    /// In the order they should be listed ([`crate::packages::sort_packages`]'s).
    #[serde(default)]
    pub packages: Vec<Package>,
    /// The image's layers, bottom first.
    #[serde(default)]
    pub layers: Vec<SbomLayer>,
}

/// One layer of the image: its position, its blob digest and (from the config's
/// `rootfs.diff_ids`) the digest of its uncompressed tar.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SbomLayer {
    pub index: usize,
    pub digest: Digest,
    pub diff_id: Option<Digest>,
}

/// What an SBOM is stamped with.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SbomOptions {
    /// When the document was created.
    pub created: Timestamp,
    /// Porthole's version, named as the tool that wrote the document.
    pub tool_version: String,
    /// Mixed into the CycloneDX serial number and the SPDX document namespace, which are
    /// otherwise derived from the manifest digest, the creation time and the tool version.
    /// Leave it `None` for reproducible output; give a random value for documents that must
    /// differ even when made in the same second.
    pub seed: Option<String>,
}

impl SbomOptions {
    pub fn new(created: Timestamp, tool_version: impl Into<String>) -> SbomOptions {
        SbomOptions {
            created,
            tool_version: tool_version.into(),
            seed: None,
        }
    }
}

/// The SBOM formats Porthole writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SbomFormat {
    /// CycloneDX 1.6, JSON.
    CycloneDx,
    /// SPDX 2.3, JSON.
    Spdx,
}

impl SbomFormat {
    pub const ALL: [SbomFormat; 2] = [SbomFormat::CycloneDx, SbomFormat::Spdx];

    /// The name used on the command line (`--format cyclonedx`) and in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            SbomFormat::CycloneDx => "cyclonedx",
            SbomFormat::Spdx => "spdx",
        }
    }

    /// The conventional file name ending: `cdx.json`, `spdx.json`.
    pub fn file_extension(self) -> &'static str {
        match self {
            SbomFormat::CycloneDx => "cdx.json",
            SbomFormat::Spdx => "spdx.json",
        }
    }

    /// The registered media type of the document.
    pub fn media_type(self) -> &'static str {
        match self {
            SbomFormat::CycloneDx => "application/vnd.cyclonedx+json",
            SbomFormat::Spdx => "application/spdx+json",
        }
    }

    /// The document as pretty-printed JSON, with a final newline.
    pub fn render(self, subject: &SbomSubject, options: &SbomOptions) -> String {
        let json = match self {
            SbomFormat::CycloneDx => serde_json::to_string_pretty(&cyclonedx(subject, options)),
            SbomFormat::Spdx => serde_json::to_string_pretty(&spdx(subject, options)),
        };
        // The documents are plain structs of strings, numbers and vectors: serde_json
        // cannot fail on them.
        let mut json = json.expect("an SBOM serialises to JSON");
        json.push('\n');
        json
    }
}

impl fmt::Display for SbomFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for SbomFormat {
    type Err = SbomError;

    /// `cyclonedx` (or `cdx`) and `spdx`, in any case, optionally ending in `-json`.
    fn from_str(s: &str) -> Result<SbomFormat, SbomError> {
        let lower = s.trim().to_ascii_lowercase();
        match lower.strip_suffix("-json").unwrap_or(&lower) {
            "cyclonedx" | "cdx" => Ok(SbomFormat::CycloneDx),
            "spdx" => Ok(SbomFormat::Spdx),
            _ => Err(SbomError::UnknownFormat {
                input: s.chars().take(64).collect(),
            }),
        }
    }
}
