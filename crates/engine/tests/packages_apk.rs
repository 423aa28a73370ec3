//! Alpine's apk database, from fixtures written to the documented format of
//! `lib/apk/db/installed` (no apk tool runs on this Debian machine).

mod packages_support;

mod packages_apk {
    use std::fs;

    use porthole_engine::packages::apk;

    use super::packages_support::*;

    #[test]
    fn fixture_cases_match_their_expected_lists() {
        assert_eq!(check_cases("apk"), 2);
    }

    /// The JSON of `porthole packages --json`: these keys, in this spelling.
    #[test]
    fn packages_serialize_with_the_cli_field_names() {
        let root = fixtures("apk").join("alpine-3.18/root");
        let (_, found) = porthole_engine::packages::detect_in_dir(&root).unwrap();
        let json = serde_json::to_value(&found[0]).unwrap();
        let keys: Vec<&str> = json
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        let mut want = [
            "name",
            "version",
            "type",
            "purl",
            "licenses",
            "source_name",
            "source_version",
            "arch",
            "location",
            "layer",
            "layer_digest",
        ];
        want.sort();
        let mut keys = keys;
        keys.sort();
        assert_eq!(keys, want);
        assert_eq!(json["type"], "apk");
        assert_eq!(json["layer"], serde_json::Value::Null);
    }

    #[test]
    fn file_lists_join_f_and_r_lines() {
        let db = fs::read(fixtures("apk").join("alpine-3.18/root/lib/apk/db/installed")).unwrap();
        let owners = apk::file_owners(&db);
        assert_eq!(owners["/lib/ld-musl-x86_64.so.1"], "musl");
        assert_eq!(owners["/bin/sh"], "busybox");
        assert_eq!(owners["/etc/logrotate.d/acpid"], "busybox");
        assert_eq!(
            owners["/etc/ssl/certs/ca-certificates.crt"],
            "ca-certificates-bundle"
        );
        assert_eq!(owners.len(), 9);
        let records = apk::records(&String::from_utf8_lossy(&db));
        let busybox = records.iter().find(|r| r.name == "busybox").unwrap();
        assert_eq!(busybox.depends, ["so:libc.musl-x86_64.so.1"]);
        assert_eq!(busybox.provides.len(), 3);
    }
}
