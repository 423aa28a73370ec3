//! The Vulnerabilities tab: an image's packages checked against OSV advisories, from the
//! offline database or the OSV API. An online scan can take seconds: the UI names each scan
//! and cancels it when the page closes.

use tauri::{AppHandle, Manager, State};
use tokio_util::sync::CancellationToken;

use porthole_engine::vulns::{ScanOptions, SourceMode, scan_with_config};

use super::inspect::{blocking, layers_of, open_store};
use crate::AppState;
use crate::ipc::{IpcError, IpcErrorCode, ScanMode, VulnsAnswer};

/// Checks the packages of the image whose manifest digest is `digest` against advisories.
/// `scan_id` is the caller's name for this scan, to cancel it with
/// [`cancel_vulnerabilities`].
#[tauri::command]
pub async fn image_vulnerabilities(
    app: AppHandle,
    state: State<'_, AppState>,
    scan_id: String,
    digest: String,
    mode: ScanMode,
) -> Result<VulnsAnswer, IpcError> {
    let network = state.network()?;
    let cancel = CancellationToken::new();
    {
        let mut scans = state.scans.lock().unwrap_or_else(|e| e.into_inner());
        if scans.contains_key(&scan_id) {
            return Err(IpcError::new(
                IpcErrorCode::InvalidInput,
                format!("a scan with id {scan_id} is already running"),
            ));
        }
        scans.insert(scan_id.clone(), cancel.clone());
    }
    let root = state.store_root.clone();
    let result = async {
        let found = blocking("finding the image's packages", move || {
            let state = app.state::<AppState>();
            let layers = layers_of(&state, &open_store(&state)?, &digest)?;
            Ok(layers.packages())
        })
        .await?;
        let mode = match mode {
            ScanMode::Auto => SourceMode::Auto,
            ScanMode::Online => SourceMode::Online,
            ScanMode::Offline => SourceMode::Offline,
        };
        let options = ScanOptions {
            cancel: cancel.clone(),
        };
        // The engine keeps its blocking work (the database) off the async threads, and
        // the scan future is `Send` (checked by a test in the engine), so it is awaited here.
        let scan = scan_with_config(
            &found.packages,
            found.os.as_ref(),
            &network.config,
            &root,
            mode,
            &options,
        );
        tokio::select! {
            report = scan => report.map(VulnsAnswer::from).map_err(IpcError::from),
            () = options.cancel.cancelled() => Err(IpcError::new(
                IpcErrorCode::Cancelled,
                "The vulnerability scan was cancelled.",
            )),
        }
    }
    .await;
    state
        .scans
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .remove(&scan_id);
    result
}

/// Cancels the running scan `scan_id`; cancelling one that already ended does nothing.
#[tauri::command]
pub fn cancel_vulnerabilities(state: State<'_, AppState>, scan_id: String) {
    if let Some(token) = state
        .scans
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(&scan_id)
    {
        token.cancel();
    }
}
