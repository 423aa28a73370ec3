//! Pulls started from the app: progress streams to the UI over a channel, a pull can be
//! cancelled by its id, and a finished pull tells every window that the store changed.

use tauri::ipc::Channel;
use tauri::{AppHandle, Emitter, State};

use porthole_engine::pull::{PullEvent, PullOptions, pull};
use porthole_engine::store::Store;
use porthole_engine::{Platform, Reference};

use super::running::{self, Registered};
use crate::ipc::{IpcError, IpcErrorCode, PullProgress, PulledImage};
use crate::{AppState, STORE_CHANGED};

/// Pull `reference` (for `platform`, else the settings' default or the host's) into the
/// store. `pull_id` is the caller's name for this pull, to cancel it with [`cancel_pull`].
#[tauri::command]
pub async fn pull_image(
    app: AppHandle,
    state: State<'_, AppState>,
    pull_id: String,
    reference: String,
    platform: Option<String>,
    on_event: Channel<PullProgress>,
) -> Result<PulledImage, IpcError> {
    let network = state.network()?;
    let reference = Reference::parse(reference.trim())?;
    let platform = platform
        .or_else(|| network.config.default_platform.clone())
        .filter(|p| !p.trim().is_empty())
        .map(|p| {
            p.trim().parse::<Platform>().map_err(|e| {
                IpcError::new(
                    IpcErrorCode::InvalidInput,
                    format!("`{p}` is not a platform (expected e.g. linux/amd64): {e}"),
                )
            })
        })
        .transpose()?;
    let root = state.store_root.clone();
    let store = tauri::async_runtime::spawn_blocking(move || Store::open(root))
        .await
        .map_err(|error| IpcError::internal(format!("opening the store stopped: {error}")))??;

    let registered = Registered::start(&state.pulls, &pull_id, "pull")?;
    let cancel = registered.token().clone();
    let options = PullOptions {
        platform,
        jobs: network.config.jobs(),
        index: true,
    };
    let observer = move |event: PullEvent| {
        if let Some(progress) = PullProgress::from_event(event) {
            // The window may be gone; the pull goes on regardless.
            let _ = on_event.send(progress);
        }
    };
    // Spawned as its own task: the pull goes on while the window navigates, and a panic in
    // it comes back as an error instead of tearing down the command.
    let registry = network.registry.clone();
    let result = tauri::async_runtime::spawn(async move {
        pull(&registry, &store, &reference, &options, &observer, &cancel).await
    })
    .await;
    drop(registered);
    let report =
        result.map_err(|error| IpcError::internal(format!("the pull stopped: {error}")))??;
    let _ = app.emit(STORE_CHANGED, ());
    Ok(report.into())
}

/// Cancel the running pull `pull_id`. Cancelling a pull that already ended does nothing.
#[tauri::command]
pub fn cancel_pull(state: State<'_, AppState>, pull_id: String) {
    running::cancel(&state.pulls, &pull_id);
}
