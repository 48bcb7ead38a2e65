#!/usr/bin/python3
"""FAISS's side of clipvec's ANN benchmark (benchmarks/cmd/annbench).

Run by annbench in a child process of its own, once per index type, so that
each child's peak RSS is that index's (plus Python's, numpy's and the loaded
data's). It reads the same .fvecs files the other methods read, normalises
them (inner product on unit vectors is cosine), and builds

  --index flat: faiss.IndexHNSWFlat(d, M, METRIC_INNER_PRODUCT)    (faiss-hnsw)
  --index sq8:  faiss.IndexHNSWSQ(d, QT_8bit, M, METRIC_INNER_PRODUCT)
                after train() on the base                          (faiss-hnsw-sq8)

with hnsw.efConstruction = --efc and the level generator seeded with --seed,
on one OpenMP thread and then on --threads; it sweeps hnsw.efSearch on one
thread, saves and loads the index with write_index / read_index, and prints
one JSON object on stdout in the shape annbench parses (progress goes to
stderr).

Needs Debian's faiss 1.7.3 and numpy; run with /usr/bin/python3:

    apt-get install -y python3-faiss python3-numpy

The sweep calls index.search with one query at a time on one thread; QPS
and the p50/p99 latencies both come from that loop, so they include
Python's per-call overhead. A batched search of the same queries on one
thread is timed too, and the note in the output compares the two per query.
"""

import argparse
import gc
import json
import os
import resource
import sys
import time

METHODS = {"flat": "faiss-hnsw", "sq8": "faiss-hnsw-sq8"}


def method_name(argv):
    """The method this run measures, read from argv before argparse runs,
    so that even the import-failure report names it."""
    for i, a in enumerate(argv):
        if a == "--index" and i + 1 < len(argv):
            return METHODS.get(argv[i + 1], "faiss-hnsw")
        if a.startswith("--index="):
            return METHODS.get(a.split("=", 1)[1], "faiss-hnsw")
    return "faiss-hnsw"


try:
    import numpy as np
    import faiss
except ImportError as e:
    print(json.dumps({
        "method": method_name(sys.argv),
        "skipped": f"{sys.executable} cannot import faiss/numpy ({e}); "
                   "install with: apt-get install -y python3-faiss python3-numpy "
                   "and run with /usr/bin/python3",
    }))
    sys.exit(0)

METHOD = method_name(sys.argv)


def log(msg):
    print(f"  {METHOD}: {msg}", file=sys.stderr, flush=True)


def read_fvecs(path, limit):
    """Returns the first limit rows (all if limit <= 0) of a TEXMEX .fvecs
    file as a float32 matrix, read in blocks so that peak RSS holds one
    copy of the data (it is measured)."""
    size = os.path.getsize(path)
    with open(path, "rb") as f:
        head = np.fromfile(f, dtype=np.int32, count=1)
        if head.size == 0:
            raise ValueError(f"{path}: no rows")
        dim = int(head[0])
        row_bytes = 4 * (dim + 1)
        if dim <= 0 or size % row_bytes != 0:
            raise ValueError(f"{path}: {size} bytes is not a whole number of rows of dimension {dim}")
        n = size // row_bytes
        if limit > 0:
            n = min(n, limit)
        out = np.empty((n, dim), dtype=np.float32)
        f.seek(0)
        block = 4096
        for at in range(0, n, block):
            rows = np.fromfile(f, dtype=np.int32, count=min(block, n - at) * (dim + 1)).reshape(-1, dim + 1)
            bad = np.nonzero(rows[:, 0] != dim)[0]
            if bad.size:
                raise ValueError(f"{path}: row {at + bad[0]}: dimension {rows[bad[0], 0]}, want {dim}")
            out[at : at + len(rows)] = rows[:, 1:].view(np.float32)
    return out


def normalize(m, path):
    """Scales every row of m to unit length in place, a block at a time;
    a zero row is an error, as in the Go methods."""
    block = 4096
    for at in range(0, len(m), block):
        b = m[at : at + block]
        norms = np.sqrt(np.einsum("ij,ij->i", b, b, dtype=np.float64))
        bad = np.nonzero(~(norms > 0) | ~np.isfinite(norms))[0]
        if bad.size:
            raise ValueError(f"{path}: row {at + bad[0]}: zero or non-finite vector")
        b /= norms[:, None].astype(np.float32)
    return m


def cpu_seconds():
    """User + system CPU time of the process so far, all threads."""
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def version():
    """faiss's own version, the Debian package's and the build's compile
    options (Debian's says "OPTIMIZE GENERIC": no AVX2 kernels)."""
    v = "faiss " + faiss.__version__
    try:
        import subprocess
        deb = subprocess.run(["dpkg-query", "-W", "-f=${Version}", "python3-faiss"],
                             capture_output=True, text=True, timeout=10).stdout.strip()
        if deb:
            v += f" (Debian python3-faiss {deb})"
    except Exception:
        pass
    return v


def compile_options():
    get = getattr(faiss, "get_compile_options", None)
    return get().strip() if get else "unknown (faiss.get_compile_options missing)"


def percentile(xs, p):
    """Nearest-rank percentile, as ann.Percentile computes it."""
    s = np.sort(xs)
    rank = int(np.ceil(p / 100 * len(s)))
    return float(s[min(max(rank, 1), len(s)) - 1])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--index", choices=sorted(METHODS), default="flat")
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
    ap.add_argument("--build1", choices=["true", "false"], default="true")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--work-dir", default="/tmp")
    a = ap.parse_args()
    efs = [int(x) for x in a.ef.split(",")]
    seed = a.seed % (2**31)  # faiss.RandomGenerator takes an int64; same value as the hnswlib peers

    t_start = time.perf_counter()
    base = normalize(read_fvecs(a.base, a.n), a.base)
    queries = normalize(read_fvecs(a.query, a.queries), a.query)
    n, dim = base.shape
    nq = queries.shape[0]
    if queries.shape[1] != dim:
        raise ValueError(f"{a.query}: dimension {queries.shape[1]}, want the base's {dim}")
    opts = compile_options()
    if a.index == "flat":
        ctor = f"IndexHNSWFlat({dim}, M={a.m}, METRIC_INNER_PRODUCT)"
    else:
        ctor = f"IndexHNSWSQ({dim}, ScalarQuantizer.QT_8bit, M={a.m}, METRIC_INNER_PRODUCT); train(base)"
    res = {
        "method": METHOD,
        "version": f"{version()}, compile options: {opts}",
        "setup": f"faiss.{ctor} on unit vectors; hnsw.efConstruction={a.efc}; hnsw.rng = RandomGenerator({seed}); "
                 f"add(base) with omp_set_num_threads(1) and ({a.threads}); hnsw.efSearch = ef, "
                 "search(one query) per call with omp_set_num_threads(1); write_index / read_index",
        "points": [],
        "notes": [],
    }
    train_seconds = []

    def build(threads):
        faiss.omp_set_num_threads(threads)
        if a.index == "flat":
            idx = faiss.IndexHNSWFlat(dim, a.m, faiss.METRIC_INNER_PRODUCT)
        else:
            idx = faiss.IndexHNSWSQ(dim, faiss.ScalarQuantizer.QT_8bit, a.m, faiss.METRIC_INNER_PRODUCT)
        idx.hnsw.efConstruction = a.efc
        idx.hnsw.rng = faiss.RandomGenerator(seed)
        log(f"building {n} on {threads} thread(s)")
        cpu = cpu_seconds()
        t = time.perf_counter()
        if not idx.is_trained:
            idx.train(base)
            train_seconds.append(time.perf_counter() - t)
        idx.add(base)
        wall, cpu = time.perf_counter() - t, cpu_seconds() - cpu
        if idx.ntotal != n:
            raise RuntimeError(f"built an index of {idx.ntotal} vectors, want {n}")
        log(f"built {n} on {threads} thread(s) in {wall:.2f} s")
        return idx, wall, cpu

    if a.build1 == "true":
        idx, res["build_1_thread_seconds"], res["build_1_thread_cpu_seconds"] = build(1)
        del idx
        gc.collect()
    idx, res["build_all_threads_seconds"], res["build_all_threads_cpu_seconds"] = build(a.threads)
    res["build_threads"] = a.threads

    # The sweep: one thread, one query per search call, timed one by one;
    # best of --runs passes per ef, the passes going round the whole sweep
    # (as the Go methods do), each starting with a warm-up of 100 queries.
    # A batched call over all queries is timed once per pass too, for the
    # note on Python's per-call overhead.
    faiss.omp_set_num_threads(1)
    warm = min(nq, 100)
    runs = max(a.runs, 1)
    best = [None] * len(efs)  # (loop seconds, latencies)
    batch = [float("inf")] * len(efs)
    labels = [None] * len(efs)
    for r in range(runs):
        line = []
        for e, ef in enumerate(efs):
            idx.hnsw.efSearch = ef
            for i in range(warm):
                idx.search(queries[i : i + 1], a.k)
            lat = np.empty(nq)
            got = np.empty((nq, a.k), dtype=np.int64)
            t = time.perf_counter()
            for i in range(nq):
                t0 = time.perf_counter()
                _, ids = idx.search(queries[i : i + 1], a.k)
                lat[i] = time.perf_counter() - t0
                got[i] = ids[0]
            total = time.perf_counter() - t
            if best[e] is None or total < best[e][0]:
                best[e] = (total, lat)
            if labels[e] is None:
                labels[e] = got
            t = time.perf_counter()
            idx.search(queries, a.k)
            batch[e] = min(batch[e], time.perf_counter() - t)
            line.append(f"ef={ef} {nq / total:.0f} QPS")
        log(f"pass {r + 1}/{runs}: " + ", ".join(line))
    for e, ef in enumerate(efs):
        total, lat = best[e]
        res["points"].append({
            "ef": ef,
            "queries": nq,
            "qps": nq / total,
            "p50_us": percentile(lat, 50) * 1e6,
            "p99_us": percentile(lat, 99) * 1e6,
            # faiss pads with -1 when it finds fewer than k; the parent
            # counts those as misses.
            "ids": labels[e].tolist(),
        })
    res["notes"].append(
        "QPS and p50/p99 from one search call per query on one thread, so they include Python's "
        "per-call overhead; mean per query, one call each vs one batched call (omp 1 thread): " +
        ", ".join(f"ef={efs[e]} {1e6 * best[e][0] / nq:.0f} µs vs {1e6 * batch[e] / nq:.0f} µs"
                  for e in sorted({0, len(efs) - 1})))
    res["notes"].append(
        f"Debian's faiss is a generic build (get_compile_options: {opts!r}): its distance code is "
        "compiled for baseline x86-64 (SSE), not AVX2/AVX-512; a conda or -march=native build "
        "would compute each distance faster")
    if train_seconds:
        res["notes"].append("train (the 8-bit quantizer's per-dimension ranges) is part of each build time: " +
                            ", ".join(f"{s:.3f} s" for s in train_seconds))

    path = os.path.join(a.work_dir, METHOD + ".faiss")
    faiss.write_index(idx, path)
    res["snapshot_bytes"] = os.path.getsize(path)
    mid = len(efs) // 2
    del idx
    gc.collect()
    t = time.perf_counter()
    loaded = faiss.read_index(path)
    res["load_seconds"] = time.perf_counter() - t
    os.remove(path)
    loaded.hnsw.efSearch = efs[mid]
    check = min(nq, 100)
    same = 0
    for i in range(check):
        _, ids = loaded.search(queries[i : i + 1], a.k)
        if ids[0].tolist() == res["points"][mid]["ids"][i]:
            same += 1
    res["load_check"] = (f"loaded index: {loaded.ntotal} vectors; {same} of {check} queries give "
                         f"the same ids at ef={efs[mid]}")
    res["child_seconds"] = time.perf_counter() - t_start
    json.dump(res, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
