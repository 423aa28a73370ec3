//! The image details page's Files tab, in the real built app: a build step chosen in the
//! Layers tab narrows it to that step's changes (A / M / D marks, removals struck through,
//! wasted space highlighted), a toggle goes back to the whole image, and a directory of
//! 100,000 files opens and scrolls with only the rows in view in the DOM (see
//! `Fixture::add_files_image`), and a file opens in the viewer and is saved to Downloads.

use fantoccini::{Client, Locator};
use porthole_e2e::app::{Outcome, click, find, screenshot, script, texts, with_app};
use porthole_e2e::{Fixture, ensure_eq};
use serde_json::{Value, json};

const IMAGE: &str = "docker.io/library/e2e-files:1.0";

/// `[path, change, wasted, waste tooltip]` of every row drawn.
async fn rows(client: &Client) -> Result<Vec<Value>, String> {
    let found = script(
        client,
        "return [...document.querySelectorAll('[data-testid=file-row]')].map((r) => [
           r.dataset.path, r.dataset.change, r.dataset.wasted,
           r.querySelector('[data-testid=file-waste]')?.title ?? null]);",
    )
    .await?;
    Ok(found.as_array().cloned().unwrap_or_default())
}

/// Waits (up to 10 s) for the row of `path`.
async fn row(client: &Client, path: &str) -> Outcome {
    find(
        client,
        &format!("[data-testid=file-row][data-path={}]", Value::from(path)),
    )
    .await
    .map(|_| ())
}

/// Clicks the row of `path` (which opens or closes a directory).
async fn open(client: &Client, path: &str) -> Outcome {
    click(
        client,
        &format!(
            "[data-testid=file-row][data-path={}] [data-testid=file-toggle]",
            Value::from(path)
        ),
    )
    .await
}

/// Chooses step 3 in the Layers tab, checks its changes in the Files tab, takes the
/// screenshot, then switches to the whole image.
async fn changes(client: &Client, shot: &str) -> Outcome {
    click(client, "[data-testid=image-open]").await?;
    find(client, "[data-testid=layer-row]").await?;
    // A click on the step's command chooses the step (WebKit's WebDriver will not click a
    // table row itself).
    let steps = client
        .find_all(Locator::Css(
            "[data-testid=layer-row] [data-testid=layer-command]",
        ))
        .await
        .map_err(|error| error.to_string())?;
    steps
        .get(2)
        .ok_or("fewer than three build steps")?
        .click()
        .await
        .map_err(|error| format!("choosing step 3: {error}"))?;
    click(client, "[data-testid=tab-files]").await?;
    find(
        client,
        "[data-testid=files-scope-changes][aria-pressed=true]",
    )
    .await?;
    let notice = texts(client, "[data-testid=files-steps-notice]").await?;
    if !notice.first().is_some_and(|n| n.contains("step 3")) {
        return Err(format!("the Files tab's notice reads {notice:?}"));
    }
    row(client, "/usr").await?;
    ensure_eq!(
        rows(client).await?,
        vec![
            json!(["/etc", "none", "false", null]),
            json!(["/tmp", "none", "false", null]),
            json!(["/usr", "added", "false", null]),
        ],
        "step 3's changes at the top"
    );
    open(client, "/etc").await?;
    row(client, "/etc/motd").await?;
    open(client, "/tmp").await?;
    row(client, "/tmp/cache.tar").await?;
    ensure_eq!(
        rows(client).await?,
        vec![
            json!(["/etc", "none", "false", null]),
            json!(["/etc/<img src=x onerror=alert(1)>", "added", "false", null]),
            json!(["/etc/motd", "modified", "false", null]),
            json!(["/etc/old.conf", "removed", "false", null]),
            json!(["/tmp", "none", "false", null]),
            json!(["/tmp/build.bin", "removed", "false", null]),
            json!([
                "/tmp/cache.tar",
                "added",
                "true",
                "5.00 kB wasted: removed by step 4 (COPY data /data)"
            ]),
            json!(["/usr", "added", "false", null]),
        ],
        "step 3's changes in /etc and /tmp"
    );
    let looks = script(
        client,
        "const style = (p) => getComputedStyle(document.querySelector(
           `[data-testid=file-row][data-path=\"${p}\"] [data-testid=file-name]`)).textDecorationLine;
         return { removed: style('/etc/old.conf'), kept: style('/etc/motd'),
                  marks: [...document.querySelectorAll('[data-testid=file-mark]')].map((m) => m.textContent),
                  markup: document.querySelectorAll('[data-testid=files-tab] img').length };",
    )
    .await?;
    ensure_eq!(
        looks,
        json!({
            "removed": "line-through",
            "kept": "none",
            "marks": ["Aadded", "Mmodified", "Dremoved", "Dremoved", "Aadded", "Aadded"],
            "markup": 0,
        }),
        "the marks, the struck-through removal and the name that is markup"
    );
    screenshot(client, shot).await?;

    // The whole image: the final filesystem, /etc/motd's first version counted as waste.
    click(client, "[data-testid=files-scope-image]").await?;
    row(client, "/data").await?;
    let top = texts(client, "[data-testid=file-name]").await?;
    ensure_eq!(
        top,
        vec!["bin", "data", "etc", "tmp", "usr"]
            .into_iter()
            .map(String::from)
            .collect::<Vec<_>>(),
        "the whole image's top level"
    );
    open(client, "/etc").await?;
    row(client, "/etc/motd").await?;
    let motd = rows(client)
        .await?
        .into_iter()
        .find(|r| r[0] == "/etc/motd")
        .ok_or("no /etc/motd row")?;
    ensure_eq!(
        motd,
        json!([
            "/etc/motd",
            "none",
            "true",
            "100 B of earlier versions wasted: overwritten by step 3 (RUN apt-get install -y curl && rm -rf /tmp/build.bin)"
        ]),
        "/etc/motd in the whole image"
    );

    // Permissions and owner as `ls -l` shows them, the setuid program marked.
    open(client, "/usr").await?;
    row(client, "/usr/bin").await?;
    open(client, "/usr/bin").await?;
    row(client, "/usr/bin/passwd").await?;
    let modes = script(
        client,
        "return ['/etc/motd', '/usr/bin', '/usr/bin/curl', '/usr/bin/passwd'].map((p) => {
           const r = document.querySelector(`[data-testid=file-row][data-path=\"${p}\"]`);
           const mode = r.querySelector('[data-testid=file-mode]');
           return [p, mode.textContent, r.querySelector('[data-testid=file-owner]').textContent,
                   mode.classList.contains('set-id')];
         });",
    )
    .await?;
    ensure_eq!(
        modes,
        json!([
            ["/etc/motd", "-rw-r--r--", "0:0", false],
            ["/usr/bin", "drwxr-xr-x", "0:0", false],
            ["/usr/bin/curl", "-rwxr-xr-x", "0:0", false],
            ["/usr/bin/passwd", "-rwsr-xr-x", "0:0", true],
        ]),
        "modes and owners"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_tab_shows_a_chosen_steps_changes() {
    let fixture = Fixture::empty();
    fixture.add_files_image(IMAGE, "1.0", 10);
    let light = [("GTK_THEME", "Adwaita")];
    with_app(
        "files_tab_shows_a_chosen_steps_changes",
        &fixture,
        &light,
        async |client| changes(client, "details-files-changes.png").await,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_tab_follows_a_dark_system_theme() {
    let fixture = Fixture::empty();
    fixture.add_files_image(IMAGE, "1.0", 10);
    let dark = [("GTK_THEME", "Adwaita:dark")];
    with_app(
        "files_tab_follows_a_dark_system_theme",
        &fixture,
        &dark,
        async |client| changes(client, "details-files-changes-dark.png").await,
    )
    .await;
}

/// The time, in the real webview, from a click on the Files tab to its rows painted, from a
/// click on a directory of 100,000 files to its first rows painted, for each step of a
/// scroll, and for a jump to the middle of the directory (painted, then its page fetched
/// and painted). Printed; only what is shown is asserted (the machine is shared).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_tab_scrolls_a_directory_of_100000_files() {
    const COUNT: usize = 100_000;
    let fixture = Fixture::empty();
    fixture.add_files_image(IMAGE, "1.0", COUNT);
    with_app(
        "files_tab_scrolls_a_directory_of_100000_files",
        &fixture,
        &[],
        async |client| {
            click(client, "[data-testid=image-open]").await?;
            // The first look indexes the layers: wait for the Layers tab before timing.
            find(client, "[data-testid=layer-row]").await?;
            let timings = client
                .execute_async(
                    "const done = arguments[arguments.length - 1];
                     const painted = () => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
                     const pause = (ms) => new Promise((r) => setTimeout(r, ms));
                     const wait = async (css) => {
                       for (let i = 0; i < 2000; i++) {
                         if (document.querySelector(css)) return true;
                         await pause(5);
                       }
                       return false;
                     };
                     const rows = () => document.querySelectorAll('[data-testid=file-row]').length;
                     const pending = () => document.querySelectorAll('[data-testid=file-row-pending]').length;
                     (async () => {
                       let t = performance.now();
                       document.querySelector('[data-testid=tab-files]').click();
                       await wait('[data-testid=file-row][data-path=\"/data\"]');
                       await painted();
                       const tab = performance.now() - t;
                       t = performance.now();
                       document.querySelector('[data-testid=file-row][data-path=\"/data\"]').click();
                       await wait('[data-testid=file-row][data-path=\"/data/f000000\"]');
                       await painted();
                       const open = performance.now() - t;
                       const openRows = rows();
                       const count = Number(document.querySelector('[data-testid=files-tree]').dataset.count);
                       await pause(200);
                       const scroller = document.querySelector('[data-testid=files-scroller]');
                       const steps = [];
                       for (let i = 0; i < 20; i++) {
                         t = performance.now();
                         scroller.scrollTop += 130;
                         await painted();
                         steps.push(performance.now() - t);
                       }
                       t = performance.now();
                       scroller.scrollTop = 50002 * 26;
                       await painted();
                       const jump = performance.now() - t;
                       await wait('[data-testid=file-row][data-path=\"/data/f050000\"]');
                       await painted();
                       const jumpLoaded = performance.now() - t;
                       const jumpRows = rows();
                       const jumpPending = pending();
                       steps.sort((a, b) => a - b);
                       done({ tab, open, openRows, count, jump, jumpLoaded, jumpRows, jumpPending,
                              step: steps[Math.floor(steps.length / 2)], worstStep: steps[steps.length - 1],
                              middle: !!document.querySelector('[data-testid=file-row][data-path=\"/data/f050010\"]') });
                     })();",
                    Vec::new(),
                )
                .await
                .map_err(|error| format!("timing the Files tab: {error}"))?;
            let ms = |key: &str| timings[key].as_f64().unwrap_or(f64::NAN);
            let count = |key: &str| timings[key].as_u64().unwrap_or(0);
            println!(
                "e2e: a directory of {COUNT} files in the real webview: Files tab painted {:.0} ms \
                 after the click; directory opened and painted {:.0} ms after the click ({} rows \
                 in the DOM); scroll steps painted in {:.0} ms (median), {:.0} ms (worst); jump \
                 to the middle painted in {:.0} ms, its page fetched and painted in {:.0} ms ({} \
                 rows in the DOM)",
                ms("tab"),
                ms("open"),
                count("openRows"),
                ms("step"),
                ms("worstStep"),
                ms("jump"),
                ms("jumpLoaded"),
                count("jumpRows"),
            );
            ensure_eq!(
                count("count"),
                (COUNT + 5) as u64,
                "rows in the tree (5 top-level entries and the directory's files)"
            );
            for key in ["openRows", "jumpRows"] {
                if !(10..=100).contains(&count(key)) {
                    return Err(format!("{} rows are in the DOM ({key})", count(key)));
                }
            }
            ensure_eq!(count("jumpPending"), 0, "rows still waiting for their page");
            ensure_eq!(
                timings["middle"].clone(),
                Value::from(true),
                "/data/f050010 shown after the jump"
            );
            screenshot(client, "details-files-many.png").await
        },
    )
    .await;
}

/// Opening a file of the Files tab shows its contents, read out of the layer that wrote it
/// (text as text, with its size, mode, step and SHA-256), and Save writes the whole file to
/// the Downloads folder; Escape closes the viewer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_tab_shows_a_files_contents_and_saves_it() {
    let fixture = Fixture::empty();
    fixture.add_packages_image("docker.io/library/e2e-packages:1.0", "1.0");
    let downloads = fixture.downloads();
    with_app(
        "files_tab_shows_a_files_contents_and_saves_it",
        &fixture,
        &[("GTK_THEME", "Adwaita")],
        async |client| {
            click(client, "[data-testid=image-open]").await?;
            click(client, "[data-testid=tab-files]").await?;
            row(client, "/etc").await?;
            open(client, "/etc").await?;
            row(client, "/etc/os-release").await?;
            click(
                client,
                "[data-testid=file-row][data-path=\"/etc/os-release\"] [data-testid=file-name]",
            )
            .await?;
            find(client, "[data-testid=file-viewer-text]").await?;
            let shown = script(
                client,
                "return document.querySelector('[data-testid=file-viewer-text]').textContent;",
            )
            .await?;
            ensure_eq!(
                shown,
                json!(porthole_e2e::DEBIAN_OS_RELEASE),
                "the viewer's text"
            );
            let meta = texts(client, "[data-testid=file-viewer-meta]").await?;
            let size = porthole_e2e::DEBIAN_OS_RELEASE.len();
            if !meta
                .first()
                .is_some_and(|m| m.contains("-rw-r--r-- 0:0") && m.contains("step 1"))
            {
                return Err(format!("the viewer's details read {meta:?} ({size} bytes)"));
            }
            screenshot(client, "details-file-viewer.png").await?;

            click(client, "[data-testid=file-viewer-save]").await?;
            find(client, "[data-testid=file-viewer-saved]").await?;
            let saved = downloads.join("e2e-packages-1.0.os-release");
            let bytes =
                std::fs::read(&saved).map_err(|e| format!("reading {}: {e}", saved.display()))?;
            ensure_eq!(
                bytes,
                porthole_e2e::DEBIAN_OS_RELEASE.as_bytes().to_vec(),
                "the saved file"
            );

            script(
                client,
                "document.querySelector('[data-testid=file-viewer]').dispatchEvent(
                   new KeyboardEvent('keydown', { key: 'Escape', bubbles: true })); return null;",
            )
            .await?;
            let open = script(
                client,
                "return document.querySelector('[data-testid=file-viewer]') !== null;",
            )
            .await?;
            ensure_eq!(open, json!(false), "the viewer after Escape");
            Ok(())
        },
    )
    .await;
}
