//! Whether a version is affected by an advisory's `affected` entry, by the OSV schema's
//! evaluation algorithm (<https://ossf.github.io/osv-schema/#evaluation>):
//!
//! - a version named in `versions` is affected;
//! - for each `ECOSYSTEM` or `SEMVER` range, the events are sorted by the version ordering
//!   (`introduced: "0"` first), and walked: at or past an `introduced` the version is
//!   affected, at or past a `fixed` (or past a `last_affected`) it is not; a version at or
//!   past every `limit` is outside the range (`limit: "*"` is no limit);
//! - the version is affected when any range says so. `GIT` ranges (commits) and ranges of
//!   unknown type are ignored.
//!
//! `ECOSYSTEM` ranges are ordered by the ecosystem's scheme, `SEMVER` ranges by SemVer.

use std::cmp::Ordering;

use super::osv::{Affected, Event, Range, RangeType};
use super::version::{self, VersionError, VersionScheme};

/// Why a range could not be evaluated.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RangeError {
    #[error("Porthole has no version ordering for the {ecosystem} ecosystem")]
    NoScheme { ecosystem: String },
    #[error(transparent)]
    Version(#[from] VersionError),
}

/// Whether `version` is affected by `affected`. `scheme` orders the `ECOSYSTEM` ranges
/// (`None` when Porthole has no ordering for the ecosystem: then only `versions` and
/// `SEMVER` ranges can be evaluated).
///
/// A range that cannot be evaluated is an error only when no other part says "affected".
pub fn is_affected(
    affected: &Affected,
    version: &str,
    scheme: Option<VersionScheme>,
) -> Result<bool, RangeError> {
    if affected.versions.iter().any(|v| v == version) {
        return Ok(true);
    }
    let mut error = None;
    for range in &affected.ranges {
        match range_includes(range, version, scheme, &affected.package.ecosystem) {
            Ok(true) => return Ok(true),
            Ok(false) => {}
            Err(e) => error = error.or(Some(e)),
        }
    }
    match error {
        Some(e) => Err(e),
        None => Ok(false),
    }
}

/// The scheme a range is ordered by, if Porthole has it.
fn range_scheme(
    range: &Range,
    scheme: Option<VersionScheme>,
    ecosystem: &str,
) -> Result<Option<VersionScheme>, RangeError> {
    match range.kind {
        RangeType::Semver => Ok(Some(VersionScheme::Semver)),
        RangeType::Ecosystem => scheme.map(Some).ok_or_else(|| RangeError::NoScheme {
            ecosystem: ecosystem.to_owned(),
        }),
        RangeType::Git | RangeType::Unknown => Ok(None),
    }
}

/// Whether one range includes `version`.
pub fn range_includes(
    range: &Range,
    version: &str,
    scheme: Option<VersionScheme>,
    ecosystem: &str,
) -> Result<bool, RangeError> {
    let Some(scheme) = range_scheme(range, scheme, ecosystem)? else {
        return Ok(false);
    };
    let cmp = |a: &str, b: &str| -> Result<Ordering, VersionError> {
        match (a == "0", b == "0") {
            (true, true) => Ok(Ordering::Equal),
            (true, false) => Ok(Ordering::Less),
            (false, true) => Ok(Ordering::Greater),
            (false, false) => version::compare(scheme, a, b),
        }
    };

    let mut points: Vec<(&str, Kind)> = Vec::with_capacity(range.events.len());
    let mut limits: Vec<&str> = Vec::new();
    for event in &range.events {
        match event_kind(event) {
            Some((v, Kind::Limit)) => limits.push(v),
            Some(point) => points.push(point),
            None => {}
        }
    }
    if !limits.is_empty() && !limits.contains(&"*") {
        let mut below_a_limit = false;
        for limit in limits {
            if cmp(version, limit)? == Ordering::Less {
                below_a_limit = true;
                break;
            }
        }
        if !below_a_limit {
            return Ok(false);
        }
    }

    sort_events(&mut points, &cmp)?;
    let mut vulnerable = false;
    for (v, kind) in points {
        match kind {
            Kind::Introduced => {
                if cmp(version, v)? != Ordering::Less {
                    vulnerable = true;
                }
            }
            Kind::Fixed => {
                if cmp(version, v)? != Ordering::Less {
                    vulnerable = false;
                }
            }
            Kind::LastAffected => {
                if cmp(version, v)? == Ordering::Greater {
                    vulnerable = false;
                }
            }
            Kind::Limit => {}
        }
    }
    Ok(vulnerable)
}

/// The lowest version above `version` that one of the `entries`' `fixed` events names and
/// that the entries no longer affect: what to upgrade to. `None` when nothing is fixed
/// above it (or nothing could be compared).
pub fn lowest_fix_above(
    entries: &[&Affected],
    version: &str,
    scheme: Option<VersionScheme>,
) -> Option<String> {
    let mut best: Option<(&str, VersionScheme)> = None;
    for affected in entries {
        for range in &affected.ranges {
            let Ok(Some(range_scheme)) = range_scheme(range, scheme, &affected.package.ecosystem)
            else {
                continue;
            };
            for fixed in range.events.iter().filter_map(|e| e.fixed.as_deref()) {
                if fixed == "0"
                    || version::compare(range_scheme, fixed, version).ok()
                        != Some(Ordering::Greater)
                {
                    continue;
                }
                if let Some((b, _)) = best
                    && version::compare(range_scheme, fixed, b).ok() != Some(Ordering::Less)
                {
                    continue;
                }
                let still_affected = entries
                    .iter()
                    .any(|a| is_affected(a, fixed, scheme).unwrap_or(false));
                if !still_affected {
                    best = Some((fixed, range_scheme));
                }
            }
        }
    }
    best.map(|(v, _)| v.to_owned())
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Introduced,
    Fixed,
    LastAffected,
    Limit,
}

fn event_kind(event: &Event) -> Option<(&str, Kind)> {
    if let Some(v) = event.introduced.as_deref() {
        Some((v, Kind::Introduced))
    } else if let Some(v) = event.fixed.as_deref() {
        Some((v, Kind::Fixed))
    } else if let Some(v) = event.last_affected.as_deref() {
        Some((v, Kind::LastAffected))
    } else {
        event.limit.as_deref().map(|v| (v, Kind::Limit))
    }
}

/// A stable insertion sort that stops at the first version that cannot be compared (the
/// standard sorts cannot report a comparator's error). Ranges hold a handful of events.
fn sort_events(
    points: &mut [(&str, Kind)],
    cmp: &impl Fn(&str, &str) -> Result<Ordering, VersionError>,
) -> Result<(), VersionError> {
    for i in 1..points.len() {
        let mut j = i;
        while j > 0 && cmp(points[j - 1].0, points[j].0)? == Ordering::Greater {
            points.swap(j - 1, j);
            j -= 1;
        }
    }
    Ok(())
}
