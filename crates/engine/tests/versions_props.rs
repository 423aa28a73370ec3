//! Properties every scheme must have whatever the input, since versions come from
//! advisories and images: `compare` never panics, and on the strings it accepts it is a
//! total order (reflexive, antisymmetric, transitive), so that sorting and range checks
//! built on it are consistent.

use std::cmp::Ordering;

use porthole_engine::vulns::version::{VersionScheme, compare, validate};
use proptest::prelude::*;

/// Any string at all: control characters, NULs, non-ASCII, long runs.
fn hostile() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[\\x00-\\x7f]{0,40}",
        "[-.~^_+:0-9a-zA-Z \t]{0,24}",
        "[-.]{0,2000}",
        "[0-9]{0,60}",
    ]
}

/// Version-like strings for `scheme`, so that many triples are valid and close together.
fn version_like(scheme: VersionScheme) -> BoxedStrategy<String> {
    let pattern = match scheme {
        VersionScheme::Dpkg => "([0-9]{1,2}:)?[0-9][0-9a-zA-Z.+~]{0,6}(-[0-9a-zA-Z.+~]{1,4})?",
        VersionScheme::Apk => {
            "[0-9]{1,3}(\\.[0-9]{1,3}){0,3}[a-z]?(_(alpha|beta|pre|rc|p|cvs|svn|git|hg)[0-9]{0,2}){0,2}(~[0-9a-f]{1,4})?(-r[0-9]{1,2})?|[0-9a-z._~-]{0,10}"
        }
        VersionScheme::Rpm => "([0-9]{0,2}:)?[0-9a-zA-Z.~^_+]{0,8}(-[0-9a-zA-Z.~^_+]{0,4})?",
        VersionScheme::Pep440 => {
            "v?([0-9]!)?[0-9]{1,2}(\\.[0-9]{1,2}){0,2}((a|b|rc|c|alpha|pre)[0-9]?)?(\\.post[0-9]?|-[0-9])?(\\.dev[0-9]?)?(\\+[a-z0-9]{1,3}([._-][a-z0-9]{1,3})?)?"
        }
        VersionScheme::Semver => {
            "v?(0|[1-9][0-9]{0,2})\\.(0|[1-9][0-9]?)\\.(0|[1-9][0-9]?)(-[0-9A-Za-z-]{1,3}(\\.[0-9A-Za-z-]{1,3}){0,2})?(\\+[0-9A-Za-z-]{1,3})?"
        }
        // Maven's own order has cycles among strings that put a bare qualifier, a `-` list
        // and nothing at the same place (`1 > 1-alpha0 > 1.sp.2 > 1`, see versions_maven):
        // totality is checked on numbers with `-` qualifiers, the form Maven documents.
        VersionScheme::Maven => {
            "[0-9]{1,2}(\\.[0-9]{1,2}){0,3}(-((alpha|beta|milestone|rc|cr|snapshot|ga|final|sp|abc)|[0-9]{1,2})){0,3}"
        }
        VersionScheme::RubyGems => {
            "[0-9]{1,2}(\\.([0-9]{1,2}|[a-zA-Z]{1,3})){0,3}(-[0-9A-Za-z-]{1,3}(\\.[0-9A-Za-z-]{1,3}){0,2})?"
        }
        VersionScheme::Packagist => {
            "v?[0-9]{1,4}(\\.[0-9]{1,2}){0,3}([._-]?(stable|beta|b|RC|alpha|a|patch|pl|p)([.-]?[0-9]{1,2}){0,2})?([.-]?dev)?|dev-[a-z]{1,3}|[0-9]{1,2}(\\.[0-9x]){0,2}\\.x-dev|20[0-9]{2}[.-]?[0-9]{2}([.-]?[0-9]{2})?"
        }
    };
    let one = || proptest::string::string_regex(pattern).expect("a valid pattern");
    prop_oneof![
        4 => one(),
        1 => (one(), one()).prop_map(|(a, b)| a + &b),
    ]
    .boxed()
}

/// What is appended to a common prefix to make related versions.
fn tail(scheme: VersionScheme) -> BoxedStrategy<String> {
    let pattern = match scheme {
        // No `.`: it would make the bare qualifiers that Maven orders in cycles.
        VersionScheme::Maven => "[-0-9a-z]{0,3}",
        _ => "[-.~^_+:0-9a-z]{0,3}",
    };
    proptest::string::string_regex(pattern)
        .expect("a valid pattern")
        .boxed()
}

/// Checks reflexivity and antisymmetry of one pair; returns the ordering if both parse.
fn pair(scheme: VersionScheme, a: &str, b: &str) -> Result<Option<Ordering>, TestCaseError> {
    let forward = compare(scheme, a, b);
    let backward = compare(scheme, b, a);
    match (&forward, &backward) {
        (Ok(f), Ok(r)) => prop_assert_eq!(*f, r.reverse(), "{} {:?} {:?}", scheme, a, b),
        (Err(_), Err(_)) => {}
        _ => prop_assert!(
            false,
            "{scheme}: {a:?} vs {b:?}: {forward:?} but {backward:?}"
        ),
    }
    for v in [a, b] {
        if let Ok(o) = compare(scheme, v, v) {
            prop_assert_eq!(
                o,
                Ordering::Equal,
                "{} {:?} is not equal to itself",
                scheme,
                v
            );
        }
        // validate never panics either, and accepts nothing that compare rejects.
        if validate(scheme, v).is_ok() {
            prop_assert!(
                compare(scheme, v, v).is_ok(),
                "{scheme}: {v:?} valid but incomparable"
            );
        }
    }
    Ok(forward.ok())
}

fn transitive(scheme: VersionScheme, a: &str, b: &str, c: &str) -> Result<(), TestCaseError> {
    let (Some(ab), Some(bc), Some(ac)) = (
        pair(scheme, a, b)?,
        pair(scheme, b, c)?,
        pair(scheme, a, c)?,
    ) else {
        return Ok(());
    };
    let expected = match (ab, bc) {
        (Ordering::Equal, o) | (o, Ordering::Equal) => Some(o),
        (x, y) if x == y => Some(x),
        _ => None, // a < b > c says nothing about a and c
    };
    if let Some(expected) = expected {
        prop_assert_eq!(
            ac,
            expected,
            "{}: {:?} {:?} {:?} {:?} {:?}",
            scheme,
            a,
            ab,
            b,
            bc,
            c
        );
    }
    Ok(())
}

macro_rules! scheme_properties {
    ($($name:ident => $scheme:expr),* $(,)?) => {$(
        mod $name {
            use super::*;

            proptest! {
                #![proptest_config(ProptestConfig {
                    cases: 1000,
                    failure_persistence: None,
                    // A fixed seed keeps CI deterministic; change it to explore further.
                    rng_seed: proptest::test_runner::RngSeed::Fixed(0x7e5_5e1d),
                    ..ProptestConfig::default()
                })]

                #[test]
                fn never_panics_on_hostile_strings(a in hostile(), b in hostile()) {
                    pair($scheme, &a, &b)?;
                }

                #[test]
                fn is_a_total_order(
                    prefix in version_like($scheme),
                    tails in prop::collection::vec(tail($scheme), 3),
                    whole in prop::collection::vec(version_like($scheme), 3),
                    shared in any::<bool>(),
                ) {
                    // Either three related versions (a common prefix) or three unrelated.
                    let [a, b, c] = if shared {
                        [0, 1, 2].map(|i| format!("{prefix}{}", tails[i]))
                    } else {
                        [0, 1, 2].map(|i| whole[i].clone())
                    };
                    transitive($scheme, &a, &b, &c)?;
                    transitive($scheme, &b, &c, &a)?;
                    transitive($scheme, &c, &a, &b)?;
                }
            }
        }
    )*};
}

scheme_properties! {
    dpkg => VersionScheme::Dpkg,
    apk => VersionScheme::Apk,
    rpm => VersionScheme::Rpm,
    pep440 => VersionScheme::Pep440,
    semver => VersionScheme::Semver,
    maven => VersionScheme::Maven,
    rubygems => VersionScheme::RubyGems,
    packagist => VersionScheme::Packagist,
}
