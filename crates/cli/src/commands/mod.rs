//! One file per command; `run` builds what they share (store, config, registry client).

pub mod cat;
pub mod diff;
pub mod efficiency;
pub mod files;
pub mod fsck_gc;
pub mod images;
pub mod inspect;
pub mod layers;
pub mod load;
pub mod login;
pub mod packages;
pub mod pull;
pub mod push;
pub mod rm;
pub mod save;
pub mod sbom;
pub mod search;
pub mod tag;
pub mod tags;
pub mod unpack;
pub mod vulns;

use std::process::ExitCode;

use anyhow::Context as _;
use porthole_engine::config::Config;
use porthole_engine::registry::RegistryClient;
use porthole_engine::registry::credentials::CredentialStore;
use porthole_engine::store::Store;
use serde::Serialize;

use crate::{Cli, Command};

/// What the commands share.
pub struct Context {
    pub json: bool,
    pub config: Config,
    store_dir: std::path::PathBuf,
}

impl Context {
    pub fn store(&self) -> anyhow::Result<Store> {
        Ok(Store::open(&self.store_dir)?)
    }

    pub fn client(&self) -> anyhow::Result<RegistryClient> {
        Ok(RegistryClient::new(
            self.config.clone(),
            CredentialStore::from_env(),
        )?)
    }

    /// Print `value` as the command's one JSON document.
    pub fn print_json<T: Serialize>(&self, value: &T) -> anyhow::Result<()> {
        let text = serde_json::to_string_pretty(value).context("cannot encode the output")?;
        println!("{text}");
        Ok(())
    }
}

pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let mut config = Config::load_with_env(cli.config.as_deref())?;
    if !cli.registry_mirrors.is_empty() {
        config.registry_mirrors = cli.registry_mirrors.clone();
    }
    // Check mirrors up front, so a typo is reported before any network traffic.
    config.mirror_urls()?;
    let ctx = Context {
        json: cli.json,
        config,
        store_dir: cli.store.clone().unwrap_or_else(Store::default_root),
    };
    match cli.command {
        Command::Pull(args) => pull::run(&ctx, args).await,
        Command::Push(args) => push::run(&ctx, args).await,
        Command::Images => images::run(&ctx).await,
        Command::Inspect(args) => inspect::run(&ctx, args).await,
        Command::Layers(args) => layers::run(&ctx, args).await,
        Command::Files(args) => files::run(&ctx, args).await,
        Command::Cat(args) => cat::run(&ctx, args).await,
        Command::Efficiency(args) => efficiency::run(&ctx, args).await,
        Command::Packages(args) => packages::run(&ctx, args).await,
        Command::Os(args) => packages::run_os(&ctx, args).await,
        Command::Sbom(args) => sbom::run(&ctx, args).await,
        Command::Save(args) => save::run(&ctx, args).await,
        Command::Unpack(args) => unpack::unpack(&ctx, args).await,
        Command::Export(args) => unpack::export(&ctx, args).await,
        Command::Load(args) => load::run(&ctx, args).await,
        Command::Diff(args) => diff::run(&ctx, args).await,
        Command::Vulns(args) => vulns::run(&ctx, args).await,
        Command::Vulndb { command } => vulns::db(&ctx, command).await,
        Command::Rm(args) => rm::run(&ctx, args).await,
        Command::Tag(args) => tag::run(&ctx, args).await,
        Command::Gc => fsck_gc::gc(&ctx).await,
        Command::Fsck => fsck_gc::fsck(&ctx).await,
        Command::Login(args) => login::login(&ctx, args).await,
        Command::Logout(args) => login::logout(&ctx, args).await,
        Command::Search(args) => search::run(&ctx, args).await,
        Command::Tags(args) => tags::run(&ctx, args).await,
    }
}

/// Run blocking store work off the async threads.
pub async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> anyhow::Result<T> + Send + 'static,
) -> anyhow::Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .context("a worker thread failed")?
}

/// A token cancelled when the person presses Ctrl-C: the command then stops cleanly (what it
/// wrote whole stays, nothing half-written is left visible) instead of dying mid-write.
pub fn cancel_on_ctrl_c() -> tokio_util::sync::CancellationToken {
    let cancel = tokio_util::sync::CancellationToken::new();
    let token = cancel.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            token.cancel();
        }
    });
    cancel
}
