"""One-call access to the music library for the player, the recommender and the GUI."""

from __future__ import annotations

from pathlib import Path

from emotune.music.scanner import ScanReport, scan
from emotune.music.track import Track

__all__ = ["ScanReport", "load_library", "scan"]


def load_library(folders: list[Path] | None = None, analyze: bool = False) -> list[Track]:
    """Scan ``folders`` (default: the demo library + the user's folders) and return the tracks.

    Uses the library cache, so calling it again on an unchanged library is fast. For progress
    reporting, skipped files or per-emotion counts, call :func:`emotune.music.scanner.scan`.
    """
    return scan(folders, analyze=analyze).tracks
