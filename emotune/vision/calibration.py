"""Personal neutral-face calibration: a per-user logit bias so the user's resting face reads neutral.

Some people's resting face looks sad or angry to a model trained on other faces. During a few
seconds of recording the user holds a neutral face; :class:`NeutralCalibrator` collects the
model's (uncalibrated) probabilities and :func:`compute_bias` returns

    bias = log(target) - mean(log p)        (centred, clipped to ±max_abs)

where ``target`` leans towards neutral (see :func:`neutral_target`). Adding ``bias`` to the log
probabilities (equivalently to the logits; see :func:`apply_bias`) makes the recorded face read
neutral while a clearly different expression still wins its own class.

Only seven numbers and a little metadata are stored (JSON in :func:`emotune.paths.user_data_dir`),
never images.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from emotune.emotions import CLASS_NAMES, NUM_CLASSES, Emotion
from emotune.paths import user_data_dir

CALIBRATION_FILE = "neutral_calibration.json"
FORMAT_VERSION = 1


class CalibrationError(ValueError):
    """Not enough (or unusable) data to calibrate, or a malformed calibration file."""


def neutral_target(neutral_share: float = 0.55) -> np.ndarray:
    """A target distribution with ``neutral_share`` on neutral and the rest spread evenly.

    Not one-hot: the bias only has to make neutral the clear winner on the user's resting face,
    and a softer target keeps the other classes reachable.
    """
    if not 1.0 / NUM_CLASSES < neutral_share < 1.0:
        raise ValueError(
            f"neutral_share must be in ({1.0 / NUM_CLASSES:.3f}, 1), got {neutral_share}"
        )
    target = np.full(NUM_CLASSES, (1.0 - neutral_share) / (NUM_CLASSES - 1))
    target[Emotion.NEUTRAL.value] = neutral_share
    return target


def compute_bias(
    probabilities: np.ndarray, target: np.ndarray | None = None, max_abs: float = 3.0
) -> np.ndarray:
    """The logit bias (7,) float32 that maps the mean log-probability of ``probabilities`` (N, 7) to ``target``.

    Clipped to ``±max_abs`` nats so one odd recording cannot switch a class off entirely, and
    centred (softmax ignores a constant shift) so the stored numbers are easy to read.
    """
    p = np.asarray(probabilities, dtype=np.float64)
    if p.ndim != 2 or p.shape[1] != NUM_CLASSES or len(p) == 0:
        raise CalibrationError(
            f"expected probabilities of shape (N, {NUM_CLASSES}) with N > 0, got {p.shape}"
        )
    target = neutral_target() if target is None else np.asarray(target, dtype=np.float64)
    mean_log = np.log(np.clip(p, 1e-6, 1.0)).mean(axis=0)
    bias = np.log(target) - mean_log
    bias -= bias.mean()
    return np.clip(bias, -max_abs, max_abs).astype(np.float32)


def apply_bias(probabilities: np.ndarray, bias: np.ndarray | None) -> np.ndarray:
    """``softmax(log p + bias)`` row-wise: the same as adding ``bias`` to the model's logits."""
    p = np.asarray(probabilities, dtype=np.float64)
    if bias is None:
        return p.astype(np.float32)
    z = np.log(np.clip(p, 1e-12, 1.0)) + np.asarray(bias, dtype=np.float64)
    z -= z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return (e / e.sum(axis=-1, keepdims=True)).astype(np.float32)


@dataclass(frozen=True)
class Calibration:
    """A stored neutral calibration: the bias and where it came from."""

    logit_bias: np.ndarray
    frames: int
    created: str = field(
        default_factory=lambda: datetime.now(timezone.utc).isoformat(timespec="seconds")
    )
    model_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (numbers only, no images)."""
        return {
            "version": FORMAT_VERSION,
            "class_names": list(CLASS_NAMES),
            "logit_bias": [round(float(b), 5) for b in self.logit_bias],
            "frames": int(self.frames),
            "created": self.created,
            "model_id": self.model_id,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Calibration:
        """Parse :meth:`to_dict` output; raises :class:`CalibrationError` if malformed."""
        try:
            if list(data.get("class_names", CLASS_NAMES)) != list(CLASS_NAMES):
                raise CalibrationError("calibration was made for a different class order")
            bias = np.asarray(data["logit_bias"], dtype=np.float32)
            if bias.shape != (NUM_CLASSES,) or not np.all(np.isfinite(bias)):
                raise CalibrationError(f"logit_bias must be {NUM_CLASSES} finite numbers")
            return cls(
                bias, int(data.get("frames", 0)), str(data.get("created", "")), data.get("model_id")
            )
        except (KeyError, TypeError, ValueError) as error:
            if isinstance(error, CalibrationError):
                raise
            raise CalibrationError(f"malformed calibration: {error}") from error


class NeutralCalibrator:
    """Collects the primary face's probabilities for ``duration_s`` seconds of neutral face.

    Feed it *unbiased* probabilities (``FaceResult.raw_probabilities``). ``add`` returns True
    once enough time has passed; then :meth:`result` builds the :class:`Calibration`.
    """

    def __init__(
        self, duration_s: float = 4.0, min_frames: int = 10, model_id: str | None = None
    ) -> None:
        """Record for ``duration_s`` seconds and require at least ``min_frames`` faces."""
        self.duration_s = duration_s
        self.min_frames = min_frames
        self.model_id = model_id
        self._samples: list[np.ndarray] = []
        self._start: float | None = None
        self._last = 0.0

    def add(self, probabilities: np.ndarray | None, timestamp: float) -> bool:
        """Add one frame's probabilities (None = no face, skipped); True when recording is done."""
        if self._start is None:
            self._start = timestamp
        self._last = timestamp
        if probabilities is not None:
            p = np.asarray(probabilities, dtype=np.float64).reshape(-1)
            if p.shape == (NUM_CLASSES,) and np.all(np.isfinite(p)):
                self._samples.append(p)
        return self.done

    @property
    def progress(self) -> float:
        """Fraction of the recording time elapsed, 0..1 (for a progress bar)."""
        if self._start is None or self.duration_s <= 0:
            return 0.0
        return min(1.0, (self._last - self._start) / self.duration_s)

    @property
    def frames(self) -> int:
        """Faces collected so far."""
        return len(self._samples)

    @property
    def done(self) -> bool:
        """True when the recording time has elapsed."""
        return self.progress >= 1.0

    def result(self) -> Calibration:
        """The calibration; raises :class:`CalibrationError` if too few faces were seen."""
        if len(self._samples) < self.min_frames:
            raise CalibrationError(
                f"only {len(self._samples)} face frames recorded (need {self.min_frames}); "
                "look at the camera with a relaxed face and try again"
            )
        return Calibration(
            compute_bias(np.stack(self._samples)), len(self._samples), model_id=self.model_id
        )


# -- storage ----------------------------------------------------------------------------------


def calibration_path() -> Path:
    """Where the calibration lives: ``user_data_dir()/neutral_calibration.json``."""
    return user_data_dir() / CALIBRATION_FILE


def save_calibration(calibration: Calibration, path: Path | None = None) -> Path:
    """Write atomically (temp file + replace) and return the path."""
    target = path or calibration_path()
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".calibration-", suffix=".json", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(calibration.to_dict(), handle, indent=2)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def load_calibration(path: Path | None = None, model_id: str | None = None) -> Calibration | None:
    """The stored calibration, or None if there is none, it is unreadable, or it was made for
    another model (when both ``model_id`` and the stored id are known)."""
    source = path or calibration_path()
    try:
        calibration = Calibration.from_dict(json.loads(source.read_text(encoding="utf-8")))
    except (OSError, ValueError):  # missing, unreadable or malformed: behave as uncalibrated
        return None
    if model_id and calibration.model_id and calibration.model_id != model_id:
        return None
    return calibration


def reset_calibration(path: Path | None = None) -> bool:
    """Delete the stored calibration; True if there was one."""
    target = path or calibration_path()
    try:
        target.unlink()
        return True
    except FileNotFoundError:
        return False


def model_id(model_path: str | Path) -> str:
    """A short content hash of a model, so a calibration is not reused with another one. The
    sidecar counts too: it names an ensemble's other members, its bias and temperature, so the
    same first member in a new ensemble is another model."""
    path = Path(model_path)
    digest = hashlib.sha256(path.read_bytes())
    sidecar = path.with_suffix(".json")
    if sidecar.is_file():
        digest.update(sidecar.read_bytes())
    return digest.hexdigest()[:16]
