//! Platforms (`linux/amd64`, `linux/arm64/v8`) and how a manifest list entry is chosen,
//! following containerd's `platforms` package: normalised names, and arm variant fallback.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum PlatformError {
    #[error(
        "`{0}` is not a platform: expected os/arch[/variant], e.g. linux/amd64 or linux/arm64/v8"
    )]
    Malformed(String),
}

/// An OS, architecture and optional variant, normalised as containerd does.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Platform {
    pub os: String,
    pub architecture: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
}

impl Platform {
    pub fn new(os: &str, architecture: &str, variant: Option<&str>) -> Platform {
        let (architecture, variant) = normalize_arch(architecture, variant.unwrap_or(""));
        Platform {
            os: os.to_ascii_lowercase(),
            architecture,
            variant: (!variant.is_empty()).then_some(variant),
        }
    }

    /// linux/<the architecture this program was built for>.
    /// The platform an image config declares (`os`, `architecture`, `variant`), if it does.
    pub fn of_config(config: &[u8]) -> Option<Platform> {
        #[derive(Deserialize)]
        struct Cfg {
            os: Option<String>,
            architecture: Option<String>,
            variant: Option<String>,
        }
        let c: Cfg = serde_json::from_slice(config).ok()?;
        Some(Platform::new(
            &c.os?,
            &c.architecture?,
            c.variant.as_deref(),
        ))
    }

    pub fn host() -> Platform {
        let arch = match std::env::consts::ARCH {
            "x86_64" => "amd64",
            "x86" => "386",
            "aarch64" => "arm64",
            "arm" => "arm",
            "powerpc64" => "ppc64le",
            "s390x" => "s390x",
            "riscv64" => "riscv64",
            other => other,
        };
        let variant = if arch == "arm" { Some("v7") } else { None };
        Platform::new("linux", arch, variant)
    }

    /// How well an image for `candidate` runs where `self` is wanted: `None` when it does
    /// not, otherwise a rank where lower is better (an exact variant beats a fallback).
    pub fn match_rank(&self, candidate: &Platform) -> Option<u8> {
        let candidate = Platform::new(
            &candidate.os,
            &candidate.architecture,
            candidate.variant.as_deref(),
        );
        if candidate.os != self.os || candidate.architecture != self.architecture {
            return None;
        }
        let want = self.variant.as_deref().unwrap_or("");
        let have = candidate.variant.as_deref().unwrap_or("");
        if want == have {
            return Some(0);
        }
        match self.architecture.as_str() {
            // An arm/v7 machine also runs v6 and v5 images, best first.
            "arm" => {
                let level = |v: &str| v.strip_prefix('v').and_then(|n| n.parse::<u8>().ok());
                match (level(want), level(have)) {
                    (Some(w), Some(h)) if h < w => Some(1 + (w - h)),
                    (_, None) => Some(9),
                    _ => None,
                }
            }
            // arm64 and arm64/v8 are the same thing; later variants run v8 images.
            "arm64" if have.is_empty() || have == "v8" => Some(1),
            _ if have.is_empty() => Some(1),
            _ => None,
        }
    }
}

fn normalize_arch(arch: &str, variant: &str) -> (String, String) {
    let arch = arch.to_ascii_lowercase();
    let variant = variant.to_ascii_lowercase();
    match arch.as_str() {
        "i386" => ("386".into(), String::new()),
        "x86_64" | "x86-64" => ("amd64".into(), String::new()),
        "aarch64" | "arm64" => {
            let v = if variant == "8" || variant == "v8" {
                ""
            } else {
                &variant
            };
            ("arm64".into(), v.to_owned())
        }
        "armhf" => ("arm".into(), "v7".into()),
        "armel" => ("arm".into(), "v6".into()),
        "arm" => {
            let v = match variant.as_str() {
                "" | "7" => "v7".to_owned(),
                "5" | "6" | "8" => format!("v{variant}"),
                _ => variant,
            };
            ("arm".into(), v)
        }
        _ => (arch, variant),
    }
}

impl FromStr for Platform {
    type Err = PlatformError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let parts: Vec<&str> = s.split('/').collect();
        let ok = |p: &&str| !p.is_empty();
        match parts.as_slice() {
            [os, arch] if ok(os) && ok(arch) => Ok(Platform::new(os, arch, None)),
            [os, arch, variant] if ok(os) && ok(arch) && ok(variant) => {
                Ok(Platform::new(os, arch, Some(variant)))
            }
            _ => Err(PlatformError::Malformed(s.to_owned())),
        }
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        if let Some(v) = &self.variant {
            write!(f, "/{v}")?;
        }
        Ok(())
    }
}

/// Serialise a platform as `os/arch[/variant]`, the form people and scripts use.
pub fn as_string<S: serde::Serializer>(p: &Platform, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Platform {
        s.parse().unwrap()
    }

    #[test]
    fn normalises_like_containerd() {
        assert_eq!(p("linux/aarch64").to_string(), "linux/arm64");
        assert_eq!(p("linux/arm64/v8").to_string(), "linux/arm64");
        assert_eq!(p("linux/arm").to_string(), "linux/arm/v7");
        assert_eq!(p("linux/x86_64").to_string(), "linux/amd64");
        assert_eq!(p("Linux/AMD64").to_string(), "linux/amd64");
        assert!("linux".parse::<Platform>().is_err());
        assert!("linux//v7".parse::<Platform>().is_err());
        assert!("a/b/c/d".parse::<Platform>().is_err());
    }

    #[test]
    fn arm64_and_arm64_v8_match_each_other() {
        let want = p("linux/arm64");
        let v8 = Platform {
            os: "linux".into(),
            architecture: "arm64".into(),
            variant: Some("v8".into()),
        };
        assert_eq!(want.match_rank(&v8), Some(0));
        assert_eq!(p("linux/arm64/v8").match_rank(&p("linux/arm64")), Some(0));
    }

    #[test]
    fn arm_v7_falls_back_to_v6_but_not_the_other_way() {
        let v7 = p("linux/arm/v7");
        assert_eq!(v7.match_rank(&p("linux/arm/v7")), Some(0));
        assert!(v7.match_rank(&p("linux/arm/v6")).unwrap() > 0);
        assert!(v7.match_rank(&p("linux/arm/v6")) < v7.match_rank(&p("linux/arm/v5")));
        assert_eq!(p("linux/arm/v6").match_rank(&p("linux/arm/v7")), None);
        assert_eq!(v7.match_rank(&p("linux/amd64")), None);
        assert_eq!(v7.match_rank(&p("windows/arm/v7")), None);
    }
}
