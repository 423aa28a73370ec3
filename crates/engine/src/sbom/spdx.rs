//! SPDX 2.3 (JSON): the document `DESCRIBES` one package for the image, which `CONTAINS`
//! a package for its OS and one for each package found in it.

use std::collections::{HashMap, HashSet};

use serde::Serialize;

use super::license::{Expression, License};
use super::license_list::LICENSE_LIST_VERSION;
use super::naming::{self, document_uuid, image_purl, is_purl, package_keys};
use super::properties::{self, Facts};
use super::{SbomOptions, SbomSubject, Timestamp};
use crate::packages::OsRelease;

const NOASSERTION: &str = "NOASSERTION";
const DOCUMENT_ID: &str = "SPDXRef-DOCUMENT";
const IMAGE_ID: &str = "SPDXRef-Image";
const OS_ID: &str = "SPDXRef-OperatingSystem";
/// How many characters of a licence name a `LicenseRef-` keeps.
const LICENSE_REF_MAX: usize = 56;

/// An SPDX 2.3 document. Serialise it with serde (or use [`super::SbomFormat::render`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SpdxDocument {
    spdx_version: &'static str,
    data_license: &'static str,
    #[serde(rename = "SPDXID")]
    spdx_id: &'static str,
    name: String,
    document_namespace: String,
    creation_info: CreationInfo,
    packages: Vec<SpdxPackage>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    has_extracted_licensing_infos: Vec<ExtractedLicense>,
    relationships: Vec<Relationship>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
struct CreationInfo {
    created: Timestamp,
    creators: Vec<String>,
    license_list_version: &'static str,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
struct SpdxPackage {
    #[serde(rename = "SPDXID")]
    spdx_id: String,
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    version_info: Option<String>,
    download_location: &'static str,
    files_analyzed: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    checksums: Vec<Checksum>,
    #[serde(skip_serializing_if = "Option::is_none")]
    primary_package_purpose: Option<&'static str>,
    license_concluded: &'static str,
    license_declared: String,
    copyright_text: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    source_info: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    external_refs: Vec<ExternalRef>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    annotations: Vec<Annotation>,
}

impl SpdxPackage {
    fn new(spdx_id: String, name: &str, version: Option<&str>) -> SpdxPackage {
        SpdxPackage {
            spdx_id,
            name: name.to_owned(),
            version_info: version.filter(|v| !v.is_empty()).map(str::to_owned),
            download_location: NOASSERTION,
            files_analyzed: false,
            checksums: Vec::new(),
            primary_package_purpose: None,
            license_concluded: NOASSERTION,
            license_declared: NOASSERTION.to_owned(),
            copyright_text: NOASSERTION,
            description: None,
            source_info: None,
            external_refs: Vec::new(),
            annotations: Vec::new(),
        }
    }

    fn purl(&mut self, purl: &str) {
        if is_purl(purl) {
            self.external_refs.push(ExternalRef {
                reference_category: "PACKAGE-MANAGER",
                reference_type: "purl",
                reference_locator: purl.to_owned(),
            });
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
struct Checksum {
    algorithm: &'static str,
    checksum_value: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
struct ExternalRef {
    reference_category: &'static str,
    reference_type: &'static str,
    reference_locator: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
struct Annotation {
    annotation_date: Timestamp,
    annotation_type: &'static str,
    annotator: String,
    comment: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
struct ExtractedLicense {
    license_id: String,
    name: String,
    extracted_text: String,
    comment: &'static str,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
struct Relationship {
    spdx_element_id: String,
    relationship_type: &'static str,
    related_spdx_element: String,
}

/// The SPDX 2.3 document of `subject`.
pub fn spdx(subject: &SbomSubject, options: &SbomOptions) -> SpdxDocument {
    let tool = format!("Tool: porthole-{}", options.tool_version);
    let annotation = |facts: &Facts| Annotation {
        annotation_date: options.created,
        annotation_type: "OTHER",
        annotator: tool.clone(),
        comment: serde_json::to_string(facts).expect("facts serialise"),
    };

    let name = match &subject.reference {
        Some(reference) => reference.to_string(),
        None => subject.manifest_digest.to_string(),
    };
    let slug = naming::sanitize(&name, 64);
    let uuid = document_uuid("spdx", subject, options);
    let document_namespace = format!(
        "https://spdx.org/spdxdocs/porthole/{}-{uuid}",
        if slug.is_empty() { "image" } else { &slug }
    );

    let mut packages = vec![image_package(
        subject,
        annotation(&properties::image_facts(subject)),
    )];
    let mut relationships = vec![relationship(DOCUMENT_ID, "DESCRIBES", IMAGE_ID)];
    if let Some(os) = &subject.os {
        packages.push(os_package(os));
        relationships.push(relationship(IMAGE_ID, "CONTAINS", OS_ID));
    }
    let mut licenses = LicenseRefs::default();
    let keys = package_keys(&subject.packages);
    for (package, key) in subject.packages.iter().zip(keys) {
        let id = format!("SPDXRef-Package-{key}");
        let mut spdx = SpdxPackage::new(id.clone(), &package.name, Some(&package.version));
        spdx.license_declared = licenses.declared(&package.licenses);
        spdx.source_info = Some(properties::package_source_info(subject, package));
        spdx.purl(&package.purl);
        spdx.annotations
            .push(annotation(&properties::package_facts(subject, package)));
        packages.push(spdx);
        relationships.push(relationship(IMAGE_ID, "CONTAINS", &id));
    }

    SpdxDocument {
        spdx_version: "SPDX-2.3",
        data_license: "CC0-1.0",
        spdx_id: DOCUMENT_ID,
        name,
        document_namespace,
        creation_info: CreationInfo {
            created: options.created,
            creators: vec![tool.clone()],
            license_list_version: LICENSE_LIST_VERSION,
        },
        packages,
        has_extracted_licensing_infos: licenses.extracted,
        relationships,
    }
}

fn relationship(from: &str, kind: &'static str, to: &str) -> Relationship {
    Relationship {
        spdx_element_id: from.to_owned(),
        relationship_type: kind,
        related_spdx_element: to.to_owned(),
    }
}

fn image_package(subject: &SbomSubject, annotation: Annotation) -> SpdxPackage {
    let digest = subject.manifest_digest.to_string();
    let name = match &subject.reference {
        Some(reference) => reference.name(),
        None => digest.clone(),
    };
    let mut image = SpdxPackage::new(IMAGE_ID.to_owned(), &name, Some(&digest));
    image.primary_package_purpose = Some("CONTAINER");
    image.checksums.push(Checksum {
        algorithm: "SHA256",
        checksum_value: subject.manifest_digest.hex().to_owned(),
    });
    if let Some(purl) = image_purl(subject) {
        image.purl(&purl);
    }
    image.annotations.push(annotation);
    image
}

fn os_package(os: &OsRelease) -> SpdxPackage {
    let version = os.version_id.as_deref().or(os.version.as_deref());
    let mut package = SpdxPackage::new(OS_ID.to_owned(), &os.id, version);
    package.primary_package_purpose = Some("OPERATING_SYSTEM");
    package.description = os.pretty_name.clone().filter(|p| !p.is_empty());
    if !os.location.is_empty() {
        package.source_info = Some(format!(
            "acquired by porthole from the image: found in {}",
            os.location
        ));
    }
    package
}

/// The `LicenseRef-`s a document defines for declared licences that are not SPDX: one per
/// distinct text, with an identifier made from the text (`Apache 2.0` →
/// `LicenseRef-Apache-2.0`, `GPL-2+` → `LicenseRef-GPL-2-plus`), unique ignoring case.
#[derive(Default)]
struct LicenseRefs {
    by_text: HashMap<String, String>,
    used: HashSet<String>,
    extracted: Vec<ExtractedLicense>,
}

impl LicenseRefs {
    /// `licenseDeclared` for a package declaring `raw`: its licences joined with `AND`,
    /// each an SPDX expression or a `LicenseRef-` defined here; `NOASSERTION` for none.
    fn declared(&mut self, raw: &[String]) -> String {
        let mut parts: Vec<Expression> = Vec::new();
        for license in raw.iter().filter_map(|r| License::classify(r)) {
            let part = match license.expression() {
                Some(expression) => expression,
                None => match license {
                    License::Name(text) => self.define(text),
                    _ => continue,
                },
            };
            if !parts.contains(&part) {
                parts.push(part);
            }
        }
        Expression::all(parts).map_or_else(|| NOASSERTION.to_owned(), |e| e.to_string())
    }

    fn define(&mut self, text: String) -> Expression {
        if let Some(id) = self.by_text.get(&text) {
            return Expression::license_ref(id);
        }
        // `GPL-2+` and `GPL-2` are different licences: keep the `+` visible.
        let base = naming::sanitize(&text.replace('+', "-plus-"), LICENSE_REF_MAX);
        let base = if base.is_empty() {
            "unnamed".to_owned()
        } else {
            base
        };
        let id = naming::unique(&mut self.used, base);
        let expression = Expression::license_ref(&id);
        self.extracted.push(ExtractedLicense {
            license_id: expression.to_string(),
            name: text.clone(),
            extracted_text: text.clone(),
            comment: "The licence as a package in the image declares it; it is not an SPDX \
                      license expression.",
        });
        self.by_text.insert(text, id);
        expression
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn declared(refs: &mut LicenseRefs, raw: &[&str]) -> String {
        let raw: Vec<String> = raw.iter().map(|s| (*s).to_owned()).collect();
        refs.declared(&raw)
    }

    #[test]
    fn declared_licences_become_one_valid_expression() {
        let mut refs = LicenseRefs::default();
        assert_eq!(declared(&mut refs, &[]), "NOASSERTION");
        assert_eq!(declared(&mut refs, &["", "  "]), "NOASSERTION");
        assert_eq!(declared(&mut refs, &["mit", "MIT"]), "MIT");
        assert_eq!(
            declared(&mut refs, &["GPL-2+", "BSD-3-Clause OR MIT", "Apache 2.0"]),
            "LicenseRef-GPL-2-plus AND (BSD-3-Clause OR MIT) AND LicenseRef-Apache-2.0"
        );
        assert_eq!(
            declared(&mut refs, &["GPL-2+", "Apache_2.0", "GPL 2"]),
            "LicenseRef-GPL-2-plus AND LicenseRef-Apache-2.0-2 AND LicenseRef-GPL-2"
        );
        assert_eq!(declared(&mut refs, &["名前"]), "LicenseRef-unnamed");
        let ids: Vec<&str> = refs
            .extracted
            .iter()
            .map(|e| e.license_id.as_str())
            .collect();
        assert_eq!(
            ids,
            [
                "LicenseRef-GPL-2-plus",
                "LicenseRef-Apache-2.0",
                "LicenseRef-Apache-2.0-2",
                "LicenseRef-GPL-2",
                "LicenseRef-unnamed"
            ]
        );
        assert_eq!(refs.extracted[0].extracted_text, "GPL-2+");
    }
}
