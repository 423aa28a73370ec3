//! Porthole's desktop shell: a thin Tauri adapter over `porthole-engine`. It holds no
//! logic of its own beyond wiring: commands (in `commands/`) call the engine and answer
//! with the IPC types of `ipc`.

use std::path::PathBuf;

pub mod commands;
pub mod ipc;

/// What every command may read: where the store is, resolved once at start-up.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The local image store (`$PORTHOLE_STORE`, else the engine's default).
    pub store_root: PathBuf,
}

/// Builds and runs the app; returns when the last window closes.
pub fn run() {
    let state = AppState {
        store_root: porthole_engine::store::Store::default_root(),
    };
    tauri::Builder::default()
        .plugin(tauri_plugin_store::Builder::new().build())
        .manage(state)
        .invoke_handler(tauri::generate_handler![commands::images::list_images])
        .run(tauri::generate_context!())
        .unwrap_or_else(|error| {
            eprintln!("porthole: the app failed to start: {error}");
            std::process::exit(1);
        });
}
