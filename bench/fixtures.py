#!/usr/bin/env python3
"""Fixture images for bench/pull.sh (Python 3.11 stdlib only).

Subcommands:
  gen-mixed SEED SIZE      write a tar (stdout) of ~SIZE bytes: about half random
                           (incompressible), half text, zeros and real binaries
  gen-random SEED SIZE     write a tar (stdout) of ~SIZE bytes, ~96% random
  pack OUT                 read a tar on stdin, gzip it to OUT.tar.gz and write
                           OUT.json {digest, size, diff_id, uncompressed}
  gen-update ROOTFS SEED   write a tar (stdout): a layer "upgrading" the Debian ROOTFS below
                           it (every 4th dpkg package's version bumped, 300 files of
                           /usr/share/doc rewritten, 100 of /usr/share/locale whited out,
                           500 files added under /opt/app), for bench/diff.sh
  layout DIR TAG LAYER...  write an OCI image layout in DIR (LAYER = a pack OUT prefix),
                           the layer blobs hard-linked (or copied) into it
  summarize RESULTS.tsv META.json OUT.json
                           print the results table and write it as JSON

Random bytes come from `openssl enc -aes-128-ctr` over zeros (fast and seeded, so the
same SEED gives the same layer digest on any machine with the same inputs).
"""

import hashlib
import io
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tarfile

MTIME = 1700000000  # fixed, so tars are reproducible
MIB = 1 << 20


class RandomSource:
    """A seeded stream of incompressible bytes (AES-128-CTR keystream)."""

    def __init__(self, seed: str):
        self.proc = subprocess.Popen(
            ["openssl", "enc", "-aes-128-ctr", "-nosalt", "-pbkdf2", "-pass", f"pass:{seed}"],
            stdin=open("/dev/zero", "rb"),
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )

    def read(self, n: int) -> bytes:
        out = bytearray()
        while len(out) < n:
            chunk = self.proc.stdout.read(n - len(out))
            if not chunk:
                raise RuntimeError("openssl stopped producing random bytes")
            out += chunk
        return bytes(out)

    def close(self):
        self.proc.kill()
        self.proc.wait()


class StreamFile(io.RawIOBase):
    """A file-like object tarfile can read `size` bytes from, produced chunk by chunk."""

    def __init__(self, size, produce):
        self.left = size
        self.produce = produce  # produce(n) -> bytes of length n
        self.buf = b""

    def readable(self):
        return True

    def read(self, n=-1):
        if n is None or n < 0:
            n = self.left + len(self.buf)
        while len(self.buf) < n and self.left > 0:
            k = min(MIB, self.left)
            self.buf += self.produce(k)
            self.left -= k
        out, self.buf = self.buf[:n], self.buf[n:]
        return out


def add_file(tar, name, size, produce, mode=0o644):
    info = tarfile.TarInfo(name)
    info.size = size
    info.mtime = MTIME
    info.mode = mode
    info.uname = info.gname = "root"
    tar.addfile(info, StreamFile(size, produce))


def add_dir(tar, name):
    info = tarfile.TarInfo(name)
    info.type = tarfile.DIRTYPE
    info.mode = 0o755
    info.mtime = MTIME
    tar.addfile(info)


WORDS = (
    "the of and to in is that for it as with was on be by this are or from at an have not "
    "which but all were can when there one has their if more will would other so about out "
    "also into its some than could only them time two then these may first any like new "
    "container image layer registry manifest digest blob config index platform runtime "
    "kernel process memory network socket buffer request response header status error "
    "version package library module function return value string number object array "
    "install update remove configure service daemon socket timer mount path directory "
    "file read write open close sync rename lock unlock hash verify compress decompress"
).split()


def text_pool(rng: random.Random, size: int) -> bytes:
    """Pseudo-English lines with numbers and paths: gzip gets it to about a third."""
    out = io.StringIO()
    n = 0
    while n < size:
        words = [rng.choice(WORDS) for _ in range(rng.randint(4, 16))]
        if rng.random() < 0.3:
            words.append(str(rng.randint(0, 1 << 32)))
        if rng.random() < 0.2:
            words.append("/usr/lib/" + rng.choice(WORDS) + "/" + rng.choice(WORDS) + ".so")
        line = " ".join(words) + ("\n" if rng.random() < 0.8 else ".\n\n")
        out.write(line)
        n += len(line)
    return out.getvalue().encode()[:size]


class TextSource:
    """Text files made of random slices of a pool far larger than gzip's 32 KiB window."""

    def __init__(self, rng, pool_size=8 * MIB):
        self.rng = rng
        self.pool = text_pool(rng, pool_size)

    def produce(self, n):
        out = bytearray()
        while len(out) < n:
            k = min(n - len(out), self.rng.randint(4096, 65536))
            at = self.rng.randrange(0, len(self.pool) - k)
            out += self.pool[at : at + k]
        return bytes(out)


def binaries(limit: int):
    """Real ELF files from this machine (read in sorted order), `limit` bytes in all."""
    found = []
    for d in ["/usr/bin", "/usr/sbin", "/usr/lib/x86_64-linux-gnu"]:
        if not os.path.isdir(d):
            continue
        for name in sorted(os.listdir(d)):
            p = os.path.join(d, name)
            try:
                if not os.path.isfile(p) or os.path.islink(p):
                    continue
                with open(p, "rb") as f:
                    if f.read(4) != b"\x7fELF":
                        continue
                found.append((p, os.path.getsize(p)))
            except OSError:
                continue
    total, picked, i = 0, [], 0
    while total < limit and found:
        p, s = found[i % len(found)]
        s = min(s, limit - total)
        picked.append((p, s, i // len(found)))
        total += s
        i += 1
    return picked


def gen_mixed(seed: str, size: int):
    rng = random.Random(seed)
    rnd = RandomSource(seed + "-random")
    text = TextSource(rng)
    tar = tarfile.open(fileobj=sys.stdout.buffer, mode="w|", format=tarfile.GNU_FORMAT)
    random_bytes = size // 2
    text_bytes = size // 4
    zero_bytes = size // 8
    bin_bytes = size - random_bytes - text_bytes - zero_bytes
    for d in ["opt", "opt/app", "opt/app/assets", "opt/app/data", "opt/app/docs",
              "opt/app/lib", "opt/app/models"]:
        add_dir(tar, d)
    # Random: one big model file, some medium archives, many small "compressed assets".
    left = random_bytes
    big = random_bytes * 2 // 5
    add_file(tar, "opt/app/models/weights.bin", big, rnd.read)
    left -= big
    i = 0
    while left > 0:
        s = min(left, rng.choice([64 * 1024, 256 * 1024, MIB, 8 * MIB]))
        add_file(tar, f"opt/app/assets/asset-{i:05d}.jpg", s, rnd.read)
        left -= s
        i += 1
    # Text: docs and logs, 4 KiB to 4 MiB.
    left, i = text_bytes, 0
    while left > 0:
        s = min(left, rng.choice([4096, 16384, 65536, 262144, MIB, 4 * MIB]))
        add_file(tar, f"opt/app/docs/doc-{i:05d}.txt", s, text.produce)
        left -= s
        i += 1
    # Zeros: preallocated database files.
    left, i = zero_bytes, 0
    while left > 0:
        s = min(left, 32 * MIB)
        add_file(tar, f"opt/app/data/db-{i:03d}.dat", s, lambda n: bytes(n))
        left -= s
        i += 1
    # Binaries: real executables and libraries, repeated to fill the budget.
    for p, s, rep in binaries(bin_bytes):
        def produce(n, f=open(p, "rb")):
            b = f.read(n)
            return b + bytes(n - len(b))
        add_file(tar, f"opt/app/lib/{rep}-{os.path.basename(p)}", s, produce, mode=0o755)
    tar.close()
    rnd.close()


def gen_random(seed: str, size: int):
    rng = random.Random(seed)
    rnd = RandomSource(seed + "-random")
    text = TextSource(rng, pool_size=2 * MIB)
    tar = tarfile.open(fileobj=sys.stdout.buffer, mode="w|", format=tarfile.GNU_FORMAT)
    add_dir(tar, "layer")
    text_bytes = size // 25
    left, i = size - text_bytes, 0
    while left > 0:
        s = min(left, rng.choice([MIB, 4 * MIB, 16 * MIB]))
        add_file(tar, f"layer/{seed}-blob-{i:04d}.bin", s, rnd.read)
        left -= s
        i += 1
    add_file(tar, f"layer/{seed}-notes.txt", text_bytes, text.produce)
    tar.close()
    rnd.close()


def gen_update(rootfs: str, seed: str):
    rng = random.Random(seed)
    out = tarfile.open(fileobj=sys.stdout.buffer, mode="w|", format=tarfile.PAX_FORMAT)

    def put(name, data: bytes, mode=0o644):
        info = tarfile.TarInfo(name)
        info.size, info.mode, info.mtime = len(data), mode, MTIME + 1
        out.addfile(info, io.BytesIO(data))

    with open(os.path.join(rootfs, "var/lib/dpkg/status"), encoding="utf-8") as f:
        stanzas = f.read().split("\n\n")
    bumped = []
    for i, stanza in enumerate(stanzas):
        if i % 4 == 0:
            stanza = "\n".join(line + "+bench1" if line.startswith("Version: ") else line
                                for line in stanza.split("\n"))
        bumped.append(stanza)
    put("var/lib/dpkg/status", "\n\n".join(bumped).encode())

    def files_under(top):
        found = []
        for dirpath, dirnames, filenames in os.walk(os.path.join(rootfs, top)):
            dirnames.sort()
            for name in sorted(filenames):
                path = os.path.join(dirpath, name)
                if os.path.isfile(path) and not os.path.islink(path):
                    found.append(os.path.relpath(path, rootfs))
        return found

    for path in files_under("usr/share/doc")[:300]:
        put(path, rng.randbytes(rng.randrange(100, 4000)))
    for path in files_under("usr/share/locale")[:100]:
        head, name = os.path.split(path)
        put(os.path.join(head, ".wh." + name), b"")
    for n in range(500):
        put(f"opt/app/lib/file-{n:04}.txt", rng.randbytes(rng.randrange(10, 20000)))
    out.close()


def compressor():
    if shutil.which("pigz"):
        return ["pigz", "-n", "-6"]
    return ["gzip", "-n", "-6"]


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while True:
            b = f.read(4 * MIB)
            if not b:
                break
            h.update(b)
    return h.hexdigest()


def pack(out: str):
    tmp = out + ".tar.gz.tmp"
    diff = hashlib.sha256()
    n = 0
    with open(tmp, "wb") as dst:
        proc = subprocess.Popen(compressor(), stdin=subprocess.PIPE, stdout=dst)
        src = sys.stdin.buffer
        while True:
            b = src.read(4 * MIB)
            if not b:
                break
            diff.update(b)
            n += len(b)
            proc.stdin.write(b)
        proc.stdin.close()
        if proc.wait() != 0:
            sys.exit("compressor failed")
    os.rename(tmp, out + ".tar.gz")
    meta = {
        "digest": "sha256:" + sha256_file(out + ".tar.gz"),
        "size": os.path.getsize(out + ".tar.gz"),
        "diff_id": "sha256:" + diff.hexdigest(),
        "uncompressed": n,
    }
    with open(out + ".json.tmp", "w") as f:
        json.dump(meta, f, indent=1)
    os.rename(out + ".json.tmp", out + ".json")
    print(f"{out}.tar.gz: {meta['size']} bytes gzip, {n} bytes tar", file=sys.stderr)


def put_blob(layout, data: bytes) -> dict:
    d = hashlib.sha256(data).hexdigest()
    with open(os.path.join(layout, "blobs", "sha256", d), "wb") as f:
        f.write(data)
    return {"digest": "sha256:" + d, "size": len(data)}


def layout(dirname: str, tag: str, layers):
    os.makedirs(os.path.join(dirname, "blobs", "sha256"), exist_ok=True)
    metas = []
    for prefix in layers:
        with open(prefix + ".json") as f:
            meta = json.load(f)
        target = os.path.join(dirname, "blobs", "sha256", meta["digest"].split(":")[1])
        if not os.path.exists(target):
            try:
                os.link(prefix + ".tar.gz", target)
            except OSError:
                shutil.copyfile(prefix + ".tar.gz", target)
        metas.append(meta)
    config = {
        "created": "2023-11-14T22:13:20Z",
        "architecture": "amd64",
        "os": "linux",
        "config": {"Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
                   "Cmd": ["/bin/sh"]},
        "rootfs": {"type": "layers", "diff_ids": [m["diff_id"] for m in metas]},
        "history": [{"created": "2023-11-14T22:13:20Z", "created_by": "bench/fixtures.py"}
                    for _ in metas],
    }
    cfg = put_blob(dirname, json.dumps(config, separators=(",", ":")).encode())
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", **cfg},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                    "digest": m["digest"], "size": m["size"]} for m in metas],
    }
    man = put_blob(dirname, json.dumps(manifest, separators=(",", ":")).encode())
    index = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json", **man,
                       "annotations": {"org.opencontainers.image.ref.name": tag}}],
    }
    with open(os.path.join(dirname, "oci-layout"), "w") as f:
        json.dump({"imageLayoutVersion": "1.0.0"}, f)
    with open(os.path.join(dirname, "index.json"), "w") as f:
        json.dump(index, f)
    total = sum(m["size"] for m in metas)
    print(json.dumps({"layers": len(metas), "compressed": total,
                      "uncompressed": sum(m["uncompressed"] for m in metas),
                      "manifest": man["digest"]}))


def read_results(results_tsv: str) -> dict:
    """The rows bench/lib.sh's `measure` appends, as {image: {tool: [run, ...]}} in file
    order; each run a dict of run, seconds, peak_rss_kib, user_s, sys_s and registry_cpu_s
    (the registry's CPU seconds during the run; None where no registry ran, "-", or in rows
    written before it was recorded)."""
    runs = {}
    with open(results_tsv) as f:
        for line in f:
            if not line.strip():
                continue
            image, tool, i, secs, rss_kib, user, sys_, *rest = line.split()
            registry = float(rest[0]) if rest and rest[0] != "-" else None
            runs.setdefault(image, {}).setdefault(tool, []).append(
                {"run": int(i), "seconds": float(secs), "peak_rss_kib": int(rss_kib),
                 "user_s": float(user), "sys_s": float(sys_), "registry_cpu_s": registry})
    return runs


def summarize(results_tsv: str, meta_json: str, out_json: str, index_tsv: str = ""):
    with open(meta_json) as f:
        meta = json.load(f)
    index_bytes = {}
    if index_tsv and os.path.exists(index_tsv):
        with open(index_tsv) as f:
            for line in f:
                image, size = line.split()
                index_bytes[image] = int(size)
    runs = read_results(results_tsv)
    rows = []
    for image in meta["images"]:
        name = image["name"]
        p = runs.get(name, {}).get("porthole", [])
        s = runs.get(name, {}).get("skopeo", [])
        if not p or not s:
            continue
        pm = statistics.median(r["seconds"] for r in p)
        sm = statistics.median(r["seconds"] for r in s)
        q = runs.get(name, {}).get("porthole-noindex", [])
        qm = statistics.median(r["seconds"] for r in q) if q else None
        # Core-seconds of the tool and the registry serving it: on a machine whose cores
        # both are busy, the wall-time ratio cannot pass the ratio of these.
        def work(rs):
            if not rs or any(r["registry_cpu_s"] is None for r in rs):
                return None
            return statistics.median(r["user_s"] + r["sys_s"] + r["registry_cpu_s"] for r in rs)
        qw, sw = work(q), work(s)
        rows.append({
            "image": name,
            "layers": image["layers"],
            "compressed_bytes": image["compressed"],
            "uncompressed_bytes": image["uncompressed"],
            "porthole_median_s": pm,
            "porthole_pull_only_median_s": qm,
            "skopeo_median_s": sm,
            "ratio_skopeo_over_pull_only": sm / qm if qm else None,
            "porthole_pull_only_peak_rss_mib": max(r["peak_rss_kib"] for r in q) / 1024 if q else None,
            "ratio_skopeo_over_porthole": sm / pm if pm > 0 else None,
            "porthole_mb_per_s": image["compressed"] / 1e6 / pm if pm > 0 else None,
            "skopeo_mb_per_s": image["compressed"] / 1e6 / sm if sm > 0 else None,
            "porthole_median_cpu_s": round(statistics.median(r["user_s"] + r["sys_s"] for r in p), 2),
            "skopeo_median_cpu_s": round(statistics.median(r["user_s"] + r["sys_s"] for r in s), 2),
            "porthole_pull_only_plus_registry_cpu_s": qw,
            "skopeo_plus_registry_cpu_s": sw,
            "ratio_cpu_skopeo_over_pull_only": round(sw / qw, 2) if qw and sw else None,
            "porthole_peak_rss_mib": max(r["peak_rss_kib"] for r in p) / 1024,
            # CPU seconds over wall seconds: above 1 means more than one core at work.
            "porthole_cores_used": round(statistics.median(
                (r["user_s"] + r["sys_s"]) / r["seconds"] for r in p if r["seconds"] > 0), 2),
            "index_bytes_on_disk": index_bytes.get(name),
            "index_percent_of_uncompressed": round(100 * index_bytes[name] / image["uncompressed"], 2)
            if name in index_bytes and image["uncompressed"] else None,
            "skopeo_peak_rss_mib": max(r["peak_rss_kib"] for r in s) / 1024,
            "porthole_runs": p,
            "porthole_pull_only_runs": q,
            "skopeo_runs": s,
        })
    doc = {**{k: v for k, v in meta.items() if k != "images"}, "results": rows}
    with open(out_json, "w") as f:
        json.dump(doc, f, indent=2)
    hdr = ["image", "compressed", "pull+index s", "pull-only s", "skopeo s",
           "ratio (+index)", "ratio (pull-only)", "CPU ratio (pull-only)", "pull+index MB/s",
           "RSS +index MiB", "RSS pull-only MiB", "skopeo RSS MiB", "cores +index",
           "index % of tar"]
    table = [hdr]
    for r in rows:
        table.append([
            f"{r['image']} ({r['layers']}L)",
            f"{r['compressed_bytes'] / 1e6:.1f} MB",
            f"{r['porthole_median_s']:.2f}",
            fmt(r['porthole_pull_only_median_s'], "{:.2f}"),
            f"{r['skopeo_median_s']:.2f}",
            f"{r['ratio_skopeo_over_porthole']:.2f}x",
            fmt(r['ratio_skopeo_over_pull_only'], "{:.2f}x"),
            fmt(r['ratio_cpu_skopeo_over_pull_only'], "{:.2f}x"),
            f"{r['porthole_mb_per_s']:.0f}",
            f"{r['porthole_peak_rss_mib']:.1f}",
            fmt(r['porthole_pull_only_peak_rss_mib'], "{:.1f}"),
            f"{r['skopeo_peak_rss_mib']:.1f}",
            f"{r['porthole_cores_used']:.2f}",
            fmt(r['index_percent_of_uncompressed'], "{:.2f}%"),
        ])
    widths = [max(len(row[c]) for row in table) for c in range(len(hdr))]
    for k, row in enumerate(table):
        print("  ".join(cell.ljust(w) if c == 0 else cell.rjust(w)
                        for c, (cell, w) in enumerate(zip(row, widths))))
        if k == 0:
            print("  ".join("-" * w for w in widths))
    print(f"(medians of {meta.get('runs')} runs each, --jobs {meta.get('jobs')}; "
          f"RSS = max over runs; MB = 10^6 bytes; CPU ratio = (skopeo + registry CPU) / "
          f"(pull-only + registry CPU), the bound on the pull-only ratio when both cores are "
          f"busy; JSON: {out_json})")


def fmt(value, pattern: str) -> str:
    return "-" if value is None else pattern.format(value)


def size_arg(s: str) -> int:
    units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    return int(s[:-1]) * units[s[-1]] if s[-1] in units else int(s)


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "gen-mixed":
        gen_mixed(args[0], size_arg(args[1]))
    elif cmd == "gen-random":
        gen_random(args[0], size_arg(args[1]))
    elif cmd == "gen-update":
        gen_update(args[0], args[1])
    elif cmd == "pack":
        pack(args[0])
    elif cmd == "layout":
        layout(args[0], args[1], args[2:])
    elif cmd == "summarize":
        summarize(*args)
    else:
        sys.exit(f"unknown subcommand {cmd}")


if __name__ == "__main__":
    main()
