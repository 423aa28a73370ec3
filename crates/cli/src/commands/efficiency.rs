//! `porthole efficiency REF`: wasted space and the efficiency score, as dive reports them.

use std::process::ExitCode;

use porthole_engine::layers::ImageLayers;

use super::images::print_table;
use super::{Context, blocking};
use crate::output::human_size;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// A reference (`nginx`, `nginx:1.27`), an image ID or a unique prefix of one.
    pub image: String,
}

/// How many wasted files the human output lists (`--json` has them all).
const SHOWN: usize = 20;

pub async fn run(ctx: &Context, args: Args) -> anyhow::Result<ExitCode> {
    let store = ctx.store()?;
    let e = blocking(move || {
        let image = store.resolve(&args.image)?;
        Ok(ImageLayers::load(&store, &image)?.efficiency())
    })
    .await?;
    if ctx.json {
        ctx.print_json(&e)?;
        return Ok(ExitCode::SUCCESS);
    }
    println!("efficiency:          {:.2} %", e.score * 100.0);
    println!("wasted space:        {}", human_size(e.wasted_bytes));
    println!("user wasted percent: {:.2} %", e.user_wasted_percent);
    if e.inefficient_files.is_empty() {
        return Ok(ExitCode::SUCCESS);
    }
    println!();
    let rows: Vec<[String; 3]> = e
        .inefficient_files
        .iter()
        .take(SHOWN)
        .map(|f| {
            [
                f.count.to_string(),
                human_size(f.wasted_bytes),
                f.path.clone(),
            ]
        })
        .collect();
    print_table(&["COUNT", "TOTAL SPACE", "PATH"], &rows);
    if e.inefficient_files.len() > SHOWN {
        println!(
            "… and {} more (--json lists them all)",
            e.inefficient_files.len() - SHOWN
        );
    }
    Ok(ExitCode::SUCCESS)
}
