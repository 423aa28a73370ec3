//! Scanning an image of the store: the one call the CLI (`porthole vulns`) and the app's
//! Vulnerabilities tab both make, so that every finished scan records its
//! [`ScanSummary`](super::summary::ScanSummary) for the Images list, and both compare the
//! image with the newer images of its repository the same way.

use std::path::Path;
use std::time::SystemTime;

use super::VulnError;
use super::newer::{NewerImage, newer_images};
use super::report::ScanReport;
use super::scan::{ScanOptions, scan};
use super::source::{Source, SourceMode};
use super::summary::{ScanSummary, save_summary};
use crate::Digest;
use crate::config::Config;
use crate::layers::ImageLayers;
use crate::packages::ImagePackages;
use crate::store::{ImageSummary, Store};

/// How many newer images of the same repository are scanned for comparison.
pub const MAX_NEWER: usize = 3;

/// How [`scan_image`] and [`compare_newer`] run: the advisory source, the store and "now".
#[derive(Clone, Debug)]
pub struct ImageScan<'a> {
    pub config: &'a Config,
    pub store_root: &'a Path,
    pub mode: SourceMode,
    pub options: &'a ScanOptions,
    /// When the scan finishes, as the summary records it (passed in for tests).
    pub now: SystemTime,
}

impl ImageScan<'_> {
    fn source(&self) -> Result<Source, VulnError> {
        Source::from_config(self.config, self.store_root, self.mode)
    }
}

/// Scans `found` (the packages of the image whose manifest digest is `manifest`) and
/// records the summary of the result in the store. A summary that cannot be written is
/// named in the report's warnings; the scan's result stands.
pub async fn scan_image(
    found: &ImagePackages,
    manifest: &Digest,
    how: &ImageScan<'_>,
) -> Result<ScanReport, VulnError> {
    let source = how.source()?;
    scan_recorded(found, manifest, &source, how).await
}

async fn scan_recorded(
    found: &ImagePackages,
    manifest: &Digest,
    source: &Source,
    how: &ImageScan<'_>,
) -> Result<ScanReport, VulnError> {
    let mut report = scan(&found.packages, found.os.as_ref(), source, how.options).await?;
    let summary = ScanSummary::of(&report, how.now);
    let (root, manifest) = (how.store_root.to_path_buf(), manifest.clone());
    let saved = tokio::task::spawn_blocking(move || save_summary(&root, &manifest, &summary))
        .await
        .unwrap_or_else(|e| {
            Err(VulnError::io(
                "record the scan summary",
                "porthole-cache/vulns",
            )(std::io::Error::other(e)))
        });
    if let Err(e) = saved {
        tracing::warn!("{e}");
        report.warnings.push(format!(
            "the counts of this scan could not be kept for the Images list: {e}"
        ));
    }
    Ok(report)
}

/// Would a newer image of the same repository be better? Scans up to [`MAX_NEWER`] images
/// of `image`'s repository in `store` created after it (only what the store holds: nothing
/// is pulled) and fills `report.newer_images`, newest first. An image that cannot be read
/// or scanned is named in the warnings; only cancellation fails the call.
pub async fn compare_newer(
    store: &Store,
    image: &ImageSummary,
    report: &mut ScanReport,
    how: &ImageScan<'_>,
) -> Result<(), VulnError> {
    let found = {
        let (store, image) = (store.clone(), image.clone());
        tokio::task::spawn_blocking(move || newer_images(&store, &image, MAX_NEWER)).await
    };
    let newer = match found {
        Ok(Ok(newer)) => newer,
        Ok(Err(e)) => {
            report
                .warnings
                .push(format!("cannot look for newer images in the store: {e}"));
            return Ok(());
        }
        Err(e) => {
            report
                .warnings
                .push(format!("looking for newer images stopped: {e}"));
            return Ok(());
        }
    };
    if newer.is_empty() {
        return Ok(());
    }
    let source = how.source()?;
    for other in newer {
        if how.options.cancel.is_cancelled() {
            return Err(VulnError::Cancelled);
        }
        let name = other
            .reference
            .clone()
            .unwrap_or_else(|| other.digest.to_string());
        let packages = {
            let (store, summary) = (store.clone(), other.clone());
            tokio::task::spawn_blocking(move || {
                ImageLayers::load(&store, &summary).map(|layers| layers.packages())
            })
            .await
        };
        let packages = match packages {
            Ok(Ok(packages)) => packages,
            Ok(Err(e)) => {
                report
                    .warnings
                    .push(format!("cannot compare with the newer image {name}: {e}"));
                continue;
            }
            Err(e) => {
                report
                    .warnings
                    .push(format!("reading the newer image {name} stopped: {e}"));
                continue;
            }
        };
        match scan_recorded(&packages, &other.digest, &source, how).await {
            Ok(theirs) => report
                .newer_images
                .push(NewerImage::compare(&other, &theirs, report)),
            Err(VulnError::Cancelled) => return Err(VulnError::Cancelled),
            Err(e) => report
                .warnings
                .push(format!("cannot compare with the newer image {name}: {e}")),
        }
    }
    Ok(())
}

/// [`scan_image`], then [`compare_newer`] on its report: the whole scan of `image` (whose
/// packages are `found`) that the CLI's `porthole vulns` and the app's Vulnerabilities tab ask
/// for.
pub async fn scan_and_compare(
    store: &Store,
    image: &ImageSummary,
    found: &ImagePackages,
    how: &ImageScan<'_>,
) -> Result<ScanReport, VulnError> {
    let mut report = scan_image(found, &image.digest, how).await?;
    compare_newer(store, image, &mut report, how).await?;
    Ok(report)
}

/// Does not run: it compiles only while the futures are `Send` (the app awaits them in
/// async commands).
#[cfg(test)]
#[allow(dead_code)]
fn futures_are_send(
    found: ImagePackages,
    config: Config,
    store: Store,
    image: ImageSummary,
) -> tokio::task::JoinHandle<Result<ScanReport, VulnError>> {
    tokio::spawn(async move {
        let options = ScanOptions::default();
        let root = store.root().to_path_buf();
        let how = ImageScan {
            config: &config,
            store_root: &root,
            mode: SourceMode::Auto,
            options: &options,
            now: SystemTime::now(),
        };
        // Holds the futures of `scan_image` and `compare_newer`: Send only if they are.
        scan_and_compare(&store, &image, &found, &how).await
    })
}
