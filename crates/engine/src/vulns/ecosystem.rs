//! Which OSV ecosystem, package name and version an installed [`Package`] is known by.
//!
//! OS packages are matched as the distros publish their advisories: Debian, Ubuntu, Alpine,
//! AlmaLinux, Rocky Linux, SUSE/openSUSE and Mageia by the **source** package (a DSA on
//! `openssl` covers `libssl3`), scoped to the image's release (`Debian:12`, `Alpine:v3.19`,
//! `Ubuntu:22.04:LTS`); Red Hat by the binary rpm, in any product stream of the release
//! (`Red Hat:enterprise_linux:9::…`). Language packages go to their registry's ecosystem,
//! PyPI names normalised (PEP 503), Maven as `group:artifact`, Go versions without their `v`.
//!
//! A package that OSV has no data for, or that lacks what matching needs, is
//! [`NotCovered`] with the reason — never silently dropped.

use serde::{Deserialize, Serialize};

use super::version::VersionScheme;
use crate::packages::{OsRelease, Package, PackageType};

/// Where a package's advisories are: an OSV ecosystem, the name the package has there and
/// the version to evaluate.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Target {
    /// The OSV ecosystem (`Debian:12`, `PyPI`), or with [`Target::prefix`] the start of the
    /// ecosystems to search (`Red Hat:enterprise_linux:9::`).
    pub ecosystem: String,
    /// Match every ecosystem that starts with [`Target::ecosystem`].
    pub prefix: bool,
    /// The package's name in the ecosystem (normalised where the ecosystem normalises).
    pub name: String,
    pub version: String,
}

impl Target {
    /// The ecosystem's base name (`Debian` of `Debian:12`), which is also the name of its
    /// `all.zip` export.
    pub fn export(&self) -> &str {
        base(&self.ecosystem)
    }

    /// The ecosystem to send to the OSV API: the exact one, or the base for prefixes.
    pub fn query_ecosystem(&self) -> &str {
        if self.prefix {
            self.export()
        } else {
            &self.ecosystem
        }
    }

    /// Whether an advisory's `affected[].package` is this package.
    pub fn matches(&self, ecosystem: &str, name: &str) -> bool {
        let same_ecosystem = if self.prefix {
            ecosystem.starts_with(&self.ecosystem)
        } else {
            ecosystem == self.ecosystem
        };
        same_ecosystem && normalize_name(ecosystem, name) == self.name
    }

    /// How versions of this ecosystem are ordered, if Porthole knows.
    pub fn scheme(&self) -> Option<VersionScheme> {
        scheme_for(&self.ecosystem)
    }
}

/// Why a package is not checked against advisories.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotCovered {
    /// The image's OS is unknown (no os-release), so its OS packages cannot be scoped.
    UnknownOs,
    /// OSV has no advisories for this ecosystem or distribution release.
    NoAdvisoryData,
    /// The package has no version (or one OSV cannot match, such as Go's `(devel)`).
    NoVersion,
    /// The package lacks part of its OSV name (a Maven artifact without its group).
    IncompleteName,
    /// The offline database has not imported this ecosystem (`porthole vulndb update`).
    NotImported,
}

impl NotCovered {
    /// A sentence for a person.
    pub fn describe(self) -> &'static str {
        match self {
            NotCovered::UnknownOs => {
                "the image's OS is unknown, so its OS packages cannot be matched"
            }
            NotCovered::NoAdvisoryData => "OSV has no advisories for this ecosystem or release",
            NotCovered::NoVersion => {
                "the package has no version that advisories can be matched against"
            }
            NotCovered::IncompleteName => {
                "the package's name is incomplete (e.g. a Maven artifact without its group)"
            }
            NotCovered::NotImported => {
                "the offline database has not imported this ecosystem; run `porthole vulndb update`"
            }
        }
    }
}

/// The `all.zip` exports Porthole maps packages to, by their OSV names.
pub const KNOWN_EXPORTS: [&str; 19] = [
    "AlmaLinux",
    "Alpine",
    "Chainguard",
    "crates.io",
    "Debian",
    "Go",
    "Mageia",
    "Maven",
    "npm",
    "openSUSE",
    "Packagist",
    "Photon OS",
    "PyPI",
    "Red Hat",
    "Rocky Linux",
    "RubyGems",
    "SUSE",
    "Ubuntu",
    "Wolfi",
];

/// The OSV target of `package` in an image whose OS is `os`.
pub fn target(package: &Package, os: Option<&OsRelease>) -> Result<Target, NotCovered> {
    let (ecosystem, prefix, name, version) = match package.kind {
        PackageType::Deb | PackageType::Apk | PackageType::Rpm => os_target(package, os)?,
        PackageType::Python => (
            "PyPI".to_owned(),
            false,
            package.name.clone(),
            package.version.clone(),
        ),
        PackageType::Npm => (
            "npm".to_owned(),
            false,
            package.name.clone(),
            package.version.clone(),
        ),
        PackageType::Cargo => (
            "crates.io".to_owned(),
            false,
            package.name.clone(),
            package.version.clone(),
        ),
        PackageType::Gem => (
            "RubyGems".to_owned(),
            false,
            package.name.clone(),
            package.version.clone(),
        ),
        PackageType::Composer => (
            "Packagist".to_owned(),
            false,
            package.name.clone(),
            package.version.clone(),
        ),
        PackageType::Maven => {
            let group = purl_namespace(&package.purl).ok_or(NotCovered::IncompleteName)?;
            let name = format!("{group}:{}", package.name);
            ("Maven".to_owned(), false, name, package.version.clone())
        }
        PackageType::Go => {
            let version =
                go_version(&package.name, &package.version).ok_or(NotCovered::NoVersion)?;
            ("Go".to_owned(), false, package.name.clone(), version)
        }
    };
    let version = version.trim().to_owned();
    if version.is_empty() {
        return Err(NotCovered::NoVersion);
    }
    if name.is_empty() {
        return Err(NotCovered::IncompleteName);
    }
    let name = normalize_name(&ecosystem, &name);
    Ok(Target {
        ecosystem,
        prefix,
        name,
        version,
    })
}

type Parts = (String, bool, String, String);

fn os_target(package: &Package, os: Option<&OsRelease>) -> Result<Parts, NotCovered> {
    let os = os.ok_or(NotCovered::UnknownOs)?;
    let id = os.id.to_ascii_lowercase();
    let source_name = || {
        package
            .source_name
            .clone()
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| package.name.clone())
    };
    let source_version = || {
        package
            .source_version
            .clone()
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| package.version.clone())
    };
    let version_id = os.version_id.as_deref().map(str::trim).unwrap_or("");
    let major = version_id.split('.').next().unwrap_or("");
    let numeric = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let exact = |eco: String, name: String, version: String| Ok((eco, false, name, version));
    match (package.kind, id.as_str()) {
        (PackageType::Deb, "debian") => {
            let release = if numeric(major) {
                major.to_owned()
            } else {
                debian_release(os.version_codename.as_deref().unwrap_or(""))
                    .ok_or(NotCovered::NoAdvisoryData)?
                    .to_owned()
            };
            exact(format!("Debian:{release}"), source_name(), source_version())
        }
        (PackageType::Deb, "ubuntu") => {
            let mut parts = version_id.split('.');
            let (yy, mm) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
            if !numeric(yy) || !numeric(mm) {
                return Err(NotCovered::NoAdvisoryData);
            }
            let lts = os.version.as_deref().is_some_and(|v| v.contains("LTS"))
                || (mm == "04" && yy.parse::<u32>().is_ok_and(|y| y % 2 == 0));
            let eco = format!("Ubuntu:{yy}.{mm}{}", if lts { ":LTS" } else { "" });
            exact(eco, source_name(), source_version())
        }
        (PackageType::Apk, "alpine") => {
            let minor = version_id.split('.').nth(1).unwrap_or("");
            let minor: String = minor.chars().take_while(char::is_ascii_digit).collect();
            if !numeric(major) || minor.is_empty() {
                return Err(NotCovered::NoAdvisoryData);
            }
            exact(
                format!("Alpine:v{major}.{minor}"),
                source_name(),
                package.version.clone(),
            )
        }
        (PackageType::Apk, "wolfi") => exact(
            "Wolfi".to_owned(),
            package.name.clone(),
            package.version.clone(),
        ),
        (PackageType::Apk, "chainguard") => exact(
            "Chainguard".to_owned(),
            package.name.clone(),
            package.version.clone(),
        ),
        // rpm versions carry their epoch (`1:3.0.7-27.el9`), as these databases write them.
        (PackageType::Rpm, "almalinux") if numeric(major) => exact(
            format!("AlmaLinux:{major}"),
            source_name(),
            package.version.clone(),
        ),
        (PackageType::Rpm, "rocky") if numeric(major) => exact(
            format!("Rocky Linux:{major}"),
            source_name(),
            package.version.clone(),
        ),
        (PackageType::Rpm, "mageia") if numeric(major) => exact(
            format!("Mageia:{major}"),
            source_name(),
            package.version.clone(),
        ),
        (PackageType::Rpm, "photon") if !version_id.is_empty() => exact(
            format!("Photon OS:{version_id}"),
            package.name.clone(),
            package.version.clone(),
        ),
        (PackageType::Rpm, "rhel") if numeric(major) => Ok((
            format!("Red Hat:enterprise_linux:{major}::"),
            true,
            package.name.clone(),
            package.version.clone(),
        )),
        (PackageType::Rpm, id)
            if id.starts_with("opensuse") || id == "sles" || id == "sled" || id == "sle-micro" =>
        {
            // The ecosystem's release is the PRETTY_NAME without the vendor word:
            // `openSUSE Leap 15.5` → `openSUSE:Leap 15.5`.
            let pretty = os.pretty_name.as_deref().unwrap_or("").trim();
            let (vendor, rest) = if let Some(rest) = pretty.strip_prefix("openSUSE ") {
                ("openSUSE", rest)
            } else if let Some(rest) = pretty.strip_prefix("SUSE ") {
                ("SUSE", rest)
            } else {
                return Err(NotCovered::NoAdvisoryData);
            };
            exact(
                format!("{vendor}:{}", rest.trim()),
                source_name(),
                package.version.clone(),
            )
        }
        _ => Err(NotCovered::NoAdvisoryData),
    }
}

/// Debian's release numbers by codename, for images without `VERSION_ID` (point releases
/// always have one; testing images may only have a codename).
fn debian_release(codename: &str) -> Option<&'static str> {
    Some(match codename {
        "buster" => "10",
        "bullseye" => "11",
        "bookworm" => "12",
        "trixie" => "13",
        "forky" => "14",
        _ => return None,
    })
}

/// OSV's Go versions have no `v` (`1.2.3`); the standard library is `stdlib` at the
/// toolchain's version (`go1.21.5 X:boringcrypto` → `1.21.5`).
fn go_version(module: &str, version: &str) -> Option<String> {
    let version = version.trim();
    let v = if module == "stdlib" {
        let v = version.strip_prefix("go").unwrap_or(version);
        v.split_whitespace().next().unwrap_or(v)
    } else {
        version.strip_prefix('v').unwrap_or(version)
    };
    if v.is_empty() || v == "(devel)" || !v.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    Some(v.to_owned())
}

/// The base of an ecosystem string: `Debian` of `Debian:12`, `Red Hat` of
/// `Red Hat:enterprise_linux:9::baseos`.
pub fn base(ecosystem: &str) -> &str {
    ecosystem.split(':').next().unwrap_or(ecosystem).trim()
}

/// The name as the ecosystem compares names: PyPI's PEP 503 normal form (lowercase, runs
/// of `-`, `_`, `.` as one `-`); other ecosystems' names are used as they are.
pub fn normalize_name(ecosystem: &str, name: &str) -> String {
    if base(ecosystem) != "PyPI" {
        return name.to_owned();
    }
    let mut out = String::with_capacity(name.len());
    let mut sep = false;
    for c in name.trim().chars() {
        if matches!(c, '-' | '_' | '.') {
            sep = true;
            continue;
        }
        if sep && !out.is_empty() {
            out.push('-');
        }
        sep = false;
        out.push(c.to_ascii_lowercase());
    }
    out
}

/// How an OSV ecosystem's `ECOSYSTEM` ranges are ordered, where Porthole has the ordering.
pub fn scheme_for(ecosystem: &str) -> Option<VersionScheme> {
    VersionScheme::for_osv_ecosystem(ecosystem)
}

/// The namespace of a purl (`org.apache.logging.log4j` of
/// `pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1`), percent-decoded.
fn purl_namespace(purl: &str) -> Option<String> {
    let rest = purl.strip_prefix("pkg:")?;
    let rest = rest.split(['?', '#']).next()?;
    let rest = rest.split('@').next()?;
    let mut parts: Vec<&str> = rest.split('/').collect();
    if parts.len() < 3 {
        return None;
    }
    parts.remove(0);
    parts.pop();
    let ns = parts
        .iter()
        .map(|p| percent_decode(p))
        .collect::<Vec<_>>()
        .join("/");
    (!ns.is_empty()).then_some(ns)
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(b) = s
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(b);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}
