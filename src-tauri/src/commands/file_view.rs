//! The Files tab's file viewer: a file of the image read out of the layer that wrote it
//! (what `porthole cat` prints), shown, or saved whole to the Downloads folder.

use std::path::PathBuf;

use tauri::{AppHandle, Manager};

use porthole_engine::layers::{ImageLayers, read_file};

use super::downloads::{Destination, file_name};
use super::inspect::{blocking, image_of, layers_of, open_store};
use crate::AppState;
use crate::ipc::{FileView, IpcError, SavedFile, VIEW_LIMIT};
use crate::write::{Streamed, write_whole_with};

/// The view of the image in which to read: the final filesystem, or as `step` left it.
fn view_at(layers: &ImageLayers, step: Option<u32>) -> Result<Option<ImageLayers>, IpcError> {
    Ok(match step {
        Some(step) => Some(layers.as_of_step(step as usize)?),
        None => None,
    })
}

/// The first 256 KiB of the file at `path` (symlinks followed inside the image) in the image
/// whose manifest digest is `digest`, as the final filesystem has it or as build step
/// `step` left it; as text, or as a hex dump of its first 4 KiB when it is binary.
#[tauri::command]
pub async fn read_image_file(
    app: AppHandle,
    digest: String,
    path: String,
    step: Option<u32>,
) -> Result<FileView, IpcError> {
    blocking("reading the file", move || {
        let state = app.state::<AppState>();
        let store = open_store(&state)?;
        let layers = layers_of(&state, &store, &digest)?;
        let earlier = view_at(&layers, step)?;
        let view = earlier.as_ref().unwrap_or(&layers);
        let mut bytes = Vec::new();
        let read = read_file(&store, view, &path, &mut bytes, Some(VIEW_LIMIT), &|| false)?;
        Ok(FileView::new(&read, &bytes))
    })
    .await
}

/// Writes the whole file at `path` (as [`read_image_file`] finds it) to the Downloads folder
/// (or to `target`, an absolute path), named `<repository>-<tag>.<file name>`, replacing a
/// file of that name whole. The file is written 0644 whatever its mode in the image.
#[tauri::command]
pub async fn save_image_file(
    app: AppHandle,
    digest: String,
    path: String,
    step: Option<u32>,
    target: Option<String>,
) -> Result<SavedFile, IpcError> {
    const WHAT: &str = "the file";
    let destination = Destination::new(&app, target, WHAT)?;
    blocking("saving the file", move || {
        let state = app.state::<AppState>();
        let store = open_store(&state)?;
        let image = image_of(&store, &digest)?;
        let layers = layers_of(&state, &store, &digest)?;
        let earlier = view_at(&layers, step)?;
        let view = earlier.as_ref().unwrap_or(&layers);
        // Resolve first, so that the name is the file's own and errors come before writing.
        let file = porthole_engine::layers::resolve(view, &path, true)?;
        let base = file.path.rsplit('/').next().unwrap_or("file").to_owned();
        let target: PathBuf = destination.file(|| file_name(&image, &base), WHAT)?;
        let read = write_whole_with(
            &target,
            |out| read_file(&store, view, &path, out, None, &|| false).map_err(Streamed::Source),
            IpcError::from,
        )?;
        Ok(SavedFile {
            path: target.display().to_string(),
            size: read.size,
        })
    })
    .await
}
