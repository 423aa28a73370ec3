fn main() {
    // Declaring the app's commands here makes each one a permission (`allow-list-images`, ...)
    // that capabilities/*.json must grant: the capability file is then the real list of what
    // the UI may call.
    let manifest = tauri_build::AppManifest::new().commands(&[
        "list_images",
        "remove_images",
        "store_usage",
        "pull_image",
        "cancel_pull",
        "push_destination",
        "push_image",
        "cancel_push",
        "search_hub",
        "hub_tags",
        "registry_tags",
        "resolve_reference",
        "image_details",
        "image_files",
        "search_image_files",
        "read_image_file",
        "save_image_file",
        "compare_file",
        "export_filesystem",
        "image_packages",
        "compare_images",
        "compare_vulnerabilities",
        "image_vulnerabilities",
        "cancel_vulnerabilities",
        "fill_vulnerability_counts",
        "export_sbom",
        "save_image",
        "load_image_archive",
        "cancel_archive",
        "get_settings",
        "save_settings",
        "registry_sign_in_status",
        "registry_sign_in",
        "registry_sign_out",
        "vulndb_status",
        "update_vulndb",
        "cancel_vulndb_update",
        "ui_ready",
    ]);
    if let Err(error) = tauri_build::try_build(
        tauri_build::Attributes::new()
            .capabilities_path_pattern("./src-tauri/capabilities/**/*")
            .app_manifest(manifest),
    ) {
        panic!("tauri-build failed: {error:#}");
    }
}
