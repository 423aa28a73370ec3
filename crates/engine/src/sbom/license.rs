//! Licences as packages declare them (`MIT`, `GPL-2+`, `Apache 2.0`, `BSD-3-Clause OR MIT`),
//! sorted into what SBOM formats can carry: an SPDX License List identifier, a valid SPDX
//! license expression, or a bare name.
//!
//! The expression grammar is SPDX 2.3's Annex D over the identifiers in [`license_list`]:
//! `+` binds tightest, then `WITH` (an exception after a licence), `AND`, `OR`, and
//! parentheses group. Identifiers match case-insensitively and come out in the list's
//! spelling; operators are accepted in any case and written in upper case. `LicenseRef-` and
//! `DocumentRef-` references are not accepted: a document would have to define them, and
//! a package's own text is carried as a name (CycloneDX) or as a `LicenseRef-` the SPDX
//! writer defines itself. Anything else, however close (`GPL-2+`, `Apache 2.0`), is a name:
//! nothing is guessed.
//!
//! [`license_list`]: super::license_list

use std::collections::HashMap;
use std::sync::OnceLock;

use super::license_list::{EXCEPTION_IDS, LICENSE_IDS};

/// How deeply parentheses may nest, and how many tokens an expression may have, before a
/// string is taken as a name rather than parsed (hostile input must not exhaust the stack).
const MAX_DEPTH: usize = 32;
const MAX_TOKENS: usize = 512;

/// One declared licence string, classified.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum License {
    /// An SPDX License List identifier, in the list's spelling (`mit` → `MIT`).
    Id(&'static str),
    /// A valid SPDX license expression that is more than one identifier, normalised
    /// (`mit or apache-2.0` → `MIT OR Apache-2.0`).
    Expression(Expression),
    /// Anything else, trimmed.
    Name(String),
}

impl License {
    /// Classifies one declared licence string; `None` for an empty (or blank) one.
    pub fn classify(raw: &str) -> Option<License> {
        let raw = raw.trim();
        if raw.is_empty() {
            return None;
        }
        Some(match Expression::parse(raw) {
            Some(expr) => match expr.as_id() {
                Some(id) => License::Id(id),
                None => License::Expression(expr),
            },
            None => License::Name(raw.to_owned()),
        })
    }

    /// The licence as an expression, when it is one (an identifier is the simplest).
    pub fn expression(&self) -> Option<Expression> {
        match self {
            License::Id(id) => {
                let (id, plus) = strip_plus(id);
                Some(Expression(Node::License { id, plus }))
            }
            License::Expression(expr) => Some(expr.clone()),
            License::Name(_) => None,
        }
    }
}

/// A parsed, valid SPDX license expression over listed identifiers. `Display` writes it
/// back in normal form: single spaces, upper-case operators, parentheses only where a
/// different operator is nested (`MIT OR (Apache-2.0 AND BSD-3-Clause)`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expression(Node);

#[derive(Clone, Debug, PartialEq, Eq)]
enum Node {
    License {
        id: &'static str,
        plus: bool,
    },
    With {
        id: &'static str,
        plus: bool,
        exception: &'static str,
    },
    /// `LicenseRef-<idstring>`: never parsed, only made by [`Expression::license_ref`].
    LicenseRef(String),
    And(Vec<Node>),
    Or(Vec<Node>),
}

impl Expression {
    /// Parses `s` as an SPDX license expression; `None` unless it is valid.
    pub fn parse(s: &str) -> Option<Expression> {
        let tokens = tokenize(s)?;
        let mut parser = Parser {
            tokens: &tokens,
            pos: 0,
            depth: 0,
        };
        let node = parser.or()?;
        (parser.pos == tokens.len()).then_some(Expression(node))
    }

    /// Joins expressions with `AND` (the licences of a package that declares several all
    /// apply to it); `None` for none.
    pub fn all(parts: impl IntoIterator<Item = Expression>) -> Option<Expression> {
        let mut nodes: Vec<Node> = Vec::new();
        for Expression(node) in parts {
            match node {
                Node::And(inner) => nodes.extend(inner),
                other => nodes.push(other),
            }
        }
        match nodes.len() {
            0 => None,
            1 => nodes.pop().map(Expression),
            _ => Some(Expression(Node::And(nodes))),
        }
    }

    /// `LicenseRef-<idstring>`, for a licence the document defines itself. The caller
    /// makes `idstring` unique; anything outside `[A-Za-z0-9.-]` in it is replaced (and an
    /// empty one becomes `unnamed`), so the expression stays valid whatever it is given.
    pub(crate) fn license_ref(idstring: &str) -> Expression {
        let clean = super::naming::sanitize(idstring, usize::MAX);
        let clean = if clean.is_empty() {
            "unnamed".to_owned()
        } else {
            clean
        };
        Expression(Node::LicenseRef(format!("LicenseRef-{clean}")))
    }

    /// The identifier, when the expression is a single listed one (`GPL-2.0+` is listed,
    /// deprecated; `Apache-2.0+` is not).
    pub fn as_id(&self) -> Option<&'static str> {
        match self.0 {
            Node::License { id, plus: false } => Some(id),
            Node::License { id, plus: true } => license_id(&format!("{id}+")),
            _ => None,
        }
    }
}

impl std::fmt::Display for Expression {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write_node(f, &self.0, None)
    }
}

fn write_node(
    f: &mut std::fmt::Formatter<'_>,
    node: &Node,
    parent: Option<&'static str>,
) -> std::fmt::Result {
    let plus = |plus: bool| if plus { "+" } else { "" };
    match node {
        Node::License { id, plus: p } => write!(f, "{id}{}", plus(*p)),
        Node::With {
            id,
            plus: p,
            exception,
        } => write!(f, "{id}{} WITH {exception}", plus(*p)),
        Node::LicenseRef(id) => f.write_str(id),
        Node::And(children) | Node::Or(children) => {
            let op = if matches!(node, Node::And(_)) {
                "AND"
            } else {
                "OR"
            };
            let wrap = parent.is_some_and(|p| p != op);
            if wrap {
                f.write_str("(")?;
            }
            for (i, child) in children.iter().enumerate() {
                if i > 0 {
                    write!(f, " {op} ")?;
                }
                write_node(f, child, Some(op))?;
            }
            if wrap {
                f.write_str(")")?;
            }
            Ok(())
        }
    }
}

/// The listed licence identifier `s` names, in the list's spelling.
pub fn license_id(s: &str) -> Option<&'static str> {
    static INDEX: OnceLock<HashMap<String, &'static str>> = OnceLock::new();
    lookup(&INDEX, LICENSE_IDS, s)
}

/// The listed exception identifier `s` names, in the list's spelling.
pub fn exception_id(s: &str) -> Option<&'static str> {
    static INDEX: OnceLock<HashMap<String, &'static str>> = OnceLock::new();
    lookup(&INDEX, EXCEPTION_IDS, s)
}

fn lookup(
    index: &OnceLock<HashMap<String, &'static str>>,
    ids: &'static [&'static str],
    s: &str,
) -> Option<&'static str> {
    index
        .get_or_init(|| {
            ids.iter()
                .map(|id| (id.to_ascii_lowercase(), *id))
                .collect()
        })
        .get(&s.to_ascii_lowercase())
        .copied()
}

/// `GPL-2.0+` → (`GPL-2.0`, true); the listed `+` identifiers are the `+` operator applied.
fn strip_plus(id: &'static str) -> (&'static str, bool) {
    match id.strip_suffix('+') {
        Some(base) => (base, true),
        None => (id, false),
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Token<'a> {
    Open,
    Close,
    Word(&'a str),
}

fn tokenize(s: &str) -> Option<Vec<Token<'_>>> {
    let mut tokens = Vec::new();
    let mut start = None;
    for (i, c) in s.char_indices() {
        let boundary = c.is_whitespace() || c == '(' || c == ')';
        if boundary {
            if let Some(from) = start.take() {
                tokens.push(Token::Word(&s[from..i]));
            }
            match c {
                '(' => tokens.push(Token::Open),
                ')' => tokens.push(Token::Close),
                _ => {}
            }
        } else if start.is_none() {
            start = Some(i);
        }
        if tokens.len() > MAX_TOKENS {
            return None;
        }
    }
    if let Some(from) = start {
        tokens.push(Token::Word(&s[from..]));
    }
    Some(tokens)
}

struct Parser<'t, 'a> {
    tokens: &'t [Token<'a>],
    pos: usize,
    depth: usize,
}

impl Parser<'_, '_> {
    fn peek_operator(&self, op: &str) -> bool {
        matches!(self.tokens.get(self.pos), Some(Token::Word(w)) if w.eq_ignore_ascii_case(op))
    }

    /// `and-expression *( "OR" and-expression )`
    fn or(&mut self) -> Option<Node> {
        let mut children = Vec::new();
        push_flat(&mut children, self.and()?, Op::Or);
        while self.peek_operator("OR") {
            self.pos += 1;
            push_flat(&mut children, self.and()?, Op::Or);
        }
        Some(collapse(children, Node::Or))
    }

    /// `with-expression *( "AND" with-expression )`
    fn and(&mut self) -> Option<Node> {
        let mut children = Vec::new();
        push_flat(&mut children, self.with()?, Op::And);
        while self.peek_operator("AND") {
            self.pos += 1;
            push_flat(&mut children, self.with()?, Op::And);
        }
        Some(collapse(children, Node::And))
    }

    /// `simple-expression [ "WITH" exception ]` or `"(" expression ")"`
    fn with(&mut self) -> Option<Node> {
        match *self.tokens.get(self.pos)? {
            Token::Open => {
                self.depth += 1;
                if self.depth > MAX_DEPTH {
                    return None;
                }
                self.pos += 1;
                let inner = self.or()?;
                if self.tokens.get(self.pos) != Some(&Token::Close) {
                    return None;
                }
                self.pos += 1;
                self.depth -= 1;
                Some(inner)
            }
            Token::Close => None,
            Token::Word(word) => {
                self.pos += 1;
                let (id, plus) = simple(word)?;
                if !self.peek_operator("WITH") {
                    return Some(Node::License { id, plus });
                }
                self.pos += 1;
                match self.tokens.get(self.pos) {
                    Some(Token::Word(w)) => {
                        self.pos += 1;
                        let exception = exception_id(w)?;
                        Some(Node::With {
                            id,
                            plus,
                            exception,
                        })
                    }
                    _ => None,
                }
            }
        }
    }
}

/// A licence identifier, optionally followed by `+` (`GPL-2.0-or-later`, `LGPL-2.1+`).
fn simple(word: &str) -> Option<(&'static str, bool)> {
    if ["AND", "OR", "WITH"]
        .iter()
        .any(|op| word.eq_ignore_ascii_case(op))
    {
        return None;
    }
    // A listed `+` identifier is the same as its base with the `+` operator.
    if let Some(id) = license_id(word) {
        return Some(strip_plus(id));
    }
    // One `+` only: `GPL-2.0++` is not `GPL-2.0+` (a listed id) with another `+`.
    let base = word.strip_suffix('+')?;
    license_id(base)
        .filter(|id| !id.ends_with('+'))
        .map(|id| (id, true))
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Op {
    And,
    Or,
}

/// Adds `node` to the operands of `op`, merging a parenthesised group of the same operator
/// (`a AND (b AND c)` is `a AND b AND c`).
fn push_flat(children: &mut Vec<Node>, node: Node, op: Op) {
    match (node, op) {
        (Node::And(inner), Op::And) | (Node::Or(inner), Op::Or) => children.extend(inner),
        (other, _) => children.push(other),
    }
}

/// A single operand stands for itself; several are joined by the operator.
fn collapse(mut children: Vec<Node>, make: fn(Vec<Node>) -> Node) -> Node {
    match children.len() {
        1 => children.pop().expect("one operand"),
        _ => make(children),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(s: &str) -> Option<String> {
        Expression::parse(s).map(|e| e.to_string())
    }

    #[test]
    fn identifiers_match_case_insensitively() {
        assert_eq!(License::classify(" mit "), Some(License::Id("MIT")));
        assert_eq!(
            License::classify("apache-2.0"),
            Some(License::Id("Apache-2.0"))
        );
        assert_eq!(License::classify("GPL-2.0+"), Some(License::Id("GPL-2.0+")));
        assert_eq!(License::classify("(MIT)"), Some(License::Id("MIT")));
        assert_eq!(License::classify("  "), None);
    }

    #[test]
    fn expressions_are_normalised() {
        assert_eq!(
            norm("BSD-3-Clause or mit").as_deref(),
            Some("BSD-3-Clause OR MIT")
        );
        assert_eq!(
            norm("(MIT OR Apache-2.0) AND (BSD-2-Clause AND Zlib)").as_deref(),
            Some("(MIT OR Apache-2.0) AND BSD-2-Clause AND Zlib")
        );
        assert_eq!(
            norm("MIT OR Apache-2.0 AND Zlib").as_deref(),
            Some("MIT OR (Apache-2.0 AND Zlib)")
        );
        assert_eq!(
            norm("gpl-2.0-only with classpath-exception-2.0").as_deref(),
            Some("GPL-2.0-only WITH Classpath-exception-2.0")
        );
        assert_eq!(norm("Apache-2.0+").as_deref(), Some("Apache-2.0+"));
        assert_eq!(
            norm("LGPL-2.1+ OR MIT").as_deref(),
            Some("LGPL-2.1+ OR MIT")
        );
    }

    #[test]
    fn anything_else_is_a_name() {
        for s in [
            "GPL-2+",
            "Apache 2.0",
            "MIT/X11",
            "public-domain",
            "MIT AND",
            "AND MIT",
            "(MIT",
            "MIT)",
            "()",
            "MIT WITH MIT",
            "(MIT OR Zlib) WITH Classpath-exception-2.0",
            "Classpath-exception-2.0",
            "LicenseRef-foo",
            "DocumentRef-a:LicenseRef-b",
            "MIT++",
            "GPL-2.0++",
            "GPL-2.0+ +",
            "MIT + ",
            "\"MIT\"",
            "MIT\u{0}",
        ] {
            assert_eq!(
                License::classify(s),
                Some(License::Name(s.trim().to_owned())),
                "{s:?}"
            );
        }
    }

    #[test]
    fn hostile_nesting_is_a_name_not_a_stack_overflow() {
        let deep = format!("{}MIT{}", "(".repeat(100_000), ")".repeat(100_000));
        assert!(matches!(License::classify(&deep), Some(License::Name(_))));
        let long = vec!["MIT"; 10_000].join(" OR ");
        assert!(matches!(License::classify(&long), Some(License::Name(_))));
        let ok = format!("{}MIT{}", "(".repeat(MAX_DEPTH), ")".repeat(MAX_DEPTH));
        assert_eq!(License::classify(&ok), Some(License::Id("MIT")));
    }

    #[test]
    fn all_joins_with_and() {
        let parts = ["MIT", "BSD-3-Clause OR Apache-2.0", "Zlib AND curl"]
            .into_iter()
            .map(|s| License::classify(s).unwrap().expression().unwrap());
        assert_eq!(
            Expression::all(parts).unwrap().to_string(),
            "MIT AND (BSD-3-Clause OR Apache-2.0) AND Zlib AND curl"
        );
        assert_eq!(Expression::all(Vec::new()), None);
    }

    #[test]
    fn the_lists_are_disjoint_and_unique() {
        let mut seen = std::collections::HashSet::new();
        for id in LICENSE_IDS.iter().chain(EXCEPTION_IDS) {
            assert!(seen.insert(id.to_ascii_lowercase()), "{id} twice");
        }
    }
}
