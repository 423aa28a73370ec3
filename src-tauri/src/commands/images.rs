//! The Images page: what is in the local store, and removing images from it.

use std::collections::BTreeSet;

use tauri::{AppHandle, Emitter, State};

use porthole_engine::Digest;
use porthole_engine::store::{ImageSummary, Store};
use porthole_engine::vulns::load_summary;

use crate::ipc::{ImageRow, IpcError, IpcErrorCode, RemoveAnswer, RemoveFailure, StoreUsage};
use crate::{AppState, STORE_CHANGED};

/// More images than anyone selects on one page: a longer list is a bug, not a request.
pub const MAX_REMOVE: usize = 1000;

/// Every image in the local store, each with the counts of its last vulnerability scan when
/// one was kept. Reading the store walks files, so it runs on a blocking thread, never on
/// the async executor.
#[tauri::command]
pub async fn list_images(state: State<'_, AppState>) -> Result<Vec<ImageRow>, IpcError> {
    let root = state.store_root.clone();
    tauri::async_runtime::spawn_blocking(move || {
        let store = Store::open(root)?;
        Ok(rows_of(&store, store.images()?))
    })
    .await
    .map_err(|error| IpcError::internal(format!("listing the images stopped: {error}")))?
}

/// The Images list's rows of `images`, with their kept scan summaries (a missing or damaged
/// summary is "not scanned").
pub fn rows_of(store: &Store, images: Vec<ImageSummary>) -> Vec<ImageRow> {
    images
        .into_iter()
        .map(|image| {
            let vulns = load_summary(store.root(), &image.digest).map(Into::into);
            ImageRow {
                vulns,
                ..ImageRow::from(image)
            }
        })
        .collect()
}

/// What garbage collection would free now (blobs no image uses), for the page's summary.
/// Reads the store only; deletes nothing.
#[tauri::command]
pub async fn store_usage(state: State<'_, AppState>) -> Result<StoreUsage, IpcError> {
    let root = state.store_root.clone();
    let estimate = tauri::async_runtime::spawn_blocking(move || Store::open(root)?.gc_estimate())
        .await
        .map_err(|error| IpcError::internal(format!("measuring the store stopped: {error}")))??;
    Ok(StoreUsage {
        reclaimable_bytes: estimate.bytes,
        reclaimable_blobs: u32::try_from(estimate.blobs).unwrap_or(u32::MAX),
    })
}

/// Removes the images whose manifest digests are `digests` (every tag of each), as
/// `porthole rm <digest>` does; their blobs stay until garbage collection. The whole call
/// fails only when the request itself is wrong; an image that cannot be removed is listed
/// in `failed` with its reason, and the rest are still removed.
#[tauri::command]
pub async fn remove_images(
    app: AppHandle,
    state: State<'_, AppState>,
    digests: Vec<String>,
) -> Result<RemoveAnswer, IpcError> {
    let digests = parse_digests(&digests)?;
    let root = state.store_root.clone();
    let answer = tauri::async_runtime::spawn_blocking(move || {
        Ok::<_, IpcError>(remove_from(&Store::open(root)?, &digests))
    })
    .await
    .map_err(|error| IpcError::internal(format!("removing the images stopped: {error}")))??;
    if !answer.removed.is_empty() {
        // Every window's Images page refreshes, this one's included.
        let _ = app.emit(STORE_CHANGED, ());
    }
    Ok(answer)
}

/// The distinct manifest digests of the request, in order, or why the request is wrong.
pub fn parse_digests(digests: &[String]) -> Result<Vec<Digest>, IpcError> {
    if digests.is_empty() {
        return Err(IpcError::new(
            IpcErrorCode::InvalidInput,
            "No images were chosen to remove.",
        ));
    }
    if digests.len() > MAX_REMOVE {
        return Err(IpcError::new(
            IpcErrorCode::InvalidInput,
            format!(
                "{} images were asked to be removed at once; at most {MAX_REMOVE} can be.",
                digests.len()
            ),
        ));
    }
    let mut seen = BTreeSet::new();
    let mut parsed = Vec::new();
    for text in digests {
        let digest: Digest = text.parse().map_err(|error| {
            IpcError::new(
                IpcErrorCode::InvalidInput,
                format!("`{text}` is not an image digest (sha256:<64 hex>): {error}"),
            )
        })?;
        if seen.insert(digest.to_string()) {
            parsed.push(digest);
        }
    }
    Ok(parsed)
}

/// Removes each image from `store`, one at a time, noting what failed.
pub fn remove_from(store: &Store, digests: &[Digest]) -> RemoveAnswer {
    let mut answer = RemoveAnswer::default();
    for digest in digests {
        match store.remove(&digest.to_string()) {
            Ok(removed) => answer
                .removed
                .extend(removed.into_iter().map(ImageRow::from)),
            Err(error) => answer.failed.push(RemoveFailure {
                digest: digest.to_string(),
                error: error.into(),
            }),
        }
    }
    answer
}

#[cfg(test)]
mod tests {
    use super::*;

    fn digest(c: char) -> String {
        format!("sha256:{}", c.to_string().repeat(64))
    }

    #[test]
    fn an_empty_request_is_invalid() {
        let error = parse_digests(&[]).unwrap_err();
        assert_eq!(error.code, IpcErrorCode::InvalidInput);
    }

    #[test]
    fn names_and_malformed_digests_are_refused_before_anything_is_removed() {
        for bad in [
            "nginx:latest",
            "",
            "sha256:abc",
            "sha512:aaaa",
            &format!("sha256:{}", "A".repeat(64)),
            &format!("sha256:{}/../x", "a".repeat(64)),
        ] {
            let error = parse_digests(&[digest('a'), bad.to_owned()]).unwrap_err();
            assert_eq!(error.code, IpcErrorCode::InvalidInput, "{bad:?}");
            assert!(error.message.contains(bad), "{}", error.message);
        }
    }

    #[test]
    fn too_many_digests_are_refused() {
        let many = vec![digest('a'); MAX_REMOVE + 1];
        assert_eq!(
            parse_digests(&many).unwrap_err().code,
            IpcErrorCode::InvalidInput
        );
        assert_eq!(parse_digests(&many[..MAX_REMOVE]).unwrap().len(), 1);
    }

    #[test]
    fn duplicates_are_removed_once_in_order() {
        let parsed = parse_digests(&[digest('b'), digest('a'), digest('b')]).unwrap();
        let texts: Vec<String> = parsed.iter().map(ToString::to_string).collect();
        assert_eq!(texts, [digest('b'), digest('a')]);
    }

    #[test]
    fn rows_carry_the_kept_scan_counts_when_there_are_some() {
        use porthole_engine::vulns::time::Timestamp;
        use porthole_engine::vulns::{ScanSummary, SeverityCounts, SourceKind, save_summary};
        let root = std::env::temp_dir().join(format!(
            "porthole-app-rows-test-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        let store = Store::open(&root).unwrap();
        let image = |seed: &[u8]| ImageSummary {
            reference: Some("docker.io/library/nginx:latest".into()),
            repository: Some("docker.io/library/nginx".into()),
            tag: Some("latest".into()),
            digest: Digest::of(seed),
            id: Digest::of(b"config"),
            created: None,
            size: 1,
            platform: None,
            index_digest: None,
            media_type: "application/vnd.oci.image.manifest.v1+json".into(),
            problem: None,
        };
        let mut counts = SeverityCounts::default();
        counts.add(porthole_engine::vulns::Severity::Critical);
        let summary = ScanSummary {
            counts,
            source: SourceKind::Offline,
            imported_at: Some(Timestamp(1_714_564_800)),
            scanned_at: Timestamp(1_714_600_000),
            packages_scanned: 7,
            packages_covered: 5,
        };
        save_summary(&root, &Digest::of(b"scanned"), &summary).unwrap();
        let rows = rows_of(&store, vec![image(b"scanned"), image(b"never")]);
        let _ = std::fs::remove_dir_all(&root);
        let json = serde_json::to_value(&rows).unwrap();
        assert_eq!(json[0]["vulns"]["counts"]["critical"], 1);
        assert_eq!(json[0]["vulns"]["source"], "offline");
        assert_eq!(json[0]["vulns"]["scannedAt"], "2024-05-01T21:46:40Z");
        assert_eq!(json[0]["vulns"]["packagesScanned"], 7);
        assert_eq!(json[0]["vulns"]["packagesCovered"], 5);
        // Never scanned: no field at all (the TypeScript type has it optional).
        assert!(json[1].get("vulns").is_none(), "{json}");
    }

    #[test]
    fn an_image_not_in_the_store_is_reported_not_fatal() {
        let root = std::env::temp_dir().join(format!(
            "porthole-app-remove-test-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        let store = Store::open(&root).unwrap();
        let wanted = parse_digests(&[digest('c'), digest('d')]).unwrap();
        let answer = remove_from(&store, &wanted);
        let _ = std::fs::remove_dir_all(&root);
        assert!(answer.removed.is_empty());
        assert_eq!(answer.failed.len(), 2);
        assert_eq!(answer.failed[0].digest, digest('c'));
        assert_eq!(answer.failed[0].error.code, IpcErrorCode::NotFound);
    }
}
