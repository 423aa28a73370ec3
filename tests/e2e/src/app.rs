//! Launching the built app for a test and reading what it shows: the helpers every e2e
//! test shares.

use std::time::Duration;

use fantoccini::elements::Element;
use fantoccini::{Client, Locator};
use serde_json::Value;

use crate::{Driver, Fixture, prerequisites, target_dir};

pub type Outcome = Result<(), String>;

pub const WAIT: Duration = Duration::from_secs(20);

#[macro_export]
macro_rules! ensure_eq {
    ($left:expr, $right:expr, $($what:tt)+) => {{
        let (left, right) = (&$left, &$right);
        if left != right {
            return Err(format!("{}: expected {:?}, found {:?}", format!($($what)+), right, left));
        }
    }};
}

/// Runs `check` against the app started on `fixture`'s store (with `extra_env` added), then
/// closes the app and stops tauri-driver whatever happened.
pub async fn with_app<F>(test: &str, fixture: &Fixture, extra_env: &[(&str, &str)], check: F)
where
    F: AsyncFnOnce(&Client) -> Outcome,
{
    let Some(prerequisites) = prerequisites(test) else {
        return;
    };
    let log = target_dir().join("e2e-logs").join(format!("{test}.log"));
    let mut env = fixture.env();
    env.extend(extra_env.iter().map(|(k, v)| (k.to_string(), v.into())));
    let driver = Driver::start(&prerequisites, &env, &log)
        .unwrap_or_else(|error| panic!("starting tauri-driver: {error}"));
    let session = driver
        .session()
        .await
        .unwrap_or_else(|error| panic!("{error}"));
    let outcome = match built_for_tests(session.client()).await {
        Ok(()) => check(session.client()).await,
        Err(error) => Err(error),
    };
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

/// The built app serves `ui/dist` itself, at `tauri://localhost`. A plain `cargo build` gives
/// an app that loads the Vite dev server (`devUrl`) instead, and shows nothing without it:
/// say so rather than time out waiting for the page.
async fn built_for_tests(client: &Client) -> Outcome {
    let mut href = Value::Null;
    for _ in 0..50 {
        href = script(client, "return window.location.href;").await?;
        if href.as_str().is_some_and(|h| h.starts_with("tauri://")) {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err(format!(
        "the app shows {href} instead of tauri://localhost: is it a dev build, which loads the \
         Vite dev server? Build it with `npm --prefix ui run build && cargo build --features \
         tauri/custom-protocol -p porthole-app`"
    ))
}

/// The first element matching `css`, once it appears (within [`WAIT`]).
pub async fn find(client: &Client, css: &str) -> Result<Element, String> {
    client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Css(css))
        .await
        .map_err(|error| format!("no element `{css}` appeared: {error}"))
}

/// Clicks the first element matching `css`, once it appears.
pub async fn click(client: &Client, css: &str) -> Outcome {
    find(client, css)
        .await?
        .click()
        .await
        .map_err(|error| format!("clicking `{css}`: {error}"))?;
    Ok(())
}

/// Types `text` into the first element matching `css`, once it appears.
pub async fn type_into(client: &Client, css: &str, text: &str) -> Outcome {
    find(client, css)
        .await?
        .send_keys(text)
        .await
        .map_err(|error| format!("typing into `{css}`: {error}"))
}

/// The text of every element matching `css`, in document order, whitespace collapsed,
/// read in one script call (so a re-render between finding and reading cannot fail it).
pub async fn texts(client: &Client, css: &str) -> Result<Vec<String>, String> {
    let source = format!(
        "return [...document.querySelectorAll({})].map(e => e.textContent.replace(/\\s+/g, ' ').trim());",
        Value::from(css)
    );
    let found = script(client, &source).await?;
    Ok(found
        .as_array()
        .map(|all| {
            all.iter()
                .map(|v| v.as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default())
}

pub async fn text_of(client: &Client, css: &str) -> Result<String, String> {
    let element = find(client, css).await?;
    let text = element
        .text()
        .await
        .map_err(|error| format!("reading `{css}`: {error}"))?;
    Ok(text.trim().to_owned())
}

pub async fn script(client: &Client, source: &str) -> Result<Value, String> {
    client
        .execute(source, Vec::new())
        .await
        .map_err(|error| format!("running `{source}`: {error}"))
}

/// How long a screenshot waits for the webview's next two frames.
const PAINT_WAIT: Duration = Duration::from_secs(15);

pub async fn screenshot(client: &Client, name: &str) -> Outcome {
    // The DOM can be ahead of the pixels: let the webview paint twice before the picture (a
    // frame callback sets a flag that is polled, with a deadline, so a stalled webview fails
    // the test instead of hanging it).
    script(
        client,
        "window.__portholePainted = false;
         requestAnimationFrame(() => requestAnimationFrame(() => { window.__portholePainted = true; }));",
    )
    .await?;
    let started = std::time::Instant::now();
    while script(client, "return window.__portholePainted === true;").await? != Value::Bool(true) {
        if started.elapsed() > PAINT_WAIT {
            return Err(format!(
                "the webview painted no frame within {PAINT_WAIT:?} (for {name})"
            ));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
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

/// Polls `read` until it answers `want` (the page re-renders after a click), or fails with
/// the last answer.
pub async fn until_eq<T, F>(what: &str, want: T, mut read: F) -> Result<(), String>
where
    T: PartialEq + std::fmt::Debug,
    F: AsyncFnMut() -> Result<T, String>,
{
    let mut last = read().await?;
    for _ in 0..100 {
        if last == want {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        last = read().await?;
    }
    Err(format!("{what}: expected {want:?}, found {last:?}"))
}
