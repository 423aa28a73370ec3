//! What `index.json` keeps alive: index -> manifests (and nested indexes) -> configs and
//! layers. Shared by gc and fsck.
//!
//! Manifests are read with a deliberately loose shape rather than oci-spec's typed
//! `ImageManifest`/`ImageIndex`: the walk must find the children of OCI and Docker manifests,
//! indexes, manifest lists and artifacts alike, and must not stop (and let gc delete
//! something) because one field is not quite what oci-spec expects.

use serde::Deserialize;

use super::index::LayoutIndex;
use crate::digest::Digest;

/// The largest manifest or index we read (registries cap manifests at 4 MiB).
pub const MAX_MANIFEST_SIZE: u64 = 16 << 20;

pub(super) const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub(super) const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
pub(super) const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
pub(super) const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
const OCI_ARTIFACT: &str = "application/vnd.oci.artifact.manifest.v1+json";

/// How a blob takes part in the walk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    /// A manifest or index by its media type: it must parse, and its children are reachable.
    Manifest,
    /// Probably a manifest (an index entry or list item of an unknown media type): its
    /// children are reachable if it parses as one; if not, it is a plain blob.
    MaybeManifest,
    /// A config, layer or other leaf.
    Leaf,
}

#[derive(Clone, Debug)]
pub(super) struct Node {
    pub digest: Digest,
    pub size: u64,
    pub kind: Kind,
}

pub(super) fn is_index_media_type(media_type: &str) -> bool {
    matches!(media_type, OCI_INDEX | DOCKER_LIST)
}

fn kind_of_listed(media_type: &str) -> Kind {
    match media_type {
        OCI_MANIFEST | OCI_INDEX | DOCKER_MANIFEST | DOCKER_LIST | OCI_ARTIFACT => Kind::Manifest,
        _ => Kind::MaybeManifest,
    }
}

/// The entries of `index.json` (entries with digests we cannot verify are skipped: their
/// blobs are not under `blobs/sha256`).
pub(super) fn roots(index: &LayoutIndex) -> Vec<Node> {
    index
        .manifests
        .iter()
        .filter_map(|e| {
            Some(Node {
                digest: e.digest()?,
                size: e.size,
                kind: kind_of_listed(&e.media_type),
            })
        })
        .collect()
}

#[derive(Deserialize)]
struct RawDescriptor {
    #[serde(default, rename = "mediaType")]
    media_type: String,
    digest: String,
    size: u64,
}

#[derive(Deserialize)]
struct AnyManifest {
    config: Option<RawDescriptor>,
    layers: Option<Vec<RawDescriptor>>,
    manifests: Option<Vec<RawDescriptor>>,
    blobs: Option<Vec<RawDescriptor>>,
    subject: Option<RawDescriptor>,
}

/// The blobs a manifest or index refers to, or why its bytes are not one.
pub(super) fn children(bytes: &[u8]) -> Result<Vec<Node>, String> {
    let m: AnyManifest = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
    if m.config.is_none() && m.layers.is_none() && m.manifests.is_none() && m.blobs.is_none() {
        return Err("it has none of config, layers, manifests or blobs".into());
    }
    let leaves = m
        .config
        .into_iter()
        .chain(m.layers.into_iter().flatten())
        .chain(m.blobs.into_iter().flatten())
        .map(|d| (d, Kind::Leaf));
    let listed = m.manifests.into_iter().flatten().chain(m.subject).map(|d| {
        let kind = kind_of_listed(&d.media_type);
        (d, kind)
    });
    Ok(leaves
        .chain(listed)
        .filter_map(|(d, kind)| {
            Some(Node {
                digest: d.digest.parse().ok()?,
                size: d.size,
                kind,
            })
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_children_of_manifests_and_indexes() {
        let d = |c: char| format!("sha256:{}", c.to_string().repeat(64));
        let manifest = format!(
            r#"{{"schemaVersion":2,"config":{{"mediaType":"x","digest":"{}","size":1}},
               "layers":[{{"mediaType":"y","digest":"{}","size":2}},
                         {{"mediaType":"y","digest":"sha512:ff","size":2}}]}}"#,
            d('a'),
            d('b')
        );
        let kids = children(manifest.as_bytes()).unwrap();
        assert_eq!(kids.len(), 2);
        assert!(kids.iter().all(|n| n.kind == Kind::Leaf));
        let list = format!(
            r#"{{"schemaVersion":2,"mediaType":"{DOCKER_LIST}",
               "manifests":[{{"mediaType":"{DOCKER_MANIFEST}","digest":"{}","size":3}}]}}"#,
            d('c')
        );
        let kids = children(list.as_bytes()).unwrap();
        assert_eq!(kids[0].kind, Kind::Manifest);
        assert_eq!(kids[0].size, 3);
        assert!(children(b"{}").is_err());
        assert!(children(b"\x00\x01").is_err());
    }
}
