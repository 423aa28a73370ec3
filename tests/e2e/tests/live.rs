//! The Images page follows what others do to the store while the app is open: an image added
//! by another writer (the engine's store API, as a `porthole pull` in a terminal records one)
//! and one removed by the real `porthole rm` appear and disappear without a click on Refresh.

use std::time::{Duration, Instant};

use fantoccini::Client;
use porthole_e2e::app::{WAIT, screenshot, text_of, texts, with_app};
use porthole_e2e::{Fixture, ensure_eq, target_dir};

/// How long a change made outside the app may take to show: the watch waits 200 ms for the
/// store to settle, then the page reloads.
const LIVE: Duration = Duration::from_secs(5);

const NAMES: &str = "[data-testid=image-row] [data-testid=image-name]";

/// Waits (up to [`LIVE`]) until the page lists exactly `want` (in any order); returns how
/// long that took.
async fn wait_for_names(client: &Client, want: &[&str]) -> Result<Duration, String> {
    let started = Instant::now();
    let mut want: Vec<String> = want.iter().map(|s| s.to_string()).collect();
    want.sort();
    loop {
        let mut names = texts(client, NAMES).await?;
        names.sort();
        if names == want {
            return Ok(started.elapsed());
        }
        if started.elapsed() > LIVE {
            return Err(format!(
                "after {LIVE:?} without a click on Refresh, the page lists {names:?}, not {want:?}"
            ));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn images_page_follows_changes_made_outside_the_app() {
    let fixture = Fixture::empty();
    fixture.add_image(
        "docker.io/library/e2e-fixture:1.0",
        "1.0",
        100_000,
        Duration::from_secs(86_400),
    );
    // Dark, as the other Images tests are light.
    let dark = [("GTK_THEME", "Adwaita:dark")];
    let test = "images_page_follows_changes_made_outside_the_app";
    with_app(test, &fixture, &dark, async |client| {
        // The page as it opened (the first load may take the longest of all: not timed).
        let started = Instant::now();
        while texts(client, NAMES).await? != ["e2e-fixture"] {
            if started.elapsed() > WAIT {
                return Err(format!(
                    "the fixture image is not listed: {:?}",
                    texts(client, NAMES).await?
                ));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        // Let the watch settle after the first load (which read, never wrote, the store).
        tokio::time::sleep(Duration::from_millis(300)).await;

        // Another writer records an image while the app is open.
        let changed = Instant::now();
        fixture.add_image(
            "docker.io/library/live-added:2.0",
            "2.0",
            300_000,
            Duration::from_secs(3_600),
        );
        let waited = wait_for_names(client, &["e2e-fixture", "live-added"]).await?;
        println!(
            "e2e: the image added outside the app was listed {:?} after the write started \
             ({:?} of polling)",
            changed.elapsed(),
            waited
        );
        ensure_eq!(
            text_of(client, "[data-testid=images-count]").await?,
            "2 images",
            "count after the addition"
        );
        screenshot(client, "images-live.png").await?;

        // The real CLI removes it from a terminal.
        let cli = target_dir().join("debug").join("porthole");
        if !cli.is_file() {
            return Err(format!(
                "the CLI is not built at {} (cargo build -p porthole-cli)",
                cli.display()
            ));
        }
        let changed = Instant::now();
        let output = std::process::Command::new(&cli)
            .envs(fixture.env())
            .arg("--store")
            .arg(fixture.store_root())
            .args(["rm", "live-added:2.0"])
            .output()
            .map_err(|error| format!("running {}: {error}", cli.display()))?;
        if !output.status.success() {
            return Err(format!(
                "`porthole rm` failed ({}): {}",
                output.status,
                String::from_utf8_lossy(&output.stderr)
            ));
        }
        let said = String::from_utf8_lossy(&output.stdout);
        ensure_eq!(
            said.lines().next(),
            Some("Untagged: docker.io/library/live-added:2.0"),
            "what `porthole rm` said"
        );
        let waited = wait_for_names(client, &["e2e-fixture"]).await?;
        println!(
            "e2e: the image removed by `porthole rm` left the list {:?} after the command started \
             ({:?} of polling)",
            changed.elapsed(),
            waited
        );
        ensure_eq!(
            text_of(client, "[data-testid=images-count]").await?,
            "1 image",
            "count after the removal"
        );
        Ok(())
    })
    .await;
}
