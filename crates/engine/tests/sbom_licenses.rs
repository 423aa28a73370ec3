//! Licence classification: the embedded SPDX License List is the committed CycloneDX
//! schema's, declared strings as packages really write them are sorted as expected, and no
//! string, however hostile, yields an invalid expression.

mod sbom_licenses {
    use porthole_engine::sbom::license::{Expression, License, exception_id, license_id};
    use porthole_engine::sbom::license_list::{EXCEPTION_IDS, LICENSE_IDS, LICENSE_LIST_VERSION};
    use proptest::prelude::*;
    use serde_json::Value;

    fn schema() -> Value {
        let path = format!(
            "{}/tests/fixtures/sbom/spdx.SNAPSHOT.schema.json",
            env!("CARGO_MANIFEST_DIR")
        );
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    /// The embedded lists are the schema's enum (licences, then exceptions), so every
    /// identifier written as a CycloneDX `license.id` is one the schema accepts.
    #[test]
    fn embedded_list_is_the_schema_enum() {
        let schema = schema();
        let enumerated: Vec<&str> = schema["enum"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        let embedded: Vec<&str> = LICENSE_IDS.iter().chain(EXCEPTION_IDS).copied().collect();
        assert_eq!(embedded, enumerated);
        // Each exception's entry in the list is described as one (the schema does not
        // otherwise say where licences end).
        let names = &schema["meta:enum"];
        assert_eq!(EXCEPTION_IDS.first(), Some(&"389-exception"));
        assert_eq!(LICENSE_IDS.last(), Some(&"ZPL-2.1"));
        assert!(names["Classpath-exception-2.0"].is_string());
        // `$comment` is `v<schema version>-<licence list version>`.
        let comment = schema["$comment"].as_str().unwrap();
        let list = comment.rsplit('-').next().unwrap();
        assert!(
            list.starts_with(&format!("{LICENSE_LIST_VERSION}.")),
            "{comment} vs {LICENSE_LIST_VERSION}"
        );
    }

    #[test]
    fn declared_strings_are_sorted_as_expected() {
        let id = |s: &'static str| Some(License::Id(s));
        let expression = |s: &str| Some(License::Expression(Expression::parse(s).unwrap()));
        let name = |s: &str| Some(License::Name(s.to_owned()));
        let cases = [
            ("MIT", id("MIT")),
            ("mit", id("MIT")),
            ("Apache-2.0", id("Apache-2.0")),
            ("BSD-3-clause", id("BSD-3-Clause")),
            ("GPL-2.0+", id("GPL-2.0+")),
            ("LGPL-2.1+", id("LGPL-2.1+")),
            ("GPL-2.0-or-later", id("GPL-2.0-or-later")),
            ("(Zlib)", id("Zlib")),
            ("BSD-3-Clause OR MIT", expression("BSD-3-Clause OR MIT")),
            ("(MIT OR Apache-2.0)", expression("MIT OR Apache-2.0")),
            ("MIT or Apache-2.0", expression("MIT OR Apache-2.0")),
            ("Apache-2.0+", expression("Apache-2.0+")),
            (
                "GPL-2.0-only WITH Linux-syscall-note",
                expression("GPL-2.0-only WITH Linux-syscall-note"),
            ),
            (
                "LGPL-2.1-only OR (MIT AND BSD-2-Clause)",
                expression("LGPL-2.1-only OR (MIT AND BSD-2-Clause)"),
            ),
            ("GPL-2+", name("GPL-2+")),
            ("GPLv3+", name("GPLv3+")),
            ("Apache 2.0", name("Apache 2.0")),
            ("ASL 2.0", name("ASL 2.0")),
            ("Expat", name("Expat")),
            ("public-domain", name("public-domain")),
            (
                "SEE LICENSE IN LICENSE.md",
                name("SEE LICENSE IN LICENSE.md"),
            ),
            ("UNKNOWN", name("UNKNOWN")),
            (
                "The Apache Software License, Version 2.0",
                name("The Apache Software License, Version 2.0"),
            ),
            (
                "LGPLv2+ and GPLv2+ with exceptions",
                name("LGPLv2+ and GPLv2+ with exceptions"),
            ),
            ("MIT WITH Zlib", name("MIT WITH Zlib")),
            ("", None),
        ];
        for (raw, expected) in cases {
            assert_eq!(License::classify(raw), expected, "{raw:?}");
        }
    }

    #[test]
    fn lookups_return_the_list_spelling() {
        assert_eq!(license_id("apache-2.0"), Some("Apache-2.0"));
        assert_eq!(license_id("Classpath-exception-2.0"), None);
        assert_eq!(
            exception_id("classpath-exception-2.0"),
            Some("Classpath-exception-2.0")
        );
        assert_eq!(exception_id("MIT"), None);
    }

    /// Words a declared licence string is likely made of, to reach the parser's every path.
    fn word() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("MIT".to_owned()),
            Just("apache-2.0".to_owned()),
            Just("GPL-2.0+".to_owned()),
            Just("GPL-2.0++".to_owned()),
            Just("LGPL-2.1-only".to_owned()),
            Just("AND".to_owned()),
            Just("or".to_owned()),
            Just("WITH".to_owned()),
            Just("Classpath-exception-2.0".to_owned()),
            Just("(".to_owned()),
            Just(")".to_owned()),
            Just("+".to_owned()),
            Just("LicenseRef-x".to_owned()),
            "[A-Za-z0-9.+-]{1,8}",
            any::<String>(),
        ]
    }

    proptest! {
        /// Whatever the input, an expression that comes out is valid: written again and
        /// parsed again, it is itself, and it holds only identifier characters, spaces,
        /// parentheses and `+`.
        #[test]
        fn classification_never_yields_an_invalid_expression(
            words in proptest::collection::vec(word(), 0..12),
            sep in prop_oneof![Just(" "), Just(""), Just("  "), Just("\t")],
        ) {
            let raw = words.join(sep);
            match License::classify(&raw) {
                Some(License::Id(id)) => prop_assert!(license_id(id) == Some(id)),
                Some(License::Expression(e)) => {
                    let text = e.to_string();
                    prop_assert_eq!(Expression::parse(&text), Some(e.clone()));
                    prop_assert!(text.chars().all(|c| c.is_ascii_alphanumeric()
                        || matches!(c, '.' | '-' | '+' | ' ' | '(' | ')')), "{}", text);
                    prop_assert!(!text.contains("LicenseRef-"));
                }
                Some(License::Name(n)) => prop_assert_eq!(n, raw.trim()),
                None => prop_assert!(raw.trim().is_empty()),
            }
        }
    }
}
