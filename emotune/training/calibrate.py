"""Temperature scaling (Guo et al., 2017) and calibration error, in pure NumPy.

One scalar T divides the logits: it changes confidence but never the predicted class, so it
cannot hurt accuracy. T is fitted on the *tuning* split by minimising the negative log-likelihood
of soft targets -- the FER+ annotator vote distribution where available -- so that the
probabilities users see track how much human annotators agree on a face.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


def log_softmax(logits: np.ndarray) -> np.ndarray:
    """Numerically stable row-wise log-softmax in float64."""
    z = np.asarray(logits, dtype=np.float64)
    z = z - z.max(axis=1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


def softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise softmax in float64."""
    return np.exp(log_softmax(logits))


def nll(logits: np.ndarray, targets: np.ndarray, temperature: float = 1.0) -> float:
    """Mean cross-entropy of soft or one-hot ``targets`` (N, 7) under softmax(logits / T)."""
    return float(
        -(targets * log_softmax(np.asarray(logits, np.float64) / temperature)).sum(axis=1).mean()
    )


def fit_temperature(
    logits: np.ndarray,
    targets: np.ndarray,
    low: float = 0.05,
    high: float = 20.0,
    tol: float = 1e-5,
) -> float:
    """The T in [low, high] minimising :func:`nll`, by golden-section search over log T.

    NLL is convex in 1/T for a fixed logit matrix, so a 1-D bracketing search finds the global
    minimum; searching in log space treats "twice as sharp" and "twice as flat" alike.
    """
    logits = np.asarray(logits, dtype=np.float64)
    targets = np.asarray(targets, dtype=np.float64)
    if logits.shape != targets.shape or logits.ndim != 2:
        raise ValueError(f"logits {logits.shape} and targets {targets.shape} must both be (N, C)")
    ratio = (math.sqrt(5.0) - 1.0) / 2.0
    a, b = math.log(low), math.log(high)
    c, d = b - ratio * (b - a), a + ratio * (b - a)
    fc, fd = nll(logits, targets, math.exp(c)), nll(logits, targets, math.exp(d))
    while b - a > tol:
        if fc < fd:
            b, d, fd = d, c, fc
            c = b - ratio * (b - a)
            fc = nll(logits, targets, math.exp(c))
        else:
            a, c, fc = c, d, fd
            d = a + ratio * (b - a)
            fd = nll(logits, targets, math.exp(d))
    return float(math.exp((a + b) / 2.0))


@dataclass
class Reliability:
    """Per-bin statistics of a reliability diagram (equal-width confidence bins)."""

    edges: np.ndarray  # (bins + 1,)
    confidence: np.ndarray  # mean top-class confidence per bin (nan where empty)
    accuracy: np.ndarray  # accuracy per bin (nan where empty)
    count: np.ndarray  # rows per bin
    ece: float


def reliability(probabilities: np.ndarray, labels: np.ndarray, bins: int = 15) -> Reliability:
    """Expected calibration error of the top-class confidence against integer ``labels``.

    ECE = sum over bins of (bin share) * |accuracy - mean confidence|, with 15 equal-width bins
    as in Guo et al. Rows with a negative label (no ground truth) are ignored.
    """
    probabilities = np.asarray(probabilities, dtype=np.float64)
    labels = np.asarray(labels)
    keep = labels >= 0
    probabilities, labels = probabilities[keep], labels[keep].astype(np.int64)
    confidence = probabilities.max(axis=1)
    correct = probabilities.argmax(axis=1) == labels
    edges = np.linspace(0.0, 1.0, bins + 1)
    # Right-closed bins, with confidence exactly 0 falling into the first.
    which = np.clip(np.searchsorted(edges, confidence, side="left") - 1, 0, bins - 1)
    count = np.bincount(which, minlength=bins)
    conf_sum = np.bincount(which, weights=confidence, minlength=bins)
    acc_sum = np.bincount(which, weights=correct.astype(np.float64), minlength=bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_conf = conf_sum / count
        mean_acc = acc_sum / count
    total = max(int(count.sum()), 1)
    gaps = np.where(count > 0, np.abs(np.nan_to_num(mean_acc) - np.nan_to_num(mean_conf)), 0.0)
    ece = float((count / total * gaps).sum())
    return Reliability(edges, mean_conf, mean_acc, count, ece)


def ece_votes(probabilities: np.ndarray, vote_share: np.ndarray, bins: int = 15) -> float:
    """Calibration against annotator agreement: like ECE, but a bin's 'accuracy' is the mean share
    of annotator votes (``vote_share`` (N, 7), rows summing to 1) for the predicted class.

    Zero means "when the model says 70%, about 70% of annotators pick that class", which is
    what temperature scaling on the vote distribution aims for. Rows without votes (all-zero
    ``vote_share``) are ignored.
    """
    probabilities = np.asarray(probabilities, dtype=np.float64)
    vote_share = np.asarray(vote_share, dtype=np.float64)
    keep = vote_share.sum(axis=1) > 0
    probabilities, vote_share = probabilities[keep], vote_share[keep]
    confidence = probabilities.max(axis=1)
    agreement = vote_share[np.arange(len(vote_share)), probabilities.argmax(axis=1)]
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.searchsorted(edges, confidence, side="left") - 1, 0, bins - 1)
    count = np.bincount(which, minlength=bins)
    gap = np.abs(
        np.bincount(which, weights=agreement, minlength=bins)
        - np.bincount(which, weights=confidence, minlength=bins)
    )
    return float(gap.sum() / max(int(count.sum()), 1))


def ece(probabilities: np.ndarray, labels: np.ndarray, bins: int = 15) -> float:
    """Expected calibration error (see :func:`reliability`)."""
    return reliability(probabilities, labels, bins).ece


__all__ = [
    "Reliability",
    "ece",
    "ece_votes",
    "fit_temperature",
    "log_softmax",
    "nll",
    "reliability",
    "softmax",
]
