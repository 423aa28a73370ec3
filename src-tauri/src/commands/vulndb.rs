//! The offline vulnerability database from the Settings page: what it holds, and an update
//! (OSV's per-ecosystem exports from the settings' `osvDataUrl`) that streams its progress
//! and can be cancelled. One update runs at a time.

use std::sync::Arc;
use std::time::SystemTime;

use tauri::State;
use tauri::ipc::Channel;
use tokio_util::sync::CancellationToken;

use porthole_engine::vulns::{UpdateEvent, UpdateOptions, VulnDb};

use super::inspect::blocking;
use crate::AppState;
use crate::ipc::{IpcError, IpcErrorCode, VulnDbProgress, VulnDbStatus};

/// What the offline database of the app's store holds.
#[tauri::command]
pub async fn vulndb_status(state: State<'_, AppState>) -> Result<VulnDbStatus, IpcError> {
    let db = VulnDb::in_store(&state.store_root);
    blocking("reading the vulnerability database", move || {
        Ok(VulnDbStatus::from(db.status()?))
    })
    .await
}

/// Downloads and imports the exports of `ecosystems` (`Debian`, `PyPI`, …; none: refresh
/// those imported). All or nothing: a failed or cancelled update leaves the database as it
/// was.
#[tauri::command]
pub async fn update_vulndb(
    state: State<'_, AppState>,
    ecosystems: Vec<String>,
    on_event: Channel<VulnDbProgress>,
) -> Result<VulnDbStatus, IpcError> {
    let network = state.network()?;
    let cancel = CancellationToken::new();
    {
        let mut running = state
            .vulndb_update
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if running.is_some() {
            return Err(IpcError::new(
                IpcErrorCode::InvalidInput,
                "the vulnerability database is already being updated",
            ));
        }
        *running = Some(cancel.clone());
    }
    let mut options = UpdateOptions::new(SystemTime::now());
    options.cancel = cancel;
    options.progress = Some(Arc::new(move |event: UpdateEvent| {
        // The window may be gone; the update goes on regardless.
        let _ = on_event.send(VulnDbProgress::from(event));
    }));
    let db = VulnDb::in_store(&state.store_root);
    let result = db
        .update_from_config(&network.config, &ecosystems, &options)
        .await;
    *state
        .vulndb_update
        .lock()
        .unwrap_or_else(|e| e.into_inner()) = None;
    Ok(VulnDbStatus::from(result?.status))
}

/// Cancels the running update, if one runs.
#[tauri::command]
pub fn cancel_vulndb_update(state: State<'_, AppState>) {
    if let Some(token) = state
        .vulndb_update
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .as_ref()
    {
        token.cancel();
    }
}
