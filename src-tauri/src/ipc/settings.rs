//! The Settings page's IPC types: the settings file shared with the CLI (the engine's
//! `Config`, in its own camelCase JSON), and what an SBOM export wrote.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use porthole_engine::config::{Config, RegistrySettings};

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
