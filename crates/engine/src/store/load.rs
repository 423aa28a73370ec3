//! Images into the store from a tar archive, as `docker load` takes them: what `docker save`
//! writes (the legacy layout of `<id>/layer.tar` directories, or Docker 25's OCI layout with
//! `manifest.json`), `podman save`, skopeo's `docker-archive:` and `oci-archive:`, and
//! `porthole save`; plain, gzip- or zstd-compressed.
//!
//! The archive is read once, as a stream. Each regular file over 1 MiB becomes a blob of the
//! store under its SHA-256 as it goes by (written to a temporary file, hashed on the way,
//! synced, renamed: nothing half-written is visible); smaller ones wait in memory until an
//! image names them; symbolic and hard links are remembered as names. Then:
//! - with an `index.json` (an OCI layout), its image manifests are the images, each file
//!   under `blobs/sha256/` checked against its name; of a multi-platform index, the
//!   platform a pull would choose among those the archive holds (with
//!   [`LoadOptions::platform`], the one asked for);
//! - else with a `manifest.json` (Docker's), a new OCI manifest is written for each image
//!   over its config and layers (each layer typed by its first bytes: tar, gzip, zstd), and
//!   its `RepoTags` become its names.
//!
//! With [`LoadOptions::platform`], an image that has no choice of platform (one manifest,
//! not an index) must be for that platform by its config, as `docker load --platform`
//! checks. Every image of the archive is checked before any is named: a load that fails
//! adds no image (blobs already stored stay until `gc`).
//!
//! A pull's shared store lock is held throughout, so `gc` cannot delete blobs written but not
//! yet named. Entry paths never leave the archive's root: one that tries fails the load.

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::{Component, Path, PathBuf};

use oci_spec::image::{Descriptor, ImageIndex};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use super::archive::ArchiveError;
use super::images::{
    ANNOTATION_IMAGE_NAME, ANNOTATION_REF_NAME, ManifestDescriptor, NewImage, PlatformChoice,
    from_oci_platform, platform_choice,
};
use super::layout;
use super::walk::{DOCKER_MANIFEST, MAX_MANIFEST_SIZE, OCI_MANIFEST, is_index_media_type};
use super::{Store, StoreError, io_error};
use crate::digest::{Digest, Hasher};
use crate::layers::Codec;
use crate::layers::decode::{self, Sniffed};
use crate::platform::Platform;
use crate::reference::Reference;

/// How to load an archive.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// The platform to load, matched as a pull matches it (arm64 is arm64/v8): of a
    /// multi-platform image, that platform's manifest; an image of one platform must be
    /// for it. `None`: this machine's platform where there is a choice, and any image
    /// where there is not.
    pub platform: Option<Platform>,
}

/// What a load added.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LoadReport {
    pub images: Vec<LoadedImage>,
    /// The bytes of the images' blobs (manifest, config, layers; shared ones counted once
    /// per image).
    pub bytes: u64,
}

/// One image of a loaded archive.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LoadedImage {
    /// The names it was loaded under (full references); none for an untagged image.
    pub references: Vec<String>,
    /// Its manifest's digest.
    pub digest: Digest,
    /// Its config's digest (the image ID).
    pub id: Digest,
    /// The bytes of its manifest, config and layers.
    pub bytes: u64,
}

/// One image of the archive, found whole, not yet named in the store.
struct Found {
    manifest: ManifestDescriptor,
    /// Full references; none for an untagged image.
    names: Vec<String>,
    /// Another tool's bare ref name (a tag without a repository), for an untagged image.
    bare: Option<String>,
    /// The multi-platform index it was chosen from.
    index_digest: Option<Digest>,
    /// Its config's digest.
    id: Digest,
    /// The platform its config states.
    platform: Option<Platform>,
    /// The bytes of its manifest, config and layers, as the manifest states them.
    bytes: u64,
}

const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
/// Links followed from one name before giving up (a loop, or a chain no tool writes).
const MAX_LINK_HOPS: usize = 16;
/// Bytes read from the archive at a time.
const CHUNK: usize = 1 << 20;

/// Files up to this size are kept in memory until an image names them (the JSON files,
/// small layers); larger ones go to the store as they stream by. So the archive's own
/// metadata (`manifest.json`, `repositories`, a legacy layer's `json` and `VERSION`) never
/// becomes a blob.
const SMALL: u64 = 1 << 20;
/// At most this much is held in memory in all; small files past it go to the store too
/// (an archive of many small files cannot fill the memory).
const MAX_HELD: u64 = 64 << 20;

/// One regular file of the archive.
enum File {
    /// Stored as a blob already.
    Stored { digest: Digest, size: u64 },
    /// Held in memory until named.
    Small { digest: Digest, bytes: Vec<u8> },
}

/// The archive's files, and what each link points at.
#[derive(Default)]
struct Contents {
    files: BTreeMap<PathBuf, File>,
    links: BTreeMap<PathBuf, PathBuf>,
}

impl Contents {
    /// The file behind `name` (a path in the archive), following links.
    fn file(&self, name: &str) -> Result<&File, StoreError> {
        let mut path = clean(Path::new(name)).ok_or_else(|| {
            not_an_archive(format!("it names `{name}`, which leaves the archive"))
        })?;
        for _ in 0..MAX_LINK_HOPS {
            if let Some(found) = self.files.get(&path) {
                return Ok(found);
            }
            match self.links.get(&path) {
                Some(target) => path = target.clone(),
                None => break,
            }
        }
        Err(not_an_archive(format!(
            "it names `{name}`, which it does not hold"
        )))
    }

    fn has(&self, name: &str) -> bool {
        self.file(name).is_ok()
    }

    /// The bytes of a small file (`index.json`, `manifest.json`), or of a stored one.
    fn read(&self, store: &Store, name: &str) -> Result<Vec<u8>, StoreError> {
        match self.file(name)? {
            File::Small { bytes, .. } => Ok(bytes.clone()),
            File::Stored { digest, .. } => store.read_blob(digest, MAX_MANIFEST_SIZE),
        }
    }

    /// `name` as a blob of the store (written now if it was held in memory).
    fn keep(&self, store: &Store, name: &str) -> Result<(Digest, u64), StoreError> {
        match self.file(name)? {
            File::Stored { digest, size } => Ok((digest.clone(), *size)),
            File::Small { digest, bytes } => {
                store.write_blob(digest, bytes)?;
                Ok((digest.clone(), bytes.len() as u64))
            }
        }
    }
}

fn not_an_archive(reason: String) -> StoreError {
    StoreError::InvalidImage {
        name: "the archive".into(),
        reason,
    }
}

/// `path` inside the archive's root, without `.` parts; `None` if it leaves the root or
/// names the root itself.
fn clean(path: &Path) -> Option<PathBuf> {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            Component::Normal(p) => out.push(p),
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    return None;
                }
            }
            Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    (!out.as_os_str().is_empty()).then_some(out)
}

impl Store {
    /// Reads an image archive from `input` and adds its images (see the module docs), of
    /// a multi-platform image this machine's platform.
    pub fn load_archive(
        &self,
        input: impl Read,
        cancel: &CancellationToken,
    ) -> Result<LoadReport, ArchiveError> {
        self.load_archive_with(input, &LoadOptions::default(), cancel)
    }

    /// Reads an image archive from `input` and adds its images as `options` say (see the
    /// module docs).
    pub fn load_archive_with(
        &self,
        input: impl Read,
        options: &LoadOptions,
        cancel: &CancellationToken,
    ) -> Result<LoadReport, ArchiveError> {
        let _gc = self.lock_shared()?;
        let contents = self.store_files(decompressed(input)?, cancel)?;
        let wanted = options.platform.as_ref();
        // Each way finds all its images (and checks their platforms) before naming any.
        let add = |found: Vec<Found>| -> Result<Vec<LoadedImage>, StoreError> {
            found.into_iter().map(|f| self.add_loaded(f)).collect()
        };
        // An OCI layout first: its manifests load as they are. Docker 25+ writes a
        // manifest.json beside it, which answers when the layout cannot (an index whose
        // platforms the archive does not hold). Not when the layout's images are not for
        // the platform asked for, though: manifest.json lists the same images.
        let images = if contents.has("index.json") {
            match self.layout_images(&contents, wanted).and_then(add) {
                Err(e @ StoreError::PlatformNotInArchive { .. }) => return Err(e.into()),
                Err(_) if contents.has("manifest.json") => {
                    self.docker_images(&contents, wanted).and_then(add)?
                }
                other => other?,
            }
        } else if contents.has("manifest.json") {
            self.docker_images(&contents, wanted).and_then(add)?
        } else {
            return Err(not_an_archive(
                "it has neither an index.json (OCI) nor a manifest.json (docker save)".into(),
            )
            .into());
        };
        let bytes = images.iter().map(|i| i.bytes).fold(0, u64::saturating_add);
        Ok(LoadReport { images, bytes })
    }

    /// Every regular file of the tar into the store; links remembered.
    fn store_files(
        &self,
        input: impl Read,
        cancel: &CancellationToken,
    ) -> Result<Contents, ArchiveError> {
        let mut contents = Contents::default();
        let mut held = 0;
        let mut archive = tar::Archive::new(input);
        let read_error = |e: io::Error| not_an_archive(format!("it cannot be read as a tar: {e}"));
        for entry in archive.entries().map_err(read_error)? {
            if cancel.is_cancelled() {
                return Err(ArchiveError::Cancelled);
            }
            let mut entry = entry.map_err(read_error)?;
            let raw = entry.path().map_err(read_error)?.into_owned();
            let Some(path) = clean(&raw) else {
                if entry.header().entry_type().is_dir()
                    && raw.components().all(|c| c == Component::CurDir)
                {
                    continue; // "./", the root itself
                }
                return Err(not_an_archive(format!(
                    "its entry `{}` leaves the archive",
                    raw.display()
                ))
                .into());
            };
            match entry.header().entry_type() {
                tar::EntryType::Regular | tar::EntryType::Continuous => {
                    let size = entry.size();
                    let file = if size <= SMALL && held + size <= MAX_HELD {
                        held += size;
                        let mut bytes = Vec::new();
                        entry.read_to_end(&mut bytes).map_err(read_error)?;
                        File::Small {
                            digest: Digest::of(&bytes),
                            bytes,
                        }
                    } else {
                        let (digest, size) = self.store_file(&mut entry, cancel)?;
                        File::Stored { digest, size }
                    };
                    contents.files.insert(path, file);
                }
                tar::EntryType::Symlink | tar::EntryType::Link => {
                    let target = entry.link_name().map_err(read_error)?.ok_or_else(|| {
                        not_an_archive(format!("its link `{}` has no target", raw.display()))
                    })?;
                    // A symlink is relative to its directory; a hard link to the root.
                    let base = if entry.header().entry_type() == tar::EntryType::Symlink {
                        path.parent().map(Path::to_path_buf).unwrap_or_default()
                    } else {
                        PathBuf::new()
                    };
                    if let Some(target) = clean(&base.join(&target)) {
                        contents.links.insert(path, target);
                    }
                }
                _ => {} // directories, devices: nothing an image archive needs
            }
        }
        Ok(contents)
    }

    /// One file of the archive into `blobs/` under its digest.
    fn store_file(
        &self,
        input: &mut impl Read,
        cancel: &CancellationToken,
    ) -> Result<(Digest, u64), ArchiveError> {
        let dir = self.ingest_dir();
        fs::create_dir_all(&dir).map_err(io_error("create directory", &dir))?;
        let mut temp = layout::temp_file(&dir)?;
        let mut hasher = Hasher::new();
        let mut chunk = vec![0; CHUNK];
        loop {
            if cancel.is_cancelled() {
                return Err(ArchiveError::Cancelled);
            }
            let n = match input.read(&mut chunk) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    return Err(not_an_archive(format!("it cannot be read as a tar: {e}")).into());
                }
            };
            hasher.update(&chunk[..n]);
            temp.write_all(&chunk[..n])
                .map_err(io_error("write to", temp.path()))?;
        }
        let size = hasher.len();
        let digest = hasher.finish();
        if !self.has_blob(&digest, size) {
            self.persist_blob(temp, &digest)?;
        }
        Ok((digest, size))
    }

    /// The image manifests an OCI layout's `index.json` lists, of a multi-platform index
    /// the one for `wanted` (else this machine's).
    fn layout_images(
        &self,
        contents: &Contents,
        wanted: Option<&Platform>,
    ) -> Result<Vec<Found>, StoreError> {
        #[derive(Deserialize)]
        struct Index {
            manifests: Vec<Entry>,
        }
        #[derive(Deserialize)]
        struct Entry {
            #[serde(rename = "mediaType", default)]
            media_type: String,
            digest: String,
            #[serde(default)]
            annotations: BTreeMap<String, String>,
        }
        let index: Index = serde_json::from_slice(&contents.read(self, "index.json")?)
            .map_err(|e| not_an_archive(format!("its index.json cannot be read: {e}")))?;
        let mut found = Vec::new();
        for entry in index.manifests {
            let digest = parse_digest(&entry.digest, "its index.json")?;
            let names: Vec<String> = entry
                .annotations
                .get(ANNOTATION_IMAGE_NAME)
                .into_iter()
                .cloned()
                .collect();
            let bare = entry.annotations.get(ANNOTATION_REF_NAME).cloned();
            let image = image_label(names.first(), &digest);
            // A multi-platform index: its best platform for this machine (or the one
            // asked for) that the archive holds, as a pull chooses one (the index's digest
            // is kept beside it).
            let (media_type, digest, index_digest) = if is_index_media_type(&entry.media_type) {
                let (child, media_type) = self.pick_platform(contents, &digest, wanted, &image)?;
                (media_type, child, Some(digest))
            } else if entry.media_type == OCI_MANIFEST || entry.media_type == DOCKER_MANIFEST {
                (entry.media_type, digest, None)
            } else {
                return Err(not_an_archive(format!(
                    "its index.json lists a {}, which is not an image",
                    entry.media_type
                )));
            };
            let (_, size) = layout_blob(contents, self, &digest)?;
            // The manifest's config and layers, each under its own name.
            let manifest_json: Value = serde_json::from_slice(
                &self.read_blob(&digest, MAX_MANIFEST_SIZE)?,
            )
            .map_err(|e| not_an_archive(format!("manifest {digest} cannot be read: {e}")))?;
            for child in children(&manifest_json) {
                layout_blob(
                    contents,
                    self,
                    &parse_digest(&child, &format!("manifest {digest}"))?,
                )?;
            }
            let manifest = ManifestDescriptor {
                media_type,
                digest,
                size,
            };
            let found_image = self.found(manifest, manifest_json, names, bare, index_digest)?;
            // One manifest, no choice: its config must be for the platform asked for.
            if let Some(wanted) = wanted
                && found_image.index_digest.is_none()
            {
                check_platform(wanted, found_image.platform.as_ref(), &image)?;
            }
            found.push(found_image);
        }
        Ok(found)
    }

    /// The manifest of a multi-platform index (in the archive) to load: among the image
    /// manifests the archive holds, the best match for `wanted`, which there must be;
    /// without `wanted`, the best match for this machine, else the first it holds.
    /// `image` names the image in an error.
    fn pick_platform(
        &self,
        contents: &Contents,
        index: &Digest,
        wanted: Option<&Platform>,
        image: &str,
    ) -> Result<(Digest, String), StoreError> {
        let name = format!("blobs/sha256/{}", index.hex());
        let parsed: ImageIndex = serde_json::from_slice(&contents.read(self, &name)?)
            .map_err(|e| not_an_archive(format!("index {index} cannot be read: {e}")))?;
        let held = |digest: &Digest, d: &Descriptor| {
            let media_type = d.media_type().to_string();
            // Build attestations ("unknown/unknown") are manifests too: never an image.
            let attestation = d
                .platform()
                .as_ref()
                .is_some_and(|p| p.os().to_string() == "unknown");
            (media_type == OCI_MANIFEST || media_type == DOCKER_MANIFEST)
                && !attestation
                && contents.has(&format!("blobs/sha256/{}", digest.hex()))
        };
        let host = Platform::host();
        let choice = platform_choice(&parsed, wanted.unwrap_or(&host), held).ok_or_else(|| {
            not_an_archive(format!(
                "its index {index} lists no image manifest that the archive holds"
            ))
        })?;
        if let Some(wanted) = wanted
            && !choice.matched
        {
            let available = parsed
                .manifests()
                .iter()
                .filter(|d| {
                    d.digest()
                        .to_string()
                        .parse()
                        .is_ok_and(|digest| held(&digest, d))
                })
                .filter_map(|d| d.platform().as_ref().map(from_oci_platform))
                .collect();
            return Err(StoreError::PlatformNotInArchive {
                image: image.to_owned(),
                wanted: wanted.clone(),
                available,
            });
        }
        let PlatformChoice {
            digest, media_type, ..
        } = choice;
        Ok((digest, media_type))
    }

    /// The images of Docker's `manifest.json`, each given an OCI manifest; with `wanted`,
    /// each must be for that platform.
    fn docker_images(
        &self,
        contents: &Contents,
        wanted: Option<&Platform>,
    ) -> Result<Vec<Found>, StoreError> {
        #[derive(Deserialize)]
        struct Item {
            #[serde(rename = "Config")]
            config: String,
            #[serde(rename = "RepoTags", default)]
            repo_tags: Option<Vec<String>>,
            #[serde(rename = "Layers", default)]
            layers: Vec<String>,
        }
        let items: Vec<Item> = serde_json::from_slice(&contents.read(self, "manifest.json")?)
            .map_err(|e| not_an_archive(format!("its manifest.json cannot be read: {e}")))?;
        let mut found = Vec::new();
        for item in items {
            let (config, config_size) = contents.keep(self, &item.config)?;
            let mut layers = Vec::new();
            for layer in &item.layers {
                let (digest, size) = contents.keep(self, layer)?;
                layers.push(json!({
                    "mediaType": self.layer_media_type(&digest)?,
                    "digest": digest.to_string(),
                    "size": size,
                }));
            }
            let manifest_json = json!({
                "schemaVersion": 2,
                "mediaType": OCI_MANIFEST,
                "config": {"mediaType": OCI_CONFIG, "digest": config.to_string(), "size": config_size},
                "layers": layers,
            });
            let bytes = serde_json::to_vec(&manifest_json).unwrap_or_default();
            let digest = Digest::of(&bytes);
            self.write_blob(&digest, &bytes)?;
            let tags = item.repo_tags.unwrap_or_default();
            let names = tags
                .iter()
                .map(|tag| {
                    Reference::parse(tag)
                        .map(|r| r.to_string())
                        .map_err(|e| not_an_archive(format!("its RepoTags has `{tag}`: {e}")))
                })
                .collect::<Result<Vec<_>, _>>()?;
            let manifest = ManifestDescriptor {
                media_type: OCI_MANIFEST.into(),
                digest,
                size: bytes.len() as u64,
            };
            let found_image = self.found(manifest, manifest_json, names, None, None)?;
            if let Some(wanted) = wanted {
                let image = image_label(tags.first(), &found_image.id);
                check_platform(wanted, found_image.platform.as_ref(), &image)?;
            }
            found.push(found_image);
        }
        Ok(found)
    }

    /// One image of the archive, its manifest and config in the store, ready to be named.
    fn found(
        &self,
        manifest: ManifestDescriptor,
        parsed: Value,
        names: Vec<String>,
        bare: Option<String>,
        index_digest: Option<Digest>,
    ) -> Result<Found, StoreError> {
        let id: Digest = parsed["config"]["digest"]
            .as_str()
            .and_then(|d| d.parse().ok())
            .ok_or_else(|| {
                not_an_archive(format!("manifest {} names no config", manifest.digest))
            })?;
        let platform = self
            .read_blob(&id, MAX_MANIFEST_SIZE)
            .ok()
            .and_then(|config| Platform::of_config(&config));
        // Sizes as the manifest states them (checked against the blobs by `add_image`):
        // saturating, since a hostile manifest may state anything.
        let sizes = |v: &Value| v["size"].as_u64().unwrap_or(0);
        let bytes = parsed["layers"]
            .as_array()
            .into_iter()
            .flatten()
            .map(sizes)
            .fold(
                manifest.size.saturating_add(sizes(&parsed["config"])),
                u64::saturating_add,
            );
        Ok(Found {
            manifest,
            names,
            bare,
            index_digest,
            id,
            platform,
            bytes,
        })
    }

    /// Records one image under each of its names (full references), or unnamed (with its
    /// bare ref name, if any) when it has none.
    fn add_loaded(&self, found: Found) -> Result<LoadedImage, StoreError> {
        let Found {
            manifest,
            names,
            bare,
            index_digest,
            id,
            platform,
            bytes,
        } = found;
        let mut references = Vec::new();
        for name in &names {
            self.add_image(NewImage {
                name: name.clone(),
                tag: None,
                manifest: manifest.clone(),
                platform: platform.clone(),
                index_digest: index_digest.clone(),
            })?;
            references.push(super::images::canonical(name));
        }
        if names.is_empty() {
            self.add_unnamed(&manifest, platform.as_ref(), bare, index_digest.as_ref())?;
        }
        Ok(LoadedImage {
            references,
            digest: manifest.digest,
            id,
            bytes,
        })
    }

    /// A layer's OCI media type, from its first bytes.
    fn layer_media_type(&self, digest: &Digest) -> Result<&'static str, StoreError> {
        let path = self.blob_path(digest);
        let (head, _) = fs::File::open(&path)
            .and_then(decode::peek)
            .map_err(io_error("read", &path))?;
        Ok(match decode::sniff(&head) {
            Sniffed::Codec(Codec::Gzip) => "application/vnd.oci.image.layer.v1.tar+gzip",
            Sniffed::Codec(Codec::Zstd) => "application/vnd.oci.image.layer.v1.tar+zstd",
            _ => "application/vnd.oci.image.layer.v1.tar",
        })
    }
}

/// How an error names an image of the archive: by its first name, else by `digest`.
fn image_label(name: Option<&String>, digest: &Digest) -> String {
    match name {
        Some(name) => format!("`{name}`"),
        None => digest.to_string(),
    }
}

/// An image of one platform (`found`, as its config states it) loads with `--platform` only
/// for a platform it runs on, matched as a pull matches an index entry.
fn check_platform(
    wanted: &Platform,
    found: Option<&Platform>,
    image: &str,
) -> Result<(), StoreError> {
    if found.is_some_and(|p| wanted.match_rank(p).is_some()) {
        return Ok(());
    }
    Err(StoreError::PlatformNotInArchive {
        image: image.to_owned(),
        wanted: wanted.clone(),
        available: found.into_iter().cloned().collect(),
    })
}

/// The blob `blobs/sha256/<hex>` of an OCI layout archive, kept in the store and checked
/// against its name.
fn layout_blob(
    contents: &Contents,
    store: &Store,
    digest: &Digest,
) -> Result<(Digest, u64), StoreError> {
    let name = format!("blobs/sha256/{}", digest.hex());
    let (found, size) = contents.keep(store, &name)?;
    if &found != digest {
        return Err(not_an_archive(format!("its {name} holds {found}")));
    }
    Ok((found, size))
}

/// `digest` as a sha256 digest, or why not (`what` names where it was listed).
fn parse_digest(digest: &str, what: &str) -> Result<Digest, StoreError> {
    digest
        .parse()
        .map_err(|_| not_an_archive(format!("{what} lists `{digest}`, not a sha256 digest")))
}

/// The digests a manifest names: its config and layers.
fn children(manifest: &Value) -> Vec<String> {
    let digest = |v: &Value| v["digest"].as_str().map(str::to_owned);
    digest(&manifest["config"])
        .into_iter()
        .chain(
            manifest["layers"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(digest),
        )
        .collect()
}

/// `input`, decompressed if it starts like gzip or zstd.
fn decompressed<'a>(input: impl Read + 'a) -> Result<Box<dyn Read + 'a>, StoreError> {
    let mut input = BufReader::with_capacity(CHUNK, input);
    let head = input
        .fill_buf()
        .map_err(|e| not_an_archive(format!("it cannot be read: {e}")))?;
    Ok(match decode::sniff(head) {
        Sniffed::Codec(Codec::Gzip) => Box::new(flate2::read::MultiGzDecoder::new(input)),
        Sniffed::Codec(Codec::Zstd) => Box::new(
            zstd::stream::read::Decoder::with_buffer(input)
                .map_err(|e| not_an_archive(format!("its zstd stream cannot be read: {e}")))?,
        ),
        Sniffed::Unsupported(name) => {
            return Err(not_an_archive(format!(
                "it is {name}-compressed, which Porthole does not read: decompress it first"
            )));
        }
        Sniffed::Codec(Codec::Uncompressed) | Sniffed::Unknown => Box::new(input),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A tar of `files` (name, bytes).
    fn tar_of(files: &[(String, Vec<u8>)]) -> Vec<u8> {
        let mut builder = tar::Builder::new(Vec::new());
        for (name, bytes) in files {
            let mut header = tar::Header::new_ustar();
            header.set_size(bytes.len() as u64);
            header.set_mode(0o644);
            header.set_cksum();
            builder
                .append_data(&mut header, name, bytes.as_slice())
                .unwrap();
        }
        builder.into_inner().unwrap()
    }

    fn blob_name(bytes: &[u8]) -> String {
        format!("blobs/sha256/{}", Digest::of(bytes).hex())
    }

    /// One image for `platform` ("os/arch[/variant]"): its config, layer and manifest.
    struct Built {
        platform: &'static str,
        config: Vec<u8>,
        layer: Vec<u8>,
        manifest: Vec<u8>,
    }

    fn image(platform: &'static str) -> Built {
        let parts: Vec<&str> = platform.split('/').collect();
        let layer = tar_of(&[("etc/arch".into(), platform.as_bytes().to_vec())]);
        let mut config = json!({
            "os": parts[0],
            "architecture": parts[1],
            "rootfs": {"type": "layers", "diff_ids": [Digest::of(&layer).to_string()]},
        });
        if let Some(variant) = parts.get(2) {
            config["variant"] = json!(variant);
        }
        let config = serde_json::to_vec(&config).unwrap();
        let manifest = serde_json::to_vec(&json!({
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": {"mediaType": OCI_CONFIG, "digest": Digest::of(&config).to_string(), "size": config.len()},
            "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": Digest::of(&layer).to_string(), "size": layer.len()}],
        }))
        .unwrap();
        Built {
            platform,
            config,
            layer,
            manifest,
        }
    }

    fn blobs(images: &[&Built]) -> Vec<(String, Vec<u8>)> {
        images
            .iter()
            .flat_map(|i| [&i.config, &i.layer, &i.manifest])
            .map(|b| (blob_name(b), b.clone()))
            .collect()
    }

    /// An OCI layout archive of one multi-platform image named `multi:1` over `images`,
    /// as `skopeo copy --all` writes one.
    fn multi_platform_archive(images: &[&Built]) -> (Vec<u8>, Vec<u8>) {
        let platform_json = |p: &str| {
            let parts: Vec<&str> = p.split('/').collect();
            let mut v = json!({"os": parts[0], "architecture": parts[1]});
            if let Some(variant) = parts.get(2) {
                v["variant"] = json!(variant);
            }
            v
        };
        let index = serde_json::to_vec(&json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.index.v1+json",
            "manifests": images.iter().map(|i| json!({
                "mediaType": OCI_MANIFEST,
                "digest": Digest::of(&i.manifest).to_string(),
                "size": i.manifest.len(),
                "platform": platform_json(i.platform),
            })).collect::<Vec<_>>(),
        }))
        .unwrap();
        let top = serde_json::to_vec(&json!({
            "schemaVersion": 2,
            "manifests": [{
                "mediaType": "application/vnd.oci.image.index.v1+json",
                "digest": Digest::of(&index).to_string(),
                "size": index.len(),
                "annotations": {ANNOTATION_IMAGE_NAME: "docker.io/library/multi:1"},
            }],
        }))
        .unwrap();
        let mut files = blobs(images);
        files.push((blob_name(&index), index.clone()));
        files.push(("index.json".into(), top));
        (tar_of(&files), index)
    }

    /// A `docker save` archive (manifest.json) of `image` named `single:1`.
    fn docker_archive(image: &Built) -> Vec<u8> {
        let manifest = serde_json::to_vec(&json!([{
            "Config": blob_name(&image.config),
            "RepoTags": ["single:1"],
            "Layers": [blob_name(&image.layer)],
        }]))
        .unwrap();
        let mut files = blobs(&[image]);
        files.push(("manifest.json".into(), manifest));
        tar_of(&files)
    }

    fn load(
        store: &Store,
        archive: &[u8],
        platform: Option<&str>,
    ) -> Result<LoadReport, ArchiveError> {
        let options = LoadOptions {
            platform: platform.map(|p| p.parse().unwrap()),
        };
        store.load_archive_with(archive, &options, &CancellationToken::new())
    }

    fn p(s: &str) -> Platform {
        s.parse().unwrap()
    }

    #[test]
    fn the_platform_asked_for_loads_from_a_multi_platform_archive() {
        let (amd64, arm64, arm) = (
            image("linux/amd64"),
            image("linux/arm64/v8"),
            image("linux/arm/v7"),
        );
        let (archive, index) = multi_platform_archive(&[&amd64, &arm64, &arm]);
        // arm64 and arm64/v8 are one platform, as a pull matches them.
        for (asked, built) in [
            ("linux/arm64", &arm64),
            ("linux/arm64/v8", &arm64),
            ("linux/arm/v7", &arm),
            ("linux/amd64", &amd64),
        ] {
            let dir = tempfile::tempdir().unwrap();
            let store = Store::open(dir.path()).unwrap();
            let report = load(&store, &archive, Some(asked)).unwrap();
            assert_eq!(report.images.len(), 1, "{asked}");
            assert_eq!(
                report.images[0].digest,
                Digest::of(&built.manifest),
                "{asked}"
            );
            let listed = store.images().unwrap();
            assert_eq!(listed.len(), 1);
            assert_eq!(listed[0].platform, Some(p(built.platform)), "{asked}");
            assert_eq!(listed[0].index_digest, Some(Digest::of(&index)));
        }
    }

    #[test]
    fn arm_v7_falls_back_to_v6_in_an_archive_as_in_a_pull() {
        let (amd64, v6) = (image("linux/amd64"), image("linux/arm/v6"));
        let (archive, _) = multi_platform_archive(&[&amd64, &v6]);
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let report = load(&store, &archive, Some("linux/arm/v7")).unwrap();
        assert_eq!(report.images[0].digest, Digest::of(&v6.manifest));
    }

    #[test]
    fn a_platform_the_archive_lacks_names_those_it_has_and_adds_nothing() {
        let (amd64, arm64) = (image("linux/amd64"), image("linux/arm64/v8"));
        let (archive, index) = multi_platform_archive(&[&amd64, &arm64]);
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let err = load(&store, &archive, Some("linux/s390x")).unwrap_err();
        let ArchiveError::Store(StoreError::PlatformNotInArchive {
            image,
            wanted,
            available,
        }) = &err
        else {
            panic!("{err}");
        };
        assert_eq!(image, "`docker.io/library/multi:1`");
        assert_eq!(wanted, &p("linux/s390x"));
        assert_eq!(available, &[p("linux/amd64"), p("linux/arm64")]);
        assert_eq!(
            err.to_string(),
            "the archive has no linux/s390x image of `docker.io/library/multi:1`; it has \
             linux/amd64, linux/arm64 (ask for one of those with --platform)"
        );
        assert!(store.images().unwrap().is_empty());

        // Only the platforms whose manifests the archive holds count.
        let mut files = blobs(&[&amd64]);
        files.push((blob_name(&index), index.clone()));
        let top = serde_json::to_vec(&json!({"schemaVersion": 2, "manifests": [{
            "mediaType": "application/vnd.oci.image.index.v1+json",
            "digest": Digest::of(&index).to_string(),
            "size": index.len(),
        }]}))
        .unwrap();
        files.push(("index.json".into(), top));
        let err = load(&store, &tar_of(&files), Some("linux/arm64")).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "the archive has no linux/arm64 image of {}; it has linux/amd64 \
                 (ask for that with --platform)",
                Digest::of(&index)
            )
        );
        assert!(store.images().unwrap().is_empty());
    }

    #[test]
    fn an_image_of_one_platform_must_be_for_the_platform_asked_for() {
        let arm64 = image("linux/arm64/v8");
        let docker = docker_archive(&arm64);
        // An OCI layout whose index.json lists the manifest itself (no choice of platform).
        let mut files = blobs(&[&arm64]);
        files.push((
            "index.json".into(),
            serde_json::to_vec(&json!({"schemaVersion": 2, "manifests": [{
                "mediaType": OCI_MANIFEST,
                "digest": Digest::of(&arm64.manifest).to_string(),
                "size": arm64.manifest.len(),
                "annotations": {ANNOTATION_IMAGE_NAME: "docker.io/library/single:1"},
            }]}))
            .unwrap(),
        ));
        let oci = tar_of(&files);
        for (what, archive, image) in [
            ("docker", &docker, "`single:1`"),
            ("oci", &oci, "`docker.io/library/single:1`"),
        ] {
            let dir = tempfile::tempdir().unwrap();
            let store = Store::open(dir.path()).unwrap();
            let err = load(&store, archive, Some("linux/amd64")).unwrap_err();
            assert_eq!(
                err.to_string(),
                format!(
                    "the archive has no linux/amd64 image of {image}; it has linux/arm64 \
                     (ask for that with --platform)"
                ),
                "{what}"
            );
            assert!(store.images().unwrap().is_empty(), "{what}");
            // The same platform, however it is spelt, loads; so does no --platform.
            load(&store, archive, Some("linux/aarch64/v8")).unwrap();
            load(&store, archive, None).unwrap();
            assert_eq!(store.images().unwrap().len(), 1, "{what}");
        }
    }

    #[test]
    fn one_image_of_another_platform_stops_the_load_before_any_is_named() {
        let (arm64, amd64) = (image("linux/arm64"), image("linux/amd64"));
        let manifest = serde_json::to_vec(&json!([
            {"Config": blob_name(&arm64.config), "RepoTags": ["a:1"], "Layers": [blob_name(&arm64.layer)]},
            {"Config": blob_name(&amd64.config), "RepoTags": ["b:1"], "Layers": [blob_name(&amd64.layer)]},
        ]))
        .unwrap();
        let mut files = blobs(&[&arm64, &amd64]);
        files.push(("manifest.json".into(), manifest));
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let err = load(&store, &tar_of(&files), Some("linux/arm64")).unwrap_err();
        assert!(
            err.to_string().contains("no linux/arm64 image of `b:1`"),
            "{err}"
        );
        assert!(store.images().unwrap().is_empty(), "`a:1` was named");
    }

    #[test]
    fn without_a_platform_a_multi_platform_archive_loads_this_machine_s() {
        let host = Platform::host();
        let other = if host.architecture == "s390x" {
            image("linux/ppc64le")
        } else {
            image("linux/s390x")
        };
        let here = image(match host.architecture.as_str() {
            "amd64" => "linux/amd64",
            "arm64" => "linux/arm64",
            _ => return, // no fixture for this machine's platform
        });
        let (archive, _) = multi_platform_archive(&[&other, &here]);
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let report = load(&store, &archive, None).unwrap();
        assert_eq!(report.images[0].digest, Digest::of(&here.manifest));
    }

    #[test]
    fn paths_stay_inside_the_archive() {
        assert_eq!(clean(Path::new("./a/b")), Some(PathBuf::from("a/b")));
        assert_eq!(clean(Path::new("a/../b")), Some(PathBuf::from("b")));
        assert_eq!(clean(Path::new("../b")), None);
        assert_eq!(clean(Path::new("a/../../b")), None);
        assert_eq!(clean(Path::new("/etc/passwd")), None);
        assert_eq!(clean(Path::new(".")), None);
    }
}
