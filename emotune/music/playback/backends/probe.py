"""Check that a file looks like playable audio and read its length, with mutagen (read-only)."""

from __future__ import annotations

import os
from pathlib import Path


class UnplayableFile(Exception):
    """The file is missing, unreadable or not audio; ``str(exc)`` is a one-line reason."""


def check_readable(path: Path) -> None:
    """Raise :class:`UnplayableFile` if ``path`` is missing, not a file, empty or unreadable."""
    if not path.exists():
        raise UnplayableFile("file not found")
    if not path.is_file():
        raise UnplayableFile("not a regular file")
    if not os.access(path, os.R_OK):
        raise UnplayableFile("permission denied")
    if path.stat().st_size == 0:
        raise UnplayableFile("empty file")


def probe_duration(path: Path) -> float | None:
    """Length in seconds as mutagen reads it, ``None`` if the format is unknown to mutagen.

    Raises :class:`UnplayableFile` when the file is missing, empty, or mutagen recognises the
    container but cannot parse it (a corrupt or truncated header).
    """
    check_readable(path)
    import mutagen  # local: only backends that probe pay the import

    try:
        info = mutagen.File(str(path))
    except Exception as exc:  # noqa: BLE001 - mutagen raises many unrelated types
        raise UnplayableFile(f"unreadable audio ({type(exc).__name__}: {exc})") from exc
    if info is None or getattr(info, "info", None) is None:
        return None
    length = getattr(info.info, "length", None)
    if not length or length <= 0:
        raise UnplayableFile("no audio (zero length)")
    return float(length)
