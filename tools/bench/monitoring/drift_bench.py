#!/usr/bin/env python3
"""NumPy/SciPy side of the drift benchmark (spawned by drift.bench.ts; see README.md).

    python3 drift_bench.py DATA_FILE EDGES_JSON REPS

DATA_FILE: a 32-byte header (b"MPDRIFT1", uint32 rows, uint32 features), then the reference columns,
then the window columns, float64 little-endian. EDGES_JSON: per feature the reference profile's bin
edges and counts (computed once, as in production). Prints JSON: times in ms per repetition (file load
excluded) and the results, which the Node side compares with its own.
"""
import json
import sys
import time

import numpy as np
import scipy
from scipy import stats
from scipy.spatial.distance import jensenshannon


def psi_fill(p):
    m = p[p != 0].min()
    return m / 1e6 if m <= 0.0001 else 0.0001


def psi(ref_counts, win_counts):
    r = ref_counts / ref_counts.sum()
    c = win_counts / win_counts.sum()
    r = np.where(r == 0, psi_fill(r), r)
    c = np.where(c == 0, psi_fill(c), c)
    return float(np.sum((r - c) * np.log(r / c)))


def main():
    path, edges_path, reps = sys.argv[1], sys.argv[2], int(sys.argv[3])
    with open(path, "rb") as f:
        header = f.read(32)
        assert header[:8] == b"MPDRIFT1", "not a drift benchmark file"
        rows, features = np.frombuffer(header[8:16], dtype="<u4")
        data = np.fromfile(f, dtype="<f8").reshape(2, features, rows)
    reference, window = data[0], data[1]
    with open(edges_path) as f:
        profiles = json.load(f)
    edges = [np.asarray(p["edges"], dtype=np.float64) for p in profiles]
    ref_counts = [np.asarray(p["counts"], dtype=np.float64) for p in profiles]

    ks_ms, binned_ms = [], []
    for _ in range(reps):
        t = time.perf_counter()
        ks = [stats.ks_2samp(reference[j], window[j]) for j in range(features)]
        ks_ms.append((time.perf_counter() - t) * 1e3)
        t = time.perf_counter()
        binned = []
        for j in range(features):
            counts = np.bincount(np.searchsorted(edges[j], window[j], side="left"), minlength=len(edges[j]) + 1).astype(np.float64)
            binned.append((psi(ref_counts[j], counts), float(jensenshannon(ref_counts[j], counts, base=2))))
        binned_ms.append((time.perf_counter() - t) * 1e3)

    # One more pass splitting ks_2samp's time as it spends it: the statistic (two sorts, searchsorted of
    # the concatenation into each, the largest gap) and the p-value (kstwo.sf at round(n1 n2 / (n1 + n2))).
    stat_ms = p_ms = 0.0
    for j in range(features):
        t = time.perf_counter()
        a, b = np.sort(reference[j]), np.sort(window[j])
        both = np.concatenate([a, b])
        gaps = np.searchsorted(a, both, side="right") / a.size - np.searchsorted(b, both, side="right") / b.size
        d = max(float(gaps.max()), float(np.clip(-gaps.min(), 0, 1)))
        t2 = time.perf_counter()
        m, n = sorted([float(a.size), float(b.size)], reverse=True)
        stats.kstwo.sf(d, np.round(m * n / (m + n)))
        t3 = time.perf_counter()
        stat_ms += (t2 - t) * 1e3
        p_ms += (t3 - t2) * 1e3

    json.dump({
        "ksStatisticMs": stat_ms,
        "ksPValueMs": p_ms,
        "versions": {"python": sys.version.split()[0], "numpy": np.__version__, "scipy": scipy.__version__},
        "ksMs": ks_ms,
        "binnedMs": binned_ms,
        "ks": [{"statistic": float(r.statistic), "pValue": float(r.pvalue)} for r in ks],
        "psi": [b[0] for b in binned],
        "js": [b[1] for b in binned],
    }, sys.stdout)


if __name__ == "__main__":
    main()
