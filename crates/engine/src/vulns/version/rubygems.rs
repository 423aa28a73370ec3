//! RubyGems versions, ordered as `Gem::Version#<=>` orders them (RubyGems 3.3, shipped with
//! Ruby 3.1: `lib/rubygems/version.rb`).
//!
//! A version is digits, then dot-separated runs of letters and digits, then optionally a
//! `-` pre-release part (`1.2.3-rc.1`), which RubyGems rewrites as `.pre.` before splitting.
//! It is split into segments, each a run of digits (a number) or of letters (a string, case
//! kept); trailing zeros are dropped from the numeric part and from the part after the first
//! string. Segments then compare in turn, a missing one counting as `0`: numbers
//! numerically, strings byte by byte, and any string below any number, so that a version
//! with letters (`1.0.a`, `1.0-rc1`) is a pre-release of the same version without them.
//! Whitespace around the version is ignored, and an empty version is `0`.

use std::cmp::Ordering;

use super::{BigNum, VersionError, VersionScheme};

const SCHEME: VersionScheme = VersionScheme::RubyGems;

#[derive(Debug, PartialEq, Eq)]
enum Segment {
    Number(BigNum),
    Text(String),
}

/// Ruby's `\s`.
fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// `ANCHORED_VERSION_PATTERN` without the surrounding whitespace:
/// `[0-9]+(?>\.[0-9a-zA-Z]+)*(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?`.
fn is_well_formed(core: &[u8]) -> bool {
    let (release, pre) = match core.iter().position(|&c| c == b'-') {
        Some(i) => (&core[..i], Some(&core[i + 1..])),
        None => (core, None),
    };
    let mut parts = release.split(|&c| c == b'.');
    let first_ok = parts
        .next()
        .is_some_and(|p| !p.is_empty() && p.iter().all(u8::is_ascii_digit));
    let rest_ok = parts.all(|p| !p.is_empty() && p.iter().all(u8::is_ascii_alphanumeric));
    let pre_ok = pre.is_none_or(|pre| {
        pre.split(|&c| c == b'.')
            .all(|p| !p.is_empty() && p.iter().all(|&c| c.is_ascii_alphanumeric() || c == b'-'))
    });
    first_ok && rest_ok && pre_ok
}

/// `Gem::Version.new(version).canonical_segments`, and the rewritten version string.
fn parse(version: &str) -> Result<(String, Vec<Segment>), VersionError> {
    let bytes = version.as_bytes();
    let start = bytes
        .iter()
        .position(|&c| !is_space(c))
        .unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|&c| !is_space(c))
        .map_or(start, |i| i + 1);
    let core = &version[start..end.max(start)];
    if core.is_empty() {
        // `version = 0 if version =~ /\A\s*\Z/`
        return Ok(("0".to_owned(), Vec::new()));
    }
    if !is_well_formed(core.as_bytes()) {
        return Err(VersionError::invalid(
            SCHEME,
            version,
            "Malformed version number string",
        ));
    }
    let rewritten = core.replace('-', ".pre.");
    // `@version.scan(/[0-9]+|[a-z]+/i)`
    let mut segments = Vec::new();
    let b = rewritten.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let is_digit = b[i].is_ascii_digit();
        if !is_digit && !b[i].is_ascii_alphabetic() {
            i += 1;
            continue;
        }
        let len = b[i..]
            .iter()
            .take_while(|c| {
                if is_digit {
                    c.is_ascii_digit()
                } else {
                    c.is_ascii_alphabetic()
                }
            })
            .count();
        let run = &rewritten[i..i + len];
        segments.push(if is_digit {
            Segment::Number(BigNum::from_digits(run))
        } else {
            Segment::Text(run.to_owned())
        });
        i += len;
    }
    // `canonical_segments`: drop trailing zeros from the numeric part and the rest.
    let split = segments
        .iter()
        .position(|s| matches!(s, Segment::Text(_)))
        .unwrap_or(segments.len());
    let mut rest = segments.split_off(split);
    let is_zero = |s: &Segment| matches!(s, Segment::Number(n) if n.is_zero());
    while segments.last().is_some_and(is_zero) {
        segments.pop();
    }
    while rest.last().is_some_and(is_zero) {
        rest.pop();
    }
    segments.extend(rest);
    Ok((rewritten, segments))
}

pub(super) fn compare(a: &str, b: &str) -> Result<Ordering, VersionError> {
    let (va, sa) = parse(a)?;
    let (vb, sb) = parse(b)?;
    if va == vb || sa == sb {
        return Ok(Ordering::Equal);
    }
    let zero = Segment::Number(BigNum::zero());
    for i in 0..sa.len().max(sb.len()) {
        let (l, r) = (sa.get(i).unwrap_or(&zero), sb.get(i).unwrap_or(&zero));
        let order = match (l, r) {
            (Segment::Number(x), Segment::Number(y)) => x.cmp(y),
            (Segment::Text(x), Segment::Text(y)) => x.as_bytes().cmp(y.as_bytes()),
            (Segment::Text(_), Segment::Number(_)) => Ordering::Less,
            (Segment::Number(_), Segment::Text(_)) => Ordering::Greater,
        };
        if order != Ordering::Equal {
            return Ok(order);
        }
    }
    Ok(Ordering::Equal)
}

pub(super) fn validate(version: &str) -> Result<(), VersionError> {
    parse(version).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmp(a: &str, b: &str) -> Ordering {
        compare(a, b).unwrap()
    }

    #[test]
    fn prereleases_sort_first() {
        assert_eq!(cmp("1.0.a", "1.0"), Ordering::Less);
        assert_eq!(cmp("1.0.0-rc1", "1.0.0"), Ordering::Less);
        assert_eq!(cmp("1.0.0-1", "1"), Ordering::Less);
        assert_eq!(cmp("1.8.2.a10", "1.8.2.a9"), Ordering::Greater);
        assert_eq!(cmp("1.2.b1", "1.2.b.1"), Ordering::Equal);
        assert_eq!(cmp("1.0", "1.0.0"), Ordering::Equal);
        assert_eq!(cmp(" ", "0"), Ordering::Equal);
        assert_eq!(cmp("1.B", "1.a"), Ordering::Less);
    }

    #[test]
    fn malformed() {
        for bad in [
            "junk", "1.0\n2.0", "1..2", "1.2 3.4", "1.0-", "-1", "1.", "v1",
        ] {
            assert!(compare(bad, "1").is_err(), "{bad:?}");
        }
    }
}
