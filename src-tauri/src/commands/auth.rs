//! Signing in to registries from the Settings page, exactly as `porthole login` and
//! `docker login` do: the credentials are checked against the registry first, then saved
//! through Docker's credential helper, else in Docker's `config.json`. Porthole keeps no
//! secret of its own: not in the settings file, not in the UI's store. The UI only ever
//! learns whether credentials exist, for which user, and where they are.

use porthole_engine::registry::RegistryError;
use porthole_engine::registry::credentials::{
    CredentialError, CredentialSource, CredentialStore, Credentials, SavedTo, Secret, registry_name,
};
use tauri::State;
use tokio_util::sync::CancellationToken;

use super::inspect::blocking;
use crate::AppState;
use crate::ipc::{IpcError, IpcErrorCode, SignInAnswer, SignInStatus};

/// Whether credentials are saved for `registry` (none: Docker Hub), for whom and where.
/// Never answers with the secret.
#[tauri::command]
pub async fn registry_sign_in_status(registry: Option<String>) -> Result<SignInStatus, IpcError> {
    let registry = name(registry.as_deref())?;
    blocking("reading saved credentials", move || {
        Ok(status(&CredentialStore::from_env(), &registry))
    })
    .await
}

/// Checks `username` and `password` (or a token) against `registry`, then saves them like
/// `docker login`. Fails with `auth` when the registry refuses them; nothing is saved then.
#[tauri::command]
pub async fn registry_sign_in(
    state: State<'_, AppState>,
    registry: Option<String>,
    username: String,
    password: String,
) -> Result<SignInAnswer, IpcError> {
    let registry = name(registry.as_deref())?;
    let creds = credentials(username, password)?;
    let network = state.network()?;
    network
        .registry
        .check_login(&registry, &creds, &CancellationToken::new())
        .await
        .map_err(|e| refused(&registry, &creds.username, e))?;
    let username = creds.username.clone();
    let reg = registry.clone();
    let saved = blocking("saving the credentials", move || {
        CredentialStore::from_env()
            .save(&reg, &creds)
            .map_err(credential_error)
    })
    .await?;
    // The registry client remembers each registry's credentials (none, too) once it has
    // asked: a new one, so that the next pull or push of this window signs in.
    state.reload_network();
    let (helper, config_file) = match saved {
        SavedTo::Helper(helper) => (Some(helper), None),
        SavedTo::ConfigFile(path) => (None, Some(path.display().to_string())),
    };
    Ok(SignInAnswer {
        registry,
        username,
        helper,
        config_file,
    })
}

/// Forgets the saved credentials of `registry` like `docker logout`, and says what is left
/// (Podman's files, which are only read, may still hold some).
#[tauri::command]
pub async fn registry_sign_out(
    state: State<'_, AppState>,
    registry: Option<String>,
) -> Result<SignInStatus, IpcError> {
    let registry = name(registry.as_deref())?;
    let answer = blocking("removing the credentials", move || {
        let store = CredentialStore::from_env();
        store.erase(&registry).map_err(credential_error)?;
        Ok(status(&store, &registry))
    })
    .await?;
    // As after a sign-in: the next request must not use the forgotten credentials.
    state.reload_network();
    Ok(answer)
}

fn name(registry: Option<&str>) -> Result<String, IpcError> {
    registry_name(registry.filter(|r| !r.trim().is_empty())).map_err(credential_error)
}

/// The user name and secret, checked before anything is sent anywhere.
fn credentials(username: String, password: String) -> Result<Credentials, IpcError> {
    let invalid = |message: &str| Err(IpcError::new(IpcErrorCode::InvalidInput, message));
    let username = username.trim().to_owned();
    if username.is_empty() {
        return invalid("Enter the user name.");
    }
    if username.contains(':') {
        return invalid("The user name cannot contain “:”.");
    }
    if password.is_empty() {
        return invalid("Enter the password or access token.");
    }
    Ok(Credentials {
        username,
        secret: Secret::new(password),
    })
}

/// The registry's refusal in the person's terms; other failures as they are.
fn refused(registry: &str, username: &str, error: RegistryError) -> IpcError {
    match error {
        RegistryError::CredentialsRefused { .. } | RegistryError::Denied { .. } => IpcError::new(
            IpcErrorCode::Auth,
            format!(
                "{registry} refused the credentials for {username}: check the user name and the password or token"
            ),
        ),
        other => other.into(),
    }
}

fn status(store: &CredentialStore, registry: &str) -> SignInStatus {
    let mut answer = SignInStatus {
        registry: registry.to_owned(),
        username: None,
        source: None,
        problem: None,
    };
    match store.lookup(registry, None) {
        Ok(Some(found)) => {
            answer.username = found.credentials.map(|c| c.username);
            answer.source = Some(match found.source {
                CredentialSource::Helper(helper) => format!("the credential helper {helper}"),
                CredentialSource::DockerConfig(path) | CredentialSource::PodmanAuthFile(path) => {
                    path.display().to_string()
                }
                other => format!("{other:?}"),
            });
            if answer.username.is_none() {
                // Only a registry token: signed in, with no user to name.
                answer.username = Some("(token)".into());
            }
        }
        Ok(None) => {}
        Err(e) => answer.problem = Some(e.to_string()),
    }
    answer
}

fn credential_error(error: CredentialError) -> IpcError {
    let code = match &error {
        CredentialError::InvalidRegistry { .. } | CredentialError::InvalidCredentials { .. } => {
            IpcErrorCode::InvalidInput
        }
        _ => IpcErrorCode::Internal,
    };
    IpcError::new(code, error.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_are_checked_before_any_request() {
        let error = credentials(" ".into(), "pw".into()).unwrap_err();
        assert_eq!(error.code, IpcErrorCode::InvalidInput);
        assert!(error.message.contains("user name"), "{}", error.message);
        let error = credentials("a:b".into(), "pw".into()).unwrap_err();
        assert!(error.message.contains("“:”"), "{}", error.message);
        let error = credentials("alice".into(), String::new()).unwrap_err();
        assert!(error.message.contains("password"), "{}", error.message);
        let ok = credentials(" alice ".into(), "s3cret".into()).unwrap();
        assert_eq!(ok.username, "alice");
        assert!(!format!("{ok:?}").contains("s3cret"));
    }

    #[test]
    fn a_refusal_names_the_registry_and_the_user_but_not_the_secret() {
        let error = refused(
            "127.0.0.1:5000",
            "alice",
            RegistryError::CredentialsRefused {
                registry: "127.0.0.1:5000".into(),
                repository: "the registry".into(),
            },
        );
        assert_eq!(error.code, IpcErrorCode::Auth);
        assert!(
            error
                .message
                .starts_with("127.0.0.1:5000 refused the credentials for alice"),
            "{}",
            error.message
        );
        assert_eq!(name(None).unwrap(), "docker.io");
        assert_eq!(name(Some("  ")).unwrap(), "docker.io");
        assert_eq!(
            name(Some("https://index.docker.io/v1/")).unwrap(),
            "docker.io"
        );
        assert_eq!(
            name(Some("bad host")).unwrap_err().code,
            IpcErrorCode::InvalidInput
        );
    }

    #[test]
    fn status_reports_the_user_and_file_but_never_the_secret() {
        let dir = tempfile_dir();
        let store = CredentialStore::new(dir.clone(), Vec::new());
        let none = status(&store, "127.0.0.1:5000");
        assert_eq!(none.username, None);
        assert_eq!(none.problem, None);
        let saved = store
            .save("127.0.0.1:5000", &Credentials::new("alice", "s3cret"))
            .unwrap();
        assert_eq!(saved, SavedTo::ConfigFile(dir.join("config.json")));
        let found = status(&store, "127.0.0.1:5000");
        assert_eq!(found.username.as_deref(), Some("alice"));
        assert_eq!(
            found.source.as_deref(),
            Some(dir.join("config.json").display().to_string().as_str())
        );
        assert!(!serde_json::to_string(&found).unwrap().contains("s3cret"));
        std::fs::write(dir.join("config.json"), "{broken").unwrap();
        let broken = status(&store, "127.0.0.1:5000");
        assert!(broken.problem.unwrap().contains("not valid JSON"));
        std::fs::remove_dir_all(dir).unwrap();
    }

    fn tempfile_dir() -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "porthole-app-auth-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }
}
