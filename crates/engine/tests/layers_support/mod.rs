//! Shared by the `layers_*` tests: running the real tools (GNU tar, gzip, zstd, umoci,
//! debootstrap), walking a directory as ground truth, and reading an index the same way.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::process::Command;

use porthole_engine::Digest;
use porthole_engine::layers::{FileEntry, FileType, ImageLayers, LayerIndex};
use porthole_engine::store::Store;

/// Where slow fixtures (the debootstrap rootfs, the umoci image) are kept between runs.
#[path = "../common/debian.rs"]
mod debian;

pub const CACHE_DIR: &str = "/var/tmp/porthole-test-cache";

/// Runs `cmd`, panicking with its output when it fails.
pub fn run(cmd: &mut Command) -> Vec<u8> {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed ({}):\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// `sh -c script`, in `dir`.
pub fn sh(dir: &Path, script: &str) -> Vec<u8> {
    run(Command::new("sh").arg("-c").arg(script).current_dir(dir))
}

/// What the tests compare for one path: as the filesystem (or an index) has it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Seen {
    pub kind: &'static str,
    /// Regular files only (a directory's size is the filesystem's business).
    pub size: u64,
    pub mode: u32,
    pub uid: u64,
    pub gid: u64,
    /// Symlinks only.
    pub link: Option<String>,
}

/// Every path under `root` (relative, without `./`), as `lstat` sees it; hard links are
/// regular files, as after extraction.
pub fn walk_dir(root: &Path) -> BTreeMap<String, Seen> {
    let mut out = BTreeMap::new();
    let mut todo = vec![root.to_path_buf()];
    while let Some(dir) = todo.pop() {
        for entry in fs::read_dir(&dir).unwrap() {
            let entry = entry.unwrap();
            let path = entry.path();
            let meta = fs::symlink_metadata(&path).unwrap();
            let ft = meta.file_type();
            let kind = if ft.is_dir() {
                todo.push(path.clone());
                "dir"
            } else if ft.is_symlink() {
                "symlink"
            } else if ft.is_file() {
                "file"
            } else if ft.is_char_device() {
                "char"
            } else if ft.is_block_device() {
                "block"
            } else if ft.is_fifo() {
                "fifo"
            } else {
                "socket"
            };
            let rel = path
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            out.insert(
                rel,
                Seen {
                    kind,
                    size: if kind == "file" { meta.len() } else { 0 },
                    mode: meta.mode() & 0o7777,
                    uid: u64::from(meta.uid()),
                    gid: u64::from(meta.gid()),
                    link: ft
                        .is_symlink()
                        .then(|| fs::read_link(&path).unwrap().to_string_lossy().into_owned()),
                },
            );
        }
    }
    out
}

/// One entry as [`walk_dir`] would see it after extraction, given a lookup for hard link
/// targets.
fn seen(e: &FileEntry, target: impl Fn(&str) -> Option<FileEntry>) -> Seen {
    let resolved = match e.kind {
        FileType::Hardlink => {
            let t = e.link_target.as_deref().expect("hard link without target");
            target(t).unwrap_or_else(|| panic!("{}: hard link to missing {t}", e.path))
        }
        _ => e.clone(),
    };
    Seen {
        kind: match resolved.kind {
            FileType::Hardlink => "file",
            other => other.as_str(),
        },
        size: resolved.size,
        mode: resolved.mode,
        uid: resolved.uid,
        gid: resolved.gid,
        link: (resolved.kind == FileType::Symlink)
            .then(|| resolved.link_target.clone().unwrap_or_default()),
    }
}

/// The final filesystem of `image`, keyed like [`walk_dir`].
pub fn merged_view(image: &ImageLayers) -> BTreeMap<String, Seen> {
    let entries = image.tree("/", None).unwrap();
    let by_path: BTreeMap<&str, &FileEntry> =
        entries.iter().map(|e| (e.path.as_str(), e)).collect();
    entries
        .iter()
        .map(|e| {
            let s = seen(e, |t| by_path.get(t).map(|f| (*f).clone()));
            (e.path.trim_start_matches('/').to_owned(), s)
        })
        .collect()
}

/// The paths one layer writes (no whiteouts, no implicit directories), keyed like
/// [`walk_dir`].
pub fn layer_view(index: &LayerIndex) -> BTreeMap<String, Seen> {
    let image = ImageLayers::from_indexes(vec![index.clone()], Vec::new());
    let implicit: Vec<&str> = index
        .entries()
        .filter(|e| e.implicit)
        .map(|e| e.path)
        .collect();
    let mut view = merged_view(&image);
    for p in implicit {
        view.remove(p);
    }
    view
}

/// Asserts two views are equal, listing the differences (not two 7,000-line maps).
pub fn assert_same_view(got: &BTreeMap<String, Seen>, want: &BTreeMap<String, Seen>, what: &str) {
    let mut problems = Vec::new();
    for (path, w) in want {
        match got.get(path) {
            None => problems.push(format!("missing {path}: {w:?}")),
            Some(g) if g != w => problems.push(format!("{path}: got {g:?}, want {w:?}")),
            Some(_) => {}
        }
    }
    for path in got.keys().filter(|p| !want.contains_key(*p)) {
        problems.push(format!("extra {path}: {:?}", got[path]));
    }
    assert!(
        problems.is_empty(),
        "{what}: {} differences (of {} paths), first ones:\n{}",
        problems.len(),
        want.len(),
        problems
            .iter()
            .take(30)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// Pipes `input` through `cmd` (e.g. `gzip -c`) and returns its output.
pub fn pipe(cmd: &mut Command, input: &[u8]) -> Vec<u8> {
    use std::io::Write;
    use std::process::Stdio;
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_vec();
    let feeder = std::thread::spawn(move || stdin.write_all(&input));
    let out = child.wait_with_output().unwrap();
    feeder.join().unwrap().unwrap();
    assert!(out.status.success(), "{cmd:?} failed");
    out.stdout
}

/// `sha256:<hex>` of a file, by the real `sha256sum`.
pub fn sha256sum(path: &Path) -> Digest {
    let out = run(Command::new("sha256sum").arg(path));
    let hex = String::from_utf8(out).unwrap();
    format!("sha256:{}", &hex[..64]).parse().unwrap()
}

/// A digest for a test blob that is not in any store.
pub fn fake_digest(seed: &str) -> Digest {
    Digest::of(seed.as_bytes())
}

/// A Debian bookworm minbase rootfs made by debootstrap, built once and kept in
/// [`CACHE_DIR`]. `None` (with a message saying why) when it cannot be made here.
pub fn debian_rootfs() -> Option<PathBuf> {
    debian::debian_rootfs(CACHE_DIR)
}

/// The fixture directory `CACHE_DIR/name`, made by `build` (in a scratch directory it
/// is given, renamed into place when it returns) unless a complete one is there already.
pub fn cached_fixture(name: &str, build: impl FnOnce(&Path)) -> PathBuf {
    let done = Path::new(CACHE_DIR).join(name);
    if done.join("complete").exists() {
        return done;
    }
    let work = Path::new(CACHE_DIR).join(format!("{name}.tmp-{}", std::process::id()));
    let _ = fs::remove_dir_all(&work);
    fs::create_dir_all(&work).unwrap();
    build(&work);
    fs::write(work.join("complete"), b"").unwrap();
    let _ = fs::remove_dir_all(&done);
    fs::rename(&work, &done).unwrap();
    done
}

/// Reads a store file as JSON.
pub fn read_json(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&fs::read(path).unwrap()).unwrap()
}

/// Writes an image to `store` as a pull would leave it: the layer blobs as given, a config
/// whose diff_ids are the uncompressed layers' (`tars`) digests, a manifest, a name.
pub fn write_image(
    store: &porthole_engine::store::Store,
    name: &str,
    blobs: &[(Vec<u8>, &str)],
    tars: &[Vec<u8>],
    history: serde_json::Value,
) -> porthole_engine::store::ImageSummary {
    use porthole_engine::store::{ManifestDescriptor, NewImage};
    use serde_json::json;
    let mut layers = Vec::new();
    for (blob, media_type) in blobs {
        let digest = Digest::of(blob);
        store.write_blob(&digest, blob).unwrap();
        layers.push(
            json!({"mediaType": media_type, "digest": digest.to_string(), "size": blob.len()}),
        );
    }
    let diff_ids: Vec<String> = tars.iter().map(|t| Digest::of(t).to_string()).collect();
    let config = serde_json::to_vec(&json!({
        "architecture": "amd64", "os": "linux",
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": history,
    }))
    .unwrap();
    let config_digest = Digest::of(&config);
    store.write_blob(&config_digest, &config).unwrap();
    let manifest = serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": config_digest.to_string(), "size": config.len()},
        "layers": layers,
    }))
    .unwrap();
    let manifest_digest = Digest::of(&manifest);
    store.write_blob(&manifest_digest, &manifest).unwrap();
    store
        .add_image(NewImage {
            name: name.into(),
            tag: None,
            manifest: ManifestDescriptor {
                media_type: "application/vnd.oci.image.manifest.v1+json".into(),
                digest: manifest_digest,
                size: manifest.len() as u64,
            },
            platform: None,
            index_digest: None,
        })
        .unwrap();
    store.resolve(name).unwrap()
}

/// An OCI layout made by umoci, one tag.
pub struct Umoci {
    _tmp: tempfile::TempDir,
    pub dir: PathBuf,
    pub layout: PathBuf,
}

impl Umoci {
    pub fn new() -> Umoci {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().to_path_buf();
        let layout = dir.join("layout");
        run(Command::new("umoci")
            .args(["init", "--layout"])
            .arg(&layout));
        run(Command::new("umoci")
            .arg("new")
            .arg("--image")
            .arg(self_image(&layout)));
        Umoci {
            _tmp: tmp,
            dir,
            layout,
        }
    }

    /// Builds a layer in a fresh directory with `script`, tars the paths `tar_args`
    /// names there with GNU tar, and appends it with `umoci raw add-layer`.
    pub fn layer(&self, name: &str, script: &str, tar_args: &str) {
        let src = self.dir.join(name);
        fs::create_dir(&src).unwrap();
        sh(&src, &format!("set -e\n{script}"));
        let tar = self.dir.join(format!("{name}.tar"));
        sh(&src, &format!("tar -cf {} {tar_args}", tar.display()));
        run(Command::new("umoci")
            .args(["raw", "add-layer", "--history.created_by"])
            .arg(format!("layer {name}"))
            .arg("--image")
            .arg(self_image(&self.layout))
            .arg(&tar));
    }

    /// A step that changes only the config (`empty_layer` in the history).
    pub fn config_step(&self) {
        run(Command::new("umoci")
            .args(["config", "--config.cmd", "sh", "--image"])
            .arg(self_image(&self.layout)));
    }

    /// Extracts the image with `umoci unpack`; returns its root filesystem.
    pub fn unpack(&self) -> PathBuf {
        let bundle = self.dir.join("bundle");
        let _ = fs::remove_dir_all(&bundle);
        run(Command::new("umoci")
            .arg("unpack")
            .arg("--image")
            .arg(self_image(&self.layout))
            .arg(&bundle));
        bundle.join("rootfs")
    }

    /// What `umoci unpack` extracts.
    pub fn unpacked(&self) -> std::collections::BTreeMap<String, Seen> {
        walk_dir(&self.unpack())
    }

    pub fn store(&self) -> Store {
        Store::open(&self.layout).unwrap()
    }

    pub fn load(&self) -> ImageLayers {
        let store = self.store();
        let image = store.resolve("t").unwrap();
        ImageLayers::load(&store, &image).unwrap()
    }
}

pub fn self_image(layout: &Path) -> String {
    format!("{}:t", layout.display())
}
