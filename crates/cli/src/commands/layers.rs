//! `porthole layers REF`: the image's build steps, as `docker history` lists them, with
//! what each step's layer added, modified, removed and wasted.

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

pub async fn run(ctx: &Context, args: Args) -> anyhow::Result<ExitCode> {
    let store = ctx.store()?;
    let steps = blocking(move || {
        let image = store.resolve(&args.image)?;
        Ok(ImageLayers::load(&store, &image)?.steps())
    })
    .await?;
    if ctx.json {
        ctx.print_json(&steps)?;
        return Ok(ExitCode::SUCCESS);
    }
    let rows: Vec<[String; 8]> = steps
        .iter()
        .map(|s| {
            let changes = if s.empty_layer {
                String::new()
            } else {
                format!("+{} ~{} -{}", s.added, s.modified, s.removed)
            };
            [
                s.index.to_string(),
                s.digest
                    .as_ref()
                    .map_or_else(|| "<empty>".to_owned(), |d| d.short().to_owned()),
                human_size(s.uncompressed_size),
                s.files.to_string(),
                changes,
                human_size(s.wasted_bytes),
                s.created.as_deref().map_or("-", short_time).to_owned(),
                one_line(s.created_by.as_deref().unwrap_or(""), 70),
            ]
        })
        .collect();
    print_table(
        &[
            "STEP",
            "LAYER",
            "SIZE",
            "FILES",
            "CHANGES",
            "WASTED",
            "CREATED",
            "CREATED BY",
        ],
        &rows,
    );
    Ok(ExitCode::SUCCESS)
}

/// `2024-05-01T12:00:00.123Z` → `2024-05-01 12:00`.
fn short_time(t: &str) -> &str {
    t.get(..16).unwrap_or(t)
}

/// A Dockerfile step on one line, cut to `max` characters as `docker history` does.
fn one_line(text: &str, max: usize) -> String {
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= max {
        return flat;
    }
    let cut: String = flat.chars().take(max - 1).collect();
    format!("{cut}…")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_fit_on_one_line() {
        assert_eq!(one_line("RUN a &&\n    b", 70), "RUN a && b");
        assert_eq!(one_line("abcdef", 4), "abc…");
        assert_eq!(short_time("2024-05-01T12:00:00.123Z"), "2024-05-01T12:00");
    }
}
