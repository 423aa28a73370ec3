//! How an image runs: the `config` object of its config blob (entrypoint, command,
//! environment, working directory, user, ports, volumes, labels), read leniently: a field of
//! the wrong type is left out rather than failing the image.

use serde::Serialize;
use serde_json::Value;

use crate::store::{ImageSummary, Store, StoreError};

/// The largest config blob read (containerd caps manifests at 4 MiB; configs with long
/// histories run larger).
pub const MAX_CONFIG_BYTES: u64 = 8 * 1024 * 1024;

/// The run settings of an image config. Field names are the JSON of `porthole diff`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct RunConfig {
    pub entrypoint: Option<Vec<String>>,
    pub cmd: Option<Vec<String>>,
    /// `KEY=value` lines, in the config's order.
    pub env: Vec<String>,
    pub working_dir: Option<String>,
    pub user: Option<String>,
    /// `80/tcp`, sorted.
    pub exposed_ports: Vec<String>,
    /// Sorted.
    pub volumes: Vec<String>,
    /// Sorted by key.
    pub labels: Vec<(String, String)>,
    pub stop_signal: Option<String>,
}

impl RunConfig {
    /// The `config` object of an OCI/Docker image config blob.
    pub fn from_blob(blob: &[u8]) -> Result<RunConfig, serde_json::Error> {
        let doc: Value = serde_json::from_slice(blob)?;
        let c = &doc["config"];
        let strings = |v: &Value| -> Option<Vec<String>> {
            v.as_array().map(|a| {
                a.iter()
                    .map(|s| s.as_str().map_or_else(|| s.to_string(), str::to_owned))
                    .collect()
            })
        };
        let text = |v: &Value| v.as_str().filter(|s| !s.is_empty()).map(str::to_owned);
        let keys = |v: &Value| -> Vec<String> {
            let mut keys: Vec<String> = v
                .as_object()
                .map(|o| o.keys().cloned().collect())
                .unwrap_or_default();
            keys.sort();
            keys
        };
        let mut labels: Vec<(String, String)> = c["Labels"]
            .as_object()
            .map(|o| {
                o.iter()
                    .map(|(k, v)| {
                        (
                            k.clone(),
                            v.as_str().map_or_else(|| v.to_string(), str::to_owned),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        labels.sort();
        Ok(RunConfig {
            entrypoint: strings(&c["Entrypoint"]),
            cmd: strings(&c["Cmd"]),
            env: strings(&c["Env"]).unwrap_or_default(),
            working_dir: text(&c["WorkingDir"]),
            user: text(&c["User"]),
            exposed_ports: keys(&c["ExposedPorts"]),
            volumes: keys(&c["Volumes"]),
            labels,
            stop_signal: text(&c["StopSignal"]),
        })
    }

    /// The run config of a stored image.
    pub fn of(store: &Store, image: &ImageSummary) -> Result<RunConfig, StoreError> {
        let blob = store.read_blob(&image.id, MAX_CONFIG_BYTES)?;
        RunConfig::from_blob(&blob).map_err(|e| StoreError::Corrupt {
            path: store.blob_path(&image.id),
            reason: format!("the image config is not valid JSON: {e}"),
        })
    }

    /// The environment as (name, value) pairs; a line without `=` is a name with no value.
    pub fn env_vars(&self) -> Vec<(&str, &str)> {
        self.env
            .iter()
            .map(|line| line.split_once('=').unwrap_or((line.as_str(), "")))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_config_object_leniently() {
        let blob = br#"{"config": {"Entrypoint": ["/init"], "Cmd": ["nginx", 5],
            "Env": ["PATH=/usr/bin", "EMPTY"], "WorkingDir": "", "User": "app",
            "ExposedPorts": {"443/tcp": {}, "80/tcp": {}}, "Volumes": {"/data": {}},
            "Labels": {"b": "2", "a": {"x": 1}}, "StopSignal": "SIGQUIT"}}"#;
        let c = RunConfig::from_blob(blob).unwrap();
        assert_eq!(c.entrypoint, Some(vec!["/init".to_owned()]));
        assert_eq!(c.cmd, Some(vec!["nginx".to_owned(), "5".to_owned()]));
        assert_eq!(c.env_vars(), [("PATH", "/usr/bin"), ("EMPTY", "")]);
        assert_eq!(c.working_dir, None);
        assert_eq!(c.user.as_deref(), Some("app"));
        assert_eq!(c.exposed_ports, ["443/tcp", "80/tcp"]);
        assert_eq!(c.volumes, ["/data"]);
        assert_eq!(
            c.labels,
            [
                ("a".to_owned(), r#"{"x":1}"#.to_owned()),
                ("b".to_owned(), "2".to_owned())
            ]
        );
        assert_eq!(c.stop_signal.as_deref(), Some("SIGQUIT"));
        // No config object at all: everything empty, not an error.
        assert_eq!(RunConfig::from_blob(b"{}").unwrap(), RunConfig::default());
        assert!(RunConfig::from_blob(b"not json").is_err());
    }
}
