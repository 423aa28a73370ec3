//! Where the files the app writes for the person go (an SBOM, an image archive). The app has
//! no file dialog (that would need a dialog plugin and its permission): a file goes to the
//! person's Downloads directory, named after the image, and the page shows where. A `path`
//! may be given instead; it must be absolute, name a file, and its directory must exist.

use std::path::{Component, Path, PathBuf};

use tauri::{AppHandle, Manager};

use porthole_engine::store::ImageSummary;

use crate::ipc::{IpcError, IpcErrorCode};

/// The path a command was given, or the Downloads directory to name a file in.
pub enum Destination {
    File(PathBuf),
    Downloads(PathBuf),
}

impl Destination {
    /// `path` if given, else the Downloads directory; `what` names the file in messages
    /// ("the SBOM").
    pub fn new(app: &AppHandle, path: Option<String>, what: &str) -> Result<Destination, IpcError> {
        Ok(match path {
            Some(p) => Destination::File(PathBuf::from(p)),
            None => Destination::Downloads(downloads_dir(app, what)?),
        })
    }

    /// The file to write: the given path, or `name()` in the Downloads directory, checked
    /// with [`check_target`].
    pub fn file(self, name: impl FnOnce() -> String, what: &str) -> Result<PathBuf, IpcError> {
        let path = match self {
            Destination::File(p) => p,
            Destination::Downloads(dir) => dir.join(name()),
        };
        check_target(&path, what)?;
        Ok(path)
    }
}

/// The person's Downloads directory (XDG's, else `~/Downloads`, made if missing).
fn downloads_dir(app: &AppHandle, what: &str) -> Result<PathBuf, IpcError> {
    if let Ok(dir) = app.path().download_dir()
        && dir.is_dir()
    {
        return Ok(dir);
    }
    let home = app.path().home_dir().map_err(|e| {
        IpcError::internal(format!(
            "cannot find a Downloads or home directory to write {what} to: {e}"
        ))
    })?;
    let dir = home.join("Downloads");
    std::fs::create_dir_all(&dir)
        .map_err(|e| IpcError::internal(format!("cannot create {}: {e}", dir.display())))?;
    Ok(dir)
}

/// `<repository's last part>-<tag>.<extension>` (`nginx-1.27.cdx.json`), with only characters
/// safe in a file name; an untagged image is named by its short ID.
pub fn file_name(image: &ImageSummary, extension: &str) -> String {
    let repository = image
        .repository
        .as_deref()
        .and_then(|r| r.rsplit('/').next())
        .unwrap_or("image");
    let tag = image
        .tag
        .clone()
        .unwrap_or_else(|| image.id.short().to_owned());
    let safe = |s: &str| -> String {
        s.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                    c
                } else {
                    '_'
                }
            })
            .collect::<String>()
            .trim_start_matches('.')
            .to_owned()
    };
    format!("{}-{}.{extension}", safe(repository), safe(&tag))
}

/// A path `what` may be written to: absolute, without `..`, naming a file (not an existing
/// directory) in a directory that exists.
pub fn check_target(path: &Path, what: &str) -> Result<(), IpcError> {
    let invalid = |why: &str| {
        IpcError::new(
            IpcErrorCode::InvalidInput,
            format!("cannot write {what} to `{}`: {why}", path.display()),
        )
    };
    if !path.is_absolute() {
        return Err(invalid("the path must be absolute"));
    }
    if path.components().any(|c| c == Component::ParentDir) {
        return Err(invalid("the path must not contain `..`"));
    }
    if path.file_name().is_none() {
        return Err(invalid("the path must name a file"));
    }
    if path.is_dir() {
        return Err(invalid("it is a directory"));
    }
    match path.parent() {
        Some(parent) if parent.is_dir() => Ok(()),
        _ => Err(invalid("its directory does not exist")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_must_be_absolute_files_in_existing_directories() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().to_path_buf();
        assert!(check_target(&dir.join("x.cdx.json"), "the SBOM").is_ok());
        let relative = check_target(Path::new("x.cdx.json"), "the SBOM").unwrap_err();
        assert_eq!(relative.code, IpcErrorCode::InvalidInput);
        assert!(
            relative.message.starts_with("cannot write the SBOM to"),
            "{}",
            relative.message
        );
        assert!(
            relative.message.contains("absolute"),
            "{}",
            relative.message
        );
        let missing = check_target(&dir.join("nope").join("x.json"), "the SBOM").unwrap_err();
        assert!(
            missing.message.contains("does not exist"),
            "{}",
            missing.message
        );
        let directory = check_target(&dir, "the SBOM").unwrap_err();
        assert!(
            directory.message.contains("directory"),
            "{}",
            directory.message
        );
        let climbing = check_target(&dir.join("..").join("x.json"), "the SBOM").unwrap_err();
        assert!(climbing.message.contains(".."), "{}", climbing.message);
        assert!(check_target(Path::new("/"), "the SBOM").is_err());
    }

    #[test]
    fn file_names_come_from_the_repository_and_tag() {
        let digest = |c: char| -> porthole_engine::Digest {
            format!("sha256:{}", c.to_string().repeat(64))
                .parse()
                .unwrap()
        };
        let mut image = ImageSummary {
            reference: Some("docker.io/library/nginx:1.27".into()),
            repository: Some("docker.io/library/nginx".into()),
            tag: Some("1.27".into()),
            digest: digest('a'),
            id: digest('b'),
            created: None,
            size: 0,
            platform: None,
            index_digest: None,
            media_type: "application/vnd.oci.image.manifest.v1+json".into(),
            problem: None,
        };
        assert_eq!(file_name(&image, "cdx.json"), "nginx-1.27.cdx.json");
        assert_eq!(file_name(&image, "spdx.json"), "nginx-1.27.spdx.json");
        image.repository = None;
        image.tag = None;
        assert_eq!(
            file_name(&image, "spdx.json"),
            "image-bbbbbbbbbbbb.spdx.json"
        );
        image.repository = Some("ghcr.io/o/../x y".into());
        image.tag = Some("..v1".into());
        assert_eq!(file_name(&image, "cdx.json"), "x_y-v1.cdx.json");
    }
}
