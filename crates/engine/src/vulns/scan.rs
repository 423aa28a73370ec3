//! [`scan`]: the packages of an image against OSV advisories, in one pass.
//!
//! 1. Each package gets its [`Target`] (ecosystem, name, version); packages sharing one
//!    (the binary packages of a Debian source package) are looked up and evaluated once.
//! 2. The [`Source`] gives the candidate records of every target in one go (one batched API
//!    exchange, or one indexed query per target on one database connection).
//! 3. Each candidate's matching `affected` entries are evaluated ([`range::is_affected`]);
//!    withdrawn records are ignored. Online, a record the API reported but whose ranges
//!    Porthole cannot order is trusted; offline it is named in the warnings.
//! 4. Findings are rated ([`rating`]), deduplicated (one per advisory and package), sorted
//!    most severe first, counted, and turned into recommended fixes (`fixes`).

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use super::VulnError;
use super::ecosystem::{self, NotCovered, Target};
use super::fixes;
use super::osv::{Affected, Vulnerability};
use super::range;
use super::rating::{self, Rated};
use super::report::{Finding, ScanReport, SeverityCounts, UncoveredPackage};
use super::source::{Source, SourceMode};
use crate::config::Config;
use crate::packages::{OsRelease, Package};

/// How [`scan`] runs.
#[derive(Clone, Debug, Default)]
pub struct ScanOptions {
    pub cancel: CancellationToken,
}

/// An advisory that affects a target's version.
pub(crate) struct Match {
    pub record: Arc<Vulnerability>,
    /// Indices of the record's `affected` entries that name the target.
    pub entries: Vec<usize>,
    pub fixed: Option<String>,
    pub rated: Rated,
}

impl Match {
    pub(crate) fn entries(&self) -> Vec<&Affected> {
        self.entries
            .iter()
            .map(|&i| &self.record.affected[i])
            .collect()
    }
}

/// Checks `packages` (of an image whose OS is `os`) against the advisories of `source`.
pub async fn scan(
    packages: &[Package],
    os: Option<&OsRelease>,
    source: &Source,
    options: &ScanOptions,
) -> Result<ScanReport, VulnError> {
    // 1. Targets, shared between packages.
    let mut targets: Vec<Target> = Vec::new();
    let mut index: HashMap<Target, usize> = HashMap::new();
    let per_package: Vec<Result<usize, NotCovered>> = packages
        .iter()
        .map(|p| {
            ecosystem::target(p, os).map(|t| {
                *index.entry(t).or_insert_with_key(|t| {
                    targets.push(t.clone());
                    targets.len() - 1
                })
            })
        })
        .collect();

    // 2. Candidates.
    let candidates = source.candidates(&targets, &options.cancel).await?;
    let mut warnings = candidates.warnings.clone();

    // 3. Evaluation, once per target.
    let mut unevaluated: BTreeMap<String, (usize, String)> = BTreeMap::new();
    let matches: Vec<Vec<Match>> = targets
        .iter()
        .enumerate()
        .map(|(i, target)| {
            evaluate(
                target,
                &candidates.records[i],
                &candidates.reported[i],
                &mut unevaluated,
            )
        })
        .collect();
    for (ecosystem, (count, error)) in unevaluated {
        warnings.push(format!(
            "{count} advisories of {ecosystem} could not be evaluated ({error}); \
             their findings may be missing"
        ));
    }

    // 4. Findings, one per advisory and package.
    let mut findings: Vec<Finding> = Vec::new();
    let mut seen: HashMap<(String, String, String, String), usize> = HashMap::new();
    let mut not_covered = Vec::new();
    let mut covered = 0;
    for (package, target) in packages.iter().zip(&per_package) {
        let target_index = match target {
            Ok(i) if !candidates.uncovered[*i] => *i,
            Ok(i) => {
                not_covered.push(uncovered(
                    package,
                    Some(&targets[*i]),
                    NotCovered::NotImported,
                ));
                continue;
            }
            Err(reason) => {
                not_covered.push(uncovered(package, None, *reason));
                continue;
            }
        };
        covered += 1;
        let target = &targets[target_index];
        for m in &matches[target_index] {
            let key = (
                m.record.id.clone(),
                package.kind.as_str().to_owned(),
                package.name.clone(),
                package.version.clone(),
            );
            let finding = finding(package, target, m);
            match seen.get(&key) {
                Some(&at) => {
                    // The same package found twice: keep the copy of the lowest layer.
                    let earlier = findings[at].layer.unwrap_or(usize::MAX);
                    if finding.layer.unwrap_or(usize::MAX) < earlier {
                        findings[at] = finding;
                    }
                }
                None => {
                    seen.insert(key, findings.len());
                    findings.push(finding);
                }
            }
        }
    }
    findings.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then(
                b.cvss_score
                    .unwrap_or(-1.0)
                    .total_cmp(&a.cvss_score.unwrap_or(-1.0)),
            )
            .then_with(|| a.package.cmp(&b.package))
            .then_with(|| a.id.cmp(&b.id))
            .then_with(|| a.version.cmp(&b.version))
    });
    let mut counts = SeverityCounts::default();
    for f in &findings {
        counts.add(f.severity);
    }
    let recommended_fixes = fixes::recommend(packages, &per_package, &targets, &matches);

    Ok(ScanReport {
        source: candidates.info,
        packages_scanned: packages.len(),
        packages_covered: covered,
        counts,
        findings,
        not_covered,
        recommended_fixes,
        warnings,
        newer_images: Vec::new(),
    })
}

/// Scans with the source the config and store give ([`Source::from_config`]): the one call
/// for "check these packages".
pub async fn scan_with_config(
    packages: &[Package],
    os: Option<&OsRelease>,
    config: &Config,
    store_root: &Path,
    mode: SourceMode,
    options: &ScanOptions,
) -> Result<ScanReport, VulnError> {
    let source = Source::from_config(config, store_root, mode)?;
    scan(packages, os, &source, options).await
}

fn evaluate(
    target: &Target,
    records: &[Arc<Vulnerability>],
    reported: &std::collections::BTreeSet<String>,
    unevaluated: &mut BTreeMap<String, (usize, String)>,
) -> Vec<Match> {
    let scheme = target.scheme();
    let mut out: Vec<Match> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for record in records {
        if record.is_withdrawn() || !seen.insert(record.id.as_str()) {
            continue;
        }
        let entries: Vec<usize> = record
            .affected
            .iter()
            .enumerate()
            .filter(|(_, a)| target.matches(&a.package.ecosystem, &a.package.name))
            .map(|(i, _)| i)
            .collect();
        if entries.is_empty() {
            continue;
        }
        let mut affected = false;
        let mut error = None;
        for &i in &entries {
            match range::is_affected(&record.affected[i], &target.version, scheme) {
                Ok(true) => {
                    affected = true;
                    break;
                }
                Ok(false) => {}
                Err(e) => error = Some(e),
            }
        }
        if !affected && let Some(e) = error {
            if reported.contains(&record.id) {
                // Online: OSV.dev said it affects this version; believe it.
                affected = true;
            } else {
                let slot = unevaluated
                    .entry(target.ecosystem.clone())
                    .or_insert((0, e.to_string()));
                slot.0 += 1;
            }
        }
        if !affected {
            continue;
        }
        let refs: Vec<&Affected> = entries.iter().map(|&i| &record.affected[i]).collect();
        let fixed = range::lowest_fix_above(&refs, &target.version, scheme);
        let rated = rating::rate(record, &refs);
        out.push(Match {
            record: record.clone(),
            entries,
            fixed,
            rated,
        });
    }
    out
}

fn finding(package: &Package, target: &Target, m: &Match) -> Finding {
    let record = &m.record;
    let mut aliases: Vec<String> = Vec::new();
    for a in record.aliases.iter().chain(&record.upstream) {
        if a != &record.id && !aliases.contains(a) {
            aliases.push(a.clone());
        }
    }
    aliases.sort_by_key(|a| !a.starts_with("CVE-"));
    let summary = record
        .summary
        .clone()
        .filter(|s| !s.trim().is_empty())
        .or_else(|| {
            let details = record.details.as_deref()?.trim();
            let line = details.lines().next()?.trim();
            (!line.is_empty()).then(|| line.chars().take(200).collect())
        });
    Finding {
        id: record.id.clone(),
        aliases,
        summary,
        severity: m.rated.severity,
        severity_source: m.rated.source,
        cvss_score: m.rated.cvss_score,
        cvss_vector: m.rated.cvss_vector.clone(),
        package: package.name.clone(),
        version: package.version.clone(),
        kind: package.kind,
        purl: package.purl.clone(),
        ecosystem: target.ecosystem.clone(),
        matched_name: (target.name != package.name).then(|| target.name.clone()),
        fixed_version: m.fixed.clone(),
        layer: package.layer,
        layer_digest: package.layer_digest.clone(),
        url: record.osv_url(),
    }
}

fn uncovered(package: &Package, target: Option<&Target>, reason: NotCovered) -> UncoveredPackage {
    UncoveredPackage {
        package: package.name.clone(),
        version: package.version.clone(),
        kind: package.kind,
        purl: package.purl.clone(),
        ecosystem: target.map(|t| t.ecosystem.clone()),
        reason,
        message: reason.describe().to_owned(),
    }
}

/// Does not run: it compiles only while the scan future is `Send` for the lifetimes a
/// spawned task gives it (the app awaits scans in async commands).
#[cfg(test)]
#[allow(dead_code)]
fn scan_can_be_spawned(
    packages: Vec<Package>,
    os: Option<OsRelease>,
    config: Config,
    root: std::path::PathBuf,
) -> tokio::task::JoinHandle<Result<ScanReport, VulnError>> {
    tokio::spawn(async move {
        scan_with_config(
            &packages,
            os.as_ref(),
            &config,
            &root,
            SourceMode::Auto,
            &ScanOptions::default(),
        )
        .await
    })
}
