"""Where EmoTune finds its bundled files and keeps the user's data.

Bundled files (the emotion model, the demo library, icons and launcher data) sit at the top of
the source tree in ``models/``, ``music_library/`` and ``assets/``. The wheel carries the same
files inside the package as ``emotune/_data/...`` (mapped in pyproject.toml), so an installed
EmoTune needs no checkout. :data:`RESOURCE_ROOT` is whichever of the two this copy runs from,
and every bundled path below hangs off it, so the app works from any working directory.

Set ``EMOTUNE_HOME`` to put all user data (settings, caches, calibration) under one folder;
tests use this to stay out of the real home directory.
"""

from __future__ import annotations

import enum
import os
import sys
from importlib import resources
from pathlib import Path

import platformdirs


def _package_dir() -> Path:
    """The installed ``emotune`` package folder, as the import system found it."""
    found = resources.files("emotune")
    # A zip import gives no real folder, but VLC and the model runtime need real files.
    return Path(found).resolve() if isinstance(found, Path) else Path(__file__).resolve().parent


PACKAGE_DIR = _package_dir()
BUNDLED_DATA_DIR = PACKAGE_DIR / "_data"
"""Where a wheel install keeps ``models/``, ``assets/`` and ``music_library/``."""

PROJECT_ROOT = PACKAGE_DIR.parent
"""The source tree (checkout or unpacked sdist) around the package; in a wheel install, the
site-packages folder. Bundled files are under :data:`RESOURCE_ROOT`, not here."""

RESOURCE_ROOT = BUNDLED_DATA_DIR if BUNDLED_DATA_DIR.is_dir() else PROJECT_ROOT
"""The folder that holds ``models/``, ``assets/`` and ``music_library/`` for this install."""

MODELS_DIR = RESOURCE_ROOT / "models"
ASSETS_DIR = RESOURCE_ROOT / "assets"
DEMO_LIBRARY_DIR = RESOURCE_ROOT / "music_library"
DEFAULT_MODEL = MODELS_DIR / "emotion.tflite"


class InstallKind(enum.Enum):
    """How this copy of EmoTune got onto the machine; decides which repair advice fits."""

    CHECKOUT = "checkout"  # a git work tree (run in place or installed editable)
    SOURCE = "source"  # a source tree without git, e.g. an unpacked sdist
    WHEEL = "wheel"  # an installed wheel (pip, pipx): bundled files under emotune/_data


def install_kind() -> InstallKind:
    """Which kind of install this process runs from."""
    if RESOURCE_ROOT == BUNDLED_DATA_DIR:
        return InstallKind.WHEEL
    if (PROJECT_ROOT / ".git").exists():  # a file, not a folder, in a git worktree
        return InstallKind.CHECKOUT
    return InstallKind.SOURCE


def reinstall_command() -> str:
    """The command (in backticks) that puts a complete EmoTune back, for this install."""
    kind = install_kind()
    if kind is InstallKind.CHECKOUT:
        return "`git pull`, then `make setup`"
    # pipx keeps its bookkeeping file in the root of every venv it makes.
    if kind is InstallKind.WHEEL and (Path(sys.prefix) / "pipx_metadata.json").is_file():
        return "`pipx reinstall emotune`"
    return "`pip install --force-reinstall` with the EmoTune wheel or folder you installed from"


def missing_model_fix(model_path: Path | str | None = None) -> str:
    """One sentence on how to get a missing emotion model back, in this install's terms.

    ``model_path`` is the file that was asked for (default: the shipped model); a path the
    user chose gets advice about that path instead of a reinstall.
    """
    if model_path is not None and Path(model_path).resolve() != DEFAULT_MODEL.resolve():
        return (
            "Check the path given with --model (or export a model there with "
            "`emotune train --export-from RUN_DIR/best.keras`), or leave --model out to use the "
            "shipped model."
        )
    kind = install_kind()
    if kind is InstallKind.WHEEL:
        return f"Reinstall EmoTune ({reinstall_command()}), or pass --model PATH."
    if kind is InstallKind.CHECKOUT:
        return (
            "Restore it with `git checkout -- models/emotion.tflite models/emotion.json`, "
            "or pass --model PATH (or train and export one: README, Training)."
        )
    return (
        "Restore models/ from the EmoTune source you installed from (the sdist or a git "
        "clone), or pass --model PATH."
    )


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
