//! rpm's SQLite backend (`rpmdb.sqlite`, rpm ≥ 4.16: Fedora 33+, RHEL 9, CBL-Mariner):
//! the table `Packages(hnum INTEGER PRIMARY KEY, blob BLOB)` holds one header per row.
//!
//! The bytes are handed to SQLite's in-memory deserialiser (read-only), so nothing touches
//! the disk. A database left in WAL mode is opened as a rollback-journal one: the `-wal`
//! file is a separate file in the image, and without it the main file is what was
//! checkpointed.

use rusqlite::{Connection, OpenFlags};

use super::super::PackageError;

/// The header blobs of every row, in `hnum` order.
pub fn blobs(path: &str, bytes: &[u8]) -> Result<Vec<Vec<u8>>, PackageError> {
    let err = |source| PackageError::Sqlite {
        path: path.to_owned(),
        source,
    };
    let mut data = bytes.to_vec();
    // Header bytes 18 and 19 are the read and write format versions: 2 means WAL, which
    // the in-memory VFS cannot open.
    for at in [18, 19] {
        if let Some(b) = data.get_mut(at)
            && *b == 2
        {
            *b = 1;
        }
    }
    let mut conn = Connection::open_with_flags(
        ":memory:",
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(err)?;
    conn.deserialize_read_exact("main", data.as_slice(), data.len(), true)
        .map_err(err)?;
    let mut stmt = conn
        .prepare("SELECT blob FROM Packages ORDER BY hnum")
        .map_err(err)?;
    let rows = stmt
        .query_map([], |row| row.get::<_, Vec<u8>>(0))
        .map_err(err)?;
    let mut out = Vec::new();
    for row in rows {
        out.push(row.map_err(err)?);
    }
    Ok(out)
}
