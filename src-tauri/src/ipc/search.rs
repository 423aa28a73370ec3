//! Search's IPC types: Docker Hub results, the matches of each configured registry, a
//! repository's tags, and what a typed reference resolves to.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use porthole_engine::hub::{Badge, SearchPage, SearchResult, Tag};
use porthole_engine::registry::catalog::{CatalogError, CatalogMatches, TagNames};
use porthole_engine::registry::resolve::ResolvedImage;

use super::{IpcError, IpcErrorCode};

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
    /// The configured registries being searched too (`registry.lan:5000`): each one's
    /// [`RegistryMatches`] arrives on the search's channel when it answers.
    pub registries: Vec<String>,
}

impl SearchAnswer {
    pub fn from_page(page: SearchPage, registries: Vec<String>) -> SearchAnswer {
        SearchAnswer {
            typed_reference: None,
            results: page.results.into_iter().map(HubResult::from).collect(),
            total: page.total,
            registries,
        }
    }
}

/// The repositories of one configured registry whose name contains the search text, or a
/// notice saying why it has none to show (it refuses to list them, it is unreachable).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "../ui/src/tauri/bindings/")]
pub struct RegistryMatches {
    /// `host[:port]`, as in a reference.
    pub registry: String,
    /// Repository paths (`team/app`), in the registry's order. Shown as text.
    pub repositories: Vec<String>,
    /// False when only the first matches are listed.
    pub complete: bool,
    /// Why the registry could not be searched, in one line that says what to do instead.
    pub notice: Option<IpcError>,
}

impl RegistryMatches {
    pub fn found(matches: CatalogMatches) -> RegistryMatches {
        RegistryMatches {
            registry: matches.registry,
            repositories: matches.repositories,
            complete: matches.complete,
            notice: None,
        }
    }

    /// The notice for a registry that could not be searched; `None` when the search was
    /// cancelled (a newer one replaced it, and nobody waits for this answer).
    pub fn failed(registry: &str, error: &CatalogError) -> Option<RegistryMatches> {
        let example = format!("type a full reference such as {registry}/team/app:1.0");
        let notice = match IpcError::from_catalog(error) {
            IpcError {
                code: IpcErrorCode::Cancelled,
                ..
            } => return None,
            _ if matches!(error, CatalogError::Refused { .. }) => IpcError::new(
                IpcErrorCode::Auth,
                format!("{registry} does not list its repositories; {example}"),
            ),
            IpcError {
                code: IpcErrorCode::Network,
                message,
            } => IpcError::new(
                IpcErrorCode::Network,
                format!("{registry} could not be reached ({message}); {example}"),
            ),
            IpcError { code, message } => IpcError::new(
                code,
                format!("{registry} could not be searched ({message}); {example}"),
            ),
        };
        Some(RegistryMatches {
            registry: registry.to_owned(),
            repositories: Vec::new(),
            complete: true,
            notice: Some(notice),
        })
    }
}

impl IpcError {
    fn from_catalog(error: &CatalogError) -> IpcError {
        let code = match error.code() {
            "network" => IpcErrorCode::Network,
            "auth" => IpcErrorCode::Auth,
            "notFound" => IpcErrorCode::NotFound,
            "rateLimited" => IpcErrorCode::RateLimited,
            "cancelled" => IpcErrorCode::Cancelled,
            _ => IpcErrorCode::Internal,
        };
        IpcError::new(code, error.to_string())
    }
}

impl From<CatalogError> for IpcError {
    fn from(error: CatalogError) -> IpcError {
        IpcError::from_catalog(&error)
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

impl HubTag {
    /// The tags of a registry that is not Docker Hub: names only (a tag's platforms and
    /// sizes come from resolving it).
    pub fn names(tags: TagNames) -> Vec<HubTag> {
        tags.tags
            .into_iter()
            .map(|name| HubTag {
                name,
                updated: None,
                full_size: None,
                platforms: Vec::new(),
            })
            .collect()
    }
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

/// What a full reference resolves to on its registry: its platforms, each with the
/// compressed bytes a pull downloads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "../ui/src/tauri/bindings/")]
pub struct ResolvedAnswer {
    /// The normalised reference (`ghcr.io/owner/app:1.2`).
    pub reference: String,
    /// `sha256:…` of what the reference names (an index's, for a multi-platform image).
    pub digest: String,
    /// Whether it is a multi-platform index.
    pub index: bool,
    pub platforms: Vec<TagPlatform>,
    /// This computer's platform, e.g. `linux/amd64`, to preselect.
    pub host_platform: String,
}

impl ResolvedAnswer {
    pub fn new(image: ResolvedImage, host_platform: String) -> ResolvedAnswer {
        ResolvedAnswer {
            reference: image.reference,
            digest: image.digest.to_string(),
            index: image.index,
            platforms: image
                .platforms
                .into_iter()
                .map(|p| {
                    let mut platform = format!("{}/{}", p.os, p.architecture);
                    if let Some(v) = p.variant {
                        platform.push('/');
                        platform.push_str(&v);
                    }
                    TagPlatform {
                        platform,
                        size: Some(p.size),
                    }
                })
                .collect(),
            host_platform,
        }
    }
}

#[cfg(test)]
mod tests {
    use porthole_engine::registry::RegistryError;

    use super::*;

    #[test]
    fn a_refused_catalog_becomes_a_one_line_notice() {
        let refused = CatalogError::Refused {
            registry: "registry.corp".into(),
            reason: "it asks you to sign in".into(),
        };
        let matches = RegistryMatches::failed("registry.corp", &refused).expect("a notice");
        assert_eq!(
            matches.notice,
            Some(IpcError::new(
                IpcErrorCode::Auth,
                "registry.corp does not list its repositories; type a full reference such as registry.corp/team/app:1.0"
            ))
        );
        assert!(matches.repositories.is_empty());
    }

    #[test]
    fn a_cancelled_registry_search_sends_nothing() {
        let cancelled = CatalogError::Registry(RegistryError::Cancelled);
        assert_eq!(
            RegistryMatches::failed("registry.lan:5000", &cancelled),
            None
        );
    }

    #[test]
    fn registry_matches_serialize_camel_case() {
        let json = serde_json::to_value(RegistryMatches::found(CatalogMatches {
            registry: "registry.lan:5000".into(),
            repositories: vec!["team/app".into()],
            scanned: 3,
            complete: true,
        }))
        .unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "registry": "registry.lan:5000",
                "repositories": ["team/app"],
                "complete": true,
                "notice": null,
            })
        );
    }
}
