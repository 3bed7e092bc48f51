"""Classification metrics for emotion models (pure NumPy): confusion, ROC/AUC, calibration.

Shared by :mod:`.evaluate` (reports), :mod:`.plots` (figures) and :mod:`.compare`; imports
neither, so the three never go round in a circle.
"""

from __future__ import annotations

import numpy as np

from emotune.emotions import CLASS_NAMES, NUM_CLASSES
from emotune.training import calibrate
from emotune.training import data as fer


def confusion_matrix(labels: np.ndarray, predicted: np.ndarray) -> np.ndarray:
    """(7, 7) counts; rows are true classes, columns predicted classes."""
    flat = labels.astype(np.int64) * NUM_CLASSES + predicted.astype(np.int64)
    return np.bincount(flat, minlength=NUM_CLASSES * NUM_CLASSES).reshape(NUM_CLASSES, NUM_CLASSES)


def roc_curve(scores: np.ndarray, positive: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(false positive rate, true positive rate) points for one-vs-rest scores, ties merged."""
    order = np.argsort(-scores, kind="mergesort")
    scores, positive = scores[order], positive[order].astype(np.float64)
    # Only emit a point where the score changes, so tied scores form one diagonal step.
    distinct = np.r_[np.flatnonzero(np.diff(scores)), len(scores) - 1]
    tps = np.cumsum(positive)[distinct]
    fps = (distinct + 1) - tps
    p, n = positive.sum(), len(positive) - positive.sum()
    tpr = np.r_[0.0, tps / p] if p else np.r_[0.0, np.zeros_like(tps)]
    fpr = np.r_[0.0, fps / n] if n else np.r_[0.0, np.zeros_like(fps)]
    return fpr, tpr


def auc(fpr: np.ndarray, tpr: np.ndarray) -> float:
    """Area under a ROC curve by the trapezoid rule."""
    return float(np.trapezoid(tpr, fpr)) if hasattr(np, "trapezoid") else float(np.trapz(tpr, fpr))


def wilson_interval(correct: int, total: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson score interval (95% by default) for an accuracy of ``correct`` out of ``total``.

    Reported next to every accuracy because the splits here are small: on the 2,629-face tuning
    split a 65% accuracy is only known to about +-1.8 points, so smaller differences between two
    models can be chance."""
    if total <= 0:
        return float("nan"), float("nan")
    share = correct / total
    denominator = 1.0 + z * z / total
    centre = (share + z * z / (2 * total)) / denominator
    half = z * np.sqrt(share * (1 - share) / total + z * z / (4 * total * total)) / denominator
    return float(max(centre - half, 0.0)), float(min(centre + half, 1.0))


def classification_metrics(probabilities: np.ndarray, labels: np.ndarray, bins: int = 15) -> dict:
    """Accuracy, balanced accuracy, macro F1, confusion matrix, per-class rates, AUC and ECE.

    Per-class TP/TN/FP/FN rates follow the seed study's tables: TP rate = recall, TN rate =
    specificity, FP rate = 1 - specificity, FN rate = 1 - recall. Balanced accuracy and macro
    F1 average over the classes present in ``labels``.
    """
    probabilities = np.asarray(probabilities, dtype=np.float64)
    labels = np.asarray(labels).astype(np.int64)
    predicted = probabilities.argmax(axis=1)
    cm = confusion_matrix(labels, predicted)
    total = cm.sum()
    per_class, recalls, f1s, aucs = {}, [], [], {}
    for k, name in enumerate(CLASS_NAMES):
        tp = int(cm[k, k])
        fn = int(cm[k].sum() - tp)
        fp = int(cm[:, k].sum() - tp)
        tn = int(total - tp - fn - fp)
        support = tp + fn
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / support if support else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        specificity = tn / (tn + fp) if tn + fp else 0.0
        entry = {
            "support": support,
            "precision": precision,
            "recall": recall,
            "f1": f1,
            "tp_rate": recall,
            "tn_rate": specificity,
            "fp_rate": 1.0 - specificity if tn + fp else 0.0,
            "fn_rate": 1.0 - recall if support else 0.0,
            "tp": tp,
            "tn": tn,
            "fp": fp,
            "fn": fn,
        }
        if support and support < len(labels):
            fpr, tpr = roc_curve(probabilities[:, k], labels == k)
            entry["auc"] = aucs[name] = auc(fpr, tpr)
        per_class[name] = entry
        if support:
            recalls.append(recall)
            f1s.append(f1)
    rel = calibrate.reliability(probabilities, labels, bins)
    correct = predicted == labels
    clipped = np.clip(probabilities[np.arange(len(labels)), labels], 1e-12, 1.0)
    return {
        "n": int(len(labels)),
        "accuracy": float(correct.mean()) if len(labels) else float("nan"),
        "accuracy_ci95": list(wilson_interval(int(correct.sum()), len(labels))),
        "balanced_accuracy": float(np.mean(recalls)) if recalls else float("nan"),
        "macro_f1": float(np.mean(f1s)) if f1s else float("nan"),
        "macro_auc": float(np.mean(list(aucs.values()))) if aucs else float("nan"),
        "nll": float(-np.log(clipped).mean()) if len(labels) else float("nan"),
        "ece": rel.ece,
        "confusion": cm.tolist(),
        "per_class": per_class,
        "reliability": {
            "edges": rel.edges.tolist(),
            "confidence": [None if np.isnan(v) else float(v) for v in rel.confidence],
            "accuracy": [None if np.isnan(v) else float(v) for v in rel.accuracy],
            "count": rel.count.tolist(),
        },
    }


def label_sets(split: fer.Split) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """``{name: (row mask, labels)}`` for FER2013 labels and, with votes, strict FER+ majority."""
    sets = {"fer2013": (np.ones(len(split), dtype=bool), split.labels.astype(np.int64))}
    if split.votes is not None:
        majority = fer.ferplus_majority(split.votes)
        has = majority >= 0
        sets["ferplus"] = (has, majority[has])
    return sets


__all__ = [
    "auc",
    "classification_metrics",
    "confusion_matrix",
    "label_sets",
    "roc_curve",
    "wilson_interval",
]
