"""Paired comparison of two emotion models on the same faces (exact McNemar test).

Two accuracies on one split, each with its own interval, overstate the uncertainty of their
difference: both models see the same faces, and most faces are easy or hard for both. McNemar's
test looks only at the faces where exactly one model is right, which is what decides whether a
candidate really beats the shipped model on the tuning split.
"""

from __future__ import annotations

from math import comb
from pathlib import Path

import numpy as np

from emotune.training import splits
from emotune.training.evaluate import predict_probabilities
from emotune.training.metrics import label_sets


def mcnemar(correct_a: np.ndarray, correct_b: np.ndarray) -> dict:
    """Exact two-sided McNemar test for paired per-face correctness (boolean arrays).

    Returns the discordant counts (``only_a``: A right and B wrong; ``only_b``: the reverse) and
    the p-value of "both models are equally accurate" (a two-sided binomial test at 1/2 on the
    discordant faces; 1.0 when there are none)."""
    a, b = np.asarray(correct_a, dtype=bool), np.asarray(correct_b, dtype=bool)
    if a.shape != b.shape:
        raise ValueError(f"paired results differ in shape: {a.shape} vs {b.shape}")
    only_a, only_b = int((a & ~b).sum()), int((~a & b).sum())
    discordant = only_a + only_b
    tail = sum(comb(discordant, k) for k in range(min(only_a, only_b) + 1))
    p_value = 1.0 if discordant == 0 else min(1.0, 2 * tail / 2**discordant)
    return {"only_a": only_a, "only_b": only_b, "p_value": float(p_value)}


def compare_models(
    model_a: str | Path,
    model_b: str | Path,
    data: str | Path,
    split: str,
    run_dir: str | Path | None = None,
    seed: int | None = None,
) -> dict:
    """Accuracy of both models on one split, per label set, with the paired test.

    The split is resolved once (``tune`` from ``run_dir`` or model A's run folder), so both
    models are scored on exactly the same faces."""
    run_dir = run_dir or splits.run_dir_of(model_a)
    faces = splits.load_named_split(data, split, run_dir=run_dir, seed=seed)
    predicted_a = predict_probabilities(model_a, faces.faces)[0].argmax(axis=1)
    predicted_b = predict_probabilities(model_b, faces.faces)[0].argmax(axis=1)
    result: dict = {
        "model_a": str(model_a),
        "model_b": str(model_b),
        "split": split,
        "n": len(faces),
    }
    for name, (mask, labels) in label_sets(faces).items():
        right_a, right_b = predicted_a[mask] == labels, predicted_b[mask] == labels
        result[name] = {
            "n": int(mask.sum()),
            "accuracy_a": float(right_a.mean()),
            "accuracy_b": float(right_b.mean()),
            **mcnemar(right_a, right_b),
        }
    return result


def format_comparison(result: dict) -> str:
    """One paragraph per label set: both accuracies, the faces only one got right, and p."""
    lines = [
        f"A = {result['model_a']}\nB = {result['model_b']}\nsplit {result['split']} ({result['n']} faces)"
    ]
    for name, title in (("fer2013", "FER2013 labels"), ("ferplus", "FER+ strict majority")):
        if name not in result:
            continue
        r = result[name]
        lines.append(
            f"{title} (n={r['n']}): A {r['accuracy_a']:.2%}, B {r['accuracy_b']:.2%} "
            f"({(r['accuracy_b'] - r['accuracy_a']) * 100:+.1f} points); only A right on {r['only_a']}, "
            f"only B right on {r['only_b']}; exact McNemar p = {r['p_value']:.3g}"
        )
    return "\n".join(lines)
