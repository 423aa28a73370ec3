//! `tauri-driver` as a child process, and WebDriver sessions on the app through it.

use std::ffi::OsString;
use std::fs::File;
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::json;

use crate::Prerequisites;

/// How long tauri-driver may take to listen, and to exit after SIGTERM.
const STARTUP: Duration = Duration::from_secs(15);
const SHUTDOWN: Duration = Duration::from_secs(15);

/// A running `tauri-driver` on free local ports. Dropping it stops it with SIGTERM and
/// waits: SIGKILL would orphan WebKitWebDriver (and the app), which keep the test's output
/// open and hang the run.
pub struct Driver {
    child: Option<Child>,
    port: u16,
    app: PathBuf,
    log: PathBuf,
}

impl Driver {
    /// Starts tauri-driver with `env` added to its environment (the app it launches
    /// inherits it). Its output goes to `log`, a file, never a pipe.
    pub fn start(
        prerequisites: &Prerequisites,
        env: &[(String, OsString)],
        log: &Path,
    ) -> std::io::Result<Driver> {
        let port = free_port()?;
        let native_port = free_port()?;
        if let Some(dir) = log.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let out = File::create(log)?;
        let err = out.try_clone()?;
        let mut command = Command::new(&prerequisites.tauri_driver);
        command
            .arg("--port")
            .arg(port.to_string())
            .arg("--native-port")
            .arg(native_port.to_string())
            .arg("--native-driver")
            .arg(&prerequisites.native_driver)
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err);
        for (key, value) in env {
            command.env(key, value);
        }
        let child = command.spawn()?;
        let driver = Driver {
            child: Some(child),
            port,
            app: prerequisites.app.clone(),
            log: log.to_path_buf(),
        };
        // tauri-driver starts WebKitWebDriver beside itself and forwards the session request
        // to it at once: on a busy machine that one may not listen yet, and the session
        // fails with a connection error. Both must listen before a session is asked for.
        driver.wait_listening(port, "tauri-driver")?;
        driver.wait_listening(native_port, "WebKitWebDriver")?;
        Ok(driver)
    }

    fn wait_listening(&self, port: u16, what: &str) -> std::io::Result<()> {
        let address = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        let deadline = Instant::now() + STARTUP;
        loop {
            if TcpStream::connect_timeout(&address, Duration::from_millis(200)).is_ok() {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    format!(
                        "{what} did not listen on {address} within {STARTUP:?}; see {}",
                        self.log.display()
                    ),
                ));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Launches the app and opens a WebDriver session on its window.
    pub async fn session(&self) -> Result<Session, String> {
        let capabilities = json!({
            "browserName": "wry",
            "tauri:options": { "application": self.app },
        });
        let serde_json::Value::Object(capabilities) = capabilities else {
            unreachable!("a JSON object literal")
        };
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities)
            .connect(&format!("http://127.0.0.1:{}", self.port))
            .await
            .map_err(|error| {
                format!(
                    "could not start the app through tauri-driver: {error}; see {}",
                    self.log.display()
                )
            })?;
        Ok(Session {
            client: Some(client),
        })
    }

    /// Where tauri-driver (and so WebKitWebDriver and the app) writes its output.
    pub fn log(&self) -> &Path {
        &self.log
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        if let Err(error) = rustix::process::kill_process(
            rustix::process::Pid::from_child(&child),
            rustix::process::Signal::TERM,
        ) {
            eprintln!("e2e: could not send SIGTERM to tauri-driver: {error}");
        }
        let deadline = Instant::now() + SHUTDOWN;
        loop {
            match child.try_wait() {
                Ok(Some(_)) => return,
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(50));
                }
                Ok(None) => {
                    eprintln!(
                        "e2e: tauri-driver (pid {}) still runs {SHUTDOWN:?} after SIGTERM; leaving it",
                        child.id()
                    );
                    return;
                }
                Err(error) => {
                    eprintln!("e2e: could not wait for tauri-driver: {error}");
                    return;
                }
            }
        }
    }
}

/// A WebDriver session on the app. Call [`Session::close`] when done: it quits the app.
pub struct Session {
    client: Option<Client>,
}

impl Session {
    pub fn client(&self) -> &Client {
        self.client.as_ref().expect("the session is open")
    }

    /// Ends the session, which closes the app.
    pub async fn close(mut self) {
        if let Some(client) = self.client.take()
            && let Err(error) = client.close().await
        {
            eprintln!("e2e: closing the WebDriver session failed: {error}");
        }
    }
}

fn free_port() -> std::io::Result<u16> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
    Ok(listener.local_addr()?.port())
}
