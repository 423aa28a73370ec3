//! PyPI versions against packaging itself: the orderings, equalities and invalid versions
//! of packaging 23.0's `tests/test_version.py`, then a few thousand generated pairs
//! compared by Python's `packaging.version.Version` (Debian's `python3-packaging`, run by
//! `/usr/bin/python3` whatever other Python is first on the PATH).

#[path = "fixtures/versions/support.rs"]
mod support;

use porthole_engine::vulns::version::{VersionScheme, compare};
use support::{Rng, assert_agrees, assert_no_failures, check, jsonl, ordering_of, run_tool};

const SCHEME: VersionScheme = VersionScheme::Pep440;

#[test]
fn packaging_test_version_vectors() {
    let mut failures = Vec::new();
    let rows = jsonl("pep440/packaging-23.0.jsonl");
    for row in &rows {
        let text: Vec<&str> = row.iter().map(|v| v.as_str().expect("strings")).collect();
        match text[..] {
            ["invalid", v] => {
                if compare(SCHEME, v, "1.0").is_ok() {
                    failures.push(format!("{v:?} should be invalid"));
                }
            }
            [a, rel, b] => failures.extend(check(SCHEME, a, b, ordering_of(rel))),
            _ => panic!("bad row {row:?}"),
        }
    }
    assert_no_failures("test_version.py vectors", rows.len(), &failures);
}

fn pep440_like(rng: &mut Rng) -> String {
    const SPACE: &[&str] = &[
        "", "", "", " ", "\t", "\n", "\u{a0}", "\u{1c}", "\u{2003}", "\u{85}",
    ];
    const NUMBERS: &[&str] = &[
        "0",
        "1",
        "2",
        "9",
        "10",
        "00",
        "01",
        "007",
        "2024",
        "123456789012345678901",
    ];
    const WORDS: &[&str] = &[
        "a", "b", "c", "rc", "alpha", "beta", "pre", "preview", "post", "rev", "r", "dev", "A",
        "RC", "Dev", "POST", "Alpha", "prevİew", "poſt", "x",
    ];
    const SEPS: &[&str] = &["", "", ".", "-", "_"];
    const LOCAL: &[&str] = &["abc", "1", "0", "Ubuntu", "k", "K", "ı", "x1", "00"];
    let mut s = String::from(rng.pick(SPACE));
    if rng.chance(20) {
        s.push_str(rng.pick(&["v", "V"]));
    }
    if rng.chance(15) {
        s.push_str(rng.pick(NUMBERS));
        s.push('!');
    }
    s.push_str(rng.pick(NUMBERS));
    for _ in 0..rng.below(4) {
        s.push('.');
        s.push_str(rng.pick(NUMBERS));
    }
    if rng.chance(70) {
        // The segments in the order PEP 440 allows them, each in some spelling.
        for words in [
            &[
                "a", "b", "c", "rc", "alpha", "beta", "pre", "preview", "A", "RC", "prevİew",
            ][..],
            &["post", "rev", "r", "POST", "poſt", "-"],
            &["dev", "Dev"],
        ] {
            if rng.chance(40) {
                let word = rng.pick(words);
                if word != "-" {
                    s.push_str(rng.pick(SEPS));
                }
                s.push_str(word);
                if word != "-" {
                    s.push_str(rng.pick(SEPS));
                }
                if word == "-" || rng.chance(70) {
                    s.push_str(rng.pick(NUMBERS));
                }
            }
        }
    } else {
        for _ in 0..rng.below(4) {
            s.push_str(rng.pick(SEPS));
            if rng.chance(80) {
                s.push_str(rng.pick(WORDS));
            }
            s.push_str(rng.pick(SEPS));
            if rng.chance(70) {
                s.push_str(rng.pick(NUMBERS));
            }
        }
    }
    if rng.chance(25) {
        s.push('+');
        s.push_str(rng.pick(LOCAL));
        for _ in 0..rng.below(3) {
            s.push_str(rng.pick(&[".", "-", "_", "+", ""]));
            s.push_str(rng.pick(LOCAL));
        }
    }
    if rng.chance(90) {
        s.push_str(rng.pick(SPACE));
    } else {
        s.push_str(rng.pick(&["@", "é", "٣", "!", "+", "..", "ı"]));
    }
    s
}

#[test]
fn agrees_with_python_packaging() {
    let mut rng = Rng::new(0x9e44_0f0e);
    let pairs: Vec<(String, String)> = (0..4000).map(|_| rng.pair(&mut pep440_like)).collect();
    let input: String = pairs
        .iter()
        .map(|pair| serde_json::to_string(pair).expect("JSON") + "\n")
        .collect();
    let script = r#"
import json, sys
from packaging.version import InvalidVersion, Version
for line in sys.stdin:
    a, b = json.loads(line)
    try:
        va, vb = Version(a), Version(b)
    except InvalidVersion:
        print("error")
        continue
    print("<" if va < vb else ">" if va > vb else "=")
"#;
    let output = run_tool(
        "/usr/bin/python3",
        &["-c", script],
        input.as_bytes(),
        "install the `python3-packaging` apt package",
    );
    assert_agrees(SCHEME, &pairs, "packaging.version.Version", &output);
}
