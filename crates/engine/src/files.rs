//! Writing a file whole, for the files Porthole hands to people and other tools (an SBOM,
//! the config file): a temporary file beside the target, written, synced and renamed over
//! it, so that no reader ever sees half of it.

use std::fs;
use std::io::{self, Write as _};
use std::path::Path;

/// Replaces `path` with `bytes` (readable by others, as a file written plainly would be).
/// On error the target is left as it was and the temporary file is removed.
pub fn write_whole(path: &Path, bytes: &[u8]) -> io::Result<()> {
    write_whole_with(path, |file| file.write_all(bytes))
}

/// [`write_whole`] for content streamed by `fill` (an image archive of gigabytes): `fill`
/// writes the temporary file; only if it returns `Ok` is the file synced and renamed over
/// `path`. On any error the target is left as it was and the temporary file is removed.
pub fn write_whole_with<T, E: From<io::Error>>(
    path: &Path,
    fill: impl FnOnce(&mut fs::File) -> Result<T, E>,
) -> Result<T, E> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut builder = tempfile::Builder::new();
    builder.prefix(".porthole-").suffix(".tmp");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(fs::Permissions::from_mode(0o644));
    }
    let mut temp = builder.tempfile_in(dir)?;
    let filled = fill(temp.as_file_mut())?;
    temp.as_file().sync_all()?;
    temp.persist(path).map_err(|e| e.error)?;
    #[cfg(unix)]
    fs::File::open(dir)?.sync_all()?;
    Ok(filled)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_is_replaced_whole_and_no_temporary_is_left() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.cdx.json");
        fs::write(&path, "old").unwrap();
        write_whole(&path, b"{\"new\":true}").unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "{\"new\":true}");
        let names: Vec<String> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["a.cdx.json"]);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o644);
        }
        // A directory that is not there: an error, and nothing written.
        assert!(write_whole(&dir.path().join("missing/x.json"), b"x").is_err());
    }
}
