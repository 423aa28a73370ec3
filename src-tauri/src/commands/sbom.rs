//! Export SBOM: the image's packages as a CycloneDX 1.6 or SPDX 2.3 JSON document, written
//! whole (a temporary file beside the target, synced, then renamed over it) to the Downloads
//! directory as `<repository>-<tag>.cdx.json` (or `.spdx.json`), or to a given path
//! ([`Destination`]).

use std::time::SystemTime;

use tauri::{AppHandle, Manager};

use porthole_engine::sbom::{SbomFormat, SbomOptions, SbomSubject, Timestamp};

use super::downloads::{Destination, file_name};
use super::inspect::{blocking, image_of, layers_of, open_store};
use crate::AppState;
use crate::ipc::{IpcError, SbomExport, SbomKind};
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
    const WHAT: &str = "the SBOM";
    let destination = Destination::new(&app, path, WHAT)?;
    blocking("writing the SBOM", move || {
        let state = app.state::<AppState>();
        let store = open_store(&state)?;
        let image = image_of(&store, &digest)?;
        let extension = match format {
            SbomKind::Cyclonedx => "cdx.json",
            SbomKind::Spdx => "spdx.json",
        };
        let target = destination.file(|| file_name(&image, extension), WHAT)?;
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
