#!/usr/bin/env python3
"""Writes the committed drift test data: data/<case>/reference.csv and window.csv.

Deterministic (NumPy's PCG64 seeded per case); numbers are rounded to 6 decimals so that the text
parses to the same doubles in Python and TypeScript. Empty cells are missing; the `missing` case also
uses the tokens nan, inf and -inf. Run by hand after changing a case, then run compute_reference.py:

    python3 tools/monitoring-reference/drift/make_data.py
    python3 tools/monitoring-reference/drift/compute_reference.py
"""
import csv
import os

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "data")


def num(x):
    return repr(float(round(x, 6)))


def write(case, name, columns):
    os.makedirs(os.path.join(DATA, case), exist_ok=True)
    keys = list(columns)
    rows = len(columns[keys[0]])
    with open(os.path.join(DATA, case, name), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(keys)
        for i in range(rows):
            w.writerow([columns[k][i] for k in keys])


def numeric(values):
    return [num(v) for v in values]


def categories(rng, n, labels, probs):
    return list(rng.choice(labels, size=n, p=probs))


def score(rng, n, shift=0.0):
    """A classifier's probability output: a logistic of a normal."""
    z = rng.normal(shift, 1.2, n)
    return 1 / (1 + np.exp(-z))


COLORS = ["A", "B", "C", "D", "E"]
COLOR_P = [0.4, 0.25, 0.15, 0.12, 0.08]


def standard_case(case, seed, n_ref, n_win, shift=0.0, scale=1.0, prediction_shift=0.0):
    rng = np.random.default_rng(seed)
    write(case, "reference.csv", {
        "x_normal": numeric(rng.normal(0, 1, n_ref)),
        "x_lognormal": numeric(rng.lognormal(0, 0.6, n_ref)),
        "color": categories(rng, n_ref, COLORS, COLOR_P),
        "prediction": numeric(score(rng, n_ref)),
    })
    write(case, "window.csv", {
        "x_normal": numeric(rng.normal(shift, scale, n_win)),
        "x_lognormal": numeric(rng.lognormal(0, 0.6, n_win)),
        "color": categories(rng, n_win, COLORS, COLOR_P),
        "prediction": numeric(score(rng, n_win, prediction_shift)),
    })


def main():
    # No drift: same distributions, reference > 1000 (distances are chosen).
    standard_case("no_drift", 101, 3000, 2000)
    # Shifted mean: x_normal moves by half a standard deviation; the prediction follows a little.
    standard_case("shifted_mean", 102, 3000, 2000, shift=0.5, prediction_shift=0.3)
    # Scaled spread: x_normal's standard deviation grows by half.
    standard_case("scaled_spread", 103, 3000, 2000, scale=1.5)

    # Categorical shift: shares move, two values never seen in the reference appear; profiled with top 4.
    rng = np.random.default_rng(104)
    ref_labels = ["A", "B", "C", "D", "E", "F"]
    write("categorical_shift", "reference.csv", {
        "city": categories(rng, 3000, ref_labels, [0.4, 0.25, 0.15, 0.1, 0.06, 0.04]),
        "x_normal": numeric(rng.normal(0, 1, 3000)),
    })
    write("categorical_shift", "window.csv", {
        "city": categories(rng, 2000, ref_labels + ["G", "H"], [0.25, 0.25, 0.2, 0.1, 0.05, 0.05, 0.05, 0.05]),
        "x_normal": numeric(rng.normal(0, 1, 2000)),
    })

    # Small samples (reference <= 1000): exact KS p-values (unequal sizes), chi-square, z-test on a flag.
    rng = np.random.default_rng(105)
    write("small_sample", "reference.csv", {
        "x_normal": numeric(rng.normal(0, 1, 800)),
        "x_uniform": numeric(rng.uniform(0, 10, 800)),
        "color": categories(rng, 800, COLORS, COLOR_P),
        "flag": categories(rng, 800, ["no", "yes"], [0.7, 0.3]),
        "prediction": numeric(score(rng, 800)),
    })
    write("small_sample", "window.csv", {
        "x_normal": numeric(rng.normal(0.25, 1, 600)),
        "x_uniform": numeric(rng.uniform(0, 10, 600)),
        "color": categories(rng, 600, COLORS, [0.3, 0.3, 0.2, 0.12, 0.08]),
        "flag": categories(rng, 600, ["no", "yes"], [0.6, 0.4]),
        "prediction": numeric(score(rng, 600, 0.1)),
    })

    # Equal sizes: the other exact KS path (n1 == n2).
    rng = np.random.default_rng(106)
    write("equal_sizes", "reference.csv", {"x_normal": numeric(rng.normal(0, 1, 500)), "x_exponential": numeric(rng.exponential(1, 500))})
    write("equal_sizes", "window.csv", {"x_normal": numeric(rng.normal(0.2, 1, 500)), "x_exponential": numeric(rng.exponential(1, 500))})

    # Ties: integer counts, a zero-inflated amount (ties at the minimum), a coarse rounding.
    rng = np.random.default_rng(107)

    def zero_inflated(n, p_zero):
        return np.where(rng.uniform(size=n) < p_zero, 0.0, np.round(rng.exponential(20, n), 2))

    write("ties", "reference.csv", {
        "count": numeric(rng.poisson(3, 2000)),
        "amount": numeric(zero_inflated(2000, 0.7)),
        "rounded": numeric(np.round(rng.normal(0, 1, 2000), 1)),
    })
    write("ties", "window.csv", {
        "count": numeric(rng.poisson(3.4, 1500)),
        "amount": numeric(zero_inflated(1500, 0.6)),
        "rounded": numeric(np.round(rng.normal(0, 1, 1500), 1)),
    })

    # Constant reference (zero variance): the window mostly keeps the value, some rows move off it.
    rng = np.random.default_rng(108)
    write("constant", "reference.csv", {
        "version": numeric(np.full(1500, 5.0)),
        "region": ["eu"] * 1500,
        "x_normal": numeric(rng.normal(0, 1, 1500)),
    })
    window_version = np.where(rng.uniform(size=1000) < 0.9, 5.0, 5.5)
    window_version[:5] = 4.0
    write("constant", "window.csv", {
        "version": numeric(window_version),
        "region": ["eu"] * 1000,
        "x_normal": numeric(rng.normal(0, 1, 1000)),
    })

    # Missing values: empty cells, nan, inf and -inf (all missing by convention), more of them in the window.
    rng = np.random.default_rng(109)

    def with_missing(values, p):
        out = numeric(values)
        for i in range(len(out)):
            u = rng.uniform()
            if u < p:
                out[i] = ["", "nan", "inf", "-inf"][int(rng.integers(4))]
        return out

    def labels_with_missing(n, p):
        out = categories(rng, n, COLORS, COLOR_P)
        return ["" if rng.uniform() < p else v for v in out]

    write("missing", "reference.csv", {
        "x_normal": with_missing(rng.normal(0, 1, 2500), 0.02),
        "color": labels_with_missing(2500, 0.02),
        "prediction": with_missing(score(rng, 2500), 0.01),
    })
    write("missing", "window.csv", {
        "x_normal": with_missing(rng.normal(0, 1, 1500), 0.15),
        "color": labels_with_missing(1500, 0.1),
        "prediction": with_missing(score(rng, 1500), 0.05),
    })

    # Large: more than 10,000 reference values, so ks_2samp's 'auto' switches to the asymptotic p-value.
    rng = np.random.default_rng(110)
    write("large", "reference.csv", {"x_normal": numeric(rng.normal(0, 1, 12000))})
    write("large", "window.csv", {"x_normal": numeric(rng.normal(0.05, 1, 3000))})


if __name__ == "__main__":
    main()
