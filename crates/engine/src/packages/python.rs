//! Python distributions: `*.dist-info/METADATA` (wheels, pip) and `*.egg-info/PKG-INFO` or a
//! bare `*.egg-info` file (setuptools, eggs), wherever they are installed. Both are email
//! headers: `Name`, `Version`, and the license as `License-Expression` (PEP 639), `License`
//! (one line) or `Classifier: License :: …`. The name and version are what `pip list` shows.

use super::purl::Purl;
use super::{DetectContext, Detector, MIB, Package, PackageError, PackageType, file_name, parent};

/// The Python metadata detector.
pub struct PythonDetector;

impl Detector for PythonDetector {
    fn name(&self) -> &'static str {
        "python"
    }

    fn wants(&self, path: &str, _mode: u32) -> bool {
        let dir = file_name(parent(path));
        match file_name(path) {
            "METADATA" => dir.ends_with(".dist-info"),
            "PKG-INFO" => dir.ends_with(".egg-info"),
            name => name.ends_with(".egg-info"),
        }
    }

    fn max_file_size(&self) -> u64 {
        8 * MIB
    }

    fn parse(
        &self,
        path: &str,
        bytes: &[u8],
        _ctx: &DetectContext,
    ) -> Result<Vec<Package>, PackageError> {
        let text = String::from_utf8_lossy(bytes);
        // The headers end at the first empty line (a line of spaces continues a folded
        // header, unlike in dpkg's format); the body is the long description.
        let head = text
            .split_inclusive('\n')
            .take_while(|line| !line.trim_end_matches(['\r', '\n']).is_empty())
            .collect::<String>();
        let head = head.as_str();
        let fields = super::dpkg::fields(head);
        let get = |k| super::dpkg::field(&fields, k);
        let (Some(name), Some(version)) = (get("Name"), get("Version")) else {
            return Ok(Vec::new());
        };
        let mut p = Package::new(PackageType::Python, name, version, path);
        p.purl = Purl::new("pypi", name)
            .version(version.to_owned())
            .to_string();
        p.licenses = licenses(&fields);
        Ok(vec![p])
    }
}

fn licenses(fields: &[(&str, String)]) -> Vec<String> {
    if let Some(expr) = super::dpkg::field(fields, "License-Expression") {
        return vec![expr.to_owned()];
    }
    if let Some(license) = super::dpkg::field(fields, "License")
        && !license.contains('\n')
        && license.len() <= 100
        && !license.eq_ignore_ascii_case("UNKNOWN")
    {
        return vec![license.to_owned()];
    }
    fields
        .iter()
        .filter(|(k, _)| k.eq_ignore_ascii_case("Classifier"))
        .filter_map(|(_, v)| v.strip_prefix("License ::"))
        .filter_map(|v| v.rsplit("::").next().map(str::trim))
        .filter(|v| !v.is_empty() && *v != "OSI Approved")
        .map(str::to_owned)
        .collect()
}

/// The files a wheel installed, from its `RECORD` (`path,hash,size` CSV, paths relative to
/// the directory holding the `.dist-info`), as absolute paths. `record_path` is the
/// absolute path of the RECORD file itself.
pub fn record_files(record_path: &str, bytes: &[u8]) -> Vec<String> {
    let site = parent(parent(record_path));
    let mut out = Vec::new();
    for line in String::from_utf8_lossy(bytes).lines() {
        let file = match line.strip_prefix('"') {
            Some(quoted) => quoted.split('"').next().unwrap_or(""),
            None => line.split(',').next().unwrap_or(""),
        };
        if file.is_empty() {
            continue;
        }
        let joined = if file.starts_with('/') {
            file.to_owned()
        } else {
            format!("{site}/{file}")
        };
        let mut parts: Vec<&str> = Vec::new();
        for part in joined.split('/') {
            match part {
                "" | "." => {}
                ".." => {
                    parts.pop();
                }
                other => parts.push(other),
            }
        }
        if !parts.is_empty() {
            out.push(format!("/{}", parts.join("/")));
        }
    }
    out
}
