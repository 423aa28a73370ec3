//! The Compare tab: the image against another one of the store (`porthole diff`). Both
//! images' layers come from the page cache of indexed images when recently looked at.

use tauri::Manager;

use porthole_engine::compare::{self, Compared};
use porthole_engine::run_config::RunConfig;

use super::inspect::{blocking, image_of, layers_of, open_store};
use crate::AppState;
use crate::ipc::{CompareAnswer, IpcError};

/// What changed from the image `base` to the image `target` (manifest digests): packages,
/// files, run settings and shared layers.
#[tauri::command]
pub async fn compare_images(
    app: tauri::AppHandle,
    base: String,
    target: String,
) -> Result<CompareAnswer, IpcError> {
    blocking("comparing the images", move || {
        let state = app.state::<AppState>();
        let store = open_store(&state)?;
        let (base_image, target_image) = (image_of(&store, &base)?, image_of(&store, &target)?);
        let base_layers = layers_of(&state, &store, &base)?;
        let target_layers = layers_of(&state, &store, &target)?;
        let (base_packages, target_packages) = (base_layers.packages(), target_layers.packages());
        let base_config = RunConfig::of(&store, &base_image)?;
        let target_config = RunConfig::of(&store, &target_image)?;
        let diff = compare::compare(
            Compared {
                image: &base_image,
                layers: &base_layers,
                packages: &base_packages,
                config: &base_config,
            },
            Compared {
                image: &target_image,
                layers: &target_layers,
                packages: &target_packages,
                config: &target_config,
            },
        );
        Ok(CompareAnswer::from(diff))
    })
    .await
}
