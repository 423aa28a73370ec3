//! Alpine versions against apk-tools' own test data (`test/version.data`, with the
//! `~hash`, leading-zero and validity rows of `test/unit/version.data`).

#[path = "fixtures/versions/support.rs"]
mod support;

use porthole_engine::vulns::version::{VersionScheme, validate};
use support::{assert_no_failures, check, ordering_of, read_fixture};

const SCHEME: VersionScheme = VersionScheme::Apk;

#[test]
fn apk_tools_version_data() {
    let mut failures = Vec::new();
    let (mut ordered, mut valid, mut invalid, mut fuzzy) = (0, 0, 0, 0);
    for line in read_fixture("apk/version.data").lines() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split_whitespace().collect();
        match fields[..] {
            [a, op @ ("<" | "=" | ">"), b] => {
                ordered += 1;
                failures.extend(check(SCHEME, a, b, ordering_of(op)));
            }
            // Fuzzy matching (`apk_version_match` with `~`) is dependency matching, not
            // ordering; it is not part of `compare`.
            [_, "~" | "<~" | ">~" | "!~", _] => fuzzy += 1,
            [v] => match v.strip_prefix('!') {
                Some(bad) => {
                    invalid += 1;
                    if validate(SCHEME, bad).is_ok() {
                        failures.push(format!("{bad:?} should be invalid"));
                    }
                }
                None => {
                    valid += 1;
                    if let Err(e) = validate(SCHEME, v) {
                        failures.push(format!("{v:?} should be valid: {e}"));
                    }
                }
            },
            _ => panic!("bad line {line:?}"),
        }
    }
    assert_no_failures("version.data rows", ordered + valid + invalid, &failures);
    assert_eq!((ordered, valid, invalid, fuzzy), (738, 6, 25, 16));
}
