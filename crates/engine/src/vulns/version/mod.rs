//! Version orderings, one per ecosystem, as each ecosystem's own tools compare versions.
//! OSV's `ECOSYSTEM` ranges are evaluated with these.
//!
//! Each scheme is a port of the comparison its ecosystem's tool performs, down to the quirks
//! (a dpkg version with a stray `@` still compares, apk compares `1.0bc` although it is not a
//! valid version, Maven orders any string at all), because a matcher that orders versions
//! differently from the package manager reports the wrong fix. The upstream project each one
//! follows, and its test vectors, are named in each module and in
//! `crates/engine/tests/fixtures/versions/README.md`.
//!
//! Every function here takes untrusted strings (from advisories and from images) and never
//! panics: a string that the ecosystem rejects is a [`VersionError::Invalid`].

use std::cmp::Ordering;

use serde::{Deserialize, Serialize};

mod apk;
mod dpkg;
mod maven;
mod packagist;
mod pep440;
mod rpm;
mod rubygems;
mod semver;

/// How an ecosystem orders its versions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum VersionScheme {
    /// Debian and Ubuntu (`dpkg --compare-versions`).
    Dpkg,
    /// Alpine, Wolfi, Chainguard (apk-tools' `apk_version_compare`).
    Apk,
    /// The Red Hat family, SUSE (rpmvercmp with epoch and release, as `rpm.labelCompare`).
    Rpm,
    /// PyPI (PEP 440, as `packaging.version.Version` orders).
    Pep440,
    /// SemVer 2.0 (npm, crates.io, Go with its `v` prefix and pseudo-versions).
    Semver,
    /// Maven (`org.apache.maven.artifact.versioning.ComparableVersion`).
    Maven,
    /// RubyGems (`Gem::Version#<=>`).
    RubyGems,
    /// Packagist (composer/semver: `VersionParser::normalize`, then `Comparator`).
    Packagist,
}

impl VersionScheme {
    /// Every scheme, for tests and for listing.
    pub const ALL: [VersionScheme; 8] = [
        VersionScheme::Dpkg,
        VersionScheme::Apk,
        VersionScheme::Rpm,
        VersionScheme::Pep440,
        VersionScheme::Semver,
        VersionScheme::Maven,
        VersionScheme::RubyGems,
        VersionScheme::Packagist,
    ];

    /// The scheme that an OSV `affected[].package.ecosystem` orders its versions by, or
    /// `None` for ecosystems without one here (their `ECOSYSTEM` ranges cannot be evaluated).
    ///
    /// Only the part before the first `:` names the ecosystem: `Debian:12`,
    /// `Ubuntu:22.04:LTS`, `Alpine:v3.19`, `Red Hat:rhel_aus:8.4::appstream` and
    /// `Rocky Linux:9` are all matched by their distribution. Names are compared without
    /// regard to ASCII case.
    pub fn for_osv_ecosystem(ecosystem: &str) -> Option<VersionScheme> {
        let name = ecosystem.split(':').next().unwrap_or("").trim();
        let is = |candidate: &str| name.eq_ignore_ascii_case(candidate);
        if is("Debian") || is("Ubuntu") {
            Some(VersionScheme::Dpkg)
        } else if is("Alpine") || is("Wolfi") || is("Chainguard") || is("MinimOS") {
            Some(VersionScheme::Apk)
        } else if is("Red Hat")
            || is("AlmaLinux")
            || is("Rocky Linux")
            || is("SUSE")
            || is("openSUSE")
            || is("Mageia")
            || is("openEuler")
            || is("Photon OS")
        {
            Some(VersionScheme::Rpm)
        } else if is("PyPI") {
            Some(VersionScheme::Pep440)
        } else if is("npm") || is("crates.io") || is("Go") || is("Hex") {
            Some(VersionScheme::Semver)
        } else if is("Maven") {
            Some(VersionScheme::Maven)
        } else if is("RubyGems") {
            Some(VersionScheme::RubyGems)
        } else if is("Packagist") {
            Some(VersionScheme::Packagist)
        } else {
            None
        }
    }

    /// The scheme's name as it is serialized (`dpkg`, `pep440`, `rubygems`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            VersionScheme::Dpkg => "dpkg",
            VersionScheme::Apk => "apk",
            VersionScheme::Rpm => "rpm",
            VersionScheme::Pep440 => "pep440",
            VersionScheme::Semver => "semver",
            VersionScheme::Maven => "maven",
            VersionScheme::RubyGems => "rubygems",
            VersionScheme::Packagist => "packagist",
        }
    }
}

impl std::fmt::Display for VersionScheme {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why two versions could not be compared.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VersionError {
    /// The ecosystem's own tool rejects this string as a version.
    #[error("{version:?} is not a valid {scheme} version: {reason}")]
    Invalid {
        scheme: VersionScheme,
        version: String,
        reason: String,
    },
    /// Both strings are versions, but the ecosystem gives them no order (two different
    /// Composer branches such as `dev-main` and `dev-feature`).
    #[error("{scheme} does not order {a:?} and {b:?}: {reason}")]
    Incomparable {
        scheme: VersionScheme,
        a: String,
        b: String,
        reason: String,
    },
    #[error("comparing {scheme} versions is not implemented yet")]
    Unsupported { scheme: VersionScheme },
}

impl VersionError {
    pub(crate) fn invalid(
        scheme: VersionScheme,
        version: &str,
        reason: impl Into<String>,
    ) -> VersionError {
        VersionError::Invalid {
            scheme,
            version: version.to_owned(),
            reason: reason.into(),
        }
    }
}

/// Compares two versions under `scheme`.
pub fn compare(scheme: VersionScheme, a: &str, b: &str) -> Result<Ordering, VersionError> {
    match scheme {
        VersionScheme::Dpkg => dpkg::compare(a, b),
        VersionScheme::Apk => Ok(apk::compare(a, b)),
        VersionScheme::Rpm => rpm::compare(a, b),
        VersionScheme::Pep440 => pep440::compare(a, b),
        VersionScheme::Semver => semver::compare(a, b),
        VersionScheme::Maven => maven::compare(a, b),
        VersionScheme::RubyGems => rubygems::compare(a, b),
        VersionScheme::Packagist => packagist::compare(a, b),
    }
}

/// Checks that `version` is a well-formed version of `scheme`, as strictly as the
/// ecosystem's own validation: dpkg's warnings (a letter first, a stray character) and
/// apk's `apk_version_validate` count as invalid here although [`compare`] still orders
/// such strings the way the tool does.
pub fn validate(scheme: VersionScheme, version: &str) -> Result<(), VersionError> {
    match scheme {
        VersionScheme::Dpkg => dpkg::validate(version),
        VersionScheme::Apk => apk::validate(version),
        VersionScheme::Rpm => rpm::validate(version),
        VersionScheme::Pep440 => pep440::validate(version),
        VersionScheme::Semver => semver::validate(version),
        VersionScheme::Maven => maven::validate(version),
        VersionScheme::RubyGems => rubygems::validate(version),
        VersionScheme::Packagist => packagist::validate(version),
    }
}

/// Composer's `VersionParser::normalize`, the first step of [`VersionScheme::Packagist`]
/// ordering: `v1.2-RC1` is `1.2.0.0-RC1`, `1.x-dev` is `1.9999999.9999999.9999999-dev`,
/// `master` is `dev-master`. Useful to show which version Composer sees.
pub fn normalize_composer(version: &str) -> Result<String, VersionError> {
    packagist::normalize(version).ok_or_else(|| {
        VersionError::invalid(
            VersionScheme::Packagist,
            version,
            "Composer cannot normalize it",
        )
    })
}

/// A non-negative integer of any size, kept as its decimal digits without leading zeros
/// (zero is the empty string), so that `1` and `0001` are equal and 40-digit dates order
/// numerically without overflow.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct BigNum(String);

impl BigNum {
    /// From ASCII decimal digits; the caller has checked that they are digits.
    pub(crate) fn from_digits(digits: &str) -> BigNum {
        BigNum(digits.trim_start_matches('0').to_owned())
    }

    pub(crate) fn zero() -> BigNum {
        BigNum(String::new())
    }

    pub(crate) fn is_zero(&self) -> bool {
        self.0.is_empty()
    }
}

impl Ord for BigNum {
    fn cmp(&self, other: &BigNum) -> Ordering {
        self.0
            .len()
            .cmp(&other.0.len())
            .then_with(|| self.0.cmp(&other.0))
    }
}

impl PartialOrd for BigNum {
    fn partial_cmp(&self, other: &BigNum) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn osv_ecosystems_map_to_their_schemes() {
        let cases = [
            ("Debian:12", VersionScheme::Dpkg),
            ("Ubuntu:22.04:LTS", VersionScheme::Dpkg),
            ("Ubuntu:Pro:18.04:LTS", VersionScheme::Dpkg),
            ("Alpine:v3.19", VersionScheme::Apk),
            ("Wolfi", VersionScheme::Apk),
            ("Red Hat", VersionScheme::Rpm),
            ("Red Hat:rhel_aus:8.4::appstream", VersionScheme::Rpm),
            ("AlmaLinux:9", VersionScheme::Rpm),
            ("Rocky Linux:9", VersionScheme::Rpm),
            ("openSUSE:Tumbleweed", VersionScheme::Rpm),
            ("PyPI", VersionScheme::Pep440),
            ("npm", VersionScheme::Semver),
            ("Go", VersionScheme::Semver),
            ("crates.io", VersionScheme::Semver),
            ("Maven", VersionScheme::Maven),
            ("RubyGems", VersionScheme::RubyGems),
            ("Packagist", VersionScheme::Packagist),
        ];
        for (ecosystem, scheme) in cases {
            assert_eq!(
                VersionScheme::for_osv_ecosystem(ecosystem),
                Some(scheme),
                "{ecosystem}"
            );
        }
        for unknown in ["", "NuGet", "Pub", "GitHub Actions", "Linux", "Debian12"] {
            assert_eq!(VersionScheme::for_osv_ecosystem(unknown), None, "{unknown}");
        }
    }

    #[test]
    fn big_numbers_order_numerically() {
        let n = BigNum::from_digits;
        assert!(n("10") > n("9"));
        assert_eq!(n("0010"), n("10"));
        assert_eq!(n("000"), BigNum::zero());
        assert!(n("123456789012345678901234567890") > n("99999999999999999999"));
    }

    #[test]
    fn every_scheme_is_implemented() {
        for scheme in VersionScheme::ALL {
            assert!(
                !matches!(
                    compare(scheme, "1", "2"),
                    Err(VersionError::Unsupported { .. })
                ),
                "{scheme}"
            );
        }
    }
}
