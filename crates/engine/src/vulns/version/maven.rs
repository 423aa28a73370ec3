//! Maven versions, ordered as Maven's `ComparableVersion` orders them
//! (`maven-artifact/src/main/java/org/apache/maven/artifact/versioning/ComparableVersion.java`,
//! Maven 3.8.7, whose logic is unchanged in 3.9.x), the order the POM reference's "Version
//! Order Specification" describes.
//!
//! The lower-cased string is cut into items at `.`, at `-` and at every change between
//! digits and non-digits. Numbers compare numerically; words are qualifiers ordered
//! `alpha < beta < milestone < rc = cr < snapshot < "" = ga = final = release < sp`, then
//! unknown words alphabetically; `a1`, `b1`, `m1` abbreviate alpha, beta, milestone. A `-`
//! (or a word glued to digits) opens a nested list, so `1-1` sorts after `1.1`'s
//! qualifiers but before `1.1` itself. Trailing zeros and release qualifiers are dropped
//! (`1.0.0 = 1 = 1-ga`), and a missing item pads as zero or as the empty qualifier.
//!
//! Maven orders every string, so nothing is invalid, except strings longer than
//! [`MAX_LEN`] characters: the nested lists are compared recursively and a kilobyte of
//! dashes is no version.

use std::cmp::Ordering;

use super::{BigNum, VersionError, VersionScheme};

const SCHEME: VersionScheme = VersionScheme::Maven;

/// The longest version accepted, in characters: it bounds the depth of the nested lists.
pub(crate) const MAX_LEN: usize = 1024;

const QUALIFIERS: [&str; 7] = ["alpha", "beta", "milestone", "rc", "snapshot", "", "sp"];

/// `RELEASE_VERSION_INDEX`: the comparable form of the empty qualifier.
const RELEASE: &str = "5";

/// An item of a parsed version.
#[derive(Debug)]
enum Item {
    /// `IntItem`, `LongItem` and `BigIntegerItem`: which one depends on the number of
    /// digits (up to 9, up to 18, more), and a longer kind always compares greater.
    Number { kind: u8, value: BigNum },
    /// `StringItem`, holding its value after abbreviations and aliases.
    Text(String),
    /// `ListItem`.
    List(Vec<Item>),
}

impl Item {
    fn is_null(&self) -> bool {
        match self {
            Item::Number { value, .. } => value.is_zero(),
            Item::Text(value) => value.is_empty(),
            Item::List(items) => items.is_empty(),
        }
    }

    /// `Item.compareTo(item)`, where `None` is Java's `null` (the shorter list ran out).
    fn compare(&self, other: Option<&Item>) -> Ordering {
        match (self, other) {
            (Item::Number { value, .. }, None) => {
                if value.is_zero() {
                    Ordering::Equal
                } else {
                    Ordering::Greater
                }
            }
            (
                Item::Number { kind, value },
                Some(Item::Number {
                    kind: k2,
                    value: v2,
                }),
            ) => kind.cmp(k2).then_with(|| value.cmp(v2)),
            (Item::Number { .. }, Some(_)) => Ordering::Greater,
            (Item::Text(value), None) => java_cmp(&comparable_qualifier(value), RELEASE),
            (Item::Text(_), Some(Item::Number { .. } | Item::List(_))) => Ordering::Less,
            (Item::Text(a), Some(Item::Text(b))) => {
                java_cmp(&comparable_qualifier(a), &comparable_qualifier(b))
            }
            (Item::List(items), None) => items
                .iter()
                .map(|item| item.compare(None))
                .find(|&r| r != Ordering::Equal)
                .unwrap_or(Ordering::Equal),
            (Item::List(_), Some(Item::Number { .. })) => Ordering::Less,
            (Item::List(_), Some(Item::Text(_))) => Ordering::Greater,
            (Item::List(left), Some(Item::List(right))) => {
                for k in 0..left.len().max(right.len()) {
                    let result = match (left.get(k), right.get(k)) {
                        (Some(l), r) => l.compare(r),
                        (None, Some(r)) => r.compare(None).reverse(),
                        (None, None) => Ordering::Equal,
                    };
                    if result != Ordering::Equal {
                        return result;
                    }
                }
                Ordering::Equal
            }
        }
    }
}

/// `StringItem.comparableQualifier`: a known qualifier's index, or `7-` and the word.
fn comparable_qualifier(value: &str) -> String {
    match QUALIFIERS.iter().position(|q| *q == value) {
        Some(i) => i.to_string(),
        None => format!("{}-{value}", QUALIFIERS.len()),
    }
}

/// Java's `String.compareTo`: by UTF-16 code unit, then by length.
fn java_cmp(a: &str, b: &str) -> Ordering {
    a.encode_utf16().cmp(b.encode_utf16())
}

/// The zero digit of each block of Unicode decimal digits (category Nd) in the Basic
/// Multilingual Plane: Java's `Character.isDigit(char)` and `Character.digit` accept them.
const DIGIT_ZEROS: [u32; 37] = [
    0x0030, 0x0660, 0x06F0, 0x07C0, 0x0966, 0x09E6, 0x0A66, 0x0AE6, 0x0B66, 0x0BE6, 0x0C66, 0x0CE6,
    0x0D66, 0x0DE6, 0x0E50, 0x0ED0, 0x0F20, 0x1040, 0x1090, 0x17E0, 0x1810, 0x1946, 0x19D0, 0x1A80,
    0x1A90, 0x1B50, 0x1BB0, 0x1C40, 0x1C50, 0xA620, 0xA8D0, 0xA900, 0xA9D0, 0xA9F0, 0xAA50, 0xABF0,
    0xFF10,
];

/// `Character.digit(c, 10)` for a `char` (supplementary characters are surrogate pairs
/// in Java, never digits).
fn java_digit(c: char) -> Option<u8> {
    let c = u32::from(c);
    DIGIT_ZEROS
        .iter()
        .find(|&&zero| (zero..zero + 10).contains(&c))
        .and_then(|&zero| u8::try_from(c - zero).ok())
}

/// `parseItem`.
fn parse_item(is_digit: bool, chars: &[char]) -> Item {
    if !is_digit {
        return text_item(chars, false);
    }
    // stripLeadingZeroes: only ASCII zeros, and all-zero strings stay as they are.
    let stripped = match chars.iter().position(|&c| c != '0') {
        Some(i) => &chars[i..],
        None if chars.is_empty() => &['0'][..],
        None => chars,
    };
    let kind = match stripped.len() {
        0..=9 => 0,
        10..=18 => 1,
        _ => 2,
    };
    let digits: String = stripped
        .iter()
        .map(|&c| char::from(b'0' + java_digit(c).unwrap_or(0)))
        .collect();
    Item::Number {
        kind,
        value: BigNum::from_digits(&digits),
    }
}

/// `new StringItem(value, followedByDigit)`.
fn text_item(chars: &[char], followed_by_digit: bool) -> Item {
    let mut value: String = chars.iter().collect();
    if followed_by_digit && chars.len() == 1 {
        match chars[0] {
            'a' => value = "alpha".to_owned(),
            'b' => value = "beta".to_owned(),
            'm' => value = "milestone".to_owned(),
            _ => {}
        }
    }
    let value = match value.as_str() {
        "ga" | "final" | "release" => String::new(),
        "cr" => "rc".to_owned(),
        _ => value,
    };
    Item::Text(value)
}

/// A list under construction: its items, and where new sub-lists go.
struct Builder {
    /// All lists opened so far; `items` refer to sub-lists by index.
    lists: Vec<Vec<Pending>>,
    current: usize,
}

enum Pending {
    Item(Item),
    List(usize),
}

impl Builder {
    fn add(&mut self, item: Item) {
        self.lists[self.current].push(Pending::Item(item));
    }

    /// `list.add(list = new ListItem()); stack.push(list)`.
    fn open(&mut self) {
        let id = self.lists.len();
        self.lists.push(Vec::new());
        self.lists[self.current].push(Pending::List(id));
        self.current = id;
    }

    fn is_current_empty(&self) -> bool {
        self.lists[self.current].is_empty()
    }

    /// Normalizes the lists in the order Maven pops them (newest first, so every
    /// sub-list before its parent) and assembles the tree.
    fn finish(mut self) -> Item {
        let mut done: Vec<Option<Vec<Item>>> = (0..self.lists.len()).map(|_| None).collect();
        for id in (0..self.lists.len()).rev() {
            let pending = std::mem::take(&mut self.lists[id]);
            let mut items: Vec<Item> = pending
                .into_iter()
                .map(|p| match p {
                    Pending::Item(item) => item,
                    Pending::List(child) => Item::List(done[child].take().unwrap_or_default()),
                })
                .collect();
            normalize(&mut items);
            done[id] = Some(items);
        }
        Item::List(done[0].take().unwrap_or_default())
    }
}

/// `ListItem.normalize`: drops null items from the end, looking through sub-lists.
fn normalize(items: &mut Vec<Item>) {
    let mut i = items.len();
    while i > 0 {
        i -= 1;
        if items[i].is_null() {
            items.remove(i);
        } else if !matches!(items[i], Item::List(_)) {
            break;
        }
    }
}

/// `ComparableVersion.parseVersion`.
fn parse(version: &str) -> Result<Item, VersionError> {
    let chars: Vec<char> = version.to_lowercase().chars().collect();
    if chars.len() > MAX_LEN {
        return Err(VersionError::invalid(
            SCHEME,
            version,
            format!("longer than {MAX_LEN} characters"),
        ));
    }
    let mut b = Builder {
        lists: vec![Vec::new()],
        current: 0,
    };
    let mut is_digit = false;
    let mut start = 0;
    for (i, &c) in chars.iter().enumerate() {
        if c == '.' || c == '-' {
            if i == start {
                b.add(Item::Number {
                    kind: 0,
                    value: BigNum::zero(),
                });
            } else {
                b.add(parse_item(is_digit, &chars[start..i]));
            }
            start = i + 1;
            if c == '-' {
                b.open();
            }
        } else if java_digit(c).is_some() {
            if !is_digit && i > start {
                // 1.0.0.X1 < 1.0.0-X2: treat .X as -X for any string qualifier X.
                if !b.is_current_empty() {
                    b.open();
                }
                b.add(text_item(&chars[start..i], true));
                start = i;
                b.open();
            }
            is_digit = true;
        } else {
            if is_digit && i > start {
                b.add(parse_item(true, &chars[start..i]));
                start = i;
                b.open();
            }
            is_digit = false;
        }
    }
    if chars.len() > start {
        if !is_digit && !b.is_current_empty() {
            b.open();
        }
        b.add(parse_item(is_digit, &chars[start..]));
    }
    Ok(b.finish())
}

pub(super) fn compare(a: &str, b: &str) -> Result<Ordering, VersionError> {
    Ok(parse(a)?.compare(Some(&parse(b)?)))
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
    fn qualifiers() {
        let order = [
            "1-alpha",
            "1-beta",
            "1-milestone",
            "1-rc",
            "1-snapshot",
            "1",
            "1-sp",
            "1-abc",
            "1-1",
        ];
        for pair in order.windows(2) {
            assert_eq!(cmp(pair[0], pair[1]), Ordering::Less, "{pair:?}");
        }
        assert_eq!(cmp("1-cr", "1-RC"), Ordering::Equal);
        assert_eq!(cmp("1.0.0", "1-ga"), Ordering::Equal);
        assert_eq!(cmp("1a1", "1-alpha-1"), Ordering::Equal);
    }

    #[test]
    fn long_and_strange_strings() {
        assert_eq!(cmp("12345678901234567890", "1234567890"), Ordering::Greater);
        assert_eq!(cmp("", "0"), Ordering::Equal);
        // Java's Character.isDigit takes ARABIC-INDIC DIGIT EIGHT for an 8.
        assert_eq!(cmp("\u{668}", "1"), Ordering::Greater);
        assert!(compare(&"-".repeat(MAX_LEN + 1), "1").is_err());
        assert!(compare(&"-".repeat(MAX_LEN), "1").is_ok());
    }
}
