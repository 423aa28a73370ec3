//! The image details page's Packages tab and the OS in its header, in the real built app:
//! an image whose layers hold an os-release, a dpkg database (rewritten by a later step)
//! and npm packages (see `Fixture::add_packages_image`).

use fantoccini::{Client, Locator};
use porthole_e2e::app::{Outcome, click, find, screenshot, script, text_of, texts, with_app};
use porthole_e2e::{Fixture, PACKAGES_IMAGE, ensure_eq};
use serde_json::Value;

/// Opens the image's details, checks the header's OS and package count, opens the Packages
/// tab and reads its rows; selects `libcurl4` and takes the screenshot; then filters.
async fn packages_tab(client: &Client, shot: &str) -> Outcome {
    click(client, "[data-testid=image-open]").await?;
    let reference = text_of(client, "[data-testid=details-reference]").await?;
    ensure_eq!(
        reference,
        "docker.io/library/e2e-packages:1.0".to_owned(),
        "the details page's reference"
    );
    // The header learns the OS and the count from the packages, fetched with the details.
    find(client, "[data-testid=details-package-count]").await?;
    ensure_eq!(
        text_of(client, "[data-testid=details-os]").await?,
        "Debian GNU/Linux 12 (bookworm)".to_owned(),
        "the OS in the header"
    );
    ensure_eq!(
        text_of(client, "[data-testid=details-package-count]").await?,
        PACKAGES_IMAGE.len().to_string(),
        "the package count in the header"
    );

    let tab = find(client, "[data-testid=tab-packages]").await?;
    let disabled = tab
        .attr("aria-disabled")
        .await
        .map_err(|error| error.to_string())?;
    ensure_eq!(disabled, None::<String>, "the Packages tab's aria-disabled");
    tab.click()
        .await
        .map_err(|error| format!("clicking the Packages tab: {error}"))?;
    find(client, "[data-testid=package-row]").await?;

    let names = texts(client, "[data-testid=package-name]").await?;
    let versions = texts(client, "[data-testid=package-version]").await?;
    let types = texts(client, "[data-testid=package-type]").await?;
    let steps = texts(client, "[data-testid=package-step]").await?;
    let expected = |column: usize| -> Vec<String> {
        PACKAGES_IMAGE
            .iter()
            .map(|&(name, version, kind, step)| [name, version, kind, step][column].to_owned())
            .collect()
    };
    ensure_eq!(names, expected(0), "the packages' names");
    ensure_eq!(versions, expected(1), "the packages' versions");
    ensure_eq!(types, expected(2), "the packages' types");
    ensure_eq!(steps, expected(3), "the packages' steps");

    // A name that is markup shows as text and makes no element.
    let images = script(
        client,
        "return document.querySelectorAll('[data-testid=packages-tab] img, [data-testid=packages-tab] b').length;",
    )
    .await?;
    ensure_eq!(
        images,
        Value::from(0),
        "elements made from package metadata"
    );
    // The step's command is the step cell's tooltip (from the Layers data).
    let title = script(
        client,
        "return document.querySelectorAll('[data-testid=package-step]')[2].parentElement.title;",
    )
    .await?;
    ensure_eq!(
        title,
        Value::from("Step 3: RUN apt-get install -y curl"),
        "the step's tooltip"
    );
    let chips = texts(client, "[data-testid=packages-chip]").await?;
    let chips: Vec<String> = chips
        .iter()
        .map(|c| c.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect();
    ensure_eq!(
        chips,
        vec!["All 7".to_owned(), "deb 5".to_owned(), "npm 2".to_owned()],
        "the type chips"
    );
    let problems = text_of(client, "[data-testid=packages-problems]").await?;
    if !problems.contains("/app/node_modules/broken/package.json") {
        return Err(format!("the problems notice reads {problems:?}"));
    }

    // Select libcurl4: its details show its purl, where it was found and its layer.
    let names = client
        .find_all(Locator::Css("[data-testid=package-name]"))
        .await
        .map_err(|error| error.to_string())?;
    names
        .get(4)
        .ok_or("fewer than five package rows")?
        .click()
        .await
        .map_err(|error| format!("clicking libcurl4's name: {error}"))?;
    ensure_eq!(
        text_of(client, "[data-testid=package-details-name]").await?,
        "libcurl4".to_owned(),
        "the selected package"
    );
    let purl = text_of(client, "[data-testid=package-purl]").await?;
    if !purl.starts_with("pkg:deb/debian/libcurl4@7.88.1-10") || !purl.contains("distro=debian-12")
    {
        return Err(format!("libcurl4's purl reads {purl:?}"));
    }
    ensure_eq!(
        text_of(client, "[data-testid=package-location]").await?,
        "/var/lib/dpkg/status".to_owned(),
        "libcurl4's location"
    );
    let digest = text_of(client, "[data-testid=package-layer-digest]").await?;
    if !digest.starts_with("sha256:") {
        return Err(format!("libcurl4's layer digest reads {digest:?}"));
    }
    screenshot(client, shot).await?;

    // The keyboard moves the selection (the list has focus after the click).
    find(client, "[data-testid=packages-table]")
        .await?
        .send_keys("\u{E015}")
        .await
        .map_err(|error| format!("pressing the down arrow: {error}"))?;
    ensure_eq!(
        text_of(client, "[data-testid=package-details-name]").await?,
        "<img src=x onerror=alert(1)>".to_owned(),
        "the package selected by the down arrow"
    );

    // The filter looks in names, purls and licences.
    find(client, "[data-testid=packages-filter]")
        .await?
        .send_keys("curl")
        .await
        .map_err(|error| format!("typing into the filter: {error}"))?;
    let mut filtered = Vec::new();
    for _ in 0..50 {
        filtered = texts(client, "[data-testid=package-name]").await?;
        if filtered.len() == 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    ensure_eq!(
        filtered,
        vec!["curl".to_owned(), "libcurl4".to_owned()],
        "the packages matching `curl`"
    );
    let count = text_of(client, "[data-testid=packages-count]").await?;
    if !count.starts_with("Showing 2 of 7 packages") {
        return Err(format!("the count line reads {count:?}"));
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn packages_tab_lists_the_packages_with_their_steps() {
    let fixture = Fixture::empty();
    fixture.add_packages_image("docker.io/library/e2e-packages:1.0", "1.0");
    let light = [("GTK_THEME", "Adwaita")];
    with_app(
        "packages_tab_lists_the_packages_with_their_steps",
        &fixture,
        &light,
        async |client| packages_tab(client, "details-packages.png").await,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn packages_tab_follows_a_dark_system_theme() {
    let fixture = Fixture::empty();
    fixture.add_packages_image("docker.io/library/e2e-packages:1.0", "1.0");
    let dark = [("GTK_THEME", "Adwaita:dark")];
    with_app(
        "packages_tab_follows_a_dark_system_theme",
        &fixture,
        &dark,
        async |client| packages_tab(client, "details-packages-dark.png").await,
    )
    .await;
}

/// The time, in the real webview, from a click on the Packages tab of an image with 5,000
/// packages to the rows painted (the first time, and again after a switch to Layers), the
/// time each step of a scroll takes to paint, and the time to paint the end of the list
/// after a jump there. Printed, with generous bounds: the machine is shared and has no GPU.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn packages_tab_stays_quick_with_5000_packages() {
    const COUNT: usize = 5000;
    let fixture = Fixture::empty();
    fixture.add_many_packages_image("docker.io/library/e2e-many:1.0", "1.0", COUNT);
    with_app(
        "packages_tab_stays_quick_with_5000_packages",
        &fixture,
        &[],
        async |client| {
            click(client, "[data-testid=image-open]").await?;
            find(client, "[data-testid=details-package-count]").await?;
            ensure_eq!(
                text_of(client, "[data-testid=details-package-count]").await?,
                "5,000".to_owned(),
                "the package count in the header"
            );
            let timings = client
                .execute_async(
                    "const done = arguments[arguments.length - 1];
                     const painted = () => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
                     const pause = (ms) => new Promise((r) => setTimeout(r, ms));
                     const rows = () => document.querySelectorAll('[data-testid=package-row]').length;
                     const tab = (id) => document.querySelector(`[data-testid=tab-${id}]`);
                     (async () => {
                       let t = performance.now();
                       tab('packages').click();
                       await painted();
                       const first = performance.now() - t;
                       const firstRows = rows();
                       tab('layers').click();
                       await painted();
                       await pause(300);
                       t = performance.now();
                       tab('packages').click();
                       await painted();
                       const again = performance.now() - t;
                       await pause(300);
                       const scroller = document.querySelector('[data-testid=packages-scroller]');
                       const steps = [];
                       for (let i = 0; i < 10; i++) {
                         t = performance.now();
                         scroller.scrollTop += 120;
                         await painted();
                         steps.push(performance.now() - t);
                       }
                       t = performance.now();
                       scroller.scrollTop = scroller.scrollHeight;
                       await painted();
                       const end = performance.now() - t;
                       const names = [...document.querySelectorAll('[data-testid=package-name]')];
                       steps.sort((a, b) => a - b);
                       done({ first, firstRows, again, end, endRows: rows(),
                              step: steps[Math.floor(steps.length / 2)], worstStep: steps[steps.length - 1],
                              last: names.length ? names[names.length - 1].textContent : null });
                     })();",
                    Vec::new(),
                )
                .await
                .map_err(|error| format!("timing the Packages tab: {error}"))?;
            let ms = |key: &str| timings[key].as_f64().unwrap_or(f64::NAN);
            let count = |key: &str| timings[key].as_u64().unwrap_or(0);
            println!(
                "e2e: {COUNT} packages in the real webview: tab painted {:.0} ms after the click \
                 ({} rows in the DOM), {:.0} ms when opened again; scroll steps painted in \
                 {:.0} ms (median), {:.0} ms (worst); end of the list painted {:.0} ms after the \
                 jump ({} rows in the DOM)",
                ms("first"),
                count("firstRows"),
                ms("again"),
                ms("step"),
                ms("worstStep"),
                ms("end"),
                count("endRows"),
            );
            for key in ["firstRows", "endRows"] {
                if !(10..=100).contains(&count(key)) {
                    return Err(format!("{} rows are in the DOM ({key})", count(key)));
                }
            }
            ensure_eq!(
                timings["last"].clone(),
                Value::from(format!("pkg-{:05}", COUNT - 1)),
                "the last row after scrolling to the end"
            );
            for key in ["first", "again", "step", "end"] {
                let took = ms(key);
                if took.is_nan() || took > 3000.0 {
                    return Err(format!("too slow: {key} took {took} ms"));
                }
            }
            screenshot(client, "details-packages-many.png").await
        },
    )
    .await;
}
