//! Export SBOM: the image's packages as a CycloneDX 1.6 or SPDX 2.3 JSON document, written
//! whole (a temporary file beside the target, synced, then renamed over it).
//!
//! The app has no file dialog (that would need a dialog plugin and its permission): the
//! document goes to the person's Downloads directory as `<repository>-<tag>.cdx.json` (or
//! `.spdx.json`), and the page shows where. A `path` may be given instead; it must be
//! absolute, name a file, and its directory must exist.

use std::path::{Component, Path, PathBuf};
use std::time::SystemTime;

use tauri::{AppHandle, Manager};

use porthole_engine::sbom::{SbomFormat, SbomOptions, SbomSubject, Timestamp};
use porthole_engine::store::ImageSummary;

use super::inspect::{blocking, image_of, layers_of, open_store};
use crate::AppState;
use crate::ipc::{IpcError, IpcErrorCode, SbomExport, SbomKind};
use crate::write::write_whole;

/// Writes an SBOM of the image whose manifest digest is `digest` to `path`, else to the
/// Downloads directory; answers with the file written.
#[tauri::command]
pub async fn export_sbom(
    app: AppHandle,
    digest: String,
    format: SbomKind,
    path: Option<String>,
) -> Result<SbomExport, IpcError> {
    let downloads = match &path {
        Some(_) => None,
        None => Some(downloads_dir(&app)?),
    };
    blocking("writing the SBOM", move || {
        let state = app.state::<AppState>();
        let store = open_store(&state)?;
        let image = image_of(&store, &digest)?;
        let target = match (path, downloads) {
            (Some(p), _) => PathBuf::from(p),
            (None, Some(dir)) => dir.join(file_name(&image, format)),
            (None, None) => unreachable!("the Downloads directory is found when no path is"),
        };
        check_target(&target)?;
        let layers = layers_of(&state, &store, &digest)?;
        let packages = layers.packages();
        let count = packages.packages.len();
        let subject = SbomSubject::for_image(&image, &layers, packages);
        let options = SbomOptions::new(
            Timestamp::from_system_time(SystemTime::now()),
            env!("CARGO_PKG_VERSION"),
        );
        let engine_format = match format {
            SbomKind::Cyclonedx => SbomFormat::CycloneDx,
            SbomKind::Spdx => SbomFormat::Spdx,
        };
        write_whole(&target, engine_format.render(&subject, &options).as_bytes())?;
        Ok(SbomExport {
            path: target.display().to_string(),
            packages: u32::try_from(count).unwrap_or(u32::MAX),
        })
    })
    .await
}

/// The person's Downloads directory (XDG's, else `~/Downloads`, made if missing).
fn downloads_dir(app: &AppHandle) -> Result<PathBuf, IpcError> {
    if let Ok(dir) = app.path().download_dir()
        && dir.is_dir()
    {
        return Ok(dir);
    }
    let home = app.path().home_dir().map_err(|e| {
        IpcError::internal(format!(
            "cannot find a Downloads or home directory to write the SBOM to: {e}"
        ))
    })?;
    let dir = home.join("Downloads");
    std::fs::create_dir_all(&dir)
        .map_err(|e| IpcError::internal(format!("cannot create {}: {e}", dir.display())))?;
    Ok(dir)
}

/// `<repository's last part>-<tag>.cdx.json` (or `.spdx.json`), with only characters safe in
/// a file name; an untagged image is named by its short ID.
pub fn file_name(image: &ImageSummary, format: SbomKind) -> String {
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
    let extension = match format {
        SbomKind::Cyclonedx => "cdx.json",
        SbomKind::Spdx => "spdx.json",
    };
    format!("{}-{}.{extension}", safe(repository), safe(&tag))
}

/// A path the SBOM may be written to: absolute, without `..`, naming a file (not an existing
/// directory) in a directory that exists.
pub fn check_target(path: &Path) -> Result<(), IpcError> {
    let invalid = |why: &str| {
        IpcError::new(
            IpcErrorCode::InvalidInput,
            format!("cannot write the SBOM to `{}`: {why}", path.display()),
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
    use std::time::UNIX_EPOCH;

    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "porthole-app-sbom-{name}-{}-{}",
            std::process::id(),
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn targets_must_be_absolute_files_in_existing_directories() {
        let dir = scratch("check");
        assert!(check_target(&dir.join("x.cdx.json")).is_ok());
        let relative = check_target(Path::new("x.cdx.json")).unwrap_err();
        assert_eq!(relative.code, IpcErrorCode::InvalidInput);
        assert!(
            relative.message.contains("absolute"),
            "{}",
            relative.message
        );
        let missing = check_target(&dir.join("nope").join("x.json")).unwrap_err();
        assert!(
            missing.message.contains("does not exist"),
            "{}",
            missing.message
        );
        let directory = check_target(&dir).unwrap_err();
        assert!(
            directory.message.contains("directory"),
            "{}",
            directory.message
        );
        let climbing = check_target(&dir.join("..").join("x.json")).unwrap_err();
        assert!(climbing.message.contains(".."), "{}", climbing.message);
        assert!(check_target(Path::new("/")).is_err());
        std::fs::remove_dir_all(dir).unwrap();
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
        assert_eq!(
            file_name(&image, SbomKind::Cyclonedx),
            "nginx-1.27.cdx.json"
        );
        assert_eq!(file_name(&image, SbomKind::Spdx), "nginx-1.27.spdx.json");
        image.repository = None;
        image.tag = None;
        assert_eq!(
            file_name(&image, SbomKind::Spdx),
            "image-bbbbbbbbbbbb.spdx.json"
        );
        image.repository = Some("ghcr.io/o/../x y".into());
        image.tag = Some("..v1".into());
        assert_eq!(file_name(&image, SbomKind::Cyclonedx), "x_y-v1.cdx.json");
    }
}
