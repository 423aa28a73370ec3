//! The Compare tab: the image against another one of the store (`porthole diff`), and on
//! request both scanned for vulnerabilities (`porthole diff --vulns`). Both images' layers
//! come from the page cache of indexed images when recently looked at.

use std::time::SystemTime;

use tauri::{Manager, State};

use porthole_engine::compare::{self, Compared};
use porthole_engine::run_config::RunConfig;
use porthole_engine::vulns::{ImageScan, ScanOptions, SourceMode, VulnError, scan_image};

use super::inspect::{blocking, images_of, layers_of, open_store};
use super::running::Registered;
use crate::AppState;
use crate::ipc::{
    CompareAnswer, FileDiffView, IpcError, IpcErrorCode, ScanMode, VulnCompareAnswer,
};

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
        let [base_image, target_image] = images_of(&store, [&base, &target])?;
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

/// The file at `path` in both images (`porthole diff --file`): a unified diff when both
/// versions are text, else whether their bytes differ.
#[tauri::command]
pub async fn compare_file(
    app: tauri::AppHandle,
    base: String,
    target: String,
    path: String,
) -> Result<FileDiffView, IpcError> {
    blocking("comparing the file", move || {
        let state = app.state::<AppState>();
        let store = open_store(&state)?;
        let base_layers = layers_of(&state, &store, &base)?;
        let target_layers = layers_of(&state, &store, &target)?;
        let diff = compare::diff_content(&store, &base_layers, &target_layers, &path, ("a", "b"))?;
        Ok(FileDiffView::from(&diff))
    })
    .await
}

/// Scans both images for vulnerabilities, as the Vulnerabilities tab scans one (`mode`: the
/// offline database when imported, else the OSV API; both scans' counts are kept for the
/// Images list), and compares their findings: which advisories the target fixes and which
/// it brings. `scan_id` names the run for `cancel_vulnerabilities`.
#[tauri::command]
pub async fn compare_vulnerabilities(
    app: tauri::AppHandle,
    state: State<'_, AppState>,
    scan_id: String,
    base: String,
    target: String,
    mode: ScanMode,
) -> Result<VulnCompareAnswer, IpcError> {
    let network = state.network()?;
    let registered = Registered::start(&state.scans, &scan_id, "scan")?;
    let root = state.store_root.clone();
    let (images, packages) = blocking("finding the images' packages", move || {
        let state = app.state::<AppState>();
        let store = open_store(&state)?;
        let images = images_of(&store, [&base, &target])?;
        let packages = (
            layers_of(&state, &store, &base)?.packages(),
            layers_of(&state, &store, &target)?.packages(),
        );
        Ok((images, packages))
    })
    .await?;
    let options = ScanOptions {
        cancel: registered.token().clone(),
    };
    let scans = async {
        let how = ImageScan {
            config: &network.config,
            store_root: &root,
            mode: SourceMode::from(mode),
            options: &options,
            now: SystemTime::now(),
        };
        let before = scan_image(&packages.0, &images[0].digest, &how).await?;
        let after = scan_image(&packages.1, &images[1].digest, &how).await?;
        Ok::<_, VulnError>((before, after))
    };
    tokio::select! {
        scanned = scans => {
            let (before, after) = scanned.map_err(IpcError::from)?;
            Ok(VulnCompareAnswer::new(compare::diff_vulns(&before, &after), &before, &after))
        }
        () = options.cancel.cancelled() => Err(IpcError::new(
            IpcErrorCode::Cancelled,
            "The vulnerability comparison was cancelled.",
        )),
    }
}
