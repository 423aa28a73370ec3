//! The Images page: what is in the local store.

use tauri::State;

use porthole_engine::store::Store;

use crate::AppState;
use crate::ipc::{ImageRow, IpcError};

/// Every image in the local store. Reading the store walks files, so it runs on a blocking
/// thread, never on the async executor.
#[tauri::command]
pub async fn list_images(state: State<'_, AppState>) -> Result<Vec<ImageRow>, IpcError> {
    let root = state.store_root.clone();
    let images = tauri::async_runtime::spawn_blocking(move || Store::open(root)?.images())
        .await
        .map_err(|error| IpcError::internal(format!("listing the images stopped: {error}")))??;
    Ok(images.into_iter().map(ImageRow::from).collect())
}
