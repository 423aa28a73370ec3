//! SemVer 2.0 versions (npm, crates.io, Go modules, Hex), ordered by the precedence rules of
//! semver.org section 11, which node-semver, the `semver` crate and Go's
//! `golang.org/x/mod/semver` all implement.
//!
//! `MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD]` with no leading zeros in numbers; a leading `v`
//! is accepted, as node-semver and Go write it. Numbers compare numerically at any size; a
//! pre-release sorts before its release, its dot-separated identifiers compare numerically
//! when all digits, in ASCII order otherwise, numbers before words, and a longer list after
//! its prefix. Build metadata is ignored. Go pseudo-versions
//! (`v0.0.0-20191109021931-daa7c04131f5`, `v1.2.4-0.20191109021931-daa7c04131f5`) are
//! pre-releases and order correctly by these rules, and `+incompatible` is build metadata.
//!
//! Only the strict grammar is accepted, around which node-semver allows (and trims)
//! whitespace: its "loose" forms (`=1.2.3`, `v 1.2.3`, `1.2`) are
//! [`VersionError::Invalid`]. Unlike node-semver, numbers above 2^53 are fine.

use std::cmp::Ordering;

use super::{BigNum, VersionError, VersionScheme};

const SCHEME: VersionScheme = VersionScheme::Semver;

#[derive(Debug, PartialEq, Eq)]
enum Identifier<'a> {
    Number(BigNum),
    Text(&'a str),
}

impl Ord for Identifier<'_> {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (Identifier::Number(a), Identifier::Number(b)) => a.cmp(b),
            (Identifier::Text(a), Identifier::Text(b)) => a.as_bytes().cmp(b.as_bytes()),
            (Identifier::Number(_), Identifier::Text(_)) => Ordering::Less,
            (Identifier::Text(_), Identifier::Number(_)) => Ordering::Greater,
        }
    }
}

impl PartialOrd for Identifier<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

struct Version<'a> {
    core: [BigNum; 3],
    pre: Vec<Identifier<'a>>,
}

impl Ord for Version<'_> {
    fn cmp(&self, other: &Self) -> Ordering {
        self.core.cmp(&other.core).then_with(|| {
            match (self.pre.is_empty(), other.pre.is_empty()) {
                (true, true) => Ordering::Equal,
                // A pre-release has lower precedence than its release.
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                (false, false) => self.pre.cmp(&other.pre),
            }
        })
    }
}

impl PartialOrd for Version<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Version<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Version<'_> {}

pub(super) fn compare(a: &str, b: &str) -> Result<Ordering, VersionError> {
    Ok(parse(a)?.cmp(&parse(b)?))
}

pub(super) fn validate(version: &str) -> Result<(), VersionError> {
    parse(version).map(|_| ())
}

fn is_identifier_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'-'
}

/// A numeric identifier: `0` or digits without a leading zero.
fn numeric(s: &str) -> Option<BigNum> {
    let ok =
        !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit()) && (s == "0" || !s.starts_with('0'));
    ok.then(|| BigNum::from_digits(s))
}

/// JavaScript's `String.prototype.trim` set: ECMAScript WhiteSpace and LineTerminator.
fn is_js_space(c: char) -> bool {
    matches!(
        c,
        '\t' | '\n' | '\u{b}' | '\u{c}' | '\r' | ' ' | '\u{a0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200a}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{202f}'
                | '\u{205f}'
                | '\u{3000}'
                | '\u{feff}'
    )
}

fn parse(s: &str) -> Result<Version<'_>, VersionError> {
    let invalid = |reason: &str| VersionError::invalid(SCHEME, s, reason);
    let trimmed = s.trim_matches(is_js_space);
    let body = trimmed.strip_prefix('v').unwrap_or(trimmed);
    let (body, build) = match body.split_once('+') {
        Some((body, build)) => (body, Some(build)),
        None => (body, None),
    };
    if let Some(build) = build
        && build
            .split('.')
            .any(|id| id.is_empty() || !id.bytes().all(is_identifier_char))
    {
        return Err(invalid(
            "build metadata must be dot-separated [0-9A-Za-z-]+",
        ));
    }
    let (core, pre) = match body.split_once('-') {
        Some((core, pre)) => (core, Some(pre)),
        None => (body, None),
    };
    let mut numbers = core.split('.');
    let mut next = || {
        numbers
            .next()
            .and_then(numeric)
            .ok_or_else(|| invalid("expected MAJOR.MINOR.PATCH without leading zeros"))
    };
    let parsed = [next()?, next()?, next()?];
    if numbers.next().is_some() {
        return Err(invalid("expected MAJOR.MINOR.PATCH without leading zeros"));
    }
    let mut identifiers = Vec::new();
    if let Some(pre) = pre {
        for id in pre.split('.') {
            if id.is_empty() || !id.bytes().all(is_identifier_char) {
                return Err(invalid("pre-release must be dot-separated [0-9A-Za-z-]+"));
            }
            if id.bytes().all(|c| c.is_ascii_digit()) {
                let number = numeric(id)
                    .ok_or_else(|| invalid("numeric pre-release identifier with a leading zero"))?;
                identifiers.push(Identifier::Number(number));
            } else {
                identifiers.push(Identifier::Text(id));
            }
        }
    }
    Ok(Version {
        core: parsed,
        pre: identifiers,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmp(a: &str, b: &str) -> Ordering {
        compare(a, b).unwrap()
    }

    #[test]
    fn precedence() {
        assert_eq!(cmp("1.0.0-alpha", "1.0.0"), Ordering::Less);
        assert_eq!(cmp("1.0.0-alpha.1", "1.0.0-alpha.beta"), Ordering::Less);
        assert_eq!(cmp("1.0.0-beta.2", "1.0.0-beta.11"), Ordering::Less);
        assert_eq!(cmp("1.0.0+build.1", "1.0.0+build.2"), Ordering::Equal);
        assert_eq!(cmp("v1.2.3", "1.2.3"), Ordering::Equal);
        assert_eq!(cmp(" v1.2.3\u{feff}", "1.2.3"), Ordering::Equal);
        assert_eq!(
            cmp("99999999999999999999.0.0", "9999999999999999999.0.0"),
            Ordering::Greater
        );
    }

    #[test]
    fn go_pseudo_versions() {
        let base = "v0.0.0-20191109021931-daa7c04131f5";
        assert_eq!(
            cmp(base, "v0.0.0-20200101000000-000000000000"),
            Ordering::Less
        );
        assert_eq!(
            cmp("v1.2.4-0.20191109021931-daa7c04131f5", "v1.2.4"),
            Ordering::Less
        );
        assert_eq!(
            cmp("v1.2.4-0.20191109021931-daa7c04131f5", "v1.2.3"),
            Ordering::Greater
        );
        assert_eq!(cmp("v2.0.0+incompatible", "v2.0.0"), Ordering::Equal);
    }

    #[test]
    fn strict_grammar() {
        for bad in [
            "",
            "1",
            "1.2",
            "01.2.3",
            "1.2.3-01",
            "1.2.3-",
            "1.2.3+",
            "=1.2.3",
            "1.2.3.4",
            "1.2.3-a..b",
            "v 1.2.3",
        ] {
            assert!(compare(bad, "1.0.0").is_err(), "{bad:?}");
        }
    }
}
