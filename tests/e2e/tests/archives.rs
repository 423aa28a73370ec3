//! Image archives in the real, built app: an archive made by `porthole save` is loaded
//! through the app's `load_image_archive` command (what a file dropped on the window calls;
//! WebDriver cannot drop a file from outside the page, so the drop itself is covered by
//! `ui/src/lib/DropLoader.test.ts`), reporting the bytes read over its channel, and appears
//! on the Images page by itself; a file that is not an archive is refused with a reason.
//! Export → Image archive shows its bytes written with a bar and Cancel, and ends with the
//! file in Downloads; cancelled, it says so and leaves no file.

use std::io::Write as _;
use std::time::{Duration, Instant};

use fantoccini::Client;
use porthole_e2e::app::{click, find, screenshot, script, text_of, texts, until_eq, with_app};
use porthole_e2e::{Fixture, ensure_eq, format_size};
use serde_json::{Value, json};

/// Calls the app's `load_image_archive` command from the page as `id`, its progress events
/// kept in `window.__archiveEvents[id]`; `Ok` with its answer, `Err` with its rejection.
async fn load(
    client: &Client,
    id: &str,
    path: &std::path::Path,
) -> Result<Result<Value, Value>, String> {
    let answer = client
        .execute_async(
            "const [archiveId, path, done] = arguments;
             const events = [];
             (window.__archiveEvents ??= {})[archiveId] = events;
             // What `new Channel()` of @tauri-apps/api sends: a callback's id.
             const channel = window.__TAURI_INTERNALS__.transformCallback((raw) => {
               if ('message' in raw) events.push(raw.message);
             });
             window.__TAURI_INTERNALS__
               .invoke('load_image_archive', { archiveId, path, onProgress: `__CHANNEL__:${channel}` })
               .then((ok) => done({ ok }), (error) => done({ error }));",
            vec![Value::from(id), Value::from(path.display().to_string())],
        )
        .await
        .map_err(|error| format!("calling load_image_archive: {error}"))?;
    Ok(match answer.get("ok") {
        Some(ok) => Ok(ok.clone()),
        None => Err(answer["error"].clone()),
    })
}

/// The progress events of the archive command `id` (see [`load`]), as `(done, total)`.
async fn events(client: &Client, id: &str) -> Result<Vec<(u64, Option<u64>)>, String> {
    let all = script(
        client,
        &format!(
            "return (window.__archiveEvents ?? {{}})[{}] ?? [];",
            Value::from(id)
        ),
    )
    .await?;
    Ok(all
        .as_array()
        .map(|all| {
            all.iter()
                .map(|e| (e["done"].as_u64().unwrap_or(u64::MAX), e["total"].as_u64()))
                .collect()
        })
        .unwrap_or_default())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_image_archive_is_loaded_and_listed() {
    // The archive: an image of another store, saved as `porthole save` saves it.
    let source = Fixture::empty();
    let image = source.add_image(
        "docker.io/library/e2e-loaded:1.0",
        "1.0",
        50_000,
        Duration::from_secs(86_400),
    );
    let archive = source.downloads().join("e2e-loaded.tar");
    let mut out = std::io::BufWriter::new(std::fs::File::create(&archive).unwrap());
    source
        .store()
        .write_archive(
            std::slice::from_ref(&image),
            &mut out,
            &tokio_util::sync::CancellationToken::new(),
        )
        .expect("save the source image");
    out.flush().unwrap();
    drop(out);
    // Its blobs: the manifest, and the config and layers the Images page counts.
    let manifest = source.store().read_blob(&image.digest, 1 << 20).unwrap();
    let bytes = image.size + manifest.len() as u64;
    let not_an_archive = source.downloads().join("notes.txt");
    std::fs::write(&not_an_archive, "not an image archive").unwrap();

    let fixture = Fixture::empty();
    with_app(
        "an_image_archive_is_loaded_and_listed",
        &fixture,
        &[],
        async |client| {
            find(client, "[data-testid=images-empty]").await?;
            let answer = load(client, "load-1", &archive).await?;
            ensure_eq!(
                answer,
                Ok(json!({ "images": ["docker.io/library/e2e-loaded:1.0"], "bytes": bytes })),
                "the command's answer"
            );
            // The bytes of the file read, from none to all of them (the last event may come
            // just after the answer).
            let size = std::fs::metadata(&archive)
                .map_err(|e| e.to_string())?
                .len();
            until_eq(
                "the last progress event of the load",
                Some((size, Some(size))),
                async || Ok(events(client, "load-1").await?.last().copied()),
            )
            .await?;
            let seen = events(client, "load-1").await?;
            ensure_eq!(
                seen.first(),
                Some(&(0, Some(size))),
                "the first progress event"
            );
            if seen.windows(2).any(|w| w[1].0 < w[0].0) || seen.iter().any(|e| e.0 > size) {
                return Err(format!(
                    "the load's progress went back or beyond the file: {seen:?}"
                ));
            }
            // The store watch refreshes the page: no click needed.
            until_eq(
                "the listed images",
                vec!["e2e-loaded".to_owned()],
                async || texts(client, "[data-testid=image-name]").await,
            )
            .await?;

            let refused = load(client, "load-2", &not_an_archive).await?;
            let Err(error) = refused else {
                return Err(format!("a text file was loaded: {refused:?}"));
            };
            ensure_eq!(error["code"], json!("invalidInput"), "the refusal's code");
            let message = error["message"].as_str().unwrap_or_default();
            if !message.contains("cannot be read as a tar") {
                return Err(format!("the refusal reads {message:?}"));
            }
            Ok(())
        },
    )
    .await;
}

/// The image saved: big enough that its archive takes a while to write, so that the page
/// shows the save's progress and a Cancel pressed as soon as that shows lands in time.
const SAVED: &str = "docker.io/library/e2e-saved:1.0";
const SAVED_PAYLOAD: usize = 128_000_000;

/// Keeps, in `window.__saveSeen`, every text the save's byte count showed, the bar's values
/// and the Cancel button's name; with `cancel`, presses Cancel as soon as the first count out
/// of the total shows.
async fn watch_the_save(client: &Client, cancel: bool) -> Result<(), String> {
    script(
        client,
        &format!(
            "const cancel = {cancel};
             const seen = (window.__saveSeen = {{ bytes: [], values: [], cancelName: null, pressed: false }});
             const observer = new MutationObserver(() => {{
               const bytes = document.querySelector('[data-testid=export-progress-bytes]');
               const text = bytes?.textContent.trim();
               if (text && seen.bytes[seen.bytes.length - 1] !== text) seen.bytes.push(text);
               const value = document.querySelector('[data-testid=export-progress-bar]')?.getAttribute('aria-valuenow');
               if (value && seen.values[seen.values.length - 1] !== value) seen.values.push(value);
               const button = document.querySelector('[data-testid=export-cancel]');
               if (button) seen.cancelName = button.getAttribute('aria-label');
               if (cancel && button && !seen.pressed && text?.includes(' of ')) {{
                 seen.pressed = true;
                 button.click();
               }}
               // Done once this save (seen running) has ended; an earlier one's result may
               // still show when watching starts.
               if (seen.bytes.length > 0 && !bytes) {{
                 observer.disconnect();
               }}
             }});
             observer.observe(document.body, {{ subtree: true, childList: true, characterData: true, attributes: true }});
             return true;"
        ),
    )
    .await?;
    Ok(())
}

async fn seen(client: &Client) -> Result<Value, String> {
    script(client, "return window.__saveSeen;").await
}

/// The names of the files in the Downloads directory, sorted.
fn downloads(fixture: &Fixture) -> Result<Vec<String>, String> {
    let mut names: Vec<String> = std::fs::read_dir(fixture.downloads())
        .map_err(|e| e.to_string())?
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    Ok(names)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_image_archive_is_saved_with_progress_and_a_save_can_be_cancelled() {
    let fixture = Fixture::empty();
    let image = fixture.add_image(SAVED, "1.0", SAVED_PAYLOAD, Duration::from_secs(86_400));
    let archive = fixture.downloads().join("e2e-saved-1.0.tar");
    with_app(
        "an_image_archive_is_saved_with_progress_and_a_save_can_be_cancelled",
        &fixture,
        &[("GTK_THEME", "Adwaita")],
        async |client| {
            click(client, "[data-testid=image-row] [data-testid=image-open]").await?;
            ensure_eq!(
                text_of(client, "[data-testid=details-reference]").await?,
                SAVED.to_owned(),
                "the details page"
            );

            // A save, watched from start to end.
            watch_the_save(client, false).await?;
            let started = Instant::now();
            click(client, "[data-testid=export-button]").await?;
            click(client, "[data-testid=export-item][data-kind=archive]").await?;
            until_eq(
                "where the archive went",
                archive.display().to_string(),
                async || text_of(client, "[data-testid=export-path]").await,
            )
            .await?;
            println!("e2e: the {} archive was saved in {:?}", format_size(image.size), started.elapsed());
            let seen_saving = seen(client).await?;
            println!("e2e: the save showed {seen_saving}");
            let total = format!(" of {}", format_size(image.size));
            let shown: Vec<&str> = seen_saving["bytes"]
                .as_array()
                .map(|all| all.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            if !shown.iter().any(|text| text.ends_with(&total)) {
                return Err(format!("the save never showed its bytes out of{total}: {shown:?}"));
            }
            ensure_eq!(
                seen_saving["cancelName"],
                json!("Cancel saving the image archive"),
                "the Cancel button's name while saving"
            );
            let written = std::fs::metadata(&archive).map_err(|e| e.to_string())?.len();
            if written < image.size {
                return Err(format!("the archive is {written} bytes, less than the image's {}", image.size));
            }
            let result = text_of(client, "[data-testid=export-result]").await?;
            if !result.starts_with("Saved the image (") {
                return Err(format!("the result reads {result:?}"));
            }
            ensure_eq!(
                downloads(&fixture)?,
                vec!["e2e-saved-1.0.tar".to_owned()],
                "the Downloads directory after the save"
            );
            screenshot(client, "details-archive-saved.png").await?;

            // Again, cancelled as soon as its progress shows: no file is left.
            std::fs::remove_file(&archive).map_err(|e| e.to_string())?;
            watch_the_save(client, true).await?;
            click(client, "[data-testid=export-button]").await?;
            click(client, "[data-testid=export-item][data-kind=archive]").await?;
            find(
                client,
                "[data-testid=export-cancelled], [data-testid=export-result], [data-testid=export-error]",
            )
            .await?;
            let seen_cancelling = seen(client).await?;
            if seen_cancelling["pressed"] != json!(true) {
                return Err(format!("Cancel was never pressed: {seen_cancelling}"));
            }
            let Ok(cancelled) = text_of(client, "[data-testid=export-cancelled]").await else {
                return Err(format!(
                    "the save ended otherwise than cancelled, though Cancel was pressed as its \
                     progress first showed ({seen_cancelling}): {:?}",
                    texts(client, "[data-testid=export-result], [data-testid=export-error]").await?
                ));
            };
            ensure_eq!(
                cancelled,
                "Cancelled: the image archive was not saved.".to_owned(),
                "what a cancelled save says"
            );
            ensure_eq!(
                downloads(&fixture)?,
                Vec::<String>::new(),
                "the Downloads directory after a cancelled save (no archive, no temporary file)"
            );
            screenshot(client, "details-archive-cancelled.png").await
        },
    )
    .await;
}

/// Export → Filesystem writes the image's final filesystem as one tar to Downloads (what
/// `porthole export` writes): GNU tar lists its paths, and a file extracted from it is the
/// image's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_images_filesystem_is_exported_as_one_tar() {
    let fixture = Fixture::empty();
    fixture.add_packages_image("docker.io/library/e2e-packages:1.0", "1.0");
    let tarball = fixture.downloads().join("e2e-packages-1.0.rootfs.tar");
    with_app(
        "an_images_filesystem_is_exported_as_one_tar",
        &fixture,
        &[("GTK_THEME", "Adwaita")],
        async |client| {
            click(client, "[data-testid=image-row] [data-testid=image-open]").await?;
            click(client, "[data-testid=export-button]").await?;
            click(client, "[data-testid=export-item][data-kind=filesystem]").await?;
            until_eq(
                "where the filesystem went",
                tarball.display().to_string(),
                async || text_of(client, "[data-testid=export-path]").await,
            )
            .await?;
            let result = text_of(client, "[data-testid=export-result]").await?;
            if !result.starts_with("Saved the image’s filesystem (") {
                return Err(format!("the result reads {result:?}"));
            }
            Ok(())
        },
    )
    .await;
    let listed = std::process::Command::new("tar")
        .arg("-tf")
        .arg(&tarball)
        .output()
        .expect("GNU tar");
    assert!(listed.status.success(), "tar -tf failed: {listed:?}");
    let names = String::from_utf8_lossy(&listed.stdout);
    for path in ["etc/os-release", "var/lib/dpkg/status", "usr/bin/curl"] {
        assert!(
            names.lines().any(|l| l == path),
            "{path} is not in the export: {names}"
        );
    }
    let os_release = std::process::Command::new("tar")
        .arg("-xOf")
        .arg(&tarball)
        .arg("etc/os-release")
        .output()
        .expect("GNU tar");
    assert_eq!(
        String::from_utf8_lossy(&os_release.stdout),
        porthole_e2e::DEBIAN_OS_RELEASE
    );
}
