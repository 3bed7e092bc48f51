"""Where EmoTune finds its bundled files and keeps the user's data.

Set ``EMOTUNE_HOME`` to put all user data (settings, caches, calibration) under one folder;
tests use this to stay out of the real home directory.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

PROJECT_ROOT = Path(__file__).resolve().parent.parent
"""The checkout (or install prefix) that holds ``models/``, ``assets/`` and ``music_library/``."""

MODELS_DIR = PROJECT_ROOT / "models"
ASSETS_DIR = PROJECT_ROOT / "assets"
DEMO_LIBRARY_DIR = PROJECT_ROOT / "music_library"
DEFAULT_MODEL = MODELS_DIR / "emotion.tflite"


def _home_override() -> Path | None:
    value = os.environ.get("EMOTUNE_HOME")
    return Path(value) if value else None


class UserDirError(OSError):
    """A user folder cannot be created or written; ``str(exc)`` is a one-line message with a fix."""


def _usable_dir(path: Path, what: str) -> Path:
    """Create ``path`` if needed and make sure it is a writable folder, else raise UserDirError."""
    home = _home_override()
    fix = (
        "point EMOTUNE_HOME at a writable folder or unset it"
        if home
        else "fix that folder's permissions or set EMOTUNE_HOME to a writable folder"
    )
    if home is not None and home.exists() and not home.is_dir():
        raise UserDirError(f"EMOTUNE_HOME={home} is a file, not a folder; {fix}")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        reason = (exc.strerror or type(exc).__name__).lower()
        if isinstance(exc, FileExistsError):
            reason = "a file is in the way"
        raise UserDirError(
            f"cannot create EmoTune's {what} folder {path}: {reason}; {fix}"
        ) from None
    # os.access also sees a read-only mount; mode bits alone never stop root, so they pass here.
    if not os.access(path, os.W_OK | os.X_OK):
        raise UserDirError(f"EmoTune's {what} folder {path} is read-only; {fix}")
    return path


def user_data_dir() -> Path:
    """Per-user data folder (library cache, neutral calibration); created on first use.

    Raises :class:`UserDirError` (an ``OSError``) with a one-line message when it cannot be made
    or written (``EMOTUNE_HOME`` names a file or a read-only folder).
    """
    home = _home_override()
    path = home / "data" if home else Path(platformdirs.user_data_dir("emotune", appauthor=False))
    return _usable_dir(path, "data")


def user_config_dir() -> Path:
    """Per-user settings folder; created on first use. Raises :class:`UserDirError` like above."""
    home = _home_override()
    path = (
        home / "config" if home else Path(platformdirs.user_config_dir("emotune", appauthor=False))
    )
    return _usable_dir(path, "settings")


def user_cache_dir() -> Path:
    """Per-user cache folder (libVLC's cover art, font caches); NOT created here.

    Libraries create what they need inside it; if it cannot be created they cache nothing.
    """
    home = _home_override()
    return home / "cache" if home else Path(platformdirs.user_cache_dir("emotune", appauthor=False))


def contain_library_caches() -> None:
    """Make libraries (libVLC's cover art, fontconfig, Mesa, Qt) cache inside user_cache_dir()

    They all follow ``XDG_CACHE_HOME``, and libVLC reads it each time it saves a cover, so this
    must run before any of them starts; it is process-wide on purpose. Idempotent.
    """
    cache = str(user_cache_dir())
    os.environ["XDG_CACHE_HOME"] = cache
    os.environ.setdefault("MPLCONFIGDIR", os.path.join(cache, "matplotlib"))
