//! Properties of CVSS scoring over random input: vectors come from the network, so no string
//! may panic, and every valid vector scores within 0..=10 whatever its metric order.

use porthole_engine::vulns::Severity;
use porthole_engine::vulns::cvss::{CvssV2, CvssV3, CvssV4, base_score};
use proptest::prelude::*;
use proptest::sample::{Index, select};

/// (metric, values, mandatory) for each version, as the specifications list them.
const V3: &[(&str, &[&str], bool)] = &[
    ("AV", &["N", "A", "L", "P"], true),
    ("AC", &["L", "H"], true),
    ("PR", &["N", "L", "H"], true),
    ("UI", &["N", "R"], true),
    ("S", &["U", "C"], true),
    ("C", &["H", "L", "N"], true),
    ("I", &["H", "L", "N"], true),
    ("A", &["H", "L", "N"], true),
    ("E", &["X", "H", "F", "P", "U"], false),
    ("RL", &["X", "U", "W", "T", "O"], false),
    ("RC", &["X", "C", "R", "U"], false),
    ("CR", &["X", "H", "M", "L"], false),
    ("IR", &["X", "H", "M", "L"], false),
    ("AR", &["X", "H", "M", "L"], false),
    ("MAV", &["X", "N", "A", "L", "P"], false),
    ("MAC", &["X", "L", "H"], false),
    ("MPR", &["X", "N", "L", "H"], false),
    ("MUI", &["X", "N", "R"], false),
    ("MS", &["X", "U", "C"], false),
    ("MC", &["X", "H", "L", "N"], false),
    ("MI", &["X", "H", "L", "N"], false),
    ("MA", &["X", "H", "L", "N"], false),
];

const V4: &[(&str, &[&str], bool)] = &[
    ("AV", &["N", "A", "L", "P"], true),
    ("AC", &["L", "H"], true),
    ("AT", &["N", "P"], true),
    ("PR", &["N", "L", "H"], true),
    ("UI", &["N", "P", "A"], true),
    ("VC", &["H", "L", "N"], true),
    ("VI", &["H", "L", "N"], true),
    ("VA", &["H", "L", "N"], true),
    ("SC", &["H", "L", "N"], true),
    ("SI", &["H", "L", "N"], true),
    ("SA", &["H", "L", "N"], true),
    ("E", &["X", "A", "P", "U"], false),
    ("CR", &["X", "H", "M", "L"], false),
    ("IR", &["X", "H", "M", "L"], false),
    ("AR", &["X", "H", "M", "L"], false),
    ("MAV", &["X", "N", "A", "L", "P"], false),
    ("MAC", &["X", "L", "H"], false),
    ("MAT", &["X", "N", "P"], false),
    ("MPR", &["X", "N", "L", "H"], false),
    ("MUI", &["X", "N", "P", "A"], false),
    ("MVC", &["X", "H", "L", "N"], false),
    ("MVI", &["X", "H", "L", "N"], false),
    ("MVA", &["X", "H", "L", "N"], false),
    ("MSC", &["X", "H", "L", "N"], false),
    ("MSI", &["X", "S", "H", "L", "N"], false),
    ("MSA", &["X", "S", "H", "L", "N"], false),
    ("S", &["X", "N", "P"], false),
    ("AU", &["X", "N", "Y"], false),
    ("R", &["X", "A", "U", "I"], false),
    ("V", &["X", "D", "C"], false),
    ("RE", &["X", "L", "M", "H"], false),
    ("U", &["X", "Clear", "Green", "Amber", "Red"], false),
];

const V2: &[(&str, &[&str], bool)] = &[
    ("AV", &["L", "A", "N"], true),
    ("AC", &["H", "M", "L"], true),
    ("Au", &["M", "S", "N"], true),
    ("C", &["N", "P", "C"], true),
    ("I", &["N", "P", "C"], true),
    ("A", &["N", "P", "C"], true),
    ("E", &["ND", "U", "POC", "F", "H"], false),
    ("RL", &["ND", "OF", "TF", "W", "U"], false),
    ("RC", &["ND", "UC", "UR", "C"], false),
    ("CDP", &["ND", "N", "L", "LM", "MH", "H"], false),
    ("TD", &["ND", "N", "L", "M", "H"], false),
    ("CR", &["ND", "L", "M", "H"], false),
    ("IR", &["ND", "L", "M", "H"], false),
    ("AR", &["ND", "L", "M", "H"], false),
];

/// A valid vector's fields in the specification's order: every mandatory metric, some
/// optional ones, each with any of its values.
fn fields(
    table: &'static [(&'static str, &'static [&'static str], bool)],
) -> impl Strategy<Value = Vec<String>> {
    let per_metric: Vec<BoxedStrategy<Option<String>>> = table
        .iter()
        .map(|&(name, values, mandatory)| {
            let field = select(values).prop_map(move |value| format!("{name}:{value}"));
            if mandatory {
                field.prop_map(Some).boxed()
            } else {
                proptest::option::of(field).boxed()
            }
        })
        .collect();
    per_metric.prop_map(|fields| fields.into_iter().flatten().collect())
}

/// The fields in canonical order and the same fields shuffled.
fn ordered_and_shuffled(
    table: &'static [(&'static str, &'static [&'static str], bool)],
) -> impl Strategy<Value = (Vec<String>, Vec<String>)> {
    fields(table).prop_flat_map(|fields| (Just(fields.clone()), Just(fields).prop_shuffle()))
}

fn is_one_decimal_score(score: f64) -> bool {
    (0.0..=10.0).contains(&score) && ((score * 10.0).round() - score * 10.0).abs() < 1e-9
}

/// Small edits of a valid vector: what a truncated or garbled advisory might carry.
#[derive(Clone, Debug)]
enum Edit {
    Truncate(Index),
    Delete(Index),
    Insert(Index, char),
    DuplicateField(Index),
    Append(String),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        any::<Index>().prop_map(Edit::Truncate),
        any::<Index>().prop_map(Edit::Delete),
        (
            any::<Index>(),
            prop_oneof![Just('/'), Just(':'), Just('X'), Just('é'), any::<char>()]
        )
            .prop_map(|(at, c)| Edit::Insert(at, c)),
        any::<Index>().prop_map(Edit::DuplicateField),
        "[/:A-Za-z]{0,8}".prop_map(Edit::Append),
    ]
}

fn apply(vector: &str, edit: &Edit) -> String {
    let chars: Vec<char> = vector.chars().collect();
    match edit {
        Edit::Truncate(at) => chars[..at.index(chars.len() + 1)].iter().collect(),
        Edit::Delete(at) if !chars.is_empty() => {
            let at = at.index(chars.len());
            chars[..at].iter().chain(&chars[at + 1..]).collect()
        }
        Edit::Delete(_) => String::new(),
        Edit::Insert(at, c) => {
            let at = at.index(chars.len() + 1);
            chars[..at].iter().chain([c]).chain(&chars[at..]).collect()
        }
        Edit::DuplicateField(at) => {
            let fields: Vec<&str> = vector.split('/').collect();
            format!("{vector}/{}", fields[at.index(fields.len())])
        }
        Edit::Append(tail) => format!("{vector}{tail}"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn no_string_panics(input in "\\PC{0,200}") {
        let _ = base_score(&input);
        let _ = CvssV2::parse(&input);
        let _ = CvssV3::parse(&input);
        let _ = CvssV4::parse(&input);
    }

    #[test]
    fn no_vector_shaped_string_panics(
        input in "(CVSS:[0-9.]{0,4}/)?([A-Za-z]{0,4}:[A-Za-z]{0,6}/?){0,40}",
    ) {
        if let Ok(scored) = base_score(&input) {
            prop_assert!(is_one_decimal_score(scored.score), "{input}: {}", scored.score);
        }
        if let Ok(v2) = CvssV2::parse(&input) {
            prop_assert!(is_one_decimal_score(v2.base_score()));
        }
    }

    #[test]
    fn v3_scores_are_in_range_and_order_free(
        (ordered, shuffled) in ordered_and_shuffled(V3),
        minor in select(&["3.0", "3.1"][..]),
    ) {
        let canonical = format!("CVSS:{minor}/{}", ordered.join("/"));
        let reordered = format!("CVSS:{minor}/{}", shuffled.join("/"));
        let scored = base_score(&canonical).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert!(is_one_decimal_score(scored.score), "{canonical}: {}", scored.score);
        prop_assert_eq!(scored.severity, Severity::from_score(scored.score));
        prop_assert_eq!(base_score(&reordered).ok(), Some(scored));

        let cvss = CvssV3::parse(&canonical).unwrap();
        prop_assert!(is_one_decimal_score(cvss.temporal_score()));
        prop_assert!(is_one_decimal_score(cvss.environmental_score()));
        prop_assert!(cvss.temporal_score() <= cvss.base_score());
        prop_assert_eq!(CvssV3::parse(&reordered).unwrap().environmental_score(), cvss.environmental_score());
    }

    #[test]
    fn v4_scores_are_in_range_and_order_free((ordered, shuffled) in ordered_and_shuffled(V4)) {
        let canonical = format!("CVSS:4.0/{}", ordered.join("/"));
        let reordered = format!("CVSS:4.0/{}", shuffled.join("/"));
        let scored = base_score(&canonical).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert!(is_one_decimal_score(scored.score), "{canonical}: {}", scored.score);
        prop_assert_eq!(scored.severity, Severity::from_score(scored.score));
        prop_assert_eq!(base_score(&reordered).ok(), Some(scored));
    }

    #[test]
    fn v2_scores_are_in_range_and_order_free((ordered, shuffled) in ordered_and_shuffled(V2)) {
        let canonical = CvssV2::parse(&ordered.join("/")).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert!(is_one_decimal_score(canonical.base_score()));
        prop_assert_eq!(CvssV2::parse(&shuffled.join("/")).unwrap().base_score(), canonical.base_score());
    }

    #[test]
    fn garbled_vectors_do_not_panic(
        fields in prop_oneof![fields(V3).prop_map(|f| format!("CVSS:3.1/{}", f.join("/"))),
                              fields(V4).prop_map(|f| format!("CVSS:4.0/{}", f.join("/"))),
                              fields(V2).prop_map(|f| f.join("/"))],
        edits in proptest::collection::vec(edit(), 1..4),
    ) {
        let garbled = edits.iter().fold(fields, |vector, e| apply(&vector, e));
        if let Ok(scored) = base_score(&garbled) {
            prop_assert!(is_one_decimal_score(scored.score), "{garbled}: {}", scored.score);
        }
        if let Ok(v2) = CvssV2::parse(&garbled) {
            prop_assert!(is_one_decimal_score(v2.base_score()));
        }
    }
}
