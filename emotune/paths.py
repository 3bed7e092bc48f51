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


def user_data_dir() -> Path:
    """Per-user data folder (library cache, neutral calibration); created on first use."""
    home = _home_override()
    path = home / "data" if home else Path(platformdirs.user_data_dir("emotune", appauthor=False))
    path.mkdir(parents=True, exist_ok=True)
    return path


def user_config_dir() -> Path:
    """Per-user settings folder; created on first use."""
    home = _home_override()
    path = home / "config" if home else Path(platformdirs.user_config_dir("emotune", appauthor=False))
    path.mkdir(parents=True, exist_ok=True)
    return path
