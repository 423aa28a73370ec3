use std::process::ExitCode;

use std::path::Path;

use porthole_engine::store::ImageSummary;
use porthole_engine::vulns::{ScanSummary, load_summary};
use serde::Serialize;

use super::{Context, blocking};
use crate::output::human_size;

/// One row of `porthole images --json`.
#[derive(Serialize)]
struct ImageRow<'a> {
    reference: Option<&'a str>,
    repository: Option<&'a str>,
    tag: Option<&'a str>,
    digest: String,
    id: String,
    created: Option<&'a str>,
    size: u64,
    platform: Option<String>,
    index_digest: Option<String>,
    /// The last `porthole vulns` (or the app's scan) of the image: its counts by severity,
    /// source and time; `null` when it was never scanned.
    vulnerabilities: Option<ScanSummary>,
}

impl<'a> ImageRow<'a> {
    fn of(i: &'a ImageSummary, store_root: &Path) -> Self {
        ImageRow {
            reference: i.reference.as_deref(),
            repository: i.repository.as_deref(),
            tag: i.tag.as_deref(),
            digest: i.digest.to_string(),
            id: i.id.to_string(),
            created: i.created.as_deref(),
            size: i.size,
            platform: i.platform.as_ref().map(ToString::to_string),
            index_digest: i.index_digest.as_ref().map(ToString::to_string),
            vulnerabilities: load_summary(store_root, &i.digest),
        }
    }
}

pub async fn run(ctx: &Context) -> anyhow::Result<ExitCode> {
    let store = ctx.store()?;
    let root = store.root().to_path_buf();
    let images = blocking(move || Ok(store.images()?)).await?;
    if ctx.json {
        let rows: Vec<ImageRow> = images.iter().map(|i| ImageRow::of(i, &root)).collect();
        ctx.print_json(&rows)?;
        return Ok(ExitCode::SUCCESS);
    }
    let rows: Vec<[String; 6]> = images
        .iter()
        .map(|i| {
            [
                i.repository.clone().unwrap_or_else(|| "<none>".into()),
                i.tag.clone().unwrap_or_else(|| "<none>".into()),
                i.id.short().to_owned(),
                i.created.clone().unwrap_or_else(|| "-".into()),
                human_size(i.size),
                i.platform
                    .as_ref()
                    .map(ToString::to_string)
                    .unwrap_or_default(),
            ]
        })
        .collect();
    print_table(
        &[
            "REPOSITORY",
            "TAG",
            "IMAGE ID",
            "CREATED",
            "SIZE",
            "PLATFORM",
        ],
        &rows,
    );
    Ok(ExitCode::SUCCESS)
}

pub fn print_table<const N: usize>(header: &[&str; N], rows: &[[String; N]]) {
    let mut widths = header.map(str::len);
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let mut out = String::new();
        for (i, (cell, w)) in cells.iter().zip(widths).enumerate() {
            if i + 1 == N {
                out.push_str(cell);
            } else {
                out.push_str(&format!("{cell:<w$}   "));
            }
        }
        println!("{}", out.trim_end());
    };
    line(header.to_vec());
    for row in rows {
        line(row.iter().map(String::as_str).collect());
    }
}
