//! An image's build steps: the config's `history`, matched with the manifest's layers as
//! `docker history` does (each entry without `empty_layer` owns the next layer).

use serde::Deserialize;

use super::LayerError;
use crate::digest::Digest;
use crate::store::{MAX_MANIFEST_SIZE, Store};

/// Image configs are a few KiB; some with long histories reach a few MiB.
const MAX_CONFIG_SIZE: u64 = 32 << 20;

/// One layer as the manifest lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LayerRef {
    pub digest: Digest,
    pub media_type: String,
    /// Compressed size, as the manifest says.
    pub size: u64,
}

/// One entry of the config's `history`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct HistoryEntry {
    #[serde(default)]
    pub created: Option<String>,
    #[serde(default)]
    pub created_by: Option<String>,
    #[serde(default)]
    pub comment: Option<String>,
    #[serde(default)]
    pub author: Option<String>,
    #[serde(default)]
    pub empty_layer: Option<bool>,
}

/// A build step: its history entry (if the config has one for it) and its layer (unless
/// the step changed no files).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Step {
    pub history: Option<HistoryEntry>,
    /// Position in the manifest's layers.
    pub layer: Option<usize>,
}

/// What the manifest and config of an image say about its layers.
#[derive(Clone, Debug)]
pub(crate) struct Plan {
    pub layers: Vec<LayerRef>,
    pub diff_ids: Vec<Digest>,
    pub steps: Vec<Step>,
}

#[derive(Deserialize)]
struct RawDescriptor {
    #[serde(default, rename = "mediaType")]
    media_type: String,
    digest: String,
    #[serde(default)]
    size: u64,
}

#[derive(Deserialize)]
struct RawManifest {
    config: RawDescriptor,
    #[serde(default)]
    layers: Vec<RawDescriptor>,
}

#[derive(Deserialize, Default)]
struct RawRootfs {
    #[serde(default)]
    diff_ids: Vec<String>,
}

#[derive(Deserialize)]
struct RawConfig {
    #[serde(default)]
    rootfs: RawRootfs,
    #[serde(default)]
    history: Vec<HistoryEntry>,
}

/// Reads the manifest `manifest` and its config from the store.
pub(crate) fn plan(store: &Store, manifest: &Digest) -> Result<Plan, LayerError> {
    let bad = |what: &'static str, digest: &Digest, reason: String| LayerError::BadImage {
        what,
        digest: digest.clone(),
        reason,
    };
    let bytes = store.read_blob(manifest, MAX_MANIFEST_SIZE)?;
    let m: RawManifest = serde_json::from_slice(&bytes).map_err(|e| {
        bad(
            "manifest",
            manifest,
            format!("it is not an image manifest: {e}"),
        )
    })?;
    let config: Digest = m
        .config
        .digest
        .parse()
        .map_err(|e| bad("manifest", manifest, format!("its config digest: {e}")))?;
    let layers = m
        .layers
        .into_iter()
        .map(|l| {
            Ok(LayerRef {
                digest: l
                    .digest
                    .parse()
                    .map_err(|e| bad("manifest", manifest, format!("a layer digest: {e}")))?,
                media_type: l.media_type,
                size: l.size,
            })
        })
        .collect::<Result<Vec<_>, LayerError>>()?;
    let bytes = store.read_blob(&config, MAX_CONFIG_SIZE)?;
    let c: RawConfig = serde_json::from_slice(&bytes)
        .map_err(|e| bad("config", &config, format!("it is not an image config: {e}")))?;
    let diff_ids = c
        .rootfs
        .diff_ids
        .iter()
        .map(|d| d.parse())
        .collect::<Result<Vec<Digest>, _>>()
        .map_err(|e| bad("config", &config, format!("a diff_id: {e}")))?;
    if diff_ids.len() != layers.len() {
        return Err(LayerError::LayerCountMismatch {
            manifest: manifest.clone(),
            layers: layers.len(),
            diff_ids: diff_ids.len(),
        });
    }
    let steps = steps(c.history, layers.len());
    Ok(Plan {
        layers,
        diff_ids,
        steps,
    })
}

/// Matches history entries with layers. Layers the history does not account for get a
/// step without history at the end; history entries past the last layer keep no layer.
pub(crate) fn steps(history: Vec<HistoryEntry>, layers: usize) -> Vec<Step> {
    let mut next_layer = 0;
    let mut steps: Vec<Step> = history
        .into_iter()
        .map(|h| {
            let layer = if h.empty_layer.unwrap_or(false) || next_layer >= layers {
                None
            } else {
                next_layer += 1;
                Some(next_layer - 1)
            };
            Step {
                history: Some(h),
                layer,
            }
        })
        .collect();
    steps.extend((next_layer..layers).map(|layer| Step {
        history: None,
        layer: Some(layer),
    }));
    steps
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(created_by: &str, empty: bool) -> HistoryEntry {
        HistoryEntry {
            created_by: Some(created_by.into()),
            empty_layer: empty.then_some(true),
            ..HistoryEntry::default()
        }
    }

    #[test]
    fn empty_steps_own_no_layer() {
        let s = steps(
            vec![
                entry("ADD rootfs", false),
                entry("ENV A=b", true),
                entry("RUN apt-get", false),
                entry("CMD sh", true),
            ],
            2,
        );
        let layers: Vec<Option<usize>> = s.iter().map(|s| s.layer).collect();
        assert_eq!(layers, [Some(0), None, Some(1), None]);
    }

    #[test]
    fn layers_without_history_still_get_a_step() {
        let s = steps(vec![entry("ADD rootfs", false)], 3);
        let layers: Vec<Option<usize>> = s.iter().map(|s| s.layer).collect();
        assert_eq!(layers, [Some(0), Some(1), Some(2)]);
        assert!(s[2].history.is_none());
        let s = steps(vec![entry("a", false), entry("b", false)], 1);
        assert_eq!(s[1].layer, None);
    }
}
