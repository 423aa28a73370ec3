//! The `porthole:*` facts an SBOM records beyond each format's own fields: where a package
//! was found and which layer brought it in. CycloneDX carries them as component
//! `properties`; SPDX, which has none, as an annotation on the package.

use serde::ser::{Serialize, SerializeMap, Serializer};

use super::SbomSubject;
use crate::Digest;
use crate::packages::Package;

/// The index of the layer that introduced the package.
pub const LAYER_INDEX: &str = "porthole:layer:index";
/// That layer's blob digest.
pub const LAYER_DIGEST: &str = "porthole:layer:digest";
/// That layer's diff ID (the digest of its uncompressed tar).
pub const LAYER_DIFF_ID: &str = "porthole:layer:diffID";
/// The file the package was found in.
pub const LOCATION: &str = "porthole:location";
/// The ecosystem (`deb`, `npm`, …).
pub const PACKAGE_TYPE: &str = "porthole:package:type";
pub const PACKAGE_ARCH: &str = "porthole:package:arch";
/// The full version, when the format's own field had to be shortened.
pub const PACKAGE_VERSION: &str = "porthole:package:version";
pub const SOURCE_NAME: &str = "porthole:source:name";
pub const SOURCE_VERSION: &str = "porthole:source:version";

/// Ordered `name = value` facts.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Facts(pub Vec<(String, String)>);

impl Facts {
    pub fn push(&mut self, name: impl Into<String>, value: impl Into<String>) {
        self.0.push((name.into(), value.into()));
    }
}

/// As a JSON object, in order (what an SPDX annotation's comment holds).
impl Serialize for Facts {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (name, value) in &self.0 {
            map.serialize_entry(name, value)?;
        }
        map.end()
    }
}

/// The layer that introduced `package`: its index and digests, from the package and, for
/// what it lacks, from the subject's layer list.
pub(crate) struct LayerOf<'a> {
    pub index: Option<usize>,
    pub digest: Option<&'a Digest>,
    pub diff_id: Option<&'a Digest>,
}

pub(crate) fn layer_of<'a>(subject: &'a SbomSubject, package: &'a Package) -> LayerOf<'a> {
    let listed = subject
        .layers
        .iter()
        .find(|l| Some(l.index) == package.layer)
        .or_else(|| {
            let digest = package.layer_digest.as_ref()?;
            subject.layers.iter().find(|l| &l.digest == digest)
        });
    LayerOf {
        index: package.layer.or(listed.map(|l| l.index)),
        digest: package.layer_digest.as_ref().or(listed.map(|l| &l.digest)),
        diff_id: listed.and_then(|l| l.diff_id.as_ref()),
    }
}

/// Everything about `package` that the formats have no field for.
pub(crate) fn package_facts(subject: &SbomSubject, package: &Package) -> Facts {
    let mut facts = Facts::default();
    facts.push(PACKAGE_TYPE, package.kind.as_str());
    if !package.location.is_empty() {
        facts.push(LOCATION, package.location.as_str());
    }
    let layer = layer_of(subject, package);
    if let Some(index) = layer.index {
        facts.push(LAYER_INDEX, index.to_string());
    }
    if let Some(digest) = layer.digest {
        facts.push(LAYER_DIGEST, digest.to_string());
    }
    if let Some(diff_id) = layer.diff_id {
        facts.push(LAYER_DIFF_ID, diff_id.to_string());
    }
    if let Some(arch) = package.arch.as_deref().filter(|a| !a.is_empty()) {
        facts.push(PACKAGE_ARCH, arch);
    }
    if let Some(name) = package.source_name.as_deref().filter(|n| !n.is_empty()) {
        facts.push(SOURCE_NAME, name);
    }
    if let Some(version) = package.source_version.as_deref().filter(|v| !v.is_empty()) {
        facts.push(SOURCE_VERSION, version);
    }
    facts
}

/// The image's identity and layers.
pub(crate) fn image_facts(subject: &SbomSubject) -> Facts {
    let mut facts = Facts::default();
    if let Some(reference) = &subject.reference {
        facts.push("porthole:image:reference", reference.to_string());
    }
    facts.push(
        "porthole:image:manifestDigest",
        subject.manifest_digest.to_string(),
    );
    if let Some(id) = &subject.image_id {
        facts.push("porthole:image:id", id.to_string());
    }
    if let Some(platform) = &subject.platform {
        facts.push("porthole:image:platform", platform.to_string());
    }
    for layer in &subject.layers {
        let prefix = format!("porthole:image:layer:{}", layer.index);
        facts.push(format!("{prefix}:digest"), layer.digest.to_string());
        if let Some(diff_id) = &layer.diff_id {
            facts.push(format!("{prefix}:diffID"), diff_id.to_string());
        }
    }
    facts
}

/// A human-readable sentence of where `package` came from, for SPDX's `sourceInfo`:
/// `found in /var/lib/dpkg/status, introduced by layer 2 (sha256:…); source package glibc
/// 2.36-9`.
pub(crate) fn package_source_info(subject: &SbomSubject, package: &Package) -> String {
    let mut parts = Vec::new();
    if !package.location.is_empty() {
        parts.push(format!("found in {}", package.location));
    }
    let layer = layer_of(subject, package);
    match (layer.index, layer.digest) {
        (Some(index), Some(digest)) => {
            parts.push(format!("introduced by layer {index} ({digest})"));
        }
        (Some(index), None) => parts.push(format!("introduced by layer {index}")),
        (None, Some(digest)) => parts.push(format!("introduced by layer {digest}")),
        (None, None) => {}
    }
    let mut sentence = String::from("acquired by porthole from the image");
    if !parts.is_empty() {
        sentence.push_str(": ");
        sentence.push_str(&parts.join(", "));
    }
    if let Some(name) = package.source_name.as_deref().filter(|n| !n.is_empty()) {
        sentence.push_str("; source package ");
        sentence.push_str(name);
        if let Some(version) = package.source_version.as_deref().filter(|v| !v.is_empty()) {
            sentence.push(' ');
            sentence.push_str(version);
        }
    }
    sentence
}
