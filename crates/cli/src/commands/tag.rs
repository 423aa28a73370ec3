//! `porthole tag SOURCE TARGET`: give an image another name, as `docker tag` does (say,
//! before `porthole save`, so the archive loads under the name a team uses).

use std::process::ExitCode;

use super::{Context, blocking};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The image: a reference, an image ID or a unique prefix of one.
    pub source: String,
    /// The new name (`registry.lan:5000/team/app:1.0`; the tag defaults to `latest`). A name
    /// that already exists is moved to this image.
    pub target: String,
}

pub async fn run(ctx: &Context, args: Args) -> anyhow::Result<ExitCode> {
    let store = ctx.store()?;
    let tagged = blocking(move || Ok(store.tag(&args.source, &args.target)?)).await?;
    // Like `docker tag`, silent on success; `--json` gives the image under its new name.
    if ctx.json {
        ctx.print_json(&tagged)?;
    }
    Ok(ExitCode::SUCCESS)
}
