//! An image's packages, stacked the way its layers stack: each package once, attributed to
//! the first layer from which it is present up to the top, never one that a later layer
//! removed. Small hand-made layers pin the rules down (whiteouts, opaque directories,
//! rewrites of the dpkg database, reinstalls, empty build steps); a Debian image changed by
//! the real dpkg (`--purge`, `-i` of a new package and of an upgrade) is checked against
//! `dpkg-query` on what `umoci unpack` extracts.

mod layers_support;

mod packages_image {
    use std::collections::BTreeMap;
    use std::fs;
    use std::path::{Path, PathBuf};
    use std::process::Command;

    use porthole_engine::Digest;
    use porthole_engine::layers::{HistoryEntry, ImageLayers, LayerIndex};
    use porthole_engine::packages::{ImagePackages, PackageType, dpkg};
    use porthole_engine::store::Store;

    use super::layers_support::*;

    enum Member<'a> {
        File(&'a str, &'a str),
        Symlink(&'a str, &'a str),
        Dir(&'a str),
    }
    use Member::*;

    fn tar(members: &[Member<'_>]) -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        for m in members {
            let mut h = tar::Header::new_ustar();
            h.set_mtime(1_700_000_000);
            match *m {
                File(path, content) => {
                    h.set_entry_type(tar::EntryType::Regular);
                    h.set_mode(0o644);
                    h.set_size(content.len() as u64);
                    b.append_data(&mut h, path, content.as_bytes()).unwrap();
                }
                Symlink(path, target) => {
                    h.set_entry_type(tar::EntryType::Symlink);
                    h.set_mode(0o777);
                    h.set_size(0);
                    b.append_link(&mut h, path, target).unwrap();
                }
                Dir(path) => {
                    h.set_entry_type(tar::EntryType::Directory);
                    h.set_mode(0o755);
                    h.set_size(0);
                    b.append_data(&mut h, path, &[][..]).unwrap();
                }
            }
        }
        b.into_inner().unwrap()
    }

    fn index(seed: usize, tar: &[u8]) -> LayerIndex {
        let digest = Digest::of(format!("layer {seed} {}", tar.len()).as_bytes());
        LayerIndex::from_reader(&digest, "application/vnd.oci.image.layer.v1.tar", tar).unwrap()
    }

    fn step(created_by: &str, empty: bool) -> HistoryEntry {
        serde_json::from_value(serde_json::json!({
            "created_by": created_by,
            "empty_layer": empty,
        }))
        .unwrap()
    }

    fn status(packages: &[(&str, &str)]) -> String {
        packages
            .iter()
            .map(|(name, version)| {
                format!(
                    "Package: {name}\nStatus: install ok installed\nVersion: {version}\nArchitecture: amd64\n\n"
                )
            })
            .collect()
    }

    fn npm(name: &str, version: &str) -> String {
        format!(r#"{{"name": "{name}", "version": "{version}", "license": "MIT"}}"#)
    }

    /// `name version` → (step, layer index in the stack).
    fn attribution(found: &ImagePackages) -> BTreeMap<String, usize> {
        found
            .packages
            .iter()
            .map(|p| {
                (
                    format!("{} {} {}", p.kind, p.name, p.version),
                    p.layer.unwrap(),
                )
            })
            .collect()
    }

    #[test]
    fn packages_belong_to_the_first_layer_they_are_present_from() {
        let os = "ID=debian\nVERSION_ID=\"12\"\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n";
        let layers = vec![
            index(
                0,
                &tar(&[
                    Dir("etc"),
                    Symlink("etc/os-release", "../usr/lib/os-release"),
                    File("usr/lib/os-release", os),
                    File(
                        "var/lib/dpkg/status",
                        &status(&[("base", "1.0"), ("libold", "1.0"), ("tool", "1:2.0-1")]),
                    ),
                    File("app/node_modules/left/package.json", &npm("left", "1.0.0")),
                    File(
                        "app/node_modules/right/package.json",
                        &npm("right", "2.0.0"),
                    ),
                ]),
            ),
            // apt-get install: the database is rewritten whole; tool is upgraded, new added.
            index(
                1,
                &tar(&[
                    File(
                        "var/lib/dpkg/status",
                        &status(&[
                            ("base", "1.0"),
                            ("libold", "1.0"),
                            ("new", "0.1-1"),
                            ("tool", "1:2.1-1"),
                        ]),
                    ),
                    File("app/node_modules/.wh.left", ""),
                ]),
            ),
            // apt-get remove libold; the removed library is installed again.
            index(
                2,
                &tar(&[
                    File(
                        "var/lib/dpkg/status",
                        &status(&[("base", "1.0"), ("new", "0.1-1"), ("tool", "1:2.1-1")]),
                    ),
                    File("app/node_modules/left/package.json", &npm("left", "1.0.0")),
                ]),
            ),
        ];
        let history = vec![
            step("debootstrap", false),
            step("ENV A=b", true),
            step("RUN apt-get install new", false),
            step("RUN apt-get remove libold && npm install left", false),
        ];
        let image = ImageLayers::from_indexes(layers, history);
        let found = image.packages();
        assert!(found.problems.is_empty(), "{:?}", found.problems);
        let os = found.os.as_ref().expect("the image's OS");
        assert_eq!(
            (os.id.as_str(), os.version_id.as_deref()),
            ("debian", Some("12"))
        );
        assert_eq!(os.location, "/usr/lib/os-release");

        let want: BTreeMap<String, usize> = [
            ("deb base 1.0", 0),
            ("deb new 0.1-1", 2),
            ("deb tool 1:2.1-1", 2),
            ("npm left 1.0.0", 3),
            ("npm right 2.0.0", 0),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        assert_eq!(attribution(&found), want);
        let base = &found.packages[0];
        assert_eq!(
            base.purl,
            "pkg:deb/debian/base@1.0?arch=amd64&distro=debian-12"
        );
        assert_eq!(base.location, "/var/lib/dpkg/status");
        assert_eq!(base.layer_digest.as_ref(), Some(image.layers()[0].digest()));
        let left = found.packages.iter().find(|p| p.name == "left").unwrap();
        assert_eq!(left.layer_digest.as_ref(), Some(image.layers()[2].digest()));
    }

    #[test]
    fn packages_removed_by_directories_are_gone() {
        let layers = vec![
            index(
                0,
                &tar(&[
                    File("etc/os-release", "ID=alpine\nVERSION_ID=3.19.1\n"),
                    File(
                        "lib/apk/db/installed",
                        "P:musl\nV:1.2.4-r2\nA:x86_64\nL:MIT\no:musl\n\n",
                    ),
                    File("srv/a/node_modules/x/package.json", &npm("x", "1.0.0")),
                    File("srv/b/node_modules/y/package.json", &npm("y", "1.0.0")),
                    File("srv/c/node_modules/z/package.json", &npm("z", "1.0.0")),
                    File("srv/d/node_modules/w/package.json", &npm("w", "1.0.0")),
                ]),
            ),
            index(
                1,
                &tar(&[
                    // The directory above a package goes.
                    File("srv/.wh.a", ""),
                    // An opaque directory hides what was below it, but not what it holds.
                    Dir("srv/b"),
                    File("srv/b/.wh..wh..opq", ""),
                    File("srv/b/node_modules/y2/package.json", &npm("y2", "1.0.0")),
                    // A file in place of a directory.
                    File("srv/c", "not a directory any more"),
                    // The same file written again, with nothing in it any more.
                    File("srv/d/node_modules/w/package.json", "{}"),
                ]),
            ),
        ];
        let history = vec![step("base", false), step("cleanup", false)];
        let found = ImageLayers::from_indexes(layers, history).packages();
        let got: Vec<String> = found
            .packages
            .iter()
            .map(|p| format!("{} {} {}", p.kind, p.name, p.layer.unwrap()))
            .collect();
        assert_eq!(got, ["apk musl 0", "npm y2 1"]);
        assert_eq!(
            found.packages[0].purl,
            "pkg:apk/alpine/musl@1.2.4-r2?arch=x86_64&distro=alpine-3.19.1"
        );
        // The w manifest without a name or version is no package, and no error either.
        assert!(found.problems.is_empty(), "{:?}", found.problems);

        // A layer that hides everything (`.wh..wh..opq` at the top) leaves nothing.
        let layers = vec![
            index(
                3,
                &tar(&[File("lib/apk/db/installed", "P:musl\nV:1.2.4-r2\n\n")]),
            ),
            index(4, &tar(&[File(".wh..wh..opq", "")])),
        ];
        let found =
            ImageLayers::from_indexes(layers, vec![step("a", false), step("b", false)]).packages();
        assert_eq!(found.packages, []);
        assert_eq!(found.os, None);
    }

    #[test]
    fn what_detectors_find_is_cached_with_the_layer_index() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let layer = index(
            5,
            &tar(&[
                File("etc/os-release", "ID=debian\nVERSION_ID=12\n"),
                File("var/lib/dpkg/status", &status(&[("base", "1.0")])),
                // A broken package.json is reported, not fatal.
                File("usr/lib/node_modules/bad/package.json", "{not json"),
            ]),
        );
        let files: Vec<&str> = layer
            .found_files()
            .iter()
            .map(|f| f.path.as_str())
            .collect();
        assert_eq!(
            files,
            [
                "/etc/os-release",
                "/var/lib/dpkg/status",
                "/usr/lib/node_modules/bad/package.json"
            ]
        );
        assert_eq!(layer.found_files()[2].errors.len(), 1);
        layer.save(&store).unwrap();
        let cached = LayerIndex::load_cached(&store, layer.digest()).expect("cached");
        assert_eq!(cached, layer);
        let found = ImageLayers::from_indexes(vec![cached], vec![step("x", false)]).packages();
        assert_eq!(found.packages.len(), 1);
        assert_eq!(found.problems.len(), 1);
        assert!(
            found.problems[0].starts_with("npm: ")
                && found.problems[0]
                    .matches("/usr/lib/node_modules/bad/package.json")
                    .count()
                    == 1,
            "{:?}",
            found.problems
        );
    }

    /// Builds a .deb of `name` `version` with one file, by dpkg-deb.
    fn build_deb(work: &Path, name: &str, version: &str) -> PathBuf {
        let dir = work.join(format!("{name}-pkg"));
        fs::create_dir_all(dir.join("DEBIAN")).unwrap();
        fs::create_dir_all(dir.join(format!("usr/share/{name}"))).unwrap();
        fs::write(dir.join(format!("usr/share/{name}/porthole")), version).unwrap();
        fs::write(
            dir.join("DEBIAN/control"),
            format!(
                "Package: {name}\nVersion: {version}\nArchitecture: all\nMaintainer: Porthole tests <tests@porthole.invalid>\nDescription: a test package\n"
            ),
        )
        .unwrap();
        let deb = work.join(format!("{name}.deb"));
        run(Command::new("dpkg-deb")
            .args(["--root-owner-group", "--build"])
            .arg(&dir)
            .arg(&deb));
        deb
    }

    /// `name version` → arch of every installed package, by dpkg-query.
    fn dpkg_query(root: &Path) -> BTreeMap<String, String> {
        let out = run(Command::new("dpkg-query")
            .arg("--admindir")
            .arg(root.join("var/lib/dpkg"))
            .args([
                "-W",
                "-f",
                "${db:Status-Status}\t${Package} ${Version}\t${Architecture}\n",
            ]));
        String::from_utf8(out)
            .unwrap()
            .lines()
            .filter_map(|l| {
                let mut cols = l.split('\t');
                if cols.next()? != "installed" {
                    return None;
                }
                Some((cols.next()?.to_owned(), cols.next()?.to_owned()))
            })
            .collect()
    }

    const FIXTURE: &str = "packages-debian-dpkg-v1";

    /// A Debian image of two layers made by umoci: debootstrap's rootfs, then what the
    /// real dpkg does to it (purge tzdata, install a new package, upgrade
    /// debian-archive-keyring). Kept in the test cache; `unpacked/` is umoci's extraction.
    fn dpkg_image(rootfs: &Path) -> PathBuf {
        cached_fixture(FIXTURE, |work| {
            let hello = build_deb(work, "porthole-hello", "1.0-1");
            let keyring = build_deb(work, "debian-archive-keyring", "2099.1");
            sh(
                work,
                &format!(
                    r#"set -e
                umoci init --layout layout
                umoci new --image layout:debian
                umoci unpack --image layout:debian bundle
                cp -a {rootfs}/. bundle/rootfs/
                umoci repack --refresh-bundle --image layout:debian \
                    --history.created_by "debootstrap --variant=minbase bookworm" bundle
                dpkg --root=bundle/rootfs --purge tzdata
                dpkg --root=bundle/rootfs -i {hello} {keyring}
                umoci repack --refresh-bundle --image layout:debian \
                    --history.created_by "RUN dpkg --purge tzdata && dpkg -i ..." bundle
                umoci unpack --image layout:debian unpacked
                rm -rf bundle"#,
                    rootfs = rootfs.display(),
                    hello = hello.display(),
                    keyring = keyring.display(),
                ),
            );
        })
    }

    #[test]
    fn a_debian_image_changed_by_dpkg_lists_what_dpkg_query_lists() {
        let Some(rootfs) = debian_rootfs() else {
            return;
        };
        let fixture = dpkg_image(&rootfs);
        let dir = tempfile::tempdir().unwrap();
        let layout = dir.path().join("layout");
        run(Command::new("cp")
            .arg("-a")
            .arg(fixture.join("layout"))
            .arg(&layout));
        let store = Store::open(&layout).unwrap();
        let image = store.resolve("debian").unwrap();
        let layers = ImageLayers::load(&store, &image).unwrap();
        let found = layers.packages();
        assert!(found.problems.is_empty(), "{:?}", found.problems);

        let debs: BTreeMap<String, String> = found
            .packages
            .iter()
            .filter(|p| p.kind == PackageType::Deb)
            .map(|p| (format!("{} {}", p.name, p.version), p.arch.clone().unwrap()))
            .collect();
        let want = dpkg_query(&fixture.join("unpacked/rootfs"));
        assert!(want.len() > 80, "dpkg-query listed only {}", want.len());
        assert_eq!(debs, want, "the deb list differs from dpkg-query's");
        assert_eq!(
            debs.len(),
            found
                .packages
                .iter()
                .filter(|p| p.kind == PackageType::Deb)
                .count(),
            "a package was listed twice"
        );

        let layer_of = |name: &str| {
            let p = found.packages.iter().find(|p| p.name == name);
            p.map(|p| (p.version.as_str(), p.layer.unwrap()))
        };
        assert_eq!(layer_of("tzdata"), None, "purged in layer 1");
        assert_eq!(layer_of("porthole-hello"), Some(("1.0-1", 1)));
        assert_eq!(layer_of("debian-archive-keyring"), Some(("2099.1", 1)));
        assert_eq!(layer_of("bash").unwrap().1, 0);
        let in_base = found.packages.iter().filter(|p| p.layer == Some(0)).count();
        assert_eq!(
            in_base,
            want.len() - 2,
            "everything else stays in the base layer"
        );

        let os = found.os.as_ref().unwrap();
        assert_eq!(
            (os.id.as_str(), os.version_id.as_deref()),
            ("debian", Some("12"))
        );
        let bash = found.packages.iter().find(|p| p.name == "bash").unwrap();
        assert!(
            bash.purl.starts_with("pkg:deb/debian/bash@")
                && bash.purl.ends_with("distro=debian-12"),
            "{}",
            bash.purl
        );
        assert_eq!(
            bash.layer_digest.as_ref(),
            Some(layers.layers()[0].digest())
        );

        // Licences come from each package's copyright file, as extracted.
        assert!(
            bash.licenses.iter().any(|l| l == "GPL-3+"),
            "{:?}",
            bash.licenses
        );
        for p in found.packages.iter().filter(|p| p.kind == PackageType::Deb) {
            let copyright = fixture
                .join("unpacked/rootfs/usr/share/doc")
                .join(&p.name)
                .join("copyright");
            let want = match fs::symlink_metadata(&copyright) {
                Ok(m) if m.is_file() => dpkg::copyright_licenses(&fs::read(&copyright).unwrap()),
                _ => Vec::new(),
            };
            assert_eq!(p.licenses, want, "licences of {}", p.name);
        }
        // Who installed which file, as dpkg-query -S says on the extracted rootfs; the
        // purged tzdata owns nothing any more.
        let admindir = fixture.join("unpacked/rootfs/var/lib/dpkg");
        for probe in [
            "/usr/bin/bash",
            "/usr/share/porthole-hello/porthole",
            "/usr/share/debian-archive-keyring/porthole",
            "/usr/lib/x86_64-linux-gnu/libc.so.6",
            "/usr/bin/dpkg",
        ] {
            // A merged-/usr system: dpkg's lists name /bin/bash but /usr/bin/dpkg; ask
            // for both spellings, as `dpkg -S` through the /bin symlink would find either.
            let alias = format!("/{}", probe.trim_start_matches("/usr/"));
            let out = Command::new("dpkg-query")
                .arg("--admindir")
                .arg(&admindir)
                .args(["-S", probe, &alias])
                .output()
                .unwrap();
            let out = String::from_utf8(out.stdout).unwrap();
            assert!(!out.is_empty(), "dpkg-query -S found no owner of {probe}");
            let owner = out.split(':').next().unwrap().trim();
            assert_eq!(layers.owner_of(probe), Some(owner), "owner of {probe}");
        }
        assert_eq!(layers.owner_of("/usr/share/zoneinfo/UTC"), None);
        let bash = layers.tree("/usr/bin/bash", Some(0)).unwrap();
        assert_eq!(bash[0].package.as_deref(), Some("bash"));
        let etc = layers.tree("/etc", Some(0)).unwrap();
        assert_eq!(etc[0].package, None, "directories have no single owner");

        let with_licenses = found
            .packages
            .iter()
            .filter(|p| !p.licenses.is_empty())
            .count();
        assert!(
            with_licenses > 80,
            "only {with_licenses} debs have licences"
        );
    }
}
