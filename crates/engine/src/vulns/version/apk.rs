//! Alpine versions, ordered exactly as apk-tools' `apk_version_compare` orders them
//! (`src/version.c` of apk-tools 2.14/3.x, with the `~hash` component, and the byte classes
//! of `src/ctype.c`).
//!
//! A version is `digits{.digits}[letter]{_suffix[number]}[~hash][-rN]`. It is read as a
//! sequence of tokens, each compared with the other version's token at the same place:
//! numbers numerically (but as strings when either has a leading zero, as Gentoo does),
//! the letter by its byte, suffixes by rank (`_alpha _beta _pre _rc` < no suffix <
//! `_cvs _svn _git _hg _p`), the commit hash as a string, `-rN` numerically. Where one
//! version has a token of a different kind, or has run out, the kinds decide: a
//! pre-release suffix makes a version smaller, otherwise the version whose next token is of
//! a later kind (say `-r1` against `.1`) is the smaller one, and running out is later than
//! all but garbage.
//!
//! apk compares any string, valid or not (`1.0 < 1.0bc` although `1.0bc` is not a version):
//! [`compare`] never fails, [`validate`] is `apk_version_validate`.

use std::cmp::Ordering;

use super::{VersionError, VersionScheme};

/// The token kinds, in apk's order: a later kind in the same place makes a smaller version.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Token {
    InitialDigit,
    Digit,
    Letter,
    Suffix,
    SuffixNo,
    CommitHash,
    RevisionNo,
    End,
    Invalid,
}

/// Suffix ranks; `None` (no suffix) is the pivot between pre- and post-release suffixes.
const SUFFIX_INVALID: u8 = 0;
const SUFFIX_NONE: u8 = 5;
const SUFFIXES: [(&[u8], u8); 9] = [
    (b"alpha", 1),
    (b"beta", 2),
    (b"pre", 3),
    (b"rc", 4),
    (b"cvs", 6),
    (b"svn", 7),
    (b"git", 8),
    (b"hg", 9),
    (b"p", 10),
];

/// The reader over one version: the token just read and what is left of the string.
struct Tokens<'a> {
    token: Token,
    suffix: u8,
    number: u64,
    value: &'a [u8],
    rest: &'a [u8],
}

impl<'a> Tokens<'a> {
    /// `token_first`: every version starts with a number.
    fn first(s: &'a [u8]) -> Tokens<'a> {
        let mut t = Tokens {
            token: Token::InitialDigit,
            suffix: SUFFIX_INVALID,
            number: 0,
            value: &[],
            rest: s,
        };
        t.parse_digits();
        t
    }

    /// `token_parse_digits`: `apk_blob_pull_uint(b, 10)`, which stops at a NUL and wraps
    /// around on overflow; no digits at all make the token invalid.
    fn parse_digits(&mut self) {
        let len = self.rest.iter().take_while(|c| c.is_ascii_digit()).count();
        self.number = self.rest[..len].iter().fold(0u64, |acc, &c| {
            acc.wrapping_mul(10).wrapping_add(u64::from(c - b'0'))
        });
        self.value = &self.rest[..len];
        self.rest = &self.rest[len..];
        if len == 0 {
            self.token = Token::Invalid;
        }
    }

    /// `token_next`: reads the next token, checking that it may follow the previous one.
    fn next(&mut self) {
        let Some(&c) = self.rest.first() else {
            self.token = Token::End;
            return;
        };
        match c {
            b'a'..=b'z' => {
                if self.token > Token::Digit {
                    return self.invalid();
                }
                self.value = &self.rest[..1];
                self.token = Token::Letter;
                self.rest = &self.rest[1..];
            }
            b'.' | b'0'..=b'9' => {
                if c == b'.' {
                    if self.token > Token::Digit {
                        return self.invalid();
                    }
                    self.rest = &self.rest[1..];
                }
                self.token = match self.token {
                    Token::InitialDigit | Token::Digit => Token::Digit,
                    Token::Suffix => Token::SuffixNo,
                    _ => return self.invalid(),
                };
                self.parse_digits();
            }
            b'_' => {
                if self.token > Token::SuffixNo {
                    return self.invalid();
                }
                let (value, rest) = span(&self.rest[1..], |c| c.is_ascii_lowercase());
                self.value = value;
                self.rest = rest;
                self.suffix = suffix_value(value);
                if self.suffix == SUFFIX_INVALID {
                    return self.invalid();
                }
                self.token = Token::Suffix;
            }
            b'~' => {
                if self.token >= Token::CommitHash {
                    return self.invalid();
                }
                let (value, rest) =
                    span(&self.rest[1..], |c| matches!(c, b'0'..=b'9' | b'a'..=b'f'));
                if value.is_empty() {
                    return self.invalid();
                }
                self.value = value;
                self.rest = rest;
                self.token = Token::CommitHash;
            }
            b'-' => {
                if self.token >= Token::RevisionNo || !self.rest.starts_with(b"-r") {
                    return self.invalid();
                }
                self.rest = &self.rest[2..];
                self.token = Token::RevisionNo;
                self.parse_digits();
            }
            _ => self.invalid(),
        }
    }

    fn invalid(&mut self) {
        self.token = Token::Invalid;
    }
}

/// `apk_blob_spn` over one of apk's byte classes, which only constrains ASCII: bytes
/// above 0x7f are taken into the span whatever the class.
fn span(s: &[u8], class: impl Fn(u8) -> bool) -> (&[u8], &[u8]) {
    let len = s.iter().take_while(|&&c| c >= 0x80 || class(c)).count();
    s.split_at(len)
}

/// `suffix_value`: the rank of a suffix that is exactly one of the known words.
fn suffix_value(s: &[u8]) -> u8 {
    SUFFIXES
        .iter()
        .find(|(word, _)| *word == s)
        .map_or(SUFFIX_INVALID, |&(_, rank)| rank)
}

/// `token_cmp`, for two tokens of the same kind.
fn token_cmp(a: &Tokens<'_>, b: &Tokens<'_>) -> Ordering {
    match a.token {
        Token::Digit if a.value.first() == Some(&b'0') || b.value.first() == Some(&b'0') => {
            // A leading zero makes apk compare the digits as a string.
            a.value.cmp(b.value)
        }
        Token::Digit | Token::InitialDigit | Token::SuffixNo | Token::RevisionNo => {
            a.number.cmp(&b.number)
        }
        Token::Letter => a.value.first().cmp(&b.value.first()),
        Token::Suffix => a.suffix.cmp(&b.suffix),
        _ => a.value.cmp(b.value),
    }
}

pub(super) fn compare(a: &str, b: &str) -> Ordering {
    let mut ta = Tokens::first(a.as_bytes());
    let mut tb = Tokens::first(b.as_bytes());
    while ta.token == tb.token && ta.token < Token::End {
        let r = token_cmp(&ta, &tb);
        if r != Ordering::Equal {
            return r;
        }
        ta.next();
        tb.next();
    }
    if ta.token == tb.token {
        return Ordering::Equal;
    }
    if ta.token == Token::Suffix && ta.suffix < SUFFIX_NONE {
        return Ordering::Less;
    }
    if tb.token == Token::Suffix && tb.suffix < SUFFIX_NONE {
        return Ordering::Greater;
    }
    // A later kind of token in the same place makes the smaller version.
    tb.token.cmp(&ta.token)
}

pub(super) fn validate(version: &str) -> Result<(), VersionError> {
    let mut t = Tokens::first(version.as_bytes());
    while t.token < Token::End {
        t.next();
    }
    if t.token == Token::End {
        Ok(())
    } else {
        Err(VersionError::invalid(
            VersionScheme::Apk,
            version,
            "not digits{.digits}[letter]{_suffix[N]}[~hash][-rN]",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suffixes_revisions_and_hashes() {
        assert_eq!(compare("1.0_rc1", "1.0"), Ordering::Less);
        assert_eq!(compare("1.0_p1", "1.0"), Ordering::Greater);
        assert_eq!(compare("1.0-r1", "1.0"), Ordering::Greater);
        assert_eq!(compare("1.0-r1", "1.0.1"), Ordering::Less);
        assert_eq!(compare("1.0~abc-r1", "1.0~abd-r0"), Ordering::Less);
        assert_eq!(compare("1.2.01", "1.2.1"), Ordering::Less);
        assert_eq!(compare("1.0", "1.0bc"), Ordering::Less);
    }

    #[test]
    fn validation() {
        assert!(validate("1.2.3_alpha1_p2~cafe-r3").is_ok());
        for bad in [
            "",
            "a",
            "1.",
            "1.0-r",
            "1.0_foo",
            "1.0a1",
            "1.0~",
            "1.0-r1-r2",
        ] {
            assert!(validate(bad).is_err(), "{bad:?}");
        }
    }
}
