// Keeps a console window from opening next to the app in Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    // Before any thread starts and before GTK and WebKit read the environment.
    porthole_app::render::prepare_environment();
    porthole_app::run();
}
