//! The image details page's Compare tab, in the real built app: two builds of one
//! repository (see `Fixture::add_packages_image_update`); the newer one's tab compares it
//! with the older by default and lists the packages and files that changed.

use fantoccini::Client;
use porthole_e2e::app::{
    Outcome, click, find, screenshot, script, text_of, texts, until_eq, with_app,
};
use porthole_e2e::osv::{OsvExportServer, use_offline_osv};
use porthole_e2e::{COMPARED_PACKAGES, Fixture, ensure_eq};
use serde_json::Value;

const OLD: &str = "docker.io/library/e2e-packages:1.0";
const NEW: &str = "docker.io/library/e2e-packages:1.1";

/// Opens the newer build's details on its Compare tab.
async fn open_compare(client: &Client) -> Outcome {
    find(client, "[data-testid=image-row]").await?;
    // Open the newer build (the list's order is the person's to choose).
    let opened = script(
        client,
        "const row = [...document.querySelectorAll('[data-testid=image-row]')]
           .find((r) => r.querySelector('[data-testid=image-tag]')?.textContent.trim() === '1.1');
         if (!row) return false;
         row.querySelector('[data-testid=image-open]').click();
         return true;",
    )
    .await?;
    ensure_eq!(
        opened,
        Value::from(true),
        "the 1.1 row was found and opened"
    );
    ensure_eq!(
        text_of(client, "[data-testid=details-reference]").await?,
        NEW.to_owned(),
        "the details page's reference"
    );
    click(client, "[data-testid=tab-compare]").await?;
    find(client, "[data-testid=compare-summary]").await?;
    Ok(())
}

async fn compare_tab(client: &Client, shot: &str) -> Outcome {
    open_compare(client).await?;
    ensure_eq!(
        text_of(client, "[data-testid=compare-direction]").await?,
        format!("From {OLD} to {NEW}"),
        "the default comparison"
    );
    ensure_eq!(
        text_of(client, "[data-testid=compare-layers]").await?,
        "3 → 3, the first 1 shared".to_owned(),
        "the layers line"
    );
    let line = text_of(client, "[data-testid=compare-packages-line]").await?;
    if !line.contains("2 upgraded") || !line.contains("1 added") || !line.contains("1 removed") {
        return Err(format!("the packages line reads {line:?}"));
    }
    let column = |i: usize| -> Vec<String> {
        COMPARED_PACKAGES
            .iter()
            .map(|row| [row.0, row.1, row.2, row.3][i].to_owned())
            .collect()
    };
    ensure_eq!(
        texts(client, "[data-testid=compare-package-mark]").await?,
        column(0),
        "the marks"
    );
    ensure_eq!(
        texts(client, "[data-testid=compare-package-name]").await?,
        column(1),
        "the names"
    );
    ensure_eq!(
        texts(client, "[data-testid=compare-package-from]").await?,
        column(2),
        "the old versions"
    );
    ensure_eq!(
        texts(client, "[data-testid=compare-package-to]").await?,
        column(3),
        "the new versions"
    );

    // The one run setting that changed.
    ensure_eq!(
        texts(client, "[data-testid=compare-config-setting]").await?,
        vec!["Environment CURL_HOME".to_owned()],
        "the changed settings"
    );
    ensure_eq!(
        texts(client, "[data-testid=compare-config-from]")
            .await?
            .into_iter()
            .chain(texts(client, "[data-testid=compare-config-to]").await?)
            .collect::<Vec<_>>(),
        vec!["(none)".to_owned(), "/etc/curl".to_owned()],
        "the setting's values"
    );

    // Files: the npm package's files swapped, curl and dpkg's database rewritten. The
    // shared first layer's files are unchanged.
    let paths = texts(client, "[data-testid=compare-file-path]").await?;
    let marks = texts(client, "[data-testid=compare-file-mark]").await?;
    let changes: Vec<String> = marks
        .iter()
        .zip(&paths)
        .map(|(m, p)| format!("{m} {p}"))
        .collect();
    ensure_eq!(
        changes,
        [
            "A /app/node_modules/is-even",
            "A /app/node_modules/is-even/package.json",
            "D /app/node_modules/left-pad",
            "D /app/node_modules/left-pad/package.json",
            "M /usr/bin/curl",
            "M /var/lib/dpkg/status",
        ]
        .map(str::to_owned)
        .to_vec(),
        "the changed files"
    );
    // dpkg's database grew by a few bytes: both sizes round to the same kB, so the exact
    // bytes are shown.
    let sizes = texts(client, "[data-testid=compare-file-size]").await?;
    let status = sizes.last().cloned().unwrap_or_default();
    let exact = status
        .split(" → ")
        .map(|side| side.strip_suffix(" B").map(|n| n.replace(',', "")))
        .collect::<Option<Vec<String>>>()
        .filter(|sides| sides.len() == 2 && sides.iter().all(|n| n.parse::<u64>().is_ok()));
    if exact.is_none() {
        return Err(format!("the status file's sizes read {status:?}"));
    }
    screenshot(client, shot).await?;
    if !shot.contains("dark") {
        script(
            client,
            "const main = document.querySelector('#main');
             const title = document.querySelector('#compare-config-title');
             main.scrollTop += title.getBoundingClientRect().top - main.getBoundingClientRect().top - 16;
             return null;",
        )
        .await?;
        screenshot(client, "details-compare-files.png").await?;

        // dpkg's database opens as a unified diff: curl's and libcurl4's versions, and
        // curl's dependency on libcurl4.
        click(
            client,
            "button[data-testid=compare-file-path][title$=\"/var/lib/dpkg/status\"]",
        )
        .await?;
        find(client, "[data-testid=file-diff-text]").await?;
        let lines = script(
            client,
            "return [...document.querySelectorAll('[data-testid=file-diff-text] [data-kind]')]
               .filter((l) => l.dataset.kind === 'added' || l.dataset.kind === 'removed')
               .map((l) => l.textContent.trimEnd());",
        )
        .await?;
        ensure_eq!(
            lines,
            serde_json::json!([
                "-Version: 7.88.1-10+deb12u5",
                "-Depends: libc6 (>= 2.34), libcurl4 (= 7.88.1-10+deb12u5)",
                "+Version: 7.88.1-10+deb12u10",
                "+Depends: libc6 (>= 2.34), libcurl4 (= 7.88.1-10+deb12u10)",
                "-Version: 7.88.1-10+deb12u5",
                "+Version: 7.88.1-10+deb12u10",
            ]),
            "the status file's diff"
        );
        screenshot(client, "details-compare-file-diff.png").await?;
        click(client, "[data-testid=file-diff-close]").await?;
    }

    // The Removed chip keeps only left-pad; Swap compares the other way round.
    click(
        client,
        "[data-testid=compare-packages-chip][data-kind=removed]",
    )
    .await?;
    until_eq(
        "the removed packages",
        vec!["left-pad".to_owned()],
        async || texts(client, "[data-testid=compare-package-name]").await,
    )
    .await?;
    click(client, "[data-testid=compare-swap]").await?;
    until_eq(
        "the swapped comparison",
        format!("From {NEW} to {OLD}"),
        async || text_of(client, "[data-testid=compare-direction]").await,
    )
    .await?;
    // The Removed chip stays on: what the old build lacks is now the removed package.
    until_eq(
        "the removed packages once swapped",
        vec!["is-even".to_owned()],
        async || texts(client, "[data-testid=compare-package-name]").await,
    )
    .await?;
    Ok(())
}

fn fixture() -> Fixture {
    let fixture = Fixture::empty();
    fixture.add_packages_image(OLD, "1.0");
    fixture.add_packages_image_update(NEW, "1.1");
    fixture
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compare_tab_shows_what_changed_since_the_previous_build() {
    let fixture = fixture();
    with_app(
        "compare_tab_shows_what_changed_since_the_previous_build",
        &fixture,
        &[("GTK_THEME", "Adwaita")],
        async |client| compare_tab(client, "details-compare.png").await,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compare_tab_follows_a_dark_system_theme() {
    let fixture = fixture();
    with_app(
        "compare_tab_follows_a_dark_system_theme",
        &fixture,
        &[("GTK_THEME", "Adwaita:dark")],
        async |client| compare_tab(client, "details-compare-dark.png").await,
    )
    .await;
}

/// Both builds scanned against an offline database imported from the OSV export served on
/// loopback (the OSV API is a dead port): the newer build's curl fixes both curl advisories
/// in curl and libcurl4; glibc's stays.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compare_tab_compares_the_vulnerabilities_of_both_builds() {
    let server = OsvExportServer::start();
    let fixture = fixture();
    use_offline_osv(&fixture, &server, true).await;
    with_app(
        "compare_tab_compares_the_vulnerabilities_of_both_builds",
        &fixture,
        &[("GTK_THEME", "Adwaita")],
        async |client| {
            open_compare(client).await?;
            click(client, "[data-testid=compare-vulns-run]").await?;
            find(client, "[data-testid=compare-vulns-line]").await?;
            let line = text_of(client, "[data-testid=compare-vulns-line]").await?;
            if !line.starts_with("5 → 1 findings: 4 fixed, 0 introduced, 1 in both") {
                return Err(format!("the vulnerabilities line reads {line:?}"));
            }
            let source = text_of(client, "[data-testid=compare-vulns-source]").await?;
            if !source.starts_with("From the offline database") {
                return Err(format!("the source reads {source:?}"));
            }
            let rows: Vec<String> = texts(client, "[data-testid=compare-vuln-change]")
                .await?
                .into_iter()
                .zip(texts(client, "[data-testid=compare-vuln-id]").await?)
                .zip(texts(client, "[data-testid=compare-vuln-package]").await?)
                .map(|((change, id), package)| format!("{change} {id} {package}"))
                .collect();
            ensure_eq!(
                rows,
                [
                    "Fixed DSA-9001-1 curl",
                    "Fixed DSA-9001-1 libcurl4",
                    "Fixed DEBIAN-CVE-2023-0001 curl",
                    "Fixed DEBIAN-CVE-2023-0001 libcurl4",
                ]
                .map(str::to_owned)
                .to_vec(),
                "the advisories fixed"
            );
            script(
                client,
                "const main = document.querySelector('#main');
                 const title = document.querySelector('#compare-vulns-title');
                 main.scrollTop += title.getBoundingClientRect().top - main.getBoundingClientRect().top - 16;
                 return null;",
            )
            .await?;
            screenshot(client, "details-compare-vulns.png").await
        },
    )
    .await;
}

/// The Images page: choosing the two builds enables Compare, which opens the newer one's
/// Compare tab against the older.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_images_chosen_on_the_images_page_open_compared() {
    let fixture = fixture();
    with_app(
        "two_images_chosen_on_the_images_page_open_compared",
        &fixture,
        &[("GTK_THEME", "Adwaita")],
        async |client| {
            find(client, "[data-testid=image-row]").await?;
            let disabled = find(client, "[data-testid=images-compare-selected]")
                .await?
                .attr("disabled")
                .await
                .map_err(|e| e.to_string())?;
            ensure_eq!(
                disabled.is_some(),
                true,
                "Compare with nothing chosen is disabled"
            );
            for checkbox in client
                .find_all(fantoccini::Locator::Css("[data-testid=image-select]"))
                .await
                .map_err(|e| e.to_string())?
            {
                checkbox.click().await.map_err(|e| e.to_string())?;
            }
            screenshot(client, "images-compare-chosen.png").await?;
            click(client, "[data-testid=images-compare-selected]").await?;
            find(client, "[data-testid=compare-summary]").await?;
            ensure_eq!(
                text_of(client, "[data-testid=details-reference]").await?,
                NEW.to_owned(),
                "the page opened"
            );
            ensure_eq!(
                text_of(client, "[data-testid=compare-direction]").await?,
                format!("From {OLD} to {NEW}"),
                "the comparison"
            );
            let selected = find(client, "[data-testid=tab-compare]")
                .await?
                .attr("aria-selected")
                .await
                .map_err(|e| e.to_string())?;
            ensure_eq!(selected, Some("true".to_owned()), "the Compare tab is open");
            Ok(())
        },
    )
    .await;
}
