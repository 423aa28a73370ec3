//! `porthole cat REF PATH`: a file's bytes as the image holds them, on stdout, without
//! running the image (`docker run --rm IMAGE cat PATH` needs an engine and a shell in the
//! image). Symlinks are followed inside the image; `--layer N` reads the file as step N
//! left it. Nothing is written until the layer holding the file hashed to its diff_id.

use std::io::Write;
use std::process::ExitCode;

use base64::Engine as _;
use porthole_engine::layers::{FileContent, ImageLayers, read_file};
use serde::Serialize;
use tokio_util::sync::CancellationToken;

use super::{Context, blocking, cancel_on_ctrl_c};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// A reference (`nginx`, `nginx:1.27`), an image ID or a unique prefix of one.
    pub image: String,
    /// The file (`/etc/os-release`); symlinks on the way are followed inside the image.
    pub path: String,
    /// Read the file as this step (the STEP column of `porthole layers`) left it.
    #[arg(long, value_name = "N")]
    pub layer: Option<usize>,
}

/// `--json`: what `read_file` says of the file, and its bytes.
#[derive(Serialize)]
struct Document {
    #[serde(flatten)]
    read: FileContent,
    /// `utf-8` when the bytes are valid UTF-8 (`content` is the text), else `base64`.
    encoding: &'static str,
    content: String,
}

pub async fn run(ctx: &Context, args: Args) -> anyhow::Result<ExitCode> {
    let store = ctx.store()?;
    let json = ctx.json;
    let cancel: CancellationToken = cancel_on_ctrl_c();
    blocking(move || {
        let image = store.resolve(&args.image)?;
        let mut view = ImageLayers::load(&store, &image)?;
        if let Some(step) = args.layer {
            view = view.as_of_step(step)?;
        }
        let stop = || cancel.is_cancelled();
        if json {
            let mut bytes = Vec::new();
            let read = read_file(&store, &view, &args.path, &mut bytes, None, &stop)?;
            let (encoding, content) = match String::from_utf8(bytes) {
                Ok(text) => ("utf-8", text),
                Err(e) => (
                    "base64",
                    base64::engine::general_purpose::STANDARD.encode(e.into_bytes()),
                ),
            };
            let doc = Document {
                read,
                encoding,
                content,
            };
            println!("{}", serde_json::to_string_pretty(&doc)?);
        } else {
            let stdout = std::io::stdout();
            let mut out = std::io::BufWriter::with_capacity(1 << 16, stdout.lock());
            read_file(&store, &view, &args.path, &mut out, None, &stop)?;
            out.flush()?;
        }
        Ok(())
    })
    .await?;
    Ok(ExitCode::SUCCESS)
}
