//! Image archives in the real, built app: an archive made by `porthole save` is loaded
//! through the app's `load_image_archive` command (what a file dropped on the window calls;
//! WebDriver cannot drop a file from outside the page, so the drop itself is covered by
//! `ui/src/lib/DropLoader.test.ts`) and appears on the Images page by itself; a file that is
//! not an archive is refused with a reason.

use std::io::Write as _;
use std::time::Duration;

use fantoccini::Client;
use porthole_e2e::app::{find, texts, until_eq, with_app};
use porthole_e2e::{Fixture, ensure_eq};
use serde_json::{Value, json};

/// Calls the app's `load_image_archive` command from the page; `Ok` with its answer, `Err`
/// with its rejection.
async fn load(client: &Client, path: &std::path::Path) -> Result<Result<Value, Value>, String> {
    let answer = client
        .execute_async(
            "const [path, done] = arguments;
             window.__TAURI_INTERNALS__.invoke('load_image_archive', { path })
               .then((ok) => done({ ok }), (error) => done({ error }));",
            vec![Value::from(path.display().to_string())],
        )
        .await
        .map_err(|error| format!("calling load_image_archive: {error}"))?;
    Ok(match answer.get("ok") {
        Some(ok) => Ok(ok.clone()),
        None => Err(answer["error"].clone()),
    })
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
            let answer = load(client, &archive).await?;
            ensure_eq!(
                answer,
                Ok(json!({ "images": ["docker.io/library/e2e-loaded:1.0"], "bytes": bytes })),
                "the command's answer"
            );
            // The store watch refreshes the page: no click needed.
            until_eq(
                "the listed images",
                vec!["e2e-loaded".to_owned()],
                async || texts(client, "[data-testid=image-name]").await,
            )
            .await?;

            let refused = load(client, &not_an_archive).await?;
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
