//! Recommended fixes: per package (per source package for distros), the upgrade that
//! clears the most critical and high findings.
//!
//! The candidates are the fixed versions of the package's findings. Each candidate is
//! checked against every finding's advisory (it clears the ones that no longer affect it,
//! so a fix on another branch is judged correctly), and the best is the one that clears
//! the most critical, then high, then any findings, the lowest version on a tie. Fixes are
//! listed by what they clear, critical first.

use std::cmp::Ordering;

use super::Severity;
use super::ecosystem::{NotCovered, Target};
use super::range;
use super::report::{RecommendedFix, SeverityCounts};
use super::scan::Match;
use super::version;
use crate::packages::Package;

pub(crate) fn recommend(
    packages: &[Package],
    per_package: &[Result<usize, NotCovered>],
    targets: &[Target],
    matches: &[Vec<Match>],
) -> Vec<RecommendedFix> {
    let mut out = Vec::new();
    for (ti, target) in targets.iter().enumerate() {
        let found = &matches[ti];
        if found.is_empty() {
            continue;
        }
        let scheme = target.scheme();
        let mut candidates: Vec<&str> = found.iter().filter_map(|m| m.fixed.as_deref()).collect();
        candidates.sort_unstable();
        candidates.dedup();
        let mut best: Option<(&str, Vec<&Match>)> = None;
        for candidate in candidates {
            let cleared: Vec<&Match> = found
                .iter()
                .filter(|m| {
                    m.entries()
                        .iter()
                        .all(|a| range::is_affected(a, candidate, scheme).is_ok_and(|hit| !hit))
                })
                .collect();
            let better = match &best {
                None => true,
                Some((best_version, best_cleared)) => {
                    match score(&cleared).cmp(&score(best_cleared)) {
                        Ordering::Greater => true,
                        Ordering::Less => false,
                        Ordering::Equal => {
                            scheme.and_then(|s| version::compare(s, candidate, best_version).ok())
                                == Some(Ordering::Less)
                        }
                    }
                }
            };
            if better {
                best = Some((candidate, cleared));
            }
        }
        let Some((target_version, mut cleared)) = best else {
            continue;
        };
        if cleared.is_empty() {
            continue;
        }
        cleared.sort_by(|a, b| {
            b.rated
                .severity
                .cmp(&a.rated.severity)
                .then_with(|| a.record.id.cmp(&b.record.id))
        });
        let mut clears = SeverityCounts::default();
        for m in &cleared {
            clears.add(m.rated.severity);
        }
        let mut names: Vec<String> = Vec::new();
        let mut kind = None;
        for (p, t) in packages.iter().zip(per_package) {
            if *t == Ok(ti) {
                kind.get_or_insert(p.kind);
                if !names.contains(&p.name) {
                    names.push(p.name.clone());
                }
            }
        }
        names.sort();
        let Some(kind) = kind else { continue };
        out.push(RecommendedFix {
            package: target.name.clone(),
            kind,
            ecosystem: target.ecosystem.clone(),
            installed_version: target.version.clone(),
            target_version: target_version.to_owned(),
            packages: names,
            clears,
            cleared_ids: cleared.iter().map(|m| m.record.id.clone()).collect(),
            remaining: found.len() - cleared.len(),
        });
    }
    out.sort_by(|a, b| {
        impact(&b.clears)
            .cmp(&impact(&a.clears))
            .then_with(|| a.package.cmp(&b.package))
    });
    out
}

/// What clearing these findings is worth: critical, then high, then the rest.
fn score(cleared: &[&Match]) -> (usize, usize, usize) {
    let count = |s: Severity| cleared.iter().filter(|m| m.rated.severity == s).count();
    (
        count(Severity::Critical),
        count(Severity::High),
        cleared.len(),
    )
}

fn impact(c: &SeverityCounts) -> (usize, usize, usize, usize, usize) {
    (c.critical, c.high, c.medium, c.low, c.total)
}
