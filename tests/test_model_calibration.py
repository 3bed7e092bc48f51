"""Temperature scaling and calibration error."""

from __future__ import annotations

import numpy as np
import pytest

from emotune.training.calibrate import ece, fit_temperature, nll, reliability, softmax


def test_fit_temperature_recovers_the_temperature_of_the_targets():
    logits = np.random.default_rng(0).normal(scale=3.0, size=(500, 7))
    for true_t in (0.5, 1.0, 2.3):
        targets = softmax(logits / true_t)
        assert fit_temperature(logits, targets) == pytest.approx(true_t, rel=1e-3)


def test_fitted_temperature_lowers_nll_of_overconfident_logits():
    rng = np.random.default_rng(1)
    labels = rng.integers(0, 7, size=2000)
    logits = rng.normal(size=(2000, 7))
    logits[np.arange(2000), labels] += 1.0
    overconfident = logits * 4.0  # same ranking, far too sharp
    targets = np.eye(7)[labels]
    t = fit_temperature(overconfident, targets)
    assert t > 1.5
    assert nll(overconfident, targets, t) < nll(overconfident, targets, 1.0)
    assert ece(softmax(overconfident / t), labels) < ece(softmax(overconfident), labels)


def test_ece_is_zero_when_confidence_equals_accuracy_and_large_when_not():
    # Every row 70% confident; 70% of rows correct -> perfectly calibrated.
    probabilities = np.full((10, 7), 0.05)
    probabilities[:, 0] = 0.7
    labels = np.array([0] * 7 + [1] * 3)
    assert ece(probabilities, labels) == pytest.approx(0.0, abs=1e-12)
    assert ece(probabilities, np.ones(10, int)) == pytest.approx(0.7)


def test_reliability_ignores_rows_without_a_label():
    probabilities = softmax(np.random.default_rng(2).normal(size=(20, 7)))
    labels = np.full(20, -1)
    labels[:5] = 0
    assert reliability(probabilities, labels).count.sum() == 5


def test_fit_temperature_rejects_mismatched_shapes():
    with pytest.raises(ValueError):
        fit_temperature(np.zeros((3, 7)), np.zeros((4, 7)))


def test_ece_votes_is_zero_when_confidence_matches_annotator_share():
    from emotune.training.calibrate import ece_votes

    probabilities = np.full((4, 7), 0.05)
    probabilities[:, 2] = 0.7
    votes = np.zeros((4, 7))
    votes[:, 2] = 0.7
    votes[:, 4] = 0.3
    assert ece_votes(probabilities, votes) == pytest.approx(0.0, abs=1e-12)
    votes_all_agree = np.zeros((4, 7))
    votes_all_agree[:, 2] = 1.0
    assert ece_votes(probabilities, votes_all_agree) == pytest.approx(0.3)
