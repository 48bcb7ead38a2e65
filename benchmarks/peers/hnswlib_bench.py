#!/usr/bin/python3
"""hnswlib's side of clipvec's ANN benchmark (benchmarks/cmd/annbench).

Run by annbench in a child process of its own, so that the child's peak RSS
is hnswlib's (plus Python's, numpy's and the loaded data's). It reads the
same .fvecs files the Go methods read, builds hnswlib.Index(space="cosine")
with the same M, ef_construction and seed, times add_items on one thread and
on all threads, sweeps set_ef + knn_query on one thread, saves and loads the
index, and prints one JSON object on stdout in the shape annbench parses
(progress goes to stderr).

Needs Debian's hnswlib 0.6.2 and numpy; run with /usr/bin/python3:

    apt-get install -y python3-hnswlib python3-numpy

QPS is measured with one knn_query call over all queries with num_threads=1
(the loop runs in C++, as the Go methods' loops run in Go), best of --runs;
p50/p99 latencies with one knn_query call per query, so they include Python's
call overhead (the note in the output compares the two per query).
"""

import argparse
import gc
import json
import os
import resource
import sys
import time

try:
    import numpy as np
    import hnswlib
except ImportError as e:
    print(json.dumps({
        "method": "hnswlib",
        "skipped": f"{sys.executable} cannot import hnswlib/numpy ({e}); "
                   "install them with: apt-get install -y python3-hnswlib python3-numpy "
                   "and run with /usr/bin/python3",
    }))
    sys.exit(0)


def log(msg):
    print("  hnswlib: " + msg, file=sys.stderr, flush=True)


def read_fvecs(path, limit):
    """Reads the first limit rows (all if limit <= 0) of a TEXMEX .fvecs file."""
    raw = np.fromfile(path, dtype=np.int32)
    if raw.size == 0:
        raise ValueError(f"{path}: empty")
    dim = int(raw[0])
    if dim <= 0 or raw.size % (dim + 1) != 0:
        raise ValueError(f"{path}: size is not a whole number of rows of dimension {dim}")
    rows = raw.reshape(-1, dim + 1)
    if limit > 0:
        rows = rows[:limit]
    if not (rows[:, 0] == dim).all():
        raise ValueError(f"{path}: rows of differing dimension")
    return np.ascontiguousarray(rows[:, 1:]).view(np.float32)


def cpu_seconds():
    """User + system CPU time of the process so far, all threads."""
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def version():
    """The module's own version and, where there is one, the Debian
    package's: Debian's 0.6.2 package carries module metadata saying 0.6.1
    (upstream did not bump it)."""
    try:
        from importlib.metadata import version as v
        mod = "hnswlib " + v("hnswlib")
    except Exception:
        mod = "hnswlib (module version unknown)"
    try:
        import subprocess
        deb = subprocess.run(["dpkg-query", "-W", "-f=${Version}", "python3-hnswlib"],
                             capture_output=True, text=True, timeout=10).stdout.strip()
        if deb:
            mod += f" (Debian python3-hnswlib {deb})"
    except Exception:
        pass
    return mod


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--base", required=True)
    ap.add_argument("--query", required=True)
    ap.add_argument("--n", type=int, default=0)
    ap.add_argument("--queries", type=int, default=0)
    ap.add_argument("--k", type=int, default=10)
    ap.add_argument("--ef", default="10,20,40,80,120,200,400,800")
    ap.add_argument("--m", type=int, default=16)
    ap.add_argument("--efc", type=int, default=200)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--seed", type=int, default=2025)
    ap.add_argument("--build1", default="true")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--work-dir", default="/tmp")
    a = ap.parse_args()
    efs = [int(x) for x in a.ef.split(",")]
    seed = a.seed % (2**31)  # hnswlib's random_seed is a size_t; keep it portable

    t_start = time.perf_counter()
    base = read_fvecs(a.base, a.n)
    queries = read_fvecs(a.query, a.queries)
    n, dim = base.shape
    ids = np.arange(n, dtype=np.int64)
    res = {
        "method": "hnswlib",
        "version": version(),
        "setup": f"hnswlib.Index(space='cosine', dim={dim}); init_index(max_elements={n}, "
                 f"ef_construction={a.efc}, M={a.m}, random_seed={seed}); add_items with "
                 f"set_num_threads(1) and ({a.threads}); set_ef + knn_query(num_threads=1); "
                 "save_index / load_index",
        "points": [],
        "notes": [],
    }

    def build(threads):
        idx = hnswlib.Index(space="cosine", dim=dim)
        idx.init_index(max_elements=n, ef_construction=a.efc, M=a.m, random_seed=seed)
        idx.set_num_threads(threads)
        log(f"building {n} on {threads} thread(s)")
        cpu = cpu_seconds()
        t = time.perf_counter()
        idx.add_items(base, ids)
        return idx, time.perf_counter() - t, cpu_seconds() - cpu

    if a.build1.lower() == "true":
        idx, res["build_1_thread_seconds"], res["build_1_thread_cpu_seconds"] = build(1)
        del idx
        gc.collect()
    idx, res["build_all_threads_seconds"], res["build_all_threads_cpu_seconds"] = build(a.threads)
    res["build_threads"] = a.threads

    idx.set_num_threads(1)
    nq = queries.shape[0]
    warm = queries[: min(nq, 100)]
    # Best of --runs passes per ef, as the Go methods do: other tenants of a
    # shared machine only ever slow a pass down. The passes go round the
    # whole sweep, so a few seconds of interference cannot spoil every pass
    # of one ef; each starts with a warm-up of 100 queries.
    runs = max(a.runs, 1)
    total = [float("inf")] * len(efs)
    labels = [None] * len(efs)
    lat_best = [None] * len(efs)
    this = [0.0] * len(efs)
    for r in range(runs):
        for e, ef in enumerate(efs):
            idx.set_ef(ef)
            idx.knn_query(warm, k=a.k, num_threads=1)
            t = time.perf_counter()
            got, _ = idx.knn_query(queries, k=a.k, num_threads=1)
            this[e] = time.perf_counter() - t
            total[e] = min(total[e], this[e])
            if labels[e] is None:
                labels[e] = got
            lat = np.empty(nq)
            for i in range(nq):
                q = queries[i : i + 1]
                t0 = time.perf_counter()
                idx.knn_query(q, k=a.k, num_threads=1)
                lat[i] = time.perf_counter() - t0
            if lat_best[e] is None or lat.sum() < lat_best[e].sum():
                lat_best[e] = lat
        log(f"pass {r + 1}/{runs}: " + ", ".join(f"ef={ef} {nq / this[e]:.0f} QPS" for e, ef in enumerate(efs)))
    batch_us = [1e6 * t / nq for t in total]
    loop_us = [1e6 * l.sum() / nq for l in lat_best]
    for e, ef in enumerate(efs):
        res["points"].append({
            "ef": ef,
            "queries": nq,
            "qps": nq / total[e],
            "p50_us": float(np.percentile(lat_best[e], 50, method="inverted_cdf")) * 1e6,
            "p99_us": float(np.percentile(lat_best[e], 99, method="inverted_cdf")) * 1e6,
            "ids": labels[e].astype(np.int64).tolist(),
        })
    res["notes"].append(
        "QPS from one knn_query call over all queries (num_threads=1); p50/p99 from one call per "
        "query, which adds Python's call overhead: mean per query " +
        ", ".join(f"ef={ef} {b:.0f} µs batched vs {l:.0f} µs one call each" for ef, b, l in
                  [(efs[0], batch_us[0], loop_us[0]), (efs[-1], batch_us[-1], loop_us[-1])]))

    path = os.path.join(a.work_dir, "hnswlib.bin")
    idx.save_index(path)
    res["snapshot_bytes"] = os.path.getsize(path)
    mid = len(efs) // 2
    del idx
    gc.collect()
    t = time.perf_counter()
    loaded = hnswlib.Index(space="cosine", dim=dim)
    loaded.load_index(path, max_elements=n)
    res["load_seconds"] = time.perf_counter() - t
    os.remove(path)
    loaded.set_ef(efs[mid])
    check = min(nq, 100)
    labels, _ = loaded.knn_query(queries[:check], k=a.k, num_threads=1)
    same = sum(1 for i in range(check) if labels[i].tolist() == res["points"][mid]["ids"][i])
    res["load_check"] = (f"loaded index: {loaded.get_current_count()} elements; {same} of {check} "
                         f"queries give the same ids at ef={efs[mid]}")
    res["child_seconds"] = time.perf_counter() - t_start
    json.dump(res, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
