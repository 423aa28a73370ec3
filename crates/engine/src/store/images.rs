//! Images: the named entries of `index.json`, as containerd and skopeo write them.
//!
//! Each pulled image is one descriptor of its image manifest (media type exactly as the
//! registry served it), with `platform` and the annotations [`ANNOTATION_IMAGE_NAME`] (full
//! normalised reference), [`ANNOTATION_REF_NAME`] (the tag, which is what `oci:DIR:TAG`
//! resolves in skopeo) and, when the reference named a manifest list,
//! [`ANNOTATION_INDEX_DIGEST`]. An entry without names is a dangling image (`<none>`).

use std::collections::{BTreeMap, BTreeSet, HashSet};

use oci_spec::image::{ImageIndex, ImageManifest};
use serde::Serialize;

use super::index::{IndexEntry, LayoutIndex, platform_json};
use super::walk::{self, Kind, MAX_MANIFEST_SIZE, is_index_media_type};
use super::{Store, StoreError};
use crate::digest::Digest;
use crate::platform::Platform;
use crate::reference::Reference;

/// containerd's name annotation: the full normalised reference.
pub const ANNOTATION_IMAGE_NAME: &str = "io.containerd.image.name";
/// The OCI reference name: the tag (as containerd's exporter and skopeo write it).
pub const ANNOTATION_REF_NAME: &str = "org.opencontainers.image.ref.name";
/// The manifest list (index) digest the reference resolved to, when it was one.
pub const ANNOTATION_INDEX_DIGEST: &str = "io.porthole.index.digest";

/// Image configs are a few KiB; some with long histories reach a few MiB.
const MAX_CONFIG_SIZE: u64 = 32 << 20;

/// The manifest an image entry points at, as the registry served it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ManifestDescriptor {
    /// Kept exactly, OCI or Docker schema 2.
    pub media_type: String,
    pub digest: Digest,
    pub size: u64,
}

/// An image to record in the store; its manifest, config and layers must be in it already.
#[derive(Clone, Debug)]
pub struct NewImage {
    /// Full normalised reference with its tag (`docker.io/library/nginx:latest`), or
    /// digest-only (`docker.io/library/nginx@sha256:…`). A familiar name (`nginx`) is
    /// normalised before it is stored.
    pub name: String,
    /// The tag, written as `org.opencontainers.image.ref.name`. When `None`, the tag of
    /// `name` (if it has one) is used.
    pub tag: Option<String>,
    pub manifest: ManifestDescriptor,
    pub platform: Option<Platform>,
    /// The digest the reference resolved to when it named a manifest list.
    pub index_digest: Option<Digest>,
}

/// One image of the store, as `docker images` lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageSummary {
    /// Full normalised reference; `None` for a dangling image, or when another tool named
    /// it with a bare tag only.
    pub reference: Option<String>,
    /// `docker.io/library/nginx`.
    pub repository: Option<String>,
    pub tag: Option<String>,
    /// Digest of the image manifest.
    pub digest: Digest,
    /// Digest of the config: the IMAGE ID of `docker images`. When the manifest cannot be
    /// read (see `problem`), the manifest digest stands in.
    pub id: Digest,
    /// `created` from the config, RFC 3339.
    pub created: Option<String>,
    /// Config plus compressed layers, in bytes.
    pub size: u64,
    pub platform: Option<Platform>,
    /// The manifest list the image was chosen from, if any.
    pub index_digest: Option<Digest>,
    /// Media type of the manifest.
    pub media_type: String,
    /// Why the image cannot be fully read (a missing or damaged blob), if it cannot.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
}

/// Names derived from an entry's annotations.
#[derive(Default)]
struct Names {
    reference: Option<String>,
    repository: Option<String>,
    tag: Option<String>,
}

impl Names {
    fn of(entry: &IndexEntry) -> Names {
        let ref_name = entry.annotation(ANNOTATION_REF_NAME);
        if let Some(name) = entry.annotation(ANNOTATION_IMAGE_NAME) {
            return match Reference::parse(name) {
                Ok(r) => Names::from_reference(&r, ref_name),
                Err(_) => Names {
                    reference: Some(name.to_owned()),
                    repository: None,
                    tag: ref_name.map(str::to_owned),
                },
            };
        }
        let Some(ref_name) = ref_name else {
            return Names::default();
        };
        // Some tools write a whole reference (`nginx:latest`) as the ref name.
        if ref_name.contains(['/', ':', '@'])
            && let Ok(r) = Reference::parse(ref_name)
        {
            return Names::from_reference(&r, None);
        }
        Names {
            reference: None,
            repository: None,
            tag: Some(ref_name.to_owned()),
        }
    }

    fn from_reference(r: &Reference, ref_name: Option<&str>) -> Names {
        Names {
            reference: Some(r.to_string()),
            repository: Some(r.name()),
            tag: r.tag().or(ref_name).map(str::to_owned),
        }
    }
}

fn is_dangling(entry: &IndexEntry) -> bool {
    entry.annotation(ANNOTATION_IMAGE_NAME).is_none()
        && entry.annotation(ANNOTATION_REF_NAME).is_none()
}

/// The normalised form of a name, to compare names written in different ways.
pub(super) fn canonical(name: &str) -> String {
    Reference::parse(name).map_or_else(|_| name.to_owned(), |r| r.to_string())
}

fn set_annotation(entry: &mut IndexEntry, key: &str, value: Option<String>) {
    match value {
        Some(v) => entry.annotations.insert(key.to_owned(), v),
        None => entry.annotations.remove(key),
    };
}

/// A full digest typed as `sha256:<hex>` or bare `<hex>`.
fn full_digest(s: &str) -> Option<Digest> {
    let hex = s.strip_prefix("sha256:").unwrap_or(s);
    format!("sha256:{hex}").parse().ok()
}

/// A prefix of an image ID: at least 4 hex characters, with or without `sha256:`.
fn id_prefix(s: &str) -> Option<String> {
    let hex = s.strip_prefix("sha256:").unwrap_or(s).to_ascii_lowercase();
    (hex.len() >= 4 && hex.len() <= 64 && hex.bytes().all(|b| b.is_ascii_hexdigit())).then_some(hex)
}

pub(super) fn from_oci_platform(p: &oci_spec::image::Platform) -> Platform {
    Platform::new(
        &p.os().to_string(),
        &p.architecture().to_string(),
        p.variant().as_deref(),
    )
}

/// The manifest of an index to take as the image for a platform.
pub(super) struct PlatformChoice {
    pub digest: Digest,
    pub media_type: String,
    pub platform: Option<Platform>,
    /// Whether it runs where `wanted` is wanted ([`Platform::match_rank`]), rather than being
    /// the first entry for want of a match.
    pub matched: bool,
}

/// Among the entries of `index` that `usable` accepts (given each one's digest), the best
/// match for `wanted` (this machine's platform, or the one a person asked for), else the
/// first: index order breaks ties, as a pull ranks platforms.
pub(super) fn platform_choice(
    index: &ImageIndex,
    wanted: &Platform,
    usable: impl Fn(&Digest, &oci_spec::image::Descriptor) -> bool,
) -> Option<PlatformChoice> {
    let candidates = index.manifests().iter().filter_map(|d| {
        let digest: Digest = d.digest().to_string().parse().ok()?;
        usable(&digest, d).then(|| {
            let platform = d.platform().as_ref().map(from_oci_platform);
            let rank = platform.as_ref().and_then(|p| wanted.match_rank(p));
            (rank, digest, d.media_type().to_string(), platform)
        })
    });
    // min_by_key keeps the first of equals.
    candidates
        .min_by_key(|c| c.0.map_or(u16::MAX, u16::from))
        .map(|(rank, digest, media_type, platform)| PlatformChoice {
            digest,
            media_type,
            platform,
            matched: rank.is_some(),
        })
}

/// Which entries (positions in `index.json`) a user's words designate.
enum Selection {
    /// By name: only those entries.
    Names(Vec<usize>),
    /// By image ID or digest: every entry of that image.
    Image(Vec<usize>),
}

impl Selection {
    fn positions(&self) -> &[usize] {
        match self {
            Selection::Names(p) | Selection::Image(p) => p,
        }
    }
}

impl Store {
    /// Records an image under `image.name`. Checks first that its manifest and the manifest's
    /// config and layers are in the store. A name that already exists is re-pointed: its old
    /// entry loses its names and stays as a dangling image, unless another entry holds the
    /// same manifest (then it goes).
    pub fn add_image(&self, image: NewImage) -> Result<(), StoreError> {
        let invalid = |reason: &str| StoreError::InvalidImage {
            name: image.name.clone(),
            reason: reason.to_owned(),
        };
        if image.name.trim().is_empty() || image.name.chars().any(char::is_whitespace) {
            return Err(invalid("the name is empty or contains spaces"));
        }
        let parsed = Reference::parse(&image.name).ok();
        let tag = match &image.tag {
            Some(t) if t.is_empty() || t.chars().any(char::is_whitespace) => {
                return Err(invalid("the tag is empty or contains spaces"));
            }
            Some(t) => Some(t.clone()),
            None => parsed.as_ref().and_then(|r| r.tag().map(str::to_owned)),
        };
        self.check_complete(&image.manifest)?;

        let m = &image.manifest;
        let name = canonical(&image.name);
        let mut annotations = BTreeMap::new();
        annotations.insert(ANNOTATION_IMAGE_NAME.to_owned(), name.clone());
        if let Some(tag) = tag {
            annotations.insert(ANNOTATION_REF_NAME.to_owned(), tag);
        }
        if let Some(d) = &image.index_digest {
            annotations.insert(ANNOTATION_INDEX_DIGEST.to_owned(), d.to_string());
        }
        let entry = IndexEntry {
            media_type: m.media_type.clone(),
            digest: m.digest.to_string(),
            size: m.size,
            platform: image.platform.as_ref().map(platform_json),
            annotations,
            extra: Default::default(),
        };
        self.update_index(|index| {
            put(index, entry, &name);
            Ok(())
        })
    }

    /// Records an image without a name (a `docker load` of an untagged image), with another
    /// tool's bare ref name if it had one and the index it was chosen from; nothing changes
    /// if the same manifest is already listed without a name.
    pub(super) fn add_unnamed(
        &self,
        manifest: &ManifestDescriptor,
        platform: Option<&Platform>,
        ref_name: Option<String>,
        index_digest: Option<&Digest>,
    ) -> Result<(), StoreError> {
        self.check_complete(manifest)?;
        let mut annotations = BTreeMap::new();
        if let Some(r) = ref_name {
            annotations.insert(ANNOTATION_REF_NAME.to_owned(), r);
        }
        if let Some(d) = index_digest {
            annotations.insert(ANNOTATION_INDEX_DIGEST.to_owned(), d.to_string());
        }
        let entry = IndexEntry {
            media_type: manifest.media_type.clone(),
            digest: manifest.digest.to_string(),
            size: manifest.size,
            platform: platform.map(platform_json),
            annotations,
            extra: Default::default(),
        };
        self.update_index(|index| {
            let listed = index.manifests.iter().any(|e| {
                e.digest == entry.digest
                    && e.annotation(ANNOTATION_IMAGE_NAME).is_none()
                    && e.annotation(ANNOTATION_REF_NAME) == entry.annotation(ANNOTATION_REF_NAME)
            });
            if !listed {
                index.manifests.push(entry);
            }
            Ok(())
        })
    }

    /// The manifest is there, and so are its config and layers (an index's children may
    /// be missing: a pull stores one platform).
    fn check_complete(&self, m: &ManifestDescriptor) -> Result<(), StoreError> {
        let missing = |digest: &Digest| StoreError::MissingBlob {
            digest: digest.clone(),
            path: self.blob_path(digest),
        };
        if !self.has_blob(&m.digest, m.size) {
            return Err(missing(&m.digest));
        }
        if is_index_media_type(&m.media_type) {
            return Ok(());
        }
        let bytes = self.read_blob(&m.digest, MAX_MANIFEST_SIZE)?;
        let children = walk::children(&bytes).map_err(|reason| StoreError::Corrupt {
            path: self.blob_path(&m.digest),
            reason: format!("the manifest cannot be read: {reason}"),
        })?;
        for child in children.iter().filter(|c| c.kind == Kind::Leaf) {
            if !self.has_blob(&child.digest, child.size) {
                return Err(missing(&child.digest));
            }
        }
        Ok(())
    }

    /// Every image in `index.json`, in its order. An image whose blobs are missing or
    /// damaged is listed with `problem` set rather than failing the whole list.
    pub fn images(&self) -> Result<Vec<ImageSummary>, StoreError> {
        let index = self.read_index()?;
        Ok(self.summaries(&index).into_iter().map(|(_, s)| s).collect())
    }

    /// Finds one image by full or familiar reference (`nginx`, `nginx:latest`,
    /// `docker.io/library/nginx:latest`, `nginx@sha256:…`), by image ID (config digest) or
    /// a unique prefix of it (at least 4 hex characters, with or without `sha256:`), or by
    /// manifest digest. Names win over ID prefixes, as in docker.
    pub fn resolve(&self, ref_or_id: &str) -> Result<ImageSummary, StoreError> {
        let index = self.read_index()?;
        let summaries = self.summaries(&index);
        let selection = self.select(&index, &summaries, ref_or_id)?;
        let found: Vec<&ImageSummary> = selection
            .positions()
            .iter()
            .filter_map(|p| summaries.iter().find(|(q, _)| q == p).map(|(_, s)| s))
            .collect();
        // Prefer a named entry over a dangling one of the same image.
        found
            .iter()
            .find(|s| s.reference.is_some())
            .or(found.first())
            .map(|s| (*s).clone())
            .ok_or_else(|| self.not_found(ref_or_id))
    }

    /// Gives the image that `source` designates (a reference, an image ID or a unique prefix
    /// of one, a manifest digest) the name `target`, as `docker tag` does: `target` is
    /// normalised (`myapp` → `docker.io/library/myapp:latest`); a name that already points
    /// elsewhere is moved to this image (the other image keeps its other names, or stays as a
    /// dangling image). A target with a digest is refused, since a digest names content, not a
    /// choice. Returns the image under its new name.
    pub fn tag(&self, source: &str, target: &str) -> Result<ImageSummary, StoreError> {
        let invalid = |reason: String| StoreError::InvalidImage {
            name: target.to_owned(),
            reason,
        };
        let reference = Reference::parse(target).map_err(|e| invalid(e.to_string()))?;
        if reference.digest().is_some() {
            return Err(invalid(
                "a new name cannot carry a digest (`name@sha256:…` names content that exists \
                 already); give a tag instead"
                    .to_owned(),
            ));
        }
        let entry = {
            let index = self.read_index()?;
            let summaries = self.summaries(&index);
            let selection = self.select(&index, &summaries, source)?;
            let positions = selection.positions();
            // Any entry of the image has the same manifest; a named one carries the index it
            // was chosen from, when there was one.
            let position = positions
                .iter()
                .copied()
                .find(|&p| {
                    index.manifests[p]
                        .annotation(ANNOTATION_IMAGE_NAME)
                        .is_some()
                })
                .or(positions.first().copied())
                .ok_or_else(|| self.not_found(source))?;
            index.manifests[position].clone()
        };
        let digest = entry
            .digest()
            .ok_or_else(|| invalid(format!("`{source}` has no sha256 digest")))?;
        let name = reference.to_string();
        self.add_image(NewImage {
            name: name.clone(),
            tag: reference.tag().map(str::to_owned),
            manifest: ManifestDescriptor {
                media_type: entry.media_type.clone(),
                digest,
                size: entry.size,
            },
            platform: entry.platform(),
            index_digest: entry
                .annotation(ANNOTATION_INDEX_DIGEST)
                .and_then(|d| d.parse().ok()),
        })?;
        self.resolve(&name)
    }

    /// Removes entries from `index.json` and returns them: a reference removes that name
    /// only; an ID or digest removes every entry of that image. Blobs stay for [`Store::gc`].
    pub fn remove(&self, ref_or_id: &str) -> Result<Vec<ImageSummary>, StoreError> {
        self.update_index(|index| {
            let summaries = self.summaries(index);
            let selection = self.select(index, &summaries, ref_or_id)?;
            let doomed: BTreeSet<usize> = selection.positions().iter().copied().collect();
            let removed = summaries
                .into_iter()
                .filter(|(p, _)| doomed.contains(p))
                .map(|(_, s)| s)
                .collect();
            let mut position = 0;
            index.manifests.retain(|_| {
                position += 1;
                !doomed.contains(&(position - 1))
            });
            Ok(removed)
        })
    }

    fn not_found(&self, what: &str) -> StoreError {
        StoreError::NotFound {
            what: what.to_owned(),
            root: self.root().to_path_buf(),
            similar: Vec::new(),
        }
    }

    /// Summaries with the position of their entry (entries with non-sha256 digests are
    /// left out).
    fn summaries(&self, index: &LayoutIndex) -> Vec<(usize, ImageSummary)> {
        index
            .manifests
            .iter()
            .enumerate()
            .filter_map(|(i, e)| Some((i, self.summarize(e)?)))
            .collect()
    }

    fn summarize(&self, entry: &IndexEntry) -> Option<ImageSummary> {
        let digest = entry.digest()?;
        let names = Names::of(entry);
        let mut summary = ImageSummary {
            reference: names.reference,
            repository: names.repository,
            tag: names.tag,
            id: digest.clone(),
            digest,
            created: None,
            size: entry.size,
            platform: entry.platform(),
            index_digest: entry
                .annotation(ANNOTATION_INDEX_DIGEST)
                .and_then(|d| d.parse().ok()),
            media_type: entry.media_type.clone(),
            problem: None,
        };
        let filled = if is_index_media_type(&entry.media_type) {
            self.fill_from_index(&mut summary)
        } else {
            self.fill_from_manifest(&mut summary)
        };
        if let Err(problem) = filled {
            summary.problem = Some(problem);
        }
        Some(summary)
    }

    fn fill_from_manifest(&self, s: &mut ImageSummary) -> Result<(), String> {
        let bytes = self
            .read_blob(&s.digest, MAX_MANIFEST_SIZE)
            .map_err(|e| e.to_string())?;
        let manifest: ImageManifest = serde_json::from_slice(&bytes)
            .map_err(|e| format!("manifest {} is not an image manifest: {e}", s.digest))?;
        let config = manifest.config();
        let id: Digest =
            config.digest().to_string().parse().map_err(|e| {
                format!("manifest {} names a config we cannot verify: {e}", s.digest)
            })?;
        s.size = manifest
            .layers()
            .iter()
            .fold(config.size(), |sum, l| sum.saturating_add(l.size()));
        s.id = id.clone();
        let config = self
            .read_blob(&id, MAX_CONFIG_SIZE)
            .map_err(|e| e.to_string())?;
        // Only `created` is needed, so read leniently: an artifact's config need not be an
        // image configuration.
        #[derive(serde::Deserialize)]
        struct Created {
            created: Option<String>,
        }
        s.created = serde_json::from_slice::<Created>(&config)
            .ok()
            .and_then(|c| c.created);
        Ok(())
    }

    /// An entry written by another tool that points at a whole index: show the manifest
    /// for this machine's platform (or the first one present) as the image.
    fn fill_from_index(&self, s: &mut ImageSummary) -> Result<(), String> {
        let bytes = self
            .read_blob(&s.digest, MAX_MANIFEST_SIZE)
            .map_err(|e| e.to_string())?;
        let index: ImageIndex = serde_json::from_slice(&bytes)
            .map_err(|e| format!("index {} is not an image index: {e}", s.digest))?;
        let PlatformChoice {
            digest,
            media_type,
            platform,
            ..
        } = platform_choice(&index, &Platform::host(), |digest, d| {
            self.has_blob(digest, d.size())
        })
        .ok_or_else(|| {
            format!(
                "none of the {} manifests of index {} is in the store",
                index.manifests().len(),
                s.digest
            )
        })?;
        s.index_digest = Some(std::mem::replace(&mut s.digest, digest.clone()));
        s.id = digest;
        s.media_type = media_type;
        s.platform = platform;
        self.fill_from_manifest(s)
    }

    fn select(
        &self,
        index: &LayoutIndex,
        summaries: &[(usize, ImageSummary)],
        input: &str,
    ) -> Result<Selection, StoreError> {
        let input = input.trim();
        if input.is_empty() {
            return Err(self.not_found(input));
        }
        let matching = |f: &dyn Fn(&ImageSummary) -> bool| -> Vec<usize> {
            summaries
                .iter()
                .filter(|(_, s)| f(s))
                .map(|(p, _)| *p)
                .collect()
        };

        // A whole digest: an image ID, else a manifest or manifest list digest.
        if let Some(d) = full_digest(input) {
            let by_id = matching(&|s| s.id == d);
            if !by_id.is_empty() {
                return Ok(Selection::Image(by_id));
            }
            let by_digest = matching(&|s| s.digest == d || s.index_digest.as_ref() == Some(&d));
            if !by_digest.is_empty() {
                return Ok(Selection::Image(by_digest));
            }
            return Err(self.not_found(input));
        }

        // A name.
        let parsed = Reference::parse(input).ok();
        let wanted = canonical(input);
        let by_name = matching(&|s| {
            if s.reference.as_deref().map(canonical).as_deref() == Some(wanted.as_str()) {
                return true;
            }
            // `name@digest` also finds an image pulled by tag with that digest.
            match &parsed {
                Some(r) => r.digest().is_some_and(|d| {
                    s.repository.as_deref() == Some(r.name().as_str())
                        && (s.digest == *d || s.index_digest.as_ref() == Some(d))
                }),
                None => false,
            }
        });
        // A bare ref name written by another tool (`skopeo copy … oci:DIR:v1`).
        let by_ref_name: Vec<usize> = index
            .manifests
            .iter()
            .enumerate()
            .filter(|(_, e)| {
                e.annotation(ANNOTATION_IMAGE_NAME).is_none()
                    && e.annotation(ANNOTATION_REF_NAME) == Some(input)
            })
            .map(|(p, _)| p)
            .filter(|p| summaries.iter().any(|(q, _)| q == p))
            .collect();
        let names: Vec<usize> = by_name
            .into_iter()
            .chain(by_ref_name)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        if !names.is_empty() {
            return Ok(Selection::Names(names));
        }

        // A prefix of an image ID.
        if let Some(prefix) = id_prefix(input) {
            let ids: BTreeSet<&Digest> = summaries
                .iter()
                .map(|(_, s)| &s.id)
                .filter(|id| id.hex().starts_with(&prefix))
                .collect();
            match ids.len() {
                0 => {}
                1 => {
                    let id = ids.into_iter().next().cloned();
                    return Ok(Selection::Image(matching(&|s| Some(&s.id) == id.as_ref())));
                }
                _ => {
                    return Err(StoreError::Ambiguous {
                        what: input.to_owned(),
                        candidates: ids.into_iter().cloned().collect(),
                    });
                }
            }
        }
        Err(StoreError::NotFound {
            what: input.to_owned(),
            root: self.root().to_path_buf(),
            similar: parsed
                .map(|wanted| similar_names(summaries, input, &wanted))
                .unwrap_or_default(),
        })
    }
}

/// The images `input` (which names none) probably meant: the same repository on another
/// registry, or with `library/` left out or added, and the same tag if `input` has one.
fn similar_names(
    summaries: &[(usize, ImageSummary)],
    input: &str,
    wanted: &Reference,
) -> Vec<String> {
    if wanted.digest().is_some() {
        return Vec::new();
    }
    let last = input.rsplit('/').next().unwrap_or(input);
    let tag_typed = last.contains(':');
    let bare = |path: &str| path.strip_prefix("library/").unwrap_or(path).to_owned();
    let names: BTreeSet<String> = summaries
        .iter()
        .filter_map(|(_, s)| Reference::parse(s.reference.as_deref()?).ok())
        .filter(|r| {
            bare(r.repository()) == bare(wanted.repository())
                && (!tag_typed || r.tag() == wanted.tag())
        })
        .map(|r| r.familiar())
        .collect();
    names.into_iter().take(3).collect()
}

/// Adds `entry` under `name` (canonical), re-pointing the name if it exists.
fn put(index: &mut LayoutIndex, entry: IndexEntry, name: &str) {
    let mut placed = false;
    for existing in &mut index.manifests {
        let same_name = Names::of(existing)
            .reference
            .is_some_and(|r| canonical(&r) == name);
        if !same_name {
            continue;
        }
        if !placed && existing.digest == entry.digest {
            // The name already points at this manifest: refresh it in place.
            existing.media_type = entry.media_type.clone();
            existing.size = entry.size;
            existing.platform = entry.platform.clone();
            for key in [
                ANNOTATION_IMAGE_NAME,
                ANNOTATION_REF_NAME,
                ANNOTATION_INDEX_DIGEST,
            ] {
                set_annotation(existing, key, entry.annotations.get(key).cloned());
            }
            placed = true;
        } else {
            set_annotation(existing, ANNOTATION_IMAGE_NAME, None);
            set_annotation(existing, ANNOTATION_REF_NAME, None);
        }
    }
    if !placed {
        index.manifests.push(entry);
    }
    drop_redundant_dangling(index);
}

/// Keeps a dangling entry only for a manifest that no named entry holds, one per manifest.
fn drop_redundant_dangling(index: &mut LayoutIndex) {
    let named: HashSet<String> = index
        .manifests
        .iter()
        .filter(|e| !is_dangling(e))
        .map(|e| e.digest.clone())
        .collect();
    let mut seen = HashSet::new();
    index.manifests.retain(|e| {
        !is_dangling(e) || (!named.contains(&e.digest) && seen.insert(e.digest.clone()))
    });
}
