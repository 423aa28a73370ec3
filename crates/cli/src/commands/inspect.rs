use std::process::ExitCode;

use serde_json::json;

use super::{Context, blocking};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// A reference (`nginx`, `nginx:1.27`), an image ID or a unique prefix of one.
    pub image: String,
}

/// Like `docker inspect`: always JSON, the summary plus the manifest and config as stored.
pub async fn run(ctx: &Context, args: Args) -> anyhow::Result<ExitCode> {
    let store = ctx.store()?;
    let doc = blocking(move || {
        let image = store.resolve(&args.image)?;
        let manifest = store.read_blob(&image.digest, 4 * 1024 * 1024)?;
        let config = store.read_blob(&image.id, 8 * 1024 * 1024)?;
        let manifest: serde_json::Value = serde_json::from_slice(&manifest)?;
        let config: serde_json::Value = serde_json::from_slice(&config)?;
        Ok(json!({
            "reference": image.reference,
            "repository": image.repository,
            "tag": image.tag,
            "digest": image.digest,
            "id": image.id,
            "created": image.created,
            "size": image.size,
            "platform": image.platform.as_ref().map(ToString::to_string),
            "index_digest": image.index_digest,
            "manifest": manifest,
            "config": config,
        }))
    })
    .await?;
    ctx.print_json(&doc)?;
    Ok(ExitCode::SUCCESS)
}
