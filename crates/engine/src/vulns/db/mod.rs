//! [`VulnDb`]: the offline vulnerability database, `<store>/porthole-vulndb/osv.sqlite`.
//!
//! It holds OSV's per-ecosystem exports (`{data_url}/{ecosystem}/all.zip`): every record as
//! its JSON (`records`), and one `affected` row per (ecosystem, package name, record),
//! indexed both ways, so that a scan looks a package up with one indexed query. `imports`
//! says which exports are in, when they were imported and how many records each gave.
//!
//! The database is only ever replaced whole ([`VulnDb::update`]): the new one is built in a
//! temporary file beside it, synced, and renamed over it, under `.lock`. A failed download,
//! a damaged zip or a crash leaves the previous database as it was; readers that have it
//! open keep reading the old file.

mod download;
mod import;
mod schema;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use rusqlite::{Connection, OpenFlags, OptionalExtension};
use serde::Serialize;
use tokio_util::sync::CancellationToken;

use super::VulnError;
use super::ecosystem::{KNOWN_EXPORTS, Target};
use super::http::Retry;
use super::osv::{self, Vulnerability};
use super::time::Timestamp;
use crate::config::Config;

pub use download::DEFAULT_DATA_URL;

/// The directory of the database inside a store.
pub const DIR_NAME: &str = "porthole-vulndb";
/// The database file inside [`DIR_NAME`].
pub const FILE_NAME: &str = "osv.sqlite";

/// The records filed under one ecosystem and name: one probe of the primary key.
const LOOKUP_EXACT: &str = "SELECT a.id, r.json FROM affected a JOIN records r ON r.id = a.id \
     WHERE a.ecosystem = ?1 AND a.name = ?2";
/// The records filed under a name in the ecosystems from `?2` to `?3`: one range of the
/// `(name, ecosystem)` index.
const LOOKUP_PREFIX: &str = "SELECT DISTINCT r.id, r.json FROM affected a \
     JOIN records r ON r.id = a.id WHERE a.name = ?1 AND a.ecosystem >= ?2 AND a.ecosystem < ?3";

/// The offline database of one store (which may not exist yet).
#[derive(Clone, Debug)]
pub struct VulnDb {
    dir: PathBuf,
}

/// What one imported export holds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EcosystemStatus {
    /// The export's name, an OSV ecosystem (`Debian`, `PyPI`).
    pub ecosystem: String,
    pub imported_at: Timestamp,
    /// Records imported (withdrawn ones are not).
    pub records: u64,
    /// Withdrawn records left out.
    pub withdrawn: u64,
    /// Entries of the zip that were not readable OSV records.
    pub skipped: u64,
    /// Where it was downloaded from.
    pub url: String,
}

/// What [`VulnDb::status`] reports.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DbStatus {
    pub path: PathBuf,
    /// Whether a database exists.
    pub present: bool,
    /// The latest import.
    pub updated_at: Option<Timestamp>,
    /// Records in all, over every ecosystem.
    pub records: u64,
    pub ecosystems: Vec<EcosystemStatus>,
}

/// How [`VulnDb::update`] runs.
#[derive(Clone)]
pub struct UpdateOptions {
    /// The time recorded as the import date.
    pub now: SystemTime,
    pub cancel: CancellationToken,
    /// Told of each step, for progress display.
    pub progress: Option<Arc<dyn Fn(UpdateEvent) + Send + Sync>>,
    /// How failed downloads (429, 5xx, broken connections) are retried.
    pub retry: Retry,
}

impl UpdateOptions {
    pub fn new(now: SystemTime) -> UpdateOptions {
        UpdateOptions {
            now,
            cancel: CancellationToken::new(),
            progress: None,
            retry: Retry::default(),
        }
    }
}

/// A step of [`VulnDb::update`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "event", rename_all = "camelCase")]
pub enum UpdateEvent {
    #[serde(rename_all = "camelCase")]
    Downloading { ecosystem: String, url: String },
    #[serde(rename_all = "camelCase")]
    Downloaded { ecosystem: String, bytes: u64 },
    #[serde(rename_all = "camelCase")]
    Imported {
        ecosystem: String,
        records: u64,
        skipped: u64,
    },
}

/// What [`VulnDb::update`] did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct UpdateReport {
    /// The exports imported by this update.
    pub updated: Vec<EcosystemStatus>,
    /// The database as it is now.
    pub status: DbStatus,
}

impl VulnDb {
    /// The database of the store at `store_root` (`<root>/porthole-vulndb`).
    pub fn in_store(store_root: &Path) -> VulnDb {
        VulnDb::at(store_root.join(DIR_NAME))
    }

    /// A database in `dir`.
    pub fn at(dir: impl Into<PathBuf>) -> VulnDb {
        VulnDb { dir: dir.into() }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The database file.
    pub fn path(&self) -> PathBuf {
        self.dir.join(FILE_NAME)
    }

    /// What is imported, and when.
    pub fn status(&self) -> Result<DbStatus, VulnError> {
        let path = self.path();
        if !path.exists() {
            return Ok(DbStatus {
                path,
                present: false,
                updated_at: None,
                records: 0,
                ecosystems: Vec::new(),
            });
        }
        let conn = self.open_read()?;
        let ecosystems: Vec<EcosystemStatus> = schema::imports(&conn)
            .map_err(VulnError::db(&path))?
            .into_values()
            .collect();
        let records: u64 = conn
            .query_row("SELECT count(*) FROM records", [], |r| r.get::<_, i64>(0))
            .map_err(VulnError::db(&path))?
            .try_into()
            .unwrap_or(0);
        Ok(DbStatus {
            path,
            present: true,
            updated_at: ecosystems.iter().map(|e| e.imported_at).max(),
            records,
            ecosystems,
        })
    }

    /// Downloads the exports of `ecosystems` (OSV names such as `Debian`, `PyPI`; `Debian:12`
    /// means `Debian`) from `data_url` and imports them, replacing what was imported of
    /// them before and keeping the other ecosystems. An empty list refreshes every
    /// ecosystem already imported. All or nothing: on any error the database is unchanged.
    pub async fn update(
        &self,
        data_url: &str,
        ecosystems: &[String],
        options: &UpdateOptions,
    ) -> Result<UpdateReport, VulnError> {
        let base = download::data_base_url(data_url)?;
        let mut exports = Vec::new();
        for name in ecosystems {
            let export = canonical_export(name)?;
            if !exports.contains(&export) {
                exports.push(export);
            }
        }
        if exports.is_empty() {
            exports = self
                .status()?
                .ecosystems
                .into_iter()
                .map(|e| e.ecosystem)
                .collect();
        }
        if exports.is_empty() {
            return Err(VulnError::NothingToUpdate);
        }
        std::fs::create_dir_all(&self.dir).map_err(VulnError::io("create directory", &self.dir))?;
        let lock = {
            let dir = self.dir.clone();
            tokio::task::spawn_blocking(move || schema::lock(&dir))
                .await
                .expect("lock task panicked")?
        };
        let http = super::http::client(&base, download::SETTING)?;
        let mut builder = {
            let (dir, path) = (self.dir.clone(), self.path());
            tokio::task::spawn_blocking(move || import::Builder::start(&dir, &path))
                .await
                .expect("import task panicked")?
        };
        let now = Timestamp::from_system(options.now);
        let mut updated = Vec::new();
        for export in &exports {
            let url = download::export_url(&base, export);
            let zip = download::fetch(&http, &url, &self.dir, export, options).await?;
            let export_name = export.clone();
            let url_text = url.to_string();
            let cancel = options.cancel.clone();
            let (b, status) = tokio::task::spawn_blocking(move || {
                let mut builder = builder;
                let status = builder.import(&export_name, zip.path(), &url_text, now, &cancel);
                drop(zip);
                (builder, status)
            })
            .await
            .expect("import task panicked");
            builder = b;
            let status = status?;
            if let Some(progress) = &options.progress {
                progress(UpdateEvent::Imported {
                    ecosystem: export.clone(),
                    records: status.records,
                    skipped: status.skipped,
                });
            }
            updated.push(status);
            if options.cancel.is_cancelled() {
                return Err(VulnError::Cancelled);
            }
        }
        let path = self.path();
        let dir = self.dir.clone();
        tokio::task::spawn_blocking(move || builder.commit(&dir, &path))
            .await
            .expect("commit task panicked")?;
        drop(lock);
        Ok(UpdateReport {
            updated,
            status: self.status()?,
        })
    }

    /// The configured update: the exports of `ecosystems` from the config's `osvDataUrl`
    /// (which `$PORTHOLE_OSV_DATA_URL` replaces), else [`DEFAULT_DATA_URL`].
    pub async fn update_from_config(
        &self,
        config: &Config,
        ecosystems: &[String],
        options: &UpdateOptions,
    ) -> Result<UpdateReport, VulnError> {
        let url = config.osv_data_url.as_deref().unwrap_or(DEFAULT_DATA_URL);
        self.update(url, ecosystems, options).await
    }

    fn open_read(&self) -> Result<Connection, VulnError> {
        let path = self.path();
        let conn = Connection::open_with_flags(
            &path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(VulnError::db(&path))?;
        schema::check_version(&conn, &path)?;
        Ok(conn)
    }

    /// A reader for one scan: [`Reader::lookup`] answers from one open connection and
    /// parses each record once.
    pub fn reader(&self) -> Result<Reader, VulnError> {
        let path = self.path();
        if !path.exists() {
            return Err(VulnError::NotImported { path });
        }
        let conn = self.open_read()?;
        let imports = schema::imports(&conn).map_err(VulnError::db(&path))?;
        Ok(Reader {
            conn,
            path,
            imports,
            parsed: HashMap::new(),
            skipped: Vec::new(),
        })
    }
}

/// An open database, for one scan.
pub struct Reader {
    conn: Connection,
    path: PathBuf,
    imports: BTreeMap<String, EcosystemStatus>,
    parsed: HashMap<String, Option<Arc<Vulnerability>>>,
    skipped: Vec<String>,
}

impl Reader {
    /// The imported exports, by name.
    pub fn imports(&self) -> &BTreeMap<String, EcosystemStatus> {
        &self.imports
    }

    /// Whether the export `target` needs was imported.
    pub fn covers(&self, target: &Target) -> bool {
        self.imports.contains_key(target.export())
    }

    /// The records filed under `target`'s ecosystem (or ecosystems, for a prefix) and name.
    pub fn lookup(&mut self, target: &Target) -> Result<Vec<Arc<Vulnerability>>, VulnError> {
        let rows: Vec<(String, String)> = if target.prefix {
            let upper = prefix_upper_bound(&target.ecosystem);
            let mut stmt = self
                .conn
                .prepare_cached(LOOKUP_PREFIX)
                .map_err(VulnError::db(&self.path))?;
            stmt.query_map((&target.name, &target.ecosystem, &upper), |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .and_then(|rows| rows.collect())
            .map_err(VulnError::db(&self.path))?
        } else {
            let mut stmt = self
                .conn
                .prepare_cached(LOOKUP_EXACT)
                .map_err(VulnError::db(&self.path))?;
            stmt.query_map((&target.ecosystem, &target.name), |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .and_then(|rows| rows.collect())
            .map_err(VulnError::db(&self.path))?
        };
        let mut out = Vec::with_capacity(rows.len());
        for (id, json) in rows {
            let record =
                self.parsed
                    .entry(id)
                    .or_insert_with_key(|id| match osv::parse(json.as_bytes()) {
                        Ok(v) => Some(Arc::new(v)),
                        Err(e) => {
                            tracing::warn!(
                                id,
                                "skipping an unreadable record in the database: {e}"
                            );
                            self.skipped.push(id.clone());
                            None
                        }
                    });
            if let Some(record) = record {
                out.push(record.clone());
            }
        }
        Ok(out)
    }

    /// Ids of records that could not be read, for the report's warnings.
    pub fn skipped(&self) -> &[String] {
        &self.skipped
    }

    /// The record `id`, if the database has it.
    pub fn record(&mut self, id: &str) -> Result<Option<Arc<Vulnerability>>, VulnError> {
        let json: Option<String> = self
            .conn
            .query_row("SELECT json FROM records WHERE id = ?1", [id], |r| r.get(0))
            .optional()
            .map_err(VulnError::db(&self.path))?;
        Ok(json.and_then(|j| osv::parse(j.as_bytes()).ok().map(Arc::new)))
    }
}

/// The smallest string greater than every string starting with `prefix` (ecosystem
/// strings are ASCII).
fn prefix_upper_bound(prefix: &str) -> String {
    let mut bytes = prefix.as_bytes().to_vec();
    while let Some(last) = bytes.pop() {
        if last < 0x7f {
            bytes.push(last + 1);
            return String::from_utf8(bytes).unwrap_or_else(|_| "\u{10FFFF}".to_owned());
        }
    }
    "\u{10FFFF}".to_owned()
}

/// The export an ecosystem name refers to, spelled as OSV spells it (`pypi` → `PyPI`,
/// `Debian:12` → `Debian`).
pub fn canonical_export(name: &str) -> Result<String, VulnError> {
    let base = super::ecosystem::base(name);
    KNOWN_EXPORTS
        .iter()
        .find(|known| known.eq_ignore_ascii_case(base))
        .map(|known| (*known).to_owned())
        .ok_or_else(|| VulnError::UnknownEcosystem {
            name: name.to_owned(),
            known: KNOWN_EXPORTS.iter().map(|k| (*k).to_owned()).collect(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookups_use_the_indexes() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(schema::CREATE).unwrap();
        for (sql, n) in [(LOOKUP_EXACT, 2), (LOOKUP_PREFIX, 3)] {
            let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
            let plan: Vec<String> = stmt
                .query_map(rusqlite::params_from_iter(&["a", "b", "c"][..n]), |r| {
                    r.get(3)
                })
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            assert!(
                plan.iter().all(|step| !step.starts_with("SCAN")),
                "{plan:?}"
            );
            assert!(plan.iter().any(|step| step.contains("INDEX")), "{plan:?}");
        }
    }

    #[test]
    fn prefix_bounds_and_export_names() {
        assert_eq!(
            prefix_upper_bound("Red Hat:enterprise_linux:9::"),
            "Red Hat:enterprise_linux:9:;"
        );
        assert_eq!(canonical_export("pypi").unwrap(), "PyPI");
        assert_eq!(canonical_export("Debian:12").unwrap(), "Debian");
        assert!(canonical_export("Hackage").is_err());
    }
}
