//! The Settings page's IPC types: the settings file shared with the CLI (the engine's
//! `Config`, in its own camelCase JSON), where the image store is, sign-in to registries
//! (never a secret: only whether credentials exist, for whom and where they went), what
//! an SBOM export wrote, and image archives saved and loaded (with their progress).

use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use porthole_engine::config::{Config, RegistrySettings};
use porthole_engine::store::StoreSource;

/// One registry's settings (`registries[]` in the config file).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "../ui/src/tauri/bindings/")]
pub struct RegistryEntry {
    /// `host[:port]` as it appears in references.
    pub host: String,
    /// Talk plain HTTP to it.
    pub insecure: bool,
    /// A PEM file of CA certificates to trust for it (absolute path).
    pub ca_file: Option<String>,
}

/// The settings the Settings page edits: exactly the fields of the CLI's config file.
/// Fields the app does not know are kept in the file as they are.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "../ui/src/tauri/bindings/")]
pub struct Settings {
    /// Mirrors of docker.io, tried in order before Docker Hub.
    pub registry_mirrors: Vec<String>,
    pub registries: Vec<RegistryEntry>,
    /// Layers downloaded at once (`null`: the default, 4).
    pub max_concurrent_downloads: Option<u32>,
    /// The platform pulled when none is chosen (`linux/arm64`; `null`: the host's).
    pub default_platform: Option<String>,
    /// The Docker Hub web API (`null`: https://hub.docker.com).
    pub hub_url: Option<String>,
    /// The OSV API (`null`: https://api.osv.dev).
    pub osv_api_url: Option<String>,
    /// Where OSV's exports are downloaded from (`null`: OSV's public bucket).
    pub osv_data_url: Option<String>,
    /// The image store directory, absolute (`null`: the data directory). `$PORTHOLE_STORE`
    /// wins over it.
    pub store: Option<String>,
}

impl From<&Config> for Settings {
    fn from(c: &Config) -> Settings {
        Settings {
            registry_mirrors: c.registry_mirrors.clone(),
            registries: c
                .registries
                .iter()
                .map(|r| RegistryEntry {
                    host: r.host.clone(),
                    insecure: r.insecure,
                    ca_file: r.ca_file.as_ref().map(|p| p.display().to_string()),
                })
                .collect(),
            max_concurrent_downloads: c
                .max_concurrent_downloads
                .map(|n| u32::try_from(n).unwrap_or(u32::MAX)),
            default_platform: c.default_platform.clone(),
            hub_url: c.hub_url.clone(),
            osv_api_url: c.osv_api_url.clone(),
            osv_data_url: c.osv_data_url.clone(),
            store: c.store.as_ref().map(|p| p.display().to_string()),
        }
    }
}

impl Settings {
    /// `base` (the file as it was, with fields the app does not know) with these settings:
    /// blank strings are unset, and text is trimmed.
    pub fn apply_to(&self, base: &Config) -> Config {
        let text = |s: &Option<String>| {
            s.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        Config {
            registry_mirrors: self
                .registry_mirrors
                .iter()
                .map(|m| m.trim().to_owned())
                .filter(|m| !m.is_empty())
                .collect(),
            registries: self
                .registries
                .iter()
                .filter(|r| !r.host.trim().is_empty())
                .map(|r| RegistrySettings {
                    host: r.host.trim().to_owned(),
                    insecure: r.insecure,
                    ca_file: text(&r.ca_file).map(PathBuf::from),
                })
                .collect(),
            max_concurrent_downloads: self.max_concurrent_downloads.map(|n| n as usize),
            default_platform: text(&self.default_platform),
            hub_url: text(&self.hub_url),
            osv_api_url: text(&self.osv_api_url),
            osv_data_url: text(&self.osv_data_url),
            store: text(&self.store).map(PathBuf::from),
            other: base.other.clone(),
        }
    }
}

/// The settings file and what it holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "../ui/src/tauri/bindings/")]
pub struct SettingsAnswer {
    /// The file the app and the CLI read (`$PORTHOLE_CONFIG`, else
    /// `~/.config/porthole/config.json`).
    pub path: String,
    pub settings: Settings,
    /// Environment variables that override the file while the app runs
    /// (`PORTHOLE_REGISTRY_MIRRORS`, …), by name.
    pub overridden_by: Vec<String>,
    /// Where the image store is, and where it will be.
    pub store: StoreAnswer,
}

/// What chose a store directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "../ui/src/tauri/bindings/")]
pub enum StoreOrigin {
    /// `$PORTHOLE_STORE` (it wins over the settings).
    Environment,
    /// The settings' `store`.
    Settings,
    /// The platform's data directory.
    Default,
}

impl From<StoreSource> for StoreOrigin {
    fn from(source: StoreSource) -> StoreOrigin {
        match source {
            StoreSource::Env => StoreOrigin::Environment,
            // The app has no `--store`; a flag would be a choice like the settings'.
            StoreSource::Flag | StoreSource::Config => StoreOrigin::Settings,
            StoreSource::Default => StoreOrigin::Default,
        }
    }
}

/// The image store: the directory in use since the app started, and the one the saved
/// settings choose (they differ until Porthole restarts).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "../ui/src/tauri/bindings/")]
pub struct StoreAnswer {
    pub in_use: String,
    pub in_use_origin: StoreOrigin,
    /// Where the store will be after a restart, with the settings as saved.
    pub next: String,
    pub next_origin: StoreOrigin,
}

/// Whether Porthole can sign in to a registry with saved credentials. Never the secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "../ui/src/tauri/bindings/")]
pub struct SignInStatus {
    /// The registry as credentials are keyed: `docker.io`, `ghcr.io`, `127.0.0.1:5000`.
    pub registry: String,
    /// The user name of the saved credentials (`null`: none saved). An identity token's
    /// user is `<token>`.
    pub username: Option<String>,
    /// Where they are: `the credential helper docker-credential-pass`, `/home/me/.docker/config.json`.
    pub source: Option<String>,
    /// Why the credential stores could not be read (a broken helper or file), if they could not.
    pub problem: Option<String>,
}

/// Where a sign-in saved the credentials.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "../ui/src/tauri/bindings/")]
pub struct SignInAnswer {
    pub registry: String,
    pub username: String,
    /// The credential helper (`docker-credential-osxkeychain`), or `null` for Docker's config file.
    pub helper: Option<String>,
    /// Docker's config file when the credentials went there (base64, not encrypted), else `null`.
    pub config_file: Option<String>,
}

/// The SBOM formats the app writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
#[ts(export_to = "../ui/src/tauri/bindings/")]
pub enum SbomKind {
    /// CycloneDX 1.6 JSON.
    Cyclonedx,
    /// SPDX 2.3 JSON.
    Spdx,
}

/// What an SBOM export wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "../ui/src/tauri/bindings/")]
pub struct SbomExport {
    /// The file written (absolute).
    pub path: String,
    /// Packages listed in it.
    pub packages: u32,
}

/// What loading an image archive added.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "../ui/src/tauri/bindings/")]
pub struct LoadAnswer {
    /// Each image's names (full references); an untagged image is listed by its ID.
    pub images: Vec<String>,
    /// The bytes of the images' blobs.
    #[ts(type = "number")]
    pub bytes: u64,
}

/// How far an image archive being saved or loaded has got, sent over its command's channel
/// (ten times a second at most).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "../ui/src/tauri/bindings/")]
pub struct ArchiveProgress {
    /// Bytes written (a save) or read from the file (a load) so far; never more than `total`.
    #[ts(type = "number")]
    pub done: u64,
    /// The bytes expected in all: the image's size for a save (the last event has the
    /// archive's own count), the file's for a load; `null` when unknown.
    #[ts(type = "number | null")]
    pub total: Option<u64>,
}

/// What "Save .tar" wrote: an archive of the image for `docker load` or `podman load`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "../ui/src/tauri/bindings/")]
pub struct ImageArchive {
    /// The file written (absolute).
    pub path: String,
    /// The bytes of the blobs in it (manifest, config, layers).
    #[ts(type = "number")]
    pub bytes: u64,
}
