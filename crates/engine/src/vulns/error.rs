//! [`VulnError`]: what can go wrong fetching advisories or keeping the offline database.

use std::path::PathBuf;
use std::time::Duration;

/// What went wrong. Messages say what happened, to what, and what the person can do;
/// [`VulnError::code`] is the stable code the UI matches on.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VulnError {
    #[error(
        "cannot reach {url}: {} (check the network, or set {setting} to another server)",
        crate::web::failure(source)
    )]
    Network {
        url: String,
        /// The setting that names this server (`osvApiUrl` / `$PORTHOLE_OSV_API_URL`, …).
        setting: &'static str,
        #[source]
        source: reqwest::Error,
    },
    #[error("{url} is rate-limiting requests{}", retry_hint(*retry_after))]
    RateLimited {
        url: String,
        retry_after: Option<Duration>,
    },
    #[error("{url} answered {status}: the server is unavailable; try again later")]
    Unavailable { url: String, status: u16 },
    #[error("{url} answered {status}{}", if detail.is_empty() { String::new() } else { format!(": {detail}") })]
    Status {
        url: String,
        status: u16,
        detail: String,
    },
    #[error("{url} sent a response that is not valid OSV JSON: {source}")]
    Parse {
        url: String,
        #[source]
        source: serde_json::Error,
    },
    #[error("{url} sent more than {limit} bytes; refusing to read further")]
    TooLarge { url: String, limit: u64 },
    #[error("the OSV URL `{url}` is not usable: {reason} (set {setting} to e.g. {example})")]
    BadUrl {
        url: String,
        reason: String,
        setting: &'static str,
        example: &'static str,
    },
    #[error(
        "the download of {url} is not a readable zip archive (truncated or damaged?): {source}; \
         the offline database was left as it was"
    )]
    BadArchive {
        url: String,
        #[source]
        source: zip::result::ZipError,
    },
    #[error("could not {action} `{}`: {source}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "the offline vulnerability database `{}` could not be used: {source} \
         (run `porthole vulndb update` to rebuild it)",
        path.display()
    )]
    Db {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    #[error(
        "there is no offline vulnerability database at `{}`: run `porthole vulndb update` first",
        path.display()
    )]
    NotImported { path: PathBuf },
    #[error(
        "the offline vulnerability database `{}` was written by another version of Porthole \
         (schema {found}, expected {expected}); run `porthole vulndb update` to rebuild it",
        path.display()
    )]
    SchemaMismatch {
        path: PathBuf,
        found: i64,
        expected: i64,
    },
    #[error(
        "`{name}` is not an OSV ecosystem Porthole can download (known: {})",
        known.join(", ")
    )]
    UnknownEcosystem { name: String, known: Vec<String> },
    #[error(
        "no ecosystems to update: the offline database has none yet; name them \
         (e.g. `porthole vulndb update Debian PyPI`)"
    )]
    NothingToUpdate,
    #[error("cancelled")]
    Cancelled,
}

fn retry_hint(retry_after: Option<Duration>) -> String {
    match retry_after {
        Some(d) => format!("; try again in {}s", d.as_secs().max(1)),
        None => "; try again later".to_owned(),
    }
}

impl VulnError {
    /// The error's code across IPC: `network`, `rateLimited`, `notFound`, `invalidInput`,
    /// `cancelled` or `internal`.
    pub fn code(&self) -> &'static str {
        match self {
            VulnError::Network { .. }
            | VulnError::Unavailable { .. }
            | VulnError::Parse { .. }
            | VulnError::TooLarge { .. }
            | VulnError::BadArchive { .. } => "network",
            VulnError::Status { status: 404, .. } => "notFound",
            VulnError::Status { .. } => "network",
            VulnError::RateLimited { .. } => "rateLimited",
            VulnError::NotImported { .. } => "notFound",
            VulnError::BadUrl { .. }
            | VulnError::UnknownEcosystem { .. }
            | VulnError::NothingToUpdate => "invalidInput",
            VulnError::Cancelled => "cancelled",
            VulnError::Io { .. } | VulnError::Db { .. } | VulnError::SchemaMismatch { .. } => {
                "internal"
            }
        }
    }

    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(std::io::Error) -> VulnError {
        let path = path.into();
        move |source| VulnError::Io {
            action,
            path,
            source,
        }
    }

    pub(crate) fn db(path: impl Into<PathBuf>) -> impl FnOnce(rusqlite::Error) -> VulnError {
        let path = path.into();
        move |source| VulnError::Db { path, source }
    }
}
