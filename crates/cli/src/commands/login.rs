use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use porthole_engine::registry::credentials::{
    CredentialStore, Credentials, SavedTo, Secret, registry_name,
};
use tokio_util::sync::CancellationToken;

use super::{Context, blocking};

#[derive(clap::Args, Debug)]
pub struct LoginArgs {
    /// The registry, e.g. `ghcr.io` or `127.0.0.1:5000`. Default: Docker Hub (docker.io).
    pub server: Option<String>,
    #[arg(long, short = 'u')]
    pub username: Option<String>,
    /// Read the password (or token) from standard input.
    #[arg(long)]
    pub password_stdin: bool,
}

#[derive(clap::Args, Debug)]
pub struct LogoutArgs {
    /// The registry. Default: Docker Hub (docker.io).
    pub server: Option<String>,
}

pub async fn login(ctx: &Context, args: LoginArgs) -> anyhow::Result<ExitCode> {
    let registry = registry_name(args.server.as_deref())?;
    let username = match args.username {
        Some(u) => u,
        None if std::io::stdin().is_terminal() && !args.password_stdin => {
            eprint!("Username: ");
            std::io::stderr().flush().ok();
            let mut line = String::new();
            std::io::stdin().lock().read_line(&mut line)?;
            line.trim().to_owned()
        }
        None => bail!("no username: pass --username"),
    };
    if username.is_empty() {
        bail!("the username is empty");
    }
    let password = if args.password_stdin {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        line.trim_end_matches(['\r', '\n']).to_owned()
    } else if std::io::stdin().is_terminal() {
        rpassword::prompt_password("Password: ").context("cannot read the password")?
    } else {
        bail!("no password: pass --password-stdin and write it to standard input")
    };
    if password.is_empty() {
        bail!("the password is empty");
    }
    let creds = Credentials {
        username,
        secret: Secret::new(password),
    };
    let client = ctx.client()?;
    client
        .check_login(&registry, &creds, &CancellationToken::new())
        .await?;
    let store = CredentialStore::from_env();
    let reg = registry.clone();
    let saved = blocking(move || Ok(store.save(&reg, &creds)?)).await?;
    if !ctx.json {
        match &saved {
            SavedTo::Helper(h) => eprintln!("Credentials saved with the credential helper `{h}`."),
            SavedTo::ConfigFile(p) => eprintln!(
                "WARNING: your password is stored unencrypted (base64) in {}, as Docker does without a credential helper.\n\
                 Configure a credential helper (credsStore) to keep it in the system keyring.",
                p.display()
            ),
        }
        println!("Login Succeeded");
    } else {
        ctx.print_json(&serde_json::json!({"registry": registry, "logged_in": true}))?;
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn logout(ctx: &Context, args: LogoutArgs) -> anyhow::Result<ExitCode> {
    let registry = registry_name(args.server.as_deref())?;
    let store = CredentialStore::from_env();
    let reg = registry.clone();
    let removed = blocking(move || Ok(store.erase(&reg)?)).await?;
    if ctx.json {
        ctx.print_json(&serde_json::json!({"registry": registry, "removed": removed}))?;
    } else if removed {
        println!("Removing login credentials for {registry}");
    } else {
        println!("Not logged in to {registry}");
    }
    Ok(ExitCode::SUCCESS)
}
