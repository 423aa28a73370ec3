//! Debian versions against dpkg itself: the vectors of dpkg's own test suite
//! (`scripts/t/Dpkg_Version.t`), then a few thousand generated pairs compared by the
//! installed `dpkg --compare-versions`.

#[path = "fixtures/versions/support.rs"]
mod support;

use std::cmp::Ordering;

use porthole_engine::vulns::version::VersionScheme;
use support::{Rng, assert_agrees, assert_no_failures, check, read_fixture, run_tool};

const SCHEME: VersionScheme = VersionScheme::Dpkg;

#[test]
fn dpkg_version_t_vectors() {
    let mut failures = Vec::new();
    let mut checked = 0;
    for line in read_fixture("dpkg/Dpkg_Version.t.data").lines() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let [a, b, result] = fields[..] else {
            panic!("bad line {line:?}");
        };
        let expected = match result {
            "-1" => Ordering::Less,
            "0" => Ordering::Equal,
            "1" => Ordering::Greater,
            other => panic!("bad result {other:?}"),
        };
        checked += 1;
        failures.extend(check(SCHEME, a, b, expected));
    }
    assert_no_failures("Dpkg_Version.t vectors", checked, &failures);
    assert_eq!(checked, 43);
}

/// Version-like strings: mostly dpkg's own alphabet, with an epoch now and then, and now
/// and then something dpkg warns about or rejects.
fn dpkg_like(rng: &mut Rng) -> String {
    const PIECES: &[&str] = &[
        "0", "1", "2", "9", "00", "01", "10", "99", ".", ".", "+", "~", "~", "-", "-", "a", "b",
        "z", "A", "Z", "rc", "dfsg", "ubuntu", "deb12u", ":",
    ];
    const ODD: &[&str] = &[
        " ",
        "\t",
        "@",
        "_",
        "é",
        "ÿ",
        "%",
        "\u{7f}",
        "<unknown>",
        "-0",
        "+",
        "",
    ];
    let mut s = String::new();
    if rng.chance(20) {
        s.push_str(rng.pick(&[
            "0",
            "1",
            "2",
            "10",
            "-1",
            "+1",
            " 1",
            "a",
            "",
            "99999999999",
        ]));
        s.push(':');
    }
    if rng.chance(85) {
        s.push_str(rng.pick(&["0", "1", "2", "10", "1.0", "2.30"]));
    }
    s.push_str(&rng.string(PIECES, 8));
    rng.insert_sometimes(&mut s, 15, ODD);
    s
}

#[test]
fn agrees_with_dpkg_compare_versions() {
    let mut rng = Rng::new(0xd9c9_2024);
    let pairs: Vec<(String, String)> = (0..2000).map(|_| rng.pair(&mut dpkg_like)).collect();
    // Two shells in parallel, each running dpkg once or twice per pair.
    let script = r#"
        while IFS= read -r a && IFS= read -r b; do
            dpkg --compare-versions -- "$a" lt "$b" 2>/dev/null; r=$?
            if [ "$r" -eq 0 ]; then echo "<"; continue; fi
            if [ "$r" -ne 1 ]; then echo error; continue; fi
            dpkg --compare-versions -- "$a" gt "$b" 2>/dev/null; r=$?
            if [ "$r" -eq 0 ]; then echo ">"; elif [ "$r" -eq 1 ]; then echo "="; else echo error; fi
        done"#;
    let halves: Vec<&[(String, String)]> = pairs.chunks(pairs.len().div_ceil(2)).collect();
    let outputs: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = halves
            .iter()
            .map(|half| {
                s.spawn(move || {
                    let input: String = half.iter().map(|(a, b)| format!("{a}\n{b}\n")).collect();
                    run_tool(
                        "bash",
                        &["-c", script],
                        input.as_bytes(),
                        "dpkg must be installed (it is on Debian and Ubuntu)",
                    )
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("dpkg runner"))
            .collect()
    });
    assert_agrees(SCHEME, &pairs, "dpkg --compare-versions", &outputs.concat());
}
