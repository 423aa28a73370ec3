//! Settings shared by the CLI and the app: registry mirrors, per-registry TLS, download
//! concurrency. One JSON format, read from the CLI's config file and written by the app's
//! settings page.
//!
//! Where the file is: `--config FILE`, else `$PORTHOLE_CONFIG`, else
//! `<config dir>/porthole/config.json` (`~/.config/porthole/config.json` on Linux).
//! `$PORTHOLE_REGISTRY_MIRRORS` (comma-separated URLs) replaces the file's mirror list.
//! The optional `store` key names the image store directory; `--store` and `$PORTHOLE_STORE`
//! win over it (see [`crate::store::Store::locate`]).
//! Credentials never live here: they stay in Docker's or Podman's credential stores.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use url::Url;

/// Environment variable naming the config file.
pub const CONFIG_ENV: &str = "PORTHOLE_CONFIG";
/// Environment variable listing docker.io mirrors, comma-separated.
pub const MIRRORS_ENV: &str = "PORTHOLE_REGISTRY_MIRRORS";
/// Environment variable that replaces the config's `osvApiUrl`.
pub const OSV_API_URL_ENV: &str = "PORTHOLE_OSV_API_URL";
/// Environment variable that replaces the config's `osvDataUrl`.
pub const OSV_DATA_URL_ENV: &str = "PORTHOLE_OSV_DATA_URL";
/// Layers downloaded at once unless configured otherwise (Docker's default is 3).
pub const DEFAULT_JOBS: usize = 4;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    #[error("cannot read the config file {path}: {source}")]
    Unreadable {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the config file {path} is not valid: {source}")]
    Invalid {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    #[error(
        "the store directory `{}` in the config file must be an absolute path (e.g. /home/me/porthole-store)",
        path.display()
    )]
    RelativeStore { path: PathBuf },
    #[error(
        "registry mirror `{url}` is not a usable URL: {reason} (expected e.g. https://mirror.example.com)"
    )]
    BadMirror { url: String, reason: String },
}

/// Settings of one registry host.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RegistrySettings {
    /// `host[:port]` as it appears in references, e.g. `registry.example.com:5000`.
    pub host: String,
    /// Talk plain HTTP to it (only do this on networks you trust).
    #[serde(default)]
    pub insecure: bool,
    /// A PEM file of CA certificates to trust for this registry, beside the system roots.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_file: Option<PathBuf>,
}

/// The whole settings document.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Config {
    /// Mirrors of docker.io, tried in order before Docker Hub itself.
    #[serde(default)]
    pub registry_mirrors: Vec<String>,
    /// Per-registry settings (insecure, CA).
    #[serde(default)]
    pub registries: Vec<RegistrySettings>,
    /// Layers downloaded at once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_concurrent_downloads: Option<usize>,
    /// The platform pulled when none is given, e.g. `linux/arm64`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_platform: Option<String>,
    /// The Docker Hub web API (search, tags) base URL; `$PORTHOLE_HUB_URL` overrides it.
    /// Default: `https://hub.docker.com`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hub_url: Option<String>,
    /// The OSV API base URL (online vulnerability scans); `$PORTHOLE_OSV_API_URL` replaces it.
    /// Default: `https://api.osv.dev`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub osv_api_url: Option<String>,
    /// Where OSV's per-ecosystem `all.zip` exports are downloaded from (the offline
    /// database); `$PORTHOLE_OSV_DATA_URL` replaces it.
    /// Default: `https://osv-vulnerabilities.storage.googleapis.com`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub osv_data_url: Option<String>,
    /// The image store directory (absolute). `--store` and `$PORTHOLE_STORE` win over it;
    /// without any of them the store is in the platform's data directory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store: Option<PathBuf>,
    /// Anything else in the file (the app's own settings) is kept as it is.
    #[serde(flatten)]
    pub other: serde_json::Map<String, serde_json::Value>,
}

impl Config {
    /// The file used when none is named.
    pub fn default_path() -> Option<PathBuf> {
        if let Some(p) = std::env::var_os(CONFIG_ENV).filter(|p| !p.is_empty()) {
            return Some(PathBuf::from(p));
        }
        dirs::config_dir().map(|d| d.join("porthole").join("config.json"))
    }

    /// Read `path`; a missing file is an empty config.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        match std::fs::read(path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|source| ConfigError::Invalid {
                path: path.to_owned(),
                source,
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Config::default()),
            Err(source) => Err(ConfigError::Unreadable {
                path: path.to_owned(),
                source,
            }),
        }
    }

    /// The file named by `explicit`, else the default one, then `$PORTHOLE_REGISTRY_MIRRORS`,
    /// `$PORTHOLE_OSV_API_URL` and `$PORTHOLE_OSV_DATA_URL`.
    pub fn load_with_env(explicit: Option<&Path>) -> Result<Config, ConfigError> {
        let mut config = match explicit.map(Path::to_owned).or_else(Config::default_path) {
            Some(path) => Config::load(&path)?,
            None => Config::default(),
        };
        if let Ok(list) = std::env::var(MIRRORS_ENV) {
            config.registry_mirrors = list
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect();
        }
        for (var, field) in [
            (OSV_API_URL_ENV, &mut config.osv_api_url),
            (OSV_DATA_URL_ENV, &mut config.osv_data_url),
        ] {
            // An empty variable is ignored, as `$PORTHOLE_HUB_URL` is.
            if let Ok(url) = std::env::var(var)
                && !url.trim().is_empty()
            {
                *field = Some(url.trim().to_owned());
            }
        }
        Ok(config)
    }

    pub fn registry(&self, host: &str) -> Option<&RegistrySettings> {
        self.registries.iter().find(|r| r.host == host)
    }

    /// The configured store directory, checked to be absolute (a relative one would
    /// depend on where the command happens to run). `Ok(None)`: not configured.
    pub fn store_dir(&self) -> Result<Option<&Path>, ConfigError> {
        match self.store.as_deref() {
            None => Ok(None),
            Some(dir) if dir.as_os_str().is_empty() => Ok(None),
            Some(dir) if dir.is_absolute() => Ok(Some(dir)),
            Some(dir) => Err(ConfigError::RelativeStore {
                path: dir.to_owned(),
            }),
        }
    }

    pub fn jobs(&self) -> usize {
        self.max_concurrent_downloads.unwrap_or(DEFAULT_JOBS).max(1)
    }

    /// The docker.io mirrors as base URLs, checked.
    pub fn mirror_urls(&self) -> Result<Vec<Url>, ConfigError> {
        self.registry_mirrors
            .iter()
            .map(|m| parse_mirror(m))
            .collect()
    }
}

/// A mirror is a base URL (`https://mirror.gcr.io`, `http://127.0.0.1:5000`); a bare
/// host gets `https://`, as the Docker daemon's `registry-mirrors` expects full URLs.
pub fn parse_mirror(s: &str) -> Result<Url, ConfigError> {
    let with_scheme = if s.contains("://") {
        s.to_owned()
    } else {
        format!("https://{s}")
    };
    let bad = |reason: &str| ConfigError::BadMirror {
        url: s.to_owned(),
        reason: reason.to_owned(),
    };
    let url = Url::parse(&with_scheme).map_err(|e| bad(&e.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(bad("only http and https are supported"));
    }
    if url.host_str().is_none() {
        return Err(bad("it has no host"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(bad("it must not have a query or fragment"));
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_unknown_fields_and_reads_known_ones() {
        let text = r#"{"registryMirrors":["http://127.0.0.1:5000"],"theme":"dark",
            "registries":[{"host":"reg.local:5000","insecure":true}],"maxConcurrentDownloads":6}"#;
        let c: Config = serde_json::from_str(text).unwrap();
        assert_eq!(c.jobs(), 6);
        assert!(c.registry("reg.local:5000").unwrap().insecure);
        assert_eq!(c.other["theme"], "dark");
        let back = serde_json::to_value(&c).unwrap();
        assert_eq!(back["theme"], "dark");
        assert_eq!(back["registryMirrors"][0], "http://127.0.0.1:5000");
    }

    #[test]
    fn mirrors_are_checked() {
        assert_eq!(
            parse_mirror("mirror.example.com").unwrap().as_str(),
            "https://mirror.example.com/"
        );
        assert!(parse_mirror("ftp://x").is_err());
        assert!(parse_mirror("http://x/?a=1").is_err());
        assert!(parse_mirror("http://").is_err());
    }

    #[test]
    fn the_store_key_is_read_written_and_must_be_absolute() {
        let c: Config = serde_json::from_str(r#"{"store":"/srv/porthole"}"#).unwrap();
        assert_eq!(c.store_dir().unwrap(), Some(Path::new("/srv/porthole")));
        assert_eq!(serde_json::to_value(&c).unwrap()["store"], "/srv/porthole");
        assert!(
            !serde_json::to_value(Config::default())
                .unwrap()
                .as_object()
                .unwrap()
                .contains_key("store")
        );
        let relative: Config = serde_json::from_str(r#"{"store":"images/here"}"#).unwrap();
        let e = relative.store_dir().unwrap_err().to_string();
        assert!(e.contains("images/here") && e.contains("absolute"), "{e}");
        let empty: Config = serde_json::from_str(r#"{"store":""}"#).unwrap();
        assert_eq!(empty.store_dir().unwrap(), None);
    }

    #[test]
    fn missing_file_is_empty_config_and_bad_json_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("config.json");
        assert_eq!(Config::load(&p).unwrap(), Config::default());
        std::fs::write(&p, "{nope").unwrap();
        let e = Config::load(&p).unwrap_err().to_string();
        assert!(e.contains("config.json") && e.contains("not valid"), "{e}");
    }
}
