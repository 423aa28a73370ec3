//! Registry credentials, read and written where and how Docker and Podman keep them.
//! Porthole has no credential store of its own.
//!
//! # Where credentials are looked up
//!
//! [`CredentialStore::get`] asks, in this order, and the first source that has
//! credentials for the registry wins:
//!
//! 1. Docker's config file, `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`:
//!    1. `credHelpers[<registry>]`: the helper `docker-credential-<name>` (`get`);
//!    2. else `credsStore`: the helper `docker-credential-<credsStore>` for every registry
//!       (a `credHelpers` entry of `""` means "no helper for this registry", as in Docker);
//!    3. then the `auths` entry for the registry (also consulted when the helper has
//!       nothing: Docker itself leaves credential-less `{}` entries there).
//! 2. Podman's auth files (same `auths` format; their `credHelpers` are honoured too):
//!    `$REGISTRY_AUTH_FILE` if set; else `$XDG_RUNTIME_DIR/containers/auth.json`, then
//!    `$XDG_CONFIG_HOME/containers/auth.json` (`~/.config/containers/auth.json`).
//!
//! A helper that is configured but missing or failing is an error
//! ([`CredentialError::HelperNotFound`], [`CredentialError::HelperFailed`]), as it is for
//! `docker pull`; callers that can go on anonymously may choose to.
//!
//! # How `auths` keys match
//!
//! Keys are normalised like Docker's `ConvertToHostname`: an `http://` or `https://`
//! scheme and any path are dropped (`https://ghcr.io`, `http://127.0.0.1:5000/v2/`).
//! Docker Hub is `docker.io`; its key is `https://index.docker.io/v1/`, and
//! `index.docker.io`, `registry-1.docker.io` and `docker.io` keys are accepted too.
//! A key without a scheme but with a path (`quay.io/org/repo`, `quay.io/org`) is scoped to
//! that repository or namespace, as in Podman (Porthole honours these in Docker's file too,
//! like Podman does). For a lookup, in order: repository-scoped keys covering the
//! repository, most specific first; the exact registry key (`ghcr.io`, or Docker Hub's
//! URL); then any other key for the same host, in file order. An entry with nothing usable
//! in it (`{}`) is skipped; a malformed one (bad base64, `auth` without `:`) is an error
//! naming the file and the key.
//!
//! An entry's `identitytoken` (an OAuth refresh token) wins over `auth` and
//! `username`/`password`; it comes back as [`Credentials`] whose user is `<token>`, exactly
//! as credential helpers return identity tokens. A `registrytoken` (a bearer token for the
//! registry itself) is only reported by [`CredentialStore::lookup`].
//!
//! # Writing
//!
//! [`CredentialStore::save`] and [`CredentialStore::erase`] behave like `docker login` and
//! `docker logout`: they only touch Docker's side. Saving goes through the configured
//! helper when there is one (leaving a secret-less `{}` entry in `auths`, as Docker does),
//! else into `auths` as a base64 `auth` (or `identitytoken`). The config file is rewritten
//! atomically (temporary file in the same directory, fsync, rename; mode 0600; a new
//! directory gets mode 0700) with every other field and the key order left as they were.
//! Podman's auth files are only read.
//!
//! Everything here blocks (file I/O, helper processes): async callers use
//! `tokio::task::spawn_blocking`. Secrets are never logged nor put in error messages.

mod file;
mod helper;
#[cfg(test)]
mod tests;

use std::ffi::OsString;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_PAD_INDIFFERENT};

use file::{Json, Object};

/// The user name that marks the secret as an identity (OAuth refresh) token.
pub const IDENTITY_TOKEN_USERNAME: &str = "<token>";
/// Docker Hub's key in `auths` and the server URL given to helpers for it.
pub const DOCKER_HUB_SERVER_URL: &str = "https://index.docker.io/v1/";
/// How long a helper may take unless [`CredentialStore::with_helper_timeout`] says
/// otherwise (generous: a helper may be waiting for the user to unlock a keychain).
pub const DEFAULT_HELPER_TIMEOUT: Duration = Duration::from_secs(120);

const DOCKER_HUB: &str = "docker.io";
const DOCKER_HUB_ALIASES: [&str; 3] = ["docker.io", "index.docker.io", "registry-1.docker.io"];
/// Fields of an `auths` entry that hold secrets (Docker's names).
const SECRET_FIELDS: [&str; 5] = [
    "auth",
    "username",
    "password",
    "identitytoken",
    "registrytoken",
];

/// A password or token. Its `Debug` and `Display` print `<redacted>`; [`Secret::expose`]
/// is the only way to the text.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(secret: impl Into<String>) -> Self {
        Secret(secret.into())
    }

    /// The secret itself: for an `Authorization` header or a helper, never for a log.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<String> for Secret {
    fn from(s: String) -> Self {
        Secret(s)
    }
}

impl From<&str> for Secret {
    fn from(s: &str) -> Self {
        Secret(s.to_owned())
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// A user and password, or (user `<token>`) an identity token.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    pub username: String,
    pub secret: Secret,
}

impl Credentials {
    pub fn new(username: impl Into<String>, secret: impl Into<Secret>) -> Self {
        Credentials {
            username: username.into(),
            secret: secret.into(),
        }
    }

    /// An identity (OAuth refresh) token, as Docker and its helpers represent one.
    pub fn identity_token(token: impl Into<Secret>) -> Self {
        Credentials::new(IDENTITY_TOKEN_USERNAME, token)
    }

    /// Whether the secret is an identity token, to be exchanged through the OAuth
    /// refresh-token flow rather than sent as a password.
    pub fn is_identity_token(&self) -> bool {
        self.username == IDENTITY_TOKEN_USERNAME
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .field("secret", &self.secret)
            .finish()
    }
}

/// Where found credentials came from (for "signed in as alice (from ...)").
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CredentialSource {
    /// A credential helper, e.g. `docker-credential-desktop`.
    Helper(String),
    /// The `auths` of Docker's config file.
    DockerConfig(PathBuf),
    /// The `auths` of one of Podman's auth files.
    PodmanAuthFile(PathBuf),
}

/// What [`CredentialStore::lookup`] found. At least one of the two is set.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Found {
    pub credentials: Option<Credentials>,
    /// An entry's `registrytoken`: a bearer token to send to the registry as it is.
    pub registry_token: Option<Secret>,
    pub source: CredentialSource,
}

/// Where [`CredentialStore::save`] put the credentials.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SavedTo {
    /// The helper, e.g. `docker-credential-osxkeychain`.
    Helper(String),
    /// Docker's config file.
    ConfigFile(PathBuf),
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CredentialError {
    #[error("cannot read the credentials file {path}: {source}")]
    ConfigUnreadable {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "the credentials file {path} is not valid JSON: {source} (fix it, or move it away and log in again)"
    )]
    ConfigInvalid {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    #[error(
        "the credentials file {path} is not in the expected format: {reason} (fix it, or move it away and log in again)"
    )]
    ConfigMalformed { path: PathBuf, reason: String },
    #[error(
        "the entry `{key}` in {path} is not usable: {reason} (fix or delete that entry, or log in to the registry again)"
    )]
    EntryInvalid {
        path: PathBuf,
        key: String,
        reason: String,
    },
    #[error("cannot write the credentials file {path}: {source}")]
    ConfigWriteFailed {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "cannot tell where Docker's config is: neither DOCKER_CONFIG nor a home directory is set"
    )]
    NoConfigDir,
    #[error(
        "`{registry}` is not a registry host (expected e.g. docker.io, ghcr.io or 127.0.0.1:5000)"
    )]
    InvalidRegistry { registry: String },
    #[error("these credentials cannot be saved: {reason}")]
    InvalidCredentials { reason: String },
    #[error(
        "{path} names the credential helper `{name}`, which is not a valid helper name (fix `credsStore`/`credHelpers` there)"
    )]
    InvalidHelperName { path: PathBuf, name: String },
    #[error(
        "the credential helper `{helper}` is not installed (not found on PATH): install it, or remove it from `credsStore`/`credHelpers` in Docker's config.json"
    )]
    HelperNotFound { helper: String },
    #[error("the credential helper `{helper}` failed: {message}")]
    HelperFailed { helper: String, message: String },
    #[error(
        "the credential helper `{helper}` did not answer within {seconds:.0} s (is it waiting for a keychain to be unlocked?)"
    )]
    HelperTimedOut { helper: String, seconds: f64 },
}

/// Docker's and Podman's credential files, and how to run credential helpers.
#[derive(Clone, Debug)]
pub struct CredentialStore {
    docker_config_dir: Option<PathBuf>,
    podman_auth_files: Vec<PathBuf>,
    helper_dirs: Vec<PathBuf>,
    helper_timeout: Duration,
}

/// Serialises read-modify-write of config files within this process.
static WRITE_LOCK: Mutex<()> = Mutex::new(());

impl CredentialStore {
    /// The files Docker and Podman would use, from `DOCKER_CONFIG`, `REGISTRY_AUTH_FILE`,
    /// `XDG_RUNTIME_DIR`, `XDG_CONFIG_HOME` and `HOME`.
    pub fn from_env() -> CredentialStore {
        Self::from_vars(|name| std::env::var_os(name), dirs::home_dir)
    }

    /// [`CredentialStore::from_env`] over any environment (`home` is asked only when
    /// `HOME` is unset).
    fn from_vars(
        var: impl Fn(&str) -> Option<OsString>,
        home: impl FnOnce() -> Option<PathBuf>,
    ) -> CredentialStore {
        let var = |name: &str| var(name).filter(|v| !v.is_empty()).map(PathBuf::from);
        let home = var("HOME").or_else(home);
        let docker_config_dir =
            var("DOCKER_CONFIG").or_else(|| home.as_ref().map(|h| h.join(".docker")));
        let podman_auth_files = match var("REGISTRY_AUTH_FILE") {
            Some(file) => vec![file],
            None => {
                let runtime =
                    var("XDG_RUNTIME_DIR").map(|d| d.join("containers").join("auth.json"));
                let config = var("XDG_CONFIG_HOME")
                    .or_else(|| home.as_ref().map(|h| h.join(".config")))
                    .map(|d| d.join("containers").join("auth.json"));
                runtime.into_iter().chain(config).collect()
            }
        };
        CredentialStore {
            docker_config_dir,
            podman_auth_files,
            helper_dirs: Vec::new(),
            helper_timeout: DEFAULT_HELPER_TIMEOUT,
        }
    }

    /// Explicit locations: Docker's config directory (holding `config.json`) and Podman's
    /// auth files, in lookup order.
    pub fn new(docker_config_dir: PathBuf, podman_auth_files: Vec<PathBuf>) -> CredentialStore {
        CredentialStore {
            docker_config_dir: Some(docker_config_dir),
            podman_auth_files,
            helper_dirs: Vec::new(),
            helper_timeout: DEFAULT_HELPER_TIMEOUT,
        }
    }

    /// Also look for `docker-credential-*` helpers in `dir`, before `PATH` (and put it
    /// first in the helpers' own `PATH`). The process environment is left alone.
    pub fn with_helper_dir(mut self, dir: PathBuf) -> CredentialStore {
        self.helper_dirs.push(dir);
        self
    }

    /// How long a helper may run before it is killed ([`DEFAULT_HELPER_TIMEOUT`]).
    pub fn with_helper_timeout(mut self, timeout: Duration) -> CredentialStore {
        self.helper_timeout = timeout;
        self
    }

    /// Docker's `config.json`, if a location is known.
    pub fn docker_config_file(&self) -> Option<PathBuf> {
        self.docker_config_dir
            .as_ref()
            .map(|d| d.join("config.json"))
    }

    /// Podman's auth files, in lookup order.
    pub fn podman_auth_files(&self) -> &[PathBuf] {
        &self.podman_auth_files
    }

    /// The credentials for `registry` (a host such as `docker.io`, `ghcr.io` or
    /// `127.0.0.1:5000`; a URL-form key such as `https://index.docker.io/v1/` is accepted
    /// too), optionally for `repository` within it (its path, e.g. `library/alpine`; a
    /// bare Docker Hub name like `alpine` means `library/alpine`). See the module docs for
    /// the order of the sources. `Ok(None)`: anonymous access.
    pub fn get(
        &self,
        registry: &str,
        repository: Option<&str>,
    ) -> Result<Option<Credentials>, CredentialError> {
        Ok(self
            .lookup(registry, repository)?
            .and_then(|found| found.credentials))
    }

    /// Like [`CredentialStore::get`], also saying where the credentials came from and
    /// reporting an entry's `registrytoken`.
    pub fn lookup(
        &self,
        registry: &str,
        repository: Option<&str>,
    ) -> Result<Option<Found>, CredentialError> {
        let host = normalize_registry(registry)?;
        let repository = repository.map(|r| normalize_repository(&host, r));
        let repository = repository.as_deref();

        let docker = self.docker_config_file().map(|path| (path, true));
        let podman = self
            .podman_auth_files
            .iter()
            .map(|path| (path.clone(), false));
        for (path, is_docker) in docker.into_iter().chain(podman) {
            if let Some(doc) = file::read_object(&path)?
                && let Some(found) = self.lookup_in(&path, &doc, &host, repository, is_docker)?
            {
                return Ok(Some(found));
            }
        }
        Ok(None)
    }

    /// One file: its helper for the host, then its `auths`.
    fn lookup_in(
        &self,
        path: &Path,
        doc: &Object,
        host: &str,
        repository: Option<&str>,
        is_docker: bool,
    ) -> Result<Option<Found>, CredentialError> {
        // Podman's files know `credHelpers` but not `credsStore`.
        if let Some(name) = helper_for(path, doc, host, is_docker)?
            && let Some(credentials) = self.helpers().get(&name, &server_url(host))?
        {
            return Ok(Some(Found {
                credentials: Some(credentials),
                registry_token: None,
                source: CredentialSource::Helper(helper::program_name(&name)),
            }));
        }
        let Some(auths) = object_field(path, doc, "auths")? else {
            return Ok(None);
        };
        for (key, entry) in matching_keys(auths, host, repository) {
            let (credentials, registry_token) = decode_entry(path, key, entry)?;
            if credentials.is_some() || registry_token.is_some() {
                let source = if is_docker {
                    CredentialSource::DockerConfig(path.to_owned())
                } else {
                    CredentialSource::PodmanAuthFile(path.to_owned())
                };
                return Ok(Some(Found {
                    credentials,
                    registry_token,
                    source,
                }));
            }
        }
        Ok(None)
    }

    /// Stores credentials for `registry` like `docker login`: through the helper when
    /// `credHelpers`/`credsStore` name one, else in `auths` of Docker's config file.
    pub fn save(&self, registry: &str, creds: &Credentials) -> Result<SavedTo, CredentialError> {
        let host = normalize_registry(registry)?;
        validate_credentials(creds)?;
        let path = self
            .docker_config_file()
            .ok_or(CredentialError::NoConfigDir)?;
        let _guard = WRITE_LOCK.lock().unwrap_or_else(|e| e.into_inner());
        let existing = file::read_object(&path)?;
        let key = config_key(&host);

        if let Some(doc) = &existing
            && let Some(name) = helper_for(&path, doc, &host, true)?
        {
            // Docker keeps a secret-less entry for the registry (and so drops any
            // plain-text secret an earlier login left there). `auths` is checked before
            // the helper runs, so a bad file fails the save before anything is stored.
            let mut doc = doc.clone();
            let auths = auths_for_writing(&path, &mut doc)?;
            self.helpers().store(&name, &server_url(&host), creds)?;
            let changed = match auths.get_mut(key) {
                Some(Json::Object(entry)) => strip_secrets(entry),
                _ => {
                    auths.insert(key.to_owned(), Json::Object(Object::default()));
                    true
                }
            };
            if changed {
                file::write_atomically(&path, &doc)?;
            }
            return Ok(SavedTo::Helper(helper::program_name(&name)));
        }

        let mut doc = existing.unwrap_or_default();
        let auths = auths_for_writing(&path, &mut doc)?;
        let mut entry = match auths.get(key) {
            Some(Json::Object(entry)) => entry.clone(),
            _ => Object::default(),
        };
        strip_secrets(&mut entry);
        if creds.is_identity_token() {
            entry.insert(
                "identitytoken".into(),
                Json::String(creds.secret.expose().to_owned()),
            );
        } else {
            let plain = format!("{}:{}", creds.username, creds.secret.expose());
            entry.insert("auth".into(), Json::String(STANDARD.encode(plain)));
        }
        auths.insert(key.to_owned(), Json::Object(entry));
        file::write_atomically(&path, &doc)?;
        Ok(SavedTo::ConfigFile(path))
    }

    /// Forgets the credentials for `registry` like `docker logout`: erases them from the
    /// configured helper (under Docker's URL for the registry, and for other registries
    /// also under `https://<host>` and `http://<host>`, as Docker does) and removes the
    /// registry's host-level entries from `auths` of Docker's config file. Podman's
    /// files and repository-scoped keys are left alone. `true` if the helper erased
    /// something or an entry holding a secret was removed.
    pub fn erase(&self, registry: &str) -> Result<bool, CredentialError> {
        let host = normalize_registry(registry)?;
        let Some(path) = self.docker_config_file() else {
            return Ok(false);
        };
        let _guard = WRITE_LOCK.lock().unwrap_or_else(|e| e.into_inner());
        let Some(mut doc) = file::read_object(&path)? else {
            return Ok(false);
        };

        let mut removed = false;
        if let Some(name) = helper_for(&path, &doc, &host, true)? {
            let helpers = self.helpers();
            removed |= helpers.erase(&name, &server_url(&host))?;
            if host != DOCKER_HUB {
                for url in [format!("https://{host}"), format!("http://{host}")] {
                    // Leftovers of old Docker versions: best effort.
                    removed |= helpers.erase(&name, &url).unwrap_or(false);
                }
            }
        }

        if object_field(&path, &doc, "auths")?.is_none() {
            return Ok(removed);
        }
        let Some(auths_key) = doc.field_key("auths").map(str::to_owned) else {
            return Ok(removed);
        };
        let Some(Json::Object(auths)) = doc.get_mut(&auths_key) else {
            return Ok(removed);
        };
        let doomed: Vec<String> = auths
            .keys()
            .filter(|key| {
                let (key_host, scope) = classify_key(key);
                key_host == host && scope.is_none()
            })
            .map(str::to_owned)
            .collect();
        if doomed.is_empty() {
            return Ok(removed);
        }
        for key in &doomed {
            if let Some(Json::Object(entry)) = auths.remove(key) {
                removed |= SECRET_FIELDS
                    .iter()
                    .any(|f| matches!(entry.field(f), Some(Json::String(s)) if !s.is_empty()));
            }
        }
        file::write_atomically(&path, &doc)?;
        Ok(removed)
    }

    fn helpers(&self) -> helper::Runner<'_> {
        helper::Runner {
            extra_dirs: &self.helper_dirs,
            timeout: self.helper_timeout,
        }
    }
}

/// The registry a person named, as `docker login` reads it: none is Docker Hub
/// (`docker.io`); `index.docker.io`, `https://index.docker.io/v1/`, `host:5000` and
/// `http://host:5000/v2/` become `docker.io`, `docker.io`, `host:5000` and `host:5000`. The
/// host must be one the reference grammar accepts (lower case, no spaces).
pub fn registry_name(server: Option<&str>) -> Result<String, CredentialError> {
    let Some(raw) = server.map(str::trim) else {
        return Ok(DOCKER_HUB.to_owned());
    };
    let invalid = || CredentialError::InvalidRegistry {
        registry: raw.to_owned(),
    };
    let host = convert_to_hostname(raw);
    if host.is_empty() {
        return Err(invalid());
    }
    // Normalise through the reference grammar (index.docker.io → docker.io, lowercase check).
    let probe = crate::Reference::parse(&format!("{host}/probe/probe")).map_err(|_| invalid())?;
    Ok(probe.registry().to_owned())
}

/// Docker's `ConvertToHostname`: without an `http://`/`https://` scheme and without
/// anything from the first `/` on.
pub fn convert_to_hostname(key: &str) -> &str {
    let stripped = key
        .strip_prefix("http://")
        .or_else(|| key.strip_prefix("https://"))
        .unwrap_or(key);
    stripped.split('/').next().unwrap_or(stripped)
}

/// A host as compared here: lower case, Docker Hub's aliases as `docker.io`.
fn canonical_host(host: &str) -> String {
    let host = host.to_ascii_lowercase();
    if DOCKER_HUB_ALIASES.contains(&host.as_str()) {
        DOCKER_HUB.to_owned()
    } else {
        host
    }
}

fn normalize_registry(registry: &str) -> Result<String, CredentialError> {
    let host = convert_to_hostname(registry.trim());
    if host.is_empty() || host.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(CredentialError::InvalidRegistry {
            registry: registry.to_owned(),
        });
    }
    Ok(canonical_host(host))
}

/// A repository path without surrounding slashes, `library/` added to Docker Hub's
/// official images.
fn normalize_repository(host: &str, repository: &str) -> String {
    let repository = repository.trim_matches('/');
    if host == DOCKER_HUB && !repository.contains('/') {
        format!("library/{repository}")
    } else {
        repository.to_owned()
    }
}

/// The `auths`/`credHelpers` key Docker writes for a host.
fn config_key(host: &str) -> &str {
    if host == DOCKER_HUB {
        DOCKER_HUB_SERVER_URL
    } else {
        host
    }
}

/// The server URL Docker gives helpers for a host.
fn server_url(host: &str) -> String {
    config_key(host).to_owned()
}

/// The canonical host of a key, and the repository path it is scoped to (`None` for a
/// registry-wide key). URL keys are always registry-wide (Docker, and Podman's
/// normalisation, drop their path); so are paths that are only the API version.
fn classify_key(key: &str) -> (String, Option<&str>) {
    let host = convert_to_hostname(key);
    if key.starts_with("http://") || key.starts_with("https://") {
        return (canonical_host(host), None);
    }
    let path = key[host.len()..].trim_matches('/');
    let scope = (!matches!(path, "" | "v1" | "v2")).then_some(path);
    (canonical_host(host), scope)
}

/// Whether the key scope `scope` (`org` or `org/repo`) covers `repository`, component by
/// component.
fn scope_covers(scope: &str, repository: &str) -> bool {
    repository == scope
        || repository
            .strip_prefix(scope)
            .is_some_and(|rest| rest.starts_with('/'))
}

/// The keys of `entries` that apply to `host` (and `repository`), best first.
fn matching_keys<'a>(
    entries: &'a Object,
    host: &str,
    repository: Option<&str>,
) -> Vec<(&'a str, &'a Json)> {
    let preferred = config_key(host);
    let mut scoped = Vec::new();
    let mut exact = Vec::new();
    let mut others = Vec::new();
    for (key, value) in entries.iter() {
        let (key_host, scope) = classify_key(key);
        if key_host != host {
            continue;
        }
        match scope {
            Some(scope) => {
                if repository.is_some_and(|r| scope_covers(scope, r)) {
                    scoped.push((scope.split('/').count(), key, value));
                }
            }
            None if key == preferred => exact.push((key, value)),
            None => others.push((key, value)),
        }
    }
    scoped.sort_by_key(|(depth, ..)| std::cmp::Reverse(*depth));
    scoped
        .into_iter()
        .map(|(_, k, v)| (k, v))
        .chain(exact)
        .chain(others)
        .collect()
}

/// The top-level object `name` of a config file (`None` if absent or null).
fn object_field<'a>(
    path: &Path,
    doc: &'a Object,
    name: &str,
) -> Result<Option<&'a Object>, CredentialError> {
    match doc.field(name) {
        None | Some(Json::Null) => Ok(None),
        Some(Json::Object(object)) => Ok(Some(object)),
        Some(_) => Err(CredentialError::ConfigMalformed {
            path: path.to_owned(),
            reason: format!("`{name}` is not a JSON object"),
        }),
    }
}

/// The helper for `host`: `credHelpers` (an entry of `""` means none, bypassing
/// `credsStore`, as in Docker), else `credsStore` (Docker's file only).
fn helper_for(
    path: &Path,
    doc: &Object,
    host: &str,
    use_creds_store: bool,
) -> Result<Option<String>, CredentialError> {
    let checked = |name: &str| -> Result<Option<String>, CredentialError> {
        if name.is_empty() {
            Ok(None)
        } else if name.contains(['/', '\\']) || name.chars().any(char::is_control) {
            Err(CredentialError::InvalidHelperName {
                path: path.to_owned(),
                name: name.to_owned(),
            })
        } else {
            Ok(Some(name.to_owned()))
        }
    };
    if let Some(helpers) = object_field(path, doc, "credHelpers")? {
        // Helper keys are registry-wide: repository-scoped ones do not apply.
        if let Some((key, value)) = matching_keys(helpers, host, None).into_iter().next() {
            return match value {
                Json::String(name) => checked(name),
                _ => Err(CredentialError::ConfigMalformed {
                    path: path.to_owned(),
                    reason: format!("`credHelpers` entry `{key}` is not a string"),
                }),
            };
        }
    }
    if !use_creds_store {
        return Ok(None);
    }
    match doc.field("credsStore") {
        None | Some(Json::Null) => Ok(None),
        Some(Json::String(name)) => checked(name),
        Some(_) => Err(CredentialError::ConfigMalformed {
            path: path.to_owned(),
            reason: "`credsStore` is not a string".into(),
        }),
    }
}

/// The credentials and registry token of an `auths` entry; `(None, None)` for an entry
/// with nothing usable. Never puts a secret in an error.
fn decode_entry(
    path: &Path,
    key: &str,
    entry: &Json,
) -> Result<(Option<Credentials>, Option<Secret>), CredentialError> {
    let invalid = |reason: &str| CredentialError::EntryInvalid {
        path: path.to_owned(),
        key: key.to_owned(),
        reason: reason.to_owned(),
    };
    let entry = match entry {
        Json::Object(entry) => entry,
        Json::Null => return Ok((None, None)),
        _ => return Err(invalid("it is not a JSON object")),
    };
    let text = |name: &str| -> Result<Option<&str>, CredentialError> {
        match entry.field(name) {
            None | Some(Json::Null) => Ok(None),
            Some(Json::String(s)) if s.is_empty() => Ok(None),
            Some(Json::String(s)) => Ok(Some(s.as_str())),
            Some(_) => Err(invalid(&format!("`{name}` is not a string"))),
        }
    };

    let registry_token = text("registrytoken")?.map(Secret::from);
    let credentials = if let Some(token) = text("identitytoken")? {
        Some(Credentials::identity_token(token))
    } else if let Some(auth) = text("auth")? {
        let compact: String = auth.chars().filter(|c| !c.is_ascii_whitespace()).collect();
        let bytes = STANDARD_PAD_INDIFFERENT
            .decode(compact.as_bytes())
            .map_err(|_| invalid("`auth` is not valid base64"))?;
        let decoded = String::from_utf8(bytes)
            .map_err(|_| invalid("`auth` does not decode to UTF-8 text"))?;
        let Some((user, password)) = decoded.split_once(':') else {
            return Err(invalid(
                "`auth` does not decode to `user:password` (no `:`)",
            ));
        };
        if user.is_empty() {
            return Err(invalid("`auth` has an empty user name"));
        }
        // Docker trims NULs some tools leave at the end.
        Some(Credentials::new(user, password.trim_matches('\0')))
    } else if let Some(user) = text("username")? {
        Some(Credentials::new(
            user,
            text("password")?.unwrap_or_default(),
        ))
    } else {
        None
    };
    Ok((credentials, registry_token))
}

/// Removes the secret-holding fields of an entry; `true` if there were any.
fn strip_secrets(entry: &mut Object) -> bool {
    let doomed: Vec<String> = entry
        .keys()
        .filter(|k| SECRET_FIELDS.iter().any(|f| k.eq_ignore_ascii_case(f)))
        .map(str::to_owned)
        .collect();
    for key in &doomed {
        entry.remove(key);
    }
    !doomed.is_empty()
}

/// `auths` of a config file, created if absent or null.
fn auths_for_writing<'a>(
    path: &Path,
    doc: &'a mut Object,
) -> Result<&'a mut Object, CredentialError> {
    let key = doc.field_key("auths").unwrap_or("auths").to_owned();
    match doc.get(&key) {
        None | Some(Json::Null) => doc.insert(key.clone(), Json::Object(Object::default())),
        Some(Json::Object(_)) => {}
        Some(_) => {
            return Err(CredentialError::ConfigMalformed {
                path: path.to_owned(),
                reason: "`auths` is not a JSON object".into(),
            });
        }
    }
    match doc.get_mut(&key) {
        Some(Json::Object(auths)) => Ok(auths),
        _ => Err(CredentialError::ConfigMalformed {
            path: path.to_owned(),
            reason: "`auths` is not a JSON object".into(),
        }),
    }
}

fn validate_credentials(creds: &Credentials) -> Result<(), CredentialError> {
    let invalid = |reason: &str| {
        Err(CredentialError::InvalidCredentials {
            reason: reason.to_owned(),
        })
    };
    if creds.username.is_empty() {
        return invalid("the user name is empty");
    }
    if creds.username.contains(':') {
        return invalid("the user name contains `:`, which HTTP basic authentication cannot carry");
    }
    if creds.secret.is_empty() {
        return invalid("the password or token is empty");
    }
    Ok(())
}
