//! Images out of the store as one tar archive that container engines load: `docker load`,
//! `podman load`, and skopeo's `docker-archive:` and `oci-archive:`.
//!
//! The archive is what `docker save` writes since Docker 25: an OCI image layout
//! (`oci-layout`, `index.json`, `blobs/sha256/<hex>`) with Docker's `manifest.json` beside it,
//! so that readers of either format find their way. Blobs go in as they are in the store
//! (compressed layers stay compressed; every loader reads them), each once however many
//! images share it, each re-hashed on the way out so that a damaged blob stops the archive
//! instead of travelling in it. Entries have fixed times and owners: the same images give
//! the same bytes.

use std::collections::BTreeSet;
use std::fs::File;
use std::io::{self, Read, Write};

use serde::Deserialize;
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use super::images::{ANNOTATION_IMAGE_NAME, ANNOTATION_REF_NAME, ImageSummary};
use super::walk::MAX_MANIFEST_SIZE;
use super::{Store, StoreError};
use crate::digest::{Digest, Hasher};
use crate::reference::Reference;

/// What went wrong writing an archive.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ArchiveError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("could not write the archive: {source}")]
    Write {
        #[source]
        source: io::Error,
    },
    #[error("the archive was cancelled")]
    Cancelled,
}

/// A failure of the file or pipe the archive goes to (also of syncing or renaming it).
impl From<io::Error> for ArchiveError {
    fn from(source: io::Error) -> ArchiveError {
        ArchiveError::Write { source }
    }
}

/// What went into an archive.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ArchiveReport {
    /// The images, by reference (or ID, for one without a name), in the order given.
    pub images: Vec<String>,
    /// Distinct blobs written (manifests, configs, layers).
    pub blobs: usize,
    /// Their bytes (the archive is this plus the tar headers and the small JSON files).
    pub bytes: u64,
}

#[derive(Deserialize)]
struct Descriptor {
    digest: String,
    size: u64,
}

#[derive(Deserialize)]
struct ImageManifest {
    config: Descriptor,
    #[serde(default)]
    layers: Vec<Descriptor>,
}

/// One image's blobs, as the archive names them.
struct Parts {
    manifest: (Digest, u64),
    config: (Digest, u64),
    layers: Vec<(Digest, u64)>,
}

impl Store {
    /// Writes `images` to `out` as one archive (see the module docs). `out` should be
    /// buffered. On an error the bytes written so far are not a usable archive: callers
    /// writing a file write it to a temporary one and keep it only on success.
    pub fn write_archive<W: Write>(
        &self,
        images: &[ImageSummary],
        out: W,
        cancel: &CancellationToken,
    ) -> Result<ArchiveReport, ArchiveError> {
        let parts: Vec<Parts> = images
            .iter()
            .map(|image| self.parts(image))
            .collect::<Result<_, _>>()?;
        let mut tar = tar::Builder::new(out);
        append_bytes(&mut tar, "oci-layout", br#"{"imageLayoutVersion":"1.0.0"}"#)?;
        append_dir(&mut tar, "blobs/")?;
        append_dir(&mut tar, "blobs/sha256/")?;

        let mut written = BTreeSet::new();
        let mut bytes = 0;
        for p in &parts {
            let blobs = [&p.manifest, &p.config].into_iter().chain(&p.layers);
            for (digest, size) in blobs {
                if cancel.is_cancelled() {
                    return Err(ArchiveError::Cancelled);
                }
                if written.insert(digest.clone()) {
                    self.append_blob(&mut tar, digest, *size, cancel)?;
                    bytes += size;
                }
            }
        }

        let index = json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.index.v1+json",
            "manifests": images.iter().zip(&parts).map(|(image, p)| index_entry(image, p)).collect::<Vec<_>>(),
        });
        let manifest: Vec<Value> = images
            .iter()
            .zip(&parts)
            .map(|(image, p)| {
                json!({
                    "Config": blob_path(&p.config.0),
                    "RepoTags": repo_tag(image).map(|t| vec![t]),
                    "Layers": p.layers.iter().map(|(d, _)| blob_path(d)).collect::<Vec<_>>(),
                })
            })
            .collect();
        append_bytes(&mut tar, "index.json", &to_json(&index))?;
        append_bytes(&mut tar, "manifest.json", &to_json(&Value::Array(manifest)))?;
        tar.into_inner().and_then(|mut out| out.flush())?;
        Ok(ArchiveReport {
            images: images
                .iter()
                .map(|i| i.reference.clone().unwrap_or_else(|| i.id.to_string()))
                .collect(),
            blobs: written.len(),
            bytes,
        })
    }

    fn parts(&self, image: &ImageSummary) -> Result<Parts, StoreError> {
        let path = self.blob_path(&image.digest);
        let corrupt = |reason: String| StoreError::Corrupt {
            path: path.clone(),
            reason,
        };
        if let Some(problem) = &image.problem {
            return Err(corrupt(problem.clone()));
        }
        let bytes = self.read_blob(&image.digest, MAX_MANIFEST_SIZE)?;
        let m: ImageManifest = serde_json::from_slice(&bytes)
            .map_err(|e| corrupt(format!("the image manifest cannot be read: {e}")))?;
        let checked = |d: Descriptor| -> Result<(Digest, u64), StoreError> {
            let digest: Digest = d.digest.parse().map_err(|_| {
                corrupt(format!(
                    "the manifest lists `{}`, not a sha256 digest",
                    d.digest
                ))
            })?;
            Ok((digest, d.size))
        };
        // The manifest's own size is that of the blob just read.
        Ok(Parts {
            manifest: (image.digest.clone(), bytes.len() as u64),
            config: checked(m.config)?,
            layers: m
                .layers
                .into_iter()
                .map(checked)
                .collect::<Result<_, _>>()?,
        })
    }

    /// Streams one blob from the store into the archive, hashing it on the way.
    fn append_blob<W: Write>(
        &self,
        tar: &mut tar::Builder<W>,
        digest: &Digest,
        size: u64,
        cancel: &CancellationToken,
    ) -> Result<(), ArchiveError> {
        let path = self.blob_path(digest);
        let file = File::open(&path).map_err(|source| match source.kind() {
            io::ErrorKind::NotFound => StoreError::MissingBlob {
                digest: digest.clone(),
                path: path.clone(),
            },
            _ => StoreError::Io {
                action: "read",
                path: path.clone(),
                source,
            },
        })?;
        let on_disk = file
            .metadata()
            .map_err(|source| StoreError::Io {
                action: "read the size of",
                path: path.clone(),
                source,
            })?
            .len();
        if on_disk != size {
            return Err(StoreError::Corrupt {
                path,
                reason: format!(
                    "it is {on_disk} bytes where its manifest says {size}; \
                     run `porthole fsck`, then pull the image again"
                ),
            }
            .into());
        }
        // The entry's header, then the bytes in large chunks, each hashed and written at once
        // (one copy in, one out), then the padding to the next 512-byte block.
        let mut header = blob_header(size);
        header.set_path(blob_path(digest))?;
        header.set_cksum();
        let out = tar.get_mut();
        out.write_all(header.as_bytes())?;
        // At most `size` bytes, so that a blob growing under us cannot overrun its entry.
        let mut file = file.take(size);
        let mut hasher = Hasher::new();
        let mut chunk = vec![0; CHUNK];
        loop {
            if cancel.is_cancelled() {
                return Err(ArchiveError::Cancelled);
            }
            let n = read_up_to(&mut file, &mut chunk).map_err(|source| StoreError::Io {
                action: "read",
                path: path.clone(),
                source,
            })?;
            if n == 0 {
                break;
            }
            hasher.update(&chunk[..n]);
            out.write_all(&chunk[..n])?;
        }
        if hasher.len() != size {
            // The entry is short: what was written is not an archive any more.
            return Err(StoreError::Corrupt {
                path,
                reason: format!("it shrank to {} bytes while being read", hasher.len()),
            }
            .into());
        }
        let padding = (512 - size % 512) % 512;
        out.write_all(&[0; 512][..padding as usize])?;
        let found = hasher.finish();
        if &found != digest {
            return Err(StoreError::Corrupt {
                path,
                reason: format!(
                    "its content hashes to {found}; run `porthole fsck`, then pull the image again"
                ),
            }
            .into());
        }
        Ok(())
    }
}

/// Bytes read from a blob at a time.
const CHUNK: usize = 1 << 20;

/// Fills `buf` as far as `reader` goes; returns how much it read (short only at the end).
fn read_up_to(reader: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

fn blob_path(digest: &Digest) -> String {
    format!("blobs/sha256/{}", digest.hex())
}

/// The `index.json` entry of one image: its manifest, named as Porthole's store names it.
fn index_entry(image: &ImageSummary, p: &Parts) -> Value {
    let mut entry = json!({
        "mediaType": image.media_type,
        "digest": p.manifest.0.to_string(),
        "size": p.manifest.1,
    });
    // The name, and the tag (also when another tool gave the image a bare ref name only).
    let mut annotations = serde_json::Map::new();
    if let Some(reference) = &image.reference {
        annotations.insert(ANNOTATION_IMAGE_NAME.into(), json!(reference));
    }
    if let Some(tag) = &image.tag {
        annotations.insert(ANNOTATION_REF_NAME.into(), json!(tag));
    }
    if !annotations.is_empty() {
        entry["annotations"] = Value::Object(annotations);
    }
    if let Some(platform) = &image.platform {
        entry["platform"] = super::index::platform_json(platform);
    }
    entry
}

/// The tag `docker load` gives the image: `nginx:latest`, `ghcr.io/owner/app:1`. An image
/// pulled by digest only has none (docker loads it untagged, as it saves one).
fn repo_tag(image: &ImageSummary) -> Option<String> {
    let reference = Reference::parse(image.reference.as_deref()?).ok()?;
    Some(format!(
        "{}:{}",
        reference.familiar_name(),
        reference.tag()?
    ))
}

fn to_json(value: &Value) -> Vec<u8> {
    let mut bytes = serde_json::to_vec(value).unwrap_or_default();
    bytes.push(b'\n');
    bytes
}

fn blob_header(size: u64) -> tar::Header {
    let mut header = tar::Header::new_ustar();
    header.set_entry_type(tar::EntryType::Regular);
    header.set_size(size);
    header.set_mode(0o644);
    header.set_mtime(0);
    header
}

fn append_bytes<W: Write>(tar: &mut tar::Builder<W>, path: &str, bytes: &[u8]) -> io::Result<()> {
    let mut header = blob_header(bytes.len() as u64);
    tar.append_data(&mut header, path, bytes)
}

fn append_dir<W: Write>(tar: &mut tar::Builder<W>, path: &str) -> io::Result<()> {
    let mut header = tar::Header::new_ustar();
    header.set_entry_type(tar::EntryType::Directory);
    header.set_size(0);
    header.set_mode(0o755);
    header.set_mtime(0);
    tar.append_data(&mut header, path, io::empty())
}
