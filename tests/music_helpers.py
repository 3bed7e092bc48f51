"""Shared helpers for the music-library tests: tiny audio files in every format, audio digests."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import numpy as np

from emotune.devtools.encode import write_audio

# One row per format the library supports: extension -> sample rate to encode at.
FORMAT_RATES: dict[str, int] = {
    ".mp3": 22050,
    ".flac": 22050,
    ".ogg": 22050,
    ".opus": 48000,
    ".m4a": 22050,
    ".wav": 22050,
    ".aiff": 22050,
}
CORE_EXTENSIONS = (".mp3", ".flac", ".ogg", ".opus", ".m4a", ".wav")


def tone(seconds: float, sr: int, freq: float = 440.0) -> np.ndarray:
    """A plain decaying sine: enough to be a valid, decodable file."""
    t = np.arange(int(seconds * sr)) / sr
    return (0.3 * np.sin(2 * np.pi * freq * t) * np.exp(-t)).astype(np.float32)


def make_audio(path: Path, seconds: float = 0.5, freq: float = 440.0) -> Path:
    """Encode a short tone to ``path`` in the format its extension names."""
    sr = FORMAT_RATES[path.suffix.lower()]
    path.parent.mkdir(parents=True, exist_ok=True)
    write_audio(path, tone(seconds, sr, freq), sr)
    return path


class TinyFiles:
    """Encodes one tiny file per format once, then hands out copies (fast fixtures)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._base: dict[str, Path] = {}

    def base(self, ext: str) -> Path:
        """The cached original for ``ext``."""
        if ext not in self._base:
            self._base[ext] = make_audio(self.folder / f"base{ext}", seconds=0.3)
        return self._base[ext]

    def copy(self, dest: Path, ext: str | None = None) -> Path:
        """Copy the tiny file for ``ext`` (default: dest's extension) to ``dest``."""
        ext = ext or dest.suffix.lower()
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(self.base(ext), dest)
        return dest


def audio_digest(path: Path) -> tuple[str, np.ndarray]:
    """(sha256 of the encoded audio packets, decoded samples) via PyAV (ffmpeg's demuxers).

    Tags live outside the audio packets, so retagging must leave both exactly equal.
    """
    import av

    digest = hashlib.sha256()
    with av.open(os.fspath(path)) as container:
        stream = container.streams.audio[0]
        for packet in container.demux(stream):
            if packet.size:
                digest.update(bytes(packet))
    frames = []
    with av.open(os.fspath(path)) as container:
        for frame in container.decode(audio=0):
            frames.append(frame.to_ndarray().reshape(-1))
    samples = np.concatenate(frames) if frames else np.zeros(0)
    return digest.hexdigest(), samples


def tag_lines(path: Path) -> set[str]:
    """Every tag as ``key=value`` text, as mutagen pretty-prints it (format-independent)."""
    import mutagen

    audio = mutagen.File(path)
    if audio is None or audio.tags is None:
        return set()
    return set(audio.tags.pprint().splitlines())


def keep_numba_cache(request) -> None:
    """Keep librosa's numba JIT cache between test runs (the app keeps it in user data).

    Each test gets a fresh EMOTUNE_HOME, so without this every run would pay the one-off JIT
    compilation (tens of seconds). Only effective if librosa is not imported yet.
    """
    import sys
    import tempfile

    if "librosa" not in sys.modules:
        # pytest's cache plugin can be switched off (-p no:cacheprovider); then use a temp folder.
        cache = getattr(request.config, "cache", None)
        folder = (
            cache.mkdir("numba")
            if cache is not None
            else Path(tempfile.gettempdir()) / "emotune-numba"
        )
        os.environ.setdefault("NUMBA_CACHE_DIR", str(folder))
