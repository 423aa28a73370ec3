//! `porthole unpack REF DIR`: the image's final filesystem written into DIR, as `umoci
//! unpack` leaves it. `porthole export REF [-o FILE]`: the same filesystem as one tar
//! stream, as `crane export` / `docker export` write it.

use std::collections::BTreeMap;
use std::io::{BufWriter, IsTerminal as _, Write as _};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use porthole_engine::rootfs::{self, UnpackOptions, UnpackProgress};

use super::{Context, blocking};
use crate::output::human_size;

#[derive(clap::Args, Debug)]
pub struct UnpackArgs {
    /// A reference (`nginx`, `nginx:1.27`), an image ID or a unique prefix of one.
    pub image: String,
    /// Where to write the filesystem: a new directory, or an empty one.
    pub directory: PathBuf,
}

#[derive(clap::Args, Debug)]
pub struct ExportArgs {
    /// A reference (`nginx`, `nginx:1.27`), an image ID or a unique prefix of one.
    pub image: String,
    /// Write the tar to FILE (replaced whole, only once complete) instead of stdout.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// Output buffer: large writes, whether to a pipe or a file.
const BUFFER: usize = 1 << 20;

pub async fn unpack(ctx: &Context, args: UnpackArgs) -> anyhow::Result<ExitCode> {
    let store = ctx.store()?;
    // Ctrl-C stops the unpack; the partial directory is removed.
    let cancel = super::cancel_on_ctrl_c();
    let show_progress = !ctx.json && std::io::stderr().is_terminal();
    let report = blocking(move || {
        let image = store.resolve(&args.image)?;
        let mut progress = |p: UnpackProgress| {
            if show_progress {
                eprintln!(
                    "Unpacking layer {}/{} {} ({})",
                    p.layer + 1,
                    p.layers,
                    p.digest,
                    human_size(p.size)
                );
            }
        };
        Ok(rootfs::unpack(
            &store,
            &image,
            &args.directory,
            &UnpackOptions::default(),
            &mut progress,
            &cancel,
        )?)
    })
    .await?;
    if ctx.json {
        ctx.print_json(&report)?;
        return Ok(ExitCode::SUCCESS);
    }
    let name = report
        .reference
        .clone()
        .unwrap_or_else(|| report.id.to_string());
    eprintln!(
        "Unpacked {name} into {}: {} files ({}), {} directories, {} symlinks, {} hard links",
        report.directory.display(),
        report.files,
        human_size(report.bytes),
        report.directories,
        report.symlinks,
        report.hardlinks,
    );
    // "3 device nodes skipped: not running as root", one line per kind and reason.
    let mut groups: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    for s in &report.skipped {
        let what = if s.kind == "fifo" {
            "FIFOs"
        } else {
            "device nodes"
        };
        *groups.entry((what, &s.reason)).or_default() += 1;
    }
    for ((what, reason), n) in groups {
        let what = match (n, what) {
            (1, "FIFOs") => "FIFO",
            (1, _) => "device node",
            _ => what,
        };
        eprintln!("{n} {what} skipped: {reason}");
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn export(ctx: &Context, args: ExportArgs) -> anyhow::Result<ExitCode> {
    if args.output.is_none() && std::io::stdout().is_terminal() {
        bail!("refusing to write a tar archive to a terminal: use -o FILE, or redirect stdout");
    }
    let store = ctx.store()?;
    // Ctrl-C stops the export; a file being written is removed, the target left as it was.
    let cancel = super::cancel_on_ctrl_c();
    let output = args.output.clone();
    let (name, report) = blocking(move || {
        let image = store.resolve(&args.image)?;
        let name = image
            .reference
            .clone()
            .unwrap_or_else(|| image.id.to_string());
        let report = match &output {
            None => {
                let stdout = std::io::stdout().lock();
                rootfs::export(
                    &store,
                    &image,
                    BufWriter::with_capacity(BUFFER, stdout),
                    &cancel,
                )?
            }
            Some(path) => {
                porthole_engine::files::write_whole_with(path, |file| -> anyhow::Result<_> {
                    let mut out = BufWriter::with_capacity(BUFFER, file);
                    let report = rootfs::export(&store, &image, &mut out, &cancel)?;
                    out.flush()?;
                    Ok(report)
                })
                .with_context(|| format!("cannot export to {}", path.display()))?
            }
        };
        Ok((name, report))
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
            "Exported {name} to {to}: {} entries ({} files, {}; {} directories, {} symlinks, {} hard links)",
            report.entries,
            report.files,
            human_size(report.bytes),
            report.directories,
            report.symlinks,
            report.hardlinks,
        );
    }
    Ok(ExitCode::SUCCESS)
}
