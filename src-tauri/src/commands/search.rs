//! Search images to run: Docker Hub's search and a repository's tags. A newer search
//! cancels the request of the one before (the UI debounces, but a slow answer must not
//! overtake a newer one).

use std::time::Instant;

use tauri::State;
use tokio_util::sync::CancellationToken;

use porthole_engine::Platform;
use porthole_engine::hub::{HubRepoName, SearchQuery, TagQuery};
use porthole_engine::registry::resolve::typed_reference;

use crate::AppState;
use crate::ipc::{HubBadge, HubTag, IpcError, SearchAnswer, TagsAnswer};

/// Results for `text`; a full reference typed in (`nginx:1.27`, `ghcr.io/o/app:1`) comes
/// back as `typedReference`, to pull directly, without asking Docker Hub.
#[tauri::command]
pub async fn search_hub(
    state: State<'_, AppState>,
    text: String,
    badges: Vec<HubBadge>,
) -> Result<SearchAnswer, IpcError> {
    let cancel = CancellationToken::new();
    {
        let mut latest = state.search.lock().unwrap_or_else(|e| e.into_inner());
        latest.cancel();
        *latest = cancel.clone();
    }
    if let Some(reference) = typed_reference(&text) {
        return Ok(SearchAnswer {
            typed_reference: Some(reference.to_string()),
            results: Vec::new(),
            total: None,
        });
    }
    let network = state.network()?;
    let mut query = SearchQuery::new(text.trim());
    query.badges = badges.into_iter().map(HubBadge::to_engine).collect();
    let page = network.hub.search(&query, Instant::now(), &cancel).await?;
    Ok(SearchAnswer::from_page(page))
}

/// The tags of the Docker Hub repository `repository` (`nginx`, `bitnami/redis`), newest
/// first, with this computer's platform to preselect.
#[tauri::command]
pub async fn hub_tags(
    state: State<'_, AppState>,
    repository: String,
) -> Result<TagsAnswer, IpcError> {
    let network = state.network()?;
    let repo = HubRepoName::parse(repository.trim())?;
    let tags = network
        .hub
        .all_tags(&repo, &TagQuery::default(), 100, &CancellationToken::new())
        .await?;
    let host = network
        .config
        .default_platform
        .clone()
        .unwrap_or_else(|| Platform::host().to_string());
    Ok(TagsAnswer {
        host_platform: host,
        tags: tags.into_iter().map(HubTag::from).collect(),
    })
}
