//! Maven versions against the vectors of Maven 3.8.7's `ComparableVersionTest`.

#[path = "fixtures/versions/support.rs"]
mod support;

use porthole_engine::vulns::version::VersionScheme;
use support::{Rng, assert_agrees, assert_no_failures, check, jsonl, ordering_of, run_tool};

const SCHEME: VersionScheme = VersionScheme::Maven;

#[test]
fn comparable_version_test_vectors() {
    let rows = jsonl("maven/maven-3.8.7.jsonl");
    let mut failures = Vec::new();
    for row in &rows {
        let text: Vec<&str> = row.iter().map(|v| v.as_str().expect("strings")).collect();
        let [a, rel, b] = text[..] else {
            panic!("bad row {row:?}")
        };
        failures.extend(check(SCHEME, a, b, ordering_of(rel)));
    }
    assert_no_failures("ComparableVersionTest vectors", rows.len(), &failures);
}

/// Maven's order is not transitive where a bare qualifier (`.sp.`), a `-` list and the end
/// of the version meet at the same place. This is Maven's behaviour, not ours: the
/// differential test below confirms each of these answers with Maven itself.
#[test]
fn maven_orders_some_versions_in_a_cycle_as_maven_does() {
    let cycle = ["1", "1-alpha0", "1.sp.2"];
    for i in 0..3 {
        let (a, b) = (cycle[i], cycle[(i + 1) % 3]);
        assert_eq!(check(SCHEME, a, b, std::cmp::Ordering::Greater), None);
    }
}

fn maven_like(rng: &mut Rng) -> String {
    const PIECES: &[&str] = &[
        "0",
        "1",
        "2",
        "9",
        "00",
        "10",
        "123",
        "1234567890",
        "12345678901234567890",
        ".",
        ".",
        "-",
        "-",
        "alpha",
        "beta",
        "milestone",
        "rc",
        "cr",
        "snapshot",
        "SNAPSHOT",
        "ga",
        "final",
        "release",
        "sp",
        "a",
        "b",
        "m",
        "RC",
        "x",
        "abc",
    ];
    const ODD: &[&str] = &[
        "é",
        "İ",
        "\u{663}",
        "\u{1d7e4}",
        "Σ",
        "ΑΣ",
        "_",
        "+",
        " ",
        "",
    ];
    let mut s = rng.string(PIECES, 7);
    rng.insert_sometimes(&mut s, 15, ODD);
    s
}

#[test]
fn agrees_with_maven_comparable_version() {
    let jar = "/usr/share/java/maven-artifact-3.x.jar";
    let mut rng = Rng::new(0x3a7e_2023);
    let mut pairs: Vec<(String, String)> = (0..3000).map(|_| rng.pair(&mut maven_like)).collect();
    for (a, b) in [("1", "1-alpha0"), ("1-alpha0", "1.sp.2"), ("1.sp.2", "1")] {
        pairs.push((a.to_owned(), b.to_owned()));
    }
    let args: Vec<&str> = pairs
        .iter()
        .flat_map(|(a, b)| [a.as_str(), b.as_str()])
        .collect();
    let mut command = vec![
        "-cp",
        jar,
        "org.apache.maven.artifact.versioning.ComparableVersion",
    ];
    command.extend(&args);
    let output = run_tool(
        "java",
        &command,
        b"",
        "install the `default-jre-headless` and `libmaven3-core-java` apt packages",
    );
    // ComparableVersion.main prints "   <previous> <op> <next>" between neighbours.
    let comparisons: Vec<&str> = output.lines().filter(|l| l.starts_with("   ")).collect();
    assert_eq!(comparisons.len(), args.len() - 1, "one line per neighbour");
    let answers: Vec<String> = pairs
        .iter()
        .enumerate()
        .map(|(i, (a, b))| {
            let line = comparisons[2 * i];
            ["<", "==", ">"]
                .into_iter()
                .find(|op| line == format!("   {a} {op} {b}"))
                .map(|op| if op == "==" { "=" } else { op })
                .unwrap_or_else(|| panic!("cannot read {line:?} for {a:?} vs {b:?}"))
                .to_owned()
        })
        .collect();
    assert_agrees(SCHEME, &pairs, "ComparableVersion", &answers.join("\n"));
}
