//! The OSV schema (<https://ossf.github.io/osv-schema/>): the records that OSV.dev's API
//! serves and its `all.zip` exports hold.
//!
//! Parsing is forgiving, because the records come from dozens of databases: fields the
//! schema adds later are ignored; missing fields, `null`s and fields of the wrong type take
//! their default; list elements of the wrong type are dropped; an unknown range type is kept
//! as [`RangeType::Unknown`] (and never matches). Only a record that is
//! not a JSON object with a string `id` fails ([`parse`]); callers skip it with a warning.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// One advisory.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Vulnerability {
    pub schema_version: Option<String>,
    pub id: String,
    pub modified: String,
    pub published: Option<String>,
    /// Set when the advisory was retracted: it then affects nothing.
    pub withdrawn: Option<String>,
    pub aliases: Vec<String>,
    /// The upstream advisories this one derives from (`CVE-…` for a distro's record).
    pub upstream: Vec<String>,
    pub related: Vec<String>,
    pub summary: Option<String>,
    pub details: Option<String>,
    pub severity: Vec<SeverityScore>,
    pub affected: Vec<Affected>,
    pub references: Vec<Reference>,
    pub database_specific: Value,
}

/// A `severity` entry: a CVSS vector (`CVSS_V3`, `CVSS_V4`, …) or a distro's own rating
/// (`Ubuntu`: `medium`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SeverityScore {
    #[serde(rename = "type")]
    pub kind: String,
    pub score: String,
}

/// The versions of one package that an advisory affects.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Affected {
    pub package: AffectedPackage,
    pub severity: Vec<SeverityScore>,
    pub ranges: Vec<Range>,
    /// Every affected version, listed (some databases give only this).
    pub versions: Vec<String>,
    pub ecosystem_specific: Value,
    pub database_specific: Value,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AffectedPackage {
    /// `Debian:12`, `PyPI`, `Red Hat:enterprise_linux:9::appstream`, …
    pub ecosystem: String,
    pub name: String,
    pub purl: Option<String>,
}

/// A version range, as events on the ecosystem's version line.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Range {
    #[serde(rename = "type")]
    pub kind: RangeType,
    pub repo: Option<String>,
    pub events: Vec<Event>,
    pub database_specific: Value,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum RangeType {
    /// Versions in the ecosystem's own ordering.
    Ecosystem,
    /// SemVer 2.0 versions (without a `v` prefix).
    Semver,
    /// Commit hashes; not evaluated against installed versions.
    Git,
    /// A type this version of Porthole does not know (never matches).
    #[default]
    #[serde(other)]
    Unknown,
}

/// One event: exactly one of its fields is set in a valid record.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Event {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub introduced: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fixed: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_affected: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Reference {
    #[serde(rename = "type")]
    pub kind: String,
    pub url: String,
}

/// Reads one OSV record. Fails only when the bytes are not JSON or not an object with a
/// non-empty string `id`; everything else is read as well as it can be.
pub fn parse(bytes: &[u8]) -> Result<Vulnerability, serde_json::Error> {
    // Well-formed records (nearly all) are read in one pass; a record with a field of the
    // wrong type is read again as a tree, cleaned of such fields, and converted.
    let v: Vulnerability = match serde_json::from_slice(bytes) {
        Ok(v) => v,
        Err(e) if e.classify() != serde_json::error::Category::Data => return Err(e),
        Err(_) => {
            let mut tree: Value = serde_json::from_slice(bytes)?;
            if let Value::Object(map) = &mut tree {
                clean(map, RECORD);
            }
            Vulnerability::deserialize(tree)?
        }
    };
    if v.id.is_empty() {
        return Err(serde::de::Error::custom("the record has no `id`"));
    }
    Ok(v)
}

impl Vulnerability {
    pub fn is_withdrawn(&self) -> bool {
        self.withdrawn.as_deref().is_some_and(|w| !w.is_empty())
    }

    /// `https://osv.dev/vulnerability/<id>`.
    pub fn osv_url(&self) -> String {
        osv_url(&self.id)
    }
}

/// The OSV.dev page of an advisory.
pub fn osv_url(id: &str) -> String {
    format!("https://osv.dev/vulnerability/{id}")
}

/// The type a known field must have; fields of another type (or `null`) are dropped so
/// that they take their default, and list elements of another type are dropped.
enum Shape {
    Str,
    StrList,
    Object(&'static [(&'static str, Shape)]),
    ObjectList(&'static [(&'static str, Shape)]),
}

const SEVERITY: &[(&str, Shape)] = &[("type", Shape::Str), ("score", Shape::Str)];
const PACKAGE: &[(&str, Shape)] = &[
    ("ecosystem", Shape::Str),
    ("name", Shape::Str),
    ("purl", Shape::Str),
];
const EVENT: &[(&str, Shape)] = &[
    ("introduced", Shape::Str),
    ("fixed", Shape::Str),
    ("last_affected", Shape::Str),
    ("limit", Shape::Str),
];
const RANGE: &[(&str, Shape)] = &[
    ("type", Shape::Str),
    ("repo", Shape::Str),
    ("events", Shape::ObjectList(EVENT)),
];
const AFFECTED: &[(&str, Shape)] = &[
    ("package", Shape::Object(PACKAGE)),
    ("severity", Shape::ObjectList(SEVERITY)),
    ("ranges", Shape::ObjectList(RANGE)),
    ("versions", Shape::StrList),
];
const REFERENCE: &[(&str, Shape)] = &[("type", Shape::Str), ("url", Shape::Str)];
const RECORD: &[(&str, Shape)] = &[
    ("schema_version", Shape::Str),
    ("modified", Shape::Str),
    ("published", Shape::Str),
    ("withdrawn", Shape::Str),
    ("aliases", Shape::StrList),
    ("upstream", Shape::StrList),
    ("related", Shape::StrList),
    ("summary", Shape::Str),
    ("details", Shape::Str),
    ("severity", Shape::ObjectList(SEVERITY)),
    ("affected", Shape::ObjectList(AFFECTED)),
    ("references", Shape::ObjectList(REFERENCE)),
];

fn clean(map: &mut Map<String, Value>, fields: &[(&str, Shape)]) {
    for (key, shape) in fields {
        let keep = match (map.get_mut(*key), shape) {
            (None, _) => continue,
            (Some(v), Shape::Str) => v.is_string(),
            (Some(Value::Array(items)), Shape::StrList) => {
                items.retain(Value::is_string);
                true
            }
            (Some(Value::Object(inner)), Shape::Object(fields)) => {
                clean(inner, fields);
                true
            }
            (Some(Value::Array(items)), Shape::ObjectList(fields)) => {
                items.retain(Value::is_object);
                for item in items {
                    if let Value::Object(inner) = item {
                        clean(inner, fields);
                    }
                }
                true
            }
            (Some(_), _) => false,
        };
        if !keep {
            map.remove(*key);
        }
    }
}
