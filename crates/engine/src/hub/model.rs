//! What Docker Hub calls answer with: plain structs the CLI prints and the app sends to
//! its window (camelCase, as everything else across IPC).

use std::fmt;

use serde::{Deserialize, Serialize};

use super::HubError;
use crate::Digest;
use crate::reference::Reference;

/// The most results or tags Docker Hub sends per page.
pub const MAX_PAGE_SIZE: u32 = 100;
/// Results per page when the caller does not say (as `docker search`).
pub const DEFAULT_PAGE_SIZE: u32 = 25;

/// A repository's badge on Docker Hub.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Badge {
    /// Docker Official Image (`library/…`; `source: store` in search).
    Official,
    /// Verified Publisher.
    VerifiedPublisher,
    /// Sponsored open-source project.
    OpenSource,
}

impl Badge {
    /// The value of the search API's `badges` parameter.
    pub fn as_api_str(self) -> &'static str {
        match self {
            Badge::Official => "official",
            Badge::VerifiedPublisher => "verified_publisher",
            Badge::OpenSource => "open_source",
        }
    }
}

/// A search: the text, which page, and which badges results must carry.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SearchQuery {
    pub text: String,
    /// The offset of the first result.
    #[serde(default)]
    pub from: u32,
    /// Results per page, 1 to [`MAX_PAGE_SIZE`].
    #[serde(default = "default_page_size")]
    pub size: u32,
    /// Only results with one of these badges (all results when empty).
    #[serde(default)]
    pub badges: Vec<Badge>,
}

fn default_page_size() -> u32 {
    DEFAULT_PAGE_SIZE
}

impl SearchQuery {
    pub fn new(text: &str) -> SearchQuery {
        SearchQuery {
            text: text.to_owned(),
            from: 0,
            size: DEFAULT_PAGE_SIZE,
            badges: Vec::new(),
        }
    }

    /// The same query, normalised: text trimmed, size within 1..=100, badges sorted.
    pub fn normalized(&self) -> SearchQuery {
        let mut badges = self.badges.clone();
        badges.sort();
        badges.dedup();
        SearchQuery {
            text: self.text.trim().to_owned(),
            from: self.from,
            size: self.size.clamp(1, MAX_PAGE_SIZE),
            badges,
        }
    }
}

/// Which search route answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum SearchRoute {
    /// `/api/search/v3/catalog/search`, what Docker's website and Desktop use.
    V3,
    /// The older `/v2/search/repositories/`.
    V2,
}

/// One page of search results.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SearchPage {
    pub results: Vec<SearchResult>,
    /// How many results there are in all, if Docker Hub said.
    pub total: Option<u64>,
    /// Docker Hub caps `total` at 10000: there may be more.
    pub total_capped: bool,
    /// The offset of the first result.
    pub from: u32,
    /// Whether a next page exists.
    pub has_more: bool,
    pub route: SearchRoute,
    /// Results that could not be read (no name) and were left out.
    pub skipped: usize,
}

/// One repository found by a search.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SearchResult {
    /// What to pull: `nginx` for an official image, else `namespace/repository`.
    pub name: String,
    /// `library` for official images.
    pub namespace: String,
    pub repository: String,
    /// The publisher's name as Docker Hub shows it.
    pub publisher: Option<String>,
    pub badges: Vec<Badge>,
    /// The short description, as text (never interpreted as markup here or in the UI).
    pub description: Option<String>,
    pub stars: Option<u64>,
    pub pulls: Option<u64>,
    /// When it was last updated (RFC 3339, as Docker Hub sent it).
    pub updated: Option<String>,
    /// An `https` logo on a Docker host (`*.docker.com`, `*.docker.io`), else none.
    pub logo_url: Option<String>,
    pub architectures: Vec<String>,
    pub operating_systems: Vec<String>,
}

impl SearchResult {
    pub fn has_badge(&self, badge: Badge) -> bool {
        self.badges.contains(&badge)
    }

    pub fn is_official(&self) -> bool {
        self.has_badge(Badge::Official)
    }

    pub fn is_verified(&self) -> bool {
        self.has_badge(Badge::VerifiedPublisher)
    }

    pub fn is_open_source(&self) -> bool {
        self.has_badge(Badge::OpenSource)
    }
}

/// A repository on Docker Hub: `library/nginx`, `bitnami/redis`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HubRepoName {
    pub namespace: String,
    pub repository: String,
}

impl HubRepoName {
    /// `nginx` → `library/nginx`; `bitnami/redis`; `docker.io/bitnami/redis:7` (the tag
    /// and digest are ignored). References to other registries are refused.
    pub fn parse(input: &str) -> Result<HubRepoName, HubError> {
        let invalid = |reason: &str| HubError::InvalidRepository {
            input: input.to_owned(),
            reason: reason.to_owned(),
        };
        let reference = Reference::parse(input.trim()).map_err(|e| invalid(&e.to_string()))?;
        if !reference.is_docker_hub() {
            return Err(invalid(&format!(
                "it is on registry {}, not Docker Hub",
                reference.registry()
            )));
        }
        HubRepoName::from_reference(&reference).ok_or_else(|| invalid("it has no namespace"))
    }

    /// The Docker Hub repository of a `docker.io` reference.
    pub fn from_reference(reference: &Reference) -> Option<HubRepoName> {
        if !reference.is_docker_hub() {
            return None;
        }
        let (namespace, repository) = reference.repository().split_once('/')?;
        Some(HubRepoName {
            namespace: namespace.to_owned(),
            repository: repository.to_owned(),
        })
    }
}

impl fmt::Display for HubRepoName {
    /// The familiar name: `nginx`, `bitnami/redis`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.namespace == "library" {
            write!(f, "{}", self.repository)
        } else {
            write!(f, "{}/{}", self.namespace, self.repository)
        }
    }
}

/// The order tags come in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum TagOrdering {
    /// Most recently pushed first.
    #[default]
    LastUpdated,
    Name,
}

impl TagOrdering {
    pub fn as_api_str(self) -> &'static str {
        match self {
            TagOrdering::LastUpdated => "last_updated",
            TagOrdering::Name => "name",
        }
    }
}

/// Which tags to list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TagQuery {
    /// Tags per page, 1 to [`MAX_PAGE_SIZE`].
    pub page_size: u32,
    pub ordering: TagOrdering,
    /// Only tags whose name contains this.
    pub name: Option<String>,
}

impl Default for TagQuery {
    fn default() -> Self {
        TagQuery {
            page_size: DEFAULT_PAGE_SIZE,
            ordering: TagOrdering::LastUpdated,
            name: None,
        }
    }
}

/// One page of a repository's tags.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TagPage {
    pub tags: Vec<Tag>,
    /// How many tags there are in all, if Docker Hub said.
    pub count: Option<u64>,
    /// The next page, for [`super::HubClient::tags_next`] (checked to be on Docker Hub's origin).
    pub next: Option<String>,
}

/// A tag and the image for each platform it has.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Tag {
    pub name: String,
    /// The digest the tag points at (an index's, for a multi-platform image).
    pub digest: Option<Digest>,
    /// When the tag was last pushed (RFC 3339, as Docker Hub sent it).
    pub updated: Option<String>,
    /// Docker Hub's `full_size`: the largest platform image's compressed size.
    pub full_size: Option<u64>,
    pub images: Vec<TagImage>,
}

/// The image of one platform under a tag.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TagImage {
    pub os: Option<String>,
    pub architecture: Option<String>,
    pub variant: Option<String>,
    pub digest: Option<Digest>,
    /// Compressed size in bytes (what a pull downloads).
    pub size: Option<u64>,
    pub last_pushed: Option<String>,
}

/// A repository's detail card.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RepositoryDetails {
    pub namespace: String,
    pub repository: String,
    pub description: Option<String>,
    /// The long description (Markdown source; shown as text unless rendered safely).
    pub full_description: Option<String>,
    pub stars: Option<u64>,
    pub pulls: Option<u64>,
    pub updated: Option<String>,
    pub is_private: Option<bool>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hub_repo_names() {
        let n = HubRepoName::parse("nginx").unwrap();
        assert_eq!(
            (n.namespace.as_str(), n.repository.as_str()),
            ("library", "nginx")
        );
        assert_eq!(n.to_string(), "nginx");
        let n = HubRepoName::parse("docker.io/bitnami/redis:7").unwrap();
        assert_eq!(n.to_string(), "bitnami/redis");
        let e = HubRepoName::parse("ghcr.io/a/b").unwrap_err();
        assert!(e.to_string().contains("ghcr.io"), "{e}");
        assert!(HubRepoName::parse("").is_err());
    }

    #[test]
    fn queries_normalise() {
        let q = SearchQuery {
            text: "  nginx ".into(),
            from: 0,
            size: 1000,
            badges: vec![Badge::OpenSource, Badge::Official, Badge::OpenSource],
        };
        let n = q.normalized();
        assert_eq!(n.text, "nginx");
        assert_eq!(n.size, MAX_PAGE_SIZE);
        assert_eq!(n.badges, vec![Badge::Official, Badge::OpenSource]);
    }
}
