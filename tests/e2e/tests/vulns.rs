//! The Vulnerabilities tab, the header's counts and Export (SBOM, image archive), in the real built app: the
//! packages image of `packages.rs`, checked against an offline database imported from an OSV
//! export served on 127.0.0.1 (`porthole_e2e::osv`). The OSV API URL is a dead loopback
//! port, so nothing leaves the machine.

use std::time::Duration;

use fantoccini::Client;
use porthole_e2e::app::{
    Outcome, click, find, screenshot, script, text_of, texts, until_eq, with_app,
};
use porthole_e2e::osv::{HOSTILE_SUMMARY, OsvExportServer, VULNS_IMAGE, use_offline_osv};
use porthole_e2e::{Fixture, ensure_eq};
use serde_json::{Value, json};

const IMAGE: &str = "docker.io/library/e2e-packages:1.0";

/// The packages image, the settings file pointing at `server` (and a dead OSV API), and,
/// when `import` is set, the offline database imported from `server` (with the engine call
/// the Settings page's Update button makes; the light-theme test clicks the button).
async fn prepared(server: &OsvExportServer, import: bool) -> Fixture {
    let fixture = Fixture::empty();
    fixture.add_packages_image(IMAGE, "1.0");
    use_offline_osv(&fixture, server, import).await;
    fixture
}

/// Opens the image and its Vulnerabilities tab, and checks every finding, the header's
/// counts, the source, the step, the fixes and the packages not checked.
async fn vulnerabilities_tab(client: &Client) -> Outcome {
    click(client, "[data-testid=image-open]").await?;
    ensure_eq!(
        text_of(client, "[data-testid=details-reference]").await?,
        IMAGE.to_owned(),
        "the details page's reference"
    );
    click(client, "[data-testid=tab-vulnerabilities]").await?;
    find(client, "[data-testid=vulns-group]").await?;

    let rows = script(
        client,
        "return [...document.querySelectorAll('[data-testid=vulns-finding]')].map(f => [
           f.closest('[data-testid=vulns-group]').querySelector('[data-testid=vulns-group-package]').textContent.trim(),
           f.querySelector('[data-testid=vulns-id]').textContent.trim(),
           f.querySelector('[data-testid=vulns-severity]').textContent.trim()]);",
    )
    .await?;
    let expected: Vec<Value> = VULNS_IMAGE
        .iter()
        .map(|&(p, id, severity)| json!([p, id, severity]))
        .collect();
    ensure_eq!(rows, Value::from(expected), "the findings, by package");

    ensure_eq!(
        texts(client, "[data-testid=details-vuln-count]").await?,
        vec![
            "2 critical".to_owned(),
            "1 high".to_owned(),
            "2 low".to_owned()
        ],
        "the header's severity counts"
    );
    ensure_eq!(
        texts(client, "[data-testid=vulns-chip]").await?,
        vec![
            "All 5".to_owned(),
            "Critical 2".to_owned(),
            "High 1".to_owned(),
            "Low 2".to_owned()
        ],
        "the severity chips"
    );
    let source = text_of(client, "[data-testid=vulns-source]").await?;
    if !source.starts_with("Checked against the offline database, updated") {
        return Err(format!("the source line reads {source:?}"));
    }
    // The advisory's markup is text, and makes no element.
    let summaries = texts(client, "[data-testid=vulns-summary]").await?;
    if !summaries.iter().any(|s| s == HOSTILE_SUMMARY) {
        return Err(format!("the summaries read {summaries:?}"));
    }
    let made = script(
        client,
        "return document.querySelectorAll('[data-testid=vulns-tab] img, [data-testid=vulns-tab] a').length;",
    )
    .await?;
    ensure_eq!(made, Value::from(0), "elements made from advisory text");
    ensure_eq!(
        texts(client, "[data-testid=vulns-alias]").await?[0].clone(),
        "CVE-2024-2398".to_owned(),
        "the first finding's CVE"
    );
    // curl came with step 3: its command is the step's tooltip.
    let step = script(
        client,
        "const s = document.querySelector('[data-testid=vulns-group-step]'); return [s.textContent.trim(), s.title];",
    )
    .await?;
    ensure_eq!(
        step,
        json!(["Step 3", "Step 3: RUN apt-get install -y curl"]),
        "curl's introducing step"
    );
    let versions = texts(client, "[data-testid=vulns-versions]").await?;
    ensure_eq!(
        versions[0].clone(),
        "7.88.1-10+deb12u5 → 7.88.1-10+deb12u6".to_owned(),
        "curl's installed and fixed versions"
    );
    let fixes = texts(client, "[data-testid=vulns-fix-package]").await?;
    if fixes.first().map(String::as_str) != Some("curl") {
        return Err(format!("the recommended fixes name {fixes:?}"));
    }
    let uncovered = text_of(client, "[data-testid=vulns-not-covered] summary").await?;
    if !uncovered.starts_with("2 packages were not checked") {
        return Err(format!("the packages not checked read {uncovered:?}"));
    }
    Ok(())
}

/// Back on the Images page after a scan: the image's row shows the scan's counts (kept in
/// the store by the engine), with the words for screen readers, and names and rows work as
/// before (the column must not squeeze the name out in the real webview).
async fn images_show_the_counts(client: &Client, shot: &str) -> Outcome {
    click(client, "[data-testid=details-back]").await?;
    find(client, "[data-testid=image-vuln-badge]").await?;
    let badges = script(
        client,
        "return [...document.querySelectorAll('[data-testid=image-vuln-badge]')].map(b => [b.dataset.level, b.textContent.trim()]);",
    )
    .await?;
    ensure_eq!(
        badges,
        json!([
            ["critical", "C2"],
            ["high", "H1"],
            ["medium", "M0"],
            ["low", "L2"]
        ]),
        "the row's severity badges"
    );
    ensure_eq!(
        script(
            client,
            "return document.querySelector('[data-testid=image-vulns-text]').textContent.trim();"
        )
        .await?,
        Value::from("2 critical, 1 high, 0 medium, 2 low"),
        "the counts in words"
    );
    ensure_eq!(
        text_of(client, "[data-testid=image-name]").await?,
        "e2e-packages".to_owned(),
        "the name beside the new column"
    );
    let widths = script(
        client,
        "return ['name', 'vulns'].map(id => Math.round(document.querySelector(`[data-testid=image-${id}]`).getBoundingClientRect().width));",
    )
    .await?;
    println!("e2e: Images column widths (name, vulnerabilities): {widths}");
    if widths[0].as_i64().unwrap_or(0) < 120 {
        return Err(format!("the name column is squeezed: {widths}"));
    }
    screenshot(client, shot).await?;
    // Every badge shows whole (the cell clips what overflows).
    let clipped = script(
        client,
        "const cell = document.querySelector('[data-testid=image-vulns]').getBoundingClientRect();
         return [...document.querySelectorAll('[data-testid=image-vuln-badge]')]
           .filter(b => b.getBoundingClientRect().right > cell.right).length;",
    )
    .await?;
    ensure_eq!(clipped, Value::from(0), "badges cut off by the cell");
    // A click on the row (here its Created cell) still opens its image, and the header
    // shows the kept counts at once.
    click(
        client,
        "[data-testid=image-row] [data-testid=image-created]",
    )
    .await?;
    ensure_eq!(
        text_of(client, "[data-testid=details-reference]").await?,
        IMAGE.to_owned(),
        "the details page opened from the row"
    );
    let cached = text_of(client, "[data-testid=details-vuln-cached]").await?;
    if !cached.starts_with("2 critical") {
        return Err(format!("the header's kept counts read {cached:?}"));
    }
    Ok(())
}

/// Export → SBOM: CycloneDX, then Export → Image archive: each file lands in the Downloads
/// directory, and the page says so.
async fn export_sbom(client: &Client, fixture: &Fixture) -> Outcome {
    click(client, "[data-testid=export-button]").await?;
    click(client, "[data-testid=export-item][data-kind=cyclonedx]").await?;
    let shown = text_of(client, "[data-testid=export-path]").await?;
    let expected = fixture.downloads().join("e2e-packages-1.0.cdx.json");
    ensure_eq!(shown, expected.display().to_string(), "where the SBOM went");
    let bom: Value = serde_json::from_slice(
        &std::fs::read(&expected).map_err(|e| format!("reading {}: {e}", expected.display()))?,
    )
    .map_err(|e| format!("the SBOM is not JSON: {e}"))?;
    ensure_eq!(bom["bomFormat"], json!("CycloneDX"), "the SBOM's format");
    let names: Vec<&str> = bom["components"]
        .as_array()
        .map(|all| all.iter().filter_map(|c| c["name"].as_str()).collect())
        .unwrap_or_default();
    for name in ["curl", "libcurl4", "left-pad"] {
        if !names.contains(&name) {
            return Err(format!("the SBOM's components {names:?} lack {name}"));
        }
    }

    click(client, "[data-testid=export-button]").await?;
    click(client, "[data-testid=export-item][data-kind=archive]").await?;
    let archive = fixture.downloads().join("e2e-packages-1.0.tar");
    until_eq(
        "where the archive went",
        archive.display().to_string(),
        async || text_of(client, "[data-testid=export-path]").await,
    )
    .await?;
    let mut tar = tar::Archive::new(
        std::fs::File::open(&archive).map_err(|e| format!("reading {}: {e}", archive.display()))?,
    );
    let mut manifest = None;
    for entry in tar.entries().map_err(|e| e.to_string())? {
        let mut entry = entry.map_err(|e| e.to_string())?;
        if entry.path().map_err(|e| e.to_string())?.as_os_str() == "manifest.json" {
            manifest =
                Some(serde_json::from_reader::<_, Value>(&mut entry).map_err(|e| e.to_string())?);
        }
    }
    let manifest = manifest.ok_or("the archive has no manifest.json")?;
    ensure_eq!(
        manifest[0]["RepoTags"],
        json!(["e2e-packages:1.0"]),
        "the tag docker load gives the image"
    );

    let mut leftovers: Vec<String> = std::fs::read_dir(fixture.downloads())
        .map_err(|e| e.to_string())?
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    leftovers.sort();
    ensure_eq!(
        leftovers,
        vec![
            "e2e-packages-1.0.cdx.json".to_owned(),
            "e2e-packages-1.0.tar".to_owned()
        ],
        "the Downloads directory (no temporary file left)"
    );
    Ok(())
}

/// Settings: the config file's values are shown, and Update imports Debian's export from
/// the loopback server, with its progress.
async fn import_through_settings(
    client: &Client,
    fixture: &Fixture,
    server: &OsvExportServer,
) -> Outcome {
    click(client, "[data-testid=nav-settings]").await?;
    ensure_eq!(
        text_of(client, "[data-testid=settings-path]").await?,
        fixture.config_file().display().to_string(),
        "the settings file shown"
    );
    let value = |id: &str| format!("return document.querySelector('[data-testid={id}]').value;");
    ensure_eq!(
        script(client, &value("settings-osvDataUrl")).await?,
        Value::from(server.url()),
        "the OSV data URL shown"
    );
    let api = script(client, &value("settings-osvApiUrl")).await?;
    if !api
        .as_str()
        .is_some_and(|a| a.starts_with("http://127.0.0.1:"))
    {
        return Err(format!("the OSV API URL shows {api}"));
    }
    ensure_eq!(
        script(client, &value("settings-jobs")).await?,
        Value::from(""),
        "the (default) concurrent downloads"
    );
    let status = text_of(client, "[data-testid=vulndb-status]").await?;
    if !status.starts_with("Not imported yet") {
        return Err(format!("the database status reads {status:?}"));
    }
    click(client, "[data-testid=vulndb-choose][data-ecosystem=Debian]").await?;
    click(client, "[data-testid=vulndb-update]").await?;
    find(client, "[data-testid=vulndb-done]")
        .await
        .map_err(|e| format!("the update did not finish: {e}"))?;
    let progress = texts(client, "[data-testid=vulndb-progress] li").await?;
    ensure_eq!(
        progress.last().cloned().unwrap_or_default(),
        "Debian: imported 3 advisories".to_owned(),
        "the update's last progress line"
    );
    ensure_eq!(
        texts(client, "[data-testid=vulndb-ecosystem]").await?.len(),
        1,
        "the imported ecosystems"
    );
    screenshot(client, "settings.png").await?;
    click(client, "[data-testid=nav-images]").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vulnerabilities_tab_lists_findings_and_exports_an_sbom() {
    let server = OsvExportServer::start();
    let fixture = prepared(&server, false).await;
    let light = [("GTK_THEME", "Adwaita")];
    with_app(
        "vulnerabilities_tab_lists_findings_and_exports_an_sbom",
        &fixture,
        &light,
        async |client| {
            import_through_settings(client, &fixture, &server).await?;
            vulnerabilities_tab(client).await?;
            screenshot(client, "details-vulns.png").await?;
            export_sbom(client, &fixture).await?;
            screenshot(client, "details-sbom-exported.png").await?;
            images_show_the_counts(client, "images-vulns.png").await
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vulnerabilities_tab_follows_a_dark_system_theme() {
    let server = OsvExportServer::start();
    let fixture = prepared(&server, true).await;
    let dark = [("GTK_THEME", "Adwaita:dark")];
    with_app(
        "vulnerabilities_tab_follows_a_dark_system_theme",
        &fixture,
        &dark,
        async |client| {
            // The offline database was imported before the app started: the Images page
            // counts the never-scanned image in the background, without opening it.
            let started = std::time::Instant::now();
            find(client, "[data-testid=image-vuln-badge]").await?;
            println!(
                "e2e: background counts shown {} ms after the page was found",
                started.elapsed().as_millis()
            );
            ensure_eq!(
                script(
                    client,
                    "return document.querySelector('[data-testid=image-vulns-text]').textContent.trim();"
                )
                .await?,
                Value::from("2 critical, 1 high, 0 medium, 2 low"),
                "the counts found in the background"
            );
            vulnerabilities_tab(client).await?;
            screenshot(client, "details-vulns-dark.png").await?;
            images_show_the_counts(client, "images-vulns-dark.png").await
        },
    )
    .await;
}

/// No offline database and an OSV API that cannot be reached: an error that says what to
/// do, distinct from "no known vulnerabilities", with Retry.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vulnerabilities_tab_says_when_osv_cannot_be_reached() {
    let server = OsvExportServer::start();
    let fixture = prepared(&server, false).await;
    with_app(
        "vulnerabilities_tab_says_when_osv_cannot_be_reached",
        &fixture,
        &[],
        async |client| {
            click(client, "[data-testid=image-open]").await?;
            click(client, "[data-testid=tab-vulnerabilities]").await?;
            let headline = text_of(client, "[data-testid=vulns-error-headline]").await?;
            ensure_eq!(
                headline,
                "OSV could not be reached — import the offline database in Settings, or retry."
                    .to_owned(),
                "the error's headline"
            );
            let message = text_of(client, "[data-testid=vulns-error-message]").await?;
            if !message.contains("127.0.0.1")
                || !message.contains(": connection refused (check the network")
                || message.contains("error sending request")
            {
                return Err(format!("the error's detail reads {message:?}"));
            }
            click(client, "[data-testid=vulns-retry]").await?;
            tokio::time::sleep(Duration::from_millis(300)).await;
            find(client, "[data-testid=vulns-error]").await?;
            ensure_eq!(
                script(
                    client,
                    "return document.querySelectorAll('[data-testid=vulns-empty]').length;"
                )
                .await?,
                Value::from(0),
                "empty states shown with the error"
            );
            screenshot(client, "details-vulns-error.png").await
        },
    )
    .await;
}
