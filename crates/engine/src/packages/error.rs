//! Why a package database or manifest could not be read.

use std::io;

/// A file a detector wanted but could not read. Damage inside an otherwise readable file
/// (one corrupt rpm header among hundreds) is skipped rather than reported.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PackageError {
    /// The bytes are not in the format the path promised, or are cut short.
    #[error("{path}: not a valid {format}: {reason}")]
    Malformed {
        path: String,
        format: &'static str,
        reason: String,
    },
    /// A real variant of the format that we do not read (a Berkeley DB btree, say).
    #[error("{path}: {format} is not supported: {reason}")]
    Unsupported {
        path: String,
        format: &'static str,
        reason: String,
    },
    #[error("{path}: invalid JSON")]
    Json {
        path: String,
        #[source]
        source: serde_json::Error,
    },
    #[error("{path}: cannot read the rpm SQLite database")]
    Sqlite {
        path: String,
        #[source]
        source: rusqlite::Error,
    },
    #[error("{path}: cannot read the Java archive")]
    Zip {
        path: String,
        #[source]
        source: zip::result::ZipError,
    },
    #[error("cannot read {path}")]
    Io {
        path: String,
        #[source]
        source: io::Error,
    },
}

impl PackageError {
    pub(crate) fn malformed(path: &str, format: &'static str, reason: impl Into<String>) -> Self {
        PackageError::Malformed {
            path: path.to_owned(),
            format,
            reason: reason.into(),
        }
    }

    pub(crate) fn unsupported(path: &str, format: &'static str, reason: impl Into<String>) -> Self {
        PackageError::Unsupported {
            path: path.to_owned(),
            format,
            reason: reason.into(),
        }
    }

    pub(crate) fn json(path: &str, source: serde_json::Error) -> Self {
        PackageError::Json {
            path: path.to_owned(),
            source,
        }
    }
}
