//! The Images page of the real, built app, driven through tauri-driver.

use std::time::Duration;

use fantoccini::{Client, Locator};
use porthole_e2e::app::{
    WAIT, click, find, screenshot, script, text_of, type_into, until_eq, with_app,
};
use porthole_e2e::{Fixture, ensure_eq, format_size};
use porthole_tests::fixtures::{ImageBuilder, LayerBuilder, MediaTypes, catalog};
use porthole_tests::hub::HubReplay;
use porthole_tests::registry::{RegistryAuth, TestRegistry};
use serde_json::Value;

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

    // GTK's default (light) theme: that is what prefers-color-scheme reports.
    let light = [("GTK_THEME", "Adwaita")];
    with_app("images_page_lists_the_images_in_the_store", &fixture, &light, async |client| {
        let rows = client
            .wait()
            .at_most(WAIT)
            .for_element(Locator::Css("[data-testid=image-row]"))
            .await
            .map_err(|error| format!("no image row appeared: {error}"))?;
        // First the picture, so that a failing run still shows what the page looked like.
        screenshot(client, "images-single.png").await?;
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
        // Least privilege: the capability grants the app's own commands and, of the store
        // plugin, only load/get/set of the UI's preferences, so a store command the UI does
        // not use (clearing a store) is refused.
        let store_plugin = client
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 window.__TAURI_INTERNALS__.invoke('plugin:store|clear', { rid: 1 })
                   .then(() => done('allowed'), (error) => done('denied: ' + error));",
                Vec::new(),
            )
            .await
            .map_err(|error| format!("calling the store plugin: {error}"))?;
        let denied = store_plugin.as_str().is_some_and(|s| s.starts_with("denied: "));
        if !denied {
            return Err(format!(
                "an ungranted plugin command was not refused: {store_plugin}"
            ));
        }
        println!("e2e: plugin:store|clear was refused as expected ({store_plugin})");
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
        &[],
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn images_page_follows_a_dark_system_theme() {
    let fixture = Fixture::empty();
    fixture.add_image(
        "ghcr.io/porthole-e2e/a-rather-long-repository-name/for-the-name-column:2025.06.15-build.1234",
        "2025.06.15-build.1234",
        312_000,
        Duration::from_secs(40 * 86_400),
    );
    fixture.add_image(
        "docker.io/library/e2e-fixture:1.0",
        "1.0",
        2_500_000,
        Duration::from_secs(3600 * 5),
    );
    // WebKitGTK reports prefers-color-scheme: dark for a dark GTK theme.
    let dark = [("GTK_THEME", "Adwaita:dark")];
    with_app(
        "images_page_follows_a_dark_system_theme",
        &fixture,
        &dark,
        async |client| {
            client
                .wait()
                .at_most(WAIT)
                .for_element(Locator::Css("[data-testid=image-row]"))
                .await
                .map_err(|error| format!("no image row appeared: {error}"))?;
            let dark = script(
                client,
                "return matchMedia('(prefers-color-scheme: dark)').matches;",
            )
            .await?;
            ensure_eq!(dark, Value::from(true), "prefers-color-scheme: dark");
            let background = script(
                client,
                "return getComputedStyle(document.documentElement).backgroundColor;",
            )
            .await?;
            ensure_eq!(
                background,
                Value::from("rgb(23, 25, 30)"),
                "dark page background"
            );
            let names = client
                .find_all(Locator::Css("[data-testid=image-name]"))
                .await
                .map_err(|error| error.to_string())?;
            ensure_eq!(names.len(), 2, "number of rows");
            screenshot(client, "images-dark.png").await
        },
    )
    .await;
}

/// The app renders on the CPU unless `PORTHOLE_GPU=1` (the harness sets it for the other tests,
/// see `Fixture::env`): the default mode lists, filters, opens details and goes back. No
/// screenshot here: WebKitWebDriver's can hang on a CPU-rendered page under Xvfb.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn images_page_works_when_rendered_on_the_cpu() {
    let fixture = Fixture::empty();
    for (reference, tag) in [
        ("docker.io/library/e2e-fixture:1.0", "1.0"),
        ("docker.io/library/other:2.0", "2.0"),
    ] {
        fixture.add_image(reference, tag, 1_000_000, Duration::from_secs(3600));
    }
    let cpu = [("PORTHOLE_GPU", "0")];
    with_app(
        "images_page_works_when_rendered_on_the_cpu",
        &fixture,
        &cpu,
        async |client| {
            until_eq("rows", 2, async || Ok(names(client).await?.len())).await?;
            type_into(client, "[data-testid=images-filter]", "other").await?;
            expect_names(client, "filtered", &["other"]).await?;
            click(client, "[data-testid=image-open]").await?;
            ensure_eq!(
                text_of(client, "[data-testid=details-reference]").await?,
                "docker.io/library/other:2.0",
                "details title"
            );
            click(client, "[data-testid=details-back]").await?;
            find(client, "[data-testid=image-row]").await?;
            Ok(())
        },
    )
    .await;
}

/// Waits until the table shows `want`, top to bottom.
async fn expect_names(client: &Client, what: &str, want: &[&str]) -> Result<(), String> {
    until_eq(
        what,
        want.iter().map(|n| n.to_string()).collect::<Vec<_>>(),
        async || names(client).await,
    )
    .await
}

/// The names in the table, top to bottom, read in one script call: the table re-renders
/// when the store changes, so element handles found one call earlier may be gone.
async fn names(client: &Client) -> Result<Vec<String>, String> {
    let value = client
        .execute(
            "return [...document.querySelectorAll('[data-testid=image-name]')].map(e => e.innerText.trim());",
            Vec::new(),
        )
        .await
        .map_err(|error| error.to_string())?;
    serde_json::from_value(value).map_err(|error| format!("the names are not strings: {error}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn images_page_sorts_filters_and_deletes() {
    let fixture = Fixture::empty();
    let day = Duration::from_secs(86_400);
    fixture.add_image("docker.io/library/e2e-alpha:1.0", "1.0", 900_000, 5 * day);
    fixture.add_image("docker.io/library/e2e-bravo:2.0", "2.0", 2_400_000, 2 * day);
    fixture.add_image("ghcr.io/porthole-e2e/charlie:3.0", "3.0", 300_000, day);
    let light = [("GTK_THEME", "Adwaita")];
    with_app("images_page_sorts_filters_and_deletes", &fixture, &light, async |client| {
        client
            .wait()
            .at_most(WAIT)
            .for_element(Locator::Css("[data-testid=image-row]"))
            .await
            .map_err(|error| format!("no image row appeared: {error}"))?;
        // Newest first, as the page opens.
        expect_names(client, "opening order", &["ghcr.io/porthole-e2e/charlie", "e2e-bravo", "e2e-alpha"]).await?;

        // Size: biggest first, then reversed, and the header says which.
        click(client, "[data-testid=sort-size] button").await?;
        expect_names(client, "by size", &["e2e-bravo", "e2e-alpha", "ghcr.io/porthole-e2e/charlie"]).await?;
        let sort = script(client, "return document.querySelector('[data-testid=sort-size]').getAttribute('aria-sort');").await?;
        ensure_eq!(sort, Value::from("descending"), "aria-sort of Size");
        click(client, "[data-testid=sort-size] button").await?;
        expect_names(client, "by size, reversed", &["ghcr.io/porthole-e2e/charlie", "e2e-alpha", "e2e-bravo"]).await?;
        click(client, "[data-testid=sort-name] button").await?;
        expect_names(client, "by name", &["e2e-alpha", "e2e-bravo", "ghcr.io/porthole-e2e/charlie"]).await?;

        // The picture the README shows: several images, sorted by name, with the summary.
        screenshot(client, "images.png").await?;

        // Filter: a name substring, then back to everything.
        let filter = client
            .find(Locator::Css("[data-testid=images-filter]"))
            .await
            .map_err(|error| format!("no filter box: {error}"))?;
        filter.send_keys("e2e-").await.map_err(|error| format!("typing the filter: {error}"))?;
        expect_names(client, "filtered", &["e2e-alpha", "e2e-bravo"]).await?;
        filter.clear().await.map_err(|error| format!("clearing the filter: {error}"))?;
        // Clearing through WebDriver sends no input event in every engine: type and erase.
        filter.send_keys("x\u{E003}").await.map_err(|error| format!("erasing the filter: {error}"))?;
        until_eq("unfiltered", 3, async || Ok(names(client).await?.len())).await?;

        // Delete bravo from its row, through the confirmation.
        let rows = client
            .find_all(Locator::Css("[data-testid=image-row]"))
            .await
            .map_err(|error| error.to_string())?;
        let bravo = rows.get(1).ok_or("no second row")?;
        bravo
            .find(Locator::Css("[data-testid=image-delete]"))
            .await
            .map_err(|error| format!("no delete button on bravo's row: {error}"))?
            .click()
            .await
            .map_err(|error| format!("clicking delete: {error}"))?;
        let listed = text_of(client, "[data-testid=remove-list]").await?;
        if !listed.contains("e2e-bravo:2.0") || listed.contains("alpha") {
            return Err(format!("the confirmation lists {listed:?}"));
        }
        screenshot(client, "images-delete-confirm.png").await?;
        click(client, "[data-testid=remove-confirm]").await?;
        expect_names(client, "after the delete", &["e2e-alpha", "ghcr.io/porthole-e2e/charlie"]).await?;
        until_eq("count after the delete", "2 images".to_owned(), async || {
            text_of(client, "[data-testid=images-count]").await
        })
        .await?;
        let gone = client
            .find_all(Locator::Css("[data-testid=remove-dialog]"))
            .await
            .map_err(|error| error.to_string())?;
        ensure_eq!(gone.len(), 0, "dialogs open after the delete");

        // Delete charlie from its details page: the confirmation, then back to the list.
        let rows = client
            .find_all(Locator::Css("[data-testid=image-row]"))
            .await
            .map_err(|error| error.to_string())?;
        rows.get(1)
            .ok_or("no second row")?
            .find(Locator::Css("[data-testid=image-details]"))
            .await
            .map_err(|error| format!("no details button on charlie's row: {error}"))?
            .click()
            .await
            .map_err(|error| format!("opening charlie's details: {error}"))?;
        find(client, "[data-testid=details-page]").await?;
        click(client, "[data-testid=details-delete]").await?;
        let listed = text_of(client, "[data-testid=remove-list]").await?;
        if !listed.contains("charlie:3.0") {
            return Err(format!("the details page's confirmation lists {listed:?}"));
        }
        click(client, "[data-testid=remove-confirm]").await?;
        find(client, "[data-testid=images-table]").await?;
        expect_names(client, "after the delete from the details page", &["e2e-alpha"]).await?;
        Ok(())
    })
    .await;

    // The store agrees: bravo's and charlie's entries are gone from index.json.
    let left: Vec<String> = fixture
        .store()
        .images()
        .expect("read the store")
        .into_iter()
        .filter_map(|image| image.reference)
        .collect();
    assert_eq!(
        left,
        ["docker.io/library/e2e-alpha:1.0"],
        "the store after the deletes"
    );
}

/// Waits for the outcome of the "Pull again" shown on the Images page.
async fn repull_outcome(client: &Client) -> Result<(String, String), String> {
    let mut last = Value::Null;
    for _ in 0..150 {
        last = script(
            client,
            "const d = document.querySelector('[data-testid=images-repull] [data-testid=pull-done]');
             const e = document.querySelector('[data-testid=images-repull] [data-testid=pull-error-message]');
             return d ? [d.dataset.outcome ?? '', d.textContent.trim()] : e ? ['error', e.textContent.trim()] : null;",
        )
        .await?;
        if let Some([outcome, text]) = last.as_array().map(Vec::as_slice) {
            return Ok((
                outcome.as_str().unwrap_or_default().to_owned(),
                text.as_str().unwrap_or_default().to_owned(),
            ));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err(format!("the pull again did not finish: {last}"))
}

/// Pull again on a row, in the real app against a registry on loopback: first the same
/// image ("already up to date"), then, after a new image is pushed under the tag, the newer
/// one (the old one stays, untagged).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn images_page_pulls_an_image_again() {
    let fixture = Fixture::empty();
    let (registry, hub) = tokio::task::spawn_blocking(|| {
        let registry = TestRegistry::start(RegistryAuth::None);
        catalog::simple(MediaTypes::Oci).push(&registry, "e2e/repull", "1.0");
        (registry, HubReplay::start())
    })
    .await
    .expect("start the registry and the Hub replay");
    let reference = format!("{}/e2e/repull:1.0", registry.addr());
    let hub_url = hub.url();
    let env = [
        ("PORTHOLE_HUB_URL", hub_url.as_str()),
        ("GTK_THEME", "Adwaita"),
    ];
    with_app(
        "images_page_pulls_an_image_again",
        &fixture,
        &env,
        async |client| {
            // First pulled as anyone would: the search box, with the full reference.
            find(client, "[data-testid=images-empty]").await?;
            click(client, "[data-testid=images-search]").await?;
            type_into(client, "[data-testid=search-input]", &reference).await?;
            click(client, "[data-testid=search-typed-pull]").await?;
            find(client, "[data-testid=pull-done]").await?;
            click(client, "[data-testid=search-close]").await?;
            find(client, "[data-testid=image-row]").await?;

            let button = find(client, "[data-testid=image-pull-again]").await?;
            let label = button.attr("aria-label").await.map_err(|e| e.to_string())?;
            ensure_eq!(
                label,
                Some(format!("Pull again {reference}")),
                "the button's accessible name"
            );
            let started = std::time::Instant::now();
            button
                .click()
                .await
                .map_err(|e| format!("clicking Pull again: {e}"))?;
            let (outcome, text) = repull_outcome(client).await?;
            println!(
                "e2e: pull again (up to date) answered in {} ms",
                started.elapsed().as_millis()
            );
            ensure_eq!(outcome, "upToDate".to_owned(), "the outcome ({text})");
            if !text.starts_with("Already up to date") {
                return Err(format!("the pull again says {text:?}"));
            }
            ensure_eq!(
                names(client).await?.len(),
                1,
                "rows after an up-to-date pull"
            );
            screenshot(client, "images-pull-again.png").await?;

            // A new build pushed under the same tag: Pull again downloads it.
            let registry_addr = registry.addr().to_owned();
            tokio::task::spawn_blocking(move || {
                let newer = ImageBuilder::new(MediaTypes::Oci)
                    .layer(
                        LayerBuilder::new().file("etc/os-release", "ID=porthole\nVERSION_ID=2\n"),
                    )
                    .created("2025-06-01T00:00:00Z")
                    .build();
                newer.push_to(&registry_addr, None, "e2e/repull", "1.0");
            })
            .await
            .map_err(|e| format!("pushing the newer image: {e}"))?;
            click(client, "[data-testid=images-repull-close]").await?;
            click(client, "[data-testid=image-pull-again]").await?;
            let (outcome, text) = repull_outcome(client).await?;
            ensure_eq!(outcome, "newer".to_owned(), "the outcome ({text})");
            if !text.contains("Downloaded a newer image of") {
                return Err(format!("the pull again says {text:?}"));
            }
            // The list refreshed through the store-changed event: the new image, and the old
            // one untagged.
            until_eq("rows after a newer image", 2, async || {
                Ok(names(client).await?.len())
            })
            .await?;
            let untagged = script(
            client,
            "return document.querySelectorAll('[data-testid=image-pull-again]:disabled').length;",
        )
        .await?;
            ensure_eq!(
                untagged,
                Value::from(1),
                "rows without a reference to pull again"
            );
            screenshot(client, "images-pull-again-newer.png").await
        },
    )
    .await;
}
