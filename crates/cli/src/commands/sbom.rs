//! `porthole sbom REF --format cyclonedx|spdx [--output FILE]`: the image's packages as a
//! CycloneDX 1.6 or SPDX 2.3 JSON document.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::SystemTime;

use anyhow::Context as _;
use porthole_engine::layers::ImageLayers;
use porthole_engine::sbom::{SbomFormat, SbomOptions, SbomSubject, Timestamp};

use super::{Context, blocking};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// A reference (`nginx`, `nginx:1.27`), an image ID or a unique prefix of one.
    pub image: String,
    /// The document's format: cyclonedx (CycloneDX 1.6 JSON) or spdx (SPDX 2.3 JSON).
    #[arg(long, value_name = "FORMAT", default_value = "cyclonedx")]
    pub format: String,
    /// Write the document to FILE (replaced whole) instead of stdout.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

pub async fn run(ctx: &Context, args: Args) -> anyhow::Result<ExitCode> {
    let format: SbomFormat = args.format.parse()?;
    let store = ctx.store()?;
    let image = args.image;
    let (text, count) = blocking(move || {
        let image = store.resolve(&image)?;
        let layers = ImageLayers::load(&store, &image)?;
        let packages = layers.packages();
        for problem in &packages.problems {
            eprintln!("porthole: warning: {problem}");
        }
        let count = packages.packages.len();
        let subject = SbomSubject::for_image(&image, &layers, packages);
        let options = SbomOptions::new(
            Timestamp::from_system_time(SystemTime::now()),
            env!("CARGO_PKG_VERSION"),
        );
        Ok((format.render(&subject, &options), count))
    })
    .await?;
    match args.output {
        None => {
            std::io::stdout()
                .write_all(text.as_bytes())
                .context("cannot write to stdout")?;
        }
        Some(path) => {
            porthole_engine::files::write_whole(&path, text.as_bytes())
                .with_context(|| format!("cannot write {}", path.display()))?;
            eprintln!(
                "wrote a {format} SBOM of {count} package{} to {}",
                if count == 1 { "" } else { "s" },
                path.display()
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
