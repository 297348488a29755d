#!/usr/bin/env python3
"""Reference values of the accuracy metrics, computed with plain NumPy (no scikit-learn).

libs/monitoring/src/accuracy/metrics.ts is unit-tested against expected.json, which this script
writes from the committed inputs in cases.json. The implementations below are written out
plainly and independently of the TypeScript (for example, ROC AUC here integrates the ROC curve
with the trapezoidal rule, while the TypeScript uses the rank statistic), so an agreement of the
two is evidence, not a copy.

    python3 tools/monitoring-reference/accuracy/reference.py            # cases.json -> expected.json
    python3 tools/monitoring-reference/accuracy/reference.py --generate # rewrite cases.json (seeded)

Conventions (the same as metrics.ts; see libs/monitoring/src/accuracy/README.md):
* A value whose denominator is zero is None (null), never 0 and never NaN.
* Binary classification (a positive class is given): precision, recall and F1 of the positive
  class; every other label is negative. Accuracy compares the labels themselves.
* Multiclass: macro averages over the labels (the configured classes, else the sorted union of the
  actual and predicted labels); a label whose value is undefined (precision: never predicted;
  recall: never actual; F1: neither) is left out of the mean, and the mean is None when every
  label is left out. Per-label F1 is 2TP / (2TP + FP + FN).
* ROC AUC: binary from the positive-class probability, None unless both classes occur among the
  actuals; multiclass one-vs-rest macro over the labels that occur and do not occur (others left
  out), None without a probability for every class.
* Log loss: natural log, probabilities clipped to [1e-15, 1 - 1e-15], not renormalised; the mean
  over rows of -log p(actual label).
* Regression: RMSE, MAE, MAPE as a fraction (mean |error| / |actual| over the rows whose actual is
  not 0; None when every actual is 0), R^2 = 1 - SS_res / SS_tot (None with fewer than 2 rows or
  when the actuals are all equal).
* Delay quantiles: linear interpolation between order statistics (NumPy's default method).
"""

import hashlib
import json
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
CASES = HERE / "cases.json"
EXPECTED = HERE / "expected.json"
EPS = 1e-15
SEED = 20261102


# ---- metrics --------------------------------------------------------------------------------


def ratio(numerator, denominator):
    return None if denominator == 0 else float(numerator) / float(denominator)


def mean_defined(values):
    defined = [v for v in values if v is not None]
    return None if not defined else float(np.mean(defined))


def counts_for(actual, predicted, label):
    tp = int(np.sum((actual == label) & (predicted == label)))
    fp = int(np.sum((actual != label) & (predicted == label)))
    fn = int(np.sum((actual == label) & (predicted != label)))
    return tp, fp, fn


def roc_auc_trapezoid(is_positive, scores):
    """Area under the ROC curve: thresholds at every distinct score, trapezoids between them."""
    is_positive = np.asarray(is_positive, dtype=bool)
    scores = np.asarray(scores, dtype=np.float64)
    positives = int(is_positive.sum())
    negatives = int((~is_positive).sum())
    if positives == 0 or negatives == 0:
        return None
    order = np.argsort(-scores, kind="mergesort")
    s = scores[order]
    y = is_positive[order].astype(np.float64)
    # The last index of each run of equal scores: the curve moves only between distinct thresholds.
    last_of_run = np.r_[np.where(np.diff(s) != 0)[0], len(s) - 1]
    tps = np.cumsum(y)[last_of_run]
    fps = (last_of_run + 1) - tps
    tpr = np.r_[0.0, tps / positives]
    fpr = np.r_[0.0, fps / negatives]
    return float(np.trapezoid(tpr, fpr))


def classification(case):
    actual = np.asarray(case["actual"], dtype=object)
    predicted = np.asarray(case["predicted"], dtype=object)
    positive = case.get("positiveClass")
    classes = case.get("classes")
    accuracy = float(np.mean(actual == predicted)) if len(actual) else None

    if positive is not None:
        tp, fp, fn = counts_for(actual, predicted, positive)
        precision, recall, f1 = ratio(tp, tp + fp), ratio(tp, tp + fn), ratio(2 * tp, 2 * tp + fp + fn)
        roc_auc = log_loss = None
        p = case.get("positiveProbability")
        if p is not None:
            y = actual == positive
            roc_auc = roc_auc_trapezoid(y, p)
            q = np.clip(np.asarray(p, dtype=np.float64), EPS, 1 - EPS)
            yf = y.astype(np.float64)
            log_loss = float(-np.mean(yf * np.log(q) + (1 - yf) * np.log(1 - q)))
        averaging = "binary"
    else:
        labels = list(classes) if classes is not None else sorted(set(actual.tolist()) | set(predicted.tolist()))
        per_label = [counts_for(actual, predicted, label) for label in labels]
        precision = mean_defined([ratio(tp, tp + fp) for tp, fp, _ in per_label])
        recall = mean_defined([ratio(tp, tp + fn) for tp, _, fn in per_label])
        f1 = mean_defined([ratio(2 * tp, 2 * tp + fp + fn) for tp, fp, fn in per_label])
        roc_auc = log_loss = None
        probabilities = case.get("probabilities")
        if probabilities is not None and classes is not None:
            P = np.asarray(probabilities, dtype=np.float64)
            roc_auc = mean_defined([roc_auc_trapezoid(actual == label, P[:, j]) for j, label in enumerate(labels)])
            column = np.array([labels.index(a) for a in actual.tolist()])
            q = np.clip(P[np.arange(len(actual)), column], EPS, 1 - EPS)
            log_loss = float(-np.mean(np.log(q)))
        averaging = "macro"
    return {
        "accuracy": accuracy,
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "rocAuc": roc_auc,
        "logLoss": log_loss,
        "averaging": averaging,
    }


def regression(case):
    y = np.asarray(case["actual"], dtype=np.float64)
    yhat = np.asarray(case["predicted"], dtype=np.float64)
    n = len(y)
    if n == 0:
        return {"rmse": None, "mae": None, "mape": None, "r2": None}
    err = yhat - y
    nonzero = y != 0
    mape = float(np.mean(np.abs(err[nonzero]) / np.abs(y[nonzero]))) if nonzero.any() else None
    ss_res = float(np.sum(err**2))
    ss_tot = float(np.sum((y - np.mean(y)) ** 2))
    # Equal actuals are tested directly: their float mean can differ from them by a rounding error.
    r2 = None if n < 2 or np.all(y == y[0]) else 1.0 - ss_res / ss_tot
    return {"rmse": float(np.sqrt(np.mean(err**2))), "mae": float(np.mean(np.abs(err))), "mape": mape, "r2": r2}


def quantiles(case):
    x = np.asarray(case["values"], dtype=np.float64)
    return {str(q): (None if len(x) == 0 else float(np.percentile(x, q * 100))) for q in case["q"]}


KINDS = {"classification": classification, "regression": regression, "quantile": quantiles}


# ---- committed inputs (--generate) ----------------------------------------------------------


def softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def generate():
    rng = np.random.default_rng(SEED)
    cases = []

    # Binary: a fraud scorer; probabilities rounded to 2 decimals, so many scores tie.
    n = 300
    y = rng.random(n) < 0.3
    score = np.clip(np.where(y, rng.normal(0.68, 0.18, n), rng.normal(0.32, 0.18, n)), 0, 1).round(2)
    cases.append({
        "name": "binary fraud scorer, tied scores",
        "kind": "classification",
        "positiveClass": "fraud",
        "actual": ["fraud" if v else "legit" for v in y],
        "predicted": ["fraud" if s >= 0.5 else "legit" for s in score],
        "positiveProbability": score.tolist(),
    })

    # Binary with probabilities of exactly 0 and 1 (clipping) and confident mistakes.
    actual = ["1", "0", "1", "1", "0", "0", "1", "0", "1", "0", "1", "1"]
    p = [1.0, 0.0, 0.0, 0.9, 1.0, 0.1, 0.55, 0.45, 0.5, 0.5, 0.99999, 1e-18]
    cases.append({
        "name": "binary probabilities at 0 and 1 (clipped)",
        "kind": "classification",
        "positiveClass": "1",
        "actual": actual,
        "predicted": ["1" if v >= 0.5 else "0" for v in p],
        "positiveProbability": p,
    })

    cases.append({
        "name": "binary, the positive class is never predicted",
        "kind": "classification",
        "positiveClass": "yes",
        "actual": ["yes", "no", "yes", "no", "no"],
        "predicted": ["no", "no", "no", "no", "no"],
        "positiveProbability": [0.4, 0.1, 0.3, 0.2, 0.45],
    })

    cases.append({
        "name": "binary, every actual is negative",
        "kind": "classification",
        "positiveClass": "yes",
        "actual": ["no", "no", "no", "no"],
        "predicted": ["yes", "no", "no", "yes"],
        "positiveProbability": [0.8, 0.2, 0.3, 0.6],
    })

    cases.append({
        "name": "binary labels without probabilities",
        "kind": "classification",
        "positiveClass": "spam",
        "actual": ["spam", "ham", "spam", "ham", "ham", "spam", "ham"],
        "predicted": ["spam", "spam", "ham", "ham", "ham", "spam", "ham"],
    })

    # Multiclass: three classes, softmax probabilities, label = argmax.
    classes = ["setosa", "versicolor", "virginica"]
    n = 150
    truth = rng.integers(0, 3, n)
    logits = rng.normal(0, 1, (n, 3))
    logits[np.arange(n), truth] += 1.6
    P = softmax(logits).round(4)
    cases.append({
        "name": "multiclass with probabilities",
        "kind": "classification",
        "classes": classes,
        "actual": [classes[i] for i in truth],
        "predicted": [classes[i] for i in np.argmax(P, axis=1)],
        "probabilities": P.tolist(),
    })

    # Multiclass where one class is never predicted and another never occurs among the actuals.
    classes4 = ["a", "b", "c", "d"]
    n = 60
    truth = rng.choice([0, 1, 2], n)  # "d" never occurs among the actuals
    logits = rng.normal(0, 1, (n, 4))
    logits[np.arange(n), truth] += 1.2
    logits[:, 2] -= 10  # "c" never wins
    P = softmax(logits).round(5)
    cases.append({
        "name": "multiclass, a class never predicted and a class never actual",
        "kind": "classification",
        "classes": classes4,
        "actual": [classes4[i] for i in truth],
        "predicted": [classes4[i] for i in np.argmax(P, axis=1)],
        "probabilities": P.tolist(),
    })

    cases.append({
        "name": "multiclass labels only, classes from the data",
        "kind": "classification",
        "actual": ["2", "0", "1", "1", "2", "0", "0", "10"],
        "predicted": ["2", "0", "2", "1", "1", "0", "10", "10"],
    })

    cases.append({
        "name": "multiclass, a configured class occurs nowhere",
        "kind": "classification",
        "classes": ["cat", "dog", "bird"],
        "actual": ["cat", "dog", "cat", "dog", "dog"],
        "predicted": ["cat", "cat", "cat", "dog", "dog"],
    })

    cases.append({"name": "empty", "kind": "classification", "positiveClass": "1", "actual": [], "predicted": []})

    # Regression.
    n = 200
    yr = rng.normal(50, 10, n).round(3)
    cases.append({
        "name": "regression",
        "kind": "regression",
        "actual": yr.tolist(),
        "predicted": (yr + rng.normal(0.5, 4, n)).round(3).tolist(),
    })
    yz = rng.normal(0, 2, 40).round(1)
    yz[::5] = 0.0
    cases.append({
        "name": "regression with zero actuals (MAPE skips them)",
        "kind": "regression",
        "actual": yz.tolist(),
        "predicted": (yz + rng.normal(0, 1, 40)).round(2).tolist(),
    })
    cases.append({"name": "regression, all actuals equal", "kind": "regression", "actual": [3.0, 3.0, 3.0], "predicted": [2.5, 3.0, 4.0]})
    cases.append({"name": "regression, equal actuals whose mean rounds", "kind": "regression", "actual": [0.1] * 10, "predicted": [0.1, 0.2] * 5})
    cases.append({"name": "regression, one row", "kind": "regression", "actual": [4.0], "predicted": [5.5]})
    cases.append({"name": "regression, all actuals zero", "kind": "regression", "actual": [0.0, 0.0], "predicted": [1.0, -2.0]})

    # Delay quantiles (seconds).
    delays = rng.exponential(3600, 101).round(3)
    cases.append({"name": "delays", "kind": "quantile", "values": delays.tolist(), "q": [0.5, 0.9]})
    cases.append({"name": "delays, even count", "kind": "quantile", "values": [10.0, 40.0, 20.0, 30.0], "q": [0.5, 0.9]})
    cases.append({"name": "delays, one value", "kind": "quantile", "values": [7.5], "q": [0.5, 0.9]})
    cases.append({"name": "delays, none", "kind": "quantile", "values": [], "q": [0.5, 0.9]})

    CASES.write_text(json.dumps({"seed": SEED, "cases": cases}, indent=1) + "\n")
    print(f"wrote {CASES.relative_to(Path.cwd()) if CASES.is_relative_to(Path.cwd()) else CASES}")


def main():
    if "--generate" in sys.argv[1:]:
        generate()
    source = CASES.read_bytes()
    cases = json.loads(source)["cases"]
    out = {
        "cases_sha256": hashlib.sha256(source).hexdigest(),
        "eps": EPS,
        "cases": [{"name": c["name"], "kind": c["kind"], "expected": KINDS[c["kind"]](c)} for c in cases],
    }
    EXPECTED.write_text(json.dumps(out, indent=1) + "\n")
    print(f"wrote {len(cases)} cases to {EXPECTED.name}")


if __name__ == "__main__":
    main()
