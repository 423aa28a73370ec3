//! RPM versions against rpm itself: the vectors of rpm's own test suite
//! (`tests/rpmvercmp.at`), then a few thousand generated `[epoch:]version[-release]` pairs
//! compared by the installed rpm's `rpm.vercmp` (which is `rpmverCmp`, as
//! `rpm.labelCompare`), all in one `rpm --eval` Lua loop.

#[path = "fixtures/versions/support.rs"]
mod support;

use std::cmp::Ordering;
use std::io::Write;

use porthole_engine::vulns::version::VersionScheme;
use support::{Rng, assert_agrees, assert_no_failures, check, read_fixture, run_tool};

const SCHEME: VersionScheme = VersionScheme::Rpm;

#[test]
fn rpmvercmp_at_vectors() {
    let mut failures = Vec::new();
    let mut checked = 0;
    for line in read_fixture("rpm/rpmvercmp.at").lines() {
        // `dnl RPMVERCMP(...)` rows are upstream's known failures, commented out there.
        let Some(args) = line.strip_prefix("RPMVERCMP(") else {
            continue;
        };
        let Some(args) = args.strip_suffix(')') else {
            continue; // the m4_define of the macro itself
        };
        let fields: Vec<&str> = args.split(", ").collect();
        let [a, b, result] = fields[..] else {
            panic!("bad line {line:?}");
        };
        let expected = match result {
            "-1" => Ordering::Less,
            "0" => Ordering::Equal,
            "1" => Ordering::Greater,
            other => panic!("bad result {other:?} in {line:?}"),
        };
        checked += 1;
        failures.extend(check(SCHEME, a, b, expected));
    }
    assert_no_failures("rpmvercmp.at vectors", checked, &failures);
    assert_eq!(checked, 91);
}

fn rpm_like(rng: &mut Rng) -> String {
    const PIECES: &[&str] = &[
        "0", "1", "2", "9", "00", "01", "10", "2023", ".", ".", "-", "~", "^", "_", "+", "a", "b",
        "z", "A", "rc", "git", "el9", "fc", ":",
    ];
    const ODD: &[&str] = &[" ", "é", "%", "\u{7f}", "", "--", "::"];
    let mut s = String::new();
    if rng.chance(20) {
        s.push_str(rng.pick(&["0", "1", "2", "10", "", "01"]));
        s.push(':');
    }
    s.push_str(&rng.string(PIECES, 9));
    if rng.chance(40) {
        s.push('-');
        s.push_str(&rng.string(PIECES, 4));
    }
    rng.insert_sometimes(&mut s, 10, ODD);
    s
}

#[test]
fn agrees_with_rpm_vercmp() {
    let mut rng = Rng::new(0x2f4e_1d18);
    let pairs: Vec<(String, String)> = (0..3000).map(|_| rng.pair(&mut rpm_like)).collect();
    let mut file = tempfile::NamedTempFile::new().expect("temp file");
    for (a, b) in &pairs {
        write!(file, "{a}\n{b}\n").expect("writing pairs");
    }
    let path = file.path().to_str().expect("UTF-8 temp path").to_owned();
    assert!(!path.contains('"') && !path.contains('%'), "{path}");
    let lua = format!(
        r#"%{{lua:
local lines, out = {{}}, {{}}
for l in io.lines("{path}") do lines[#lines + 1] = l end
for i = 1, #lines, 2 do
  local ok, r = pcall(rpm.vercmp, lines[i], lines[i + 1])
  if not ok then out[#out + 1] = "error"
  elseif r < 0 then out[#out + 1] = "<"
  elseif r > 0 then out[#out + 1] = ">"
  else out[#out + 1] = "=" end
end
print(table.concat(out, "\n"))}}"#
    );
    let output = run_tool(
        "rpm",
        &["--eval", &lua],
        b"",
        "install the `rpm` apt package (rpm 4.18 or later has rpm.vercmp in Lua)",
    );
    assert_agrees(SCHEME, &pairs, "rpm.vercmp", &output);
}
