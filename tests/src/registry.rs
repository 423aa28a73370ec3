//! A real `docker-registry` (distribution 2.8) on a free loopback port.
//!
//! Each [`TestRegistry`] gets its own temporary directory holding `config.yml`, the storage root,
//! any auth files and `registry.log` (the registry's stdout and stderr). Dropping it stops the
//! process (SIGTERM, then SIGKILL after 5 s) and removes the directory; if the thread is
//! panicking, the log's tail is printed first so that a failing test shows what the registry saw.

use std::fs;
use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tempfile::TempDir;

use crate::token::{self, TokenIssuer};

/// Set this to the path of a `docker-registry` binary to use another one than `$PATH`'s.
pub const REGISTRY_BIN_ENV: &str = "PORTHOLE_DOCKER_REGISTRY";

/// How a [`TestRegistry`] authenticates clients.
#[derive(Clone, Copy)]
pub enum RegistryAuth<'a> {
    /// No auth: everyone may pull and push.
    None,
    /// `auth: htpasswd` with one bcrypt user. Accepted over plain HTTP by distribution 2.8 (no
    /// TLS needed); the challenge is `WWW-Authenticate: Basic realm="porthole-test"`.
    Htpasswd {
        /// The user name.
        user: &'a str,
        /// The password.
        password: &'a str,
    },
    /// `auth: token` trusting `issuer`: the challenge is
    /// `Bearer realm="<issuer>/token",service="porthole-test-registry",scope=…`.
    Token(&'a TokenIssuer),
}

/// A running `docker-registry serve` on `127.0.0.1:PORT`.
///
/// ```no_run
/// use porthole_tests::{RegistryAuth, TestRegistry};
/// let registry = TestRegistry::start(RegistryAuth::None);
/// let url = registry.url(); // "http://127.0.0.1:PORT"
/// ```
pub struct TestRegistry {
    child: Option<Child>,
    addr: String,
    dir: Option<TempDir>,
    credentials: Option<(String, String)>,
    auth_kind: &'static str,
    /// The PEM certificate the registry serves HTTPS with, when started with TLS.
    ca_pem: Option<String>,
}

impl TestRegistry {
    /// Like [`TestRegistry::start`], but serving HTTPS with a fresh self-signed certificate
    /// for `127.0.0.1` (see [`TestRegistry::ca_pem`]), for tests of per-registry CA files.
    pub fn start_tls(auth: RegistryAuth<'_>) -> Self {
        let key_pair = rcgen::KeyPair::generate().expect("generate the registry's TLS key");
        let params = rcgen::CertificateParams::new(vec!["127.0.0.1".to_owned()])
            .expect("registry certificate parameters");
        let cert = params
            .self_signed(&key_pair)
            .expect("self-sign the registry's certificate");
        Self::start_with(auth, Some((cert.pem(), key_pair.serialize_pem())))
    }

    /// The certificate (PEM) of a registry started with [`TestRegistry::start_tls`].
    pub fn ca_pem(&self) -> Option<&str> {
        self.ca_pem.as_deref()
    }

    /// Writes a config, starts the registry and waits until `GET /v2/` answers 200 or 401.
    ///
    /// # Panics
    /// If `docker-registry` is not installed (see the README's test setup), or the registry does
    /// not come up within 20 s (the panic message carries its log).
    pub fn start(auth: RegistryAuth<'_>) -> Self {
        Self::start_with(auth, None)
    }

    fn start_with(auth: RegistryAuth<'_>, tls: Option<(String, String)>) -> Self {
        let binary = registry_binary();
        let dir = tempfile::Builder::new()
            .prefix("porthole-registry-")
            .tempdir()
            .expect("create the registry's temporary directory");
        let root = dir.path();
        let storage = root.join("storage");
        fs::create_dir_all(&storage).expect("create the registry's storage directory");

        let (auth_yaml, credentials, auth_kind) = match auth {
            RegistryAuth::None => (String::new(), None, "none"),
            RegistryAuth::Htpasswd { user, password } => {
                let hash = bcrypt::hash(password, 5).expect("bcrypt the test password");
                let file = root.join("htpasswd");
                fs::write(&file, format!("{user}:{hash}\n")).expect("write htpasswd");
                let yaml = format!(
                    "auth:\n  htpasswd:\n    realm: porthole-test\n    path: {}\n",
                    yaml_str(&file)
                );
                (
                    yaml,
                    Some((user.to_owned(), password.to_owned())),
                    "htpasswd",
                )
            }
            RegistryAuth::Token(issuer) => {
                let bundle = root.join("issuer.pem");
                fs::write(&bundle, issuer.cert_pem()).expect("write the issuer's certificate");
                let yaml = format!(
                    "auth:\n  token:\n    realm: {}\n    service: {}\n    issuer: {}\n    rootcertbundle: {}\n",
                    issuer.realm(),
                    token::SERVICE,
                    token::ISSUER,
                    yaml_str(&bundle)
                );
                (yaml, issuer.users().first().cloned(), "token")
            }
        };
        let tls_yaml = match &tls {
            Some((cert, key)) => {
                let (cert_path, key_path) = (root.join("tls.crt"), root.join("tls.key"));
                fs::write(&cert_path, cert).expect("write the registry's certificate");
                fs::write(&key_path, key).expect("write the registry's key");
                format!(
                    "  tls:\n    certificate: {}\n    key: {}\n",
                    yaml_str(&cert_path),
                    yaml_str(&key_path)
                )
            }
            None => String::new(),
        };
        let config = format!(
            r#"version: 0.1
log:
  level: info
  formatter: text
storage:
  filesystem:
    rootdirectory: {storage}
  delete:
    enabled: true
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: 127.0.0.1:0
  secret: porthole-test-secret
  headers:
    X-Content-Type-Options: [nosniff]
{tls_yaml}validation:
  manifests:
    urls:
      allow:
        - ^https?://
{auth_yaml}"#,
            storage = yaml_str(&storage),
        );
        let config_path = root.join("config.yml");
        fs::write(&config_path, config).expect("write the registry config");

        let log_path = root.join("registry.log");
        let log = fs::File::create(&log_path).expect("create the registry log");
        let mut command = Command::new(&binary);
        command
            .arg("serve")
            .arg(&config_path)
            .current_dir(root)
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("clone the log handle"))
            .stderr(log);
        // The registry reads REGISTRY_* variables as config overrides: keep the caller's out.
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("REGISTRY_") {
                command.env_remove(key);
            }
        }
        let child = command
            .spawn()
            .unwrap_or_else(|err| panic!("cannot run {}: {err}", binary.display()));
        let mut registry = Self {
            child: Some(child),
            addr: String::new(),
            dir: Some(dir),
            credentials,
            auth_kind,
            ca_pem: tls.map(|(cert, _)| cert),
        };
        registry.addr = registry.wait_for_address(Duration::from_secs(20));
        registry.wait_until_serving(Duration::from_secs(20));
        registry
    }

    /// `127.0.0.1:PORT`, the registry part of an image reference.
    pub fn addr(&self) -> &str {
        &self.addr
    }

    /// `http://127.0.0.1:PORT`, or `https://…` when started with TLS.
    pub fn url(&self) -> String {
        let scheme = if self.ca_pem.is_some() {
            "https"
        } else {
            "http"
        };
        format!("{scheme}://{}", self.addr)
    }

    /// `127.0.0.1:PORT/REPO:TAG` (or `…/REPO@DIGEST` when `reference` starts with `sha256:`).
    pub fn reference(&self, repo: &str, reference: &str) -> String {
        let sep = if reference.contains(':') { '@' } else { ':' };
        format!("{}/{repo}{sep}{reference}", self.addr)
    }

    /// The user and password that can push: the htpasswd user, or the token issuer's first user.
    pub fn credentials(&self) -> Option<(&str, &str)> {
        self.credentials
            .as_ref()
            .map(|(u, p)| (u.as_str(), p.as_str()))
    }

    /// `"none"`, `"htpasswd"` or `"token"`.
    pub fn auth_kind(&self) -> &'static str {
        self.auth_kind
    }

    /// The process id of the registry.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().map_or(0, Child::id)
    }

    /// The registry's temporary directory (config, storage, log).
    pub fn dir(&self) -> &Path {
        self.dir.as_ref().expect("registry directory").path()
    }

    /// Where the registry keeps its blobs and manifests.
    pub fn storage_dir(&self) -> PathBuf {
        self.dir().join("storage")
    }

    /// The registry's log file.
    pub fn log_path(&self) -> PathBuf {
        self.dir().join("registry.log")
    }

    /// The last 100 lines of the registry's log, to print when a test fails.
    pub fn logs(&self) -> String {
        tail(&self.log_path(), 100)
    }

    fn wait_for_address(&mut self, timeout: Duration) -> String {
        // distribution logs `msg="listening on 127.0.0.1:PORT"` once the socket is bound.
        let deadline = Instant::now() + timeout;
        loop {
            let log = fs::read_to_string(self.log_path()).unwrap_or_default();
            if let Some(addr) = log.lines().find_map(parse_listening) {
                return addr;
            }
            self.fail_if_exited();
            if Instant::now() > deadline {
                panic!(
                    "docker-registry did not log `listening on` within {timeout:?}; log:\n{}",
                    self.logs()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn wait_until_serving(&mut self, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        loop {
            match probe_status(&self.addr) {
                Some(200 | 401) => return,
                // Plain HTTP to the HTTPS port: distribution answers 400, so it is serving.
                Some(400) if self.ca_pem.is_some() => return,
                _ if Instant::now() > deadline => panic!(
                    "docker-registry at {} did not answer GET /v2/ within {timeout:?}; log:\n{}",
                    self.addr,
                    self.logs()
                ),
                _ => {}
            }
            self.fail_if_exited();
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn fail_if_exited(&mut self) {
        if let Some(child) = self.child.as_mut()
            && let Ok(Some(status)) = child.try_wait()
        {
            panic!(
                "docker-registry exited early ({status}); log:\n{}",
                self.logs()
            );
        }
    }
}

impl Drop for TestRegistry {
    fn drop(&mut self) {
        if std::thread::panicking() && self.dir.is_some() {
            eprintln!(
                "--- docker-registry {} log (tail) ---\n{}",
                self.addr,
                self.logs()
            );
        }
        if let Some(mut child) = self.child.take() {
            stop(&mut child, Duration::from_secs(5));
        }
        if let Some(dir) = self.dir.take() {
            let _ = dir.close();
        }
    }
}

/// SIGTERM, wait up to `grace`, then SIGKILL; always reaps the child.
pub(crate) fn stop(child: &mut Child, grace: Duration) {
    if let Ok(Some(_)) = child.try_wait() {
        return;
    }
    if let Some(pid) = rustix::process::Pid::from_raw(child.id().cast_signed()) {
        let _ = rustix::process::kill_process(pid, rustix::process::Signal::TERM);
    }
    let deadline = Instant::now() + grace;
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let _ = child.kill();
    let _ = child.wait();
}

fn registry_binary() -> PathBuf {
    if let Some(path) = std::env::var_os(REGISTRY_BIN_ENV) {
        return PathBuf::from(path);
    }
    crate::tools::find_on_path("docker-registry").unwrap_or_else(|| {
        panic!(
            "`docker-registry` (distribution 2.8) is not installed, so the registry tests cannot \
             run. Run the test setup in README.md (on Debian: `apt-get install docker-registry \
             skopeo umoci`), or point {REGISTRY_BIN_ENV} at a registry binary."
        )
    })
}

fn parse_listening(line: &str) -> Option<String> {
    let rest = &line[line.find("listening on ")? + "listening on ".len()..];
    let addr: String = rest
        .chars()
        .take_while(|c| !c.is_whitespace() && *c != '"' && *c != ',')
        .collect();
    // `[::]:5000` would mean the config was ignored; only loopback is acceptable.
    addr.starts_with("127.").then_some(addr)
}

/// `GET /v2/` over a raw socket: the status code, if the registry answered at all.
fn probe_status(addr: &str) -> Option<u16> {
    let mut stream = TcpStream::connect(addr).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    write!(
        stream,
        "GET /v2/ HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).ok()?;
    std::str::from_utf8(&head[9..12]).ok()?.parse().ok()
}

fn tail(path: &Path, lines: usize) -> String {
    let text = fs::read_to_string(path).unwrap_or_else(|err| format!("(no log: {err})"));
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

fn yaml_str(path: &Path) -> String {
    serde_json::to_string(&path.to_string_lossy()).expect("quote a path for YAML")
}

#[cfg(test)]
mod tests {
    use super::parse_listening;

    #[test]
    fn finds_the_port_in_the_listening_line() {
        let line = r#"time="2026-01-01T00:00:00Z" level=info msg="listening on 127.0.0.1:36911" go.version=go1.19.8"#;
        assert_eq!(parse_listening(line).as_deref(), Some("127.0.0.1:36911"));
        assert_eq!(
            parse_listening("level=info msg=\"redis not configured\""),
            None
        );
    }
}
