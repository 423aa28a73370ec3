//! Image archives. "Save .tar": the image as one archive for `docker load` or `podman load`
//! (what `porthole save` writes), to the Downloads directory as `<repository>-<tag>.tar` or
//! to a given path ([`Destination`]), replaced whole only once complete. Loading: the images
//! of an archive dropped on the window (what `porthole load` reads) into the store.

use std::io::{BufWriter, Write as _};
use std::path::{Path, PathBuf};

use tauri::{AppHandle, Manager};
use tokio_util::sync::CancellationToken;

use porthole_engine::store::{ArchiveError, StoreError};

use super::downloads::{Destination, file_name};
use super::inspect::{blocking, image_of, open_store};
use crate::AppState;
use crate::ipc::{ImageArchive, IpcError, IpcErrorCode, LoadAnswer};

/// Writes the image whose manifest digest is `digest` as an archive to `path`, else to the
/// Downloads directory; answers with the file written.
#[tauri::command]
pub async fn save_image(
    app: AppHandle,
    digest: String,
    path: Option<String>,
) -> Result<ImageArchive, IpcError> {
    const WHAT: &str = "the image archive";
    let destination = Destination::new(&app, path, WHAT)?;
    blocking("writing the image archive", move || {
        let state = app.state::<AppState>();
        let store = open_store(&state)?;
        let image = image_of(&store, &digest)?;
        let target = destination.file(|| file_name(&image, "tar"), WHAT)?;
        let cancel = CancellationToken::new();
        let report = porthole_engine::files::write_whole_with(&target, |file| {
            let mut out = BufWriter::with_capacity(1 << 20, file);
            let report = store.write_archive(std::slice::from_ref(&image), &mut out, &cancel)?;
            out.flush()?;
            Ok::<_, ArchiveError>(report)
        })
        .map_err(|e| archive_error(e, "write", &target))?;
        Ok(ImageArchive {
            path: target.display().to_string(),
            bytes: report.bytes,
        })
    })
    .await
}

/// Adds the images of the archive at `path` (absolute: a file dropped on the window) to the
/// store; the Images page then refreshes through the store watch.
#[tauri::command]
pub async fn load_image_archive(app: AppHandle, path: String) -> Result<LoadAnswer, IpcError> {
    let path = PathBuf::from(path);
    let invalid = |why: &str| {
        IpcError::new(
            IpcErrorCode::InvalidInput,
            format!("cannot load `{}`: {why}", path.display()),
        )
    };
    if !path.is_absolute() {
        return Err(invalid("the path must be absolute"));
    }
    if !path.is_file() {
        return Err(invalid("it is not a file"));
    }
    blocking("loading the image archive", move || {
        let state = app.state::<AppState>();
        let store = open_store(&state)?;
        let file = std::fs::File::open(&path)
            .map_err(|e| IpcError::internal(format!("cannot read `{}`: {e}", path.display())))?;
        let report = store
            .load_archive(file, &CancellationToken::new())
            .map_err(|e| archive_error(e, "load", &path))?;
        Ok(LoadAnswer {
            images: report
                .images
                .iter()
                .flat_map(|i| {
                    if i.references.is_empty() {
                        vec![i.id.to_string()]
                    } else {
                        i.references.clone()
                    }
                })
                .collect(),
            bytes: report.bytes,
        })
    })
    .await
}

/// An archive that could not be written or read, as the UI gets it: a file that is not an
/// image archive is the person's input; the store's own failures keep their codes.
fn archive_error(error: ArchiveError, action: &str, path: &Path) -> IpcError {
    match error {
        ArchiveError::Store(e @ StoreError::InvalidImage { .. }) => IpcError::new(
            IpcErrorCode::InvalidInput,
            format!("cannot {action} `{}`: {e}", path.display()),
        ),
        ArchiveError::Store(e) => IpcError::from(e),
        e => IpcError::internal(format!("cannot {action} `{}`: {e}", path.display())),
    }
}
