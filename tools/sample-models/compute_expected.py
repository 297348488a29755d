#!/usr/bin/env python3
"""Expected outputs of the sample models, computed with plain NumPy (no onnxruntime, no onnx).

For every models/<name>.params.json that write-sample-models wrote, this reads the model's
parameters and its fixed test inputs, computes the outputs from the maths each ONNX operator
specifies (float64 on the float32 parameters and inputs the model holds), and writes
models/<name>.expected.json. Run from the repository root after write-sample-models:

    python3 tools/sample-models/compute_expected.py [models-dir]
"""

import hashlib
import json
import sys
from pathlib import Path

import numpy as np

# A label whose two best scores are closer than this could flip between float32 and float64
# arithmetic; such a test input is refused rather than recorded.
MIN_LABEL_MARGIN = 1e-4


def f32(values):
    """float32 values (what the model stores) widened to float64 for the arithmetic."""
    return np.asarray(values, dtype=np.float32).astype(np.float64)


def softmax(scores):
    shifted = scores - scores.max(axis=1, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=1, keepdims=True)


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def argmax_checked(scores, what):
    """ArgMax along axis 1 (first index wins ties, as ONNX ArgMax), refusing near ties."""
    ordered = np.sort(scores, axis=1)
    margins = ordered[:, -1] - ordered[:, -2]
    if scores.shape[1] > 1 and np.any(margins < MIN_LABEL_MARGIN):
        row = int(np.argmin(margins))
        raise ValueError(f"{what}: row {row} has two scores within {MIN_LABEL_MARGIN}; pick another input")
    return np.argmax(scores, axis=1)


def linear_regression(ref, x):
    prediction = x @ f32(ref["weights"]).reshape(-1, 1) + f32([ref["bias"]])
    return {"prediction": ("FP32", prediction)}


def linear_classifier(ref, x, what):
    # ai.onnx.ml LinearClassifier: scores = X · coefficientsᵀ + intercepts, then the post-transform;
    # the label is the class of the highest score.
    scores = x @ f32(ref["coefficients"]).T + f32(ref["intercepts"])
    if ref["post_transform"] != "SOFTMAX":
        raise ValueError(f"{what}: post_transform {ref['post_transform']} is not implemented here")
    label = np.asarray(ref["class_labels"], dtype=np.int64)[argmax_checked(scores, what)]
    return {"label": ("INT64", label), "probabilities": ("FP32", softmax(scores))}


def binary_logistic_regression(ref, x, what):
    p = sigmoid(x @ f32(ref["weights"]) + f32([ref["bias"]])[0])
    probabilities = np.stack([1.0 - p, p], axis=1)
    return {"label": ("INT64", argmax_checked(probabilities, what)), "probabilities": ("FP32", probabilities)}


def mlp(ref, x, what):
    h = x
    layers = ref["layers"]
    for i, layer in enumerate(layers):
        # Gemm with transB = 1: h · Wᵀ + b (W is [out, in]).
        h = h @ f32(layer["weight"]).T + f32(layer["bias"])
        if i < len(layers) - 1:
            h = np.maximum(h, 0.0)
    return {"label": ("INT64", argmax_checked(h, what)), "probabilities": ("FP32", softmax(h))}


BRANCH = {
    "BRANCH_LEQ": lambda v, t: v <= t,
    "BRANCH_LT": lambda v, t: v < t,
    "BRANCH_GTE": lambda v, t: v >= t,
    "BRANCH_GT": lambda v, t: v > t,
    "BRANCH_EQ": lambda v, t: v == t,
    "BRANCH_NEQ": lambda v, t: v != t,
}


def tree_scores(ref, x, n_outputs):
    """Sum over trees of the weights of the leaf each row reaches (ai.onnx.ml TreeEnsemble*)."""
    nodes = {}
    for i, (tree, node) in enumerate(zip(ref["nodes_treeids"], ref["nodes_nodeids"])):
        nodes[(tree, node)] = i
    # Thresholds are float32 in the model and the input is float32: compare those exact values.
    thresholds = np.asarray(ref["nodes_values"], dtype=np.float32)
    x32 = x.astype(np.float32)
    leaf_weights = {}
    for tree, node, out, w in zip(ref["leaf_treeids"], ref["leaf_nodeids"], ref["leaf_ids"], f32(ref["leaf_weights"])):
        leaf_weights.setdefault((tree, node), []).append((out, w))
    scores = np.zeros((x.shape[0], n_outputs))
    for row in range(x.shape[0]):
        for tree in sorted(set(ref["nodes_treeids"])):
            i = nodes[(tree, 0)]
            while ref["nodes_modes"][i] != "LEAF":
                value = x32[row, ref["nodes_featureids"][i]]
                taken = BRANCH[ref["nodes_modes"][i]](value, thresholds[i])
                child = ref["nodes_truenodeids"][i] if taken else ref["nodes_falsenodeids"][i]
                i = nodes[(tree, child)]
            for out, w in leaf_weights.get((tree, ref["nodes_nodeids"][i]), []):
                scores[row, out] += w
    return scores


def tree_ensemble_classifier(ref, x, what):
    labels = ref["class_labels"]
    if ref["post_transform"] != "NONE" or len(labels) < 3:
        raise ValueError(f"{what}: only post_transform NONE with three or more classes is implemented here")
    scores = tree_scores(ref, x, len(labels))
    label = [labels[i] for i in argmax_checked(scores, what)]
    return {"label": ("BYTES", np.asarray(label, dtype=object)), "probabilities": ("FP32", scores)}


def tree_ensemble_regressor(ref, x, what):
    if ref["aggregate_function"] != "SUM" or ref["post_transform"] != "NONE":
        raise ValueError(f"{what}: only aggregate SUM with post_transform NONE is implemented here")
    prediction = tree_scores(ref, x, ref["n_targets"]) + f32(ref["base_values"])
    return {"prediction": ("FP32", prediction)}


KINDS = {
    "linear-regression": lambda ref, x, what: linear_regression(ref, x),
    "linear-classifier": linear_classifier,
    "binary-logistic-regression": binary_logistic_regression,
    "mlp": mlp,
    "tree-ensemble-classifier": tree_ensemble_classifier,
    "tree-ensemble-regressor": tree_ensemble_regressor,
}


def tensor_json(name, datatype, array):
    array = np.asarray(array)
    if datatype == "FP32":
        data = [float(v) for v in array.reshape(-1)]
    elif datatype == "INT64":
        data = [int(v) for v in array.reshape(-1)]
    elif datatype == "BYTES":
        data = [str(v) for v in array.reshape(-1)]
    else:
        raise ValueError(f"unsupported datatype {datatype}")
    return {"name": name, "datatype": datatype, "shape": list(array.shape), "data": data}


def expected_for(params_path):
    params_bytes = params_path.read_bytes()
    params = json.loads(params_bytes)
    ref = params["reference"]
    compute = KINDS[ref["kind"]]
    declared = {o["name"]: o for o in params["signature"]["outputs"]}
    cases = []
    for case in params["cases"]:
        what = f"{params['model']} / {case['name']}"
        (features,) = case["inputs"]
        x = f32(features["data"]).reshape(features["shape"])
        outputs = compute(ref, x, what)
        if list(outputs) != list(declared):
            raise ValueError(f"{what}: computed outputs {list(outputs)}, the signature declares {list(declared)}")
        cases.append(
            {
                "name": case["name"],
                "inputs": case["inputs"],
                "outputs": [tensor_json(name, datatype, array) for name, (datatype, array) in outputs.items()],
            }
        )
    return {
        "model": params["model"],
        "computed_by": "tools/sample-models/compute_expected.py (NumPy, float64 arithmetic on the float32 parameters)",
        "params_sha256": hashlib.sha256(params_bytes).hexdigest(),
        "onnx_sha256": params["onnx_sha256"],
        "cases": cases,
    }


def dumps(value, indent=0):
    """JSON with two-space indentation, arrays of plain values kept on one line."""
    pad = "  " * indent
    inner = "  " * (indent + 1)
    if isinstance(value, dict):
        items = [f"{inner}{json.dumps(k)}: {dumps(v, indent + 1)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}" if items else "{}"
    if isinstance(value, list) and any(isinstance(v, (dict, list)) for v in value):
        return "[\n" + ",\n".join(inner + dumps(v, indent + 1) for v in value) + "\n" + pad + "]"
    return json.dumps(value, ensure_ascii=False)


def main():
    models_dir = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parent / "models")
    params_files = sorted(models_dir.glob("*.params.json"))
    if not params_files:
        sys.exit(f"no *.params.json in {models_dir}: run write-sample-models first")
    for params_path in params_files:
        expected = expected_for(params_path)
        target = models_dir / f"{expected['model']}.expected.json"
        target.write_text(dumps(expected) + "\n", encoding="utf-8")
        print(f"wrote {target}")


if __name__ == "__main__":
    main()
