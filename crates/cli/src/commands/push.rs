//! `porthole push SOURCE [DESTINATION] [--jobs N]`: upload an image of the store to a
//! registry, as `docker push` does (blobs the repository has are skipped, blobs of the
//! image's own repository on the same registry are mounted, the rest uploaded).

use std::collections::HashMap;
use std::io::IsTerminal as _;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};

use anyhow::anyhow;
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use porthole_engine::Reference;
use porthole_engine::registry::push::{BlobStatus, PushEvent, PushOptions, push_image};

use super::{Context, blocking};
use crate::output::human_size;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The image: a reference, an image ID or a unique prefix of one.
    pub source: String,
    /// Where to push it, e.g. `registry.lan:5000/team/app:1.0` (the tag defaults to
    /// `latest`). Default: the image's own name.
    pub destination: Option<String>,
    /// How many blobs to upload at once. Default: the config's maxConcurrentDownloads.
    #[arg(long, short = 'j')]
    pub jobs: Option<usize>,
}

pub async fn run(ctx: &Context, args: Args) -> anyhow::Result<ExitCode> {
    let store = ctx.store()?;
    let image = {
        let (store, source) = (store.clone(), args.source.clone());
        blocking(move || Ok(store.resolve(&source)?)).await?
    };
    let destination = match (&args.destination, &image.reference) {
        (Some(d), _) => Reference::parse(d)?,
        (None, Some(own)) => Reference::parse(own)?,
        (None, None) => {
            return Err(anyhow!(
                "image {} has no name to push it under: give a destination, e.g. `porthole push {} registry.lan:5000/team/app:1.0`",
                image.id.short(),
                args.source
            ));
        }
    };
    let options = PushOptions {
        jobs: args.jobs.unwrap_or_else(|| ctx.config.jobs()).max(1),
    };
    let client = ctx.client()?;
    let progress = Arc::new(PushProgress::new(ctx.json));
    let observer = {
        let progress = progress.clone();
        move |e| progress.event(e)
    };
    // Ctrl-C stops the uploads; the tag is only written once every blob is in.
    let cancel = super::cancel_on_ctrl_c();
    let report = push_image(
        &client,
        &store,
        &image,
        &destination,
        &options,
        &observer,
        &cancel,
    )
    .await?;
    if ctx.json {
        ctx.print_json(&report)?;
        return Ok(ExitCode::SUCCESS);
    }
    let blobs: Vec<_> = std::iter::once(&report.config)
        .chain(&report.layers)
        .collect();
    let count = |status: BlobStatus| blobs.iter().filter(|b| b.status == status).count();
    println!(
        "{}: digest: {} ({} pushed, {} uploaded; {} already there, {} mounted{})",
        destination.tag().unwrap_or("latest"),
        report.digest,
        count(BlobStatus::Pushed),
        human_size(report.bytes_uploaded),
        count(BlobStatus::Exists),
        count(BlobStatus::Mounted),
        match count(BlobStatus::SkippedForeign) {
            0 => String::new(),
            n => format!(", {n} foreign left out"),
        }
    );
    println!("{}", report.reference);
    Ok(ExitCode::SUCCESS)
}

/// Push progress: a bar per blob on a terminal (as `docker push` draws them), one line per
/// finished blob otherwise; nothing at all with `--json`.
struct PushProgress {
    mode: Mode,
}

enum Mode {
    Quiet,
    Lines,
    Bars {
        multi: MultiProgress,
        bars: Mutex<HashMap<String, ProgressBar>>,
    },
}

impl PushProgress {
    fn new(json: bool) -> PushProgress {
        let mode = if json {
            Mode::Quiet
        } else if std::io::stderr().is_terminal() {
            Mode::Bars {
                multi: MultiProgress::with_draw_target(ProgressDrawTarget::stderr()),
                bars: Mutex::default(),
            }
        } else {
            Mode::Lines
        };
        PushProgress { mode }
    }

    /// What a blob's line says when it is finished, or `None` while it is not.
    fn outcome(event: &PushEvent) -> Option<(String, String)> {
        match event {
            PushEvent::BlobExists { digest } => {
                Some((digest.to_string(), "Layer already exists".into()))
            }
            PushEvent::BlobMounted { digest, from } => {
                Some((digest.to_string(), format!("Mounted from {from}")))
            }
            PushEvent::BlobSkipped { digest } => {
                Some((digest.to_string(), "Skipped foreign layer".into()))
            }
            PushEvent::BlobPushed { digest } => Some((digest.to_string(), "Pushed".into())),
            _ => None,
        }
    }

    fn event(&self, event: PushEvent) {
        if let (PushEvent::Started { reference, .. }, Mode::Lines | Mode::Bars { .. }) =
            (&event, &self.mode)
        {
            // As `docker push` begins; only once the image was found whole in the store.
            let name = Reference::parse(reference).map_or_else(|_| reference.clone(), |r| r.name());
            eprintln!("The push refers to repository [{name}]");
        }
        match &self.mode {
            Mode::Quiet => {}
            Mode::Lines => {
                if let PushEvent::BlobRetrying {
                    digest,
                    attempt,
                    reason,
                } = &event
                {
                    eprintln!("{}: retrying (attempt {attempt}): {reason}", digest.short());
                } else if let Some((digest, text)) = Self::outcome(&event) {
                    let short = digest.strip_prefix("sha256:").unwrap_or(&digest);
                    eprintln!("{}: {text}", &short[..short.len().min(12)]);
                }
            }
            Mode::Bars { multi, bars } => {
                let mut bars = bars.lock().unwrap_or_else(|p| p.into_inner());
                match &event {
                    PushEvent::Started { blobs, .. } => {
                        let style = ProgressStyle::with_template(
                            "{prefix}: {msg:<20} [{bar:30}] {decimal_bytes}/{decimal_total_bytes} {decimal_bytes_per_sec}",
                        )
                        .unwrap_or_else(|_| ProgressStyle::default_bar())
                        .progress_chars("=> ");
                        for blob in blobs {
                            if bars.contains_key(&blob.digest.to_string()) {
                                continue;
                            }
                            let bar = multi.add(ProgressBar::new(blob.size));
                            bar.set_style(style.clone());
                            bar.set_prefix(blob.digest.short().to_owned());
                            bar.set_message("Waiting");
                            bars.insert(blob.digest.to_string(), bar);
                        }
                    }
                    PushEvent::BlobProgress {
                        digest, uploaded, ..
                    } => {
                        if let Some(b) = bars.get(&digest.to_string()) {
                            b.set_message("Pushing");
                            b.set_position(*uploaded);
                        }
                    }
                    PushEvent::BlobRetrying {
                        digest, attempt, ..
                    } => {
                        if let Some(b) = bars.get(&digest.to_string()) {
                            b.set_message(format!("Retrying ({attempt})"));
                        }
                    }
                    _ => {
                        if let Some((digest, text)) = Self::outcome(&event)
                            && let Some(b) = bars.get(&digest)
                        {
                            b.finish_with_message(text);
                        }
                    }
                }
            }
        }
    }
}
