"""Plain data the vision worker sends to the GUI thread.

Everything here is immutable or a private copy, so a frame can cross threads without locks: the
worker never touches it again after emitting it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from PySide6.QtGui import QImage

from emotune.emotions import EMOTIONS, Emotion
from emotune.mood import MoodSnapshot


@dataclass(frozen=True)
class FaceBox:
    """One detected face, in the pixel coordinates of :attr:`FrameUpdate.image`."""

    x: int
    y: int
    w: int
    h: int
    probabilities: tuple[float, ...]  # canonical order; empty when not classified
    is_primary: bool = False

    @property
    def emotion(self) -> Emotion | None:
        """The most probable emotion, or ``None`` when the face was not classified."""
        if not self.probabilities:
            return None
        return EMOTIONS[max(range(len(self.probabilities)), key=self.probabilities.__getitem__)]

    @property
    def confidence(self) -> float:
        """Probability of :attr:`emotion` (0 when unclassified)."""
        return max(self.probabilities) if self.probabilities else 0.0


@dataclass(frozen=True)
class FrameUpdate:
    """One processed frame: a picture to show and what was found in it."""

    image: QImage  # RGB888, owns its pixels (a copy), possibly downscaled for display
    faces: tuple[FaceBox, ...] = ()
    mood: MoodSnapshot | None = None  # the mood filter after this frame: the one snapshot on screen
    fps: float = 0.0
    inference_ms: float = 0.0  # detection + classification of this frame
    timings: dict[str, float] = field(default_factory=dict)  # per-stage ms from the pipeline
    index: int = 0
    timestamp: float = 0.0  # time.monotonic() when captured
