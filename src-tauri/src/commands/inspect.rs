//! The image details page: build steps, the merged filesystem, the run config and the
//! packages. The first look at an image indexes its layers (decompressing them), so
//! everything here runs on blocking threads, and the indexed image is kept for the page's
//! next questions.

use std::sync::Arc;

use tauri::Manager;

use porthole_engine::layers::{FileScope, ImageLayers};
use porthole_engine::run_config::RunConfig as EngineRunConfig;
use porthole_engine::store::{ImageSummary, Store};

use crate::AppState;
use crate::ipc::{
    FilePage, FileRow, ImageDetails, IpcError, IpcErrorCode, LayerRow, PackagesAnswer, RunConfig,
};

/// How many indexed images are kept in memory.
const KEPT_IMAGES: usize = 4;
/// The most file search results sent.
const MAX_FILE_MATCHES: usize = 500;
/// The most entries of a directory sent at once: the Files tab asks for the pages that
/// scroll into view, never for a whole directory of 100,000 files.
const MAX_FILE_PAGE: u32 = 2000;

pub(crate) async fn blocking<T: Send + 'static>(
    what: &str,
    work: impl FnOnce() -> Result<T, IpcError> + Send + 'static,
) -> Result<T, IpcError> {
    tauri::async_runtime::spawn_blocking(work)
        .await
        .map_err(|error| IpcError::internal(format!("{what} stopped: {error}")))?
}

/// The indexed image with manifest digest `digest`, if it was looked at recently.
fn kept_layers(state: &AppState, digest: &str) -> Option<Arc<ImageLayers>> {
    state
        .layers
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .iter()
        .find(|(d, _)| d == digest)
        .map(|(_, layers)| layers.clone())
}

/// The image with manifest digest `digest`, its layers indexed (from memory when recent).
/// The details page asks for the details and the packages at once: the second caller waits
/// for the first one's indexing rather than decompressing the same layers again.
pub(crate) fn layers_of(
    state: &AppState,
    store: &Store,
    digest: &str,
) -> Result<Arc<ImageLayers>, IpcError> {
    if let Some(layers) = kept_layers(state, digest) {
        return Ok(layers);
    }
    let gate = state
        .loading
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .entry(digest.to_owned())
        .or_default()
        .clone();
    let _loading = gate.lock().unwrap_or_else(|e| e.into_inner());
    let loaded = kept_layers(state, digest).map_or_else(|| load_layers(state, store, digest), Ok);
    state
        .loading
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .remove(digest);
    loaded
}

/// The store's summary of the image whose manifest digest is `digest`.
pub(crate) fn image_of(store: &Store, digest: &str) -> Result<ImageSummary, IpcError> {
    images_of(store, [digest]).map(|[image]| image)
}

/// The store's summaries of the images whose manifest digests are `digests`, from one
/// listing of the store.
pub(crate) fn images_of<const N: usize>(
    store: &Store,
    digests: [&str; N],
) -> Result<[ImageSummary; N], IpcError> {
    let images = store.images()?;
    let mut found = Vec::with_capacity(N);
    for digest in digests {
        let image = images
            .iter()
            .find(|i| i.digest.to_string() == digest)
            .ok_or_else(|| {
                IpcError::new(
                    IpcErrorCode::NotFound,
                    format!("image {digest} is not in the store any more; refresh the list"),
                )
            })?;
        found.push(image.clone());
    }
    found
        .try_into()
        .map_err(|_| IpcError::internal("one summary per digest"))
}

fn load_layers(
    state: &AppState,
    store: &Store,
    digest: &str,
) -> Result<Arc<ImageLayers>, IpcError> {
    let image = image_of(store, digest)?;
    let layers = Arc::new(ImageLayers::load(store, &image)?);
    let mut kept = state.layers.lock().unwrap_or_else(|e| e.into_inner());
    kept.retain(|(d, _)| d != digest);
    kept.insert(0, (digest.to_owned(), layers.clone()));
    kept.truncate(KEPT_IMAGES);
    Ok(layers)
}

pub(crate) fn open_store(state: &AppState) -> Result<Store, IpcError> {
    Ok(Store::open(state.store_root.clone())?)
}

/// The build steps and run config of the image whose manifest digest is `digest`.
#[tauri::command]
pub async fn image_details(
    app: tauri::AppHandle,
    digest: String,
) -> Result<ImageDetails, IpcError> {
    blocking("reading the image's layers", move || {
        let state = app.state::<AppState>();
        let store = open_store(&state)?;
        let layers = layers_of(&state, &store, &digest)?;
        let image = store
            .images()?
            .into_iter()
            .find(|i| i.digest.to_string() == digest);
        let config = match image {
            Some(image) => RunConfig::from(EngineRunConfig::of(&store, &image)?),
            None => RunConfig::default(),
        };
        Ok(ImageDetails {
            steps: layers.steps().into_iter().map(LayerRow::from).collect(),
            config,
            file_count: layers.file_count() as u64,
        })
    })
    .await
}

/// What a Files tab listing covers: the final filesystem (`steps` empty), or what those
/// build steps changed.
fn scope(steps: &[usize]) -> FileScope<'_> {
    if steps.is_empty() {
        FileScope::Image
    } else {
        FileScope::Steps(steps)
    }
}

fn step_indexes(steps: &[u32]) -> Vec<usize> {
    steps.iter().map(|&s| s as usize).collect()
}

/// Up to `limit` entries (at most 2,000) from position `offset` of those directly inside
/// directory `path`: of the image's final filesystem when `steps` is empty, otherwise of
/// what those build steps changed (with the directories that lead to their changes).
#[tauri::command]
pub async fn image_files(
    app: tauri::AppHandle,
    digest: String,
    path: String,
    steps: Vec<u32>,
    offset: u32,
    limit: u32,
) -> Result<FilePage, IpcError> {
    blocking("listing the image's files", move || {
        let state = app.state::<AppState>();
        let layers = layers_of(&state, &open_store(&state)?, &digest)?;
        let steps = step_indexes(&steps);
        let listing = layers.list_dir(
            scope(&steps),
            &path,
            offset as usize,
            limit.min(MAX_FILE_PAGE) as usize,
        )?;
        Ok(FilePage::from(listing))
    })
    .await
}

/// Paths whose name contains `needle` (at most 500): of the image's final filesystem when
/// `steps` is empty, otherwise among what those build steps changed.
#[tauri::command]
pub async fn search_image_files(
    app: tauri::AppHandle,
    digest: String,
    needle: String,
    steps: Vec<u32>,
) -> Result<Vec<FileRow>, IpcError> {
    blocking("searching the image's files", move || {
        let state = app.state::<AppState>();
        let layers = layers_of(&state, &open_store(&state)?, &digest)?;
        let steps = step_indexes(&steps);
        Ok(layers
            .search_in(scope(&steps), needle.trim(), MAX_FILE_MATCHES)?
            .into_iter()
            .map(FileRow::from)
            .collect())
    })
    .await
}

/// The OS and packages of the image whose manifest digest is `digest`, each package with the
/// build step that introduced it.
#[tauri::command]
pub async fn image_packages(
    app: tauri::AppHandle,
    digest: String,
) -> Result<PackagesAnswer, IpcError> {
    blocking("finding the image's packages", move || {
        let state = app.state::<AppState>();
        let layers = layers_of(&state, &open_store(&state)?, &digest)?;
        Ok(PackagesAnswer::from(layers.packages()))
    })
    .await
}
