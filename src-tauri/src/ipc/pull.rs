//! A pull's IPC types: the progress streamed over its channel and what it answers.

use serde::Serialize;
use ts_rs::TS;

use porthole_engine::pull::{PullEvent, PullReport};

/// One layer of the image being pulled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "../ui/src/tauri/bindings/")]
pub struct PullLayer {
    pub digest: String,
    /// Compressed bytes.
    #[ts(type = "number")]
    pub size: u64,
    pub media_type: String,
}

/// What a running pull reports over its channel (the engine's `PullEvent`, as text).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(
    tag = "event",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
#[ts(export_to = "../ui/src/tauri/bindings/")]
pub enum PullProgress {
    /// The reference resolved to a manifest; these layers will be fetched.
    Resolved {
        reference: String,
        digest: String,
        platform: String,
        layers: Vec<PullLayer>,
    },
    /// The layer is in the store already.
    LayerExists { digest: String },
    /// Bytes of the layer in hand so far.
    LayerProgress {
        digest: String,
        #[ts(type = "number")]
        downloaded: u64,
        #[ts(type = "number")]
        total: u64,
    },
    /// The connection failed; the download resumes.
    LayerRetrying {
        digest: String,
        attempt: u32,
        reason: String,
    },
    /// All bytes arrived; the digest is being checked.
    LayerVerifying { digest: String },
    /// The blob is stored; its file index is being finished.
    LayerIndexing { digest: String },
    /// The layer is in the store.
    LayerDone { digest: String },
    /// The image is in the store under its name.
    Done { id: String },
}

impl PullProgress {
    /// The engine's event as the UI sees it; `None` for an event this app does not know yet.
    pub fn from_event(event: PullEvent) -> Option<PullProgress> {
        Some(match event {
            PullEvent::Resolved {
                reference,
                digest,
                platform,
                layers,
            } => PullProgress::Resolved {
                reference,
                digest: digest.to_string(),
                platform: platform.to_string(),
                layers: layers
                    .into_iter()
                    .map(|l| PullLayer {
                        digest: l.digest.to_string(),
                        size: l.size,
                        media_type: l.media_type,
                    })
                    .collect(),
            },
            PullEvent::LayerExists { digest } => PullProgress::LayerExists {
                digest: digest.to_string(),
            },
            PullEvent::LayerProgress {
                digest,
                downloaded,
                total,
            } => PullProgress::LayerProgress {
                digest: digest.to_string(),
                downloaded,
                total,
            },
            PullEvent::LayerRetrying {
                digest,
                attempt,
                reason,
            } => PullProgress::LayerRetrying {
                digest: digest.to_string(),
                attempt,
                reason,
            },
            PullEvent::LayerVerifying { digest } => PullProgress::LayerVerifying {
                digest: digest.to_string(),
            },
            PullEvent::LayerIndexing { digest } => PullProgress::LayerIndexing {
                digest: digest.to_string(),
            },
            PullEvent::LayerDone { digest } => PullProgress::LayerDone {
                digest: digest.to_string(),
            },
            PullEvent::Done { id } => PullProgress::Done { id: id.to_string() },
            _ => return None,
        })
    }
}

/// What a finished pull answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "../ui/src/tauri/bindings/")]
pub struct PulledImage {
    pub reference: String,
    pub digest: String,
    pub id: String,
    pub platform: String,
    /// Bytes fetched over the network for layers.
    #[ts(type = "number")]
    pub bytes_downloaded: u64,
    /// Bytes of layers that were in the store already.
    #[ts(type = "number")]
    pub bytes_present: u64,
}

impl From<PullReport> for PulledImage {
    fn from(report: PullReport) -> PulledImage {
        PulledImage {
            reference: report.reference,
            digest: report.digest.to_string(),
            id: report.id.to_string(),
            platform: report.platform.to_string(),
            bytes_downloaded: report.bytes_downloaded,
            bytes_present: report.bytes_present,
        }
    }
}
