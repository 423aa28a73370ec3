//! `porthole files REF [PATH]`: the image's final filesystem under PATH, or with
//! `--layer N` what step N changed there.

use std::process::ExitCode;

use porthole_engine::layers::{ChangeKind, FileEntry, FileType, ImageLayers};

use super::{Context, blocking};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// A reference (`nginx`, `nginx:1.27`), an image ID or a unique prefix of one.
    pub image: String,
    /// Where to start (`/etc`); the whole filesystem by default.
    #[arg(default_value = "/")]
    pub path: String,
    /// Show what this step (the STEP column of `porthole layers`) added, modified and
    /// removed, instead of the final filesystem.
    #[arg(long, value_name = "N")]
    pub layer: Option<usize>,
    /// Go at most this many levels below PATH (0: PATH itself).
    #[arg(long, value_name = "D")]
    pub depth: Option<usize>,
}

pub async fn run(ctx: &Context, args: Args) -> anyhow::Result<ExitCode> {
    let store = ctx.store()?;
    let json = ctx.json;
    let text = blocking(move || {
        let image = store.resolve(&args.image)?;
        let layers = ImageLayers::load(&store, &image)?;
        Ok(match args.layer {
            Some(step) => {
                let changes = layers.layer_changes(step, &args.path, args.depth)?;
                if json {
                    serde_json::to_string_pretty(&changes)?
                } else {
                    let mut out = String::new();
                    for c in &changes {
                        let mark = match c.change {
                            ChangeKind::Added => 'A',
                            ChangeKind::Modified => 'M',
                            ChangeKind::Removed => 'D',
                        };
                        out.push_str(&format!("{mark} {}\n", line(&c.entry)));
                    }
                    out
                }
            }
            None => {
                let entries = layers.tree(&args.path, args.depth)?;
                if json {
                    serde_json::to_string_pretty(&entries)?
                } else {
                    entries.iter().map(|e| line(e) + "\n").collect()
                }
            }
        })
    })
    .await?;
    if json {
        println!("{text}");
    } else {
        print!("{text}");
    }
    Ok(ExitCode::SUCCESS)
}

/// `-rwxr-xr-x 0/0  1.2 MB  step 3  /usr/bin/env`, as `tar -tv` shows an entry.
fn line(e: &FileEntry) -> String {
    let mut text = format!(
        "{} {:>11} {:>10}  {:>3}  {}",
        e.kind.mode_string(e.mode),
        format!("{}/{}", e.uid, e.gid),
        e.size,
        e.layer,
        e.path
    );
    if let Some(target) = &e.link_target {
        let arrow = if e.kind == FileType::Hardlink {
            "link to"
        } else {
            "->"
        };
        text.push_str(&format!(" {arrow} {target}"));
    }
    if let Some(package) = &e.package {
        text.push_str(&format!("  [{package}]"));
    }
    text
}
