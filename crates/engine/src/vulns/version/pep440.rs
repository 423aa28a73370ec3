//! PyPI versions, ordered as `packaging.version.Version` orders them (packaging 23.0,
//! `src/packaging/version.py`: `VERSION_PATTERN`, `_parse_letter_version`,
//! `_parse_local_version`, `_cmpkey`).
//!
//! A version is `[N!]N(.N)*[{a|b|rc}N][.postN][.devN][+local]`, in any of the spellings
//! that packaging normalises: `alpha`, `beta`, `c`, `pre`, `preview`, `rev`, `r`, `1.0-1`
//! for a post-release, separators `.`, `-`, `_` or none, upper case, a leading `v`, and
//! surrounding whitespace. It orders by epoch, release (trailing zeros ignored), then
//! `.devN` alone < pre-releases < the release < post-releases, each with its own `.devN`
//! first, and a local version after the same public one.
//!
//! packaging matches with Python's `re` (`IGNORECASE`, Unicode `\s`), so the quirks of that
//! engine are kept: the first way that its backtracking finds to read a string wins
//! (`1.0a-1` is `1.0a1`, not `1.0a0.post1`), `İ ı ſ K` match `i i s k`, and the words
//! are then lower-cased as Python lowers them.

use std::cmp::Ordering;

use super::{BigNum, VersionError, VersionScheme};

const SCHEME: VersionScheme = VersionScheme::Pep440;

/// A parsed version, already in the shape of packaging's comparison key.
#[derive(Debug, PartialEq, Eq)]
struct Version {
    epoch: BigNum,
    /// The release with its trailing zeros dropped.
    release: Vec<BigNum>,
    pre: Option<(String, BigNum)>,
    post: Option<(String, BigNum)>,
    dev: Option<(String, BigNum)>,
    local: Option<Vec<LocalPart>>,
}

/// One dot-separated part of a local version.
#[derive(Debug, PartialEq, Eq)]
enum LocalPart {
    Number(BigNum),
    Text(String),
}

impl Ord for LocalPart {
    /// Letters sort before numbers (`(NegativeInfinity, s)` against `(n, "")`).
    fn cmp(&self, other: &LocalPart) -> Ordering {
        match (self, other) {
            (LocalPart::Number(a), LocalPart::Number(b)) => a.cmp(b),
            (LocalPart::Text(a), LocalPart::Text(b)) => a.cmp(b),
            (LocalPart::Text(_), LocalPart::Number(_)) => Ordering::Less,
            (LocalPart::Number(_), LocalPart::Text(_)) => Ordering::Greater,
        }
    }
}

impl PartialOrd for LocalPart {
    fn partial_cmp(&self, other: &LocalPart) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// A key part that may be packaging's `Infinity` or `NegativeInfinity`.
#[derive(PartialEq, Eq, PartialOrd, Ord)]
enum Bound<T> {
    NegativeInfinity,
    Value(T),
    Infinity,
}

/// The pre, post, dev and local parts of `_cmpkey`.
type Key<'a> = (
    Bound<&'a (String, BigNum)>,
    Bound<&'a (String, BigNum)>,
    Bound<&'a (String, BigNum)>,
    Bound<&'a [LocalPart]>,
);

impl Version {
    /// `_cmpkey` minus the epoch and release.
    fn key(&self) -> Key<'_> {
        let pre = match (&self.pre, &self.post, &self.dev) {
            // 1.0.dev0 sorts before 1.0a0.
            (None, None, Some(_)) => Bound::NegativeInfinity,
            (None, _, _) => Bound::Infinity,
            (Some(pre), _, _) => Bound::Value(pre),
        };
        let post = self
            .post
            .as_ref()
            .map_or(Bound::NegativeInfinity, Bound::Value);
        let dev = self.dev.as_ref().map_or(Bound::Infinity, Bound::Value);
        let local = self
            .local
            .as_deref()
            .map_or(Bound::NegativeInfinity, Bound::Value);
        (pre, post, dev, local)
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Version) -> Ordering {
        self.epoch
            .cmp(&other.epoch)
            .then_with(|| self.release.cmp(&other.release))
            .then_with(|| self.key().cmp(&other.key()))
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Version) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

pub(super) fn compare(a: &str, b: &str) -> Result<Ordering, VersionError> {
    Ok(parse(a)?.cmp(&parse(b)?))
}

pub(super) fn validate(version: &str) -> Result<(), VersionError> {
    parse(version).map(|_| ())
}

/// Python's `\s` (and `str.isspace`): Unicode White_Space plus the ASCII separators
/// 0x1c-0x1f.
fn is_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// Whether `c` matches the lower-case ASCII letter `lit` under Python's `IGNORECASE`.
fn letter_matches(c: char, lit: char) -> bool {
    c.to_ascii_lowercase() == lit
        || match lit {
            'i' => c == '\u{130}' || c == '\u{131}',
            's' => c == '\u{17f}',
            'k' => c == '\u{212a}',
            _ => false,
        }
}

/// Python's `[a-z0-9]` under `IGNORECASE`.
fn is_local_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '\u{130}' | '\u{131}' | '\u{17f}' | '\u{212a}')
}

fn is_sep(c: char) -> bool {
    matches!(c, '-' | '_' | '.')
}

/// The input as characters, with the small matching helpers the grammar needs.
struct Input {
    chars: Vec<char>,
}

impl Input {
    fn get(&self, i: usize) -> Option<char> {
        self.chars.get(i).copied()
    }

    fn text(&self, from: usize, to: usize) -> String {
        self.chars[from..to].iter().collect()
    }

    /// The end of the ASCII digits starting at `i` (`i` itself if there are none).
    fn digits(&self, i: usize) -> usize {
        i + self.chars[i.min(self.chars.len())..]
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count()
    }

    /// The end of `word` matched at `i` under `IGNORECASE`.
    fn word(&self, i: usize, word: &str) -> Option<usize> {
        let mut k = i;
        for lit in word.chars() {
            if !self.get(k).is_some_and(|c| letter_matches(c, lit)) {
                return None;
            }
            k += 1;
        }
        Some(k)
    }

    /// The positions after an optional `[-_\.]` at `i`, in the order the regex tries them.
    fn optional_sep(&self, i: usize) -> Vec<usize> {
        if self.get(i).is_some_and(is_sep) {
            vec![i + 1, i]
        } else {
            vec![i]
        }
    }

    /// The readings of a `[-_\.]?(words)[-_\.]?([0-9]+)?` group at `i`, in the order the
    /// regex tries them: (end, word as written, number as written).
    fn lettered(&self, i: usize, words: &[&str]) -> Vec<(usize, String, Option<String>)> {
        let mut out = Vec::new();
        for after_sep in self.optional_sep(i) {
            for word in words {
                let Some(after_word) = self.word(after_sep, word) else {
                    continue;
                };
                let letters = self.text(after_sep, after_word);
                for before_number in self.optional_sep(after_word) {
                    let end = self.digits(before_number);
                    if end > before_number {
                        let number = self.text(before_number, end);
                        out.push((end, letters.clone(), Some(number)));
                    }
                    out.push((before_number, letters.clone(), None));
                }
            }
        }
        out
    }
}

/// `_parse_letter_version`: the word lower-cased the way Python does, the usual
/// alternative spellings replaced, and a missing number as 0.
fn letter_version(word: &str, number: Option<&str>) -> (String, BigNum) {
    let lower = word.to_lowercase();
    let letter = match lower.as_str() {
        "alpha" => "a".to_owned(),
        "beta" => "b".to_owned(),
        "c" | "pre" | "preview" => "rc".to_owned(),
        "rev" | "r" => "post".to_owned(),
        _ => lower,
    };
    (
        letter,
        number.map_or_else(BigNum::zero, BigNum::from_digits),
    )
}

type Lettered = Option<(String, BigNum)>;

fn parse(s: &str) -> Result<Version, VersionError> {
    let input = Input {
        chars: s.chars().collect(),
    };
    let invalid = || VersionError::invalid(SCHEME, s, "not a PEP 440 version");

    // ^\s* v?
    let mut i = input.chars.iter().take_while(|&&c| is_space(c)).count();
    if input.get(i).is_some_and(|c| c == 'v' || c == 'V') {
        i += 1;
    }
    // (?:(?P<epoch>[0-9]+)!)?
    let mut epoch = BigNum::zero();
    let epoch_end = input.digits(i);
    if epoch_end > i && input.get(epoch_end) == Some('!') {
        epoch = BigNum::from_digits(&input.text(i, epoch_end));
        i = epoch_end + 1;
    }
    // (?P<release>[0-9]+(?:\.[0-9]+)*): the longest run is the only one that can succeed,
    // since nothing after it may start with a digit or with a dot and a digit.
    let mut release = Vec::new();
    let end = input.digits(i);
    if end == i {
        return Err(invalid());
    }
    release.push(BigNum::from_digits(&input.text(i, end)));
    i = end;
    while input.get(i) == Some('.') && input.digits(i + 1) > i + 1 {
        let end = input.digits(i + 1);
        release.push(BigNum::from_digits(&input.text(i + 1, end)));
        i = end;
    }
    while release.last().is_some_and(BigNum::is_zero) {
        release.pop();
    }

    // The optional pre, post and dev groups: every reading, in the regex's order of trial,
    // until the rest of the string also matches.
    let mut pres: Vec<(usize, Lettered)> = input
        .lettered(i, &["alpha", "a", "beta", "b", "preview", "pre", "c", "rc"])
        .into_iter()
        .map(|(end, word, number)| (end, Some(letter_version(&word, number.as_deref()))))
        .collect();
    pres.push((i, None));
    for (after_pre, pre) in pres {
        let mut posts: Vec<(usize, Lettered)> = Vec::new();
        // (?:-(?P<post_n1>[0-9]+))
        if input.get(after_pre) == Some('-') {
            let end = input.digits(after_pre + 1);
            if end > after_pre + 1 {
                let number = input.text(after_pre + 1, end);
                posts.push((end, Some(("post".to_owned(), BigNum::from_digits(&number)))));
            }
        }
        posts.extend(
            input
                .lettered(after_pre, &["post", "rev", "r"])
                .into_iter()
                .map(|(end, word, number)| (end, Some(letter_version(&word, number.as_deref())))),
        );
        posts.push((after_pre, None));
        for (after_post, post) in posts {
            let mut devs: Vec<(usize, Lettered)> = input
                .lettered(after_post, &["dev"])
                .into_iter()
                .map(|(end, word, number)| (end, Some(letter_version(&word, number.as_deref()))))
                .collect();
            devs.push((after_post, None));
            for (after_dev, dev) in devs {
                let Some((after_local, local)) = parse_local(&input, after_dev) else {
                    continue;
                };
                // \s*$
                if input.chars[after_local..].iter().all(|&c| is_space(c)) {
                    return Ok(Version {
                        epoch,
                        release,
                        pre,
                        post,
                        dev,
                        local,
                    });
                }
            }
        }
    }
    Err(invalid())
}

/// `(?:\+(?P<local>[a-z0-9]+(?:[-_\.][a-z0-9]+)*))?` at `i`: the end and the parts, or
/// `None` if a `+` is there but no local version follows (nothing else can then match).
fn parse_local(input: &Input, i: usize) -> Option<(usize, Option<Vec<LocalPart>>)> {
    if input.get(i) != Some('+') {
        return Some((i, None));
    }
    let run = |from: usize| {
        from + input.chars[from.min(input.chars.len())..]
            .iter()
            .take_while(|&&c| is_local_char(c))
            .count()
    };
    let mut parts = Vec::new();
    let mut start = i + 1;
    let mut end = run(start);
    if end == start {
        return None;
    }
    loop {
        let part = input.text(start, end);
        parts.push(if part.chars().all(|c| c.is_ascii_digit()) {
            LocalPart::Number(BigNum::from_digits(&part))
        } else {
            LocalPart::Text(part.to_lowercase())
        });
        if input.get(end).is_some_and(is_sep) && run(end + 1) > end + 1 {
            start = end + 1;
            end = run(start);
        } else {
            return Some((end, Some(parts)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmp(a: &str, b: &str) -> Ordering {
        compare(a, b).unwrap()
    }

    #[test]
    fn spellings_normalise() {
        assert_eq!(cmp("1.0alpha1", "1.0a1"), Ordering::Equal);
        assert_eq!(cmp("1.0-1", "1.0.post1"), Ordering::Equal);
        assert_eq!(cmp("1.0c1", "1.0rc1"), Ordering::Equal);
        assert_eq!(cmp(" v1.0.0 \n", "1"), Ordering::Equal);
        assert_eq!(cmp("1.0a-1", "1.0a1"), Ordering::Equal);
        assert_eq!(cmp("1.0a--1", "1.0a0.post1"), Ordering::Equal);
        assert_eq!(cmp("1.0+ABC.1", "1.0+abc-1"), Ordering::Equal);
    }

    #[test]
    fn ordering() {
        assert_eq!(cmp("1.0.dev1", "1.0a1"), Ordering::Less);
        assert_eq!(cmp("1.0a1.dev1", "1.0a1"), Ordering::Less);
        assert_eq!(cmp("1.0", "1.0.post1.dev1"), Ordering::Less);
        assert_eq!(cmp("1.0+abc", "1.0+1"), Ordering::Less);
        assert_eq!(cmp("1.0", "1.0+0"), Ordering::Less);
        assert_eq!(cmp("1!0.1", "2.0"), Ordering::Greater);
    }

    #[test]
    fn invalid() {
        for bad in [
            "",
            "v",
            "1.",
            "1.0+",
            "1.0+a+",
            "french toast",
            "1..0",
            "1.0-",
        ] {
            assert!(compare(bad, "1").is_err(), "{bad:?}");
        }
    }
}
