//! The CycloneDX and SPDX documents validate against the official JSON schemas, committed in
//! `tests/fixtures/sbom/` (see its README): CycloneDX 1.6 with its SPDX licence-id and JSF
//! sub-schemas, and SPDX 2.3. References between the schemas resolve to those files; nothing
//! is fetched.

#[path = "fixtures/sbom/subjects.rs"]
mod subjects;

mod sbom_schema {
    use std::sync::OnceLock;

    use jsonschema::{Registry, Validator};
    use porthole_engine::sbom::{self, SbomOptions, SbomSubject};
    use serde_json::{Value, json};

    use super::subjects;

    fn fixture(name: &str) -> Value {
        let path = format!("{}/tests/fixtures/sbom/{name}", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    /// CycloneDX 1.6. The bom schema names its sub-schemas relative to its `$id`
    /// (`http://cyclonedx.org/schema/…`); they are registered under exactly those URIs.
    fn cyclonedx_validator() -> &'static Validator {
        static VALIDATOR: OnceLock<Validator> = OnceLock::new();
        VALIDATOR.get_or_init(|| {
            let registry = Registry::new()
                .add(
                    "http://cyclonedx.org/schema/spdx.SNAPSHOT.schema.json",
                    fixture("spdx.SNAPSHOT.schema.json"),
                )
                .and_then(|r| {
                    r.add(
                        "http://cyclonedx.org/schema/jsf-0.82.SNAPSHOT.schema.json",
                        fixture("jsf-0.82.SNAPSHOT.schema.json"),
                    )
                })
                .and_then(|r| r.prepare())
                .expect("the CycloneDX sub-schemas load");
            jsonschema::options()
                .offline()
                .should_validate_formats(true)
                .with_registry(&registry)
                .build(&fixture("bom-1.6.SNAPSHOT.schema.json"))
                .expect("the CycloneDX 1.6 schema compiles")
        })
    }

    fn spdx_validator() -> &'static Validator {
        static VALIDATOR: OnceLock<Validator> = OnceLock::new();
        VALIDATOR.get_or_init(|| {
            jsonschema::options()
                .offline()
                .should_validate_formats(true)
                .build(&fixture("spdx-schema-2.3.json"))
                .expect("the SPDX 2.3 schema compiles")
        })
    }

    fn errors(validator: &Validator, document: &Value) -> Vec<String> {
        validator
            .iter_errors(document)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .take(20)
            .collect()
    }

    fn assert_valid(subject: &SbomSubject, options: &SbomOptions) {
        let bom = serde_json::to_value(sbom::cyclonedx(subject, options)).unwrap();
        let problems = errors(cyclonedx_validator(), &bom);
        assert!(problems.is_empty(), "CycloneDX invalid: {problems:#?}");

        let document = serde_json::to_value(sbom::spdx(subject, options)).unwrap();
        let problems = errors(spdx_validator(), &document);
        assert!(problems.is_empty(), "SPDX invalid: {problems:#?}");
    }

    #[test]
    fn realistic_image_validates() {
        assert_valid(&subjects::realistic(), &subjects::options());
    }

    #[test]
    fn hostile_image_validates() {
        assert_valid(&subjects::hostile(), &subjects::options());
    }

    #[test]
    fn image_known_only_by_digest_validates() {
        assert_valid(&subjects::minimal(), &subjects::options());
    }

    #[test]
    fn hostile_tool_version_and_seed_validate() {
        let mut options = subjects::options();
        options.tool_version = format!("0.1.0 \"dev\"\n{}", "x".repeat(2000));
        options.seed = Some("\u{0}seed".to_owned());
        assert_valid(&subjects::realistic(), &options);
        options.tool_version = String::new();
        assert_valid(&subjects::minimal(), &options);
    }

    #[test]
    fn realistic_image_without_os_or_layers_validates() {
        let mut subject = subjects::realistic();
        subject.os = None;
        subject.layers.clear();
        subject.platform = None;
        for package in &mut subject.packages {
            package.layer = None;
            package.layer_digest = None;
        }
        assert_valid(&subject, &subjects::options());
    }

    /// The validators do reject what the schemas forbid: a passing test above is not an
    /// artefact of a schema that failed to load.
    #[test]
    fn the_validators_reject_invalid_documents() {
        let bom = serde_json::to_value(sbom::cyclonedx(
            &subjects::realistic(),
            &subjects::options(),
        ))
        .unwrap();
        let mut bad = bom.clone();
        bad["components"][1]["licenses"] =
            json!([{"license": {"id": "Not-A-License", "acknowledgement": "declared"}}]);
        assert!(!errors(cyclonedx_validator(), &bad).is_empty());
        let mut bad = bom.clone();
        bad["serialNumber"] = json!("urn:uuid:NOT-A-UUID");
        assert!(!errors(cyclonedx_validator(), &bad).is_empty());
        let mut bad = bom.clone();
        bad["metadata"]["timestamp"] = json!("yesterday");
        assert!(!errors(cyclonedx_validator(), &bad).is_empty());
        let mut bad = bom;
        bad["components"][1]["version"] = json!("9".repeat(1025));
        assert!(!errors(cyclonedx_validator(), &bad).is_empty());

        let document =
            serde_json::to_value(sbom::spdx(&subjects::realistic(), &subjects::options())).unwrap();
        let mut bad = document.clone();
        bad["packages"][2]["externalRefs"][0]["referenceCategory"] = json!("PACKAGE_MANAGER");
        assert!(!errors(spdx_validator(), &bad).is_empty());
        let mut bad = document;
        bad["relationships"][0]
            .as_object_mut()
            .unwrap()
            .remove("relatedSpdxElement");
        assert!(!errors(spdx_validator(), &bad).is_empty());
    }
}
