//! `porthole load [-i FILE] [--platform OS/ARCH[/VARIANT]]`: images from a tar archive
//! (`docker save`, `podman save`, skopeo's `docker-archive:`/`oci-archive:`, `porthole save`;
//! plain, gzip or zstd) into the store, as `docker load` takes them. Reads stdin without
//! `-i`. Of a multi-platform image, this machine's platform, or the one `--platform` names
//! (which an image of one platform must then be for).

use std::io::IsTerminal as _;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use porthole_engine::Platform;
use porthole_engine::store::LoadOptions;

use super::{Context, blocking};
use crate::output::{Transfer, human_size};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Read the archive from FILE instead of stdin.
    #[arg(long, short, value_name = "FILE")]
    pub input: Option<PathBuf>,
    /// The platform to load from a multi-platform archive, e.g. linux/arm64 (an image of one
    /// platform must be for it). Default: this machine's.
    #[arg(long, value_name = "OS/ARCH[/VARIANT]")]
    pub platform: Option<String>,
}

pub async fn run(ctx: &Context, args: Args) -> anyhow::Result<ExitCode> {
    if args.input.is_none() && std::io::stdin().is_terminal() {
        bail!("no archive to load: use -i FILE, or pipe one in (`porthole load < image.tar`)");
    }
    let options = LoadOptions {
        platform: args
            .platform
            .as_deref()
            .map(str::parse::<Platform>)
            .transpose()?,
    };
    let store = ctx.store()?;
    // Ctrl-C stops the load: blobs already stored stay (gc removes them), no image is named.
    let cancel = super::cancel_on_ctrl_c();
    let input = args.input.clone();
    let json = ctx.json;
    let report = blocking(move || {
        let report = match &input {
            None => store.load_archive_with(
                Transfer::new(std::io::stdin().lock(), "Loading", None, json),
                &options,
                &cancel,
            )?,
            Some(path) => {
                let file = std::fs::File::open(path)
                    .with_context(|| format!("cannot read {}", path.display()))?;
                let len = file.metadata().map(|m| m.len()).ok();
                store
                    .load_archive_with(Transfer::new(file, "Loading", len, json), &options, &cancel)
                    .with_context(|| format!("cannot load {}", path.display()))?
            }
        };
        Ok(report)
    })
    .await?;
    if ctx.json {
        ctx.print_json(&report)?;
        return Ok(ExitCode::SUCCESS);
    }
    for image in &report.images {
        if image.references.is_empty() {
            println!("Loaded image ID: {}", image.id);
        }
        for reference in &image.references {
            let familiar = porthole_engine::Reference::parse(reference)
                .map_or_else(|_| reference.clone(), |r| r.familiar());
            println!("Loaded image: {familiar}");
        }
    }
    eprintln!(
        "{} image{} loaded ({})",
        report.images.len(),
        if report.images.len() == 1 { "" } else { "s" },
        human_size(report.bytes)
    );
    Ok(ExitCode::SUCCESS)
}
