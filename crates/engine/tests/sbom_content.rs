//! What the SBOMs say: purls and layer facts for every package, unique identifiers, every
//! reference resolving, licences valid, hostile text carried exactly, and the same input
//! always giving the same bytes.

#[path = "fixtures/sbom/subjects.rs"]
mod subjects;

mod sbom_content {
    use std::collections::{HashMap, HashSet};

    use porthole_engine::sbom::license::{exception_id, license_id};
    use porthole_engine::sbom::{self, SbomError, SbomFormat, SbomSubject, Timestamp};
    use serde_json::Value;

    use super::subjects;

    fn cyclonedx(subject: &SbomSubject) -> Value {
        serde_json::to_value(sbom::cyclonedx(subject, &subjects::options())).unwrap()
    }

    fn spdx(subject: &SbomSubject) -> Value {
        serde_json::to_value(sbom::spdx(subject, &subjects::options())).unwrap()
    }

    fn property<'a>(component: &'a Value, name: &str) -> Option<&'a str> {
        component["properties"]
            .as_array()?
            .iter()
            .find(|p| p["name"] == name)
            .and_then(|p| p["value"].as_str())
    }

    fn str_of(value: &Value) -> &str {
        value
            .as_str()
            .unwrap_or_else(|| panic!("not a string: {value}"))
    }

    #[test]
    fn cyclonedx_image_is_the_subject_with_an_oci_purl() {
        let subject = subjects::realistic();
        let bom = cyclonedx(&subject);
        assert_eq!(bom["bomFormat"], "CycloneDX");
        assert_eq!(bom["specVersion"], "1.6");
        assert_eq!(bom["metadata"]["timestamp"], "2024-05-01T12:00:00Z");
        assert_eq!(
            bom["metadata"]["tools"]["components"][0],
            serde_json::json!({"type": "application", "name": "porthole", "version": "0.1.0"})
        );
        let image = &bom["metadata"]["component"];
        let digest = subject.manifest_digest.to_string();
        assert_eq!(image["type"], "container");
        assert_eq!(image["name"], "docker.io/library/debian");
        assert_eq!(image["version"], digest.as_str());
        assert_eq!(
            image["purl"],
            format!(
                "pkg:oci/debian@{digest}?arch=amd64&repository_url=docker.io%2Flibrary%2Fdebian&tag=12"
            )
        );
        assert_eq!(image["hashes"][0]["alg"], "SHA-256");
        assert_eq!(image["hashes"][0]["content"], subject.manifest_digest.hex());
        assert_eq!(
            property(image, "porthole:image:id"),
            Some(subject.image_id.as_ref().unwrap().to_string().as_str())
        );
        assert_eq!(
            property(image, "porthole:image:layer:3:diffID"),
            Some(
                subject.layers[3]
                    .diff_id
                    .as_ref()
                    .unwrap()
                    .to_string()
                    .as_str()
            )
        );
        let os = &bom["components"][0];
        assert_eq!(os["type"], "operating-system");
        assert_eq!(os["name"], "debian");
        assert_eq!(os["version"], "12");
        assert_eq!(os["description"], "Debian GNU/Linux 12 (bookworm)");
    }

    #[test]
    fn cyclonedx_packages_carry_purl_layer_location_and_source() {
        let subject = subjects::realistic();
        let bom = cyclonedx(&subject);
        let components = bom["components"].as_array().unwrap();
        assert_eq!(components.len(), subject.packages.len() + 1);
        for (package, component) in subject.packages.iter().zip(&components[1..]) {
            assert_eq!(component["type"], "library");
            assert_eq!(component["name"], package.name.as_str());
            assert_eq!(component["version"], package.version.as_str());
            assert_eq!(component["purl"], package.purl.as_str());
            let index = package.layer.unwrap();
            assert_eq!(
                property(component, "porthole:layer:index"),
                Some(index.to_string().as_str())
            );
            assert_eq!(
                property(component, "porthole:layer:digest"),
                Some(subject.layers[index].digest.to_string().as_str())
            );
            assert_eq!(
                property(component, "porthole:layer:diffID"),
                Some(
                    subject.layers[index]
                        .diff_id
                        .as_ref()
                        .unwrap()
                        .to_string()
                        .as_str()
                )
            );
            assert_eq!(
                property(component, "porthole:location"),
                Some(package.location.as_str())
            );
            assert_eq!(
                property(component, "porthole:package:type"),
                Some(package.kind.as_str())
            );
            assert_eq!(
                property(component, "porthole:source:name"),
                package.source_name.as_deref()
            );
            assert_eq!(
                property(component, "porthole:source:version"),
                package.source_version.as_deref()
            );
        }
    }

    #[test]
    fn cyclonedx_bom_refs_are_unique_and_dependencies_resolve() {
        for subject in [subjects::realistic(), subjects::hostile()] {
            let bom = cyclonedx(&subject);
            let mut refs = HashSet::new();
            let image_ref = str_of(&bom["metadata"]["component"]["bom-ref"]);
            assert!(refs.insert(image_ref.to_owned()));
            for component in bom["components"].as_array().unwrap() {
                let bom_ref = str_of(&component["bom-ref"]);
                assert!(!bom_ref.is_empty());
                assert!(refs.insert(bom_ref.to_owned()), "{bom_ref} twice");
            }
            let dependencies = bom["dependencies"].as_array().unwrap();
            assert_eq!(dependencies.len(), 1);
            assert_eq!(dependencies[0]["ref"], image_ref);
            let depends_on = dependencies[0]["dependsOn"].as_array().unwrap();
            assert_eq!(depends_on.len(), refs.len() - 1);
            for bom_ref in depends_on {
                assert!(refs.contains(str_of(bom_ref)));
            }
        }
    }

    #[test]
    fn cyclonedx_licences_use_ids_expressions_and_names() {
        let bom = cyclonedx(&subjects::realistic());
        let by_name = |name: &str, version: &str| -> Value {
            bom["components"]
                .as_array()
                .unwrap()
                .iter()
                .find(|c| c["name"] == name && c["version"] == version)
                .unwrap_or_else(|| panic!("{name} {version}"))["licenses"]
                .clone()
        };
        let declared = |v: Value| {
            let mut v = v;
            v.as_object_mut()
                .unwrap()
                .insert("acknowledgement".into(), "declared".into());
            v
        };
        use serde_json::json;
        assert_eq!(
            by_name("libssl3", "3.0.11-1~deb12u2"),
            json!([
                {"license": declared(json!({"id": "Apache-2.0"}))},
                {"license": declared(json!({"name": "Expat"}))},
                {"license": declared(json!({"id": "BSD-3-Clause"}))},
            ])
        );
        assert_eq!(
            by_name("serde", "1.0.195"),
            json!([declared(json!({"expression": "MIT OR Apache-2.0"}))])
        );
        assert_eq!(
            by_name("dual", "2.0.0"),
            json!([declared(json!({"expression": "MIT OR Apache-2.0"}))])
        );
        assert_eq!(
            by_name("libgcc-s1", "12.2.0-14"),
            json!([
                {"license": declared(json!({"name": "GPL-3.0-or-later WITH GCC-exception-3.1"}))},
                {"license": declared(json!({"name": "Artistic"}))},
                {"license": declared(json!({"name": "GFDL-1.2+"}))},
            ])
        );
        assert_eq!(by_name("github.com/pkg/errors", "v0.9.1"), Value::Null);
    }

    /// `SPDXRef-` followed by at least one of `[A-Za-z0-9.-]`.
    fn valid_spdx_id(id: &str) -> bool {
        id.strip_prefix("SPDXRef-").is_some_and(|rest| {
            !rest.is_empty()
                && rest
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
        })
    }

    /// Checks `expression` against the SPDX 2.3 grammar (Annex D): listed identifiers
    /// (optionally `+`), `WITH` a listed exception, `AND`, `OR`, balanced parentheses,
    /// and `LicenseRef-`s the document defines.
    fn valid_license_expression(expression: &str, defined: &HashSet<String>) -> bool {
        if expression == "NOASSERTION" || expression == "NONE" {
            return true;
        }
        let spaced = expression.replace('(', " ( ").replace(')', " ) ");
        let tokens: Vec<&str> = spaced.split(' ').filter(|t| !t.is_empty()).collect();
        // operand := license ["WITH" exception] | "(" expr ")"; expr := operand (op operand)*
        let mut depth = 0usize;
        let mut expect_operand = true;
        let mut i = 0;
        while i < tokens.len() {
            let t = tokens[i];
            if expect_operand {
                if t == "(" {
                    depth += 1;
                } else {
                    let base = t.strip_suffix('+').unwrap_or(t);
                    let known = license_id(t).is_some_and(|id| id == t)
                        || license_id(base).is_some_and(|id| id == base)
                        || (defined.contains(t) && t.starts_with("LicenseRef-"));
                    if !known {
                        return false;
                    }
                    if tokens.get(i + 1) == Some(&"WITH") {
                        match tokens.get(i + 2) {
                            Some(e) if exception_id(e).is_some_and(|id| id == *e) => i += 2,
                            _ => return false,
                        }
                    }
                    expect_operand = false;
                }
            } else if t == ")" {
                if depth == 0 {
                    return false;
                }
                depth -= 1;
            } else if t == "AND" || t == "OR" {
                expect_operand = true;
            } else {
                return false;
            }
            i += 1;
        }
        !expect_operand && depth == 0
    }

    #[test]
    fn spdx_ids_are_valid_unique_and_every_reference_resolves() {
        for subject in [
            subjects::realistic(),
            subjects::hostile(),
            subjects::minimal(),
        ] {
            let document = spdx(&subject);
            assert_eq!(document["SPDXID"], "SPDXRef-DOCUMENT");
            let mut ids = HashSet::from(["SPDXRef-DOCUMENT".to_owned()]);
            let packages = document["packages"].as_array().unwrap();
            for package in packages {
                let id = str_of(&package["SPDXID"]);
                assert!(valid_spdx_id(id), "{id:?}");
                assert!(ids.insert(id.to_owned()), "{id} twice");
                assert_eq!(package["downloadLocation"], "NOASSERTION");
                assert_eq!(package["filesAnalyzed"], false);
            }
            let relationships = document["relationships"].as_array().unwrap();
            assert_eq!(relationships.len(), packages.len());
            assert_eq!(
                relationships[0],
                serde_json::json!({
                    "spdxElementId": "SPDXRef-DOCUMENT",
                    "relationshipType": "DESCRIBES",
                    "relatedSpdxElement": "SPDXRef-Image",
                })
            );
            let mut contained = HashSet::new();
            for relationship in &relationships[1..] {
                assert_eq!(relationship["spdxElementId"], "SPDXRef-Image");
                assert_eq!(relationship["relationshipType"], "CONTAINS");
                let to = str_of(&relationship["relatedSpdxElement"]);
                assert!(ids.contains(to));
                assert!(contained.insert(to.to_owned()));
            }
            assert_eq!(contained.len(), packages.len() - 1);

            let mut defined = HashSet::new();
            if let Some(extracted) = document["hasExtractedLicensingInfos"].as_array() {
                for info in extracted {
                    let id = str_of(&info["licenseId"]);
                    assert!(
                        id.strip_prefix("LicenseRef-")
                            .is_some_and(|rest| !rest.is_empty()
                                && rest
                                    .chars()
                                    .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')),
                        "{id:?}"
                    );
                    assert!(defined.insert(id.to_owned()), "{id} defined twice");
                }
            }
            let mut used = HashSet::new();
            for package in packages {
                let declared = str_of(&package["licenseDeclared"]);
                assert!(
                    valid_license_expression(declared, &defined),
                    "invalid licenseDeclared {declared:?}"
                );
                used.extend(
                    declared
                        .split([' ', '(', ')'])
                        .filter(|t| t.starts_with("LicenseRef-"))
                        .map(str::to_owned),
                );
                assert_eq!(package["licenseConcluded"], "NOASSERTION");
            }
            assert_eq!(
                used, defined,
                "every LicenseRef defined is used, and only those"
            );
        }
    }

    #[test]
    fn spdx_packages_carry_purl_and_introducing_layer() {
        let subject = subjects::realistic();
        let document = spdx(&subject);
        assert_eq!(document["spdxVersion"], "SPDX-2.3");
        assert_eq!(document["dataLicense"], "CC0-1.0");
        assert_eq!(document["name"], "docker.io/library/debian:12");
        assert_eq!(
            document["creationInfo"]["creators"],
            serde_json::json!(["Tool: porthole-0.1.0"])
        );
        assert_eq!(document["creationInfo"]["created"], "2024-05-01T12:00:00Z");
        let namespace = str_of(&document["documentNamespace"]);
        assert!(
            namespace
                .starts_with("https://spdx.org/spdxdocs/porthole/docker.io-library-debian-12-"),
            "{namespace}"
        );
        assert!(!namespace.contains('#'));

        let packages = document["packages"].as_array().unwrap();
        let image = &packages[0];
        assert_eq!(image["SPDXID"], "SPDXRef-Image");
        assert_eq!(image["primaryPackagePurpose"], "CONTAINER");
        assert_eq!(image["checksums"][0]["algorithm"], "SHA256");
        assert_eq!(
            image["externalRefs"][0]["referenceLocator"],
            cyclonedx(&subject)["metadata"]["component"]["purl"]
        );
        let os = &packages[1];
        assert_eq!(os["SPDXID"], "SPDXRef-OperatingSystem");
        assert_eq!(os["primaryPackagePurpose"], "OPERATING_SYSTEM");
        assert_eq!(os["versionInfo"], "12");

        for (package, spdx) in subject.packages.iter().zip(&packages[2..]) {
            assert_eq!(spdx["name"], package.name.as_str());
            assert_eq!(spdx["versionInfo"], package.version.as_str());
            assert_eq!(
                spdx["externalRefs"],
                serde_json::json!([{
                    "referenceCategory": "PACKAGE-MANAGER",
                    "referenceType": "purl",
                    "referenceLocator": package.purl,
                }])
            );
            let index = package.layer.unwrap();
            let digest = subject.layers[index].digest.to_string();
            let source_info = str_of(&spdx["sourceInfo"]);
            assert!(
                source_info.contains(&format!("introduced by layer {index} ({digest})")),
                "{source_info}"
            );
            assert!(source_info.contains(&package.location), "{source_info}");
            if let Some(source) = &package.source_name {
                assert!(source_info.contains(&format!("source package {source}")));
            }
            let facts: HashMap<String, String> =
                serde_json::from_str(str_of(&spdx["annotations"][0]["comment"])).unwrap();
            assert_eq!(facts["porthole:layer:index"], index.to_string());
            assert_eq!(facts["porthole:layer:digest"], digest);
            assert_eq!(facts["porthole:location"], package.location);
            assert_eq!(spdx["annotations"][0]["annotator"], "Tool: porthole-0.1.0");
        }
    }

    #[test]
    fn spdx_licences_are_expressions_or_defined_refs() {
        let document = spdx(&subjects::realistic());
        let declared = |name: &str| -> &str {
            document["packages"]
                .as_array()
                .unwrap()
                .iter()
                .find(|p| p["name"] == name)
                .and_then(|p| p["licenseDeclared"].as_str())
                .unwrap()
        };
        assert_eq!(
            declared("libgcc-s1"),
            "GPL-3.0-or-later WITH GCC-exception-3.1 AND LicenseRef-Artistic AND GFDL-1.2+"
        );
        assert_eq!(
            declared("libc6"),
            "LicenseRef-GPL-2-plus AND LGPL-2.1+ AND LGPL-2.1"
        );
        assert_eq!(declared("dual"), "MIT OR Apache-2.0");
        assert_eq!(declared("github.com/pkg/errors"), "NOASSERTION");
        assert_eq!(
            declared("ssl_client"),
            "GPL-2.0-only AND MIT",
            "an AND expression stays as declared"
        );
        let extracted = document["hasExtractedLicensingInfos"].as_array().unwrap();
        let gpl2 = extracted
            .iter()
            .find(|e| e["licenseId"] == "LicenseRef-GPL-2-plus")
            .unwrap();
        assert_eq!(gpl2["extractedText"], "GPL-2+");
        assert_eq!(gpl2["name"], "GPL-2+");
    }

    #[test]
    fn hostile_text_is_carried_exactly() {
        let subject = subjects::hostile();
        for format in SbomFormat::ALL {
            let text = format.render(&subject, &subjects::options());
            let parsed: Value = serde_json::from_str(&text).expect("the document parses");
            let names: HashSet<&str> = match format {
                SbomFormat::CycloneDx => parsed["components"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter_map(|c| c["name"].as_str())
                    .collect(),
                SbomFormat::Spdx => parsed["packages"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter_map(|p| p["name"].as_str())
                    .collect(),
            };
            for name in subjects::HOSTILE_NAMES {
                assert!(names.contains(name), "{format}: {name:?} missing");
            }
            // No raw control character reaches the text: serde_json escapes them.
            assert!(
                !text
                    .chars()
                    .any(|c| c.is_control() && c != '\n' && c != ' '),
                "{format}"
            );
        }
        let bom = cyclonedx(&subject);
        let long = bom["components"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == subjects::HOSTILE_NAMES[1])
            .unwrap();
        assert_eq!(long["version"].as_str().unwrap().chars().count(), 1024);
        assert_eq!(
            property(long, "porthole:package:version").map(str::len),
            Some(5000)
        );
        // Not-purls are left out, in both formats.
        for component in bom["components"].as_array().unwrap() {
            if let Some(purl) = component["purl"].as_str() {
                assert!(purl.starts_with("pkg:") && !purl.contains(' '), "{purl}");
            }
        }
        let image_purl = str_of(&bom["metadata"]["component"]["purl"]);
        assert!(
            image_purl.contains("arch=amd64%22%26tag%3Devil"),
            "{image_purl}"
        );
    }

    #[test]
    fn same_input_same_bytes() {
        for subject in [
            subjects::realistic(),
            subjects::hostile(),
            subjects::minimal(),
        ] {
            for format in SbomFormat::ALL {
                let first = format.render(&subject, &subjects::options());
                let second = format.render(&subject.clone(), &subjects::options());
                assert_eq!(first, second, "{format}");
                assert!(first.ends_with("}\n"));
            }
        }
    }

    #[test]
    fn serial_and_namespace_follow_time_digest_and_seed() {
        let subject = subjects::realistic();
        let serial = |subject: &SbomSubject, options: &sbom::SbomOptions| {
            let bom = serde_json::to_value(sbom::cyclonedx(subject, options)).unwrap();
            let document = serde_json::to_value(sbom::spdx(subject, options)).unwrap();
            (
                str_of(&bom["serialNumber"]).to_owned(),
                str_of(&document["documentNamespace"]).to_owned(),
            )
        };
        let base = serial(&subject, &subjects::options());
        assert!(base.0.starts_with("urn:uuid:"));
        let uuid = &base.0["urn:uuid:".len()..];
        assert_eq!(&uuid[14..15], "8", "an RFC 9562 version 8 UUID: {uuid}");

        let mut later = subjects::options();
        later.created = "2024-05-01T12:00:01Z".parse().unwrap();
        let mut seeded = subjects::options();
        seeded.seed = Some("run 2".into());
        let mut other_image = subject.clone();
        other_image.manifest_digest = porthole_engine::Digest::of(b"another manifest");
        let variants = [
            serial(&subject, &later),
            serial(&subject, &seeded),
            serial(&other_image, &subjects::options()),
        ];
        for variant in &variants {
            assert_ne!(variant.0, base.0);
            assert_ne!(variant.1, base.1);
        }
        assert_eq!(serial(&subject, &subjects::options()), base);
    }

    #[test]
    fn package_identifiers_do_not_depend_on_list_order() {
        let subject = subjects::realistic();
        let mut reversed = subject.clone();
        reversed.packages.reverse();
        let refs = |subject: &SbomSubject| -> HashSet<String> {
            cyclonedx(subject)["components"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| str_of(&c["bom-ref"]).to_owned())
                .collect()
        };
        assert_eq!(refs(&subject), refs(&reversed));
        let bom = cyclonedx(&subject);
        let libc = bom["components"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == "libc6")
            .unwrap();
        let bom_ref = str_of(&libc["bom-ref"]);
        assert!(bom_ref.starts_with("deb-libc6-"), "{bom_ref}");
        let lodash: Vec<&str> = bom["components"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["name"] == "lodash")
            .map(|c| str_of(&c["bom-ref"]))
            .collect();
        assert_eq!(lodash.len(), 3);
        assert_eq!(lodash[1], format!("{}-2", lodash[0]), "the exact duplicate");
        assert_ne!(lodash[2], lodash[0]);
    }

    #[test]
    fn formats_parse_from_the_command_line() {
        for (s, format) in [
            ("cyclonedx", SbomFormat::CycloneDx),
            ("CycloneDX", SbomFormat::CycloneDx),
            ("cdx", SbomFormat::CycloneDx),
            ("cyclonedx-json", SbomFormat::CycloneDx),
            ("spdx", SbomFormat::Spdx),
            ("SPDX-json", SbomFormat::Spdx),
        ] {
            assert_eq!(s.parse::<SbomFormat>(), Ok(format), "{s}");
        }
        for format in SbomFormat::ALL {
            assert_eq!(format.to_string().parse::<SbomFormat>(), Ok(format));
        }
        let err = "syft".parse::<SbomFormat>().unwrap_err();
        assert!(matches!(err, SbomError::UnknownFormat { .. }));
        assert!(err.to_string().contains("`cyclonedx` or `spdx`"), "{err}");
        assert_eq!(SbomFormat::Spdx.file_extension(), "spdx.json");
        assert_eq!(
            SbomFormat::CycloneDx.media_type(),
            "application/vnd.cyclonedx+json"
        );
    }

    #[test]
    fn timestamps_parse_rfc3339_and_say_what_is_wrong() {
        let t: Timestamp = "2024-05-01T14:00:00+02:00".parse().unwrap();
        assert_eq!(t.to_string(), "2024-05-01T12:00:00Z");
        assert_eq!(Timestamp::from_unix_seconds(1_714_564_800), Some(t));
        let err = "yesterday".parse::<Timestamp>().unwrap_err();
        assert!(err.to_string().contains("RFC 3339"), "{err}");
    }
}
