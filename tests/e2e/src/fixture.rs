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
        for sub in ["store", "data", "config", "cache", "runtime", "downloads"] {
            std::fs::create_dir_all(dir.path().join(sub)).expect("create fixture directories");
        }
        // The app writes exported SBOMs to the XDG Downloads directory: this fixture's.
        std::fs::write(
            dir.path().join("config").join("user-dirs.dirs"),
            format!(
                "XDG_DOWNLOAD_DIR=\"{}\"\n",
                dir.path().join("downloads").display()
            ),
        )
        .expect("write user-dirs.dirs");
        // XDG_RUNTIME_DIR must be private to its owner.
        set_mode(&dir.path().join("runtime"));
        Store::open(dir.path().join("store")).expect("create the store");
        Fixture { dir }
    }

    pub fn store_root(&self) -> PathBuf {
        self.dir.path().join("store")
    }

    /// Where the app writes exported SBOMs.
    pub fn downloads(&self) -> PathBuf {
        self.dir.path().join("downloads")
    }

    /// The settings file the app (and the CLI) read: `$XDG_CONFIG_HOME/porthole/config.json`.
    pub fn config_file(&self) -> PathBuf {
        self.dir
            .path()
            .join("config")
            .join("porthole")
            .join("config.json")
    }

    /// Writes `config` as the settings file.
    pub fn write_config(&self, config: &serde_json::Value) {
        let path = self.config_file();
        std::fs::create_dir_all(path.parent().expect("a file has a directory"))
            .expect("create the config directory");
        std::fs::write(
            &path,
            serde_json::to_vec_pretty(config).expect("serialize the config"),
        )
        .expect("write the config");
    }

    pub fn store(&self) -> Store {
        Store::open(self.store_root()).expect("open the fixture store")
    }

    /// Adds a single-layer image named `name` (e.g. `docker.io/library/e2e-fixture:1.0`)
    /// whose layer is a tar holding one file of `payload` bytes, built `age` ago, for the
    /// host's platform. Returns the store's summary of it.
    pub fn add_image(&self, name: &str, tag: &str, payload: usize, age: Duration) -> ImageSummary {
        let data: Vec<u8> = (0..payload).map(|i| (i % 251) as u8).collect();
        let layer = layer_tar(&[TarEntry::File("hello", &data, 0o755)]);
        self.add_layered_image(
            name,
            tag,
            age,
            json!({ "Cmd": ["/hello"] }),
            vec![layer],
            &[Step::Layer("porthole e2e fixture")],
        )
    }

    /// Adds a Debian-like image with OS packages and an npm library, each brought by its own
    /// build step (see [`PACKAGES_IMAGE`] for what the Packages tab should then show):
    ///
    /// 1. `ADD rootfs.tar /`: `/etc/os-release` (Debian 12) and a dpkg database of
    ///    `base-files`, `bash` and `libc6` (source `glibc`), with bash's copyright file;
    /// 2. `ENV LANG=C.UTF-8`: no layer;
    /// 3. `RUN apt-get install -y curl`: the dpkg database again, now with `curl` and
    ///    `libcurl4` (source `curl`) too;
    /// 4. `COPY node_modules /app/node_modules`: npm's `left-pad`, a package whose name is
    ///    markup (`<img src=x onerror=alert(1)>`), and a `package.json` that is not JSON.
    pub fn add_packages_image(&self, name: &str, tag: &str) -> ImageSummary {
        self.add_packages_build(name, tag, false)
    }

    /// Adds the next build of [`Fixture::add_packages_image`], a day newer: the same first
    /// layer (byte for byte), `curl` and `libcurl4` upgraded to `7.88.1-10+deb12u10` (with a
    /// new `/usr/bin/curl`), npm's `left-pad` gone and `is-even` 1.0.0 in its place, and
    /// `CURL_HOME=/etc/curl` added to the environment. See
    /// [`COMPARED_PACKAGES`] for what the Compare tab should then show.
    pub fn add_packages_image_update(&self, name: &str, tag: &str) -> ImageSummary {
        self.add_packages_build(name, tag, true)
    }

    fn add_packages_build(&self, name: &str, tag: &str, next: bool) -> ImageSummary {
        let upgrade = |stanza: &str| {
            if next {
                stanza.replace("7.88.1-10+deb12u5", "7.88.1-10+deb12u10")
            } else {
                stanza.to_owned()
            }
        };
        let base_status = [BASE_FILES, BASH, LIBC6].join("\n");
        let curl_status = [
            BASE_FILES.to_owned(),
            BASH.to_owned(),
            upgrade(CURL),
            LIBC6.to_owned(),
            upgrade(LIBCURL4),
        ]
        .join("\n");
        let rootfs = layer_tar(&[
            TarEntry::Dir("etc"),
            TarEntry::File("etc/os-release", DEBIAN_OS_RELEASE.as_bytes(), 0o644),
            TarEntry::Dir("usr"),
            TarEntry::Dir("usr/bin"),
            TarEntry::File("usr/bin/bash", b"#!bash", 0o755),
            TarEntry::Dir("usr/share"),
            TarEntry::Dir("usr/share/doc"),
            TarEntry::Dir("usr/share/doc/bash"),
            TarEntry::File(
                "usr/share/doc/bash/copyright",
                BASH_COPYRIGHT.as_bytes(),
                0o644,
            ),
            TarEntry::Dir("var"),
            TarEntry::Dir("var/lib"),
            TarEntry::Dir("var/lib/dpkg"),
            TarEntry::File("var/lib/dpkg/status", base_status.as_bytes(), 0o644),
        ]);
        let apt = layer_tar(&[
            TarEntry::Dir("usr"),
            TarEntry::Dir("usr/bin"),
            TarEntry::File(
                "usr/bin/curl",
                if next {
                    &b"curl, rebuilt"[..]
                } else {
                    &b"curl"[..]
                },
                0o755,
            ),
            TarEntry::Dir("var"),
            TarEntry::Dir("var/lib"),
            TarEntry::Dir("var/lib/dpkg"),
            TarEntry::File("var/lib/dpkg/status", curl_status.as_bytes(), 0o644),
        ]);
        let left_pad = br#"{"name": "left-pad", "version": "1.3.0", "license": "WTFPL"}"#;
        let hostile = br#"{"name": "<img src=x onerror=alert(1)>", "version": "6.6.6", "license": "<b>MIT</b>"}"#;
        let is_even = br#"{"name": "is-even", "version": "1.0.0", "license": "MIT"}"#;
        let (npm_dir, npm_file, npm_json): (&str, &str, &[u8]) = if next {
            (
                "app/node_modules/is-even",
                "app/node_modules/is-even/package.json",
                is_even,
            )
        } else {
            (
                "app/node_modules/left-pad",
                "app/node_modules/left-pad/package.json",
                left_pad,
            )
        };
        let app = layer_tar(&[
            TarEntry::Dir("app"),
            TarEntry::Dir("app/node_modules"),
            TarEntry::Dir(npm_dir),
            TarEntry::File(npm_file, npm_json, 0o644),
            TarEntry::Dir("app/node_modules/x"),
            TarEntry::File("app/node_modules/x/package.json", hostile, 0o644),
            TarEntry::Dir("app/node_modules/broken"),
            TarEntry::File(
                "app/node_modules/broken/package.json",
                b"{ this is not JSON",
                0o644,
            ),
        ]);
        self.add_layered_image(
            name,
            tag,
            Duration::from_secs(if next { 86_400 } else { 2 * 86_400 }),
            if next {
                json!({ "Cmd": ["bash"], "Env": ["LANG=C.UTF-8", "CURL_HOME=/etc/curl"] })
            } else {
                json!({ "Cmd": ["bash"], "Env": ["LANG=C.UTF-8"] })
            },
            vec![rootfs, apt, app],
            &[
                Step::Layer("/bin/sh -c #(nop) ADD file:0123abcd in / "),
                Step::Empty("/bin/sh -c #(nop)  ENV LANG=C.UTF-8"),
                Step::Layer("/bin/sh -c apt-get install -y curl"),
                Step::Layer("COPY node_modules /app/node_modules # buildkit"),
            ],
        )
    }

    /// Adds a one-layer Debian-like image whose dpkg database lists `count` packages,
    /// `pkg-00000` to `pkg-<count - 1>` (version `1.0-<n>`), to time the Packages tab.
    pub fn add_many_packages_image(&self, name: &str, tag: &str, count: usize) -> ImageSummary {
        let status: String = (0..count)
            .map(|n| {
                format!(
                    "Package: pkg-{n:05}\nStatus: install ok installed\nArchitecture: amd64\n\
                     Source: src-{}\nVersion: 1.0-{n}\nDescription: package {n}\n\n",
                    n / 10
                )
            })
            .collect();
        let layer = layer_tar(&[
            TarEntry::Dir("etc"),
            TarEntry::File("etc/os-release", DEBIAN_OS_RELEASE.as_bytes(), 0o644),
            TarEntry::Dir("var"),
            TarEntry::Dir("var/lib"),
            TarEntry::Dir("var/lib/dpkg"),
            TarEntry::File("var/lib/dpkg/status", status.as_bytes(), 0o644),
        ]);
        self.add_layered_image(
            name,
            tag,
            Duration::from_secs(86_400),
            json!({ "Cmd": ["bash"] }),
            vec![layer],
            &[Step::Layer("/bin/sh -c #(nop) ADD file:many in / ")],
        )
    }

    /// Adds an image for the Files tab: changes of every kind, wasted space, a name that is
    /// markup, and a directory of `count` files (named `f000000`, `f000001`, ...):
    ///
    /// 1. `ADD rootfs.tar /`: `/bin/sh`, `/etc/motd` (100 bytes), `/etc/old.conf` and
    ///    `/tmp/build.bin` (8,000 bytes);
    /// 2. `ENV LANG=C.UTF-8`: no layer;
    /// 3. `RUN apt-get install -y curl && ...`: writes `/etc/motd` again (200 bytes), removes
    ///    `/etc/old.conf` and `/tmp/build.bin`, adds `/etc/<img src=x onerror=alert(1)>`,
    ///    `/tmp/cache.tar` (5,000 bytes), `/usr/bin/curl` and the setuid `/usr/bin/passwd`;
    /// 4. `COPY data /data`: the `count` empty files in `/data`, and removes
    ///    `/tmp/cache.tar`.
    pub fn add_files_image(&self, name: &str, tag: &str, count: usize) -> ImageSummary {
        let rootfs = layer_tar(&[
            TarEntry::Dir("bin"),
            TarEntry::File("bin/sh", b"#!sh", 0o755),
            TarEntry::Dir("etc"),
            TarEntry::File("etc/motd", &[b'a'; 100], 0o644),
            TarEntry::File("etc/old.conf", b"old = true", 0o644),
            TarEntry::Dir("tmp"),
            TarEntry::File("tmp/build.bin", &[0; 8000], 0o644),
        ]);
        let run = layer_tar(&[
            TarEntry::Dir("etc"),
            TarEntry::File("etc/.wh.old.conf", b"", 0o644),
            TarEntry::File("etc/<img src=x onerror=alert(1)>", b"x", 0o644),
            TarEntry::File("etc/motd", &[b'b'; 200], 0o644),
            TarEntry::Dir("tmp"),
            TarEntry::File("tmp/.wh.build.bin", b"", 0o644),
            TarEntry::File("tmp/cache.tar", &[1; 5000], 0o644),
            TarEntry::Dir("usr"),
            TarEntry::Dir("usr/bin"),
            TarEntry::File("usr/bin/curl", b"curl", 0o755),
            TarEntry::File("usr/bin/passwd", b"passwd", 0o4755),
        ]);
        let names: Vec<String> = (0..count).map(|i| format!("data/f{i:06}")).collect();
        let mut data = vec![
            TarEntry::Dir("data"),
            TarEntry::Dir("tmp"),
            TarEntry::File("tmp/.wh.cache.tar", b"", 0o644),
        ];
        data.extend(names.iter().map(|n| TarEntry::File(n, b"", 0o644)));
        let data = layer_tar(&data);
        self.add_layered_image(
            name,
            tag,
            Duration::from_secs(3 * 86_400),
            json!({ "Cmd": ["/bin/sh"], "Env": ["LANG=C.UTF-8"] }),
            vec![rootfs, run, data],
            &[
                Step::Layer("/bin/sh -c #(nop) ADD file:rootfs in / "),
                Step::Empty("/bin/sh -c #(nop)  ENV LANG=C.UTF-8"),
                Step::Layer("/bin/sh -c apt-get install -y curl && rm -rf /tmp/build.bin"),
                Step::Layer("COPY data /data # buildkit"),
            ],
        )
    }

    /// Adds an image of uncompressed `layers` (bottom first) with `run` as its config's
    /// `config` and one history entry per step, for the host's platform.
    fn add_layered_image(
        &self,
        name: &str,
        tag: &str,
        age: Duration,
        run: serde_json::Value,
        layers: Vec<Vec<u8>>,
        steps: &[Step],
    ) -> ImageSummary {
        let store = self.store();
        let mut descriptors = Vec::new();
        let mut diff_ids = Vec::new();
        for layer in &layers {
            let digest = Digest::of(layer);
            store.write_blob(&digest, layer).expect("write a layer");
            descriptors.push(json!({
                "mediaType": OCI_LAYER_TAR,
                "digest": digest.to_string(),
                "size": layer.len(),
            }));
            // Uncompressed: the diff_id is the layer's digest.
            diff_ids.push(digest.to_string());
        }

        let platform = Platform::host();
        let created = rfc3339(SystemTime::now() - age);
        let history: Vec<serde_json::Value> = steps
            .iter()
            .map(|step| match step {
                Step::Layer(command) => json!({ "created": created, "created_by": command }),
                Step::Empty(command) => {
                    json!({ "created": created, "created_by": command, "empty_layer": true })
                }
            })
            .collect();
        let config = serde_json::to_vec(&json!({
            "created": created,
            "architecture": platform.architecture,
            "os": platform.os,
            "config": run,
            "rootfs": { "type": "layers", "diff_ids": diff_ids },
            "history": history,
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
            "layers": descriptors,
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
            // GPU compositing, as before the app rendered on the CPU by default: WebKitWebDriver's
            // screenshot of a CPU-rendered page can hang under Xvfb. The default (CPU) mode has a
            // test of its own (images.rs), without screenshots.
            ("PORTHOLE_GPU".into(), "1".into()),
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

/// A build step of a fixture image: one that made a layer, or one that did not.
enum Step {
    Layer(&'static str),
    Empty(&'static str),
}

/// An entry of a fixture layer: a directory, or a file with its bytes and mode.
enum TarEntry<'a> {
    Dir(&'a str),
    File(&'a str, &'a [u8], u32),
}

/// An uncompressed tar of `entries`, in order.
fn layer_tar(entries: &[TarEntry<'_>]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    for entry in entries {
        let mut header = tar::Header::new_gnu();
        header.set_mtime(0);
        match entry {
            TarEntry::Dir(path) => {
                header.set_entry_type(tar::EntryType::Directory);
                header.set_size(0);
                header.set_mode(0o755);
                header.set_cksum();
                builder
                    .append_data(&mut header, format!("{path}/"), std::io::empty())
                    .expect("add a directory to the layer tar");
            }
            TarEntry::File(path, data, mode) => {
                header.set_size(data.len() as u64);
                header.set_mode(*mode);
                header.set_cksum();
                builder
                    .append_data(&mut header, path, *data)
                    .expect("add a file to the layer tar");
            }
        }
    }
    builder.into_inner().expect("finish the layer tar")
}

/// What the Packages tab shows for [`Fixture::add_packages_image`], in its default order
/// (by type, then name): name, version, type and step (as the tab numbers them, from 1).
pub const PACKAGES_IMAGE: [(&str, &str, &str, &str); 7] = [
    ("base-files", "12.4+deb12u5", "deb", "1"),
    ("bash", "5.2.15-2+b2", "deb", "1"),
    ("curl", "7.88.1-10+deb12u5", "deb", "3"),
    ("libc6", "2.36-9+deb12u4", "deb", "1"),
    ("libcurl4", "7.88.1-10+deb12u5", "deb", "3"),
    ("<img src=x onerror=alert(1)>", "6.6.6", "npm", "4"),
    ("left-pad", "1.3.0", "npm", "4"),
];

/// What the Compare tab shows going from [`Fixture::add_packages_image`] to
/// [`Fixture::add_packages_image_update`]: mark, name, from and to (`—` for none).
pub const COMPARED_PACKAGES: [(&str, &str, &str, &str); 4] = [
    ("↑", "curl", "7.88.1-10+deb12u5", "7.88.1-10+deb12u10"),
    ("↑", "libcurl4", "7.88.1-10+deb12u5", "7.88.1-10+deb12u10"),
    ("+", "is-even", "—", "1.0.0"),
    ("−", "left-pad", "1.3.0", "—"),
];

pub const DEBIAN_OS_RELEASE: &str = r#"PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
VERSION="12 (bookworm)"
VERSION_CODENAME=bookworm
ID=debian
HOME_URL="https://www.debian.org/"
"#;

const BASE_FILES: &str = "Package: base-files
Essential: yes
Status: install ok installed
Priority: required
Section: admin
Installed-Size: 340
Maintainer: Santiago Vila <sanvila@debian.org>
Architecture: amd64
Multi-Arch: foreign
Version: 12.4+deb12u5
Description: Debian base system miscellaneous files
";

const BASH: &str = "Package: bash
Essential: yes
Status: install ok installed
Priority: required
Section: shells
Installed-Size: 7163
Maintainer: Matthias Klose <doko@debian.org>
Architecture: amd64
Multi-Arch: foreign
Source: bash (5.2.15-2)
Version: 5.2.15-2+b2
Description: GNU Bourne Again SHell
";

const LIBC6: &str = "Package: libc6
Status: install ok installed
Priority: optional
Section: libs
Installed-Size: 12986
Maintainer: GNU Libc Maintainers <debian-glibc@lists.debian.org>
Architecture: amd64
Multi-Arch: same
Source: glibc
Version: 2.36-9+deb12u4
Description: GNU C Library: Shared libraries
";

const CURL: &str = "Package: curl
Status: install ok installed
Priority: optional
Section: web
Installed-Size: 500
Maintainer: Alessandro Ghedini <ghedo@debian.org>
Architecture: amd64
Version: 7.88.1-10+deb12u5
Depends: libc6 (>= 2.34), libcurl4 (= 7.88.1-10+deb12u5)
Description: command line tool for transferring data with URL syntax
";

const LIBCURL4: &str = "Package: libcurl4
Status: install ok installed
Priority: optional
Section: libs
Installed-Size: 1468
Maintainer: Alessandro Ghedini <ghedo@debian.org>
Architecture: amd64
Multi-Arch: same
Source: curl
Version: 7.88.1-10+deb12u5
Description: easy-to-use client-side URL transfer library (OpenSSL flavour)
";

const BASH_COPYRIGHT: &str =
    "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: bash

Files: *
Copyright: 1987-2022 Free Software Foundation, Inc.
License: GPL-3+

Files: debian/*
Copyright: 2006-2022 Matthias Klose
License: GPL-3+
";

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

    #[test]
    fn the_packages_image_has_its_packages_in_their_steps() {
        let fixture = Fixture::empty();
        let image = fixture.add_packages_image("docker.io/library/e2e-packages:1.0", "1.0");
        let store = fixture.store();
        let layers = porthole_engine::layers::ImageLayers::load(&store, &image)
            .expect("index the fixture's layers");
        let found = layers.packages();
        let os = found.os.expect("the image has an os-release");
        assert_eq!(
            os.pretty_name.as_deref(),
            Some("Debian GNU/Linux 12 (bookworm)")
        );
        let listed: Vec<(String, String, String, String)> = found
            .packages
            .iter()
            .map(|p| {
                (
                    p.name.clone(),
                    p.version.clone(),
                    p.kind.to_string(),
                    p.layer.map_or_else(String::new, |l| (l + 1).to_string()),
                )
            })
            .collect();
        let expected: Vec<(String, String, String, String)> = PACKAGES_IMAGE
            .iter()
            .map(|(n, v, t, s)| (n.to_string(), v.to_string(), t.to_string(), s.to_string()))
            .collect();
        assert_eq!(listed, expected);
        let bash = &found.packages[1];
        assert_eq!(bash.licenses, ["GPL-3+"]);
        assert_eq!(
            found.problems.len(),
            1,
            "the broken package.json: {:?}",
            found.problems
        );
        assert!(found.problems[0].contains("/app/node_modules/broken/package.json"));
    }
}
