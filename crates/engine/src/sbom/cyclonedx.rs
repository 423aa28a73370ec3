//! CycloneDX 1.6 (JSON): the image is `metadata.component`, its OS and packages are
//! `components`, and one dependency entry says the image holds them all.

use serde::Serialize;

use super::license::{Expression, License};
use super::naming::{self, document_uuid, image_purl, is_purl, package_keys};
use super::properties::{self, Facts};
use super::{SbomOptions, SbomSubject, Timestamp};
use crate::packages::{OsRelease, Package};

/// The spec's limit on a component `version` (`definitions.version.maxLength`).
const VERSION_MAX_CHARS: usize = 1024;

/// A CycloneDX 1.6 BOM. Serialise it with serde (or use [`super::SbomFormat::render`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CycloneDxBom {
    bom_format: &'static str,
    spec_version: &'static str,
    serial_number: String,
    version: u32,
    metadata: Metadata,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    components: Vec<Component>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    dependencies: Vec<Dependency>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
struct Metadata {
    timestamp: Timestamp,
    tools: Tools,
    component: Component,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
struct Tools {
    components: Vec<Component>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
struct Component {
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(rename = "bom-ref", skip_serializing_if = "Option::is_none")]
    bom_ref: Option<String>,
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    hashes: Vec<Hash>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    licenses: Vec<LicenseChoice>,
    #[serde(skip_serializing_if = "Option::is_none")]
    purl: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    properties: Vec<Property>,
}

impl Component {
    fn new(kind: &'static str, name: &str) -> Component {
        Component {
            kind,
            bom_ref: None,
            name: name.to_owned(),
            version: None,
            description: None,
            hashes: Vec::new(),
            licenses: Vec::new(),
            purl: None,
            properties: Vec::new(),
        }
    }

    /// Sets the version, shortened to the spec's limit; a shortened version is also kept
    /// whole in a property.
    fn version(&mut self, version: &str) {
        if version.is_empty() {
            return;
        }
        let (kept, cut) = naming::truncate_chars(version, VERSION_MAX_CHARS);
        self.version = Some(kept.to_owned());
        if cut {
            self.properties.push(Property {
                name: properties::PACKAGE_VERSION.to_owned(),
                value: version.to_owned(),
            });
        }
    }

    fn facts(&mut self, facts: Facts) {
        self.properties.extend(
            facts
                .0
                .into_iter()
                .map(|(name, value)| Property { name, value }),
        );
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
struct Hash {
    alg: &'static str,
    content: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(untagged)]
enum LicenseChoice {
    License {
        license: LicenseEntry,
    },
    Expression {
        expression: String,
        acknowledgement: &'static str,
    },
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
struct LicenseEntry {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    acknowledgement: &'static str,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
struct Property {
    name: String,
    value: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
struct Dependency {
    #[serde(rename = "ref")]
    reference: String,
    #[serde(rename = "dependsOn")]
    depends_on: Vec<String>,
}

/// Licences as the package declares them (not as anyone concluded).
const DECLARED: &str = "declared";

/// The licences a package declares, as CycloneDX wants them: one SPDX expression when
/// they all are valid SPDX and one is more than an identifier (several are joined with
/// `AND`); otherwise a list of SPDX identifiers and names.
fn licenses(declared: &[String]) -> Vec<LicenseChoice> {
    let mut classified: Vec<License> = Vec::new();
    for license in declared.iter().filter_map(|raw| License::classify(raw)) {
        if !classified.contains(&license) {
            classified.push(license);
        }
    }
    let has_compound = classified
        .iter()
        .any(|l| matches!(l, License::Expression(_)));
    let all_spdx = classified.iter().all(|l| !matches!(l, License::Name(_)));
    if has_compound && all_spdx {
        let joined = Expression::all(classified.iter().filter_map(License::expression));
        if let Some(expression) = joined {
            return vec![LicenseChoice::Expression {
                expression: expression.to_string(),
                acknowledgement: DECLARED,
            }];
        }
    }
    classified
        .into_iter()
        .map(|license| {
            let (id, name) = match license {
                License::Id(id) => (Some(id), None),
                // Mixed with a name, an expression can only be carried as a name.
                License::Expression(expression) => (None, Some(expression.to_string())),
                License::Name(name) => (None, Some(name)),
            };
            LicenseChoice::License {
                license: LicenseEntry {
                    id,
                    name,
                    acknowledgement: DECLARED,
                },
            }
        })
        .collect()
}

/// The CycloneDX 1.6 BOM of `subject`.
pub fn cyclonedx(subject: &SbomSubject, options: &SbomOptions) -> CycloneDxBom {
    let image = image_component(subject);
    let image_ref = image.bom_ref.clone().unwrap_or_default();

    let mut components = Vec::new();
    if let Some(os) = &subject.os {
        components.push(os_component(os));
    }
    let keys = package_keys(&subject.packages);
    for (package, key) in subject.packages.iter().zip(keys) {
        components.push(package_component(subject, package, key));
    }
    let dependencies = if components.is_empty() {
        Vec::new()
    } else {
        vec![Dependency {
            reference: image_ref,
            depends_on: components
                .iter()
                .filter_map(|c| c.bom_ref.clone())
                .collect(),
        }]
    };

    let mut tool = Component::new("application", "porthole");
    let (tool_version, _) = naming::truncate_chars(&options.tool_version, VERSION_MAX_CHARS);
    tool.version = Some(tool_version.to_owned()).filter(|v| !v.is_empty());

    CycloneDxBom {
        bom_format: "CycloneDX",
        spec_version: "1.6",
        serial_number: format!("urn:uuid:{}", document_uuid("cyclonedx", subject, options)),
        version: 1,
        metadata: Metadata {
            timestamp: options.created,
            tools: Tools {
                components: vec![tool],
            },
            component: image,
        },
        components,
        dependencies,
    }
}

/// The image: named by its repository (or its digest), versioned by its manifest digest.
fn image_component(subject: &SbomSubject) -> Component {
    let digest = subject.manifest_digest.to_string();
    let name = match &subject.reference {
        Some(reference) => reference.name(),
        None => digest.clone(),
    };
    let purl = image_purl(subject);
    let mut image = Component::new("container", &name);
    image.bom_ref = Some(purl.clone().unwrap_or_else(|| digest.clone()));
    image.version(&digest);
    image.hashes.push(Hash {
        alg: "SHA-256",
        content: subject.manifest_digest.hex().to_owned(),
    });
    image.purl = purl;
    image.facts(properties::image_facts(subject));
    image
}

fn os_component(os: &OsRelease) -> Component {
    let mut component = Component::new("operating-system", &os.id);
    let slug = naming::sanitize(&os.id, 48);
    component.bom_ref = Some(if slug.is_empty() {
        "operating-system".to_owned()
    } else {
        format!("operating-system-{slug}")
    });
    if let Some(version) = os.version_id.as_deref().or(os.version.as_deref()) {
        component.version(version);
    }
    component.description = os.pretty_name.clone().filter(|p| !p.is_empty());
    let mut facts = Facts::default();
    if !os.location.is_empty() {
        facts.push(properties::LOCATION, os.location.as_str());
    }
    if let Some(codename) = os.version_codename.as_deref().filter(|c| !c.is_empty()) {
        facts.push("porthole:os:codename", codename);
    }
    component.facts(facts);
    component
}

fn package_component(subject: &SbomSubject, package: &Package, key: String) -> Component {
    let mut component = Component::new("library", &package.name);
    component.bom_ref = Some(key);
    component.version(&package.version);
    component.purl = is_purl(&package.purl).then(|| package.purl.clone());
    component.licenses = licenses(&package.licenses);
    component.facts(properties::package_facts(subject, package));
    component
}

#[cfg(test)]
mod tests {
    use super::*;

    fn choices(raw: &[&str]) -> serde_json::Value {
        let raw: Vec<String> = raw.iter().map(|s| (*s).to_owned()).collect();
        serde_json::to_value(licenses(&raw)).unwrap()
    }

    #[test]
    fn ids_and_names_stay_a_list() {
        assert_eq!(
            choices(&["mit", "GPL-2+", "MIT", " "]),
            serde_json::json!([
                {"license": {"id": "MIT", "acknowledgement": "declared"}},
                {"license": {"name": "GPL-2+", "acknowledgement": "declared"}},
            ])
        );
    }

    #[test]
    fn expressions_are_joined_into_one() {
        assert_eq!(
            choices(&["BSD-3-Clause OR MIT", "Zlib"]),
            serde_json::json!([
                {"expression": "(BSD-3-Clause OR MIT) AND Zlib", "acknowledgement": "declared"},
            ])
        );
    }

    #[test]
    fn an_expression_beside_a_name_becomes_a_name() {
        assert_eq!(
            choices(&["MIT or Apache-2.0", "Apache 2.0"]),
            serde_json::json!([
                {"license": {"name": "MIT OR Apache-2.0", "acknowledgement": "declared"}},
                {"license": {"name": "Apache 2.0", "acknowledgement": "declared"}},
            ])
        );
    }

    #[test]
    fn no_licences_no_field() {
        assert_eq!(choices(&[]), serde_json::json!([]));
    }
}
