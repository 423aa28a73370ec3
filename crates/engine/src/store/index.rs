//! `index.json`: reading it, and replacing it atomically under the index lock.
//!
//! These are our own serde types rather than oci-spec's `ImageIndex`: other tools write this
//! file too, and every read-modify-write must keep what they put there (fields we do not
//! model, platform details, annotation order), and keep a media type exactly as written.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::layout::{self, INDEX_JSON};
use super::{Store, StoreError, lock};
use crate::digest::Digest;
use crate::platform::Platform;

/// index.json of a store with tens of thousands of images stays far below this.
const MAX_INDEX_SIZE: u64 = 64 << 20;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct LayoutIndex {
    pub schema_version: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    #[serde(default)]
    pub manifests: Vec<IndexEntry>,
    /// Annotations, `subject`, `artifactType`…: kept as they were.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One descriptor in `index.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct IndexEntry {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub media_type: String,
    /// Kept as a string: entries from other tools may use algorithms we do not verify.
    pub digest: String,
    pub size: u64,
    /// Kept as JSON so that `os.version`, `os.features`… survive a rewrite.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<Value>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl IndexEntry {
    /// The digest, when it is a sha256 one (the only kind whose blob we can find).
    pub fn digest(&self) -> Option<Digest> {
        self.digest.parse().ok()
    }

    pub fn annotation(&self, key: &str) -> Option<&str> {
        self.annotations
            .get(key)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    pub fn platform(&self) -> Option<Platform> {
        let p = self.platform.as_ref()?;
        let field = |key: &str| p.get(key).and_then(Value::as_str);
        Some(Platform::new(
            field("os")?,
            field("architecture")?,
            field("variant"),
        ))
    }
}

/// A platform as the OCI spec writes it in a descriptor (independent of how `Platform`
/// serialises itself elsewhere).
pub(super) fn platform_json(p: &Platform) -> Value {
    let mut json = serde_json::json!({"architecture": p.architecture, "os": p.os});
    if let Some(v) = &p.variant {
        json["variant"] = Value::String(v.clone());
    }
    json
}

impl Store {
    fn index_path(&self) -> std::path::PathBuf {
        self.root().join(INDEX_JSON)
    }

    /// Reads `index.json`. No lock is needed: it is only ever replaced whole.
    pub(super) fn read_index(&self) -> Result<LayoutIndex, StoreError> {
        let path = self.index_path();
        if !path.exists() {
            return Err(StoreError::Corrupt {
                path,
                reason: "index.json is missing, so the store's images are unknown".into(),
            });
        }
        let bytes = layout::read_small(&path, MAX_INDEX_SIZE)?;
        serde_json::from_slice(&bytes).map_err(|e| StoreError::Corrupt {
            path,
            reason: format!("index.json is not a valid image index: {e}"),
        })
    }

    /// Read-modify-write of `index.json` under the index lock. `change` sees the current
    /// index; the file is replaced (atomically) only when `change` succeeds and changed it.
    pub(super) fn update_index<T>(
        &self,
        change: impl FnOnce(&mut LayoutIndex) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let _guard = lock::index_lock(self.root())?;
        self.update_index_locked(change)
    }

    /// As [`Store::update_index`], for a caller that already holds the index lock.
    pub(super) fn update_index_locked<T>(
        &self,
        change: impl FnOnce(&mut LayoutIndex) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let before = self.read_index()?;
        let mut index = before.clone();
        let out = change(&mut index)?;
        if index != before {
            let bytes = serde_json::to_vec(&index).map_err(|e| StoreError::Corrupt {
                path: self.index_path(),
                reason: format!("could not serialise the new index: {e}"),
            })?;
            layout::write_atomic(self.root(), INDEX_JSON, &bytes)?;
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_what_other_tools_wrote() {
        let json = r#"{"schemaVersion":2,"annotations":{"x":"y"},"manifests":[
            {"mediaType":"application/vnd.docker.distribution.manifest.v2+json",
             "digest":"sha512:abcd","size":7,
             "platform":{"os":"windows","architecture":"amd64","os.version":"10.0.1"},
             "annotations":{"org.opencontainers.image.ref.name":"v1"},
             "urls":["https://example.com"]}]}"#;
        let index: LayoutIndex = serde_json::from_str(json).unwrap();
        let entry = &index.manifests[0];
        assert_eq!(entry.digest(), None);
        assert_eq!(entry.platform().unwrap().to_string(), "windows/amd64");
        let again: Value = serde_json::to_value(&index).unwrap();
        let original: Value = serde_json::from_str(json).unwrap();
        assert_eq!(again, original);
    }

    #[test]
    fn a_corrupt_index_is_an_error_not_a_panic() {
        let tmp = tempfile::tempdir().unwrap();
        let store = Store::open(tmp.path()).unwrap();
        for bad in [
            &b"{\"schemaVersion\":2,\"manifests\":[{\"digest\":"[..],
            b"\xff\xfe",
            b"[]",
            b"{\"schemaVersion\":2,\"manifests\":[{\"digest\":\"sha256:00\",\"size\":-1}]}",
        ] {
            std::fs::write(tmp.path().join(INDEX_JSON), bad).unwrap();
            let err = store.read_index().unwrap_err();
            assert!(matches!(err, StoreError::Corrupt { .. }), "{err}");
            assert!(store.update_index(|_| Ok(())).is_err());
        }
        std::fs::remove_file(tmp.path().join(INDEX_JSON)).unwrap();
        assert!(matches!(
            store.read_index(),
            Err(StoreError::Corrupt { .. })
        ));
    }
}
