# Shared by the bench/*.sh scripts (sourced, never run): where things are, logging, the
# release CLI, and the fixture layers bench/pull.sh makes and caches under out/fixtures.
#
# Each layer is FIX/NAME.tar.gz + FIX/NAME.json; the .json is written last, so its presence
# means the layer is complete.

BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$BENCH")
OUT=$BENCH/out
FIX=$OUT/fixtures
mkdir -p "$FIX"

log() { printf '[bench %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { log "error: $*"; exit 1; }

# Sets PORTHOLE: $BENCH_PORTHOLE as it is (a binary built already, say of another commit),
# else the release CLI built now.
release_cli() {
    if [[ -n ${BENCH_PORTHOLE:-} ]]; then
        PORTHOLE=$BENCH_PORTHOLE
        log "using $PORTHOLE as it is"
    else
        log "building the release CLI"
        (cd "$ROOT" && cargo build --release -p porthole-cli)
        local target=${CARGO_TARGET_DIR:-target}
        [[ $target = /* ]] || target=$ROOT/$target
        PORTHOLE=$target/release/porthole
    fi
    [[ -x $PORTHOLE ]] || die "no binary at $PORTHOLE"
}

pack_layer() { # NAME PRODUCER...: run PRODUCER (a tar on stdout) unless NAME is cached
    local name=$1; shift
    [[ -f $FIX/$name.json ]] && return 0
    log "making layer $name"
    "$@" | python3 "$BENCH/fixtures.py" pack "$FIX/$name"
}

debian_rootfs() { # a Debian bookworm minbase rootfs (debootstrap, once) as a tar on stdout
    local dir=$OUT/debian-minbase
    if [[ ! -d $dir/rootfs ]]; then
        command -v debootstrap >/dev/null || die "debootstrap not found (apt-get install -y debootstrap)"
        [[ $(id -u) = 0 ]] || die "debootstrap needs root"
        log "debootstrap --variant=minbase bookworm (a few minutes)"
        rm -rf "$dir/rootfs.tmp"
        mkdir -p "$dir"
        debootstrap --variant=minbase bookworm "$dir/rootfs.tmp" >"$dir/debootstrap.log" 2>&1 \
            || die "debootstrap failed, see $dir/debootstrap.log"
        mv "$dir/rootfs.tmp" "$dir/rootfs"
    fi
    # As an image would ship it: no device nodes, no downloaded .debs or apt lists.
    tar -C "$dir/rootfs" -cf - --numeric-owner --sort=name \
        --exclude='./dev/*' --exclude='./proc/*' --exclude='./sys/*' \
        --exclude='./var/cache/apt/archives/*.deb' --exclude='./var/lib/apt/lists/*' .
}

# Fills the associative array LAYERS (declare -A it first): for each image of $IMAGES
# (debian-minbase, big, twenty), its layers' FIX/NAME paths, made when missing. Uses
# $BIG_SIZE and $TWENTY_LAYER.
make_layers() {
    local image i
    for image in $IMAGES; do
        case $image in
            debian-minbase)
                pack_layer debian-minbase debian_rootfs
                LAYERS[$image]=$FIX/debian-minbase ;;
            big)
                pack_layer "big-$BIG_SIZE" python3 "$BENCH/fixtures.py" gen-mixed big "$BIG_SIZE"
                LAYERS[$image]=$FIX/big-$BIG_SIZE ;;
            twenty)
                LAYERS[$image]=""
                for i in $(seq -w 1 20); do
                    pack_layer "twenty-$TWENTY_LAYER-$i" python3 "$BENCH/fixtures.py" gen-random "t$i" "$TWENTY_LAYER"
                    LAYERS[$image]+=" $FIX/twenty-$TWENTY_LAYER-$i"
                done ;;
            *) die "unknown image $image (debian-minbase, big, twenty)" ;;
        esac
    done
}

# --- a local registry (the caller sets WORK, and calls stop_registry on exit) ----------
REGISTRY_PID=""
REG=""
stop_registry() {
    if [[ -n $REGISTRY_PID ]]; then
        kill "$REGISTRY_PID" 2>/dev/null || true
        wait "$REGISTRY_PID" 2>/dev/null || true
        REGISTRY_PID=""
    fi
}
start_registry() { # a new, empty docker-registry on a free 127.0.0.1 port; sets REG
    stop_registry
    rm -rf "$WORK/registry" "$WORK/registry.log"
    cat >"$WORK/config.yml" <<CONFIG
version: 0.1
log:
  level: info
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $WORK/registry
  delete:
    enabled: true
http:
  secret: porthole-bench
CONFIG
    REGISTRY_HTTP_ADDR=127.0.0.1:0 docker-registry serve "$WORK/config.yml" >"$WORK/registry.log" 2>&1 &
    REGISTRY_PID=$!
    local port=""
    for _ in $(seq 100); do
        port=$(grep -o 'listening on 127\.0\.0\.1:[0-9]*' "$WORK/registry.log" | head -1 | cut -d: -f2 || true)
        [[ -n $port ]] && break
        kill -0 "$REGISTRY_PID" 2>/dev/null || { cat "$WORK/registry.log" >&2; die "the registry exited"; }
        sleep 0.1
    done
    [[ -n $port ]] || { cat "$WORK/registry.log" >&2; die "the registry did not say where it listens"; }
    REG=127.0.0.1:$port
}

# --- timing (the caller sets WORK and RESULTS) -----------------------------------------
measure() { # IMAGE TOOL RUN CMD...: time CMD, append a row to RESULTS
    # Each run starts from a synced disk, so that no tool pays for the writeback or the
    # journal commit of what the previous run wrote and deleted. When a registry runs
    # (REGISTRY_PID), its CPU seconds during the run are the row's last column: on a
    # 2-core machine it shares the cores with the tool it serves.
    local image=$1 tool=$2 run=$3; shift 3
    local t=$WORK/time.txt before=0 after=0 registry=-
    sync
    [[ -n ${REGISTRY_PID:-} ]] && before=$(registry_ticks)
    if ! /usr/bin/time -f '%e %M %U %S' -o "$t" "$@" >"$WORK/$tool.log" 2>&1; then
        cat "$WORK/$tool.log" >&2
        die "$tool failed on $image (run $run)"
    fi
    if [[ -n ${REGISTRY_PID:-} ]]; then
        after=$(registry_ticks)
        registry=$(awk -v d=$((after - before)) -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.2f", d / hz }')
    fi
    read -r secs rss user sys <"$t"
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$image" "$tool" "$run" "$secs" "$rss" "$user" "$sys" \
        "$registry" >>"$RESULTS"
    log "$image $tool run $run: ${secs}s (CPU ${user}s user ${sys}s sys; registry ${registry}s), peak RSS $((rss / 1024)) MiB"
}

registry_ticks() { # the registry's user + system CPU so far, in clock ticks
    awk '{ print $14 + $15 }' "/proc/$REGISTRY_PID/stat" 2>/dev/null || echo 0
}
