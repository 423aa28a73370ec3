//! The Settings page: the settings file the CLI reads (`$PORTHOLE_CONFIG`, else
//! `~/.config/porthole/config.json`), read and written through these commands. It is the one
//! source of truth for registries, mirrors, downloads, the default platform and the OSV
//! servers, so `porthole` and the app always agree; the UI's own preferences (the last SBOM
//! format, the severity filter, the theme) live in the app's store file instead. Credentials
//! are in neither: they stay in Docker's or Podman's credential stores (see `auth.rs`).
//!
//! The store location is read once, at start-up (`locate_store`): a new one saved here is
//! used from the next start, and images already in the old one are not moved.

use std::path::{Path, PathBuf};

use tauri::State;

use porthole_engine::Platform;
use porthole_engine::config::{
    CONFIG_ENV, Config, MIRRORS_ENV, OSV_API_URL_ENV, OSV_DATA_URL_ENV, parse_mirror,
};
use porthole_engine::store::{STORE_ENV, Store, StoreLocation};
use porthole_engine::vulns::OsvApi;

use super::inspect::blocking;
use crate::ipc::{IpcError, IpcErrorCode, Settings, SettingsAnswer, StoreAnswer, StoreOrigin};
use crate::write::write_whole;
use crate::{AppState, Network};

/// The most layers the app lets the settings download at once.
pub const MAX_JOBS: u32 = 32;

/// The settings file, and what it holds (without the environment's overrides).
#[tauri::command]
pub async fn get_settings(state: State<'_, AppState>) -> Result<SettingsAnswer, IpcError> {
    let in_use = state.store_root.clone();
    blocking("reading the settings", move || {
        let path = config_path()?;
        let config = Config::load(&path)?;
        Ok(answer(&path, &config, &in_use))
    })
    .await
}

/// Where the app keeps its images, read at start-up: `$PORTHOLE_STORE`, else the settings'
/// `store`, else the data directory. A settings file that cannot be read (or names a
/// relative store) is passed over here; the Settings page shows what is wrong with it.
pub fn locate_store() -> StoreLocation {
    let config = Config::load_with_env(None).ok();
    let configured = config.as_ref().and_then(|c| c.store_dir().ok().flatten());
    Store::locate(None, configured)
}

/// Checks `settings` and writes them to the settings file (keeping any field the app does
/// not know), then uses them for the next pulls, searches and scans.
#[tauri::command]
pub async fn save_settings(
    state: State<'_, AppState>,
    settings: Settings,
) -> Result<SettingsAnswer, IpcError> {
    let (path, config) = blocking("saving the settings", move || {
        let path = config_path()?;
        let base = Config::load(&path)?;
        let config = save(&path, &base, &settings)?;
        Ok((path, config))
    })
    .await?;
    state.reload_network();
    Ok(answer(&path, &config, &state.store_root))
}

fn config_path() -> Result<PathBuf, IpcError> {
    Config::default_path().ok_or_else(|| {
        IpcError::internal(format!(
            "there is no config directory to keep the settings in; set {CONFIG_ENV} to a file"
        ))
    })
}

fn answer(path: &Path, config: &Config, in_use: &Path) -> SettingsAnswer {
    let overridden_by = [
        MIRRORS_ENV,
        OSV_API_URL_ENV,
        OSV_DATA_URL_ENV,
        "PORTHOLE_HUB_URL",
    ]
    .into_iter()
    .filter(|var| std::env::var_os(var).is_some_and(|v| !v.is_empty()))
    .map(str::to_owned)
    .collect();
    SettingsAnswer {
        path: path.display().to_string(),
        settings: Settings::from(config),
        overridden_by,
        store: store_answer(config, in_use),
    }
}

fn store_answer(config: &Config, in_use: &Path) -> StoreAnswer {
    let env_set = std::env::var_os(STORE_ENV).is_some_and(|v| !v.is_empty());
    let in_use_origin = if env_set {
        StoreOrigin::Environment
    } else if in_use == Store::data_dir_root() {
        StoreOrigin::Default
    } else {
        StoreOrigin::Settings
    };
    let next = Store::locate(None, config.store_dir().ok().flatten());
    StoreAnswer {
        in_use: in_use.display().to_string(),
        in_use_origin,
        next: next.path.display().to_string(),
        next_origin: next.source.into(),
    }
}

/// Makes `dir` a usable store now (created if missing, an empty image layout in it), so a
/// mistake shows when saving rather than at the next start.
fn prepare_store(dir: &Path) -> Result<(), IpcError> {
    std::fs::create_dir_all(dir).map_err(|e| {
        IpcError::new(
            IpcErrorCode::InvalidInput,
            format!(
                "could not create the store directory {}: {e}; choose a directory you can write to",
                dir.display()
            ),
        )
    })?;
    Store::open(dir).map_err(|e| {
        IpcError::new(
            IpcErrorCode::InvalidInput,
            format!("{} cannot be the image store: {e}", dir.display()),
        )
    })?;
    Ok(())
}

/// `settings` over `base`, checked, written whole to `path`; returns what was written.
pub fn save(path: &Path, base: &Config, settings: &Settings) -> Result<Config, IpcError> {
    let config = settings.apply_to(base);
    check(&config)?;
    let mut text = serde_json::to_string_pretty(&config)
        .map_err(|e| IpcError::internal(format!("could not write the settings as JSON: {e}")))?;
    text.push('\n');
    // What is written must read back as the CLI reads it, and give working clients.
    let parsed: Config = serde_json::from_str(&text).map_err(|e| {
        IpcError::internal(format!("the settings do not read back as a config: {e}"))
    })?;
    Network::from_config(parsed.clone())?;
    if let Some(store) = &parsed.store {
        prepare_store(store)?;
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| IpcError::internal(format!("could not create {}: {e}", dir.display())))?;
    }
    write_whole(path, text.as_bytes())?;
    Ok(parsed)
}

/// Each setting checked, with a message that names it.
pub fn check(config: &Config) -> Result<(), IpcError> {
    let invalid = |message: String| Err(IpcError::new(IpcErrorCode::InvalidInput, message));
    for mirror in &config.registry_mirrors {
        parse_mirror(mirror)?;
    }
    if let Some(store) = &config.store
        && !store.is_absolute()
    {
        return invalid(format!(
            "the store location `{}` must be an absolute path, like /home/me/porthole-store",
            store.display()
        ));
    }
    let mut hosts = Vec::new();
    for registry in &config.registries {
        let host = registry.host.as_str();
        if host.contains("://") || host.contains('/') || host.chars().any(char::is_whitespace) {
            return invalid(format!(
                "registry `{host}` must be a host and optional port, like registry.example.com:5000"
            ));
        }
        if hosts.contains(&host) {
            return invalid(format!("registry `{host}` is listed twice"));
        }
        hosts.push(host);
        if let Some(ca) = &registry.ca_file {
            if !ca.is_absolute() {
                return invalid(format!(
                    "the CA file of registry `{host}` must be an absolute path"
                ));
            }
            if !ca.is_file() {
                return invalid(format!(
                    "the CA file of registry `{host}`, {}, does not exist",
                    ca.display()
                ));
            }
        }
    }
    if let Some(jobs) = config.max_concurrent_downloads
        && !(1..=MAX_JOBS as usize).contains(&jobs)
    {
        return invalid(format!(
            "max concurrent downloads must be between 1 and {MAX_JOBS}"
        ));
    }
    if let Some(platform) = &config.default_platform
        && let Err(e) = platform.parse::<Platform>()
    {
        return invalid(format!(
            "`{platform}` is not a platform (expected e.g. linux/amd64): {e}"
        ));
    }
    for (name, url) in [
        ("Docker Hub URL", &config.hub_url),
        ("OSV API URL", &config.osv_api_url),
        ("OSV data URL", &config.osv_data_url),
    ] {
        if let Some(url) = url {
            let rest = url
                .strip_prefix("https://")
                .or_else(|| url.strip_prefix("http://"));
            if rest.is_none_or(|r| r.is_empty() || r.starts_with('/')) {
                return invalid(format!(
                    "the {name} `{url}` must be an http:// or https:// URL with a host"
                ));
            }
        }
    }
    OsvApi::from_config(config)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ipc::RegistryEntry;

    #[test]
    fn settings_round_trip_through_the_cli_config_file_keeping_unknown_fields() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().to_path_buf();
        let path = dir.join("porthole").join("config.json");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(
            &path,
            r#"{"registryMirrors":["https://old.example"],"theme":"dark","futureSetting":{"a":1}}"#,
        )
        .unwrap();
        let ca = dir.join("corp-ca.pem");
        std::fs::write(&ca, "not read here").unwrap();
        let settings = Settings {
            registry_mirrors: vec![" http://127.0.0.1:5000 ".into(), String::new()],
            registries: vec![
                RegistryEntry {
                    host: "registry.lan:5000".into(),
                    insecure: true,
                    ca_file: None,
                },
                RegistryEntry {
                    host: "registry.corp".into(),
                    insecure: false,
                    ca_file: Some(ca.display().to_string()),
                },
            ],
            max_concurrent_downloads: Some(6),
            default_platform: Some("linux/arm64".into()),
            hub_url: Some("  ".into()),
            osv_api_url: Some("http://127.0.0.1:9".into()),
            osv_data_url: Some("http://127.0.0.1:8000/osv".into()),
            store: Some(dir.join("images").display().to_string()),
        };
        let base = Config::load(&path).unwrap();
        save(&path, &base, &settings).unwrap();

        // The CLI reads the same file: same fields, same names.
        let read = Config::load(&path).unwrap();
        assert_eq!(read.registry_mirrors, ["http://127.0.0.1:5000"]);
        assert_eq!(read.jobs(), 6);
        assert!(read.registry("registry.lan:5000").unwrap().insecure);
        assert_eq!(
            read.registry("registry.corp").unwrap().ca_file.as_deref(),
            Some(ca.as_path())
        );
        assert_eq!(read.default_platform.as_deref(), Some("linux/arm64"));
        assert_eq!(read.hub_url, None, "a blank URL is unset");
        assert_eq!(
            read.osv_data_url.as_deref(),
            Some("http://127.0.0.1:8000/osv")
        );
        assert_eq!(read.other["theme"], "dark");
        // The store directory is written, and made a store at once.
        assert_eq!(read.store.as_deref(), Some(dir.join("images").as_path()));
        assert!(dir.join("images").join("oci-layout").is_file());
        assert_eq!(read.other["futureSetting"]["a"], 1);
        let json: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(json["registries"][1]["caFile"], ca.display().to_string());
        assert_eq!(json["maxConcurrentDownloads"], 6);
        assert_eq!(json["osvApiUrl"], "http://127.0.0.1:9");
        // And what the page gets back is what it saved (trimmed).
        let again = Settings::from(&read);
        assert_eq!(again.registries, settings.registries);
        assert_eq!(again.osv_api_url, settings.osv_api_url);
    }

    #[test]
    fn bad_settings_are_refused_with_the_setting_named_and_the_file_untouched() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().to_path_buf();
        let path = dir.join("config.json");
        std::fs::write(&path, "{}").unwrap();
        let refused = |settings: Settings| {
            let error = save(&path, &Config::default(), &settings).unwrap_err();
            assert_eq!(error.code, IpcErrorCode::InvalidInput, "{}", error.message);
            assert_eq!(std::fs::read_to_string(&path).unwrap(), "{}");
            error.message
        };
        let message = refused(Settings {
            registry_mirrors: vec!["ftp://mirror".into()],
            ..Settings::default()
        });
        assert!(message.contains("ftp://mirror"), "{message}");
        let message = refused(Settings {
            max_concurrent_downloads: Some(0),
            ..Settings::default()
        });
        assert!(message.contains("max concurrent downloads"), "{message}");
        let message = refused(Settings {
            default_platform: Some("amd64".into()),
            ..Settings::default()
        });
        assert!(message.contains("not a platform"), "{message}");
        let message = refused(Settings {
            osv_data_url: Some("osv.example".into()),
            ..Settings::default()
        });
        assert!(message.contains("OSV data URL"), "{message}");
        let entry = |host: &str, ca: Option<&str>| RegistryEntry {
            host: host.into(),
            insecure: false,
            ca_file: ca.map(str::to_owned),
        };
        let message = refused(Settings {
            registries: vec![entry("https://registry.lan", None)],
            ..Settings::default()
        });
        assert!(message.contains("host and optional port"), "{message}");
        let message = refused(Settings {
            registries: vec![entry("r.lan", None), entry("r.lan", None)],
            ..Settings::default()
        });
        assert!(message.contains("twice"), "{message}");
        let message = refused(Settings {
            registries: vec![entry("r.lan", Some("/no/such/ca.pem"))],
            ..Settings::default()
        });
        assert!(message.contains("does not exist"), "{message}");
        let message = refused(Settings {
            store: Some("relative/images".into()),
            ..Settings::default()
        });
        assert!(message.contains("absolute path"), "{message}");
        // A directory that holds something else is not taken over.
        let taken = dir.join("taken");
        std::fs::create_dir_all(&taken).unwrap();
        std::fs::write(taken.join("notes.txt"), "mine").unwrap();
        let message = refused(Settings {
            store: Some(taken.display().to_string()),
            ..Settings::default()
        });
        assert!(message.contains("cannot be the image store"), "{message}");
        assert!(!taken.join("oci-layout").exists());
    }
}
