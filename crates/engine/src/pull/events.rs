//! What a pull reports while it runs: the CLI draws progress bars from these, the app
//! streams them to the UI over a channel.

use serde::Serialize;

use crate::{Digest, Platform};

/// One layer of the image being pulled.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct LayerInfo {
    pub digest: Digest,
    pub size: u64,
    pub media_type: String,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(
    tag = "event",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
#[non_exhaustive]
pub enum PullEvent {
    /// The reference resolved to a manifest; these layers will be fetched.
    Resolved {
        reference: String,
        digest: Digest,
        platform: Platform,
        layers: Vec<LayerInfo>,
    },
    /// The layer is in the store already (shared with another image).
    LayerExists { digest: Digest },
    /// Bytes of the layer in hand so far (including a resumed prefix).
    LayerProgress {
        digest: Digest,
        downloaded: u64,
        total: u64,
    },
    /// The connection failed; the download resumes.
    LayerRetrying {
        digest: Digest,
        attempt: u32,
        reason: String,
    },
    /// All bytes arrived; the digest is being checked and the blob committed.
    LayerVerifying { digest: Digest },
    /// The blob is in the store; its file index is being finished (decompression and the
    /// tar walk ran alongside the download, this waits for their last bytes).
    LayerIndexing { digest: Digest },
    /// The layer is in the store (and indexed, when indexing was asked for).
    LayerDone { digest: Digest },
    /// The image is in the store under its name.
    Done { id: Digest },
}

/// Where pull events go. Called from the pull's tasks: keep it cheap.
pub type Observer<'a> = &'a (dyn Fn(PullEvent) + Send + Sync);
