use std::time::Duration;

use crate::Digest;
use crate::registry::credentials::CredentialError;

/// What went wrong talking to a registry. Every message names the registry and, where
/// there is one, the repository, and says what the person can do.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RegistryError {
    #[error("cannot reach registry {registry}: {}", connect_failure(source))]
    Connect {
        registry: String,
        #[source]
        source: reqwest::Error,
    },
    #[error(
        "the connection to registry {registry} broke while reading {what}: {}",
        crate::web::failure(source)
    )]
    Body {
        registry: String,
        what: String,
        #[source]
        source: reqwest::Error,
    },
    #[error(
        "the connection to registry {registry} stalled while reading {what}: nothing arrived for {}s",
        timeout.as_secs_f32()
    )]
    Stalled {
        registry: String,
        what: String,
        timeout: Duration,
    },
    #[error(
        "registry {registry} refused the credentials for {repository}: check them with `porthole login {registry}`"
    )]
    CredentialsRefused {
        registry: String,
        repository: String,
    },
    #[error(
        "registry {registry} requires you to sign in to pull {repository}: run `porthole login {registry}`"
    )]
    AuthRequired {
        registry: String,
        repository: String,
    },
    #[error(
        "registry {registry} denied access to {repository} (it may not exist, or your account may lack access)"
    )]
    Denied {
        registry: String,
        repository: String,
    },
    #[error(
        "registry {registry} denied push access to {repository}: the account you are signed in \
         with may pull but not push there (sign in as another with `porthole login {registry}`)"
    )]
    PushDenied {
        registry: String,
        repository: String,
    },
    #[error(
        "registry {registry} requires you to sign in to push to {repository}: run `porthole login {registry}`"
    )]
    PushAuthRequired {
        registry: String,
        repository: String,
    },
    #[error(
        "registry {registry} rejected {what}: {status}{}",
        detail_of(code, message)
    )]
    Rejected {
        registry: String,
        what: String,
        status: u16,
        /// The distribution error code (`DIGEST_INVALID`, `MANIFEST_BLOB_UNKNOWN`, …), if sent.
        code: Option<String>,
        message: Option<String>,
    },
    #[error("{what} was not found on registry {registry}")]
    NotFound { registry: String, what: String },
    #[error("registry {registry} is rate-limiting requests{}{}",
        limit.as_ref().map(|l| format!(" (limit {l})")).unwrap_or_default(),
        retry_after.map(|d| format!("; try again in {}s", d.as_secs().max(1))).unwrap_or_default())]
    RateLimited {
        registry: String,
        limit: Option<String>,
        retry_after: Option<Duration>,
    },
    #[error("registry {registry} answered {status} for {url}")]
    Status {
        registry: String,
        status: u16,
        url: String,
    },
    #[error("the token service {realm} for registry {registry} failed: {reason}")]
    Token {
        registry: String,
        realm: String,
        reason: String,
    },
    #[error("registry {registry} sent an authentication challenge we cannot use: {challenge}")]
    BadChallenge { registry: String, challenge: String },
    #[error("{what} from registry {registry} is {size} bytes, over the {limit}-byte limit")]
    TooLarge {
        registry: String,
        what: String,
        size: u64,
        limit: u64,
    },
    #[error(
        "{what} from registry {registry} does not match its digest: expected {expected}, got {found}"
    )]
    DigestMismatch {
        registry: String,
        what: String,
        expected: Digest,
        found: Digest,
    },
    #[error(
        "{what} from registry {registry} has {found} bytes, but its descriptor says {expected}"
    )]
    SizeMismatch {
        registry: String,
        what: String,
        expected: u64,
        found: u64,
    },
    #[error(
        "registry {registry} served {what} as `{media_type}`, which Porthole cannot pull{hint}"
    )]
    UnsupportedMediaType {
        registry: String,
        what: String,
        media_type: String,
        hint: &'static str,
    },
    #[error("{what} from registry {registry} is not a valid manifest: {reason}")]
    InvalidManifest {
        registry: String,
        what: String,
        reason: String,
    },
    #[error("{reference} has no image for {wanted}; it has: {}", available.join(", "))]
    NoMatchingPlatform {
        reference: String,
        wanted: String,
        available: Vec<String>,
    },
    #[error("registry {registry} redirected more than {limit} times for {url}")]
    TooManyRedirects {
        registry: String,
        url: String,
        limit: usize,
    },
    #[error("registry {registry} sent a bad redirect for {url}: {reason}")]
    BadRedirect {
        registry: String,
        url: String,
        reason: String,
    },
    #[error("cannot set up TLS for registry {registry}: {reason}")]
    Tls { registry: String, reason: String },
    #[error(transparent)]
    Credentials(#[from] CredentialError),
    #[error("cancelled")]
    Cancelled,
}

impl RegistryError {
    /// The host could not be connected to at all: refused, unresolvable, or timed out
    /// while connecting (as opposed to a connection that broke later).
    pub fn is_unreachable(&self) -> bool {
        matches!(self, RegistryError::Connect { source, .. } if source.is_connect())
    }

    /// Errors that a retry (after a pause) may cure.
    pub fn is_transient(&self) -> bool {
        match self {
            RegistryError::Connect { .. }
            | RegistryError::Body { .. }
            | RegistryError::Stalled { .. } => true,
            RegistryError::RateLimited { .. } => true,
            RegistryError::Status { status, .. } => matches!(status, 500 | 502 | 503 | 504),
            _ => false,
        }
    }
}

/// ` (CODE: message)` from a registry's error body, or nothing.
fn detail_of(code: &Option<String>, message: &Option<String>) -> String {
    match (code, message) {
        (Some(c), Some(m)) => format!(" ({c}: {m})"),
        (Some(c), None) => format!(" ({c})"),
        (None, Some(m)) => format!(" ({m})"),
        (None, None) => String::new(),
    }
}

/// Why a registry cannot be reached, with what to do when its certificate is the problem.
fn connect_failure(source: &reqwest::Error) -> String {
    let failure = crate::web::failure(source);
    if failure.starts_with(crate::web::TLS_FAILED) {
        format!(
            "{failure} (if the registry's certificate comes from its own CA, add that CA's \
             certificate as the registry's CA file in Settings, or as `caFile` in the config file)"
        )
    } else {
        failure
    }
}
