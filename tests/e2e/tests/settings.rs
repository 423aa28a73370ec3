//! Settings in the real built app: the theme (forced dark over a light system, then back to
//! the system's), where the image store is, and signing in to a real registry with htpasswd
//! Basic auth on 127.0.0.1 (a wrong password, then the right one saved to the test's own
//! `DOCKER_CONFIG`, then signing out).

use std::time::Duration;

use fantoccini::Client;
use porthole_e2e::app::{Outcome, click, find, screenshot, script, text_of, with_app};
use porthole_e2e::{Fixture, ensure_eq};
use porthole_engine::registry::credentials::CredentialStore;
use porthole_tests::{RegistryAuth, TestRegistry};
use serde_json::{Value, json};

const LIGHT_BG: &str = "rgb(244, 245, 247)";
const DARK_BG: &str = "rgb(23, 25, 30)";

async fn page_background(client: &Client) -> Result<String, String> {
    let value = script(
        client,
        "return getComputedStyle(document.documentElement).backgroundColor;",
    )
    .await?;
    Ok(value.as_str().unwrap_or_default().to_owned())
}

async fn data_theme(client: &Client) -> Result<Value, String> {
    script(
        client,
        "return document.documentElement.getAttribute('data-theme');",
    )
    .await
}

/// Polls `check` for up to five seconds.
async fn eventually<F>(what: &str, mut check: F) -> Outcome
where
    F: AsyncFnMut() -> Result<bool, String>,
{
    for _ in 0..50 {
        if check().await? {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err(format!("{what} did not happen within 5 s"))
}

#[tokio::test]
async fn the_theme_is_chosen_in_settings_applied_at_once_and_remembered() {
    let fixture = Fixture::empty();
    fixture.write_config(&json!({}));
    let preferences = fixture.path().join("data");
    with_app(
        "the_theme_is_chosen_in_settings_applied_at_once_and_remembered",
        &fixture,
        &[],
        async |client| {
            ensure_eq!(
                page_background(client).await?,
                LIGHT_BG.to_owned(),
                "the light system's background"
            );
            click(client, "[data-testid=nav-settings]").await?;
            // Where the images are: the fixture's $PORTHOLE_STORE, which wins over the setting.
            let now = text_of(client, "[data-testid=settings-store-now]").await?;
            let store = fixture.store_root().display().to_string();
            if !now.contains(&store) || !now.contains("$PORTHOLE_STORE") {
                return Err(format!("the store location reads {now:?}"));
            }
            ensure_eq!(
                script(client, "return document.querySelector('[data-testid=settings-theme-system]').checked;").await?,
                Value::from(true),
                "System chosen at first"
            );

            click(client, "[data-testid=settings-theme-dark]").await?;
            ensure_eq!(data_theme(client).await?, Value::from("dark"), "data-theme");
            ensure_eq!(
                page_background(client).await?,
                DARK_BG.to_owned(),
                "the dark theme's background"
            );
            let surface = script(
                client,
                "return getComputedStyle(document.querySelector('[data-testid=settings-form]')).backgroundColor;",
            )
            .await?;
            ensure_eq!(surface, Value::from("rgb(31, 34, 40)"), "a card's dark surface");
            screenshot(client, "settings-dark.png").await?;

            // Remembered in the app's preference file (not the CLI's config file).
            eventually("the preference file holding the theme", async || {
                let saved = find_file(&preferences, "preferences.json")
                    .and_then(|p| std::fs::read_to_string(p).ok())
                    .and_then(|text| serde_json::from_str::<Value>(&text).ok());
                Ok(saved.is_some_and(|v| v["theme"] == "dark"))
            })
            .await?;
            let config = std::fs::read_to_string(fixture.config_file()).unwrap_or_default();
            if config.contains("theme") {
                return Err(format!("the config file got the theme: {config}"));
            }

            click(client, "[data-testid=settings-theme-system]").await?;
            ensure_eq!(data_theme(client).await?, Value::Null, "data-theme after System");
            ensure_eq!(
                page_background(client).await?,
                LIGHT_BG.to_owned(),
                "the light system's background again"
            );
            Ok(())
        },
    )
    .await;
}

/// `name` somewhere under `dir`.
fn find_file(dir: &std::path::Path, name: &str) -> Option<std::path::PathBuf> {
    for entry in std::fs::read_dir(dir).ok()?.flatten() {
        let path = entry.path();
        if path.is_dir() {
            if let Some(found) = find_file(&path, name) {
                return Some(found);
            }
        } else if path.file_name().is_some_and(|n| n == name) {
            return Some(path);
        }
    }
    None
}

#[tokio::test]
async fn signing_in_to_a_registry_checks_the_password_then_saves_it_like_docker_login() {
    let (user, password) = ("alice", "right-horse-battery");
    let registry = TestRegistry::start(RegistryAuth::Htpasswd { user, password });
    let host = registry.addr().to_owned();
    let fixture = Fixture::empty();
    fixture.write_config(&json!({ "registries": [{ "host": host, "insecure": true }] }));
    let docker = fixture.path().join("docker");
    std::fs::create_dir_all(&docker).expect("docker config dir");
    let docker_config = docker.join("config.json");
    let docker_env = docker.display().to_string();
    with_app(
        "signing_in_to_a_registry_checks_the_password_then_saves_it_like_docker_login",
        &fixture,
        &[("DOCKER_CONFIG", docker_env.as_str())],
        async |client| {
            click(client, "[data-testid=nav-settings]").await?;
            let row = format!("[data-testid=sign-in-row][data-registry='{host}']");
            let hub = "[data-testid=sign-in-row][data-registry='docker.io']";
            eventually("the sign-in rows reading their status", async || {
                let rows = script(
                    client,
                    "return [...document.querySelectorAll('[data-testid=sign-in-row]')].map(r => r.dataset.registry + ': ' + r.textContent.replace(/\\s+/g, ' ').trim());",
                )
                .await?;
                let rows: Vec<String> = rows
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|r| r.as_str().unwrap_or_default().to_owned())
                    .collect();
                Ok(rows.len() == 2
                    && rows[0].starts_with("docker.io: Docker Hub Not signed in")
                    && rows[1].starts_with(&format!("{host}: {host} Not signed in")))
            })
            .await?;
            find(client, hub).await?;

            click(client, &format!("{row} [data-testid=sign-in]")).await?;
            let field_type = script(
                client,
                "return document.querySelector('[data-testid=sign-in-password]').type;",
            )
            .await?;
            ensure_eq!(field_type, Value::from("password"), "the password field's type");
            find(client, "[data-testid=sign-in-username]")
                .await?
                .send_keys(user)
                .await
                .map_err(|e| e.to_string())?;
            find(client, "[data-testid=sign-in-password]")
                .await?
                .send_keys("wrong-password")
                .await
                .map_err(|e| e.to_string())?;
            click(client, "[data-testid=sign-in-submit]").await?;
            let error = text_of(client, "[data-testid=sign-in-error]").await?;
            if !error.starts_with(&format!("{host} refused the credentials for {user}")) {
                return Err(format!("the refusal reads {error:?}"));
            }
            ensure_eq!(
                script(client, "return document.querySelector('[data-testid=sign-in-password]').value;").await?,
                Value::from(""),
                "the password field after the refusal"
            );
            if docker_config.exists() {
                return Err("refused credentials were saved".into());
            }
            screenshot(client, "settings-sign-in.png").await?;

            find(client, "[data-testid=sign-in-password]")
                .await?
                .send_keys(password)
                .await
                .map_err(|e| e.to_string())?;
            click(client, "[data-testid=sign-in-submit]").await?;
            eventually("the row saying who is signed in", async || {
                let text = text_of(client, &row).await?;
                Ok(text.contains(&format!("Signed in as {user}")))
            })
            .await?;
            let note = text_of(client, "[data-testid=sign-in-note]").await?;
            if !note.contains(&docker_config.display().to_string()) || !note.contains("not encrypted") {
                return Err(format!("the note after signing in reads {note:?}"));
            }
            // Saved as `docker login` saves it: what a pull will read back.
            let saved = CredentialStore::new(docker.clone(), Vec::new())
                .get(&host, None)
                .map_err(|e| e.to_string())?
                .ok_or("nothing saved in DOCKER_CONFIG/config.json")?;
            ensure_eq!(saved.username.as_str(), user, "the saved user");
            ensure_eq!(saved.secret.expose(), password, "the saved password");
            let text = std::fs::read_to_string(&docker_config).map_err(|e| e.to_string())?;
            if !text.contains(&format!("\"{host}\"")) {
                return Err(format!("config.json has no entry for {host}: {text}"));
            }
            // The secret is nowhere in the page, nor in the app's preference file.
            let page = script(client, "return document.documentElement.outerHTML;").await?;
            if page.as_str().unwrap_or_default().contains(password) {
                return Err("the password is in the page".into());
            }
            screenshot(client, "settings-signed-in.png").await?;

            click(client, &format!("{row} [data-testid=sign-out]")).await?;
            eventually("the row saying nobody is signed in", async || {
                Ok(text_of(client, &row).await?.contains("Not signed in"))
            })
            .await?;
            let after: Value = serde_json::from_str(
                &std::fs::read_to_string(&docker_config).map_err(|e| e.to_string())?,
            )
            .map_err(|e| e.to_string())?;
            if after["auths"].get(&host).is_some() {
                return Err(format!("signing out left {after}"));
            }
            Ok(())
        },
    )
    .await;
}

#[tokio::test]
async fn a_remembered_theme_is_applied_at_start() {
    let fixture = Fixture::empty();
    fixture.write_config(&json!({}));
    // Where tauri-plugin-store keeps the app's preferences: its AppData directory.
    let app_data = fixture.path().join("data").join("dev.porthole.app");
    std::fs::create_dir_all(&app_data).expect("app data dir");
    std::fs::write(app_data.join("preferences.json"), r#"{"theme":"dark"}"#).expect("preferences");
    with_app(
        "a_remembered_theme_is_applied_at_start",
        &fixture,
        &[],
        async |client| {
            find(client, "[data-testid=nav-settings]").await?;
            ensure_eq!(data_theme(client).await?, Value::from("dark"), "data-theme");
            ensure_eq!(
                page_background(client).await?,
                DARK_BG.to_owned(),
                "the remembered dark theme's background"
            );
            Ok(())
        },
    )
    .await;
}
