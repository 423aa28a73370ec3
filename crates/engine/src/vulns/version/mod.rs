//! Version orderings, one per ecosystem, as each ecosystem's own tools compare versions.
//! OSV's `ECOSYSTEM` ranges are evaluated with these.

use std::cmp::Ordering;

use serde::{Deserialize, Serialize};

mod apk;
mod dpkg;
mod pep440;
mod rpm;
mod semver;

/// How an ecosystem orders its versions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum VersionScheme {
    /// Debian and Ubuntu (`dpkg --compare-versions`).
    Dpkg,
    /// Alpine (apk-tools).
    Apk,
    /// The Red Hat family, SUSE (rpmvercmp with epoch and release).
    Rpm,
    /// PyPI (PEP 440).
    Pep440,
    /// SemVer 2.0 (npm, crates.io, Go with its `v` prefix).
    Semver,
}

/// Why two versions could not be compared.
#[derive(Debug, thiserror::Error)]
pub enum VersionError {
    #[error("{version:?} is not a valid {scheme:?} version: {reason}")]
    Invalid {
        scheme: VersionScheme,
        version: String,
        reason: String,
    },
    #[error("comparing {scheme:?} versions is not implemented yet")]
    Unsupported { scheme: VersionScheme },
}

/// Compares two versions under `scheme`.
pub fn compare(scheme: VersionScheme, a: &str, b: &str) -> Result<Ordering, VersionError> {
    match scheme {
        VersionScheme::Dpkg => dpkg::compare(a, b),
        VersionScheme::Apk => apk::compare(a, b),
        VersionScheme::Rpm => rpm::compare(a, b),
        VersionScheme::Pep440 => pep440::compare(a, b),
        VersionScheme::Semver => semver::compare(a, b),
    }
}
