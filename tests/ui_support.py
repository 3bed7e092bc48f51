"""Test doubles and builders for the desktop-app tests (tests/test_ui_*.py).

* :class:`FakeSource` - a frame source that behaves like a webcam (paced frames, listeners,
  ``status``) and can stop delivering after ``fail_after`` seconds, as an unplugged camera does.
* :class:`FakePipeline` - the real FramePipeline (and so the real per-frame step and mood filter)
  over a stand-in detector (one centred face, or none) and classifier (fixed probabilities, so
  the camera's mood is known).
* :func:`build_app` - a MainWindow + AppController with a silent simulated-clock NullBackend, a
  made-up library and optionally the vision worker on a fake source.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from emotune.emotions import EMOTIONS, Emotion
from emotune.mood import TRAINING_CLASS_PRIOR, MoodTracker
from emotune.music.choose.dj import MoodDJ
from emotune.music.library.scanner import ScanReport
from emotune.music.library.track import Track
from emotune.music.playback.backends import NullBackend
from emotune.settings import Settings
from emotune.vision.detector import Box
from emotune.vision.pipeline import FramePipeline
from emotune.vision.sources import Frame, SourceEvent, SourceStatus


def one_hot(emotion: Emotion, p: float = 0.9) -> np.ndarray:
    """Probabilities with ``p`` on ``emotion`` and the rest spread as a trained network spreads
    it (in proportion to the training prior), so no rare class is magnified by the filter."""
    rest = np.asarray(TRAINING_CLASS_PRIOR, dtype=np.float64)
    rest[emotion.value] = 0.0
    probs = (1.0 - p) * rest / rest.sum()
    probs[emotion.value] = p
    return probs.astype(np.float32)


def fake_tracks(per_emotion: int = 8) -> list[Track]:
    """A library with ``per_emotion`` tagged tracks for every emotion (paths need not exist)."""
    tracks = []
    for emotion in EMOTIONS:
        for i in range(per_emotion):
            tracks.append(
                Track(
                    path=Path(f"/music/{emotion.key}/{i}.mp3"),
                    title=f"{emotion.label} song {i}",
                    artist="Test Band",
                    album="Tests",
                    duration=120.0 + i,
                    emotion=emotion,
                    valence=emotion.valence,
                    arousal=emotion.arousal,
                    source="tag",
                    confidence=1.0,
                )
            )
    return tracks


def fake_scanner(tracks: list[Track]) -> Any:
    """A stand-in for emotune.music.library.scanner.scan that returns ``tracks`` at once."""

    def scan(
        folders: Any = None, *, analyze: bool = False, progress: Any = None, cache: Any = None
    ) -> ScanReport:
        if progress is not None:
            for i, track in enumerate(tracks, start=1):
                progress(i, len(tracks), track.path)
        return ScanReport(tracks=list(tracks))

    return scan


class FakeSource:
    """A webcam-like source: ``fps`` paced frames; after ``fail_after`` s it is lost for good."""

    def __init__(
        self, fps: float = 20.0, fail_after: float | None = None, size: tuple[int, int] = (320, 240)
    ) -> None:
        self.fps = fps
        self.fail_after = fail_after
        self.size = size
        self.description = "fake camera"
        self.status = SourceStatus.CLOSED
        self._listeners: list[Any] = []
        self._index = 0
        self._opened_at = 0.0
        self.closed = threading.Event()

    def add_listener(self, listener: Any) -> Any:
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def _emit(self, event: SourceEvent) -> None:
        for listener in list(self._listeners):
            listener(self, event)

    def open(self) -> None:
        self.status = SourceStatus.OPEN
        self._opened_at = time.monotonic()
        self._emit(SourceEvent.OPENED)

    def read(self) -> Frame | None:
        if self.status is SourceStatus.LOST:
            time.sleep(0.05)  # as CameraSource does while reconnecting: nap, return nothing
            return None
        if self.status is not SourceStatus.OPEN:
            return None
        now = time.monotonic()
        if self.fail_after is not None and now - self._opened_at >= self.fail_after:
            self.status = SourceStatus.LOST
            self._emit(SourceEvent.CAMERA_LOST)
            return None
        time.sleep(1.0 / self.fps)
        width, height = self.size
        image = np.full((height, width, 3), 90 + (self._index % 40), np.uint8)
        frame = Frame(image, time.monotonic(), self._index)
        self._index += 1
        return frame

    def close(self) -> None:
        self.status = SourceStatus.CLOSED
        self.closed.set()


class _FakeDetector:
    """One centred face while ``face_visible``, none otherwise."""

    def __init__(self) -> None:
        self.face_visible = True
        self.last_was_full_scan = False

    def detect(self, frame: np.ndarray) -> list[Box]:
        if not self.face_visible:
            return []
        height, width = frame.shape[:2]
        return [Box(width // 3, height // 4, width // 3, width // 3)]

    def reset(self) -> None:
        pass


class _FakeClassifier:
    """Every face reads ``emotion`` at ``strength`` (a test may change both while frames flow)."""

    path = None

    def __init__(self, emotion: Emotion, strength: float) -> None:
        self.emotion = emotion
        self.strength = strength

    def predict(self, faces: np.ndarray, logit_bias: Any = None) -> np.ndarray:
        return np.stack([one_hot(self.emotion, self.strength)] * len(faces))


class FakePipeline(FramePipeline):
    """The real pipeline step and mood filter over a fake detector and classifier."""

    def __init__(self, emotion: Emotion = Emotion.SAD, strength: float = 0.9) -> None:
        super().__init__(_FakeClassifier(emotion, strength), _FakeDetector(), tracker=MoodTracker())  # type: ignore[arg-type]
        self.bias = None

    emotion = property(
        lambda self: self.classifier.emotion, lambda self, v: setattr(self.classifier, "emotion", v)
    )
    strength = property(
        lambda self: self.classifier.strength,
        lambda self, v: setattr(self.classifier, "strength", v),
    )
    face_visible = property(
        lambda self: self.detector.face_visible,
        lambda self, v: setattr(self.detector, "face_visible", v),
    )

    def set_logit_bias(self, bias: Any) -> None:
        super().set_logit_bias(bias)
        self.bias = bias


def make_dj(settings: Settings, tracks: list[Track] | None = None) -> MoodDJ:
    """A DJ on a silent simulated-clock backend that accepts made-up paths."""
    backend = NullBackend(check_files=False)
    return MoodDJ(backend, tracks or [], settings=settings, seed=7)


@dataclass
class AppHarness:
    """What :func:`build_app` made, for the tests to drive and inspect."""

    window: Any
    controller: Any
    dj: MoodDJ
    settings: Settings
    vision: Any
    source: FakeSource | None
    pipeline: FakePipeline | None = None

    def sync(self) -> None:
        """Wait until the player thread has run every command so far, then deliver its news."""
        from PySide6.QtWidgets import QApplication

        bridge = self.controller.bridge
        if bridge is not None:
            assert bridge.wait_idle(5.0), "player thread stuck"
            assert bridge.wait_idle(5.0)  # and the state snapshot the last command asked for
        for _ in range(3):
            QApplication.processEvents()

    def upcoming_emotions(self) -> list[Emotion]:
        """Emotions of the queued (upcoming) tracks, as the DJ has them."""
        return [entry.track.emotion for entry in self.dj.snapshot(history=0).upcoming]

    def shown_queue_emotions(self) -> list[Emotion]:
        """Emotions of the entries the queue widget shows."""
        return [entry.emotion for entry in self.window.queue.entries()]

    def close(self) -> None:
        """Close the window (stops the worker and the DJ)."""
        self.window.close()


def build_app(
    qtbot: Any,
    tmp_path: Path,
    *,
    camera: Emotion | None = None,
    fail_after: float | None = None,
    tracks: list[Track] | None = None,
    size: tuple[int, int] = (1280, 800),
) -> AppHarness:
    """Build and show the window; with ``camera`` set, a fake camera whose face reads that emotion."""
    from PySide6.QtWidgets import QApplication

    from emotune.ui.controller import AppController
    from emotune.ui.main_window import MainWindow
    from emotune.ui.theme import apply_theme
    from emotune.ui.workers.vision_worker import VisionWorker

    apply_theme(QApplication.instance())
    settings = Settings(tmp_path / "settings.json")
    library = fake_tracks() if tracks is None else tracks
    dj = make_dj(settings)
    window = MainWindow()
    qtbot.addWidget(window)
    source = None
    vision = None
    pipeline = None
    if camera is not None:
        source = FakeSource(fail_after=fail_after)
        pipeline = FakePipeline(camera)
        vision = VisionWorker(
            source_factory=lambda spec: source, pipeline_factory=lambda model: pipeline
        )
    controller = AppController(
        window,
        dj,
        settings,
        vision=vision,
        source_spec="0" if camera is not None else None,
        scanner=fake_scanner(library),
    )
    window.resize(*size)
    window.show()
    controller.start()
    qtbot.waitUntil(lambda: bool(controller.tracks), timeout=5000)
    return AppHarness(window, controller, dj, settings, vision, source, pipeline)
