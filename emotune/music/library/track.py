"""The Track record shared by the scanner, the recommender, the player and the UI."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

from emotune.emotions import Emotion

# Where a track's emotion came from, in order of preference.
SOURCES = ("tag", "folder", "analysis", "default")


@dataclass
class Track:
    """One audio file and what EmoTune knows about it."""

    path: Path
    title: str
    artist: str = ""
    album: str = ""
    duration: float | None = None  # seconds
    emotion: Emotion = Emotion.NEUTRAL
    valence: float = 0.0
    arousal: float = 0.0
    source: str = "default"  # one of SOURCES
    confidence: float = 0.0  # 0..1, how sure the placement is
    tempo: float | None = None  # BPM, from a tag or analysis
    mode: str | None = None  # "major" / "minor"
    key: str | None = None  # e.g. "A minor" or "Am"
    energy: float | None = None  # 0..1 relative loudness, from analysis
    has_cover: bool = False
    mood_tag: str | None = None  # the raw mood text found in the file, if any
    format: str = ""  # container: "mp3", "flac", "ogg", "opus", "m4a", "wav" or "aiff"

    def to_dict(self) -> dict:
        """JSON-friendly dict (paths as strings, emotion as its key)."""
        data = asdict(self)
        data["path"] = str(self.path)
        data["emotion"] = self.emotion.key
        return data
