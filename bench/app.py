#!/usr/bin/env python3
"""Start-up time and idle memory of the Porthole app (Python 3.11 stdlib only).

  app.py APP_BINARY OUT.json

Run under an X server (bench/app.sh wraps it in xvfb-run). For each run the app starts
with a fresh XDG home and a store of a dozen small images, `PORTHOLE_STARTUP_TRACE=1`,
and this script waits for its line "porthole: interactive N ms after start" (sent once the
Images page shows its rows, laid out, with nothing queued before a click: see
ui/src/lib/startup.ts). The time is this script's, from spawning the process. Then, after
BENCH_IDLE seconds of idling, it sums the resident memory (RSS) and the proportional set
size (PSS: shared pages divided among the processes that share them) of the app and every
process it started (WebKitGTK's web and network processes), and stops them by PID.

The peer is WebKitGTK's own MiniBrowser showing about:blank, measured the same way (same
environment, so the same WebKitGTK renderer): the memory any WebKitGTK window costs on this
machine before an app adds anything.
"""

import hashlib
import io
import json
import os
import queue
import statistics
import subprocess
import sys
import tarfile
import tempfile
import threading
import time

RUNS = int(os.environ.get("BENCH_RUNS", "5"))
IDLE = float(os.environ.get("BENCH_IDLE", "5"))
IMAGES = int(os.environ.get("BENCH_APP_IMAGES", "12"))
MINIBROWSER = "/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser"


def log(msg):
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def blob(store, data: bytes) -> dict:
    digest = hashlib.sha256(data).hexdigest()
    with open(os.path.join(store, "blobs", "sha256", digest), "wb") as f:
        f.write(data)
    return {"digest": "sha256:" + digest, "size": len(data)}


def make_store(store: str, count: int):
    """An OCI layout holding `count` one-layer images named docker.io/bench/app-N:1.0."""
    os.makedirs(os.path.join(store, "blobs", "sha256"))
    manifests = []
    for n in range(count):
        raw = io.BytesIO()
        with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
            for i in range(50):
                data = f"image {n} file {i}\n".encode() * 20
                info = tarfile.TarInfo(f"app/data/file-{i}.txt")
                info.size, info.mtime = len(data), 1700000000
                tar.addfile(info, io.BytesIO(data))
        diff_id = "sha256:" + hashlib.sha256(raw.getvalue()).hexdigest()
        layer = blob(store, raw.getvalue())
        config = blob(store, json.dumps({
            "created": f"2024-01-{n % 28 + 1:02}T12:00:00Z", "architecture": "amd64", "os": "linux",
            "config": {"Cmd": ["/bin/sh"]},
            "rootfs": {"type": "layers", "diff_ids": [diff_id]},
            "history": [{"created": "2024-01-01T12:00:00Z", "created_by": "COPY app /app"}],
        }).encode())
        manifest = blob(store, json.dumps({
            "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", **config},
            "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", **layer}],
        }).encode())
        manifests.append({
            "mediaType": "application/vnd.oci.image.manifest.v1+json", **manifest,
            "platform": {"architecture": "amd64", "os": "linux"},
            "annotations": {"io.containerd.image.name": f"docker.io/bench/app-{n}:1.0",
                            "org.opencontainers.image.ref.name": "1.0"},
        })
    with open(os.path.join(store, "oci-layout"), "w") as f:
        json.dump({"imageLayoutVersion": "1.0.0"}, f)
    with open(os.path.join(store, "index.json"), "w") as f:
        json.dump({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                   "manifests": manifests}, f)


def children_of():
    """pid → its child pids, from /proc."""
    kids = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        kids.setdefault(ppid, []).append(int(entry))
    return kids


def tree(pid):
    kids, out, todo = children_of(), [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(kids.get(p, []))
    return out


def memory(pid):
    """(name, rss KiB, pss KiB) of pid, or None when it is gone."""
    try:
        with open(f"/proc/{pid}/comm") as f:
            name = f.read().strip()
        rss = pss = 0
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Rss:"):
                    rss = int(line.split()[1])
                elif line.startswith("Pss:"):
                    pss = int(line.split()[1])
        return name, rss, pss
    except OSError:
        return None


def measure_tree(pid):
    rows = [m for m in (memory(p) for p in tree(pid)) if m]
    return {"rss_kib": sum(r for _, r, _ in rows), "pss_kib": sum(p for _, _, p in rows),
            "processes": [{"name": n, "rss_kib": r, "pss_kib": p} for n, r, p in rows]}


def per_process(mem):
    """Each process's PSS/RSS in MiB, e.g. "porthole-app 87/156, WebKitWebProces 118/186"."""
    return ", ".join(f"{p['name']} {p['pss_kib'] / 1024:.0f}/{p['rss_kib'] / 1024:.0f}"
                     for p in mem["processes"]) + " MiB PSS/RSS"


def stop(pid, proc):
    pids = tree(pid)
    for p in pids:
        try:
            os.kill(p, 15)
        except ProcessLookupError:
            pass
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        for p in pids:
            try:
                os.kill(p, 9)
            except ProcessLookupError:
                pass
        proc.wait()


def run_app(app: str, home: str):
    store = os.path.join(home, "store")
    make_store(store, IMAGES)
    env = dict(os.environ)
    for var, sub in [("XDG_DATA_HOME", "data"), ("XDG_CONFIG_HOME", "config"),
                     ("XDG_CACHE_HOME", "cache")]:
        env[var] = os.path.join(home, sub)
        os.makedirs(env[var])
    config = os.path.join(home, "porthole.json")
    with open(config, "w") as f:
        f.write("{}")
    env.update(PORTHOLE_STORE=store, PORTHOLE_CONFIG=config, PORTHOLE_STARTUP_TRACE="1",
               DOCKER_CONFIG=os.path.join(home, "docker"))
    started = time.monotonic()
    proc = subprocess.Popen([app], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            text=True)
    try:
        # Lines are read on a thread so that an app that never says it is ready cannot hang
        # the benchmark past its deadline.
        lines = queue.Queue()
        threading.Thread(target=lambda: [lines.put(l) for l in proc.stderr] + [lines.put("")],
                         daemon=True).start()
        reported = None
        deadline = started + 60
        while time.monotonic() < deadline:
            try:
                line = lines.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                break
            if not line:
                raise RuntimeError(f"the app exited (status {proc.wait()}) before it was ready")
            if "porthole: interactive" in line:
                reported = int(line.split("interactive", 1)[1].split()[0])
                page = line.split("own part:", 1)[1].split()[0] if "own part:" in line else None
                break
        if reported is None:
            raise RuntimeError("no 'porthole: interactive' line within 60 s")
        ready = time.monotonic() - started
        time.sleep(IDLE)
        mem = measure_tree(proc.pid)
        return {"ready_s": round(ready, 3), "app_reported_ms": reported,
                "page_ms": float(page) if page else None, **mem}
    finally:
        stop(proc.pid, proc)


def run_peer(cpu: bool):
    # cpu: rendered without GPU compositing and without the DMA-BUF renderer, as Porthole
    # renders by default (src-tauri/src/render.rs).
    env = dict(os.environ, WEBKIT_DISABLE_COMPOSITING_MODE="1",
               WEBKIT_DISABLE_DMABUF_RENDERER="1") if cpu else None
    proc = subprocess.Popen([MINIBROWSER, "about:blank"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, env=env)
    try:
        time.sleep(IDLE + 1)
        return measure_tree(proc.pid)
    finally:
        stop(proc.pid, proc)


def main():
    app, out = sys.argv[1], sys.argv[2]
    runs, peers, cpu_peers = [], [], []
    for n in range(1, RUNS + 1):
        with tempfile.TemporaryDirectory(prefix="porthole-bench-app.") as home:
            r = run_app(app, home)
        runs.append(r)
        log(f"porthole run {n}: interactive after {r['ready_s']:.3f} s (app says {r['app_reported_ms']} ms, "
            f"the page's own part {r['page_ms']} ms); "
            f"idle RSS {r['rss_kib'] / 1024:.0f} MiB, PSS {r['pss_kib'] / 1024:.0f} MiB in "
            f"{len(r['processes'])} processes ({per_process(r)})")
        if os.path.exists(MINIBROWSER):
            for cpu, rows in [(False, peers), (True, cpu_peers)]:
                p = run_peer(cpu)
                rows.append(p)
                log(f"MiniBrowser about:blank{' (CPU-rendered)' if cpu else ''} run {n}: "
                    f"idle RSS {p['rss_kib'] / 1024:.0f} MiB, PSS {p['pss_kib'] / 1024:.0f} MiB "
                    f"({per_process(p)})")
    med = lambda rows, k: statistics.median(r[k] for r in rows)
    summary = {
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "runs": RUNS, "idle_s": IDLE,
        "images_in_store": IMAGES, "cpus": os.cpu_count(), "loadavg": open("/proc/loadavg").read().split()[:3],
        "porthole": {"ready_s_median": med(runs, "ready_s"), "ready_s_max": max(r["ready_s"] for r in runs),
                     "rss_mib_median": med(runs, "rss_kib") / 1024, "pss_mib_median": med(runs, "pss_kib") / 1024,
                     "runs": runs},
        "minibrowser_blank": ({"rss_mib_median": med(peers, "rss_kib") / 1024,
                               "pss_mib_median": med(peers, "pss_kib") / 1024, "runs": peers}
                              if peers else None),
        "minibrowser_blank_cpu": ({"rss_mib_median": med(cpu_peers, "rss_kib") / 1024,
                                   "pss_mib_median": med(cpu_peers, "pss_kib") / 1024, "runs": cpu_peers}
                                  if cpu_peers else None),
        "budget": {"ready_s": 1.0, "idle_mib": 150},
    }
    with open(out, "w") as f:
        json.dump(summary, f, indent=1)
    p = summary["porthole"]
    print()
    print(f"porthole: Images page interactive {p['ready_s_median']:.3f} s (median of {RUNS}; worst "
          f"{p['ready_s_max']:.3f} s; budget 1 s), idle RSS {p['rss_mib_median']:.0f} MiB, "
          f"PSS {p['pss_mib_median']:.0f} MiB (budget 150 MiB)")
    if peers:
        m = summary["minibrowser_blank"]
        print(f"MiniBrowser on about:blank (WebKitGTK's floor): idle RSS {m['rss_mib_median']:.0f} MiB, "
              f"PSS {m['pss_mib_median']:.0f} MiB")
        c = summary["minibrowser_blank_cpu"]
        print(f"MiniBrowser on about:blank, CPU-rendered as Porthole is: idle RSS {c['rss_mib_median']:.0f} MiB, "
              f"PSS {c['pss_mib_median']:.0f} MiB")
    print(f"(JSON: {out})")


if __name__ == "__main__":
    main()
