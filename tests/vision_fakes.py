"""Test doubles for the vision tests: a classifier keyed on face brightness and a fake capture."""

from __future__ import annotations

import numpy as np

from emotune.emotions import NUM_CLASSES, Emotion
from emotune.paths import DEFAULT_MODEL


def softmax(z: np.ndarray) -> np.ndarray:
    """Row-wise softmax."""
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


class BrightnessClassifier:
    """Stands in for EmotionClassifier: a bright face reads happy, a dark one sad.

    The crop's mean grey level decides (``threshold``); ``noise`` adds Gaussian noise to the
    logits so per-frame winners flicker the way a real model's do. Records every call's batch size.
    """

    def __init__(
        self, threshold: float = 115.0, noise: float = 0.0, seed: int = 0, runner_up: float = 1.5
    ) -> None:
        self.threshold = threshold
        self.noise = noise
        self.runner_up = runner_up
        self.rng = np.random.default_rng(seed)
        self.calls: list[int] = []

    @property
    def class_prior(self) -> np.ndarray:
        """Its average output over bright and dark faces (what a shipped model records)."""
        logits = np.zeros((2, NUM_CLASSES))
        logits[0, Emotion.HAPPY.value] = logits[1, Emotion.SAD.value] = 2.5
        logits[:, Emotion.NEUTRAL.value] = self.runner_up
        return softmax(logits).mean(axis=0)

    def predict(self, faces: np.ndarray, logit_bias: np.ndarray | None = None) -> np.ndarray:
        faces = np.asarray(faces)
        assert faces.dtype == np.uint8 and faces.ndim == 3 and faces.shape[1:] == (48, 48)
        self.calls.append(len(faces))
        logits = np.zeros((len(faces), NUM_CLASSES))
        bright = faces.reshape(len(faces), -1).mean(axis=1) > self.threshold
        winner = np.where(bright, Emotion.HAPPY.value, Emotion.SAD.value)
        logits[np.arange(len(faces)), winner] = 2.5  # p about 0.56, neutral 0.21 without noise
        # Neutral is a close runner-up, so noisy frames often put it on top.
        logits[:, Emotion.NEUTRAL.value] = self.runner_up
        if self.noise:
            logits = logits + self.rng.normal(0.0, self.noise, logits.shape)
        if logit_bias is not None:
            logits = logits + logit_bias
        return softmax(logits).astype(np.float32)


class FailingClassifier:
    """Raises on every call (to prove the run loop survives)."""

    def predict(self, faces: np.ndarray, logit_bias: np.ndarray | None = None) -> np.ndarray:
        raise RuntimeError("model exploded")


class FakeCapture:
    """A cv2.VideoCapture stand-in that delivers ``good`` frames and then fails every read."""

    def __init__(
        self, good: int = 5, opened: bool = True, shape: tuple[int, int, int] = (48, 64, 3)
    ) -> None:
        self.good = good
        self.opened = opened
        self.shape = shape
        self.reads = 0
        self.released = False
        self.props: dict[int, float] = {}

    def isOpened(self) -> bool:  # noqa: N802 - OpenCV's name
        return self.opened and not self.released

    def read(self) -> tuple[bool, np.ndarray | None]:
        self.reads += 1
        if self.reads <= self.good:
            return True, np.full(self.shape, self.reads % 255, np.uint8)
        return False, None

    def release(self) -> None:
        self.released = True

    def get(self, prop: int) -> float:
        return self.props.get(prop, 0.0)

    def set(self, prop: int, value: float) -> bool:
        self.props[prop] = value
        return True


def real_model_available() -> bool:
    """True when the exported runtime model (and its sidecar) is in models/."""
    return DEFAULT_MODEL.is_file() and DEFAULT_MODEL.with_suffix(".json").is_file()
