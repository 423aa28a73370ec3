//! The local image store: an OCI image layout (`oci-layout`, `index.json`,
//! `blobs/sha256/<hex>`) that skopeo (`oci:DIR:TAG`), umoci and containerd can read. The
//! desktop app and the CLI share one store and may write to it at the same time.
//!
//! How it stays whole:
//! - A blob appears in `blobs/` only by a rename, after its size and digest were checked
//!   ([`BlobWriter::commit`], [`Store::write_blob`]): nothing half-written is ever visible
//!   there. Downloads in progress live in `ingest/sha256-<hex>.partial`, each held under an
//!   exclusive file lock by the one writer that owns it, so an interrupted pull resumes.
//! - `index.json` is only replaced whole (temporary file, fsync, rename, fsync of the
//!   directory), under an exclusive lock on `.porthole-index.lock`, so that concurrent
//!   read-modify-writes never lose an entry.
//! - A pull holds [`Store::lock_shared`] (a shared lock on `.porthole-gc.lock`) from its first
//!   blob to its `add_image`; [`Store::gc`] takes that lock exclusively, so it never deletes
//!   blobs that a running pull wrote but has not referenced yet. gc waits for running pulls up
//!   to [`GcOptions::lock_timeout`] and then gives up with [`StoreError::Locked`].
//! - Lock order is always gc lock, then index lock, then a partial's lock.
//!
//! The lock files and `ingest/` are extra entries that OCI tools ignore. Every path is built
//! from a validated [`Digest`] (64 hex characters), so nothing escapes the root.

mod archive;
mod blobs;
mod fsck;
mod gc;
mod images;
mod index;
mod layout;
mod load;
mod lock;
mod walk;

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use crate::digest::Digest;
use crate::platform::Platform;

pub use archive::{ArchiveError, ArchiveReport};
pub use blobs::{BlobWriter, Ingest};
pub use fsck::{BlobSizeMismatch, FsckReport};
pub use gc::{GcEstimate, GcOptions, GcReport};
pub use images::{
    ANNOTATION_IMAGE_NAME, ANNOTATION_INDEX_DIGEST, ANNOTATION_REF_NAME, ImageSummary,
    ManifestDescriptor, NewImage,
};
pub use load::{LoadOptions, LoadReport, LoadedImage};
pub use lock::StoreLock;
pub use walk::MAX_MANIFEST_SIZE;

/// What went wrong in the store.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    #[error("could not {action} `{}`", path.display())]
    Io {
        /// What was being done, e.g. "create directory" or "rename into place".
        action: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error(
        "content does not match its digest: expected {expected}, found {found} \
         (the download was damaged or the registry sent the wrong bytes; pull again)"
    )]
    DigestMismatch { expected: Digest, found: Digest },
    #[error("content has the wrong size: expected {expected} bytes, found {found}")]
    SizeMismatch { expected: u64, found: u64 },
    #[error("blob {digest} is {size} bytes, more than the {max} bytes accepted here")]
    TooLarge { digest: Digest, size: u64, max: u64 },
    #[error(
        "blob {digest} is missing from the store (expected at `{}`); pull the image again",
        path.display()
    )]
    MissingBlob { digest: Digest, path: PathBuf },
    #[error(
        "no image named `{what}` in the store at `{}`{}",
        root.display(),
        did_you_mean(similar)
    )]
    NotFound {
        what: String,
        root: PathBuf,
        /// Images in the store with the same repository (and tag, when one was typed) on
        /// another registry, or with the `library/` of an official image left out or added:
        /// the likely meaning of `debian:12` when only `localhost:5000/library/debian:12`
        /// was pulled. At most three, familiar names.
        similar: Vec<String>,
    },
    #[error(
        "`{what}` matches {} different images ({}); type more characters of the image ID",
        candidates.len(),
        short_list(candidates)
    )]
    Ambiguous {
        what: String,
        candidates: Vec<Digest>,
    },
    #[error("cannot add image `{name}`: {reason}")]
    InvalidImage { name: String, reason: String },
    #[error("`{}` is damaged: {reason}", path.display())]
    Corrupt { path: PathBuf, reason: String },
    #[error(
        "the store is busy: a pull (or fsck) is using it (waited {}s for `{}`); \
         try again when it has finished",
        waited.as_secs(),
        path.display()
    )]
    Locked { path: PathBuf, waited: Duration },
    #[error("`{}` is not a usable image store: {reason}", path.display())]
    InvalidLayout { path: PathBuf, reason: String },
    #[error(
        "the archive has no {wanted} image of {image}; {}",
        platforms_held(available)
    )]
    PlatformNotInArchive {
        /// The image of the archive, as it names it (a name, else a digest).
        image: String,
        /// The platform asked for.
        wanted: Platform,
        /// The platforms the archive holds an image of, for that image, in its order.
        available: Vec<Platform>,
    },
}

fn platforms_held(platforms: &[Platform]) -> String {
    if platforms.is_empty() {
        return "it states no platform for it (leave --platform out to load it)".into();
    }
    let list: Vec<String> = platforms.iter().map(Platform::to_string).collect();
    format!(
        "it has {} (ask for {} with --platform)",
        list.join(", "),
        if list.len() == 1 {
            "that"
        } else {
            "one of those"
        }
    )
}

fn did_you_mean(names: &[String]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
    match quoted.split_last() {
        None => String::new(),
        Some((only, [])) => format!("; did you mean {only}?"),
        Some((last, rest)) => format!("; did you mean {} or {last}?", rest.join(", ")),
    }
}

fn short_list(digests: &[Digest]) -> String {
    digests
        .iter()
        .map(Digest::short)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Builds the `map_err` closure for an I/O failure: what was being done, to which path.
fn io_error<'a>(action: &'static str, path: &'a Path) -> impl FnOnce(io::Error) -> StoreError + 'a {
    move |source| StoreError::Io {
        action,
        path: path.to_path_buf(),
        source,
    }
}

/// Environment variable naming the store directory (it wins over the config file).
pub const STORE_ENV: &str = "PORTHOLE_STORE";

/// What chose the store directory, strongest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StoreSource {
    /// `--store DIR` on the command line.
    Flag,
    /// `$PORTHOLE_STORE`.
    Env,
    /// The config file's `store` key.
    Config,
    /// The platform's data directory.
    Default,
}

/// Where the store is, and why there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoreLocation {
    pub path: PathBuf,
    pub source: StoreSource,
}

/// [`Store::locate`] over an explicit environment value, for tests.
fn locate_with(
    flag: Option<&Path>,
    env: Option<&std::ffi::OsStr>,
    configured: Option<&Path>,
    data_dir: impl FnOnce() -> PathBuf,
) -> StoreLocation {
    let at = |path: &Path, source| StoreLocation {
        path: path.to_owned(),
        source,
    };
    let nonempty = |p: &&Path| !p.as_os_str().is_empty();
    if let Some(dir) = flag.filter(nonempty) {
        return at(dir, StoreSource::Flag);
    }
    if let Some(dir) = env.map(Path::new).filter(nonempty) {
        return at(dir, StoreSource::Env);
    }
    if let Some(dir) = configured.filter(nonempty) {
        return at(dir, StoreSource::Config);
    }
    StoreLocation {
        path: data_dir(),
        source: StoreSource::Default,
    }
}

/// A handle on one store directory. Cloning is cheap; handles are `Send + Sync`, and separate
/// handles (or processes) on the same directory coordinate through file locks.
#[derive(Clone, Debug)]
pub struct Store {
    root: Arc<Path>,
}

impl Store {
    /// Where the store lives when neither `--store` nor the config file's `store` chose a
    /// directory (callers that honour the config use [`Store::locate`]): `$PORTHOLE_STORE`
    /// when set and non-empty, else [`Store::data_dir_root`].
    pub fn default_root() -> PathBuf {
        match std::env::var_os(STORE_ENV) {
            Some(dir) if !dir.is_empty() => PathBuf::from(dir),
            _ => Store::data_dir_root(),
        }
    }

    /// `<data dir>/porthole/store` (`~/.local/share` on Linux, `~/Library/Application
    /// Support` on macOS, `%APPDATA%` on Windows), else `porthole/store` under the current
    /// directory when the system has no data directory.
    pub fn data_dir_root() -> PathBuf {
        dirs::data_dir()
            .unwrap_or_else(|| PathBuf::from("."))
            .join("porthole")
            .join("store")
    }

    /// The store directory and what chose it, by precedence: `flag` (`--store`), else
    /// `$PORTHOLE_STORE`, else `configured` (the config file's `store`), else
    /// [`Store::data_dir_root`].
    pub fn locate(flag: Option<&Path>, configured: Option<&Path>) -> StoreLocation {
        locate_with(
            flag,
            std::env::var_os(STORE_ENV).as_deref(),
            configured,
            Store::data_dir_root,
        )
    }

    /// Opens the store at `root`, creating an empty layout there when the directory is
    /// missing or empty. Refuses a directory that holds something other than an OCI layout.
    pub fn open(root: impl Into<PathBuf>) -> Result<Store, StoreError> {
        let root: PathBuf = root.into();
        layout::open_or_create(&root)?;
        Ok(Store { root: root.into() })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// `<root>/index.json`, the list of the store's images: the one file whose replacement
    /// means that images were added or removed (blobs, `ingest/`, temporary files and the lock
    /// files come and go within every pull). It takes the root rather than a handle so that a
    /// watcher can name it before the store exists.
    pub fn index_file(root: &Path) -> PathBuf {
        root.join(layout::INDEX_JSON)
    }

    /// `<root>/blobs/sha256/<hex>`, whether or not the blob is there.
    pub fn blob_path(&self, digest: &Digest) -> PathBuf {
        self.blobs_dir().join(digest.hex())
    }

    fn blobs_dir(&self) -> PathBuf {
        self.root.join("blobs").join("sha256")
    }

    fn ingest_dir(&self) -> PathBuf {
        self.root.join(layout::INGEST_DIR)
    }
}

#[cfg(test)]
mod index_file_tests {
    use super::*;

    #[test]
    fn index_file_is_the_file_that_open_creates_and_other_tools_read() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("store");
        assert_eq!(Store::index_file(&root), root.join("index.json"));
        assert!(!Store::index_file(&root).exists());
        Store::open(&root).unwrap();
        let index = std::fs::read(Store::index_file(&root)).unwrap();
        let index: serde_json::Value = serde_json::from_slice(&index).unwrap();
        assert_eq!(index["schemaVersion"], 2);
    }
}

#[cfg(test)]
mod locate_tests {
    use std::ffi::OsStr;

    use super::*;

    #[test]
    fn the_flag_beats_the_environment_beats_the_config_beats_the_data_dir() {
        let data = || PathBuf::from("/data/porthole/store");
        let flag = Some(Path::new("/flag"));
        let env = Some(OsStr::new("/env"));
        let config = Some(Path::new("/config"));
        let got = |f, e, c| {
            let l = locate_with(f, e, c, data);
            (l.path.display().to_string(), l.source)
        };
        assert_eq!(got(flag, env, config), ("/flag".into(), StoreSource::Flag));
        assert_eq!(got(None, env, config), ("/env".into(), StoreSource::Env));
        assert_eq!(
            got(None, None, config),
            ("/config".into(), StoreSource::Config)
        );
        assert_eq!(
            got(None, None, None),
            ("/data/porthole/store".into(), StoreSource::Default)
        );
        // Empty values count as unset, as an empty $PORTHOLE_STORE always did.
        assert_eq!(
            got(Some(Path::new("")), Some(OsStr::new("")), config),
            ("/config".into(), StoreSource::Config)
        );
    }
}
