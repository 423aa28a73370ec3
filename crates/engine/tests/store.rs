//! The local store through its public API: images, names, locking, gc, fsck, and what
//! skopeo and umoci make of it.
//!
//! Everything is inside `mod store` so that `cargo test -p porthole-engine store` runs it.

mod store {
    use std::path::Path;
    use std::process::Command;
    use std::sync::mpsc;
    use std::thread;
    use std::time::{Duration, SystemTime};

    use porthole_engine::store::{
        GcOptions, ImageSummary, Ingest, ManifestDescriptor, NewImage, Store, StoreError,
    };
    use porthole_engine::{Digest, Platform};
    use serde_json::json;

    const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
    const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";

    fn new_store() -> (tempfile::TempDir, Store) {
        let tmp = tempfile::tempdir().unwrap();
        let store = Store::open(tmp.path().join("store")).unwrap();
        (tmp, store)
    }

    /// An uncompressed tar holding one file: a real layer that skopeo can copy.
    fn tar_with(name: &str, content: &[u8]) -> Vec<u8> {
        let mut header = [0u8; 512];
        header[..name.len()].copy_from_slice(name.as_bytes());
        let field = |h: &mut [u8; 512], at: usize, s: String| {
            h[at..at + s.len()].copy_from_slice(s.as_bytes());
        };
        field(&mut header, 100, "0000644\0".into());
        field(&mut header, 108, "0000000\0".into());
        field(&mut header, 116, "0000000\0".into());
        field(&mut header, 124, format!("{:011o}\0", content.len()));
        field(&mut header, 136, format!("{:011o}\0", 0));
        header[156] = b'0';
        field(&mut header, 257, "ustar\0".into());
        field(&mut header, 263, "00".into());
        header[148..156].copy_from_slice(b"        ");
        let sum: u32 = header.iter().map(|&b| u32::from(b)).sum();
        field(&mut header, 148, format!("{sum:06o}\0 "));
        let mut tar = header.to_vec();
        tar.extend_from_slice(content);
        tar.resize(tar.len().div_ceil(512) * 512, 0);
        tar.extend_from_slice(&[0; 1024]);
        tar
    }

    struct Built {
        manifest: ManifestDescriptor,
        config: Digest,
        layer: Digest,
    }

    /// Writes a one-layer image's blobs as a pull would (layer through `ingest`, in chunks).
    fn build_image(store: &Store, seed: &str, media_type: &str) -> Built {
        let docker = media_type == DOCKER_MANIFEST;
        let layer = tar_with("hello.txt", seed.as_bytes());
        let layer_digest = Digest::of(&layer);
        match store.ingest(&layer_digest, layer.len() as u64).unwrap() {
            Ingest::Writer(mut w) => {
                for chunk in layer.chunks(700) {
                    w.write(chunk).unwrap();
                }
                w.commit().unwrap();
            }
            Ingest::AlreadyPresent => {}
        }
        let config = serde_json::to_vec(&json!({
            "created": "2024-05-01T12:00:00Z",
            "architecture": "amd64",
            "os": "linux",
            "config": {"Env": [format!("SEED={seed}")]},
            "rootfs": {"type": "layers", "diff_ids": [layer_digest.to_string()]},
        }))
        .unwrap();
        let config_digest = Digest::of(&config);
        store.write_blob(&config_digest, &config).unwrap();
        let (config_type, layer_type) = if docker {
            (
                "application/vnd.docker.container.image.v1+json",
                "application/vnd.docker.image.rootfs.diff.tar",
            )
        } else {
            (
                "application/vnd.oci.image.config.v1+json",
                "application/vnd.oci.image.layer.v1.tar",
            )
        };
        let manifest = serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "mediaType": media_type,
        "config": {"mediaType": config_type, "digest": config_digest.to_string(), "size": config.len()},
        "layers": [{"mediaType": layer_type, "digest": layer_digest.to_string(), "size": layer.len()}],
    }))
    .unwrap();
        let manifest_digest = Digest::of(&manifest);
        store.write_blob(&manifest_digest, &manifest).unwrap();
        Built {
            manifest: ManifestDescriptor {
                media_type: media_type.to_owned(),
                digest: manifest_digest,
                size: manifest.len() as u64,
            },
            config: config_digest,
            layer: layer_digest,
        }
    }

    fn add(store: &Store, name: &str, built: &Built) {
        let tag = name.rsplit_once(':').map(|(_, t)| t.to_owned());
        store
            .add_image(NewImage {
                name: name.to_owned(),
                tag,
                manifest: built.manifest.clone(),
                platform: Some(Platform::new("linux", "amd64", None)),
                index_digest: None,
            })
            .unwrap();
    }

    fn names(store: &Store) -> Vec<Option<String>> {
        store
            .images()
            .unwrap()
            .into_iter()
            .map(|s| s.reference)
            .collect()
    }

    fn index_json(store: &Store) -> serde_json::Value {
        serde_json::from_slice(&std::fs::read(store.root().join("index.json")).unwrap()).unwrap()
    }

    #[test]
    fn lists_an_added_image_with_its_details() {
        let (_tmp, store) = new_store();
        let built = build_image(&store, "a", OCI_MANIFEST);
        add(&store, "docker.io/library/nginx:latest", &built);
        let images = store.images().unwrap();
        assert_eq!(images.len(), 1);
        let s = &images[0];
        assert_eq!(
            s.reference.as_deref(),
            Some("docker.io/library/nginx:latest")
        );
        assert_eq!(s.repository.as_deref(), Some("docker.io/library/nginx"));
        assert_eq!(s.tag.as_deref(), Some("latest"));
        assert_eq!(s.digest, built.manifest.digest);
        assert_eq!(s.id, built.config);
        assert_eq!(s.created.as_deref(), Some("2024-05-01T12:00:00Z"));
        let config_len = std::fs::metadata(store.blob_path(&built.config))
            .unwrap()
            .len();
        let layer_len = std::fs::metadata(store.blob_path(&built.layer))
            .unwrap()
            .len();
        assert_eq!(s.size, config_len + layer_len);
        assert_eq!(s.platform.as_ref().unwrap().to_string(), "linux/amd64");
        assert_eq!(s.problem, None);

        let entry = &index_json(&store)["manifests"][0];
        assert_eq!(entry["mediaType"], OCI_MANIFEST);
        assert_eq!(
            entry["annotations"]["io.containerd.image.name"],
            "docker.io/library/nginx:latest"
        );
        assert_eq!(
            entry["annotations"]["org.opencontainers.image.ref.name"],
            "latest"
        );
        assert_eq!(entry["platform"]["architecture"], "amd64");
    }

    #[test]
    fn handles_can_be_shared_across_threads() {
        fn send_sync<T: Send + Sync + Clone>() {}
        fn send<T: Send>() {}
        send_sync::<Store>();
        send::<porthole_engine::store::BlobWriter>();
        send::<porthole_engine::store::StoreLock>();
    }

    #[test]
    fn a_familiar_name_is_stored_normalised() {
        let (_tmp, store) = new_store();
        let built = build_image(&store, "f", OCI_MANIFEST);
        add(&store, "nginx:1.25", &built);
        let entry = &index_json(&store)["manifests"][0];
        assert_eq!(
            entry["annotations"]["io.containerd.image.name"],
            "docker.io/library/nginx:1.25"
        );
        assert_eq!(
            entry["annotations"]["org.opencontainers.image.ref.name"],
            "1.25"
        );
        // And it is the same name as the normalised one.
        add(&store, "docker.io/library/nginx:1.25", &built);
        assert_eq!(store.images().unwrap().len(), 1);
    }

    #[test]
    fn docker_media_types_are_kept_exactly() {
        let (_tmp, store) = new_store();
        let built = build_image(&store, "d", DOCKER_MANIFEST);
        let list = Digest::of(b"a manifest list");
        store
            .add_image(NewImage {
                name: "docker.io/library/redis:7".into(),
                tag: None,
                manifest: built.manifest.clone(),
                platform: None,
                index_digest: Some(list.clone()),
            })
            .unwrap();
        let entry = &index_json(&store)["manifests"][0];
        assert_eq!(entry["mediaType"], DOCKER_MANIFEST);
        assert_eq!(
            entry["annotations"]["org.opencontainers.image.ref.name"],
            "7"
        );
        assert_eq!(
            entry["annotations"]["io.porthole.index.digest"],
            list.to_string()
        );
        let s = store.resolve("redis:7").unwrap();
        assert_eq!(s.media_type, DOCKER_MANIFEST);
        assert_eq!(s.id, built.config);
        assert_eq!(s.index_digest, Some(list.clone()));
        // Found by the list digest too.
        assert_eq!(
            store.resolve(&format!("redis@{list}")).unwrap().digest,
            built.manifest.digest
        );
    }

    #[test]
    fn add_image_refuses_an_incomplete_image_and_leaves_the_index_alone() {
        let (_tmp, store) = new_store();
        let built = build_image(&store, "x", OCI_MANIFEST);
        std::fs::remove_file(store.blob_path(&built.layer)).unwrap();
        let err = store
            .add_image(NewImage {
                name: "docker.io/library/x:1".into(),
                tag: Some("1".into()),
                manifest: built.manifest.clone(),
                platform: None,
                index_digest: None,
            })
            .unwrap_err();
        assert!(
            matches!(&err, StoreError::MissingBlob { digest, .. } if *digest == built.layer),
            "{err}"
        );
        assert!(store.images().unwrap().is_empty());
    }

    #[test]
    fn repointing_a_name_leaves_a_dangling_image() {
        let (_tmp, store) = new_store();
        let old = build_image(&store, "old", OCI_MANIFEST);
        let new = build_image(&store, "new", OCI_MANIFEST);
        add(&store, "docker.io/library/app:latest", &old);
        add(&store, "docker.io/library/app:latest", &old); // unchanged: still one entry
        assert_eq!(store.images().unwrap().len(), 1);

        add(&store, "docker.io/library/app:latest", &new);
        let images = store.images().unwrap();
        assert_eq!(images.len(), 2);
        let dangling = images.iter().find(|s| s.reference.is_none()).unwrap();
        assert_eq!(dangling.digest, old.manifest.digest);
        assert_eq!(dangling.tag, None);
        let named = store.resolve("app").unwrap();
        assert_eq!(named.digest, new.manifest.digest);

        // Naming the old manifest again absorbs its dangling entry.
        add(&store, "docker.io/library/app:old", &old);
        let images = store.images().unwrap();
        assert_eq!(images.len(), 2);
        assert!(images.iter().all(|s| s.reference.is_some()));

        // Re-pointing a name leaves no dangling entry when another name still holds the old
        // manifest.
        add(&store, "docker.io/library/app:also-old", &old);
        add(&store, "docker.io/library/app:old", &new);
        let images = store.images().unwrap();
        assert!(images.iter().all(|s| s.reference.is_some()), "{images:?}");
        assert_eq!(images.len(), 3);
        assert_eq!(
            store.resolve("app:also-old").unwrap().digest,
            old.manifest.digest
        );
        assert_eq!(
            store.resolve("app:old").unwrap().digest,
            new.manifest.digest
        );
    }

    #[test]
    fn resolves_names_ids_prefixes_and_digests() {
        let (_tmp, store) = new_store();
        let a = build_image(&store, "a", OCI_MANIFEST);
        let b = build_image(&store, "b", OCI_MANIFEST);
        add(&store, "docker.io/library/nginx:latest", &a);
        add(&store, "ghcr.io/owner/tool:1.2", &b);

        for name in [
            "nginx",
            "nginx:latest",
            "docker.io/library/nginx:latest",
            "library/nginx",
        ] {
            assert_eq!(
                store.resolve(name).unwrap().digest,
                a.manifest.digest,
                "{name}"
            );
        }
        assert_eq!(
            store.resolve("ghcr.io/owner/tool:1.2").unwrap().id,
            b.config
        );
        let id = a.config.to_string();
        for form in [
            id.as_str(),
            a.config.hex(),
            &a.config.hex()[..12],
            &a.config.hex()[..4],
            &id[..13],
        ] {
            assert_eq!(store.resolve(form).unwrap().id, a.config, "{form}");
        }
        assert_eq!(
            store.resolve(&a.manifest.digest.to_string()).unwrap().id,
            a.config
        );
        let digest_ref = format!("nginx@{}", a.manifest.digest);
        assert_eq!(store.resolve(&digest_ref).unwrap().id, a.config);

        let err = store.resolve("nginx:1.0").unwrap_err();
        assert!(matches!(err, StoreError::NotFound { .. }), "{err}");
        assert!(
            err.to_string().contains("no image named `nginx:1.0`"),
            "{err}"
        );
        assert!(matches!(
            store.resolve("abc"),
            Err(StoreError::NotFound { .. })
        ));
    }

    #[test]
    fn a_name_not_in_the_store_suggests_the_same_repository_elsewhere() {
        let (_tmp, store) = new_store();
        let a = build_image(&store, "a", OCI_MANIFEST);
        let b = build_image(&store, "b", OCI_MANIFEST);
        add(&store, "127.0.0.1:5000/library/debian:12", &a);
        add(&store, "127.0.0.1:5000/library/debian:13", &b);
        add(&store, "ghcr.io/owner/tool:1.2", &b);
        let similar = |name: &str| match store.resolve(name) {
            Err(StoreError::NotFound { similar, .. }) => similar,
            other => panic!("{name}: {other:?}"),
        };
        // A tag typed: that tag only; none typed: every tag of the repository.
        assert_eq!(similar("debian:12"), ["127.0.0.1:5000/library/debian:12"]);
        assert_eq!(
            similar("library/debian"),
            [
                "127.0.0.1:5000/library/debian:12",
                "127.0.0.1:5000/library/debian:13"
            ]
        );
        assert_eq!(
            similar("localhost:5000/debian:13"),
            ["127.0.0.1:5000/library/debian:13"]
        );
        assert_eq!(
            similar("tool:1.2"),
            Vec::<String>::new(),
            "owner/tool is not tool"
        );
        assert_eq!(similar("owner/tool:1.2"), ["ghcr.io/owner/tool:1.2"]);
        assert!(similar("debian:11").is_empty());
        assert!(similar(&format!("debian@{}", a.manifest.digest)).is_empty());

        let err = store.resolve("debian").unwrap_err().to_string();
        assert!(
            err.ends_with(
                "; did you mean `127.0.0.1:5000/library/debian:12` or \
                 `127.0.0.1:5000/library/debian:13`?"
            ),
            "{err}"
        );
        let err = store.resolve("alpine").unwrap_err().to_string();
        assert!(err.ends_with('`'), "nothing to suggest: {err}");
    }

    #[test]
    fn an_ambiguous_id_prefix_is_refused() {
        let (_tmp, store) = new_store();
        // Find two seeds whose image IDs share their first 4 hex characters.
        let id_of = |seed: usize| {
            let layer = tar_with("hello.txt", format!("s{seed}").as_bytes());
            Digest::of(
                &serde_json::to_vec(&json!({
                    "created": "2024-05-01T12:00:00Z",
                    "architecture": "amd64",
                    "os": "linux",
                    "config": {"Env": [format!("SEED=s{seed}")]},
                    "rootfs": {"type": "layers", "diff_ids": [Digest::of(&layer).to_string()]},
                }))
                .unwrap(),
            )
        };
        let mut seen = std::collections::HashMap::new();
        let (first, second) = (0..100_000)
            .find_map(|seed| {
                let prefix = id_of(seed).hex()[..4].to_owned();
                seen.insert(prefix, seed).map(|other| (other, seed))
            })
            .unwrap();
        let a = build_image(&store, &format!("s{first}"), OCI_MANIFEST);
        let b = build_image(&store, &format!("s{second}"), OCI_MANIFEST);
        assert_eq!(a.config.hex()[..4], b.config.hex()[..4]);
        add(&store, "docker.io/library/a:1", &a);
        add(&store, "docker.io/library/b:1", &b);
        let prefix = &a.config.hex()[..4];
        let err = store.resolve(prefix).unwrap_err();
        match &err {
            StoreError::Ambiguous { candidates, .. } => assert_eq!(candidates.len(), 2),
            other => panic!("expected Ambiguous, got {other}"),
        }
        assert!(err.to_string().contains("more characters"), "{err}");
        assert!(store.remove(prefix).is_err());
        assert_eq!(store.images().unwrap().len(), 2);
    }

    #[test]
    fn removing_a_name_keeps_other_names_and_removing_an_id_removes_all() {
        let (_tmp, store) = new_store();
        let a = build_image(&store, "a", OCI_MANIFEST);
        let b = build_image(&store, "b", OCI_MANIFEST);
        add(&store, "docker.io/library/a:1", &a);
        add(&store, "docker.io/library/a:2", &a);
        add(&store, "docker.io/library/b:1", &b);

        let removed = store.remove("a:1").unwrap();
        assert_eq!(removed.len(), 1);
        assert_eq!(
            removed[0].reference.as_deref(),
            Some("docker.io/library/a:1")
        );
        assert_eq!(store.resolve("a:2").unwrap().id, a.config);

        add(&store, "docker.io/library/a:1", &a);
        let removed: Vec<ImageSummary> = store.remove(&a.config.hex()[..8]).unwrap();
        assert_eq!(removed.len(), 2);
        assert_eq!(names(&store), vec![Some("docker.io/library/b:1".into())]);
        // Blobs stay for gc.
        assert!(store.blob_path(&a.layer).exists());
        assert!(matches!(
            store.remove("a:1"),
            Err(StoreError::NotFound { .. })
        ));
    }

    #[test]
    fn tag_names_an_image_again_as_docker_tag_does() {
        let (_tmp, store) = new_store();
        let a = build_image(&store, "a", OCI_MANIFEST);
        let b = build_image(&store, "b", DOCKER_MANIFEST);
        add(&store, "docker.io/library/a:1", &a);
        add(&store, "docker.io/library/b:1", &b);

        // By familiar name; the new name is normalised and defaults to :latest.
        let tagged = store.tag("a:1", "registry.lan:5000/team/a").unwrap();
        assert_eq!(
            tagged.reference.as_deref(),
            Some("registry.lan:5000/team/a:latest")
        );
        assert_eq!(tagged.tag.as_deref(), Some("latest"));
        assert_eq!(tagged.digest, a.manifest.digest);
        assert_eq!(tagged.platform, Some(Platform::new("linux", "amd64", None)));
        // By image ID prefix, keeping the Docker media type exactly.
        let tagged = store.tag(&b.config.hex()[..8], "b:prod").unwrap();
        assert_eq!(
            tagged.reference.as_deref(),
            Some("docker.io/library/b:prod")
        );
        assert_eq!(tagged.media_type, DOCKER_MANIFEST);
        // Moving a name: b:1 now names a; b keeps b:prod.
        store.tag("a:1", "b:1").unwrap();
        assert_eq!(store.resolve("b:1").unwrap().digest, a.manifest.digest);
        assert_eq!(store.resolve("b:prod").unwrap().digest, b.manifest.digest);
        assert_eq!(store.images().unwrap().len(), 4, "{:?}", names(&store));
        // Tagging the same name again changes nothing.
        store.tag("a:1", "b:1").unwrap();
        assert_eq!(store.images().unwrap().len(), 4);

        let refused = |source: &str, target: &str| {
            let before = index_json(&store);
            let error = store.tag(source, target).unwrap_err();
            assert_eq!(index_json(&store), before, "{source} → {target}");
            error.to_string()
        };
        let digest_target = format!("a@{}", a.manifest.digest);
        let e = refused("a:1", &digest_target);
        assert!(e.contains("cannot carry a digest"), "{e}");
        let e = refused("a:1", "Upper/Case");
        assert!(e.contains("Upper/Case"), "{e}");
        let e = refused("a:1", "a:bad tag");
        assert!(e.contains("a:bad tag"), "{e}");
        assert!(matches!(
            store.tag("nothing:here", "x:1"),
            Err(StoreError::NotFound { .. })
        ));
    }

    #[test]
    fn concurrent_handles_never_lose_an_entry() {
        let (_tmp, store) = new_store();
        let built = build_image(&store, "shared", OCI_MANIFEST);
        let workers: Vec<_> = (0..2)
            .map(|worker| {
                let store = Store::open(store.root()).unwrap();
                let manifest = built.manifest.clone();
                thread::spawn(move || {
                    for i in 0..50 {
                        store
                            .add_image(NewImage {
                                name: format!("docker.io/library/w{worker}:{i}"),
                                tag: Some(i.to_string()),
                                manifest: manifest.clone(),
                                platform: None,
                                index_digest: None,
                            })
                            .unwrap();
                    }
                })
            })
            .collect();
        for w in workers {
            w.join().unwrap();
        }
        assert_eq!(store.images().unwrap().len(), 100);
    }

    const CHILD_ENV: &str = "PORTHOLE_STORE_TEST_CHILD";

    /// Run as a child process by `concurrent_processes_never_lose_an_entry`.
    fn add_many(root: &Path, prefix: &str, manifest: &ManifestDescriptor) {
        let store = Store::open(root).unwrap();
        for i in 0..25 {
            store
                .add_image(NewImage {
                    name: format!("docker.io/library/{prefix}:{i}"),
                    tag: Some(i.to_string()),
                    manifest: manifest.clone(),
                    platform: None,
                    index_digest: None,
                })
                .unwrap();
        }
    }

    #[test]
    fn concurrent_processes_never_lose_an_entry() {
        if let Ok(spec) = std::env::var(CHILD_ENV) {
            let v: serde_json::Value = serde_json::from_str(&spec).unwrap();
            let manifest = ManifestDescriptor {
                media_type: v["mediaType"].as_str().unwrap().into(),
                digest: v["digest"].as_str().unwrap().parse().unwrap(),
                size: v["size"].as_u64().unwrap(),
            };
            add_many(
                Path::new(v["root"].as_str().unwrap()),
                v["prefix"].as_str().unwrap(),
                &manifest,
            );
            return;
        }
        let (_tmp, store) = new_store();
        let built = build_image(&store, "p", OCI_MANIFEST);
        let exe = std::env::current_exe().unwrap();
        let children: Vec<_> = ["p1", "p2"]
            .iter()
            .map(|prefix| {
                let spec = json!({
                    "root": store.root(),
                    "prefix": prefix,
                    "mediaType": built.manifest.media_type,
                    "digest": built.manifest.digest.to_string(),
                    "size": built.manifest.size,
                });
                Command::new(&exe)
                    .args([
                        "--exact",
                        "store::concurrent_processes_never_lose_an_entry",
                        "--test-threads=1",
                    ])
                    .env(CHILD_ENV, spec.to_string())
                    .stdout(std::process::Stdio::null())
                    .spawn()
                    .unwrap()
            })
            .collect();
        add_many(store.root(), "p0", &built.manifest);
        for mut child in children {
            assert!(child.wait().unwrap().success());
        }
        assert_eq!(store.images().unwrap().len(), 75);
    }

    #[test]
    fn gc_removes_only_unreachable_blobs() {
        let (_tmp, store) = new_store();
        let kept = build_image(&store, "kept", OCI_MANIFEST);
        let gone = build_image(&store, "gone", OCI_MANIFEST);
        add(&store, "docker.io/library/kept:1", &kept);
        add(&store, "docker.io/library/gone:1", &gone);
        let stray = Digest::of(b"stray");
        store.write_blob(&stray, b"stray").unwrap();

        let estimate = store.gc_estimate().unwrap();
        assert_eq!((estimate.blobs, estimate.bytes), (1, 5));
        assert!(
            store.blob_path(&stray).exists(),
            "an estimate deletes nothing"
        );
        let report = store.gc().unwrap();
        assert_eq!(report.blobs_removed, 1);
        assert_eq!(report.bytes_freed, 5);
        assert!(!store.blob_path(&stray).exists());

        store.remove("gone:1").unwrap();
        let estimate = store.gc_estimate().unwrap();
        let report = store.gc().unwrap();
        assert_eq!(report.blobs_removed, 3);
        assert_eq!((estimate.blobs, estimate.bytes), (3, report.bytes_freed));
        assert_eq!(store.gc_estimate().unwrap(), Default::default());
        for d in [&gone.manifest.digest, &gone.config, &gone.layer] {
            assert!(!store.blob_path(d).exists());
        }
        for d in [&kept.manifest.digest, &kept.config, &kept.layer] {
            assert!(store.blob_path(d).exists());
        }
        assert!(store.fsck().unwrap().is_clean());
        assert_eq!(store.gc().unwrap().blobs_removed, 0);
    }

    #[test]
    fn gc_keeps_what_a_nested_index_reaches() {
        let (_tmp, store) = new_store();
        let built = build_image(&store, "n", OCI_MANIFEST);
        let index = serde_json::to_vec(&json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.index.v1+json",
            "manifests": [{
                "mediaType": OCI_MANIFEST,
                "digest": built.manifest.digest.to_string(),
                "size": built.manifest.size,
                "platform": {"architecture": "amd64", "os": "linux"},
            }],
        }))
        .unwrap();
        let index_digest = Digest::of(&index);
        store.write_blob(&index_digest, &index).unwrap();
        store
            .add_image(NewImage {
                name: "docker.io/library/multi:1".into(),
                tag: Some("1".into()),
                manifest: ManifestDescriptor {
                    media_type: "application/vnd.oci.image.index.v1+json".into(),
                    digest: index_digest.clone(),
                    size: index.len() as u64,
                },
                platform: None,
                index_digest: None,
            })
            .unwrap();
        assert_eq!(store.gc().unwrap().blobs_removed, 0);
        assert!(store.blob_path(&built.layer).exists());
        // Listed as the manifest for this machine (or the only one there is).
        let s = store.resolve("multi:1").unwrap();
        assert_eq!(s.digest, built.manifest.digest);
        assert_eq!(s.index_digest, Some(index_digest));
        assert_eq!(s.id, built.config);
    }

    #[test]
    fn gc_refuses_while_a_pull_holds_the_store_and_waits_for_it() {
        let (_tmp, store) = new_store();
        let stray = Digest::of(b"written by a running pull");
        store
            .write_blob(&stray, b"written by a running pull")
            .unwrap();
        let pull = store.lock_shared().unwrap();
        let mut options = GcOptions::at(SystemTime::now());
        options.lock_timeout = Duration::from_millis(100);
        let err = store.gc_with(&options).unwrap_err();
        assert!(matches!(err, StoreError::Locked { .. }), "{err}");
        assert!(err.to_string().contains("pull"), "{err}");
        assert!(store.blob_path(&stray).exists());

        // With a longer timeout, gc waits for the pull to end.
        let (tx, rx) = mpsc::channel();
        let releaser = thread::spawn(move || {
            rx.recv().unwrap();
            thread::sleep(Duration::from_millis(200));
            drop(pull);
        });
        tx.send(()).unwrap();
        options.lock_timeout = Duration::from_secs(10);
        let report = store.gc_with(&options).unwrap();
        assert_eq!(report.blobs_removed, 1);
        releaser.join().unwrap();
        // Two pulls may hold the store at once.
        let _a = store.lock_shared().unwrap();
        let _b = Store::open(store.root()).unwrap().lock_shared().unwrap();
    }

    #[test]
    fn gc_removes_stale_unlocked_partials_only() {
        let (_tmp, store) = new_store();
        let stale = Digest::of(b"stale");
        let busy = Digest::of(b"busy");
        let Ingest::Writer(mut w) = store.ingest(&stale, 5).unwrap() else {
            panic!()
        };
        w.write(b"st").unwrap();
        drop(w);
        let Ingest::Writer(mut held) = store.ingest(&busy, 4).unwrap() else {
            panic!()
        };
        held.write(b"bu").unwrap();

        // Not old enough yet.
        let report = store.gc().unwrap();
        assert_eq!(report.partials_removed, 0);

        let mut options = GcOptions::at(SystemTime::now() + Duration::from_secs(2 * 24 * 3600));
        options.lock_timeout = Duration::ZERO;
        let report = store.gc_with(&options).unwrap();
        assert_eq!(report.partials_removed, 1);
        assert_eq!(report.bytes_freed, 2);
        let partials: Vec<_> = std::fs::read_dir(store.root().join("ingest"))
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(partials, vec![format!("sha256-{}.partial", busy.hex())]);
        held.write(b"sy").unwrap();
        held.commit().unwrap();
    }

    #[test]
    fn fsck_finds_flipped_bytes_missing_and_unreferenced_blobs() {
        let (_tmp, store) = new_store();
        let a = build_image(&store, "a", OCI_MANIFEST);
        let b = build_image(&store, "b", OCI_MANIFEST);
        add(&store, "docker.io/library/a:1", &a);
        add(&store, "docker.io/library/b:1", &b);
        let clean = store.fsck().unwrap();
        assert!(clean.is_clean(), "{clean:?}");
        assert_eq!(clean.blobs_checked, 6);

        let path = store.blob_path(&a.layer);
        let mut bytes = std::fs::read(&path).unwrap();
        bytes[600] ^= 0x01;
        std::fs::write(&path, bytes).unwrap();
        std::fs::remove_file(store.blob_path(&b.config)).unwrap();
        let stray = Digest::of(b"stray");
        store.write_blob(&stray, b"stray").unwrap();

        let before = index_json(&store);
        let report = store.fsck().unwrap();
        assert!(!report.is_clean());
        assert_eq!(report.corrupt, vec![a.layer.clone()]);
        assert_eq!(report.missing, vec![b.config.clone()]);
        assert_eq!(report.unreferenced, vec![stray.clone()]);
        assert_eq!(report.blobs_checked, 5);
        // Nothing was changed.
        assert_eq!(index_json(&store), before);
        assert!(store.blob_path(&a.layer).exists() && store.blob_path(&stray).exists());
        // The listing says what is wrong instead of failing.
        let broken = store.resolve("b:1").unwrap();
        assert!(broken.problem.unwrap().contains("missing"));
        let json = serde_json::to_value(&report).unwrap();
        assert_eq!(json["corrupt"][0], a.layer.to_string());
    }

    #[test]
    fn a_corrupt_index_json_is_an_error_everywhere() {
        let (_tmp, store) = new_store();
        let built = build_image(&store, "a", OCI_MANIFEST);
        add(&store, "docker.io/library/a:1", &built);
        std::fs::write(store.root().join("index.json"), b"{\"manifests\": [").unwrap();
        assert!(matches!(store.images(), Err(StoreError::Corrupt { .. })));
        assert!(matches!(
            store.resolve("a:1"),
            Err(StoreError::Corrupt { .. })
        ));
        assert!(matches!(store.gc(), Err(StoreError::Corrupt { .. })));
        assert!(matches!(store.fsck(), Err(StoreError::Corrupt { .. })));
        let err = store.remove("a:1").unwrap_err();
        assert!(err.to_string().contains("index.json"), "{err}");
        // gc deleted nothing.
        assert!(store.blob_path(&built.layer).exists());
    }

    #[test]
    fn gc_refuses_to_guess_when_a_manifest_is_damaged() {
        let (_tmp, store) = new_store();
        let built = build_image(&store, "a", OCI_MANIFEST);
        add(&store, "docker.io/library/a:1", &built);
        std::fs::write(store.blob_path(&built.manifest.digest), b"not json").unwrap();
        let err = store.gc().unwrap_err();
        assert!(matches!(err, StoreError::Corrupt { .. }), "{err}");
        assert!(store.blob_path(&built.layer).exists());
    }

    #[test]
    fn lists_entries_written_by_other_tools() {
        let (_tmp, store) = new_store();
        let a = build_image(&store, "a", OCI_MANIFEST);
        let b = build_image(&store, "b", OCI_MANIFEST);
        let c = build_image(&store, "c", OCI_MANIFEST);
        let entry = |m: &ManifestDescriptor, ref_name: Option<&str>| {
            let mut e =
                json!({"mediaType": m.media_type, "digest": m.digest.to_string(), "size": m.size});
            if let Some(r) = ref_name {
                e["annotations"] = json!({"org.opencontainers.image.ref.name": r});
            }
            e
        };
        let index = json!({"schemaVersion": 2, "manifests": [
            entry(&a.manifest, Some("v1")),
            entry(&b.manifest, Some("quay.io/org/app:2")),
            entry(&c.manifest, None),
        ]});
        std::fs::write(
            store.root().join("index.json"),
            serde_json::to_vec(&index).unwrap(),
        )
        .unwrap();
        let images = store.images().unwrap();
        assert_eq!(images[0].reference, None);
        assert_eq!(images[0].tag.as_deref(), Some("v1"));
        assert_eq!(images[1].reference.as_deref(), Some("quay.io/org/app:2"));
        assert_eq!(images[1].repository.as_deref(), Some("quay.io/org/app"));
        assert_eq!(images[2].reference, None);
        assert_eq!(store.resolve("v1").unwrap().id, a.config);
        assert_eq!(store.resolve("quay.io/org/app:2").unwrap().id, b.config);
        // Adding an image keeps the other tools' entries.
        add(&store, "docker.io/library/new:1", &c);
        let images = store.images().unwrap();
        assert_eq!(images.len(), 3, "the unnamed entry of c was absorbed");
        assert_eq!(images[0].tag.as_deref(), Some("v1"));
    }

    fn tool(name: &str) -> Option<std::path::PathBuf> {
        let path = Path::new("/usr/bin").join(name);
        if path.exists() {
            Some(path)
        } else {
            println!("skipping: {name} is not installed at {}", path.display());
            None
        }
    }

    fn run(cmd: &mut Command) -> String {
        let out = cmd.output().unwrap();
        assert!(
            out.status.success(),
            "{cmd:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    #[test]
    fn skopeo_and_umoci_read_the_store() {
        let Some(skopeo) = tool("skopeo") else {
            return;
        };
        let (tmp, store) = new_store();
        let oci = build_image(&store, "oci", OCI_MANIFEST);
        let docker = build_image(&store, "docker", DOCKER_MANIFEST);
        add(&store, "docker.io/library/interop:oci", &oci);
        add(&store, "docker.io/library/interop:docker", &docker);
        // Our extra files must not bother anyone.
        let _pull = store.lock_shared().unwrap();
        let Ingest::Writer(mut w) = store.ingest(&Digest::of(b"partial"), 7).unwrap() else {
            panic!()
        };
        w.write(b"par").unwrap();
        drop(w);

        let root = store.root().display().to_string();
        for (tag, built) in [("oci", &oci), ("docker", &docker)] {
            let image = format!("oci:{root}:{tag}");
            let out = Command::new(&skopeo)
                .args(["inspect", "--raw", &image])
                .output()
                .unwrap();
            if tag == "docker"
                && String::from_utf8_lossy(&out.stderr).contains("no descriptor found")
            {
                // Older containers/image (skopeo 1.9 here) only looks at entries with OCI media
                // types in index.json; the entry is valid OCI all the same.
                println!(
                    "skipping the Docker-typed entry: this skopeo ignores Docker media types in OCI layouts"
                );
                continue;
            }
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            assert_eq!(Digest::of(&out.stdout), built.manifest.digest, "{tag}");
            let inspect = run(Command::new(&skopeo).args(["inspect", &image]));
            let v: serde_json::Value = serde_json::from_str(&inspect).unwrap();
            assert_eq!(v["Architecture"], "amd64", "{tag}: {inspect}");
        }

        // skopeo copies out of the store (verifying every blob) and into it.
        let copy = tmp.path().join("copy");
        run(Command::new(&skopeo).args([
            "--insecure-policy",
            "copy",
            &format!("oci:{root}:oci"),
            &format!("oci:{}:copied", copy.display()),
        ]));
        let other = Store::open(&copy).unwrap();
        let listed = other.images().unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].tag.as_deref(), Some("copied"));
        assert_eq!(listed[0].id, oci.config);
        assert!(other.fsck().unwrap().is_clean());

        run(Command::new(&skopeo).args([
            "--insecure-policy",
            "copy",
            &format!("oci:{}:copied", copy.display()),
            &format!("oci:{root}:from-skopeo"),
        ]));
        let s = store.resolve("from-skopeo").unwrap();
        assert_eq!(s.id, oci.config);
        assert_eq!(store.images().unwrap().len(), 3);
        let report = store.fsck().unwrap();
        assert!(report.is_clean(), "{report:?}");

        if let Some(umoci) = tool("umoci") {
            let ls = run(Command::new(umoci).args(["ls", "--layout", &root]));
            for tag in ["oci", "from-skopeo"] {
                assert!(ls.lines().any(|l| l.trim() == tag), "{tag} not in {ls}");
            }
        }
    }
}
