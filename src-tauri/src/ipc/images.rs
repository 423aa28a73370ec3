//! The Images page's IPC types beyond the row itself: what a removal did.

use serde::Serialize;
use ts_rs::TS;

use super::{ImageRow, IpcError};

/// What `remove_images` did: the store entries it removed (every tag of each image) and,
/// per image it could not remove, why.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "../ui/src/tauri/bindings/")]
pub struct RemoveAnswer {
    pub removed: Vec<ImageRow>,
    pub failed: Vec<RemoveFailure>,
}

/// One image that could not be removed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "../ui/src/tauri/bindings/")]
pub struct RemoveFailure {
    /// The manifest digest asked for.
    pub digest: String,
    pub error: IpcError,
}

/// What garbage collection (`porthole gc`) would free now: blobs no image uses.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "../ui/src/tauri/bindings/")]
pub struct StoreUsage {
    #[ts(type = "number")]
    pub reclaimable_bytes: u64,
    pub reclaimable_blobs: u32,
}
