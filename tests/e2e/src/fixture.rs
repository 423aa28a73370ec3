//! A throw-away home for one app run: a Porthole store (written with the engine's own store
//! API, as a pull would leave it) and XDG directories, so the app touches nothing of the
//! person running the tests.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use porthole_engine::store::{ImageSummary, ManifestDescriptor, NewImage, Store};
use porthole_engine::{Digest, Platform};
use serde_json::json;

const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
const OCI_LAYER_TAR: &str = "application/vnd.oci.image.layer.v1.tar";

/// A temporary directory holding `store/` and the app's XDG directories.
pub struct Fixture {
    dir: tempfile::TempDir,
}

impl Fixture {
    /// An empty store.
    pub fn empty() -> Fixture {
        let dir = tempfile::Builder::new()
            .prefix("porthole-e2e-")
            .tempdir()
            .expect("create a temporary directory");
        for sub in ["store", "data", "config", "cache", "runtime"] {
            std::fs::create_dir_all(dir.path().join(sub)).expect("create fixture directories");
        }
        // XDG_RUNTIME_DIR must be private to its owner.
        set_mode(&dir.path().join("runtime"));
        Store::open(dir.path().join("store")).expect("create the store");
        Fixture { dir }
    }

    pub fn store_root(&self) -> PathBuf {
        self.dir.path().join("store")
    }

    pub fn store(&self) -> Store {
        Store::open(self.store_root()).expect("open the fixture store")
    }

    /// Adds a single-layer image named `name` (e.g. `docker.io/library/e2e-fixture:1.0`)
    /// whose layer is a tar holding one file of `payload` bytes, built `age` ago, for the
    /// host's platform. Returns the store's summary of it.
    pub fn add_image(&self, name: &str, tag: &str, payload: usize, age: Duration) -> ImageSummary {
        let store = self.store();
        let layer = layer_tar(payload);
        let layer_digest = Digest::of(&layer);
        store
            .write_blob(&layer_digest, &layer)
            .expect("write the layer");

        let platform = Platform::host();
        let created = rfc3339(SystemTime::now() - age);
        let config = serde_json::to_vec(&json!({
            "created": created,
            "architecture": platform.architecture,
            "os": platform.os,
            "config": { "Cmd": ["/hello"] },
            "rootfs": { "type": "layers", "diff_ids": [layer_digest.to_string()] },
            "history": [{ "created": created, "created_by": "porthole e2e fixture" }],
        }))
        .expect("serialize the config");
        let config_digest = Digest::of(&config);
        store
            .write_blob(&config_digest, &config)
            .expect("write the config");

        let manifest = serde_json::to_vec(&json!({
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": { "mediaType": OCI_CONFIG, "digest": config_digest.to_string(), "size": config.len() },
            "layers": [{ "mediaType": OCI_LAYER_TAR, "digest": layer_digest.to_string(), "size": layer.len() }],
        }))
        .expect("serialize the manifest");
        let manifest_digest = Digest::of(&manifest);
        store
            .write_blob(&manifest_digest, &manifest)
            .expect("write the manifest");

        store
            .add_image(NewImage {
                name: name.to_owned(),
                tag: Some(tag.to_owned()),
                manifest: ManifestDescriptor {
                    media_type: OCI_MANIFEST.to_owned(),
                    digest: manifest_digest.clone(),
                    size: manifest.len() as u64,
                },
                platform: Some(platform),
                index_digest: None,
            })
            .expect("add the image");

        store
            .images()
            .expect("list the fixture store")
            .into_iter()
            .find(|image| image.digest == manifest_digest)
            .expect("the image just added is listed")
    }

    /// The environment the app runs with: this store and private XDG directories.
    pub fn env(&self) -> Vec<(String, OsString)> {
        let at = |sub: &str| self.dir.path().join(sub).into_os_string();
        vec![
            ("PORTHOLE_STORE".into(), at("store")),
            ("XDG_DATA_HOME".into(), at("data")),
            ("XDG_CONFIG_HOME".into(), at("config")),
            ("XDG_CACHE_HOME".into(), at("cache")),
            ("XDG_RUNTIME_DIR".into(), at("runtime")),
            // Mesa's shader cache only adds noise to the logs of a short run.
            ("MESA_SHADER_CACHE_DISABLE".into(), "true".into()),
        ]
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}

fn set_mode(dir: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
        .expect("make the runtime directory private");
}

/// An uncompressed tar with `/hello` of `payload` bytes (a repeating, non-zero pattern).
fn layer_tar(payload: usize) -> Vec<u8> {
    let data: Vec<u8> = (0..payload).map(|i| (i % 251) as u8).collect();
    let mut header = tar::Header::new_gnu();
    header.set_size(data.len() as u64);
    header.set_mode(0o755);
    header.set_mtime(0);
    header.set_cksum();
    let mut builder = tar::Builder::new(Vec::new());
    builder
        .append_data(&mut header, "hello", data.as_slice())
        .expect("build the layer tar");
    builder.into_inner().expect("finish the layer tar")
}

/// `time` as RFC 3339 in UTC, to the second (`2025-06-12T09:30:00Z`).
fn rfc3339(time: SystemTime) -> String {
    let secs = time
        .duration_since(UNIX_EPOCH)
        .expect("after 1970")
        .as_secs() as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Days since 1970-01-01 to (year, month, day), after Howard Hinnant's `civil_from_days`.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_rfc3339() {
        assert_eq!(rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00Z");
        assert_eq!(
            rfc3339(UNIX_EPOCH + Duration::from_secs(1_718_451_000)),
            "2024-06-15T11:30:00Z"
        );
        assert_eq!(
            rfc3339(UNIX_EPOCH + Duration::from_secs(951_782_400)),
            "2000-02-29T00:00:00Z"
        );
    }

    #[test]
    fn the_fixture_store_lists_the_image() {
        let fixture = Fixture::empty();
        let image = fixture.add_image(
            "docker.io/library/e2e-fixture:1.0",
            "1.0",
            2_500_000,
            Duration::from_secs(3 * 86_400),
        );
        assert_eq!(
            image.repository.as_deref(),
            Some("docker.io/library/e2e-fixture")
        );
        assert_eq!(image.tag.as_deref(), Some("1.0"));
        assert!(
            image.size > 2_500_000,
            "size {} counts the layer",
            image.size
        );
        assert_eq!(image.problem, None);
    }
}
