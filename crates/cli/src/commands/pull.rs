use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context as _;
use porthole_engine::pull::{PullOptions, PullReport, pull};
use porthole_engine::{Platform, Reference};

use super::Context;
use crate::output::{PullProgress, human_size};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The image, e.g. `nginx`, `nginx:1.27`, `ghcr.io/owner/app@sha256:…`.
    pub reference: String,
    /// The platform to pull from a multi-platform image, e.g. linux/arm64. Default: this machine's.
    #[arg(long)]
    pub platform: Option<String>,
    /// How many layers to download at once.
    #[arg(long, short = 'j')]
    pub jobs: Option<usize>,
    /// Only store the blobs; skip decompressing and indexing layers while they download
    /// (they are indexed when first viewed).
    #[arg(long)]
    pub no_index: bool,
}

/// Pulls `reference` as `porthole pull` does (progress bars on a terminal's stderr, Ctrl-C
/// stops cleanly); shared with `porthole diff --pull`.
pub async fn pull_with_progress(
    ctx: &Context,
    reference: &Reference,
    platform: Option<String>,
    jobs: Option<usize>,
    index: bool,
) -> anyhow::Result<PullReport> {
    let platform = match platform.or_else(|| ctx.config.default_platform.clone()) {
        Some(p) => Some(p.parse::<Platform>()?),
        None => None,
    };
    let options = PullOptions {
        platform,
        jobs: jobs.unwrap_or_else(|| ctx.config.jobs()).max(1),
        index,
    };
    let store = ctx.store()?;
    let client = ctx.client()?;
    let progress = Arc::new(PullProgress::new(ctx.json));
    let observer = {
        let progress = progress.clone();
        move |e| progress.event(e)
    };
    // Ctrl-C cancels cleanly: verified blobs stay, partial downloads resume next time.
    let cancel = super::cancel_on_ctrl_c();
    pull(&client, &store, reference, &options, &observer, &cancel)
        .await
        .with_context(|| format!("cannot pull {}", reference.familiar()))
}

pub async fn run(ctx: &Context, args: Args) -> anyhow::Result<ExitCode> {
    let reference = Reference::parse(&args.reference)?;
    let report =
        pull_with_progress(ctx, &reference, args.platform, args.jobs, !args.no_index).await?;
    if ctx.json {
        ctx.print_json(&report)?;
    } else {
        let fetched = report.layers.iter().filter(|l| !l.already_present).count();
        println!(
            "Digest: {}",
            report.index_digest.as_ref().unwrap_or(&report.digest)
        );
        println!(
            "Status: {} ({} of {} layers fetched, {} downloaded, {} already present)",
            if fetched == 0 {
                format!("Image is up to date for {}", reference.familiar())
            } else {
                format!("Downloaded newer image for {}", reference.familiar())
            },
            fetched,
            report.layers.len(),
            human_size(report.bytes_downloaded),
            human_size(report.bytes_present),
        );
        println!("{}", report.reference);
    }
    Ok(ExitCode::SUCCESS)
}
