//! Composer versions against composer/semver's own tests: the normalizations (and
//! rejections) of `VersionParserTest`, and the comparisons of `ComparatorTest`.

#[path = "fixtures/versions/support.rs"]
mod support;

use std::cmp::Ordering;

use porthole_engine::vulns::version::{
    VersionError, VersionScheme, compare, normalize_composer, validate,
};
use support::{assert_no_failures, jsonl};

const SCHEME: VersionScheme = VersionScheme::Packagist;

#[test]
fn composer_semver_vectors() {
    let rows = jsonl("packagist/composer-semver.jsonl");
    let mut failures = Vec::new();
    let (mut normalized, mut rejected, mut compared) = (0, 0, 0);
    for row in &rows {
        let tag = row[0].as_str().expect("tag");
        match tag {
            "normalize" => {
                let (given, normal) = (row[1].as_str().unwrap(), row[2].as_str().unwrap());
                normalized += 1;
                match normalize_composer(given) {
                    Ok(n) if n == normal => {}
                    other => failures.push(format!("{given:?} should be {normal:?}: {other:?}")),
                }
            }
            "invalid" => {
                let v = row[1].as_str().unwrap();
                rejected += 1;
                if validate(SCHEME, v).is_ok() {
                    failures.push(format!("{v:?} should be invalid"));
                }
            }
            "comparator" => {
                let (a, op, b) = (
                    row[1].as_str().unwrap(),
                    row[2].as_str().unwrap(),
                    row[3].as_str().unwrap(),
                );
                let expected = row[4].as_bool().unwrap();
                compared += 1;
                let got = match compare(SCHEME, a, b) {
                    Ok(o) => match op {
                        ">" => o == Ordering::Greater,
                        ">=" => o != Ordering::Less,
                        "<" => o == Ordering::Less,
                        "<=" => o != Ordering::Greater,
                        "==" | "=" => o == Ordering::Equal,
                        "!=" | "<>" => o != Ordering::Equal,
                        other => panic!("operator {other}"),
                    },
                    // Two different branches: only `!=` holds (`Constraint::versionCompare`).
                    Err(VersionError::Incomparable { .. }) => op == "!=" || op == "<>",
                    Err(e) => {
                        failures.push(format!("{a:?} {op} {b:?}: {e}"));
                        continue;
                    }
                };
                if got != expected {
                    failures.push(format!("{a:?} {op} {b:?} should be {expected}"));
                }
            }
            other => panic!("bad tag {other}"),
        }
    }
    assert_no_failures("composer/semver vectors", rows.len(), &failures);
    assert_eq!((normalized, rejected, compared), (71, 21, 57));
}
