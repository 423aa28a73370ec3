//! Package URLs (`pkg:type/namespace/name@version?qualifiers#subpath`), built in the
//! canonical form of the purl spec: the type and qualifier keys lowercase, qualifiers sorted
//! by key with empty values dropped, each namespace and subpath segment percent-encoded on
//! its own, and the per-type normalisations (pypi names lowercase with `_` → `-`; deb, apk,
//! npm, composer, github and bitbucket names lowercase; the rpm vendor lowercase).
//!
//! Encoding: everything but `A–Z a–z 0–9 . - _ ~` and `:` is percent-encoded (the spec's
//! current rule: `:` is never ambiguous, so `1:2.4-2+b1` becomes `1:2.4-2%2Bb1`).

use std::fmt::Write as _;

/// A package URL under construction; [`Purl::to_string`] gives the canonical text.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Purl {
    ty: String,
    namespace: Option<String>,
    name: String,
    version: Option<String>,
    qualifiers: Vec<(String, String)>,
    subpath: Option<String>,
}

impl Purl {
    pub fn new(ty: &str, name: &str) -> Purl {
        Purl {
            ty: ty.to_ascii_lowercase(),
            name: name.to_owned(),
            ..Purl::default()
        }
    }

    /// The namespace (`/`-separated segments; empty segments are dropped).
    pub fn namespace(mut self, namespace: impl Into<Option<String>>) -> Purl {
        self.namespace = namespace.into().filter(|n| !n.is_empty());
        self
    }

    pub fn version(mut self, version: impl Into<Option<String>>) -> Purl {
        self.version = version.into().filter(|v| !v.is_empty());
        self
    }

    /// Adds a qualifier; `None` or an empty value is left out, as the spec requires.
    pub fn qualifier(mut self, key: &str, value: impl Into<Option<String>>) -> Purl {
        if let Some(value) = value.into().filter(|v| !v.is_empty()) {
            self.qualifiers.push((key.to_ascii_lowercase(), value));
        }
        self
    }

    pub fn subpath(mut self, subpath: impl Into<Option<String>>) -> Purl {
        self.subpath = subpath.into().filter(|s| !s.is_empty());
        self
    }

    fn normalized_namespace(&self) -> Option<String> {
        let ns = self.namespace.as_deref()?;
        Some(match self.ty.as_str() {
            "deb" | "apk" | "rpm" | "alpm" | "bitbucket" | "github" | "composer" | "npm" => {
                ns.to_ascii_lowercase()
            }
            _ => ns.to_owned(),
        })
    }

    fn normalized_name(&self) -> String {
        match self.ty.as_str() {
            "pypi" => self.name.to_ascii_lowercase().replace('_', "-"),
            "deb" | "apk" | "alpm" | "bitbucket" | "github" | "composer" | "npm" => {
                self.name.to_ascii_lowercase()
            }
            _ => self.name.clone(),
        }
    }
}

impl std::fmt::Display for Purl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "pkg:{}/", self.ty)?;
        if let Some(ns) = self.normalized_namespace() {
            for segment in ns.split('/').filter(|s| !s.is_empty()) {
                f.write_str(&encode(segment))?;
                f.write_char('/')?;
            }
        }
        f.write_str(&encode(&self.normalized_name()))?;
        if let Some(version) = &self.version {
            write!(f, "@{}", encode(version))?;
        }
        let mut qualifiers = self.qualifiers.clone();
        qualifiers.sort_by(|a, b| a.0.cmp(&b.0));
        qualifiers.dedup_by(|a, b| a.0 == b.0);
        for (i, (key, value)) in qualifiers.iter().enumerate() {
            let sep = if i == 0 { '?' } else { '&' };
            write!(f, "{sep}{key}={}", encode(value))?;
        }
        if let Some(subpath) = &self.subpath {
            let segments: Vec<String> = subpath
                .split('/')
                .filter(|s| !matches!(*s, "" | "." | ".."))
                .map(encode)
                .collect();
            if !segments.is_empty() {
                write!(f, "#{}", segments.join("/"))?;
            }
        }
        Ok(())
    }
}

/// Percent-encodes all but the unreserved characters and `:`.
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b'~' | b':') {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// A Go module path split as the golang purl type wants it: namespace is everything up to
/// the last `/`, name the last segment (`github.com/pkg/errors` → `github.com/pkg`, `errors`).
pub fn golang(module: &str, version: Option<&str>) -> String {
    let (namespace, name) = match module.rsplit_once('/') {
        Some((ns, name)) => (Some(ns.to_owned()), name),
        None => (None, module),
    };
    Purl::new("golang", name)
        .namespace(namespace)
        .version(version.map(str::to_owned))
        .to_string()
}

/// An npm package, scoped (`@scope/name` → namespace `@scope`) or not.
pub fn npm(name: &str, version: &str) -> String {
    let (namespace, name) = match name.split_once('/') {
        Some((scope, name)) if scope.starts_with('@') => (Some(scope.to_owned()), name),
        _ => (None, name),
    };
    Purl::new("npm", name)
        .namespace(namespace)
        .version(version.to_owned())
        .to_string()
}
