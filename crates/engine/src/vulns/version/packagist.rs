//! Packagist (Composer) versions, ordered as Composer orders them: each version is first
//! normalized by composer/semver's `VersionParser::normalize` (3.4), then the two are
//! compared as `Comparator::compare` does, which is PHP's `version_compare` except for
//! branches (`php-src` `ext/standard/versioning.c`).
//!
//! Normalization turns `v1.2`, `1.2.0.0`, `1.2-RC1`, `1.2.x-dev`, `2010-01-02` into the
//! four-part form Composer stores (`1.2.0.0`, `1.2.0.0-RC1`, `1.2.9999999.9999999-dev`,
//! `2010.01.02`), with the stabilities `dev < alpha < beta < RC < stable < patch`; anything
//! it rejects (`1.0.0-meh`, `1.0.1-SNAPSHOT`, `feature-foo`) is
//! [`VersionError::Invalid`]. Branches (`dev-main`) compare below any version, equal only
//! to themselves, and two different branches are [`VersionError::Incomparable`].

use std::cmp::Ordering;

use super::{VersionError, VersionScheme};

const SCHEME: VersionScheme = VersionScheme::Packagist;

pub(super) fn compare(a: &str, b: &str) -> Result<Ordering, VersionError> {
    let na = normalize(a).ok_or_else(|| invalid(a))?;
    let nb = normalize(b).ok_or_else(|| invalid(b))?;
    let branch = |v: &str| v.starts_with("dev-");
    if branch(&na) && branch(&nb) {
        // `Constraint::versionCompare`: two branches are only ever equal or not.
        return if na == nb {
            Ok(Ordering::Equal)
        } else {
            Err(VersionError::Incomparable {
                scheme: SCHEME,
                a: a.to_owned(),
                b: b.to_owned(),
                reason: "Composer gives two different branches no order".to_owned(),
            })
        };
    }
    Ok(version_compare(na.as_bytes(), nb.as_bytes()))
}

pub(super) fn validate(version: &str) -> Result<(), VersionError> {
    normalize(version)
        .map(|_| ())
        .ok_or_else(|| invalid(version))
}

fn invalid(version: &str) -> VersionError {
    VersionError::invalid(SCHEME, version, "Composer cannot normalize it")
}

/// PCRE's `\s` (without Unicode): space, `\t \n \v \f \r`.
fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// PCRE's `$` without `D`: at the end, or before a newline that ends the string.
fn at_end(s: &[u8], i: usize) -> bool {
    i == s.len() || (i + 1 == s.len() && s[i] == b'\n')
}

fn digits_end(s: &[u8], i: usize) -> usize {
    i + s[i.min(s.len())..]
        .iter()
        .take_while(|c| c.is_ascii_digit())
        .count()
}

/// Whether `word` is at `i`, ignoring ASCII case.
fn word_at(s: &[u8], i: usize, word: &str) -> bool {
    s.len() >= i + word.len() && s[i..i + word.len()].eq_ignore_ascii_case(word.as_bytes())
}

/// What the modifier part of a version matched.
struct Modifier {
    /// The stability word as written (`RC`, `b`, `pl`…).
    stability: Option<String>,
    /// The numbers after it (`.2.1`, `-3`).
    numbers: String,
    dev: bool,
}

/// `[._-]?(?:(stable|beta|b|RC|alpha|a|patch|pl|p)((?:[.-]?\d+)*+)?)?([.-]?dev)?$`
/// (case-insensitive) on the rest of the string, in PCRE's order of trial.
fn modifier(s: &[u8], i: usize) -> Option<Modifier> {
    const WORDS: [&str; 9] = [
        "stable", "beta", "b", "RC", "alpha", "a", "patch", "pl", "p",
    ];
    let mut starts = vec![];
    if s.get(i).is_some_and(|c| b"._-".contains(c)) {
        starts.push(i + 1);
    }
    starts.push(i);
    for start in starts {
        let mut readings: Vec<(usize, Option<String>, String)> = Vec::new();
        for word in WORDS {
            if word_at(s, start, word) {
                let mut k = start + word.len();
                // (?:[.-]?\d+)*+ takes every repetition it can, for good.
                loop {
                    let after_sep = if s.get(k).is_some_and(|c| b".-".contains(c)) {
                        k + 1
                    } else {
                        k
                    };
                    let end = digits_end(s, after_sep);
                    if end == after_sep {
                        break;
                    }
                    k = end;
                }
                let stability = String::from_utf8_lossy(&s[start..start + word.len()]).into_owned();
                let numbers = String::from_utf8_lossy(&s[start + word.len()..k]).into_owned();
                readings.push((k, Some(stability), numbers));
            }
        }
        readings.push((start, None, String::new()));
        for (k, stability, numbers) in readings {
            // ([.-]?dev)?$
            let sep = usize::from(s.get(k).is_some_and(|c| b".-".contains(c)));
            if word_at(s, k + sep, "dev") && at_end(s, k + sep + 3) {
                return Some(Modifier {
                    stability,
                    numbers,
                    dev: true,
                });
            }
            if at_end(s, k) {
                return Some(Modifier {
                    stability,
                    numbers,
                    dev: false,
                });
            }
        }
    }
    None
}

/// Appends the modifier as `normalize` does. An explicit `stable` (lower case, as PHP
/// compares it) returns the version as it is, dropping even a `-dev`.
fn with_modifier(mut version: String, m: &Modifier) -> String {
    if let Some(stability) = m.stability.as_deref().filter(|s| !s.is_empty()) {
        if stability == "stable" {
            return version;
        }
        version.push('-');
        version.push_str(&expand_stability(stability));
        version.push_str(m.numbers.trim_start_matches(['.', '-']));
    }
    if m.dev {
        version.push_str("-dev");
    }
    version
}

fn expand_stability(stability: &str) -> String {
    let lower = stability.to_ascii_lowercase();
    match lower.as_str() {
        "a" => "alpha".to_owned(),
        "b" => "beta".to_owned(),
        "p" | "pl" => "patch".to_owned(),
        "rc" => "RC".to_owned(),
        _ => lower,
    }
}

/// `^v?(\d{1,5}+)(\.\d++)?(\.\d++)?(\.\d++)?` + modifier: the classical form.
fn classical(s: &[u8]) -> Option<String> {
    let mut i = usize::from(s.first().is_some_and(|c| *c == b'v' || *c == b'V'));
    let run = digits_end(s, i) - i;
    if run == 0 {
        return None;
    }
    let major_end = i + run.min(5);
    let mut version = String::from_utf8_lossy(&s[i..major_end]).into_owned();
    i = major_end;
    // Every further `.digits` must be taken: nothing after them may start with a digit.
    let mut parts = 1;
    while s.get(i) == Some(&b'.') && digits_end(s, i + 1) > i + 1 {
        if parts == 4 {
            return None;
        }
        let end = digits_end(s, i + 1);
        version.push_str(&String::from_utf8_lossy(&s[i..end]));
        i = end;
        parts += 1;
    }
    for _ in parts..4 {
        version.push_str(".0");
    }
    let m = modifier(s, i)?;
    Some(with_modifier(version, &m))
}

/// `^v?(\d{4}(?:[.:-]?\d{2}){1,6}(?:[.:-]?\d{1,3}){0,2})` + modifier: date-based
/// versions. The date part is tried in PCRE's order of backtracking; the first end of it
/// after which the modifier matches wins.
fn date_based(s: &[u8]) -> Option<String> {
    let start = usize::from(s.first().is_some_and(|c| *c == b'v' || *c == b'V'));
    if digits_end(s, start) < start + 4 {
        return None;
    }
    let mut found = None;
    date_pairs(s, start + 4, 0, &mut |end| {
        modifier(s, end).map(|m| {
            let date: String = s[start..end]
                .iter()
                .map(|&c| {
                    if c.is_ascii_digit() {
                        char::from(c)
                    } else {
                        '.'
                    }
                })
                .collect();
            found = Some(with_modifier(date, &m));
        })
    });
    found
}

/// The separators `[.:-]?` that may come at `i`, greedy first.
fn date_separators(s: &[u8], i: usize) -> Vec<usize> {
    if s.get(i).is_some_and(|c| b".:-".contains(c)) {
        vec![i + 1, i]
    } else {
        vec![i]
    }
}

/// `(?:[.:-]?\d{2}){1,6}` after `count` repetitions, then the tail; stops at the first
/// end for which `accept` succeeds.
fn date_pairs(
    s: &[u8],
    i: usize,
    count: usize,
    accept: &mut dyn FnMut(usize) -> Option<()>,
) -> bool {
    if count < 6 {
        for k in date_separators(s, i) {
            if digits_end(s, k) >= k + 2 && date_pairs(s, k + 2, count + 1, accept) {
                return true;
            }
        }
    }
    count >= 1 && date_tail(s, i, 0, accept)
}

/// `(?:[.:-]?\d{1,3}){0,2}` after `count` repetitions.
fn date_tail(
    s: &[u8],
    i: usize,
    count: usize,
    accept: &mut dyn FnMut(usize) -> Option<()>,
) -> bool {
    if count < 2 {
        for k in date_separators(s, i) {
            let available = digits_end(s, k) - k;
            for len in (1..=available.min(3)).rev() {
                if date_tail(s, k + len, count + 1, accept) {
                    return true;
                }
            }
        }
    }
    accept(i).is_some()
}

/// `VersionParser::normalizeBranch`.
fn normalize_branch(name: &[u8]) -> String {
    let name = php_trim(name);
    let numeric = || -> Option<String> {
        let mut i = usize::from(name.first().is_some_and(|c| *c == b'v' || *c == b'V'));
        let end = digits_end(name, i);
        if end == i {
            return None;
        }
        let mut version = String::from_utf8_lossy(&name[i..end]).into_owned();
        i = end;
        let mut parts = 1;
        while name.get(i) == Some(&b'.') && parts < 4 {
            let end = digits_end(name, i + 1);
            if end > i + 1 {
                version.push_str(&String::from_utf8_lossy(&name[i..end]));
                i = end;
            } else if name.get(i + 1).is_some_and(|c| b"xX*".contains(c)) {
                version.push_str(".x");
                i += 2;
            } else {
                return None;
            }
            parts += 1;
        }
        if !at_end(name, i) {
            return None;
        }
        for _ in parts..4 {
            version.push_str(".x");
        }
        Some(version.replace('x', "9999999") + "-dev")
    };
    numeric().unwrap_or_else(|| format!("dev-{}", String::from_utf8_lossy(name)))
}

/// PHP's `trim`: spaces, `\t \n \r \0 \x0B`.
fn php_trim(s: &[u8]) -> &[u8] {
    let strip = |c: &u8| matches!(c, b' ' | b'\t' | b'\n' | b'\r' | 0 | 0x0b);
    let start = s.iter().position(|c| !strip(c)).unwrap_or(s.len());
    let end = s.iter().rposition(|c| !strip(c)).map_or(start, |i| i + 1);
    &s[start..end.max(start)]
}

/// `VersionParser::normalize`, or `None` where it throws.
pub(super) fn normalize(version: &str) -> Option<String> {
    let mut v: &[u8] = php_trim(version.as_bytes());

    // Strip off aliasing: `^([^,\s]++) ++as ++([^,\s]++)$`.
    let token = |s: &[u8], i: usize| {
        i + s[i.min(s.len())..]
            .iter()
            .take_while(|&&c| c != b',' && !is_space(c))
            .count()
    };
    let first = token(v, 0);
    if first > 0 {
        let spaces = |i: usize| {
            i + v[i.min(v.len())..]
                .iter()
                .take_while(|&&c| c == b' ')
                .count()
        };
        let after_spaces = spaces(first);
        if after_spaces > first && v[after_spaces..].starts_with(b"as") {
            let after_as = spaces(after_spaces + 2);
            let second = token(v, after_as);
            if after_as > after_spaces + 2 && second > after_as && at_end(v, second) {
                v = &v[..first];
            }
        }
    }

    // Strip off a stability flag: `@(?:stable|RC|beta|alpha|dev)$`, case-insensitively.
    for flag in ["stable", "RC", "beta", "alpha", "dev"] {
        let with_at = flag.len() + 1;
        for newline in [0, 1] {
            if newline == 1 && v.last() != Some(&b'\n') {
                continue;
            }
            let len = v.len() - newline;
            if len >= with_at
                && v[len - with_at] == b'@'
                && v[len - flag.len()..len].eq_ignore_ascii_case(flag.as_bytes())
            {
                // PHP cuts strlen(match) bytes off the end, newline or not.
                v = &v[..v.len() - with_at];
                break;
            }
        }
    }

    if v == b"master" || v == b"trunk" || v == b"default" {
        return Some(format!("dev-{}", String::from_utf8_lossy(v)));
    }
    if v.len() >= 4 && v[..4].eq_ignore_ascii_case(b"dev-") {
        return Some(format!("dev-{}", String::from_utf8_lossy(&v[4..])));
    }

    // Strip off build metadata: `^([^,\s+]++)\+[^\s]++$`.
    let head = v
        .iter()
        .take_while(|&&c| c != b',' && c != b'+' && !is_space(c))
        .count();
    if head > 0 && v.get(head) == Some(&b'+') {
        let tail = head + 1 + v[head + 1..].iter().take_while(|&&c| !is_space(c)).count();
        if tail > head + 1 && at_end(v, tail) {
            v = &v[..head];
        }
    }

    if let Some(normalized) = classical(v).or_else(|| date_based(v)) {
        return Some(normalized);
    }

    // Numeric branches: `(.*?)[.-]?dev$`, case-insensitively; `.` stops at newlines.
    let body_end = if v.len() >= 3 && v[v.len() - 3..].eq_ignore_ascii_case(b"dev") {
        Some(v.len() - 3)
    } else if v.len() >= 4
        && v[v.len() - 1] == b'\n'
        && v[v.len() - 4..v.len() - 1].eq_ignore_ascii_case(b"dev")
    {
        Some(v.len() - 4)
    } else {
        None
    };
    if let Some(dev_at) = body_end {
        let body_end = if dev_at > 0 && b".-".contains(&v[dev_at - 1]) {
            dev_at - 1
        } else {
            dev_at
        };
        let body_start = v[..body_end]
            .iter()
            .rposition(|&c| c == b'\n')
            .map_or(0, |i| i + 1);
        let normalized = normalize_branch(&v[body_start..body_end]);
        if !normalized.contains("dev-") {
            return Some(normalized);
        }
    }
    None
}

/// PHP's `version_compare`, ported from `php_version_compare` with its C string
/// semantics (a NUL ends the string, `strchr` walks the parts).
fn version_compare(a: &[u8], b: &[u8]) -> Ordering {
    let c_str = |s: &[u8]| -> Vec<u8> { s.iter().copied().take_while(|&c| c != 0).collect() };
    let (a, b) = (c_str(a), c_str(b));
    if a.is_empty() || b.is_empty() {
        return (!a.is_empty()).cmp(&!b.is_empty());
    }
    let v1 = if a[0] == b'#' { a } else { canonicalize(&a) };
    let v2 = if b[0] == b'#' { b } else { canonicalize(&b) };
    let at = |v: &[u8], i: usize| v.get(i).copied().unwrap_or(0);
    let dot_from = |v: &[u8], i: usize| {
        v[i.min(v.len())..]
            .iter()
            .position(|&c| c == b'.')
            .map(|k| i + k)
    };
    let (mut p1, mut p2) = (0usize, 0usize);
    let (mut n1, mut n2) = (Some(0usize), Some(0usize));
    let mut compare = Ordering::Equal;
    while at(&v1, p1) != 0 && at(&v2, p2) != 0 && n1.is_some() && n2.is_some() {
        n1 = dot_from(&v1, p1);
        n2 = dot_from(&v2, p2);
        let part1 = &v1[p1..n1.unwrap_or(v1.len())];
        let part2 = &v2[p2..n2.unwrap_or(v2.len())];
        let (d1, d2) = (at(part1, 0).is_ascii_digit(), at(part2, 0).is_ascii_digit());
        compare = match (d1, d2) {
            (true, true) => strtol(part1).cmp(&strtol(part2)),
            (false, false) => special_form(part1).cmp(&special_form(part2)),
            (true, false) => special_form(b"#N#").cmp(&special_form(part2)),
            (false, true) => special_form(part1).cmp(&special_form(b"#N#")),
        };
        if compare != Ordering::Equal {
            break;
        }
        if let Some(n) = n1 {
            p1 = n + 1;
        }
        if let Some(n) = n2 {
            p2 = n + 1;
        }
    }
    if compare == Ordering::Equal {
        if n1.is_some() {
            compare = if at(&v1, p1).is_ascii_digit() {
                Ordering::Greater
            } else {
                version_compare(&v1[p1.min(v1.len())..], b"#N#")
            };
        } else if n2.is_some() {
            compare = if at(&v2, p2).is_ascii_digit() {
                Ordering::Less
            } else {
                version_compare(b"#N#", &v2[p2.min(v2.len())..])
            };
        }
    }
    compare
}

/// `compare_special_version_forms`: the rank of the first special form that the part
/// starts with, or -1.
fn special_form(part: &[u8]) -> i8 {
    const FORMS: [(&[u8], i8); 10] = [
        (b"dev", 0),
        (b"alpha", 1),
        (b"a", 1),
        (b"beta", 2),
        (b"b", 2),
        (b"RC", 3),
        (b"rc", 3),
        (b"#", 4),
        (b"pl", 5),
        (b"p", 5),
    ];
    FORMS
        .iter()
        .find(|(form, _)| part.starts_with(form))
        .map_or(-1, |&(_, rank)| rank)
}

/// C's `strtol(part, NULL, 10)` on a part that starts with a digit: saturates at
/// `LONG_MAX`.
fn strtol(part: &[u8]) -> i64 {
    part.iter()
        .take_while(|c| c.is_ascii_digit())
        .try_fold(0i64, |acc, &c| {
            acc.checked_mul(10)?.checked_add(i64::from(c - b'0'))
        })
        .unwrap_or(i64::MAX)
}

/// `php_canonicalize_version`: `-`, `_`, `+` and other non-alphanumerics become `.`,
/// and a `.` goes between a digit and a non-digit, never two in a row.
fn canonicalize(v: &[u8]) -> Vec<u8> {
    let isdig = |c: u8| c.is_ascii_digit();
    let isndig = |c: u8| !c.is_ascii_digit() && c != b'.';
    let mut out = Vec::with_capacity(v.len() * 2);
    out.push(v[0]);
    let mut lp = v[0];
    for &c in &v[1..] {
        if c == 0 {
            break;
        }
        let lq = *out.last().unwrap_or(&0);
        if c == b'-' || c == b'_' || c == b'+' {
            if lq != b'.' {
                out.push(b'.');
            }
        } else if (isndig(lp) && isdig(c)) || (isdig(lp) && isndig(c)) {
            if lq != b'.' {
                out.push(b'.');
            }
            out.push(c);
        } else if !c.is_ascii_alphanumeric() {
            if lq != b'.' {
                out.push(b'.');
            }
        } else {
            out.push(c);
        }
        lp = c;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmp(a: &str, b: &str) -> Ordering {
        compare(a, b).unwrap()
    }

    #[test]
    fn stabilities() {
        let order = [
            "1.0-dev",
            "1.0-alpha1",
            "1.0-beta2",
            "1.0-RC1",
            "1.0",
            "1.0-p1",
        ];
        for pair in order.windows(2) {
            assert_eq!(cmp(pair[0], pair[1]), Ordering::Less, "{pair:?}");
        }
        assert_eq!(cmp("v1.0", "1.0.0.0"), Ordering::Equal);
        assert_eq!(cmp("1.0.0-b2", "1.0.0-beta.2"), Ordering::Equal);
        assert_eq!(cmp("dev-main", "1.0"), Ordering::Less);
        assert!(matches!(
            compare("dev-a", "dev-b"),
            Err(VersionError::Incomparable { .. })
        ));
    }

    #[test]
    fn normalization() {
        assert_eq!(
            normalize("1.x-dev").as_deref(),
            Some("1.9999999.9999999.9999999-dev")
        );
        assert_eq!(normalize("20230131.0.0").as_deref(), Some("20230131.0.0"));
        assert_eq!(normalize("1.0.0-stable-dev").as_deref(), Some("1.0.0.0"));
        assert_eq!(normalize("1.0.0-meh"), None);
        assert_eq!(normalize(""), None);
    }
}
