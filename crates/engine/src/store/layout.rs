//! The directory itself: creating an empty OCI image layout, recognising an existing one,
//! and writing small files atomically.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::Path;

use super::{StoreError, io_error, lock};

pub(super) const OCI_LAYOUT: &str = "oci-layout";
pub(super) const INDEX_JSON: &str = "index.json";
pub(super) const INGEST_DIR: &str = "ingest";
pub(super) const INDEX_LOCK: &str = ".porthole-index.lock";
pub(super) const GC_LOCK: &str = ".porthole-gc.lock";
/// Prefix of our temporary files (in the root and in `ingest/`).
pub(super) const TEMP_PREFIX: &str = ".porthole-";

const LAYOUT_FILE: &[u8] = br#"{"imageLayoutVersion":"1.0.0"}"#;
const EMPTY_INDEX: &[u8] =
    br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}"#;

/// Makes sure `root` is a usable layout: recognises an existing one, or creates one in a
/// missing or empty directory. The `oci-layout` file is written last, so a directory that
/// has it is complete.
pub(super) fn open_or_create(root: &Path) -> Result<(), StoreError> {
    match fs::metadata(root) {
        Ok(meta) if meta.is_dir() => {}
        Ok(_) => {
            return Err(StoreError::InvalidLayout {
                path: root.to_path_buf(),
                reason: "it is a file, not a directory".into(),
            });
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            fs::create_dir_all(root).map_err(io_error("create directory", root))?;
        }
        Err(e) => return Err(io_error("read", root)(e)),
    }
    if root.join(OCI_LAYOUT).exists() {
        return check_existing(root);
    }
    // Before creating anything here (even a lock file), make sure this is not someone
    // else's directory; check again under the lock, as another process may be creating it.
    check_adoptable(root)?;
    let _guard = lock::index_lock(root)?;
    if root.join(OCI_LAYOUT).exists() {
        return check_existing(root);
    }
    check_adoptable(root)?;
    let blobs = root.join("blobs").join("sha256");
    fs::create_dir_all(&blobs).map_err(io_error("create directory", &blobs))?;
    if !root.join(INDEX_JSON).exists() {
        write_atomic(root, INDEX_JSON, EMPTY_INDEX)?;
    }
    write_atomic(root, OCI_LAYOUT, LAYOUT_FILE)?;
    Ok(())
}

/// An existing layout: the version must be 1.x and `index.json` must be there.
fn check_existing(root: &Path) -> Result<(), StoreError> {
    #[derive(serde::Deserialize)]
    struct LayoutFile {
        #[serde(rename = "imageLayoutVersion")]
        version: String,
    }
    let path = root.join(OCI_LAYOUT);
    let bytes = read_small(&path, 64 * 1024)?;
    let layout: LayoutFile =
        serde_json::from_slice(&bytes).map_err(|e| StoreError::InvalidLayout {
            path: path.clone(),
            reason: format!("the oci-layout file is not valid: {e}"),
        })?;
    if !layout.version.starts_with("1.") {
        return Err(StoreError::InvalidLayout {
            path: root.to_path_buf(),
            reason: format!(
                "it uses image layout version {}, and only 1.x is supported",
                layout.version
            ),
        });
    }
    if !root.join(INDEX_JSON).is_file() {
        return Err(StoreError::InvalidLayout {
            path: root.to_path_buf(),
            reason: "it has an oci-layout file but no index.json".into(),
        });
    }
    Ok(())
}

/// A directory without `oci-layout` may become a store only if it is empty or holds nothing
/// but what an interrupted creation by us leaves behind.
fn check_adoptable(root: &Path) -> Result<(), StoreError> {
    let entries = fs::read_dir(root).map_err(io_error("list", root))?;
    for entry in entries {
        let entry = entry.map_err(io_error("list", root))?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let ours = matches!(name.as_ref(), "blobs" | INDEX_JSON | INGEST_DIR)
            || name.starts_with(TEMP_PREFIX);
        if !ours {
            return Err(StoreError::InvalidLayout {
                path: root.to_path_buf(),
                reason: format!(
                    "it is not an OCI image layout (no oci-layout file) and it is not empty \
                     (it holds `{name}`); choose an empty directory or an existing store"
                ),
            });
        }
    }
    Ok(())
}

/// Reads a file that must be small (layout metadata, index.json).
pub(super) fn read_small(path: &Path, max: u64) -> Result<Vec<u8>, StoreError> {
    use std::io::Read;
    let file = File::open(path).map_err(io_error("open", path))?;
    let mut bytes = Vec::new();
    file.take(max + 1)
        .read_to_end(&mut bytes)
        .map_err(io_error("read", path))?;
    if bytes.len() as u64 > max {
        return Err(StoreError::Corrupt {
            path: path.to_path_buf(),
            reason: format!("it is larger than {max} bytes"),
        });
    }
    Ok(bytes)
}

/// A temporary file in `dir`, named so that `check_adoptable` and gc recognise it.
pub(super) fn temp_file(dir: &Path) -> Result<tempfile::NamedTempFile, StoreError> {
    let mut builder = tempfile::Builder::new();
    builder.prefix(TEMP_PREFIX).suffix(".tmp");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        // Readable by other tools run as other users (e.g. skopeo under sudo), like the
        // files that skopeo and containerd write.
        builder.permissions(fs::Permissions::from_mode(0o644));
    }
    builder
        .tempfile_in(dir)
        .map_err(io_error("create a temporary file in", dir))
}

/// Replaces `dir/name` with `bytes`: temporary file, fsync, rename, fsync of the directory.
pub(super) fn write_atomic(dir: &Path, name: &str, bytes: &[u8]) -> Result<(), StoreError> {
    let target = dir.join(name);
    let mut temp = temp_file(dir)?;
    temp.write_all(bytes)
        .and_then(|()| temp.as_file().sync_all())
        .map_err(io_error("write", temp.path()))?;
    temp.persist(&target)
        .map_err(|e| io_error("rename into place", &target)(e.error))?;
    sync_dir(dir)
}

/// Makes a rename or removal in `dir` durable. (Directories cannot be opened for fsync on
/// Windows, where renames are durable once the call returns.)
pub(super) fn sync_dir(dir: &Path) -> Result<(), StoreError> {
    #[cfg(unix)]
    {
        File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(io_error("sync directory", dir))?;
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn creates_a_layout_in_a_missing_directory() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("a").join("store");
        open_or_create(&root).unwrap();
        assert_eq!(fs::read(root.join(OCI_LAYOUT)).unwrap(), LAYOUT_FILE);
        let index: serde_json::Value =
            serde_json::from_slice(&fs::read(root.join(INDEX_JSON)).unwrap()).unwrap();
        assert_eq!(index["schemaVersion"], 2);
        assert!(root.join("blobs/sha256").is_dir());
        // Opening again changes nothing.
        open_or_create(&root).unwrap();
    }

    #[test]
    fn refuses_a_directory_with_other_things_in_it() {
        let tmp = tempfile::tempdir().unwrap();
        fs::write(tmp.path().join("notes.txt"), "hello").unwrap();
        let err = open_or_create(tmp.path()).unwrap_err();
        assert!(matches!(err, StoreError::InvalidLayout { .. }), "{err}");
        assert!(err.to_string().contains("notes.txt"), "{err}");
        // And created nothing there.
        assert_eq!(fs::read_dir(tmp.path()).unwrap().count(), 1);
    }

    #[test]
    fn refuses_a_file_and_an_unknown_layout_version() {
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join("f");
        fs::write(&file, "x").unwrap();
        assert!(matches!(
            open_or_create(&file),
            Err(StoreError::InvalidLayout { .. })
        ));
        fs::write(
            tmp.path().join(OCI_LAYOUT),
            r#"{"imageLayoutVersion":"2.0.0"}"#,
        )
        .unwrap();
        fs::write(tmp.path().join(INDEX_JSON), EMPTY_INDEX).unwrap();
        let err = open_or_create(tmp.path()).unwrap_err();
        assert!(err.to_string().contains("2.0.0"), "{err}");
    }

    #[test]
    fn finishes_an_interrupted_creation() {
        let tmp = tempfile::tempdir().unwrap();
        fs::create_dir_all(tmp.path().join("blobs/sha256")).unwrap();
        fs::write(tmp.path().join(".porthole-abc.tmp"), "").unwrap();
        open_or_create(tmp.path()).unwrap();
        assert!(tmp.path().join(OCI_LAYOUT).is_file());
        assert!(tmp.path().join(INDEX_JSON).is_file());
    }
}
