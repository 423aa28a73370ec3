//! Push from the real, built app to a real registry on loopback: an image's details page →
//! Push… → a destination on that registry → every blob pushed → the reference and digest
//! shown; the registry then serves that manifest (read back with skopeo). A second push to
//! another tag of the repository (dark theme) finds every blob already there. A registry that
//! wants credentials: the push fails with what to do, Sign in… signs in from the dialog (saved
//! as docker login saves it), and Retry pushes.

use std::time::Duration;

use fantoccini::Client;
use porthole_e2e::app::{Outcome, click, find, screenshot, text_of, texts, until_eq, with_app};
use porthole_e2e::{Fixture, ensure_eq};
use porthole_engine::Digest;
use porthole_engine::store::ImageSummary;
use porthole_tests::registry::{RegistryAuth, TestRegistry};
use porthole_tests::tools::skopeo_inspect_raw;
use serde_json::{Value, json};

const SOURCE: &str = "docker.io/library/e2e-push:1.0";

/// Opens the image's details, opens Push…, types `destination` and waits for it to be read
/// back normalised as `normalised`; then pushes and waits for the answer.
async fn push_from_details(
    client: &Client,
    destination: &str,
    normalised: &str,
    shot: Option<&str>,
) -> Outcome {
    click(client, "[data-testid=image-row] [data-testid=image-open]").await?;
    ensure_eq!(
        text_of(client, "[data-testid=details-reference]").await?,
        SOURCE.to_owned(),
        "the details page"
    );
    click(client, "[data-testid=details-push]").await?;
    find(client, "[data-testid=push-dialog]").await?;
    // The image's own reference to begin with.
    until_eq("the destination read back", SOURCE.to_owned(), async || {
        text_of(client, "[data-testid=push-target-reference]").await
    })
    .await?;
    let field = find(client, "[data-testid=push-destination]").await?;
    field
        .clear()
        .await
        .map_err(|e| format!("clearing the destination: {e}"))?;
    field
        .send_keys(destination)
        .await
        .map_err(|e| format!("typing the destination: {e}"))?;
    until_eq(
        "the destination read back",
        normalised.to_owned(),
        async || {
            Ok(texts(client, "[data-testid=push-target-reference]")
                .await?
                .concat())
        },
    )
    .await?;
    if let Some(name) = shot {
        screenshot(client, name).await?;
    }
    click(client, "[data-testid=push-submit]").await?;
    until_eq("the push's end", "done".to_owned(), async || {
        let status = find(client, "[data-testid=push-dialog]")
            .await?
            .attr("data-status")
            .await
            .map_err(|e| e.to_string())?
            .unwrap_or_default();
        if status == "failed" {
            return Err(format!(
                "the push failed: {}",
                text_of(client, "[data-testid=push-error-message]").await?
            ));
        }
        Ok(status)
    })
    .await
}

/// The manifest the registry serves for `reference`, and its digest.
fn served(reference: &str) -> (Vec<u8>, Digest) {
    served_to(reference, None)
}

fn served_to(reference: &str, creds: Option<(&str, &str)>) -> (Vec<u8>, Digest) {
    let raw = skopeo_inspect_raw(reference, creds);
    let digest = Digest::of(&raw);
    (raw, digest)
}

async fn start_registry() -> TestRegistry {
    tokio::task::spawn_blocking(|| TestRegistry::start(RegistryAuth::None))
        .await
        .expect("start the registry")
}

fn fixture_image(fixture: &Fixture) -> ImageSummary {
    // Two megabytes of layer: enough for the upload to report bytes on its way.
    fixture.add_image(SOURCE, "1.0", 2_000_000, Duration::from_secs(86_400))
}

/// What the window's `resolve_reference` answers for `reference` (what Search asks when a
/// full reference is typed): `{ok: ResolvedAnswer}` or `{error: IpcError}`.
async fn resolve(client: &Client, reference: &str) -> Result<Value, String> {
    client
        .execute_async(
            "const [reference, done] = arguments;
             window.__TAURI_INTERNALS__.invoke('resolve_reference', { reference })
               .then((ok) => done({ ok }), (error) => done({ error }));",
            vec![Value::from(reference)],
        )
        .await
        .map_err(|error| format!("calling resolve_reference: {error}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_image_is_pushed_from_its_details_page_to_a_registry() {
    let registry = start_registry().await;
    let fixture = Fixture::empty();
    let image = fixture_image(&fixture);
    let destination = format!("{}/e2e/pushed:1", registry.addr());
    let manifest = fixture
        .store()
        .read_blob(&image.digest, 1 << 20)
        .expect("the stored manifest");
    with_app(
        "an_image_is_pushed_from_its_details_page_to_a_registry",
        &fixture,
        &[("GTK_THEME", "Adwaita")],
        async |client| {
            push_from_details(client, &destination, &destination, None).await?;
            screenshot(client, "push-done.png").await?;
            ensure_eq!(
                text_of(client, "[data-testid=push-result-reference]").await?,
                destination.clone(),
                "the pushed reference"
            );
            ensure_eq!(
                text_of(client, "[data-testid=push-result-digest]").await?,
                image.digest.to_string(),
                "the pushed digest"
            );
            // The config and the one layer, both uploaded.
            ensure_eq!(
                texts(client, "[data-testid=push-blob-text]").await?,
                vec!["Pushed".to_owned(), "Pushed".to_owned()],
                "the blobs"
            );
            ensure_eq!(
                text_of(client, "[data-testid=push-status]").await?,
                "Pushed".to_owned(),
                "the status"
            );
            Ok(())
        },
    )
    .await;
    // The registry has the manifest, byte for byte, under the tag.
    let (raw, digest) = tokio::task::spawn_blocking({
        let destination = destination.clone();
        move || served(&destination)
    })
    .await
    .expect("skopeo");
    assert_eq!(digest, image.digest, "the registry's manifest digest");
    assert_eq!(raw, manifest, "the registry's manifest bytes");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_push_in_dark_finds_every_blob_already_there() {
    let registry = start_registry().await;
    let fixture = Fixture::empty();
    let image = fixture_image(&fixture);
    let first = format!("{}/e2e/pushed:1", registry.addr());
    let second = format!("{}/e2e/pushed:2", registry.addr());
    with_app(
        "a_second_push_in_dark_finds_every_blob_already_there",
        &fixture,
        &[("GTK_THEME", "Adwaita:dark")],
        async |client| {
            push_from_details(client, &first, &first, None).await?;
            click(client, "[data-testid=push-close]").await?;
            // Back to the Images page, and Push… again: the same repository, another tag.
            click(client, "[data-testid=details-back]").await?;
            push_from_details(client, &second, &second, Some("push-destination-dark.png")).await?;
            ensure_eq!(
                texts(client, "[data-testid=push-blob-text]").await?,
                vec!["Already exists".to_owned(), "Already exists".to_owned()],
                "the blobs"
            );
            let summary = text_of(client, "[data-testid=push-result]").await?;
            if !summary.contains("2 already there") {
                return Err(format!("the result says {summary:?}"));
            }
            screenshot(client, "push-done-dark.png").await?;
            Ok(())
        },
    )
    .await;
    let (_, digest) = tokio::task::spawn_blocking(move || served(&second))
        .await
        .expect("skopeo");
    assert_eq!(digest, image.digest, "the registry's manifest digest");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_registry_that_wants_credentials_is_signed_in_to_from_the_dialog() {
    let (user, password) = ("pusher", "correct-horse-battery");
    let registry = tokio::task::spawn_blocking(move || {
        TestRegistry::start(RegistryAuth::Htpasswd { user, password })
    })
    .await
    .expect("start the registry");
    let host = registry.addr().to_owned();
    let fixture = Fixture::empty();
    fixture.write_config(&json!({ "registries": [{ "host": host, "insecure": true }] }));
    let image = fixture_image(&fixture);
    // Docker's config of this run only: where the sign-in is saved.
    let docker = fixture.path().join("docker");
    std::fs::create_dir_all(&docker).expect("docker config dir");
    let docker_env = docker.display().to_string();
    let destination = format!("{host}/e2e/pushed:1");
    with_app(
        "a_registry_that_wants_credentials_is_signed_in_to_from_the_dialog",
        &fixture,
        &[
            ("GTK_THEME", "Adwaita"),
            ("DOCKER_CONFIG", docker_env.as_str()),
        ],
        async |client| {
            // The window's registry client asks this registry first, anonymously, and is
            // refused (it then remembers that it has no credentials for it).
            let before = resolve(client, &destination).await?;
            ensure_eq!(
                before["error"]["code"].clone(),
                json!("auth"),
                "resolving before signing in"
            );
            let failed = push_from_details(client, &destination, &destination, None).await;
            match failed {
                Err(why) if why.starts_with("the push failed: ") => {}
                other => return Err(format!("an anonymous push ended with {other:?}")),
            }
            ensure_eq!(
                text_of(client, "[data-testid=push-error-message]").await?,
                format!(
                    "registry {host} requires you to sign in to push to e2e/pushed: sign in to \
                     {host} in Settings (Registries › Sign-in)"
                ),
                "the error"
            );
            ensure_eq!(
                texts(client, "[data-testid=push-blob-text]").await?,
                vec!["Not pushed".to_owned(), "Not pushed".to_owned()],
                "the blobs of the refused push"
            );
            screenshot(client, "push-sign-in.png").await?;
            click(client, "[data-testid=push-sign-in]").await?;
            ensure_eq!(
                text_of(client, "#sign-in-title").await?,
                format!("Sign in to {host}"),
                "the sign-in dialog"
            );
            find(client, "[data-testid=sign-in-username]")
                .await?
                .send_keys(user)
                .await
                .map_err(|e| e.to_string())?;
            find(client, "[data-testid=sign-in-password]")
                .await?
                .send_keys(password)
                .await
                .map_err(|e| e.to_string())?;
            click(client, "[data-testid=sign-in-submit]").await?;
            ensure_eq!(
                text_of(client, "[data-testid=push-signed-in]").await?,
                format!("Signed in to {host} as {user}. Retry the push."),
                "the note after signing in"
            );
            click(client, "[data-testid=push-retry]").await?;
            until_eq("the retried push's end", "done".to_owned(), async || {
                Ok(find(client, "[data-testid=push-dialog]")
                    .await?
                    .attr("data-status")
                    .await
                    .map_err(|e| e.to_string())?
                    .unwrap_or_default())
            })
            .await?;
            ensure_eq!(
                text_of(client, "[data-testid=push-result-digest]").await?,
                image.digest.to_string(),
                "the pushed digest"
            );
            // The sign-in applies to the window's pulls and searches too, without a restart.
            let after = resolve(client, &destination).await?;
            ensure_eq!(
                after["ok"]["digest"].clone(),
                json!(image.digest.to_string()),
                "resolving after signing in"
            );
            Ok(())
        },
    )
    .await;
    let saved = std::fs::read_to_string(docker.join("config.json")).expect("docker's config");
    assert!(
        saved.contains(&host),
        "the sign-in was not saved for {host}: {saved}"
    );
    let (_, digest) =
        tokio::task::spawn_blocking(move || served_to(&destination, Some((user, password))))
            .await
            .expect("skopeo");
    assert_eq!(digest, image.digest, "the registry's manifest digest");
}
