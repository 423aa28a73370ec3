//! Docker credential helpers: `docker-credential-<name> get|store|erase`.
//!
//! The protocol (github.com/docker/docker-credential-helpers): the action is the only
//! argument; `get` and `erase` read the server URL on stdin, `store` reads
//! `{"ServerURL","Username","Secret"}`; `get` prints the same JSON. On failure a helper
//! exits non-zero and prints the error (usually on stdout); "credentials not found in
//! native keychain" means there is nothing for that server.

use std::ffi::OsString;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::{CredentialError, Credentials, Secret};

/// What helpers print when they have nothing for a server.
const NOT_FOUND_MESSAGE: &str = "credentials not found";
/// Helper output beyond this is read and dropped.
const OUTPUT_CAP: u64 = 1 << 20;
/// Longest helper error message passed on.
const MESSAGE_CAP: usize = 400;

/// The executable for helper `name`.
pub(super) fn program_name(name: &str) -> String {
    format!("docker-credential-{name}")
}

/// Runs helpers, searching `extra_dirs` before `PATH`.
pub(super) struct Runner<'a> {
    pub(super) extra_dirs: &'a [PathBuf],
    pub(super) timeout: Duration,
}

#[derive(Serialize)]
struct StorePayload<'a> {
    #[serde(rename = "ServerURL")]
    server_url: &'a str,
    #[serde(rename = "Username")]
    username: &'a str,
    #[serde(rename = "Secret")]
    secret: &'a str,
}

#[derive(Deserialize)]
struct GetReply {
    #[serde(rename = "Username", default)]
    username: Option<String>,
    #[serde(rename = "Secret", default)]
    secret: Option<String>,
}

impl Runner<'_> {
    /// `get`: `Ok(None)` when the helper has nothing for `server_url`.
    pub(super) fn get(
        &self,
        name: &str,
        server_url: &str,
    ) -> Result<Option<Credentials>, CredentialError> {
        let Some(stdout) = self.run(name, "get", server_url.as_bytes(), None)? else {
            return Ok(None);
        };
        let text = String::from_utf8_lossy(&stdout);
        let text = text.trim();
        if text.is_empty() {
            return Ok(None);
        }
        // Not passing serde's message on: it can quote the value it choked on.
        let reply: GetReply =
            serde_json::from_str(text).map_err(|_| CredentialError::HelperFailed {
                helper: program_name(name),
                message: "`get` printed something that is not the expected JSON \
                          ({\"ServerURL\",\"Username\",\"Secret\"})"
                    .into(),
            })?;
        let secret = reply.secret.unwrap_or_default();
        if secret.is_empty() {
            return Ok(None);
        }
        Ok(Some(Credentials {
            username: reply.username.unwrap_or_default(),
            secret: Secret::from(secret),
        }))
    }

    /// `store`.
    pub(super) fn store(
        &self,
        name: &str,
        server_url: &str,
        creds: &Credentials,
    ) -> Result<(), CredentialError> {
        let payload = serde_json::to_vec(&StorePayload {
            server_url,
            username: &creds.username,
            secret: creds.secret.expose(),
        })
        .map_err(|e| CredentialError::HelperFailed {
            helper: program_name(name),
            message: format!("could not encode the request: {e}"),
        })?;
        match self.run(name, "store", &payload, Some(creds.secret.expose()))? {
            Some(_) => Ok(()),
            // A helper that cannot store should not say "not found"; if one does, it
            // did not store anything.
            None => Err(CredentialError::HelperFailed {
                helper: program_name(name),
                message: "`store` answered \"credentials not found\"".into(),
            }),
        }
    }

    /// `erase`: `Ok(false)` when the helper says it had nothing for `server_url`.
    pub(super) fn erase(&self, name: &str, server_url: &str) -> Result<bool, CredentialError> {
        Ok(self
            .run(name, "erase", server_url.as_bytes(), None)?
            .is_some())
    }

    /// Runs `docker-credential-<name> <action>` with `input` on stdin. `Ok(Some(stdout))`
    /// on success, `Ok(None)` when it failed saying "credentials not found".
    fn run(
        &self,
        name: &str,
        action: &str,
        input: &[u8],
        secret: Option<&str>,
    ) -> Result<Option<Vec<u8>>, CredentialError> {
        let program = program_name(name);
        let failed = |message: String| CredentialError::HelperFailed {
            helper: program.clone(),
            message,
        };
        let (exe, child_path) =
            self.resolve(&program)
                .ok_or_else(|| CredentialError::HelperNotFound {
                    helper: program.clone(),
                })?;

        let mut command = Command::new(&exe);
        command
            .arg(action)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if let Some(path) = child_path {
            command.env("PATH", path);
        }
        let mut child = spawn(&mut command).map_err(|e| match e.kind() {
            io::ErrorKind::NotFound => CredentialError::HelperNotFound {
                helper: program.clone(),
            },
            _ => failed(format!("could not run {}: {e}", exe.display())),
        })?;

        if let Some(mut stdin) = child.stdin.take() {
            // The input is a few hundred bytes: it fits in the pipe even if the helper
            // never reads it. A helper that exits without reading gives a broken pipe,
            // which its exit status explains better.
            let _ = stdin.write_all(input);
        }
        let stdout = child
            .stdout
            .take()
            .map(|s| thread::spawn(move || read_capped(s)));
        let stderr = child
            .stderr
            .take()
            .map(|s| thread::spawn(move || read_capped(s)));

        let status = match wait_timeout(&mut child, self.timeout) {
            Ok(Some(status)) => status,
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(CredentialError::HelperTimedOut {
                    helper: program,
                    seconds: self.timeout.as_secs_f64(),
                });
            }
            Err(e) => return Err(failed(format!("could not wait for it: {e}"))),
        };
        let join = |h: Option<thread::JoinHandle<Vec<u8>>>| {
            h.and_then(|h| h.join().ok()).unwrap_or_default()
        };
        let (stdout, stderr) = (join(stdout), join(stderr));

        if status.success() {
            return Ok(Some(stdout));
        }
        let message = describe_failure(&stdout, &stderr, secret);
        if message.to_ascii_lowercase().contains(NOT_FOUND_MESSAGE) {
            return Ok(None);
        }
        Err(failed(if message.is_empty() {
            format!("`{action}` failed ({status}) without saying why")
        } else {
            format!("`{action}` failed ({status}): {message}")
        }))
    }

    /// Finds the helper in the extra directories, then in `PATH`; also returns the `PATH`
    /// to give the helper when extra directories are set (so a helper that runs its
    /// siblings finds them too).
    fn resolve(&self, program: &str) -> Option<(PathBuf, Option<OsString>)> {
        let system: Vec<PathBuf> = std::env::var_os("PATH")
            .map(|p| std::env::split_paths(&p).collect())
            .unwrap_or_default();
        // Relative PATH entries are skipped, as Go's exec.LookPath (Docker) does.
        let exe = self
            .extra_dirs
            .iter()
            .chain(system.iter().filter(|d| d.is_absolute()))
            .find_map(|dir| {
                candidates(dir, program)
                    .into_iter()
                    .find(|c| is_executable(c))
            })?;
        let child_path = if self.extra_dirs.is_empty() {
            None
        } else {
            std::env::join_paths(self.extra_dirs.iter().chain(system.iter())).ok()
        };
        Some((exe, child_path))
    }
}

#[cfg(windows)]
fn candidates(dir: &Path, program: &str) -> Vec<PathBuf> {
    let exts = std::env::var("PATHEXT").unwrap_or_else(|_| ".COM;.EXE;.BAT;.CMD".into());
    exts.split(';')
        .filter(|e| !e.is_empty())
        .map(|ext| dir.join(format!("{program}{ext}")))
        .collect()
}

#[cfg(not(windows))]
fn candidates(dir: &Path, program: &str) -> Vec<PathBuf> {
    vec![dir.join(program)]
}

#[cfg(unix)]
fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(path: &Path) -> bool {
    path.is_file()
}

/// Spawns, retrying briefly on ETXTBSY: a helper written moments ago (an installer, a
/// test) can be "busy" while another thread's fork still holds its write handle.
fn spawn(command: &mut Command) -> io::Result<Child> {
    let mut attempt = 0;
    loop {
        match command.spawn() {
            Err(e) if e.kind() == io::ErrorKind::ExecutableFileBusy && attempt < 10 => {
                attempt += 1;
                thread::sleep(Duration::from_millis(10 * attempt));
            }
            result => return result,
        }
    }
}

fn wait_timeout(child: &mut Child, timeout: Duration) -> io::Result<Option<ExitStatus>> {
    let start = Instant::now();
    let mut delay = Duration::from_millis(1);
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(Some(status));
        }
        let elapsed = start.elapsed();
        if elapsed >= timeout {
            return Ok(None);
        }
        thread::sleep(delay.min(timeout - elapsed));
        delay = (delay * 2).min(Duration::from_millis(50));
    }
}

fn read_capped(mut reader: impl Read) -> Vec<u8> {
    let mut buf = Vec::new();
    let _ = (&mut reader).take(OUTPUT_CAP).read_to_end(&mut buf);
    // Drain the rest so the helper never blocks on a full pipe.
    let _ = io::copy(&mut reader, &mut io::sink());
    buf
}

/// The helper's own words (stdout, where helpers print errors, then stderr), trimmed,
/// shortened, and with the secret it was given blanked out should it echo it.
fn describe_failure(stdout: &[u8], stderr: &[u8], secret: Option<&str>) -> String {
    let parts: Vec<String> = [stdout, stderr]
        .iter()
        .map(|b| String::from_utf8_lossy(b).trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect();
    let mut message = parts.join("; ");
    if let Some(secret) = secret.filter(|s| !s.is_empty()) {
        message = message.replace(secret, "<redacted>");
        // Also as it appears inside the JSON request, should the helper quote that.
        if let Ok(quoted) = serde_json::to_string(secret) {
            message = message.replace(&quoted[1..quoted.len() - 1], "<redacted>");
        }
    }
    let message = message.split_whitespace().collect::<Vec<_>>().join(" ");
    if message.chars().count() > MESSAGE_CAP {
        let mut short: String = message.chars().take(MESSAGE_CAP).collect();
        short.push('…');
        short
    } else {
        message
    }
}
