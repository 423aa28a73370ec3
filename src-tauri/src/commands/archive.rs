//! "Save .tar": the image as one archive for `docker load` or `podman load` (what
//! `porthole save` writes), to the Downloads directory as `<repository>-<tag>.tar` or to a
//! given path ([`Destination`]), replaced whole only once complete.

use std::io::{BufWriter, Write as _};

use tauri::{AppHandle, Manager};
use tokio_util::sync::CancellationToken;

use porthole_engine::store::ArchiveError;

use super::downloads::{Destination, file_name};
use super::inspect::{blocking, image_of, open_store};
use crate::AppState;
use crate::ipc::{ImageArchive, IpcError};

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
        .map_err(|e| match e {
            ArchiveError::Store(e) => IpcError::from(e),
            e => IpcError::internal(format!("cannot write `{}`: {e}", target.display())),
        })?;
        Ok(ImageArchive {
            path: target.display().to_string(),
            bytes: report.bytes,
        })
    })
    .await
}
