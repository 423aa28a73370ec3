# Sourced by scripts/setup.sh, test.sh and run-app.sh: puts the toolchains that setup.sh
# installs for the user (Rust through rustup in ~/.cargo, Node.js in ~/.local/share) and
# what `cargo install` adds (tauri-driver) on PATH, first, as rustup's own env script does.
porthole_node_dir="${XDG_DATA_HOME:-$HOME/.local/share}/porthole-toolchain/node"
for porthole_bin in "$HOME/.cargo/bin" "$porthole_node_dir/bin"; do
  if [ -d "$porthole_bin" ]; then
    case ":$PATH:" in
      *":$porthole_bin:"*) ;;
      *) export PATH="$porthole_bin:$PATH" ;;
    esac
  fi
done
unset porthole_bin
