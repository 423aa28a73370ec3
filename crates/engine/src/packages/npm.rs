//! Node packages: `node_modules/<name>/package.json` and
//! `node_modules/@scope/<name>/package.json` at any depth (what `npm ls --all` walks). A
//! `package.json` deeper inside a package (`node_modules/x/lib/package.json`) is not a
//! package of its own and is not wanted; nor is the application's own `package.json`.

use serde_json::Value;

use super::{DetectContext, Detector, MIB, Package, PackageError, PackageType};

/// The node_modules detector.
pub struct NpmDetector;

impl Detector for NpmDetector {
    fn name(&self) -> &'static str {
        "npm"
    }

    fn wants(&self, path: &str, _mode: u32) -> bool {
        let Some(dir) = path.strip_suffix("/package.json") else {
            return false;
        };
        let Some((_, name)) = dir.rsplit_once("/node_modules/") else {
            return false;
        };
        match name.split_once('/') {
            None => !name.is_empty() && !name.starts_with('.') && !name.starts_with('@'),
            Some((scope, name)) => {
                scope.len() > 1 && scope.starts_with('@') && !name.is_empty() && !name.contains('/')
            }
        }
    }

    fn max_file_size(&self) -> u64 {
        4 * MIB
    }

    fn parse(
        &self,
        path: &str,
        bytes: &[u8],
        _ctx: &DetectContext,
    ) -> Result<Vec<Package>, PackageError> {
        let json: Value = serde_json::from_slice(bytes).map_err(|e| PackageError::json(path, e))?;
        let (Some(name), Some(version)) = (
            json.get("name").and_then(Value::as_str),
            json.get("version").and_then(Value::as_str),
        ) else {
            return Ok(Vec::new());
        };
        if name.is_empty() || version.is_empty() {
            return Ok(Vec::new());
        }
        let mut p = Package::new(PackageType::Npm, name, version, path);
        p.purl = super::purl::npm(name, version);
        p.licenses = licenses(&json);
        Ok(vec![p])
    }
}

/// `"license": "MIT"`, `"license": {"type": "MIT"}`, or the old
/// `"licenses": [{"type": "MIT"}, "BSD"]`.
fn licenses(json: &Value) -> Vec<String> {
    let one = |v: &Value| match v {
        Value::String(s) => Some(s.clone()),
        Value::Object(o) => o.get("type").and_then(Value::as_str).map(str::to_owned),
        _ => None,
    };
    let mut out: Vec<String> = json.get("license").and_then(one).into_iter().collect();
    if out.is_empty()
        && let Some(list) = json.get("licenses")
    {
        match list {
            Value::Array(items) => out.extend(items.iter().filter_map(one)),
            other => out.extend(one(other)),
        }
    }
    out.retain(|l| !l.is_empty());
    out
}
