use std::time::{Duration, SystemTime};

use crate::registry::RegistryError;

/// What went wrong talking to Docker Hub's web API. Messages say what happened and what
/// the person can do; [`HubError::code`] is the stable code the UI matches on.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HubError {
    #[error("Docker Hub is rate-limiting requests{}{}",
        limit.map(|l| format!(" (limit {l})")).unwrap_or_default(),
        rate_limit_when(*retry_after, *reset))]
    RateLimited {
        /// Requests allowed per window (`X-RateLimit-Limit`), if it said.
        limit: Option<u64>,
        /// How long to wait (`Retry-After` in seconds), if it said.
        retry_after: Option<Duration>,
        /// When the limit resets (`X-RateLimit-Reset`, or `Retry-After` as a date).
        reset: Option<SystemTime>,
    },
    #[error("Docker Hub is unavailable: {url} answered {status}; try again later")]
    Unavailable { status: u16, url: String },
    #[error("{what} was not found on Docker Hub")]
    NotFound { what: String },
    #[error(
        "Docker Hub refused access to {what} (it answered {status}); it may be private or not exist"
    )]
    Denied { what: String, status: u16 },
    #[error("cannot reach Docker Hub at {url}: {}", crate::web::failure(source))]
    Network {
        url: String,
        #[source]
        source: reqwest::Error,
    },
    #[error("Docker Hub sent {what} that is not valid JSON: {source}")]
    Parse {
        what: String,
        #[source]
        source: serde_json::Error,
    },
    #[error("Docker Hub sent {what} in a shape Porthole does not understand: {reason}")]
    Shape { what: String, reason: String },
    #[error("{what} from Docker Hub is larger than the {limit}-byte limit")]
    TooLarge { what: String, limit: u64 },
    #[error("Docker Hub's next-page link {url} leads away from {origin}; it was not followed")]
    ForeignLink { url: String, origin: String },
    #[error(
        "`{input}` is not a Docker Hub repository: {reason} (expected e.g. nginx or bitnami/redis)"
    )]
    InvalidRepository { input: String, reason: String },
    #[error(
        "the Docker Hub URL `{url}` is not usable: {reason} (set $PORTHOLE_HUB_URL or `hubUrl` to e.g. https://hub.docker.com)"
    )]
    BadBaseUrl { url: String, reason: String },
    #[error(transparent)]
    Registry(#[from] RegistryError),
    #[error("cancelled")]
    Cancelled,
}

fn rate_limit_when(retry_after: Option<Duration>, reset: Option<SystemTime>) -> String {
    match (retry_after, reset) {
        (Some(d), _) => format!("; try again in {}s", d.as_secs().max(1)),
        (None, Some(t)) => format!("; it resets at {}", httpdate::fmt_http_date(t)),
        (None, None) => "; try again later".to_owned(),
    }
}

impl HubError {
    /// The error's code across IPC: `network`, `auth`, `notFound`, `rateLimited`,
    /// `cancelled`, `invalidInput` or `internal`.
    pub fn code(&self) -> &'static str {
        match self {
            HubError::RateLimited { .. } => "rateLimited",
            HubError::Unavailable { .. } | HubError::Network { .. } => "network",
            HubError::NotFound { .. } => "notFound",
            HubError::Denied { .. } => "auth",
            HubError::InvalidRepository { .. } | HubError::BadBaseUrl { .. } => "invalidInput",
            HubError::Cancelled => "cancelled",
            HubError::Registry(e) => match e {
                RegistryError::Cancelled => "cancelled",
                RegistryError::RateLimited { .. } => "rateLimited",
                RegistryError::NotFound { .. } => "notFound",
                RegistryError::AuthRequired { .. }
                | RegistryError::CredentialsRefused { .. }
                | RegistryError::Denied { .. } => "auth",
                RegistryError::Connect { .. }
                | RegistryError::Body { .. }
                | RegistryError::Stalled { .. }
                | RegistryError::Status { .. } => "network",
                _ => "internal",
            },
            HubError::Parse { .. }
            | HubError::Shape { .. }
            | HubError::TooLarge { .. }
            | HubError::ForeignLink { .. } => "internal",
        }
    }

    /// Whether search should try the older v2 route after the v3 one failed this way:
    /// v3 missing, broken or unreadable, but not rate limits, network failures or a
    /// cancelled query.
    pub(crate) fn allows_fallback(&self) -> bool {
        matches!(
            self,
            HubError::NotFound { .. }
                | HubError::Unavailable { .. }
                | HubError::Parse { .. }
                | HubError::Shape { .. }
                | HubError::TooLarge { .. }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_limit_message_names_limit_and_wait() {
        let e = HubError::RateLimited {
            limit: Some(180),
            retry_after: Some(Duration::from_secs(42)),
            reset: None,
        };
        assert_eq!(
            e.to_string(),
            "Docker Hub is rate-limiting requests (limit 180); try again in 42s"
        );
        let e = HubError::RateLimited {
            limit: None,
            retry_after: None,
            reset: Some(SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000)),
        };
        assert!(e.to_string().contains("resets at Tue, 14 Nov 2023"), "{e}");
        assert_eq!(e.code(), "rateLimited");
    }
}
