//! PHP packages: Composer's `vendor/composer/installed.json`, a JSON array of packages in
//! Composer 1 and `{"packages": [...], "dev": …}` in Composer 2. Each entry has `name`
//! (`vendor/package`), `version` and `license` (a list, or a string).

use serde_json::Value;

use super::purl::Purl;
use super::{DetectContext, Detector, MIB, Package, PackageError, PackageType};

/// The Composer detector.
pub struct PhpDetector;

impl Detector for PhpDetector {
    fn name(&self) -> &'static str {
        "composer"
    }

    fn wants(&self, path: &str, _mode: u32) -> bool {
        path.ends_with("/vendor/composer/installed.json")
    }

    fn max_file_size(&self) -> u64 {
        32 * MIB
    }

    fn parse(
        &self,
        path: &str,
        bytes: &[u8],
        _ctx: &DetectContext,
    ) -> Result<Vec<Package>, PackageError> {
        let json: Value = serde_json::from_slice(bytes).map_err(|e| PackageError::json(path, e))?;
        let list = match &json {
            Value::Array(items) => items,
            Value::Object(o) => match o.get("packages") {
                Some(Value::Array(items)) => items,
                _ => return Ok(Vec::new()),
            },
            _ => return Ok(Vec::new()),
        };
        Ok(list
            .iter()
            .filter_map(|entry| package(entry, path))
            .collect())
    }
}

fn package(entry: &Value, path: &str) -> Option<Package> {
    let name = entry.get("name")?.as_str()?;
    let version = entry.get("version")?.as_str()?;
    if name.is_empty() || version.is_empty() {
        return None;
    }
    let (vendor, short) = match name.split_once('/') {
        Some((vendor, short)) => (Some(vendor.to_owned()), short),
        None => (None, name),
    };
    let mut p = Package::new(PackageType::Composer, name, version, path);
    p.purl = Purl::new("composer", short)
        .namespace(vendor)
        .version(version.to_owned())
        .to_string();
    p.licenses = match entry.get("license") {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        Some(Value::String(s)) if !s.is_empty() => vec![s.clone()],
        _ => Vec::new(),
    };
    Some(p)
}
