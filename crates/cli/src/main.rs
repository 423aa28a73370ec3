//! `porthole`: the command line over Porthole's engine. Every command is a thin adapter:
//! parse flags, call the engine, print (human text, or one JSON document with `--json`).

mod commands;
mod output;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser, Debug)]
#[command(
    name = "porthole",
    version,
    about = "Pull and look inside container images, no container engine needed"
)]
pub struct Cli {
    /// The image store (an OCI image layout). Default: $PORTHOLE_STORE, else the config
    /// file's `store`, else the data dir (~/.local/share/porthole/store on Linux).
    #[arg(long, global = true, value_name = "DIR")]
    pub store: Option<PathBuf>,
    /// Print one JSON document on stdout instead of human output.
    #[arg(long, global = true)]
    pub json: bool,
    /// The config file. Default: $PORTHOLE_CONFIG, else ~/.config/porthole/config.json.
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// A docker.io mirror to try before Docker Hub (repeatable). Overrides
    /// $PORTHOLE_REGISTRY_MIRRORS and the config file.
    #[arg(long = "registry-mirror", global = true, value_name = "URL")]
    pub registry_mirrors: Vec<String>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Pull an image from a registry into the store.
    Pull(commands::pull::Args),
    /// Push an image of the store to a registry (as `docker push` does).
    Push(commands::push::Args),
    /// List the images in the store.
    Images,
    /// Show an image's manifest, config and summary.
    Inspect(commands::inspect::Args),
    /// List an image's build steps with what each layer added, modified, removed and wasted.
    Layers(commands::layers::Args),
    /// List an image's files (the final filesystem, or what one step changed).
    Files(commands::files::Args),
    /// Print a file of an image (symlinks followed inside the image), as the layer that
    /// wrote it holds it.
    Cat(commands::cat::Args),
    /// Show an image's wasted space and efficiency score, as dive computes them.
    Efficiency(commands::efficiency::Args),
    /// List the OS packages and libraries installed in an image, with the step that
    /// introduced each.
    Packages(commands::packages::Args),
    /// Show which OS an image is (from its os-release).
    Os(commands::packages::OsArgs),
    /// Write an image's SBOM (CycloneDX 1.6 or SPDX 2.3 JSON).
    Sbom(commands::sbom::Args),
    /// Compare two images: packages upgraded, added and removed, files changed, shared
    /// layers, and with --vulns the advisories fixed and introduced.
    Diff(commands::diff::Args),
    /// List the known vulnerabilities (OSV advisories) of an image's packages.
    Vulns(commands::vulns::Args),
    /// Manage the offline vulnerability database (OSV exports).
    Vulndb {
        #[command(subcommand)]
        command: commands::vulns::DbCommand,
    },
    /// Write an image's final filesystem into a directory (as `umoci unpack` does).
    Unpack(commands::unpack::UnpackArgs),
    /// Write an image's final filesystem as one tar stream (as `crane export` does).
    Export(commands::unpack::ExportArgs),
    /// Write images as one tar archive for `docker load`, `podman load` or skopeo
    /// (what `docker save` writes: an OCI layout with Docker's manifest.json).
    Save(commands::save::Args),
    /// Add the images of a tar archive (docker save, podman save, skopeo's docker-archive
    /// or oci-archive, porthole save; plain, gzip or zstd) to the store, as `docker load` does.
    Load(commands::load::Args),
    /// Give an image another name (as `docker tag` does).
    Tag(commands::tag::Args),
    /// Remove images from the store (their blobs go at the next `gc`).
    Rm(commands::rm::Args),
    /// Delete blobs that no image uses.
    Gc,
    /// Re-hash every blob the images use and report problems.
    Fsck,
    /// Save credentials for a registry (as `docker login` does).
    Login(commands::login::LoginArgs),
    /// Remove saved credentials for a registry.
    Logout(commands::login::LogoutArgs),
    /// Search Docker Hub (or a registry's catalog with --registry) for images.
    Search(commands::search::Args),
    /// List a repository's tags with their platforms and sizes.
    Tags(commands::tags::Args),
}

/// Die quietly on a closed pipe (`porthole images --json | head`), as Unix tools do,
/// instead of panicking in `println!`.
#[cfg(unix)]
#[allow(unsafe_code)]
fn restore_default_sigpipe() {
    // SAFETY: called first thing in main, before any thread exists; SIG_DFL is a valid
    // disposition for SIGPIPE.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

#[cfg(not(unix))]
fn restore_default_sigpipe() {}

/// The store directory: `--store`, else `$PORTHOLE_STORE`, else the config file's `store`,
/// else the data directory. A config file that cannot be read is skipped here:
/// `commands::run` reads it again and reports why before any command runs.
fn store_dir(cli: &Cli) -> Result<PathBuf, porthole_engine::config::ConfigError> {
    let config = porthole_engine::config::Config::load_with_env(cli.config.as_deref()).ok();
    let configured = match &config {
        Some(config) => config.store_dir()?,
        None => None,
    };
    Ok(porthole_engine::store::Store::locate(cli.store.as_deref(), configured).path)
}

fn main() -> ExitCode {
    restore_default_sigpipe();
    let mut cli = Cli::parse();
    match store_dir(&cli) {
        Ok(dir) => cli.store = Some(dir),
        Err(e) => {
            eprintln!("porthole: error: {e}");
            return ExitCode::FAILURE;
        }
    }
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("PORTHOLE_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .without_time()
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("porthole: error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(commands::run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("porthole: error: {}", output::error_line(&e));
            ExitCode::FAILURE
        }
    }
}
