"""Evaluation plots (PNG): confusion matrix, one-vs-rest ROC curves, reliability diagram.

Uses matplotlib's Agg backend so it works headless (CI, SSH) and never opens a window.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (backend must be chosen first)
import numpy as np  # noqa: E402

from emotune.emotions import CLASS_NAMES, EMOTIONS  # noqa: E402
from emotune.training import data as fer  # noqa: E402
from emotune.training.metrics import auc, label_sets, roc_curve  # noqa: E402

TITLES = {"fer2013": "FER2013 labels", "ferplus": "FER+ strict majority"}


def confusion_png(metrics: dict, title: str, path: Path) -> Path:
    """Row-normalised confusion matrix with counts in each cell."""
    counts = np.asarray(metrics["confusion"], dtype=np.float64)
    rows = counts.sum(axis=1, keepdims=True)
    share = np.divide(counts, rows, out=np.zeros_like(counts), where=rows > 0)
    fig, ax = plt.subplots(figsize=(6.4, 5.6))
    image = ax.imshow(share, cmap="Blues", vmin=0.0, vmax=1.0)
    for i in range(len(CLASS_NAMES)):
        for j in range(len(CLASS_NAMES)):
            colour = "white" if share[i, j] > 0.55 else "black"
            ax.text(
                j,
                i,
                f"{share[i, j]:.2f}\n{int(counts[i, j])}",
                ha="center",
                va="center",
                fontsize=7,
                color=colour,
            )
    ax.set_xticks(range(len(CLASS_NAMES)), CLASS_NAMES, rotation=45, ha="right")
    ax.set_yticks(range(len(CLASS_NAMES)), CLASS_NAMES)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(f"{title}: accuracy {metrics['accuracy']:.3f} (n={metrics['n']})")
    fig.colorbar(image, ax=ax, fraction=0.046, label="share of true class")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def roc_png(probabilities: np.ndarray, labels: np.ndarray, title: str, path: Path) -> Path:
    """One-vs-rest ROC curve per class with its AUC in the legend."""
    fig, ax = plt.subplots(figsize=(6.0, 5.6))
    for k, emotion in enumerate(EMOTIONS):
        positive = labels == k
        if not positive.any() or positive.all():
            continue
        fpr, tpr = roc_curve(probabilities[:, k], positive)
        ax.plot(fpr, tpr, color=emotion.colour, label=f"{emotion.key} (AUC {auc(fpr, tpr):.3f})")
    ax.plot([0, 1], [0, 1], color="grey", linestyle=":", linewidth=1)
    ax.set_xlabel("false positive rate")
    ax.set_ylabel("true positive rate")
    ax.set_title(f"{title}: one-vs-rest ROC")
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def reliability_png(metrics: dict, title: str, path: Path) -> Path:
    """Reliability diagram: accuracy per confidence bin against the diagonal, with bin counts."""
    rel = metrics["reliability"]
    edges = np.asarray(rel["edges"])
    centres = (edges[:-1] + edges[1:]) / 2
    width = edges[1] - edges[0]
    accuracy = np.array([np.nan if v is None else v for v in rel["accuracy"]])
    confidence = np.array([np.nan if v is None else v for v in rel["confidence"]])
    fig, (ax, ax_count) = plt.subplots(2, 1, figsize=(5.6, 6.2), height_ratios=(3, 1), sharex=True)
    ax.bar(centres, np.nan_to_num(accuracy), width=width * 0.9, color="#3e63dd", label="accuracy")
    ax.plot(centres, confidence, "o", color="#e5484d", markersize=3, label="mean confidence")
    ax.plot([0, 1], [0, 1], color="grey", linestyle=":", linewidth=1)
    ax.set_ylabel("accuracy")
    ax.set_ylim(0, 1)
    ax.set_title(f"{title}: ECE {metrics['ece']:.4f}")
    ax.legend(loc="upper left", fontsize=8)
    ax_count.bar(centres, rel["count"], width=width * 0.9, color="#8b8d98")
    ax_count.set_xlabel("top-class confidence")
    ax_count.set_ylabel("faces")
    ax_count.set_xlim(0, 1)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def write_all(report: dict, probabilities: np.ndarray, split: fer.Split, out: Path) -> list[Path]:
    """All three plots for every label set in ``report``; returns the written paths."""
    written = []
    for name, (mask, labels) in label_sets(split).items():
        if name not in report:
            continue
        title = TITLES.get(name, name)
        written.append(confusion_png(report[name], title, out / f"confusion_{name}.png"))
        written.append(roc_png(probabilities[mask], labels, title, out / f"roc_{name}.png"))
        written.append(reliability_png(report[name], title, out / f"reliability_{name}.png"))
    return written


__all__ = ["confusion_png", "reliability_png", "roc_png", "write_all"]
