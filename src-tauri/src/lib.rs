//! Porthole's desktop shell: a thin Tauri adapter over `porthole-engine`. It holds no
//! logic of its own beyond wiring: commands (in `commands/`) call the engine and answer
//! with the IPC types of `ipc`.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};

use tokio_util::sync::CancellationToken;

use porthole_engine::config::Config;
use porthole_engine::hub::HubClient;
use porthole_engine::layers::ImageLayers;
use porthole_engine::registry::RegistryClient;
use porthole_engine::registry::credentials::CredentialStore;

pub mod commands;
pub mod ipc;
pub mod render;
pub mod watch;
pub mod write;

use ipc::IpcError;

/// The event that tells every window the store changed (an image was pulled or removed).
pub const STORE_CHANGED: &str = "store-changed";

/// What every command may read, built once at start-up.
pub struct AppState {
    /// The local image store (`$PORTHOLE_STORE`, else the settings' `store`, else the data
    /// directory), chosen at start-up: a new location in Settings applies at the next start.
    pub store_root: PathBuf,
    /// The registry and Hub clients, or why they could not be set up (a bad config file):
    /// commands that need them answer with that error, the rest of the app still works.
    /// Rebuilt when the Settings page saves the config file.
    pub network: RwLock<Result<Arc<Network>, IpcError>>,
    /// The cancel token of each running pull, by the id the UI gave it.
    pub pulls: Mutex<HashMap<String, CancellationToken>>,
    /// The cancel token of each running push, by the id the UI gave it.
    pub pushes: Mutex<HashMap<String, CancellationToken>>,
    /// The cancel token of the latest search: a newer search cancels the one before.
    pub search: Mutex<CancellationToken>,
    /// The cancel token of each running vulnerability scan, by the id the UI gave it.
    pub scans: Mutex<HashMap<String, CancellationToken>>,
    /// The cancel token of each image archive being saved or loaded, by the id the UI gave it.
    pub archives: Mutex<HashMap<String, CancellationToken>>,
    /// The cancel token of the running offline-database update, if one runs.
    pub vulndb_update: Mutex<Option<CancellationToken>>,
    /// Images whose layers were indexed recently (the details page asks several times).
    pub layers: Mutex<Vec<(String, Arc<ImageLayers>)>>,
    /// One gate per image being indexed, so that two questions about the same image at once
    /// index it once.
    pub loading: Mutex<HashMap<String, Arc<Mutex<()>>>>,
}

/// Clients of the network, from the settings file and the environment.
pub struct Network {
    pub config: Config,
    pub registry: RegistryClient,
    pub hub: HubClient,
}

impl Network {
    /// The clients of the config file (`$PORTHOLE_CONFIG`, else the CLI's default) with the
    /// environment's overrides, as the CLI reads them.
    pub fn from_env() -> Result<Arc<Network>, IpcError> {
        let config = Config::load_with_env(None).map_err(IpcError::from)?;
        Network::from_config(config).map(Arc::new)
    }

    /// The clients of `config`: fails when a mirror, URL or CA file in it is unusable.
    pub fn from_config(config: Config) -> Result<Network, IpcError> {
        let registry = RegistryClient::new(config.clone(), CredentialStore::from_env())?;
        let hub = HubClient::from_config(&config)?;
        Ok(Network {
            config,
            registry,
            hub,
        })
    }
}

impl AppState {
    /// The network clients, or the error that kept them from starting.
    pub fn network(&self) -> Result<Arc<Network>, IpcError> {
        self.network
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Re-reads the config file (after the Settings page saved it).
    pub fn reload_network(&self) {
        *self.network.write().unwrap_or_else(|e| e.into_inner()) = Network::from_env();
    }
}

/// Builds and runs the app; returns when the last window closes.
pub fn run() {
    commands::startup::mark_start();
    let state = AppState {
        store_root: commands::settings::locate_store().path,
        network: RwLock::new(Network::from_env()),
        pulls: Mutex::default(),
        pushes: Mutex::default(),
        scans: Mutex::default(),
        archives: Mutex::default(),
        vulndb_update: Mutex::default(),
        search: Mutex::new(CancellationToken::new()),
        layers: Mutex::default(),
        loading: Mutex::default(),
    };
    let store_root = state.store_root.clone();
    let app = tauri::Builder::default()
        .plugin(tauri_plugin_store::Builder::new().build())
        .manage(state)
        .setup(|app| {
            if let Some(window) = tauri::Manager::get_webview_window(app, "main") {
                render::configure(&window);
            }
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::images::list_images,
            commands::images::remove_images,
            commands::images::store_usage,
            commands::pull::pull_image,
            commands::pull::cancel_pull,
            commands::push::push_destination,
            commands::push::push_image,
            commands::push::cancel_push,
            commands::search::search_hub,
            commands::search::hub_tags,
            commands::search::registry_tags,
            commands::search::resolve_reference,
            commands::inspect::image_details,
            commands::inspect::image_files,
            commands::inspect::search_image_files,
            commands::file_view::read_image_file,
            commands::file_view::save_image_file,
            commands::compare::compare_file,
            commands::archive::export_filesystem,
            commands::inspect::image_packages,
            commands::compare::compare_images,
            commands::compare::compare_vulnerabilities,
            commands::vulns::image_vulnerabilities,
            commands::vulns::cancel_vulnerabilities,
            commands::vulns::fill_vulnerability_counts,
            commands::sbom::export_sbom,
            commands::archive::save_image,
            commands::archive::load_image_archive,
            commands::archive::cancel_archive,
            commands::settings::get_settings,
            commands::settings::save_settings,
            commands::auth::registry_sign_in_status,
            commands::auth::registry_sign_in,
            commands::auth::registry_sign_out,
            commands::vulndb::vulndb_status,
            commands::vulndb::update_vulndb,
            commands::vulndb::cancel_vulndb_update,
            commands::startup::ui_ready,
        ])
        .build(tauri::generate_context!())
        .unwrap_or_else(|error| {
            eprintln!("porthole: the app failed to start: {error}");
            std::process::exit(1);
        });
    // What the CLI or another instance does to the store refreshes the pages too.
    let handle = app.handle().clone();
    let mut store_watch = Some(watch::StoreWatch::start(store_root, move || {
        let _ = tauri::Emitter::emit(&handle, STORE_CHANGED, ());
    }));
    app.run(move |_, event| {
        if let tauri::RunEvent::Exit = event {
            // Stop watching before the process ends.
            store_watch.take();
        }
    });
}
