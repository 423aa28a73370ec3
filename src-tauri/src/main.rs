// Keeps a console window from opening next to the app in Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

#[allow(unsafe_code)]
fn main() {
    // SAFETY: the first thing the process does, while it has no other thread; GTK and WebKit
    // read the environment later.
    unsafe { porthole_app::render::prepare_environment() };
    porthole_app::run();
}
