//! The Vulnerabilities tab: an image's packages checked against OSV advisories, from the
//! offline database or the OSV API, and compared with the newer images of its repository in
//! the store. The engine keeps each scan's counts for the Images list. An online scan can
//! take seconds: the UI names each scan and cancels it when the page closes.

use std::time::SystemTime;

use tauri::ipc::Channel;
use tauri::{AppHandle, Manager, State};

use porthole_engine::Digest;
use porthole_engine::layers::ImageLayers;
use porthole_engine::store::Store;
use porthole_engine::vulns::{
    ImageScan, ScanOptions, SourceMode, VulnDb, VulnError, load_summary, scan_and_compare,
    scan_image,
};

use super::inspect::{blocking, image_of, layers_of, open_store};
use super::running::{self, Registered};
use crate::AppState;
use crate::ipc::{IpcError, IpcErrorCode, ScanMode, VulnCounts, VulnsAnswer};

/// More images than a store lists on one page: a longer request is a bug.
pub const MAX_FILL: usize = 500;

/// Checks the packages of the image whose manifest digest is `digest` against advisories.
/// `scan_id` is the caller's name for this scan, to cancel it with
/// [`cancel_vulnerabilities`].
#[tauri::command]
pub async fn image_vulnerabilities(
    app: AppHandle,
    state: State<'_, AppState>,
    scan_id: String,
    digest: String,
    mode: ScanMode,
) -> Result<VulnsAnswer, IpcError> {
    let network = state.network()?;
    let registered = Registered::start(&state.scans, &scan_id, "scan")?;
    let root = state.store_root.clone();
    async {
        let (store, image, found) = blocking("finding the image's packages", move || {
            let state = app.state::<AppState>();
            let store = open_store(&state)?;
            let image = image_of(&store, &digest)?;
            let layers = layers_of(&state, &store, &digest)?;
            Ok((store, image, layers.packages()))
        })
        .await?;
        let mode = SourceMode::from(mode);
        let options = ScanOptions {
            cancel: registered.token().clone(),
        };
        // The engine keeps its blocking work (the database, the summary file) off the async
        // threads, and its futures are `Send` (checked by a test in the engine), so they are
        // awaited here.
        let scan = async {
            let how = ImageScan {
                config: &network.config,
                store_root: &root,
                mode,
                options: &options,
                now: SystemTime::now(),
            };
            scan_and_compare(&store, &image, &found, &how).await
        };
        tokio::select! {
            report = scan => report.map(VulnsAnswer::from).map_err(IpcError::from),
            () = options.cancel.cancelled() => Err(IpcError::new(
                IpcErrorCode::Cancelled,
                "The vulnerability scan was cancelled.",
            )),
        }
    }
    .await
}

/// Fills in the counts of images never scanned, with offline scans one at a time (each
/// takes tens of milliseconds once the image's layers are indexed), when the offline
/// database has been imported; without one it does nothing, since asking the OSV API about
/// every image unasked would be a surprise. Each image's counts are kept in the store (as a
/// scan from the tab keeps them) and sent over `on_counts` as they are found; an image that
/// cannot be read or scanned is skipped. `scan_id` names the run for
/// [`cancel_vulnerabilities`]. Answers with how many images were scanned.
#[tauri::command]
pub async fn fill_vulnerability_counts(
    state: State<'_, AppState>,
    scan_id: String,
    digests: Vec<String>,
    on_counts: Channel<VulnCounts>,
) -> Result<u32, IpcError> {
    if digests.len() > MAX_FILL {
        return Err(IpcError::new(
            IpcErrorCode::InvalidInput,
            format!(
                "{} images were asked to be scanned at once; at most {MAX_FILL} can be.",
                digests.len()
            ),
        ));
    }
    let mut wanted: Vec<Digest> = Vec::new();
    for text in &digests {
        let digest: Digest = text.parse().map_err(|error| {
            IpcError::new(
                IpcErrorCode::InvalidInput,
                format!("`{text}` is not an image digest (sha256:<64 hex>): {error}"),
            )
        })?;
        if !wanted.contains(&digest) {
            wanted.push(digest);
        }
    }
    let network = state.network()?;
    let registered = Registered::start(&state.scans, &scan_id, "scan")?;
    let root = state.store_root.clone();
    let options = ScanOptions {
        cancel: registered.token().clone(),
    };
    let how = ImageScan {
        config: &network.config,
        store_root: &root,
        mode: SourceMode::Offline,
        options: &options,
        now: SystemTime::now(),
    };
    fill(&how, wanted, &|counts| {
        // The page may be gone; the counts are kept in the store regardless.
        let _ = on_counts.send(counts);
    })
    .await
}

/// [`fill_vulnerability_counts`] apart from the app state: scans each image of `wanted`
/// without a kept summary, offline, and hands each result to `found`.
pub async fn fill(
    how: &ImageScan<'_>,
    wanted: Vec<Digest>,
    found: &(dyn Fn(VulnCounts) + Send + Sync),
) -> Result<u32, IpcError> {
    let root = how.store_root.to_path_buf();
    let present = {
        let root = root.clone();
        blocking("reading the offline database's status", move || {
            let status = VulnDb::in_store(&root).status()?;
            Ok(status.present && !status.ecosystems.is_empty())
        })
        .await?
    };
    if !present {
        return Ok(0);
    }
    let (store, images) = {
        let root = root.clone();
        blocking("listing the images", move || {
            let store = Store::open(root)?;
            let images = store.images()?;
            Ok((store, images))
        })
        .await?
    };
    let mut scanned = 0;
    for digest in wanted {
        if how.options.cancel.is_cancelled() {
            break;
        }
        let Some(image) = images.iter().find(|i| i.digest == digest).cloned() else {
            continue; // removed meanwhile
        };
        let packages = {
            let store = store.clone();
            blocking("reading an image's packages", move || {
                if load_summary(store.root(), &image.digest).is_some() {
                    return Ok(None); // scanned meanwhile
                }
                Ok(Some(ImageLayers::load(&store, &image)?.packages()))
            })
            .await
        };
        let packages = match packages {
            Ok(Some(packages)) => packages,
            Ok(None) => continue,
            Err(error) => {
                eprintln!("porthole: not counting the vulnerabilities of {digest}: {error}");
                continue;
            }
        };
        let report = tokio::select! {
            report = scan_image(&packages, &digest, how) => report,
            () = how.options.cancel.cancelled() => Err(VulnError::Cancelled),
        };
        match report {
            Ok(report) => {
                scanned += 1;
                let summary = porthole_engine::vulns::ScanSummary::of(&report, how.now);
                found(VulnCounts {
                    digest: digest.to_string(),
                    vulns: summary.into(),
                });
            }
            Err(VulnError::Cancelled) => break,
            Err(error) => {
                eprintln!("porthole: not counting the vulnerabilities of {digest}: {error}")
            }
        }
    }
    Ok(scanned)
}

/// Cancels the running scan `scan_id`; cancelling one that already ended does nothing.
#[tauri::command]
pub fn cancel_vulnerabilities(state: State<'_, AppState>, scan_id: String) {
    running::cancel(&state.scans, &scan_id);
}
