"""Shared helpers for the player, DJ and CLI tests: tiny audio files and a backend harness.

The harness hides the one real difference between the backends under contract test: the
null backend runs on a simulated clock (the harness advances it), VLC runs in real time
(the harness sleeps). Either way ``wait_for`` returns as soon as the condition holds.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from emotune.emotions import Emotion
from emotune.music.library.track import Track
from emotune.music.playback.backends import NullBackend, PlayerBackend, vlc_available

BACKENDS = ("null", "vlc")
FORMATS = {
    "wav": {"format": "WAV", "subtype": "PCM_16"},
    "flac": {"format": "FLAC", "subtype": "PCM_16"},
    "ogg": {"format": "OGG", "subtype": "VORBIS"},
    "mp3": {"format": "MP3", "subtype": "MPEG_LAYER_III"},
}
AUDIO_SUFFIXES = {".mp3", ".flac", ".ogg", ".oga", ".opus", ".wav", ".m4a", ".aac", ".aiff"}


def write_tone(path: Path, seconds: float = 1.0, freq: float = 440.0, sr: int = 22050) -> Path:
    """Write a quiet sine tone in the format given by ``path``'s suffix."""
    import soundfile as sf

    t = np.arange(int(sr * seconds)) / sr
    samples = (0.2 * np.sin(2 * np.pi * freq * t)).astype("float32")
    sf.write(str(path), samples, sr, **FORMATS[path.suffix.lstrip(".")])
    return path


def write_garbage(path: Path, size: int = 6000) -> Path:
    """Random bytes under an audio file name: a "corrupt download"."""
    path.write_bytes(np.random.default_rng(0).integers(0, 256, size, dtype=np.uint8).tobytes())
    return path


def demo_audio_file() -> Path | None:
    """One audio file from the bundled demo library, if it exists yet."""
    from emotune.paths import DEMO_LIBRARY_DIR

    if not DEMO_LIBRARY_DIR.is_dir():
        return None
    files = sorted(p for p in DEMO_LIBRARY_DIR.rglob("*") if p.suffix.lower() in AUDIO_SUFFIXES)
    return files[0] if files else None


def make_backend(kind: str) -> PlayerBackend:
    """A backend for tests: simulated-clock null, or VLC on the dummy output."""
    if kind == "null":
        return NullBackend()
    if not vlc_available():
        pytest.skip("libvlc is not available")
    from emotune.music.playback.backends.vlc_backend import VLCBackend

    return VLCBackend(dummy_audio=True)


class Recorder:
    """Records (time, event, args, thread) for every event of a backend or player."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self.clock = clock
        self.log: list[tuple[float, str, tuple[Any, ...], threading.Thread]] = []
        self._lock = threading.Lock()

    def attach(self, source: Any, names: tuple[str, ...]) -> Recorder:
        for name in names:
            source.connect(name, lambda *args, _n=name: self._add(_n, args))
        return self

    def _add(self, name: str, args: tuple[Any, ...]) -> None:
        with self._lock:
            self.log.append((self.clock(), name, args, threading.current_thread()))

    def names(self, skip: tuple[str, ...] = ("position",)) -> list[str]:
        with self._lock:
            return [n for _, n, _, _ in self.log if n not in skip]

    def of(self, name: str) -> list[tuple[float, tuple[Any, ...]]]:
        with self._lock:
            return [(t, a) for t, n, a, _ in self.log if n == name]

    def threads(self) -> set[threading.Thread]:
        with self._lock:
            return {th for *_, th in self.log}


class Harness:
    """A backend plus a clock-agnostic ``wait_for``."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.backend = make_backend(kind)
        self.simulated = isinstance(self.backend, NullBackend) and not self.backend.realtime

    def now(self) -> float:
        """Seconds on the backend's clock (simulated for null, real for VLC)."""
        return self.backend.now if self.simulated else time.monotonic()  # type: ignore[attr-defined]

    def wait_for(self, condition: Callable[[], bool], timeout: float = 10.0) -> bool:
        """Advance (null) or sleep (VLC) in small steps until ``condition()``; False on timeout."""
        step = 0.01
        waited = 0.0
        self.pump()
        while not condition():
            if waited >= timeout:
                return False
            if self.simulated:
                self.backend.advance(step)  # type: ignore[attr-defined]
            else:
                time.sleep(step)
            waited += step
        return True

    def settle(self, seconds: float) -> None:
        """Let ``seconds`` pass on the backend's clock (events keep flowing)."""
        if self.simulated:
            self.backend.advance(seconds)  # type: ignore[attr-defined]
        else:
            time.sleep(seconds)
            self.backend.wait_idle()

    def pump(self) -> None:
        """Deliver pending events now (no-op for real time beyond waiting for the thread)."""
        if self.simulated:
            self.backend.pump()  # type: ignore[attr-defined]
        else:
            self.backend.wait_idle()

    def close(self) -> None:
        self.backend.close()


def track(path: Path | str, title: str | None = None, **fields: Any) -> Track:
    """A Track for tests; ``emotion`` also sets valence/arousal unless given."""
    emotion = fields.pop("emotion", Emotion.NEUTRAL)
    fields.setdefault("valence", emotion.valence)
    fields.setdefault("arousal", emotion.arousal)
    fields.setdefault("confidence", 1.0)
    fields.setdefault("source", "tag")
    path = Path(path)
    return Track(path=path, title=title or path.stem, emotion=emotion, **fields)


def spread_library(count: int, root: Path | str = "/music", seconds: float = 200.0) -> list[Track]:
    """``count`` made-up tracks spread evenly over the whole valence/arousal plane."""
    side = int(np.ceil(np.sqrt(count)))
    grid = np.linspace(-0.9, 0.9, side)
    tracks = []
    for i in range(count):
        v, a = grid[i % side], grid[i // side]
        tracks.append(
            track(
                Path(root) / f"t{i:03d}.mp3",
                title=f"Track {i}",
                valence=float(v),
                arousal=float(a),
                duration=seconds,
                tempo=float(60 + 10 * (i % 9)),
                mode="major" if v > 0 else "minor",
            )
        )
    return tracks
