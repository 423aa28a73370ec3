//! Building a new `osv.sqlite` beside the old one: [`Builder::start`] copies the old
//! database (when it has this version's layout) into a temporary file in the same
//! directory, [`Builder::import`] replaces one export in it from an `all.zip` read entry by
//! entry from disk, and [`Builder::commit`] syncs it and renames it into place. Dropping a
//! builder deletes its temporary file, so nothing half-built is ever visible.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use rusqlite::{Connection, OpenFlags};
use tempfile::TempPath;
use tokio_util::sync::CancellationToken;

use super::EcosystemStatus;
use super::schema::{self, CREATE, VERSION};
use crate::vulns::VulnError;
use crate::vulns::ecosystem::{base, normalize_name};
use crate::vulns::osv;
use crate::vulns::time::Timestamp;

/// The largest record read from a zip; bigger entries are skipped (real ones are < 1 MB).
const MAX_RECORD: u64 = 16 * 1024 * 1024;

pub(super) struct Builder {
    conn: Connection,
    temp: TempPath,
}

impl Builder {
    /// A new database in a temporary file in `dir`, holding what `current` holds (if it
    /// is a database of this version).
    pub(super) fn start(dir: &Path, current: &Path) -> Result<Builder, VulnError> {
        let temp = tempfile::Builder::new()
            .prefix(".osv-")
            .suffix(".sqlite.tmp")
            .tempfile_in(dir)
            .map_err(VulnError::io("create a temporary file in", dir))?
            .into_temp_path();
        let copied = current.exists() && usable(current) && {
            std::fs::copy(current, &temp).map_err(VulnError::io("copy", current))?;
            true
        };
        let conn = Connection::open(&temp).map_err(VulnError::db(temp.to_path_buf()))?;
        // The file is private until renamed, and synced before that: no journal needed.
        conn.execute_batch("PRAGMA journal_mode = MEMORY; PRAGMA synchronous = OFF;")
            .map_err(VulnError::db(temp.to_path_buf()))?;
        if !copied {
            conn.execute_batch(CREATE)
                .and_then(|()| conn.pragma_update(None, "user_version", VERSION))
                .map_err(VulnError::db(temp.to_path_buf()))?;
        }
        Ok(Builder { conn, temp })
    }

    /// Replaces the export `export` with the records of the zip at `zip_path`. Entries
    /// that are not OSV records are skipped (and counted); a zip that cannot be read is
    /// an error.
    pub(super) fn import(
        &mut self,
        export: &str,
        zip_path: &Path,
        url: &str,
        now: Timestamp,
        cancel: &CancellationToken,
    ) -> Result<EcosystemStatus, VulnError> {
        let db_path = self.temp.to_path_buf();
        let db_err = VulnError::db(db_path.clone());
        let bad_zip = |source| VulnError::BadArchive {
            url: url.to_owned(),
            source,
        };
        let file = File::open(zip_path).map_err(VulnError::io("open", zip_path))?;
        let mut archive = zip::ZipArchive::new(BufReader::new(file)).map_err(bad_zip)?;

        let tx = self.conn.transaction().map_err(db_err)?;
        let db = |e: rusqlite::Error| VulnError::db(db_path.clone())(e);
        tx.execute("DELETE FROM affected WHERE export = ?1", [export])
            .map_err(db)?;
        let mut status = EcosystemStatus {
            ecosystem: export.to_owned(),
            imported_at: now,
            records: 0,
            withdrawn: 0,
            skipped: 0,
            url: url.to_owned(),
        };
        {
            let mut put_record = tx
                .prepare("INSERT OR REPLACE INTO records (id, modified, json) VALUES (?1, ?2, ?3)")
                .map_err(db)?;
            let mut put_affected = tx
                .prepare(
                    "INSERT OR IGNORE INTO affected (ecosystem, name, id, export) \
                     VALUES (?1, ?2, ?3, ?4)",
                )
                .map_err(db)?;
            let mut buf = Vec::new();
            for i in 0..archive.len() {
                if i % 256 == 0 && cancel.is_cancelled() {
                    return Err(VulnError::Cancelled);
                }
                let entry = archive.by_index(i).map_err(bad_zip)?;
                let Ok(name) = entry.name().map(|n| n.into_owned()) else {
                    status.skipped += 1;
                    continue;
                };
                if entry.is_dir() || !name.ends_with(".json") {
                    continue;
                }
                buf.clear();
                entry
                    .take(MAX_RECORD + 1)
                    .read_to_end(&mut buf)
                    .map_err(|e| bad_zip(zip::result::ZipError::Io(e)))?;
                if buf.len() as u64 > MAX_RECORD {
                    tracing::warn!(url, entry = name, "skipping a record larger than 16 MiB");
                    status.skipped += 1;
                    continue;
                }
                let record = match osv::parse(&buf) {
                    Ok(r) => r,
                    Err(e) => {
                        tracing::warn!(url, entry = name, "skipping a malformed OSV record: {e}");
                        status.skipped += 1;
                        continue;
                    }
                };
                if record.is_withdrawn() {
                    status.withdrawn += 1;
                    continue;
                }
                let Ok(json) = std::str::from_utf8(&buf) else {
                    status.skipped += 1;
                    continue;
                };
                put_record
                    .execute((&record.id, &record.modified, json))
                    .map_err(db)?;
                let mut filed = false;
                for affected in &record.affected {
                    let eco = &affected.package.ecosystem;
                    if base(eco) != export || affected.package.name.is_empty() {
                        continue;
                    }
                    let name = normalize_name(eco, &affected.package.name);
                    put_affected
                        .execute((eco, &name, &record.id, export))
                        .map_err(db)?;
                    filed = true;
                }
                if filed {
                    status.records += 1;
                }
            }
        }
        tx.execute(
            "INSERT OR REPLACE INTO imports (export, imported_at, records, withdrawn, skipped, url) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            (
                export,
                now.0,
                i64::try_from(status.records).unwrap_or(i64::MAX),
                i64::try_from(status.withdrawn).unwrap_or(i64::MAX),
                i64::try_from(status.skipped).unwrap_or(i64::MAX),
                url,
            ),
        )
        .map_err(db)?;
        tx.commit().map_err(db)?;
        Ok(status)
    }

    /// Drops records no export files any more, syncs the file and renames it to `path`
    /// (then syncs `dir`, so that the rename survives a crash).
    pub(super) fn commit(self, dir: &Path, path: &Path) -> Result<(), VulnError> {
        let temp_path = self.temp.to_path_buf();
        self.conn
            .execute_batch(
                "DELETE FROM records WHERE id NOT IN (SELECT id FROM affected); \
                 ANALYZE; PRAGMA optimize;",
            )
            .map_err(VulnError::db(&temp_path))?;
        self.conn
            .close()
            .map_err(|(_, e)| VulnError::db(&temp_path)(e))?;
        File::open(&self.temp)
            .and_then(|f| f.sync_all())
            .map_err(VulnError::io("sync", &temp_path))?;
        self.temp
            .persist(path)
            .map_err(|e| VulnError::io("rename into place", path)(e.error))?;
        sync_dir(dir)
    }
}

/// Whether `path` is a database this version can extend.
fn usable(path: &Path) -> bool {
    Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .is_ok_and(|conn| schema::check_version(&conn, path).is_ok())
}

#[cfg(unix)]
fn sync_dir(dir: &Path) -> Result<(), VulnError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(VulnError::io("sync directory", dir))
}

#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> Result<(), VulnError> {
    Ok(())
}
