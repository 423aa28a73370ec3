use std::process::ExitCode;

use super::{Context, blocking};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// References or image IDs to remove.
    #[arg(required = true)]
    pub images: Vec<String>,
}

pub async fn run(ctx: &Context, args: Args) -> anyhow::Result<ExitCode> {
    let store = ctx.store()?;
    let removed = blocking(move || {
        let mut removed = Vec::new();
        for image in &args.images {
            removed.extend(store.remove(image)?);
        }
        Ok(removed)
    })
    .await?;
    if ctx.json {
        ctx.print_json(&removed)?;
    } else {
        for image in &removed {
            match &image.reference {
                Some(r) => println!("Untagged: {r}"),
                None => println!("Deleted: {}", image.digest),
            }
        }
        println!("Run `porthole gc` to free the space of blobs no image uses.");
    }
    Ok(ExitCode::SUCCESS)
}
