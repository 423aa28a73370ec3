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
    let t = text.trim();
    let (date, rest) = t.split_once(['T', 't', ' '])?;
    let mut d = date.split('-');
    let (y, m, day): (i64, i64, i64) = (
        d.next()?.parse().ok()?,
        d.next()?.parse().ok()?,
        d.next()?.parse().ok()?,
    );
    let hms = rest.get(..8)?;
    let mut h = hms.split(':');
    let (hh, mm, ss): (i64, i64, i64) = (
        h.next()?.parse().ok()?,
        h.next()?.parse().ok()?,
        h.next()?.parse().ok()?,
    );
    let zone = rest[8..].trim_start_matches(|c: char| c == '.' || c.is_ascii_digit());
    let offset = match zone {
        "Z" | "z" | "" => 0,
        z => {
            let sign = if z.starts_with('-') { -1 } else { 1 };
            let (zh, zm) = z.get(1..)?.split_once(':')?;
            sign * (zh.parse::<i64>().ok()? * 3600 + zm.parse::<i64>().ok()? * 60)
        }
    };
    if !(1..=12).contains(&m) || !(1..=31).contains(&day) {
        return None;
    }
    // Days from the civil date (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + hh * 3600 + mm * 60 + ss - offset)
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
