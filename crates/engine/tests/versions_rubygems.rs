//! RubyGems versions against the vectors of RubyGems 3.3.7's `test/test_gem_version.rb`
//! (as shipped in Ruby 3.1.2).

#[path = "fixtures/versions/support.rs"]
mod support;

use porthole_engine::vulns::version::{VersionScheme, compare};
use support::{Rng, assert_agrees, assert_no_failures, check, jsonl, ordering_of, run_tool};

const SCHEME: VersionScheme = VersionScheme::RubyGems;

#[test]
fn test_gem_version_vectors() {
    let rows = jsonl("rubygems/rubygems-3.3.7.jsonl");
    let mut failures = Vec::new();
    for row in &rows {
        let text: Vec<&str> = row.iter().map(|v| v.as_str().expect("strings")).collect();
        match text[..] {
            ["invalid", v] => {
                if compare(SCHEME, v, "1").is_ok() {
                    failures.push(format!("{v:?} should be invalid"));
                }
            }
            [a, "!=", b] => match compare(SCHEME, a, b) {
                Ok(std::cmp::Ordering::Equal) | Err(_) => {
                    failures.push(format!("{a:?} should differ from {b:?}"))
                }
                Ok(_) => {}
            },
            [a, rel, b] => failures.extend(check(SCHEME, a, b, ordering_of(rel))),
            _ => panic!("bad row {row:?}"),
        }
    }
    assert_no_failures("test_gem_version.rb vectors", rows.len(), &failures);
}

fn gem_like(rng: &mut Rng) -> String {
    const SEGMENTS: &[&str] = &[
        "0",
        "1",
        "2",
        "9",
        "00",
        "10",
        "123456789012345678901234",
        "a",
        "b",
        "pre",
        "rc",
        "alpha",
        "Beta",
        "RC",
        "z",
        "a1",
        "1a",
        "rc2",
    ];
    const PRE: &[&str] = &["1", "a", "rc", "rc1", "-", "0", "beta-2", "x"];
    const SPACE: &[&str] = &["", "", "", " ", "\t", "\n", "\u{b}"];
    const ODD: &[&str] = &["..", "_", "+", "é", " ", "\0", "-", "."];
    let mut s = String::from(rng.pick(SPACE));
    s.push_str(rng.pick(&["0", "1", "2", "10", "3", "01"]));
    for _ in 0..rng.below(5) {
        s.push('.');
        s.push_str(rng.pick(SEGMENTS));
    }
    if rng.chance(25) {
        s.push('-');
        s.push_str(rng.pick(PRE));
        for _ in 0..rng.below(3) {
            s.push('.');
            s.push_str(rng.pick(PRE));
        }
    }
    rng.insert_sometimes(&mut s, 10, ODD);
    s.push_str(rng.pick(SPACE));
    s
}

#[test]
fn agrees_with_gem_version() {
    let mut rng = Rng::new(0x6e3b_0331);
    let pairs: Vec<(String, String)> = (0..3000).map(|_| rng.pair(&mut gem_like)).collect();
    let input: String = pairs
        .iter()
        .map(|pair| serde_json::to_string(pair).expect("JSON") + "\n")
        .collect();
    let script = r#"
require "rubygems"
require "json"
STDIN.each_line do |line|
  a, b = JSON.parse(line)
  begin
    va = Gem::Version.new(a)
    vb = Gem::Version.new(b)
  rescue ArgumentError
    puts "error"
    next
  end
  r = va <=> vb
  puts(r < 0 ? "<" : r > 0 ? ">" : "=")
end
"#;
    let output = run_tool(
        "ruby",
        &["-e", script],
        input.as_bytes(),
        "install the `ruby` apt package",
    );
    assert_agrees(SCHEME, &pairs, "Gem::Version", &output);
}
