//! Search images to run: Docker Hub's search, the catalogs of the configured registries,
//! a repository's tags, and what a typed reference resolves to. A newer search cancels the
//! requests of the one before (the UI debounces, but a slow answer must not overtake a
//! newer one), its registry searches included.

use std::time::Instant;

use tauri::State;
use tauri::ipc::Channel;
use tokio_util::sync::CancellationToken;

use porthole_engine::Platform;
use porthole_engine::Reference;
use porthole_engine::hub::{HubRepoName, SearchQuery, TagQuery};
use porthole_engine::registry::catalog::ListOptions;
use porthole_engine::registry::resolve::{resolve_reference as resolve, typed_reference};

use crate::ipc::{
    HubBadge, HubTag, IpcError, RegistryMatches, ResolvedAnswer, SearchAnswer, TagsAnswer,
};
use crate::{AppState, Network};

/// Repositories listed per registry for one search.
const REGISTRY_MATCHES: usize = 50;
/// Tags listed for a registry's repository.
const REGISTRY_TAGS: usize = 200;

/// Results for `text`; a full reference typed in (`nginx:1.27`, `ghcr.io/o/app:1`) comes
/// back as `typedReference`, to resolve and pull directly, without searching. Each
/// configured registry is searched alongside Docker Hub: its matches (or why it has none)
/// arrive on `on_registry` when it answers, before or after this command returns.
#[tauri::command]
pub async fn search_hub(
    state: State<'_, AppState>,
    text: String,
    badges: Vec<HubBadge>,
    on_registry: Channel<RegistryMatches>,
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
            registries: Vec::new(),
        });
    }
    let network = state.network()?;
    let registries = configured_registries(&network);
    for registry in &registries {
        let search = search_registry(
            network.clone(),
            registry.clone(),
            text.trim().to_owned(),
            cancel.clone(),
            on_registry.clone(),
        );
        tauri::async_runtime::spawn(search);
    }
    let mut query = SearchQuery::new(text.trim());
    query.badges = badges.into_iter().map(HubBadge::to_engine).collect();
    let page = network.hub.search(&query, Instant::now(), &cancel).await?;
    Ok(SearchAnswer::from_page(page, registries))
}

/// The hosts of the config's registries, each once, in the config's order.
fn configured_registries(network: &Network) -> Vec<String> {
    let mut hosts: Vec<String> = Vec::new();
    for settings in &network.config.registries {
        let host = settings.host.trim();
        if !host.is_empty() && !hosts.iter().any(|h| h == host) {
            hosts.push(host.to_owned());
        }
    }
    hosts
}

/// Lists `registry`'s repositories matching `text` and sends them (or a notice) to the UI;
/// sends nothing once the search is cancelled.
async fn search_registry(
    network: std::sync::Arc<Network>,
    registry: String,
    text: String,
    cancel: CancellationToken,
    on_registry: Channel<RegistryMatches>,
) {
    let options = ListOptions {
        limit: REGISTRY_MATCHES,
        ..ListOptions::default()
    };
    let answer = match network
        .registry
        .search_catalog(&registry, &text, &options, &cancel)
        .await
    {
        Ok(matches) => Some(RegistryMatches::found(matches)),
        Err(error) => RegistryMatches::failed(&registry, &error),
    };
    if let Some(answer) = answer.filter(|_| !cancel.is_cancelled()) {
        // Fails only when the window went away: nobody is left to tell.
        on_registry.send(answer).ok();
    }
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
    Ok(TagsAnswer {
        host_platform: host_platform(&network),
        tags: tags.into_iter().map(HubTag::from).collect(),
    })
}

/// The tags of `repository` (`team/app`) on the registry `registry` (`registry.lan:5000`),
/// by name only: resolve one to learn its platforms and sizes.
#[tauri::command]
pub async fn registry_tags(
    state: State<'_, AppState>,
    registry: String,
    repository: String,
) -> Result<TagsAnswer, IpcError> {
    let network = state.network()?;
    let options = ListOptions {
        limit: REGISTRY_TAGS,
        ..ListOptions::default()
    };
    let tags = network
        .registry
        .list_tags(
            registry.trim(),
            repository.trim(),
            &options,
            &CancellationToken::new(),
        )
        .await?;
    Ok(TagsAnswer {
        host_platform: host_platform(&network),
        tags: HubTag::names(tags),
    })
}

/// What the full reference `reference` names on its registry (docker.io mirrors first, as
/// a pull does): its platforms and the compressed size of each.
#[tauri::command]
pub async fn resolve_reference(
    state: State<'_, AppState>,
    reference: String,
) -> Result<ResolvedAnswer, IpcError> {
    let network = state.network()?;
    let reference = Reference::parse(reference.trim())?;
    let image = resolve(&network.registry, &reference, &CancellationToken::new()).await?;
    Ok(ResolvedAnswer::new(image, host_platform(&network)))
}

/// The platform pulled by default: the config's, else this computer's.
fn host_platform(network: &Network) -> String {
    network
        .config
        .default_platform
        .clone()
        .unwrap_or_else(|| Platform::host().to_string())
}
