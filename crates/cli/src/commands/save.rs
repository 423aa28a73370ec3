//! `porthole save IMAGE... [-o FILE]`: images as one tar archive for `docker load`,
//! `podman load` or skopeo (`docker-archive:` / `oci-archive:`), as `docker save` writes it.

use std::io::{BufWriter, IsTerminal as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use porthole_engine::store::{ArchiveReport, ImageSummary, Store};
use tokio_util::sync::CancellationToken;

use super::{Context, blocking};
use crate::output::{Transfer, human_size};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// References (`nginx`, `nginx:1.27`), image IDs or unique prefixes of them.
    #[arg(required = true)]
    pub images: Vec<String>,
    /// Write the archive to FILE (replaced whole, only once complete) instead of stdout.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// Output buffer: large writes, whether to a pipe or a file.
const BUFFER: usize = 1 << 20;

pub async fn run(ctx: &Context, args: Args) -> anyhow::Result<ExitCode> {
    if args.output.is_none() && std::io::stdout().is_terminal() {
        bail!("refusing to write an image archive to a terminal: use -o FILE, or redirect stdout");
    }
    let store = ctx.store()?;
    // Ctrl-C stops the archive; a file being written is removed, the target left as it was.
    let cancel = super::cancel_on_ctrl_c();
    let output = args.output.clone();
    let json = ctx.json;
    let report = blocking(move || {
        let images = args
            .images
            .iter()
            .map(|i| store.resolve(i))
            .collect::<Result<Vec<_>, _>>()?;
        match &output {
            None => {
                let stdout = std::io::stdout().lock();
                Ok(store.write_archive(
                    &images,
                    BufWriter::with_capacity(BUFFER, Transfer::new(stdout, "Saving", None, json)),
                    &cancel,
                )?)
            }
            Some(path) => write_file(&store, &images, path, &cancel, json),
        }
    })
    .await?;
    if ctx.json {
        if args.output.is_some() {
            ctx.print_json(&report)?;
        }
    } else {
        let to = args
            .output
            .as_ref()
            .map_or_else(|| "stdout".to_owned(), |p| p.display().to_string());
        eprintln!(
            "Saved {} image{} ({} blob{}, {}) to {to}",
            report.images.len(),
            if report.images.len() == 1 { "" } else { "s" },
            report.blobs,
            if report.blobs == 1 { "" } else { "s" },
            human_size(report.bytes),
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// The archive into a temporary file beside `path`, renamed over it once whole.
fn write_file(
    store: &Store,
    images: &[ImageSummary],
    path: &Path,
    cancel: &CancellationToken,
    json: bool,
) -> anyhow::Result<ArchiveReport> {
    porthole_engine::files::write_whole_with(path, |file| -> anyhow::Result<_> {
        let mut out = BufWriter::with_capacity(BUFFER, Transfer::new(file, "Saving", None, json));
        let report = store.write_archive(images, &mut out, cancel)?;
        out.flush()?;
        Ok(report)
    })
    .with_context(|| format!("cannot save to {}", path.display()))
}
