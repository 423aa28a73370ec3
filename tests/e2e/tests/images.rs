//! The Images page of the real, built app, driven through tauri-driver.

use std::time::Duration;

use fantoccini::{Client, Locator};
use porthole_e2e::{Driver, Fixture, format_size, prerequisites, target_dir};
use serde_json::Value;

type Outcome = Result<(), String>;

const WAIT: Duration = Duration::from_secs(20);

macro_rules! ensure_eq {
    ($left:expr, $right:expr, $($what:tt)+) => {{
        let (left, right) = (&$left, &$right);
        if left != right {
            return Err(format!("{}: expected {:?}, found {:?}", format!($($what)+), right, left));
        }
    }};
}

/// Runs `check` against the app started on `fixture`'s store, then closes the app and stops
/// tauri-driver whatever happened.
async fn with_app<F>(test: &str, fixture: &Fixture, check: F)
where
    F: AsyncFnOnce(&Client) -> Outcome,
{
    let Some(prerequisites) = prerequisites(test) else {
        return;
    };
    let log = target_dir().join("e2e-logs").join(format!("{test}.log"));
    let driver = Driver::start(&prerequisites, &fixture.env(), &log)
        .unwrap_or_else(|error| panic!("starting tauri-driver: {error}"));
    let session = driver
        .session()
        .await
        .unwrap_or_else(|error| panic!("{error}"));
    let outcome = check(session.client()).await;
    session.close().await;
    let log = driver.log().to_path_buf();
    drop(driver);
    if let Err(error) = outcome {
        panic!(
            "{test}: {error}\n(tauri-driver and app output: {})",
            log.display()
        );
    }
}

async fn text_of(client: &Client, css: &str) -> Result<String, String> {
    let element = client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Css(css))
        .await
        .map_err(|error| format!("no element `{css}` appeared: {error}"))?;
    let text = element
        .text()
        .await
        .map_err(|error| format!("reading `{css}`: {error}"))?;
    Ok(text.trim().to_owned())
}

async fn script(client: &Client, source: &str) -> Result<Value, String> {
    client
        .execute(source, Vec::new())
        .await
        .map_err(|error| format!("running `{source}`: {error}"))
}

async fn screenshot(client: &Client, name: &str) -> Outcome {
    // The DOM can be ahead of the pixels: let the webview paint twice before the picture.
    client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             requestAnimationFrame(() => requestAnimationFrame(() => done(true)));",
            Vec::new(),
        )
        .await
        .map_err(|error| format!("waiting for a paint: {error}"))?;
    let png = client
        .screenshot()
        .await
        .map_err(|error| format!("taking a screenshot: {error}"))?;
    let dir = target_dir().join("e2e-screenshots");
    std::fs::create_dir_all(&dir).map_err(|error| error.to_string())?;
    let path = dir.join(name);
    std::fs::write(&path, png).map_err(|error| error.to_string())?;
    println!("e2e: screenshot saved to {}", path.display());
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn images_page_lists_the_images_in_the_store() {
    let fixture = Fixture::empty();
    let image = fixture.add_image(
        "docker.io/library/e2e-fixture:1.0",
        "1.0",
        2_500_000,
        Duration::from_secs(3 * 86_400 + 3600),
    );
    let short_id = image.id.short().to_owned();
    let size = format_size(image.size);

    with_app("images_page_lists_the_images_in_the_store", &fixture, async |client| {
        let rows = client
            .wait()
            .at_most(WAIT)
            .for_element(Locator::Css("[data-testid=image-row]"))
            .await
            .map_err(|error| format!("no image row appeared: {error}"))?;
        // First the picture, so that a failing run still shows what the page looked like.
        screenshot(client, "images.png").await?;
        let cell = async |id: &str| -> Result<String, String> {
            let element = rows
                .find(Locator::Css(&format!("[data-testid={id}]")))
                .await
                .map_err(|error| format!("no `{id}` cell: {error}"))?;
            Ok(element.text().await.map_err(|error| error.to_string())?.trim().to_owned())
        };
        ensure_eq!(cell("image-name").await?, "e2e-fixture", "name");
        ensure_eq!(cell("image-tag").await?, "1.0", "tag");
        ensure_eq!(cell("image-id").await?, short_id, "image ID");
        ensure_eq!(cell("image-created").await?, "3 days ago", "created");
        ensure_eq!(cell("image-size").await?, size, "size");
        ensure_eq!(cell("image-platform").await?, image.platform.as_ref().unwrap().to_string(), "platform");

        let all = client
            .find_all(Locator::Css("[data-testid=image-row]"))
            .await
            .map_err(|error| error.to_string())?;
        ensure_eq!(all.len(), 1, "number of rows");
        ensure_eq!(text_of(client, "[data-testid=images-count]").await?, "1 image", "count");
        ensure_eq!(
            text_of(client, "[data-testid=images-total-size]").await?,
            format!("{size} total"),
            "total size"
        );
        ensure_eq!(
            text_of(client, "[data-testid=nav-images]").await?,
            "Images",
            "navigation"
        );

        // The security settings of tauri.conf.json are in force in the real webview.
        let eval = script(client, "try { eval('1'); return 'allowed'; } catch (e) { return 'blocked'; }").await?;
        ensure_eq!(eval, Value::from("blocked"), "eval under the CSP");
        let frozen = script(client, "return Object.isFrozen(Object.prototype);").await?;
        ensure_eq!(frozen, Value::from(true), "freezePrototype");
        // The stylesheet loaded under `style-src 'self'` (no inline styles needed).
        let styled = script(
            client,
            "return getComputedStyle(document.querySelector('[data-testid=images-table]')).borderCollapse;",
        )
        .await?;
        ensure_eq!(styled, Value::from("collapse"), "the app's stylesheet");
        Ok(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn images_page_shows_the_empty_state() {
    let fixture = Fixture::empty();
    with_app(
        "images_page_shows_the_empty_state",
        &fixture,
        async |client| {
            let empty = text_of(client, "[data-testid=images-empty]").await?;
            if !empty.contains("No images yet") {
                return Err(format!("the empty state says {empty:?}"));
            }
            screenshot(client, "images-empty.png").await
        },
    )
    .await;
}
