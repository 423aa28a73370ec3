use std::process::ExitCode;

use super::{Context, blocking};
use crate::output::human_size;

pub async fn gc(ctx: &Context) -> anyhow::Result<ExitCode> {
    let store = ctx.store()?;
    let report = blocking(move || Ok(store.gc()?)).await?;
    if ctx.json {
        ctx.print_json(&report)?;
    } else {
        println!(
            "Deleted {} unused blobs, {} stale partial downloads and {} cached layer indexes; reclaimed {}",
            report.blobs_removed,
            report.partials_removed,
            report.indexes_removed,
            human_size(report.bytes_freed)
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Exit status 1 when anything reachable is missing or corrupt.
pub async fn fsck(ctx: &Context) -> anyhow::Result<ExitCode> {
    let store = ctx.store()?;
    let report = blocking(move || Ok(store.fsck()?)).await?;
    if ctx.json {
        ctx.print_json(&report)?;
    } else {
        println!(
            "Checked {} blobs ({}).",
            report.blobs_checked,
            human_size(report.bytes_checked)
        );
        for d in &report.missing {
            println!("missing: {d}");
        }
        for d in &report.corrupt {
            println!("corrupt: {d}");
        }
        if !report.unreferenced.is_empty() {
            println!(
                "{} blobs are not used by any image (`porthole gc` deletes them).",
                report.unreferenced.len()
            );
        }
        if report.is_clean() {
            println!("The store is consistent.");
        }
    }
    Ok(if report.is_clean() {
        ExitCode::SUCCESS
    } else {
        if !ctx.json {
            eprintln!(
                "porthole: error: the store has missing or corrupt blobs; pull the affected images again"
            );
        }
        ExitCode::FAILURE
    })
}
