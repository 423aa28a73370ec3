//! RPM versions (Red Hat, AlmaLinux, Rocky Linux, SUSE, …), ordered as rpm 4.18 orders
//! them: `rpmvercmp` (`rpmio/rpmvercmp.c`) on each part of `[epoch:]version[-release]`,
//! split and compared as `rpmverParse`/`rpmverCmp` (`rpmio/rpmver.c`) do, which is what
//! `rpm.labelCompare` and rpm's Lua `rpm.vercmp` call.
//!
//! rpmvercmp skips everything that is not an ASCII letter or digit (nor `~`, `^`) as a
//! separator, then compares runs of digits numerically and runs of letters as strings, a
//! number beating letters. `~` sorts before everything, the end included (`1.0~rc1 <
//! 1.0`); `^` sorts after the end but before anything else (`1.0 < 1.0^git1 < 1.0.1`).
//! A missing epoch is `0`; a missing release sorts before any release.

use std::cmp::Ordering;

use super::{VersionError, VersionScheme};

const SCHEME: VersionScheme = VersionScheme::Rpm;

/// An `[epoch:]version[-release]` split as `parseEVR` splits it.
struct Evr<'a> {
    epoch: Option<&'a [u8]>,
    version: &'a [u8],
    release: Option<&'a [u8]>,
}

fn parse(s: &str) -> Result<Evr<'_>, VersionError> {
    let bytes = s.as_bytes();
    if bytes.is_empty() {
        // rpmverParse returns NULL for an empty string; rpm.vercmp raises an error.
        return Err(VersionError::invalid(SCHEME, s, "version string is empty"));
    }
    if bytes.contains(&0) {
        return Err(VersionError::invalid(
            SCHEME,
            s,
            "version string contains a NUL byte",
        ));
    }
    // The epoch is the leading digits, if a colon follows them.
    let digits = bytes.iter().take_while(|c| c.is_ascii_digit()).count();
    // The release starts after the last hyphen at or after the end of those digits.
    let hyphen = bytes[digits..]
        .iter()
        .rposition(|&c| c == b'-')
        .map(|i| digits + i);
    let (epoch, version_start) = if bytes.get(digits) == Some(&b':') {
        let epoch: &[u8] = if digits == 0 { b"0" } else { &bytes[..digits] };
        (Some(epoch), digits + 1)
    } else {
        (None, 0)
    };
    let (version, release) = match hyphen {
        Some(h) => (&bytes[version_start..h], Some(&bytes[h + 1..])),
        None => (&bytes[version_start..], None),
    };
    Ok(Evr {
        epoch,
        version,
        release,
    })
}

pub(super) fn compare(a: &str, b: &str) -> Result<Ordering, VersionError> {
    let (ea, eb) = (parse(a)?, parse(b)?);
    // rpmverCmp: a missing epoch is "0"; a missing release is less than any release.
    Ok(
        rpmvercmp(ea.epoch.unwrap_or(b"0"), eb.epoch.unwrap_or(b"0"))
            .then_with(|| rpmvercmp(ea.version, eb.version))
            .then_with(|| match (ea.release, eb.release) {
                (None, None) => Ordering::Equal,
                (Some(_), None) => Ordering::Greater,
                (None, Some(_)) => Ordering::Less,
                (Some(ra), Some(rb)) => rpmvercmp(ra, rb),
            }),
    )
}

pub(super) fn validate(version: &str) -> Result<(), VersionError> {
    parse(version).map(|_| ())
}

/// rpm's `rpmvercmp` on one part (epoch, version or release).
pub(crate) fn rpmvercmp(a: &[u8], b: &[u8]) -> Ordering {
    if a == b {
        return Ordering::Equal;
    }
    let is_sep = |c: u8| !c.is_ascii_alphanumeric() && c != b'~' && c != b'^';
    let (mut one, mut two) = (0usize, 0usize);
    let at = |s: &[u8], i: usize| s.get(i).copied().unwrap_or(0);
    while one < a.len() || two < b.len() {
        while one < a.len() && is_sep(a[one]) {
            one += 1;
        }
        while two < b.len() && is_sep(b[two]) {
            two += 1;
        }
        let (c1, c2) = (at(a, one), at(b, two));
        // The tilde separator sorts before everything else.
        if c1 == b'~' || c2 == b'~' {
            if c1 != b'~' {
                return Ordering::Greater;
            }
            if c2 != b'~' {
                return Ordering::Less;
            }
            one += 1;
            two += 1;
            continue;
        }
        // The caret sorts like the tilde, except that the end of a string is smaller.
        if c1 == b'^' || c2 == b'^' {
            if c1 == 0 {
                return Ordering::Less;
            }
            if c2 == 0 {
                return Ordering::Greater;
            }
            if c1 != b'^' {
                return Ordering::Greater;
            }
            if c2 != b'^' {
                return Ordering::Less;
            }
            one += 1;
            two += 1;
            continue;
        }
        if c1 == 0 || c2 == 0 {
            break;
        }
        // A run of digits or a run of letters, the kind set by the first string.
        let isnum = c1.is_ascii_digit();
        let run = |s: &[u8], start: usize| {
            let len = s[start..]
                .iter()
                .take_while(|c| {
                    if isnum {
                        c.is_ascii_digit()
                    } else {
                        c.is_ascii_alphabetic()
                    }
                })
                .count();
            start + len
        };
        let (end1, end2) = (run(a, one), run(b, two));
        if end1 == one {
            return Ordering::Less; // cannot happen: rpm's "arbitrary" answer
        }
        if end2 == two {
            // Different kinds: a number is newer than letters.
            return if isnum {
                Ordering::Greater
            } else {
                Ordering::Less
            };
        }
        let (mut s1, mut s2) = (&a[one..end1], &b[two..end2]);
        if isnum {
            while s1.first() == Some(&b'0') {
                s1 = &s1[1..];
            }
            while s2.first() == Some(&b'0') {
                s2 = &s2[1..];
            }
            match s1.len().cmp(&s2.len()) {
                Ordering::Equal => {}
                longer => return longer,
            }
        }
        match s1.cmp(s2) {
            Ordering::Equal => {}
            different => return different,
        }
        one = end1;
        two = end2;
    }
    match (one >= a.len(), two >= b.len()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Less,
        _ => Ordering::Greater,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmp(a: &str, b: &str) -> Ordering {
        compare(a, b).unwrap()
    }

    #[test]
    fn tilde_and_caret() {
        assert_eq!(cmp("1.0~rc1", "1.0"), Ordering::Less);
        assert_eq!(cmp("1.0^git1", "1.0"), Ordering::Greater);
        assert_eq!(cmp("1.0^git1", "1.0.1"), Ordering::Less);
        assert_eq!(cmp("1.0^", "1.0~"), Ordering::Greater);
    }

    #[test]
    fn evr() {
        assert_eq!(cmp("1:1.0-1", "2.0-1"), Ordering::Greater);
        assert_eq!(cmp("0:1.0-1", "1.0-1"), Ordering::Equal);
        assert_eq!(cmp("1.0", "1.0-1"), Ordering::Less);
        assert_eq!(cmp("1.0-1.el9", "1.0-1.el9_2"), Ordering::Less);
        assert_eq!(cmp("1.0.", "1.0"), Ordering::Equal);
        assert_eq!(cmp(":1.0", "0:1.0"), Ordering::Equal);
        assert!(compare("", "1").is_err());
    }
}
