//! Placeholder until this ordering lands.

use std::cmp::Ordering;

use super::{VersionError, VersionScheme};

pub(super) fn compare(_a: &str, _b: &str) -> Result<Ordering, VersionError> {
    Err(VersionError::Unsupported {
        scheme: VersionScheme::Pep440,
    })
}
