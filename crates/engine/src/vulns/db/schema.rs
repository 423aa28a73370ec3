//! The tables of `osv.sqlite`, its version, and the update lock.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::path::Path;

use fs4::FileExt;
use rusqlite::Connection;

use super::EcosystemStatus;
use crate::vulns::VulnError;
use crate::vulns::time::Timestamp;

/// `PRAGMA user_version` of the layout below; another value is rebuilt, never read.
pub(super) const VERSION: i64 = 1;

pub(super) const CREATE: &str = "
CREATE TABLE records (
    id TEXT PRIMARY KEY NOT NULL,
    modified TEXT NOT NULL,
    json TEXT NOT NULL
);
CREATE TABLE affected (
    ecosystem TEXT NOT NULL,
    name TEXT NOT NULL,
    id TEXT NOT NULL,
    export TEXT NOT NULL,
    PRIMARY KEY (ecosystem, name, id)
) WITHOUT ROWID;
CREATE INDEX affected_by_name ON affected (name, ecosystem);
CREATE INDEX affected_by_export ON affected (export);
CREATE TABLE imports (
    export TEXT PRIMARY KEY NOT NULL,
    imported_at INTEGER NOT NULL,
    records INTEGER NOT NULL,
    withdrawn INTEGER NOT NULL,
    skipped INTEGER NOT NULL,
    url TEXT NOT NULL
) WITHOUT ROWID;
";

/// Refuses a database of another layout.
pub(super) fn check_version(conn: &Connection, path: &Path) -> Result<(), VulnError> {
    let found: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(VulnError::db(path))?;
    if found != VERSION {
        return Err(VulnError::SchemaMismatch {
            path: path.to_owned(),
            found,
            expected: VERSION,
        });
    }
    Ok(())
}

/// The `imports` table, by export.
pub(super) fn imports(
    conn: &Connection,
) -> Result<BTreeMap<String, EcosystemStatus>, rusqlite::Error> {
    let mut stmt = conn.prepare(
        "SELECT export, imported_at, records, withdrawn, skipped, url FROM imports ORDER BY export",
    )?;
    let rows = stmt.query_map([], |r| {
        let count = |i| r.get::<_, i64>(i).map(|n| u64::try_from(n).unwrap_or(0));
        Ok(EcosystemStatus {
            ecosystem: r.get(0)?,
            imported_at: Timestamp(r.get(1)?),
            records: count(2)?,
            withdrawn: count(3)?,
            skipped: count(4)?,
            url: r.get(5)?,
        })
    })?;
    rows.map(|row| row.map(|s| (s.ecosystem.clone(), s)))
        .collect()
}

/// Holds `<dir>/.lock` exclusively (blocking) until dropped: one update at a time, across
/// processes. Temporary files still there belong to an update that crashed (only the
/// holder of this lock makes them): they are deleted.
pub(super) fn lock(dir: &Path) -> Result<File, VulnError> {
    let path = dir.join(".lock");
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(VulnError::io("open lock file", &path))?;
    FileExt::lock(&file).map_err(VulnError::io("lock", &path))?;
    let entries = std::fs::read_dir(dir).map_err(VulnError::io("list", dir))?;
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let stale = (name.starts_with(".osv-") && name.ends_with(".sqlite.tmp"))
            || (name.starts_with(".download-") && name.ends_with(".zip"));
        if stale {
            tracing::info!(file = %name, "removing a temporary file left by an interrupted update");
            let _ = std::fs::remove_file(entry.path());
        }
    }
    Ok(file)
}
