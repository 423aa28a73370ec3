//! Ruby gems: the `specifications/*.gemspec` files RubyGems writes for each installed gem
//! (`Gem::Specification.new do |s| s.name = "rake".freeze; s.version = "13.0.6"; …`). The
//! generated Ruby is read as text, never evaluated: `name`, `version` (a string or
//! `Gem::Version.new("…")`), `licenses`/`license` and `platform` (a native gem's, such as
//! `x86_64-linux`, which becomes the purl's `platform` qualifier and the arch).

use super::purl::Purl;
use super::{DetectContext, Detector, MIB, Package, PackageError, PackageType, file_name, parent};

/// The gemspec detector.
pub struct RubyDetector;

impl Detector for RubyDetector {
    fn name(&self) -> &'static str {
        "ruby"
    }

    fn wants(&self, path: &str, _mode: u32) -> bool {
        path.ends_with(".gemspec") && file_name(parent(path)) == "specifications"
    }

    fn max_file_size(&self) -> u64 {
        MIB
    }

    fn parse(
        &self,
        path: &str,
        bytes: &[u8],
        _ctx: &DetectContext,
    ) -> Result<Vec<Package>, PackageError> {
        let text = String::from_utf8_lossy(bytes);
        let mut name = None;
        let mut version = None;
        let mut licenses = Vec::new();
        let mut platform = None;
        for line in text.lines() {
            let line = line.trim();
            let Some((lhs, rhs)) = line.split_once('=') else {
                continue;
            };
            let Some(attr) = lhs.trim().rsplit_once('.').map(|(_, a)| a.trim()) else {
                continue;
            };
            let rhs = rhs.trim_start_matches('=').trim();
            match attr {
                "name" if name.is_none() => name = strings(rhs).into_iter().next(),
                "version" if version.is_none() => version = strings(rhs).into_iter().next(),
                "licenses" | "license" if licenses.is_empty() => licenses = strings(rhs),
                "platform" if platform.is_none() => platform = strings(rhs).into_iter().next(),
                _ => {}
            }
        }
        let (Some(name), Some(version)) = (name, version) else {
            return Ok(Vec::new());
        };
        let mut p = Package::new(PackageType::Gem, &name, &version, path);
        p.purl = Purl::new("gem", &name)
            .version(version.clone())
            .qualifier("platform", platform.clone().filter(|p| p != "ruby"))
            .to_string();
        p.arch = platform.filter(|p| p != "ruby");
        p.licenses = licenses;
        Ok(vec![p])
    }
}

/// The string literals in a Ruby expression (`["MIT".freeze, 'Ruby']` → `MIT`, `Ruby`).
fn strings(expr: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut chars = expr.chars();
    while let Some(c) = chars.next() {
        if c == '#' {
            break;
        }
        if c != '"' && c != '\'' {
            continue;
        }
        let mut s = String::new();
        while let Some(d) = chars.next() {
            match d {
                '\\' => {
                    if let Some(e) = chars.next() {
                        s.push(e);
                    }
                }
                d if d == c => break,
                d => s.push(d),
            }
        }
        out.push(s);
    }
    out
}
