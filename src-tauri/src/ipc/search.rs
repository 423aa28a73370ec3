//! Search's IPC types: Docker Hub results and a repository's tags.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use porthole_engine::hub::{Badge, SearchPage, SearchResult, Tag};

/// A repository's badge on Docker Hub.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "../ui/src/tauri/bindings/")]
pub enum HubBadge {
    /// Docker Official Image.
    Official,
    /// Verified Publisher.
    VerifiedPublisher,
    /// Sponsored OSS.
    OpenSource,
}

impl HubBadge {
    fn from_engine(badge: Badge) -> Option<HubBadge> {
        match badge {
            Badge::Official => Some(HubBadge::Official),
            Badge::VerifiedPublisher => Some(HubBadge::VerifiedPublisher),
            Badge::OpenSource => Some(HubBadge::OpenSource),
        }
    }

    pub fn to_engine(self) -> Badge {
        match self {
            HubBadge::Official => Badge::Official,
            HubBadge::VerifiedPublisher => Badge::VerifiedPublisher,
            HubBadge::OpenSource => Badge::OpenSource,
        }
    }
}

/// One Docker Hub repository found by a search. All text is shown as text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "../ui/src/tauri/bindings/")]
pub struct HubResult {
    /// `nginx` for an official image, else `namespace/repository`.
    pub name: String,
    /// `library` for an official image.
    pub namespace: String,
    pub repository: String,
    pub publisher: Option<String>,
    pub badges: Vec<HubBadge>,
    pub description: Option<String>,
    #[ts(type = "number | null")]
    pub stars: Option<u64>,
    #[ts(type = "number | null")]
    pub pulls: Option<u64>,
    /// RFC 3339.
    pub updated: Option<String>,
}

impl From<SearchResult> for HubResult {
    fn from(r: SearchResult) -> HubResult {
        HubResult {
            name: r.name,
            namespace: r.namespace,
            repository: r.repository,
            publisher: r.publisher,
            badges: r
                .badges
                .into_iter()
                .filter_map(HubBadge::from_engine)
                .collect(),
            description: r.description,
            stars: r.stars,
            pulls: r.pulls,
            updated: r.updated,
        }
    }
}

/// What a search answers: a reference to pull directly, or Docker Hub's results.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "../ui/src/tauri/bindings/")]
pub struct SearchAnswer {
    /// The text was a full reference (`ghcr.io/owner/app:1.2`, `nginx:1.27`): pull it.
    pub typed_reference: Option<String>,
    pub results: Vec<HubResult>,
    /// How many results Docker Hub has in all, if it said.
    #[ts(type = "number | null")]
    pub total: Option<u64>,
}

impl SearchAnswer {
    pub fn from_page(page: SearchPage) -> SearchAnswer {
        SearchAnswer {
            typed_reference: None,
            results: page.results.into_iter().map(HubResult::from).collect(),
            total: page.total,
        }
    }
}

/// One platform image of a tag.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "../ui/src/tauri/bindings/")]
pub struct TagPlatform {
    /// `os/arch[/variant]`.
    pub platform: String,
    /// Compressed bytes.
    #[ts(type = "number | null")]
    pub size: Option<u64>,
}

/// A tag of a Docker Hub repository.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "../ui/src/tauri/bindings/")]
pub struct HubTag {
    pub name: String,
    pub updated: Option<String>,
    /// Compressed size Docker Hub reports for the tag.
    #[ts(type = "number | null")]
    pub full_size: Option<u64>,
    pub platforms: Vec<TagPlatform>,
}

impl From<Tag> for HubTag {
    fn from(tag: Tag) -> HubTag {
        HubTag {
            name: tag.name,
            updated: tag.updated,
            full_size: tag.full_size,
            platforms: tag
                .images
                .into_iter()
                .filter(|i| i.os.as_deref().is_some_and(|os| os != "unknown"))
                .map(|i| {
                    let mut platform = format!(
                        "{}/{}",
                        i.os.unwrap_or_default(),
                        i.architecture.unwrap_or_default()
                    );
                    if let Some(v) = i.variant.filter(|v| !v.is_empty()) {
                        platform.push('/');
                        platform.push_str(&v);
                    }
                    TagPlatform {
                        platform,
                        size: i.size,
                    }
                })
                .collect(),
        }
    }
}

/// A repository's tags, and the platform pulled by default.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "../ui/src/tauri/bindings/")]
pub struct TagsAnswer {
    /// This computer's platform, e.g. `linux/amd64`.
    pub host_platform: String,
    pub tags: Vec<HubTag>,
}
