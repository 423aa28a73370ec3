//! [`Source`]: where a scan's advisories come from, the OSV API or the offline database.
//! Both give the candidate records for each [`Target`]; the scan then evaluates them the
//! same way, so the same data gives the same findings.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use super::VulnError;
use super::api::{OsvApi, PackageQuery, RecordCache};
use super::db::VulnDb;
use super::ecosystem::Target;
use super::osv::Vulnerability;
use super::report::{SourceInfo, SourceKind};
use crate::config::Config;

/// Where advisories come from.
#[derive(Clone, Debug)]
pub enum Source {
    /// The OSV API (OSV.dev, or the server `osvApiUrl` names).
    Online(OsvApi),
    /// The offline database.
    Offline(VulnDb),
}

/// Which source [`Source::from_config`] picks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SourceMode {
    Online,
    Offline,
    /// The offline database when one has been imported, else the OSV API.
    #[default]
    Auto,
}

/// The candidates for each target, from one source.
pub(crate) struct Candidates {
    pub info: SourceInfo,
    /// Per target: the records filed under it (empty when none).
    pub records: Vec<Vec<Arc<Vulnerability>>>,
    /// Per target: whether the source has no data for it (an ecosystem not imported).
    pub uncovered: Vec<bool>,
    /// Per target (online only): the ids the API said affect the version.
    pub reported: Vec<BTreeSet<String>>,
    pub warnings: Vec<String>,
}

impl Source {
    /// The source `mode` asks for, configured by `config` (`osvApiUrl`) and the store at
    /// `store_root` (its `porthole-vulndb/`).
    pub fn from_config(
        config: &Config,
        store_root: &Path,
        mode: SourceMode,
    ) -> Result<Source, VulnError> {
        let db = VulnDb::in_store(store_root);
        let offline = match mode {
            SourceMode::Online => false,
            SourceMode::Offline => true,
            SourceMode::Auto => db.status().is_ok_and(|s| !s.ecosystems.is_empty()),
        };
        if offline {
            Ok(Source::Offline(db))
        } else {
            Ok(Source::Online(OsvApi::from_config(config)?))
        }
    }

    pub(crate) async fn candidates(
        &self,
        targets: &[Target],
        cancel: &CancellationToken,
    ) -> Result<Candidates, VulnError> {
        match self {
            Source::Online(api) => online(api, targets, cancel).await,
            Source::Offline(db) => {
                let db = db.clone();
                let targets = targets.to_vec();
                let cancel = cancel.clone();
                tokio::task::spawn_blocking(move || offline(&db, &targets, &cancel))
                    .await
                    .expect("offline lookup panicked")
            }
        }
    }
}

async fn online(
    api: &OsvApi,
    targets: &[Target],
    cancel: &CancellationToken,
) -> Result<Candidates, VulnError> {
    let queries: Vec<PackageQuery> = targets
        .iter()
        .map(|t| PackageQuery {
            ecosystem: t.query_ecosystem().to_owned(),
            name: t.name.clone(),
            version: t.version.clone(),
        })
        .collect();
    let ids = api.query_batch(&queries, cancel).await?;
    let distinct: Vec<String> = ids
        .iter()
        .flatten()
        .cloned()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let cache = RecordCache::default();
    let (found, warnings) = api.vulns(&distinct, &cache, cancel).await?;
    let records = ids
        .iter()
        .map(|ids| ids.iter().filter_map(|id| found.get(id).cloned()).collect())
        .collect();
    Ok(Candidates {
        info: SourceInfo {
            kind: SourceKind::Online,
            url: Some(api.base_url().to_string()),
            path: None,
            imported_at: None,
            ecosystems: Vec::new(),
        },
        records,
        uncovered: vec![false; targets.len()],
        reported: ids
            .into_iter()
            .map(|ids| ids.into_iter().collect())
            .collect(),
        warnings,
    })
}

fn offline(
    db: &VulnDb,
    targets: &[Target],
    cancel: &CancellationToken,
) -> Result<Candidates, VulnError> {
    let mut reader = db.reader()?;
    let mut records = Vec::with_capacity(targets.len());
    let mut uncovered = Vec::with_capacity(targets.len());
    for (i, target) in targets.iter().enumerate() {
        if i % 128 == 0 && cancel.is_cancelled() {
            return Err(VulnError::Cancelled);
        }
        if reader.covers(target) {
            records.push(reader.lookup(target)?);
            uncovered.push(false);
        } else {
            records.push(Vec::new());
            uncovered.push(true);
        }
    }
    let ecosystems: Vec<_> = reader.imports().values().cloned().collect();
    let warnings = reader
        .skipped()
        .iter()
        .map(|id| {
            format!(
                "advisory {id} in the offline database is not a readable OSV record; it was skipped"
            )
        })
        .collect();
    Ok(Candidates {
        info: SourceInfo {
            kind: SourceKind::Offline,
            url: None,
            path: Some(db.path()),
            imported_at: ecosystems.iter().map(|e| e.imported_at).max(),
            ecosystems,
        },
        records,
        uncovered,
        reported: vec![BTreeSet::new(); targets.len()],
        warnings,
    })
}
