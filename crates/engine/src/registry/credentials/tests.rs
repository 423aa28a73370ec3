//! Tests over real files in temporary directories and real helper processes.

use std::fs;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::json;

use super::*;

fn b64(s: &str) -> String {
    STANDARD.encode(s)
}

/// A temporary home with Docker's config dir and one Podman auth file.
struct Fixture {
    _dir: tempfile::TempDir,
    root: PathBuf,
}

impl Fixture {
    fn new() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_owned();
        Fixture { _dir: dir, root }
    }

    fn docker_dir(&self) -> PathBuf {
        self.root.join("docker")
    }

    fn docker_file(&self) -> PathBuf {
        self.docker_dir().join("config.json")
    }

    fn podman_file(&self) -> PathBuf {
        self.root.join("containers").join("auth.json")
    }

    fn helper_dir(&self) -> PathBuf {
        self.root.join("bin")
    }

    fn store(&self) -> CredentialStore {
        CredentialStore::new(self.docker_dir(), vec![self.podman_file()])
            .with_helper_dir(self.helper_dir())
    }

    fn write_docker(&self, value: serde_json::Value) {
        write_json(&self.docker_file(), &value);
    }

    fn write_podman(&self, value: serde_json::Value) {
        write_json(&self.podman_file(), &value);
    }

    fn read_docker(&self) -> serde_json::Value {
        serde_json::from_slice(&fs::read(self.docker_file()).unwrap()).unwrap()
    }
}

fn write_json(path: &Path, value: &serde_json::Value) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, serde_json::to_vec_pretty(value).unwrap()).unwrap();
}

fn creds(user: &str, secret: &str) -> Credentials {
    Credentials::new(user, secret)
}

// ---- Secret and Credentials -------------------------------------------------------

#[test]
fn credentials_debug_never_contains_the_secret() {
    let c = creds("alice", "hunter2-very-secret");
    let debug = format!("{c:?}");
    assert!(!debug.contains("hunter2"), "{debug}");
    assert!(
        debug.contains("alice") && debug.contains("<redacted>"),
        "{debug}"
    );
    assert!(!format!("{c:#?}").contains("hunter2"));
    assert_eq!(format!("{}", c.secret), "<redacted>");
    assert_eq!(format!("{:?}", c.secret), "<redacted>");
    assert_eq!(c.secret.expose(), "hunter2-very-secret");
    let found = Found {
        credentials: Some(c.clone()),
        registry_token: Some(Secret::from("hunter2-token")),
        source: CredentialSource::Helper("docker-credential-x".into()),
    };
    assert!(!format!("{found:?}").contains("hunter2"));
}

#[test]
fn credentials_identity_token() {
    assert!(Credentials::identity_token("t").is_identity_token());
    assert!(creds("<token>", "t").is_identity_token());
    assert!(!creds("alice", "t").is_identity_token());
}

#[test]
fn credentials_convert_to_hostname_like_docker() {
    assert_eq!(
        convert_to_hostname("https://index.docker.io/v1/"),
        "index.docker.io"
    );
    assert_eq!(
        convert_to_hostname("http://127.0.0.1:5000/v2/"),
        "127.0.0.1:5000"
    );
    assert_eq!(convert_to_hostname("https://ghcr.io"), "ghcr.io");
    assert_eq!(convert_to_hostname("quay.io/org/repo"), "quay.io");
    assert_eq!(convert_to_hostname("localhost:5000"), "localhost:5000");
}

#[test]
fn credentials_registry_names_normalise_like_docker_login() {
    assert_eq!(registry_name(None).unwrap(), "docker.io");
    assert_eq!(
        registry_name(Some("https://index.docker.io/v1/")).unwrap(),
        "docker.io"
    );
    assert_eq!(registry_name(Some("index.docker.io")).unwrap(), "docker.io");
    assert_eq!(
        registry_name(Some("127.0.0.1:5000")).unwrap(),
        "127.0.0.1:5000"
    );
    assert_eq!(
        registry_name(Some(" http://localhost:5000/v2/ ")).unwrap(),
        "localhost:5000"
    );
    for bad in ["https://", "", "bad host", "a_b:x"] {
        let e = registry_name(Some(bad)).unwrap_err();
        assert!(
            matches!(e, CredentialError::InvalidRegistry { .. }),
            "{bad}: {e}"
        );
    }
}

// ---- from_env ---------------------------------------------------------------------

#[test]
fn credentials_from_env_locations() {
    let env = |pairs: &'static [(&'static str, &'static str)]| {
        move |name: &str| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| OsString::from(*v))
        }
    };
    let s = CredentialStore::from_vars(env(&[("HOME", "/h")]), || None);
    assert_eq!(
        s.docker_config_file(),
        Some(PathBuf::from("/h/.docker/config.json"))
    );
    assert_eq!(
        s.podman_auth_files(),
        [PathBuf::from("/h/.config/containers/auth.json")]
    );

    let s = CredentialStore::from_vars(
        env(&[
            ("HOME", "/h"),
            ("DOCKER_CONFIG", "/d"),
            ("XDG_RUNTIME_DIR", "/run/user/1"),
        ]),
        || None,
    );
    assert_eq!(
        s.docker_config_file(),
        Some(PathBuf::from("/d/config.json"))
    );
    assert_eq!(
        s.podman_auth_files(),
        [
            PathBuf::from("/run/user/1/containers/auth.json"),
            PathBuf::from("/h/.config/containers/auth.json"),
        ]
    );

    let s = CredentialStore::from_vars(
        env(&[
            ("HOME", "/h"),
            ("DOCKER_CONFIG", ""),
            ("REGISTRY_AUTH_FILE", "/a.json"),
            ("XDG_RUNTIME_DIR", "/run/user/1"),
        ]),
        || None,
    );
    assert_eq!(
        s.docker_config_file(),
        Some(PathBuf::from("/h/.docker/config.json"))
    );
    assert_eq!(s.podman_auth_files(), [PathBuf::from("/a.json")]);

    let s = CredentialStore::from_vars(env(&[]), || Some(PathBuf::from("/fallback")));
    assert_eq!(
        s.docker_config_file(),
        Some(PathBuf::from("/fallback/.docker/config.json"))
    );
    let s = CredentialStore::from_vars(env(&[]), || None);
    assert_eq!(s.docker_config_file(), None);
    assert!(s.get("ghcr.io", None).unwrap().is_none());
    assert!(matches!(
        s.save("ghcr.io", &creds("a", "b")),
        Err(CredentialError::NoConfigDir)
    ));
}

// ---- Docker auths -----------------------------------------------------------------

#[test]
fn credentials_from_auth_field() {
    let f = Fixture::new();
    f.write_docker(json!({"auths": {"ghcr.io": {"auth": b64("alice:pa:ss")}}}));
    let got = f.store().get("ghcr.io", None).unwrap().unwrap();
    assert_eq!(got, creds("alice", "pa:ss"));
    assert!(f.store().get("quay.io", None).unwrap().is_none());
    let found = f.store().lookup("ghcr.io", Some("a/b")).unwrap().unwrap();
    assert_eq!(
        found.source,
        CredentialSource::DockerConfig(f.docker_file())
    );
}

#[test]
fn credentials_from_username_password_fields() {
    let f = Fixture::new();
    f.write_docker(json!({"auths": {"ghcr.io": {"username": "bob", "password": "pw"}}}));
    assert_eq!(
        f.store().get("ghcr.io", None).unwrap().unwrap(),
        creds("bob", "pw")
    );
}

#[test]
fn credentials_identity_token_field_wins() {
    let f = Fixture::new();
    f.write_docker(json!({"auths": {"myacr.azurecr.io": {
        "auth": b64("alice:"),
        "identitytoken": "refresh-me"
    }}}));
    let got = f.store().get("myacr.azurecr.io", None).unwrap().unwrap();
    assert!(got.is_identity_token());
    assert_eq!(got.username, "<token>");
    assert_eq!(got.secret.expose(), "refresh-me");
}

#[test]
fn credentials_registry_token_reported_by_lookup() {
    let f = Fixture::new();
    f.write_docker(json!({"auths": {"r.example": {"registrytoken": "bearer-xyz"}}}));
    let found = f.store().lookup("r.example", None).unwrap().unwrap();
    assert!(found.credentials.is_none());
    assert_eq!(found.registry_token.unwrap().expose(), "bearer-xyz");
    assert!(f.store().get("r.example", None).unwrap().is_none());
}

#[test]
fn credentials_docker_hub_keys() {
    for key in [
        "https://index.docker.io/v1/",
        "index.docker.io",
        "registry-1.docker.io",
        "docker.io",
        "https://registry-1.docker.io/v2/",
    ] {
        let f = Fixture::new();
        f.write_docker(json!({"auths": {key: {"auth": b64("hubuser:hubpw")}}}));
        for registry in [
            "docker.io",
            "index.docker.io",
            "registry-1.docker.io",
            DOCKER_HUB_SERVER_URL,
        ] {
            let got = f.store().get(registry, Some("library/alpine")).unwrap();
            assert_eq!(
                got,
                Some(creds("hubuser", "hubpw")),
                "key {key}, registry {registry}"
            );
        }
    }
}

#[test]
fn credentials_docker_hub_url_key_preferred() {
    let f = Fixture::new();
    f.write_docker(json!({"auths": {
        "docker.io": {"auth": b64("other:x")},
        "https://index.docker.io/v1/": {"auth": b64("main:y")}
    }}));
    assert_eq!(
        f.store().get("docker.io", None).unwrap(),
        Some(creds("main", "y"))
    );
}

#[test]
fn credentials_url_form_keys() {
    let f = Fixture::new();
    f.write_docker(json!({"auths": {
        "http://127.0.0.1:5000/v2/": {"auth": b64("local:pw")},
        "https://GHCR.io": {"auth": b64("gh:pw")}
    }}));
    let s = f.store();
    assert_eq!(
        s.get("127.0.0.1:5000", None).unwrap(),
        Some(creds("local", "pw"))
    );
    assert_eq!(s.get("ghcr.io", None).unwrap(), Some(creds("gh", "pw")));
    assert!(s.get("127.0.0.1:5001", None).unwrap().is_none());
    assert!(s.get("127.0.0.1", None).unwrap().is_none());
}

#[test]
fn credentials_exact_key_beats_url_key_and_empty_entries_are_skipped() {
    let f = Fixture::new();
    f.write_docker(json!({"auths": {
        "https://ghcr.io": {"auth": b64("url:1")},
        "ghcr.io": {"auth": b64("exact:2")},
        "https://quay.io": {},
        "quay.io": {"email": "x@example.com"},
        "http://quay.io/v2/": {"auth": b64("q:3")}
    }}));
    let s = f.store();
    assert_eq!(s.get("ghcr.io", None).unwrap(), Some(creds("exact", "2")));
    assert_eq!(s.get("quay.io", None).unwrap(), Some(creds("q", "3")));
}

#[test]
fn credentials_malformed_entries_are_errors_naming_file_and_key() {
    let f = Fixture::new();
    f.write_docker(json!({"auths": {
        "bad64.example": {"auth": "%%%not base64%%%"},
        "nocolon.example": {"auth": b64("justuser-secretish")},
        "notobject.example": "oops",
        "numberauth.example": {"auth": 42},
        "fine.example": {"auth": b64("u:p")}
    }}));
    let s = f.store();
    for (host, needle) in [
        ("bad64.example", "base64"),
        ("nocolon.example", "no `:`"),
        ("notobject.example", "not a JSON object"),
        ("numberauth.example", "not a string"),
    ] {
        let err = s.get(host, None).unwrap_err();
        let msg = err.to_string();
        assert!(matches!(err, CredentialError::EntryInvalid { .. }), "{msg}");
        assert!(msg.contains(host), "{msg}");
        assert!(
            msg.contains(&f.docker_file().display().to_string()),
            "{msg}"
        );
        assert!(msg.contains(needle), "{msg}");
        assert!(!msg.contains("secretish"), "{msg}");
    }
    // Broken entries for other registries do not matter.
    assert_eq!(s.get("fine.example", None).unwrap(), Some(creds("u", "p")));
}

#[test]
fn credentials_malformed_files() {
    let f = Fixture::new();
    let s = f.store();
    fs::create_dir_all(f.docker_dir()).unwrap();

    fs::write(
        f.docker_file(),
        "{\"auths\": {\"ghcr.io\": {\"auth\": \"c2VjcmV0\"",
    )
    .unwrap();
    let err = s.get("ghcr.io", None).unwrap_err();
    assert!(
        matches!(err, CredentialError::ConfigInvalid { .. }),
        "{err}"
    );
    assert!(!err.to_string().contains("c2VjcmV0"));
    // Saving never overwrites a file it cannot understand.
    assert!(s.save("ghcr.io", &creds("a", "b")).is_err());
    assert!(
        fs::read_to_string(f.docker_file())
            .unwrap()
            .contains("c2VjcmV0")
    );

    fs::write(f.docker_file(), "[1, 2]").unwrap();
    let err = s.get("ghcr.io", None).unwrap_err();
    assert!(
        matches!(err, CredentialError::ConfigMalformed { .. }),
        "{err}"
    );

    fs::write(f.docker_file(), r#"{"auths": "nope"}"#).unwrap();
    assert!(matches!(
        s.get("ghcr.io", None),
        Err(CredentialError::ConfigMalformed { .. })
    ));
    assert!(s.save("ghcr.io", &creds("a", "b")).is_err());

    fs::write(f.docker_file(), r#"{"credsStore": 7}"#).unwrap();
    assert!(matches!(
        s.get("ghcr.io", None),
        Err(CredentialError::ConfigMalformed { .. })
    ));

    fs::write(f.docker_file(), r#"{"credsStore": "../evil"}"#).unwrap();
    assert!(matches!(
        s.get("ghcr.io", None),
        Err(CredentialError::InvalidHelperName { .. })
    ));

    // Empty file and `"auths": null`: no credentials, no error.
    fs::write(f.docker_file(), "  \n").unwrap();
    assert!(s.get("ghcr.io", None).unwrap().is_none());
    fs::write(f.docker_file(), r#"{"auths": null}"#).unwrap();
    assert!(s.get("ghcr.io", None).unwrap().is_none());

    assert!(matches!(
        s.get("", None),
        Err(CredentialError::InvalidRegistry { .. })
    ));
}

#[cfg(unix)]
#[test]
fn credentials_unreadable_file_is_an_error() {
    let f = Fixture::new();
    // A directory where the file should be: unreadable as a file, for root too.
    fs::create_dir_all(f.docker_file()).unwrap();
    let err = f.store().get("ghcr.io", None).unwrap_err();
    assert!(
        matches!(err, CredentialError::ConfigUnreadable { .. }),
        "{err}"
    );
}

// ---- Podman -----------------------------------------------------------------------

#[test]
fn credentials_podman_fallback_and_repository_scopes() {
    let f = Fixture::new();
    f.write_podman(json!({"auths": {
        "quay.io": {"auth": b64("host:h")},
        "quay.io/org": {"auth": b64("org:o")},
        "quay.io/org/repo": {"auth": b64("repo:r")},
        "docker.io/library/alpine": {"auth": b64("alpine:a")},
        "registry.example/team": {"auth": b64("team:t")}
    }}));
    let s = f.store();
    let get = |reg: &str, repo: Option<&str>| s.get(reg, repo).unwrap().map(|c| c.username);
    assert_eq!(get("quay.io", Some("org/repo")).as_deref(), Some("repo"));
    assert_eq!(
        get("quay.io", Some("org/repo/sub")).as_deref(),
        Some("repo")
    );
    assert_eq!(get("quay.io", Some("org/other")).as_deref(), Some("org"));
    assert_eq!(
        get("quay.io", Some("organisation/x")).as_deref(),
        Some("host")
    );
    assert_eq!(get("quay.io", Some("elsewhere/x")).as_deref(), Some("host"));
    assert_eq!(get("quay.io", None).as_deref(), Some("host"));
    assert_eq!(get("docker.io", Some("alpine")).as_deref(), Some("alpine"));
    assert_eq!(
        get("docker.io", Some("library/alpine")).as_deref(),
        Some("alpine")
    );
    assert_eq!(get("docker.io", Some("library/busybox")), None);
    // Repository-scoped only: no host-level match, no credentials.
    assert_eq!(
        get("registry.example", Some("team/app")).as_deref(),
        Some("team")
    );
    assert_eq!(get("registry.example", Some("other/app")), None);
    assert_eq!(get("registry.example", None), None);

    let found = s.lookup("quay.io", None).unwrap().unwrap();
    assert_eq!(
        found.source,
        CredentialSource::PodmanAuthFile(f.podman_file())
    );
}

#[test]
fn credentials_docker_config_before_podman() {
    let f = Fixture::new();
    f.write_docker(json!({"auths": {"quay.io": {"auth": b64("docker:d")}, "ghcr.io": {}}}));
    f.write_podman(json!({"auths": {
        "quay.io": {"auth": b64("podman:p")},
        "ghcr.io": {"auth": b64("podman:g")}
    }}));
    let s = f.store();
    assert_eq!(s.get("quay.io", None).unwrap(), Some(creds("docker", "d")));
    // An empty Docker entry does not hide Podman's.
    assert_eq!(s.get("ghcr.io", None).unwrap(), Some(creds("podman", "g")));
}

#[test]
fn credentials_podman_files_in_order() {
    let f = Fixture::new();
    let first = f.root.join("run").join("auth.json");
    let second = f.root.join("cfg").join("auth.json");
    write_json(
        &first,
        &json!({"auths": {"a.example": {"auth": b64("first:1")}}}),
    );
    write_json(
        &second,
        &json!({"auths": {
            "a.example": {"auth": b64("second:2")},
            "b.example": {"auth": b64("second:3")}
        }}),
    );
    let s = CredentialStore::new(
        f.docker_dir(),
        vec![f.root.join("missing.json"), first, second],
    );
    assert_eq!(s.get("a.example", None).unwrap().unwrap().username, "first");
    assert_eq!(
        s.get("b.example", None).unwrap(),
        Some(creds("second", "3"))
    );
}

// ---- save / erase to the file -----------------------------------------------------

#[test]
fn credentials_save_erase_round_trip_keeps_other_fields() {
    let f = Fixture::new();
    let original = r#"{
	"psFormat": "table {{.ID}}",
	"auths": {
		"quay.io": {
			"auth": "cXVheTpx"
		},
		"ghcr.io": {
			"auth": "b2xkOm9sZA==",
			"email": "me@example.com"
		}
	},
	"HttpHeaders": {
		"User-Agent": "Docker-Client"
	},
	"proxies": {
		"default": {
			"httpProxy": "http://proxy:3128"
		}
	},
	"experimental": "enabled",
	"number": 1.5
}"#;
    fs::create_dir_all(f.docker_dir()).unwrap();
    fs::write(f.docker_file(), original).unwrap();
    let s = f.store();

    let saved = s.save("ghcr.io", &creds("alice", "n3w")).unwrap();
    assert_eq!(saved, SavedTo::ConfigFile(f.docker_file()));
    assert_eq!(s.get("ghcr.io", None).unwrap(), Some(creds("alice", "n3w")));
    let doc = f.read_docker();
    assert_eq!(
        doc["auths"]["ghcr.io"],
        json!({"email": "me@example.com", "auth": b64("alice:n3w")})
    );
    assert_eq!(doc["auths"]["quay.io"], json!({"auth": "cXVheTpx"}));
    for key in [
        "psFormat",
        "HttpHeaders",
        "proxies",
        "experimental",
        "number",
    ] {
        let before: serde_json::Value = serde_json::from_str(original).unwrap();
        assert_eq!(doc[key], before[key], "{key}");
    }
    // Key order stays as it was.
    let text = fs::read_to_string(f.docker_file()).unwrap();
    let positions: Vec<usize> = [
        "psFormat",
        "auths",
        "quay.io",
        "ghcr.io",
        "HttpHeaders",
        "proxies",
        "experimental",
    ]
    .iter()
    .map(|k| text.find(&format!("\"{k}\"")).unwrap())
    .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{text}");
    assert_mode(&f.docker_file(), 0o600);

    // Docker Hub goes under Docker's URL key.
    s.save("docker.io", &creds("hub", "h")).unwrap();
    assert_eq!(
        f.read_docker()["auths"][DOCKER_HUB_SERVER_URL],
        json!({"auth": b64("hub:h")})
    );
    assert_eq!(
        s.get("index.docker.io", None).unwrap(),
        Some(creds("hub", "h"))
    );

    assert!(s.erase("ghcr.io").unwrap());
    assert!(s.get("ghcr.io", None).unwrap().is_none());
    assert!(!s.erase("ghcr.io").unwrap());
    assert!(s.erase("docker.io").unwrap());
    let doc = f.read_docker();
    assert_eq!(doc["auths"], json!({"quay.io": {"auth": "cXVheTpx"}}));
    assert_eq!(doc["HttpHeaders"], json!({"User-Agent": "Docker-Client"}));
    assert_eq!(doc["number"], json!(1.5));
    assert_mode(&f.docker_file(), 0o600);
    // No temporary files left behind.
    let names: Vec<_> = fs::read_dir(f.docker_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["config.json"]);
}

#[test]
fn credentials_save_creates_private_dir_and_file() {
    let f = Fixture::new();
    let s = f.store();
    assert!(!f.docker_dir().exists());
    assert!(!s.erase("ghcr.io").unwrap());
    s.save("127.0.0.1:5000", &creds("me", "pw")).unwrap();
    assert_mode(&f.docker_dir(), 0o700);
    assert_mode(&f.docker_file(), 0o600);
    assert_eq!(
        f.read_docker(),
        json!({"auths": {"127.0.0.1:5000": {"auth": b64("me:pw")}}})
    );
    assert_eq!(
        s.get("127.0.0.1:5000", None).unwrap(),
        Some(creds("me", "pw"))
    );
}

#[test]
fn credentials_save_erase_url_form_keys() {
    let f = Fixture::new();
    f.write_docker(json!({"auths": {
        "http://127.0.0.1:5000/v2/": {"auth": b64("old:o")},
        "quay.io/org": {"auth": b64("scoped:s")}
    }}));
    let s = f.store();
    s.save("127.0.0.1:5000", &creds("new", "n")).unwrap();
    assert_eq!(
        s.get("127.0.0.1:5000", None).unwrap(),
        Some(creds("new", "n"))
    );
    assert!(s.erase("127.0.0.1:5000").unwrap());
    assert!(s.get("127.0.0.1:5000", None).unwrap().is_none());
    // Repository-scoped keys are not the registry's login.
    assert!(!s.erase("quay.io").unwrap());
    assert_eq!(
        s.get("quay.io", Some("org/x")).unwrap(),
        Some(creds("scoped", "s"))
    );
}

#[test]
fn credentials_save_identity_token() {
    let f = Fixture::new();
    let s = f.store();
    s.save("myacr.azurecr.io", &Credentials::identity_token("rt"))
        .unwrap();
    assert_eq!(
        f.read_docker(),
        json!({"auths": {"myacr.azurecr.io": {"identitytoken": "rt"}}})
    );
    let got = s.get("myacr.azurecr.io", None).unwrap().unwrap();
    assert!(got.is_identity_token());
    assert_eq!(got.secret.expose(), "rt");
    // A later password login replaces the token.
    s.save("myacr.azurecr.io", &creds("u", "p")).unwrap();
    assert_eq!(
        f.read_docker(),
        json!({"auths": {"myacr.azurecr.io": {"auth": b64("u:p")}}})
    );
}

#[test]
fn credentials_save_rejects_unusable_credentials() {
    let f = Fixture::new();
    let s = f.store();
    for bad in [creds("", "p"), creds("a:b", "p"), creds("a", "")] {
        let err = s.save("ghcr.io", &bad).unwrap_err();
        assert!(
            matches!(err, CredentialError::InvalidCredentials { .. }),
            "{err}"
        );
    }
    assert!(!f.docker_file().exists());
}

#[cfg(unix)]
#[test]
fn credentials_save_follows_symlinked_config() {
    let f = Fixture::new();
    let real = f.root.join("dotfiles").join("docker.json");
    write_json(&real, &json!({"psFormat": "x"}));
    fs::create_dir_all(f.docker_dir()).unwrap();
    std::os::unix::fs::symlink(&real, f.docker_file()).unwrap();
    f.store().save("ghcr.io", &creds("a", "b")).unwrap();
    assert!(
        fs::symlink_metadata(f.docker_file())
            .unwrap()
            .file_type()
            .is_symlink()
    );
    let doc: serde_json::Value = serde_json::from_slice(&fs::read(&real).unwrap()).unwrap();
    assert_eq!(
        doc,
        json!({"psFormat": "x", "auths": {"ghcr.io": {"auth": b64("a:b")}}})
    );
}

#[cfg(unix)]
fn assert_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    let actual = fs::metadata(path).unwrap().permissions().mode() & 0o777;
    assert_eq!(actual, mode, "{}", path.display());
}

#[cfg(not(unix))]
fn assert_mode(_path: &Path, _mode: u32) {}

// ---- credential helpers -----------------------------------------------------------

/// A helper keeping one file per server URL under `<bin>/<name>.store/`, logging each
/// call (action and, except for `store`, its input) to `<bin>/<name>.log`.
#[cfg(unix)]
const FAKE_HELPER: &str = r#"#!/bin/sh
dir=$(dirname "$0")
name=$(basename "$0")
input=$(cat)
key() { printf %s "$1" | tr -c 'A-Za-z0-9.-' '_'; }
case "$1" in
get)
    echo "get $input" >> "$dir/$name.log"
    f="$dir/$name.store/$(key "$input")"
    if [ -f "$f" ]; then cat "$f"; else echo "credentials not found in native keychain"; exit 1; fi
    ;;
store)
    url=$(printf %s "$input" | sed -n 's/.*"ServerURL":"\([^"]*\)".*/\1/p')
    echo "store $url" >> "$dir/$name.log"
    mkdir -p "$dir/$name.store"
    printf %s "$input" > "$dir/$name.store/$(key "$url")"
    ;;
erase)
    echo "erase $input" >> "$dir/$name.log"
    f="$dir/$name.store/$(key "$input")"
    if [ -f "$f" ]; then rm "$f"; else echo "credentials not found in native keychain"; exit 1; fi
    ;;
*)
    echo "unknown action $1" >&2
    exit 2
    ;;
esac
"#;

#[cfg(unix)]
impl Fixture {
    fn install_helper(&self, name: &str, script: &str) {
        use std::os::unix::fs::PermissionsExt;
        let dir = self.helper_dir();
        fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("docker-credential-{name}"));
        fs::write(&path, script).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
    }

    /// Puts credentials straight into a fake helper's store.
    fn seed_helper(&self, name: &str, url: &str, user: &str, secret: &str) {
        let dir = self
            .helper_dir()
            .join(format!("docker-credential-{name}.store"));
        fs::create_dir_all(&dir).unwrap();
        let key: String = url
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let body = json!({"ServerURL": url, "Username": user, "Secret": secret});
        fs::write(dir.join(key), body.to_string()).unwrap();
    }

    fn helper_log(&self, name: &str) -> String {
        fs::read_to_string(
            self.helper_dir()
                .join(format!("docker-credential-{name}.log")),
        )
        .unwrap_or_default()
    }
}

#[cfg(unix)]
#[test]
fn credentials_helper_get_store_erase_round_trip() {
    let f = Fixture::new();
    f.install_helper("porthole-test", FAKE_HELPER);
    f.write_docker(json!({
        "auths": {"ghcr.io": {"auth": b64("plain:text"), "email": "e@x"}},
        "credsStore": "porthole-test",
        "currentContext": "default"
    }));
    let s = f.store();

    // The helper has nothing yet: the auths entry is next.
    assert_eq!(
        s.get("ghcr.io", None).unwrap(),
        Some(creds("plain", "text"))
    );

    let saved = s.save("ghcr.io", &creds("alice", "from-helper")).unwrap();
    assert_eq!(
        saved,
        SavedTo::Helper("docker-credential-porthole-test".into())
    );
    assert!(f.helper_log("porthole-test").contains("store ghcr.io"));
    // The plain-text secret is gone from the file; the rest stays.
    assert_eq!(
        f.read_docker(),
        json!({
            "auths": {"ghcr.io": {"email": "e@x"}},
            "credsStore": "porthole-test",
            "currentContext": "default"
        })
    );
    let found = s.lookup("ghcr.io", None).unwrap().unwrap();
    assert_eq!(found.credentials, Some(creds("alice", "from-helper")));
    assert_eq!(
        found.source,
        CredentialSource::Helper("docker-credential-porthole-test".into())
    );

    // Docker Hub: helpers get Docker's URL, and a `{}` entry is left as Docker does.
    s.save("docker.io", &creds("hub", "hubpw")).unwrap();
    assert!(
        f.helper_log("porthole-test")
            .contains("store https://index.docker.io/v1/")
    );
    assert_eq!(f.read_docker()["auths"][DOCKER_HUB_SERVER_URL], json!({}));
    assert_eq!(
        s.get("docker.io", Some("library/alpine")).unwrap(),
        Some(creds("hub", "hubpw"))
    );
    assert!(
        f.helper_log("porthole-test")
            .contains("get https://index.docker.io/v1/")
    );

    assert!(s.erase("ghcr.io").unwrap());
    assert!(f.helper_log("porthole-test").contains("erase ghcr.io"));
    assert!(s.get("ghcr.io", None).unwrap().is_none());
    assert!(f.read_docker()["auths"].get("ghcr.io").is_none());
    // Nothing left to erase.
    assert!(!s.erase("ghcr.io").unwrap());

    assert!(s.erase("docker.io").unwrap());
    assert!(s.get("docker.io", None).unwrap().is_none());
    assert_eq!(f.read_docker()["currentContext"], json!("default"));
}

#[cfg(unix)]
#[test]
fn credentials_helper_precedence() {
    let f = Fixture::new();
    f.install_helper("porthole-test", FAKE_HELPER);
    f.install_helper("porthole-store", FAKE_HELPER);
    f.seed_helper("porthole-test", "ghcr.io", "from-cred-helpers", "1");
    f.seed_helper("porthole-store", "ghcr.io", "from-creds-store", "2");
    f.seed_helper("porthole-store", "quay.io", "store-quay", "3");
    f.write_docker(json!({
        "auths": {
            "ghcr.io": {"auth": b64("from-auths:0")},
            "quay.io": {"auth": b64("auths-quay:0")},
            "plain.example": {"auth": b64("auths-plain:0")}
        },
        "credsStore": "porthole-store",
        "credHelpers": {"ghcr.io": "porthole-test", "plain.example": ""}
    }));
    let s = f.store();
    let user = |reg: &str| s.get(reg, None).unwrap().map(|c| c.username);
    // credHelpers > credsStore > auths.
    assert_eq!(user("ghcr.io").as_deref(), Some("from-cred-helpers"));
    assert_eq!(user("quay.io").as_deref(), Some("store-quay"));
    // `""` in credHelpers: the file, not credsStore.
    assert_eq!(user("plain.example").as_deref(), Some("auths-plain"));
    assert!(!f.helper_log("porthole-store").contains("plain.example"));
    // Helper has nothing, auths has nothing: none.
    assert_eq!(user("nothing.example"), None);
}

#[cfg(unix)]
#[test]
fn credentials_helper_identity_token() {
    let f = Fixture::new();
    f.install_helper("porthole-test", FAKE_HELPER);
    f.write_docker(json!({"credHelpers": {"https://myacr.azurecr.io": "porthole-test"}}));
    let s = f.store();
    s.save("myacr.azurecr.io", &Credentials::identity_token("refresh"))
        .unwrap();
    let got = s.get("myacr.azurecr.io", None).unwrap().unwrap();
    assert!(got.is_identity_token());
    assert_eq!(got.secret.expose(), "refresh");
}

#[cfg(unix)]
#[test]
fn credentials_helper_missing() {
    let f = Fixture::new();
    f.write_docker(json!({
        "auths": {"ghcr.io": {"auth": b64("a:b")}},
        "credHelpers": {"ghcr.io": "porthole-missing-helper"}
    }));
    let s = f.store();
    for err in [
        s.get("ghcr.io", None).unwrap_err(),
        s.save("ghcr.io", &creds("a", "b")).unwrap_err(),
        s.erase("ghcr.io").unwrap_err(),
    ] {
        let msg = err.to_string();
        assert!(
            matches!(&err, CredentialError::HelperNotFound { helper } if helper == "docker-credential-porthole-missing-helper"),
            "{msg}"
        );
        assert!(
            msg.contains("docker-credential-porthole-missing-helper") && msg.contains("install"),
            "{msg}"
        );
    }
    // Other registries do not need the helper.
    assert!(s.get("quay.io", None).unwrap().is_none());
}

#[cfg(unix)]
#[test]
fn credentials_helper_failure_never_echoes_the_secret() {
    let f = Fixture::new();
    f.install_helper(
        "porthole-broken",
        "#!/bin/sh\ninput=$(cat)\necho \"keychain exploded on: $input\" >&2\nexit 3\n",
    );
    f.write_docker(json!({"credsStore": "porthole-broken"}));
    let s = f.store();
    let err = s
        .save("ghcr.io", &creds("alice", "super\"secret"))
        .unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, CredentialError::HelperFailed { .. }), "{msg}");
    assert!(
        msg.contains("docker-credential-porthole-broken") && msg.contains("keychain exploded"),
        "{msg}"
    );
    assert!(!msg.contains("super"), "{msg}");
    assert!(!format!("{err:?}").contains("super"));

    let err = s.get("ghcr.io", None).unwrap_err();
    assert!(matches!(err, CredentialError::HelperFailed { .. }), "{err}");
    assert!(err.to_string().contains("ghcr.io"), "{err}");
}

#[cfg(unix)]
#[test]
fn credentials_helper_garbage_output() {
    let f = Fixture::new();
    f.install_helper(
        "porthole-garbage",
        "#!/bin/sh\ncat >/dev/null\necho '{\"Secret\": 12345678}'\n",
    );
    f.write_docker(json!({"credsStore": "porthole-garbage"}));
    let err = f.store().get("ghcr.io", None).unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, CredentialError::HelperFailed { .. }), "{msg}");
    assert!(!msg.contains("12345678"), "{msg}");
}

#[cfg(unix)]
#[test]
fn credentials_helper_timeout() {
    let f = Fixture::new();
    f.install_helper("porthole-slow", "#!/bin/sh\nexec sleep 30\n");
    f.write_docker(json!({"credsStore": "porthole-slow"}));
    let s = f.store().with_helper_timeout(Duration::from_millis(200));
    let started = std::time::Instant::now();
    let err = s.get("ghcr.io", None).unwrap_err();
    assert!(
        matches!(err, CredentialError::HelperTimedOut { .. }),
        "{err}"
    );
    assert!(started.elapsed() < Duration::from_secs(10));
}
