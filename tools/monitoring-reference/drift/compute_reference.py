#!/usr/bin/env python3
"""Reference values for Modelport's drift statistics, computed with NumPy and SciPy.

Reads the committed cases in data/<case>/{reference,window}.csv (written by make_data.py) and writes
expected.json, which libs/monitoring/src/drift/*.spec.ts compare against. Only numpy and scipy are
needed (checked with scipy 1.17.1, numpy 2.4.6):

    python3 tools/monitoring-reference/drift/compute_reference.py

Conventions (the same as the TypeScript; README.md beside this file explains them):
* Missing: empty cells, nan, inf and -inf are missing in numeric columns (never in a bin, moment or
  test); empty cells are missing in categorical columns.
* Numeric bins: interior edges np.quantile(ref, i/bins), i = 1..bins-1 ('linear'), np.unique'd; when the
  first edge equals the reference minimum, np.nextafter(min, -inf) is added before it. Bin of x:
  np.searchsorted(edges, x, side='left'), i.e. right-closed bins, open at both ends.
* PSI: shares per bin, empty bins filled per side with 0.0001 (or min non-empty share / 1e6 when that
  share is <= 0.0001, as Evidently does), sum (r - c) ln(r / c).
* Jensen-Shannon: scipy.spatial.distance.jensenshannon(ref_counts, win_counts, base=2).
* KS: scipy.stats.ks_2samp(ref, win) (two-sided, method 'auto'); binned KS: ks_2samp of the bin indices.
* Wasserstein: scipy.stats.wasserstein_distance(ref, win) / max(np.std(ref), 0.001); binned: each
  side's mass per bin placed at the bin mean, scipy.stats.wasserstein_distance(ref_means, win_means,
  ref_counts, win_counts).
* Categorical buckets: top-K categories by count (ties by value), "other", "unseen"; chi-square:
  scipy.stats.chisquare(window, ref * n_win / n_ref) on the buckets not empty on both sides; z-test:
  two-proportion z on the first non-empty bucket, p = 2 * norm.sf(|z|).
* Benjamini-Hochberg: scipy.stats.false_discovery_control(p, method='bh').
"""
import csv
import json
import math
import os
import sys
import warnings
from collections import Counter

import numpy as np
import scipy
from scipy import stats
from scipy.spatial.distance import jensenshannon
from scipy.special import smirnov

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "data")

SMALL_REFERENCE = 1000
THRESHOLDS = {"ks": 0.05, "chi-square": 0.05, "z": 0.05, "wasserstein": 0.1, "jensen-shannon": 0.1, "psi": 0.1}
P_VALUE_TESTS = {"ks", "chi-square", "z"}

# Per case: feature -> (type, options); "prediction" names the prediction column.
CASES = {
    "no_drift": {"features": {"x_normal": "numeric", "x_lognormal": "numeric", "color": "categorical", "prediction": "numeric"}, "prediction": "prediction"},
    "shifted_mean": {"features": {"x_normal": "numeric", "x_lognormal": "numeric", "color": "categorical", "prediction": "numeric"}, "prediction": "prediction"},
    "scaled_spread": {"features": {"x_normal": "numeric", "x_lognormal": "numeric", "color": "categorical", "prediction": "numeric"}, "prediction": "prediction"},
    "categorical_shift": {"features": {"city": "categorical", "x_normal": "numeric"}, "options": {"city": {"topK": 4}}},
    "small_sample": {"features": {"x_normal": "numeric", "x_uniform": "numeric", "color": "categorical", "flag": "categorical", "prediction": "numeric"}, "prediction": "prediction"},
    "equal_sizes": {"features": {"x_normal": "numeric", "x_exponential": "numeric"}},
    "ties": {"features": {"count": "numeric", "amount": "numeric", "rounded": "numeric"}},
    "constant": {"features": {"version": "numeric", "region": "categorical", "x_normal": "numeric"}},
    "missing": {"features": {"x_normal": "numeric", "color": "categorical", "prediction": "numeric"}, "prediction": "prediction"},
    "large": {"features": {"x_normal": "numeric"}},
}


def read_csv(path):
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    header, body = rows[0], rows[1:]
    return {name: [r[i] for r in body] for i, name in enumerate(header)}


def parse_numeric(cells):
    return np.array([float(c) if c != "" else np.nan for c in cells], dtype=np.float64)


# ---------- numeric ----------

def numeric_edges(sorted_values, bins=10):
    q = np.quantile(sorted_values, np.arange(1, bins) / bins)
    edges = np.unique(q)
    if edges[0] == sorted_values[0]:
        edges = np.concatenate([[np.nextafter(edges[0], -np.inf)], edges])
    return edges


def bin_counts(edges, values):
    return np.bincount(np.searchsorted(edges, values, side="left"), minlength=len(edges) + 1)


def numeric_summary(values, edges):
    finite = values[np.isfinite(values)]
    out = {
        "rows": int(len(values)),
        "count": int(len(finite)),
        "missing": int(len(values) - len(finite)),
        "nonFinite": int(np.isinf(values).sum()),
        "counts": [int(c) for c in bin_counts(edges, finite)],
        "sums": [float(x) for x in bin_sums(edges, finite)],
    }
    if len(finite):
        out.update(mean=float(np.mean(finite)), std=float(np.std(finite)), min=float(finite.min()), max=float(finite.max()))
    return out


def bin_sums(edges, values):
    idx = np.searchsorted(edges, values, side="left")
    return np.bincount(idx, weights=values, minlength=len(edges) + 1)


def binned_wasserstein(ref_counts, ref_sums, win_counts, win_sums):
    """Each side's mass per bin at the bin's mean; W1 between the two weighted point sets."""
    def atoms(counts, sums):
        counts = np.asarray(counts, dtype=float)
        keep = counts > 0
        return np.asarray(sums)[keep] / counts[keep], counts[keep]
    ra, rw = atoms(ref_counts, ref_sums)
    wa, ww = atoms(win_counts, win_sums)
    return float(stats.wasserstein_distance(ra, wa, rw, ww))


def psi_fill(p):
    nz = p[p != 0]
    m = nz.min()
    return m / 1e6 if m <= 0.0001 else 0.0001


def psi(ref_counts, win_counts):
    r = np.asarray(ref_counts, dtype=float) / np.sum(ref_counts)
    c = np.asarray(win_counts, dtype=float) / np.sum(win_counts)
    r = np.where(r == 0, psi_fill(r), r)
    c = np.where(c == 0, psi_fill(c), c)
    return float(np.sum((r - c) * np.log(r / c)))


def js(ref_counts, win_counts):
    return float(jensenshannon(np.asarray(ref_counts, dtype=float), np.asarray(win_counts, dtype=float), base=2))


def ks(ref, win):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        r = stats.ks_2samp(ref, win)
    exact = max(len(ref), len(win)) <= 10000 and not any("Exact calculation unsuccessful" in str(w.message) for w in caught)
    return {"statistic": float(r.statistic), "pValue": float(r.pvalue), "method": "exact" if exact else "asymp"}


def numeric_feature(ref_values, win_values, bins=10):
    ref = np.sort(ref_values[np.isfinite(ref_values)])
    win = np.sort(win_values[np.isfinite(win_values)])
    edges = numeric_edges(ref, bins)
    profile = numeric_summary(ref_values, edges)
    window = numeric_summary(win_values, edges)
    normalizer = max(float(np.std(ref)), 0.001)
    w = float(stats.wasserstein_distance(ref, win))
    wb = binned_wasserstein(profile["counts"], profile["sums"], window["counts"], window["sums"])
    return {
        "type": "numeric",
        "edges": [float(e) for e in edges],
        "profile": profile,
        "window": window,
        "ks": ks(ref, win),
        "ksBinned": ks(np.searchsorted(edges, ref, side="left"), np.searchsorted(edges, win, side="left")),
        "wasserstein": w,
        "wassersteinNormalizer": normalizer,
        "wassersteinNormalized": w / normalizer,
        "wassersteinBinned": wb,
        "wassersteinBinnedNormalized": wb / normalizer,
        "psi": psi(profile["counts"], window["counts"]),
        "jensenShannon": js(profile["counts"], window["counts"]),
    }


# ---------- categorical ----------

def categorical_feature(ref_cells, win_cells, top_k=20):
    ref = [c for c in ref_cells if c != ""]
    win = [c for c in win_cells if c != ""]
    counts = Counter(ref)
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    top = ranked[:top_k]
    rest = ranked[top_k:]
    categories = [v for v, _ in top]
    other_values = sorted(v for v, _ in rest)
    index = {v: i for i, v in enumerate(categories)}
    wc = [0] * len(categories)
    other = unseen = 0
    for v in win:
        if v in index:
            wc[index[v]] += 1
        elif v in counts:
            other += 1
        else:
            unseen += 1
    ref_buckets = [c for _, c in top] + [sum(c for _, c in rest), 0]
    win_buckets = wc + [other, unseen]
    keep = [i for i in range(len(ref_buckets)) if ref_buckets[i] > 0 or win_buckets[i] > 0]
    obs = np.array([win_buckets[i] for i in keep], dtype=float)
    exp = np.array([ref_buckets[i] * (len(win) / len(ref)) for i in keep], dtype=float)
    if len(keep) < 2:
        chi = {"statistic": 0.0, "pValue": 1.0, "dof": 0}
    else:
        with np.errstate(divide="ignore", invalid="ignore"):
            r = stats.chisquare(obs, exp)
        chi = {"statistic": float(r.statistic), "pValue": float(r.pvalue), "dof": len(keep) - 1}
    out = {
        "type": "categorical",
        "profile": {"categories": categories, "counts": [c for _, c in top], "other": ref_buckets[-2], "otherValues": other_values,
                    "count": len(ref), "missing": len(ref_cells) - len(ref)},
        "window": {"counts": wc, "other": other, "unseen": unseen, "count": len(win), "missing": len(win_cells) - len(win)},
        "usedBuckets": len(keep),
        "chiSquare": chi,
        "psi": psi(ref_buckets, win_buckets),
        "jensenShannon": js(ref_buckets, win_buckets),
    }
    if len(keep) <= 2:
        first = keep[0]
        n1, n2 = len(ref), len(win)
        p1, p2 = ref_buckets[first] / n1, win_buckets[first] / n2
        pooled = (p1 * n1 + p2 * n2) / (n1 + n2)
        if pooled in (0.0, 1.0):
            out["zTest"] = {"statistic": 0.0, "pValue": 1.0}
        else:
            z = (p1 - p2) / math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
            out["zTest"] = {"statistic": z, "pValue": float(2 * stats.norm.sf(abs(z)))}
    return out


# ---------- report ----------

def choose(feature):
    n = feature["profile"]["count"]
    if feature["type"] == "numeric":
        return "ks" if n <= SMALL_REFERENCE else "wasserstein"
    if n > SMALL_REFERENCE:
        return "jensen-shannon"
    return "z" if feature["usedBuckets"] <= 2 else "chi-square"


def score(feature, test, method):
    if test == "ks":
        return feature["ks" if method == "exact" else "ksBinned"]["pValue"]
    if test == "wasserstein":
        return feature["wassersteinNormalized" if method == "exact" else "wassersteinBinnedNormalized"]
    if test == "chi-square":
        return feature["chiSquare"]["pValue"]
    if test == "z":
        return feature["zTest"]["pValue"]
    return feature["jensenShannon" if test == "jensen-shannon" else "psi"]


def report(features, prediction, method, bh):
    rows = []
    for name, f in features.items():
        if f.get("window", {}).get("count", 1) == 0:
            continue
        test = choose(f)
        m = method if test in ("ks", "wasserstein") else "binned"
        rows.append({"feature": name, "role": "prediction" if name == prediction else "feature", "test": test, "method": m, "score": score(f, test, m)})
    if bh:
        idx = [i for i, r in enumerate(rows) if r["test"] in P_VALUE_TESTS]
        if idx:
            adj = stats.false_discovery_control([rows[i]["score"] for i in idx], method="bh")
            for i, a in zip(idx, adj):
                rows[i]["adjustedPValue"] = float(a)
                rows[i]["score"] = float(a)
    for r in rows:
        t = THRESHOLDS[r["test"]]
        r["drifted"] = bool(r["score"] < t) if r["test"] in P_VALUE_TESTS else bool(r["score"] >= t)
    feats = [r for r in rows if r["role"] == "feature"]
    preds = [r for r in rows if r["role"] == "prediction"]
    drifted = sum(r["drifted"] for r in feats)
    share = drifted / len(feats) if feats else 0.0
    pred_drift = any(r["drifted"] for r in preds)
    if not feats and not preds:
        status = "unknown"
    elif pred_drift or (feats and share >= 0.5):
        status = "red"
    elif drifted > 0 or pred_drift:
        status = "amber"
    else:
        status = "green"
    return {"status": status, "driftedFeatures": drifted, "testedFeatures": len(feats), "features": rows}


# ---------- distribution grids ----------

def grids():
    kstwo = []
    for n in [1, 2, 3, 5, 10, 20, 50, 100, 140, 141, 200, 500, 1000, 5000, 20000, 100000, 100001, 500000, 2000000]:
        for d in list(np.linspace(0.0, 1.0, 41)) + list(np.geomspace(1e-4, 0.5, 40)):
            kstwo.append([n, float(d), float(stats.kstwo.sf(d, n))])
    # ks_2samp on samples both languages build the same way: arange(n1)/n1 against arange(n2)/n2 + delta.
    two_sample = []
    for n1, n2 in [(5, 7), (10, 10), (50, 60), (100, 100), (300, 200), (999, 1000), (1000, 1000), (2500, 4000), (7, 9000), (10000, 9999), (10001, 300), (12000, 11000), (20000, 20000), (50000, 120)]:
        for delta in [0.0, 0.003, 0.01, 0.05, 0.1, 0.3, 0.7]:
            r = ks(np.arange(n1) / n1, np.arange(n2) / n2 + delta)
            two_sample.append([n1, n2, delta, r["statistic"], r["pValue"], r["method"]])
    chi2 = []
    for df in [1, 2, 3, 4, 5, 7, 9, 10, 15, 19, 20, 29, 49, 99, 199]:
        for x in np.geomspace(1e-3, 2000, 40):
            chi2.append([float(x), df, float(stats.chi2.sf(x, df))])
    bh_lists = [[0.01, 0.04, 0.03, 0.2, 0.5], [0.001, 0.001, 0.9, 0.049, 0.051, 0.3, 0.02], [0.5], [1e-12, 0.8, 0.0, 1.0]]
    bh = [[p, [float(a) for a in stats.false_discovery_control(p, method="bh")]] for p in bh_lists]
    smirnov_grid = [[n, x, float(smirnov(n, x))] for n in [150, 1000, 500000] for x in [0.05, 0.1, 0.3, 0.6]]
    return {"kstwoSf": kstwo, "ks2samp": two_sample, "chi2Sf": chi2, "benjaminiHochberg": bh, "smirnov": smirnov_grid}


def encode(x):
    """JSON has no inf or nan: write them as strings the tests decode."""
    if isinstance(x, float) and not math.isfinite(x):
        return "nan" if math.isnan(x) else ("inf" if x > 0 else "-inf")
    if isinstance(x, dict):
        return {k: encode(v) for k, v in x.items()}
    if isinstance(x, list):
        return [encode(v) for v in x]
    return x


def main():
    cases = {}
    for case, spec in CASES.items():
        ref = read_csv(os.path.join(DATA, case, "reference.csv"))
        win = read_csv(os.path.join(DATA, case, "window.csv"))
        features = {}
        for name, kind in spec["features"].items():
            opts = spec.get("options", {}).get(name, {})
            if kind == "numeric":
                features[name] = numeric_feature(parse_numeric(ref[name]), parse_numeric(win[name]), opts.get("bins", 10))
            else:
                features[name] = categorical_feature(ref[name], win[name], opts.get("topK", 20))
        prediction = spec.get("prediction")
        cases[case] = {
            "types": spec["features"],
            "options": spec.get("options", {}),
            "prediction": prediction,
            "features": features,
            "reports": {
                "exact": report(features, prediction, "exact", False),
                "exactBH": report(features, prediction, "exact", True),
                "binned": report(features, prediction, "binned", False),
            },
        }
    out = {
        "generatedBy": "tools/monitoring-reference/drift/compute_reference.py",
        "versions": {"python": sys.version.split()[0], "numpy": np.__version__, "scipy": scipy.__version__},
        "cases": cases,
        "grids": grids(),
    }
    with open(os.path.join(HERE, "expected.json"), "w") as f:
        json.dump(encode(out), f, indent=1, allow_nan=False)
        f.write("\n")


if __name__ == "__main__":
    main()
