//! SemVer against the precedence examples of the specification (semver.org 2.0.0) and
//! node-semver's comparison fixtures (`test/fixtures/comparisons.js`, `equality.js`).

#[path = "fixtures/versions/support.rs"]
mod support;

use std::cmp::Ordering;

use porthole_engine::vulns::version::{VersionScheme, compare};
use support::{Rng, assert_agrees, assert_no_failures, check, ordering_of, read_fixture, run_tool};

const SCHEME: VersionScheme = VersionScheme::Semver;

#[test]
fn semver_org_precedence_examples() {
    let mut failures = Vec::new();
    let mut checked = 0;
    for line in read_fixture("semver/semver-org-2.0.0.txt").lines() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let tokens: Vec<&str> = line.split_whitespace().collect();
        for window in tokens.windows(3).step_by(2) {
            let [a, rel, b] = window else { unreachable!() };
            checked += 1;
            failures.extend(check(SCHEME, a, b, ordering_of(rel)));
        }
        // A chain is ordered throughout, not only between neighbours.
        let versions: Vec<&str> = tokens.iter().step_by(2).copied().collect();
        if tokens.iter().skip(1).step_by(2).all(|rel| *rel == "<") {
            for (i, a) in versions.iter().enumerate() {
                for b in &versions[i + 1..] {
                    checked += 1;
                    failures.extend(check(SCHEME, a, b, Ordering::Less));
                }
            }
        }
    }
    assert_no_failures("semver.org examples", checked, &failures);
}

/// The quoted strings and the options of the rows of a node-semver fixture file.
fn node_semver_rows(name: &str) -> Vec<(Vec<String>, bool)> {
    read_fixture(name)
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with('['))
        .map(|l| {
            let strings: Vec<String> = l
                .split('\'')
                .skip(1)
                .step_by(2)
                .map(str::to_owned)
                .collect();
            let loose = l.contains(", true]") || l.contains("loose: true");
            (strings, loose)
        })
        .collect()
}

#[test]
fn node_semver_comparisons() {
    let rows = node_semver_rows("semver/node-semver-comparisons.js");
    let mut failures = Vec::new();
    for (strings, _loose) in &rows {
        // Every row here parses strictly too (a leading `v` is strict node-semver).
        let [a, b] = &strings[..] else {
            panic!("bad row {strings:?}")
        };
        failures.extend(check(SCHEME, a, b, Ordering::Greater));
    }
    assert_no_failures("comparisons.js rows", rows.len(), &failures);
    assert_eq!(rows.len(), 31);
}

#[test]
fn node_semver_equality() {
    let rows = node_semver_rows("semver/node-semver-equality.js");
    let mut failures = Vec::new();
    let mut strict = 0;
    for (strings, loose) in &rows {
        let [a, b] = &strings[..] else {
            panic!("bad row {strings:?}")
        };
        let strictly_valid = |v: &str| {
            // node-semver trims before parsing; the loose grammar adds `=` and spaces.
            let v = v.trim();
            !v.starts_with('=') && !v.starts_with("v ")
        };
        if strictly_valid(a) && strictly_valid(b) {
            strict += 1;
            failures.extend(check(SCHEME, a.trim(), b.trim(), Ordering::Equal));
        } else {
            assert!(*loose, "{a:?} {b:?} is only equal in loose mode");
            // We implement the strict grammar: the loose spellings are rejected.
            if compare(SCHEME, a, b).is_ok() {
                failures.push(format!("{a:?} vs {b:?} should be rejected as loose"));
            }
        }
    }
    assert_no_failures("equality.js rows", rows.len(), &failures);
    assert_eq!((rows.len(), strict), (37, 11));
}

fn semver_like(rng: &mut Rng) -> String {
    const NUMBERS: &[&str] = &["0", "1", "2", "9", "10", "999999999999999"];
    const IDS: &[&str] = &[
        "0",
        "1",
        "2",
        "10",
        "alpha",
        "beta",
        "rc",
        "a",
        "b",
        "A",
        "x-y",
        "-",
        "1a",
        "20191109021931-daa7c04131f5",
    ];
    const ODD: &[&str] = &["01", "", "..", " ", "=", "_", "é"];
    let mut s = String::new();
    if rng.chance(25) {
        s.push('v');
    }
    let parts = if rng.chance(95) { 3 } else { rng.below(5) };
    let numbers: Vec<&str> = (0..parts).map(|_| rng.pick(NUMBERS)).collect();
    s.push_str(&numbers.join("."));
    for (sep, chance) in [('-', 50), ('+', 20)] {
        if rng.chance(chance) {
            s.push(sep);
            let ids: Vec<&str> = (0..1 + rng.below(3)).map(|_| rng.pick(IDS)).collect();
            s.push_str(&ids.join("."));
        }
    }
    rng.insert_sometimes(&mut s, 10, ODD);
    s
}

#[test]
fn agrees_with_node_semver() {
    let mut rng = Rng::new(0x5e3e_7001);
    // node-semver rejects numbers above 2^53 - 1 and compares numeric pre-release
    // identifiers as doubles; SemVer (and Go) have no such limit, so those pairs are left out.
    let within_node_limits = |v: &str| {
        v.split(['.', '-', '+', 'v'])
            .filter(|id| !id.is_empty() && id.bytes().all(|c| c.is_ascii_digit()))
            .all(|id| id.trim_start_matches('0').len() < 16)
    };
    let pairs: Vec<(String, String)> = (0..3000)
        .map(|_| rng.pair(&mut semver_like))
        .filter(|(a, b)| within_node_limits(a) && within_node_limits(b))
        .collect();
    assert!(pairs.len() > 2500, "{} pairs left", pairs.len());
    let input: String = pairs
        .iter()
        .map(|pair| serde_json::to_string(pair).expect("JSON") + "\n")
        .collect();
    let script = r#"
// functions/compare needs only the SemVer class (index.js would also load ranges).
const compare = require('/usr/share/nodejs/semver/functions/compare')
const lines = require('fs').readFileSync(0, 'utf8').split('\n').filter(Boolean)
const out = lines.map((line) => {
  const [a, b] = JSON.parse(line)
  try {
    const r = compare(a, b)
    return r < 0 ? '<' : r > 0 ? '>' : '='
  } catch (e) {
    return 'error'
  }
})
process.stdout.write(out.join('\n') + '\n')
"#;
    let output = run_tool(
        "node",
        &["-e", script],
        input.as_bytes(),
        "install the `nodejs` and `node-semver` apt packages",
    );
    assert_agrees(SCHEME, &pairs, "node-semver", &output);
}
