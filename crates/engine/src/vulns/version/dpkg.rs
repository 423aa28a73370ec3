//! Debian and Ubuntu versions, ordered exactly as `dpkg --compare-versions` orders them
//! (dpkg 1.21: `parseversion` in `lib/dpkg/parsehelp.c`, `dpkg_version_compare` and
//! `verrevcmp` in `lib/dpkg/version.c`, `cmpversions` in `src/main/enquiry.c`).
//!
//! A version is `[epoch:]upstream[-revision]`. The epoch compares numerically; upstream and
//! revision alternate runs of non-digits, compared character by character with `~` before
//! everything (even the end), the end next, letters next and everything else last, and runs
//! of digits, compared numerically.
//!
//! What dpkg calls an error (an empty string, embedded spaces, a bad epoch, an empty
//! revision) is [`VersionError::Invalid`]. What it only warns about (a first character that
//! is not a digit, characters outside `[A-Za-z0-9.+~:-]`) still compares, as dpkg does;
//! [`validate`] reports those too. The empty string and `<unknown>` are dpkg's "no version",
//! which compares below every version. Characters above ASCII compare as dpkg built for
//! amd64 compares them (its `char` is signed there): after letters and before punctuation.

use std::cmp::Ordering;

use super::{VersionError, VersionScheme};

const SCHEME: VersionScheme = VersionScheme::Dpkg;

/// A version as dpkg parsed it.
struct Version<'a> {
    epoch: i64,
    upstream: &'a [u8],
    revision: &'a [u8],
    /// dpkg's warning about the syntax, if any; such a version still compares.
    warning: Option<&'static str>,
}

/// A parsed string: either a version or dpkg's "no version".
enum Parsed<'a> {
    Blank,
    Version(Version<'a>),
}

pub(super) fn compare(a: &str, b: &str) -> Result<Ordering, VersionError> {
    let pa = parse(a).map_err(|reason| VersionError::invalid(SCHEME, a, reason))?;
    let pb = parse(b).map_err(|reason| VersionError::invalid(SCHEME, b, reason))?;
    Ok(match (pa, pb) {
        (Parsed::Blank, Parsed::Blank) => Ordering::Equal,
        (Parsed::Blank, Parsed::Version(_)) => Ordering::Less,
        (Parsed::Version(_), Parsed::Blank) => Ordering::Greater,
        (Parsed::Version(va), Parsed::Version(vb)) => va
            .epoch
            .cmp(&vb.epoch)
            .then_with(|| verrevcmp(va.upstream, vb.upstream))
            .then_with(|| verrevcmp(va.revision, vb.revision)),
    })
}

pub(super) fn validate(version: &str) -> Result<(), VersionError> {
    match parse(version) {
        Err(reason) => Err(VersionError::invalid(SCHEME, version, reason)),
        Ok(Parsed::Blank) => Err(VersionError::invalid(SCHEME, version, "no version")),
        Ok(Parsed::Version(Version {
            warning: Some(reason),
            ..
        })) => Err(VersionError::invalid(SCHEME, version, reason)),
        Ok(Parsed::Version(_)) => Ok(()),
    }
}

/// dpkg's `c_isblank`: only space and tab.
fn is_blank(c: u8) -> bool {
    c == b' ' || c == b'\t'
}

/// C's `isspace` in the C locale, which `strtol` skips before a number.
fn is_c_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

fn parse(s: &str) -> Result<Parsed<'_>, &'static str> {
    let bytes = s.as_bytes();
    if bytes.contains(&0) {
        // dpkg reads C strings: it can never be handed one with a NUL in it.
        return Err("version string contains a NUL byte");
    }
    // `cmpversions` treats these two as "no version" before parsing.
    if bytes.is_empty() || s == "<unknown>" {
        return Ok(Parsed::Blank);
    }
    let start = bytes
        .iter()
        .position(|&c| !is_blank(c))
        .ok_or("version string is empty")?;
    let end = bytes[start..]
        .iter()
        .position(|&c| is_blank(c))
        .map_or(bytes.len(), |i| start + i);
    if bytes[end..].iter().any(|&c| !is_blank(c)) {
        return Err("version string has embedded spaces");
    }
    let token = &bytes[start..end];

    let (epoch, rest) = match token.iter().position(|&c| c == b':') {
        Some(colon) => {
            let epoch = parse_epoch(&token[..colon])?;
            if colon + 1 == token.len() {
                return Err("nothing after colon in version number");
            }
            (epoch, &token[colon + 1..])
        }
        None => (0, token),
    };
    let (upstream, revision) = match rest.iter().rposition(|&c| c == b'-') {
        Some(hyphen) => {
            if hyphen + 1 == rest.len() {
                return Err("revision number is empty");
            }
            (&rest[..hyphen], &rest[hyphen + 1..])
        }
        None => (rest, &rest[rest.len()..]),
    };
    if upstream.is_empty() {
        return Err("version number is empty");
    }
    let warning = if !upstream[0].is_ascii_digit() {
        Some("version number does not start with digit")
    } else if upstream[1..]
        .iter()
        .any(|&c| !c.is_ascii_alphanumeric() && !b".-+~:".contains(&c))
    {
        Some("invalid character in version number")
    } else if revision
        .iter()
        .any(|&c| !c.is_ascii_alphanumeric() && !b".+~".contains(&c))
    {
        Some("invalid character in revision number")
    } else {
        None
    };
    Ok(Parsed::Version(Version {
        epoch,
        upstream,
        revision,
        warning,
    }))
}

/// The epoch before the first colon, as `strtol` reads it and dpkg then checks it:
/// leading C whitespace and one sign are allowed, the digits must run up to the colon.
fn parse_epoch(text: &[u8]) -> Result<i64, &'static str> {
    let mut i = 0;
    while i < text.len() && is_c_space(text[i]) {
        i += 1;
    }
    let negative = match text.get(i) {
        Some(b'-') => {
            i += 1;
            true
        }
        Some(b'+') => {
            i += 1;
            false
        }
        _ => false,
    };
    let digits_start = i;
    while i < text.len() && text[i].is_ascii_digit() {
        i += 1;
    }
    if i == digits_start {
        // strtol consumed nothing: its end pointer is the start of the string.
        return Err("epoch in version is empty");
    }
    if i != text.len() {
        return Err("epoch in version is not number");
    }
    let digits = &text[digits_start..i];
    let nonzero = digits.iter().any(|&c| c != b'0');
    if negative && nonzero {
        return Err("epoch in version is negative");
    }
    // Anything longer than ten significant digits is above INT_MAX (or overflows long).
    let significant: Vec<u8> = digits.iter().copied().skip_while(|&c| c == b'0').collect();
    if significant.len() > 10 {
        return Err("epoch in version is too big");
    }
    let value = significant
        .iter()
        .fold(0i64, |acc, &c| acc * 10 + i64::from(c - b'0'));
    if value > i64::from(i32::MAX) {
        return Err("epoch in version is too big");
    }
    Ok(value)
}

/// dpkg's `order()`: the weight of one character in a non-digit run. `0` is also the
/// weight of the end of the string, so `~` (and only `~`) sorts before the end.
fn order(c: Option<u8>) -> i32 {
    match c {
        None => 0,
        Some(c) if c.is_ascii_digit() => 0,
        Some(c) if c.is_ascii_alphabetic() => i32::from(c),
        Some(b'~') => -1,
        // `c + 256` with a signed `char`: bytes above 0x7f weigh 128..=255.
        Some(c) => i32::from(c as i8) + 256,
    }
}

/// dpkg's `verrevcmp`, over the upstream versions or over the revisions.
fn verrevcmp(a: &[u8], b: &[u8]) -> Ordering {
    let (mut i, mut j) = (0, 0);
    let at = |s: &[u8], k: usize| s.get(k).copied();
    let is_digit = |c: Option<u8>| c.is_some_and(|c| c.is_ascii_digit());
    while i < a.len() || j < b.len() {
        while (i < a.len() && !a[i].is_ascii_digit()) || (j < b.len() && !b[j].is_ascii_digit()) {
            let (ac, bc) = (order(at(a, i)), order(at(b, j)));
            if ac != bc {
                return ac.cmp(&bc);
            }
            i += 1;
            j += 1;
        }
        while at(a, i) == Some(b'0') {
            i += 1;
        }
        while at(b, j) == Some(b'0') {
            j += 1;
        }
        let mut first_diff = Ordering::Equal;
        while is_digit(at(a, i)) && is_digit(at(b, j)) {
            if first_diff == Ordering::Equal {
                first_diff = a[i].cmp(&b[j]);
            }
            i += 1;
            j += 1;
        }
        if is_digit(at(a, i)) {
            return Ordering::Greater;
        }
        if is_digit(at(b, j)) {
            return Ordering::Less;
        }
        if first_diff != Ordering::Equal {
            return first_diff;
        }
    }
    Ordering::Equal
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmp(a: &str, b: &str) -> Ordering {
        compare(a, b).unwrap()
    }

    #[test]
    fn tilde_sorts_before_everything_even_the_end() {
        assert_eq!(cmp("1.0~rc1", "1.0"), Ordering::Less);
        assert_eq!(cmp("1.0~~", "1.0~"), Ordering::Less);
        assert_eq!(cmp("1.0~", "1.0"), Ordering::Less);
        assert_eq!(cmp("1.0a", "1.0+"), Ordering::Less);
        assert_eq!(cmp("1.0", "1.0a"), Ordering::Less);
    }

    #[test]
    fn epoch_and_revision() {
        assert_eq!(cmp("1:0.1", "9.9"), Ordering::Greater);
        assert_eq!(cmp("0:1.0-1", "1.0-1"), Ordering::Equal);
        assert_eq!(cmp("1.0-1", "1.0-1.1"), Ordering::Less);
        // The upstream version is everything before the last hyphen.
        assert_eq!(cmp("1.0-2-1", "1.0-10"), Ordering::Greater);
        assert_eq!(cmp("000010", "10"), Ordering::Equal);
    }

    #[test]
    fn errors_and_warnings_follow_dpkg() {
        for bad in [
            " ",
            "1 2",
            "a:1",
            ":1",
            "1:",
            "1.0-",
            "-1",
            "-1:0",
            "99999999999:1",
        ] {
            assert!(compare(bad, "1").is_err(), "{bad:?}");
        }
        // Warnings only: dpkg still compares these.
        assert_eq!(cmp("a1", "b1"), Ordering::Less);
        assert_eq!(cmp("1@", "1"), Ordering::Greater);
        assert!(validate("a1").is_err());
        assert!(validate("1.0-1").is_ok());
        // Blank versions sort first.
        assert_eq!(cmp("", "0"), Ordering::Less);
        assert_eq!(cmp("<unknown>", ""), Ordering::Equal);
        assert_eq!(cmp("  1.0\t", "1.0"), Ordering::Equal);
        assert_eq!(cmp("+1:2", "1:2"), Ordering::Equal);
    }
}
