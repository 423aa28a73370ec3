//! "Is a newer image of this repository better?": Docker Scout's base-image advice, from
//! what Porthole knows without asking anyone: the other images of the same repository in
//! the store that were built later, scanned the same way.

use serde::Serialize;

use super::report::{ScanReport, SeverityCounts};
use crate::Digest;
use crate::store::{ImageSummary, Store, StoreError};

/// A newer image of the scanned image's repository, and how its findings compare.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NewerImage {
    /// `docker.io/library/debian:12.6`; `None` for an untagged image (known by digest).
    pub reference: Option<String>,
    pub digest: Digest,
    /// Its config's `created`.
    pub created: Option<String>,
    pub counts: SeverityCounts,
    /// Its critical and high findings minus the scanned image's: negative when it has
    /// fewer.
    pub critical_high_change: i64,
}

impl NewerImage {
    /// How `newer` (scanned as `report`) compares with the image scanned as `base`.
    pub fn compare(newer: &ImageSummary, report: &ScanReport, base: &ScanReport) -> NewerImage {
        let serious = |c: &SeverityCounts| (c.critical + c.high) as i64;
        NewerImage {
            reference: newer.reference.clone(),
            digest: newer.digest.clone(),
            created: newer.created.clone(),
            counts: report.counts,
            critical_high_change: serious(&report.counts) - serious(&base.counts),
        }
    }
}

/// The images of `image`'s repository in `store` created after it, newest first (at most
/// `limit`). An image without a repository or a creation time has none.
pub fn newer_images(
    store: &Store,
    image: &ImageSummary,
    limit: usize,
) -> Result<Vec<ImageSummary>, StoreError> {
    let (Some(repository), Some(created)) = (&image.repository, &image.created) else {
        return Ok(Vec::new());
    };
    let Some(since) = seconds(created) else {
        return Ok(Vec::new());
    };
    let mut newer: Vec<(i64, ImageSummary)> = store
        .images()?
        .into_iter()
        .filter(|i| i.repository.as_ref() == Some(repository) && i.digest != image.digest)
        .filter(|i| i.problem.is_none())
        .filter_map(|i| Some((seconds(i.created.as_deref()?)?, i)))
        .filter(|(t, _)| *t > since)
        .collect();
    newer.sort_by_key(|(t, _)| std::cmp::Reverse(*t));
    newer.dedup_by(|a, b| a.1.digest == b.1.digest);
    Ok(newer.into_iter().take(limit).map(|(_, i)| i).collect())
}

/// Seconds since the epoch of an RFC 3339 time (`2024-05-01T12:00:00.123+02:00`).
fn seconds(text: &str) -> Option<i64> {
    super::time::seconds(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_times_are_read_with_their_offsets() {
        assert_eq!(seconds("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(seconds("2024-05-01T12:00:00Z"), Some(1_714_564_800));
        assert_eq!(
            seconds("2024-05-01T14:00:00.123456789+02:00"),
            Some(1_714_564_800)
        );
        assert_eq!(seconds("2024-05-01T11:30:00-00:30"), Some(1_714_564_800));
        assert_eq!(seconds("yesterday"), None);
        assert_eq!(seconds("2024-13-01T00:00:00Z"), None);
    }
}
