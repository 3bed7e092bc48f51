"""Where the music is and how many tracks it holds.

Uses the music scanner's own folder list and file discovery, so the count is the one the app
will see; falls back to counting by file extension when the scanner is not importable.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path

from emotune.doctor.result import CheckResult
from emotune.paths import DEMO_LIBRARY_DIR, InstallKind, install_kind, reinstall_command

FALLBACK_AUDIO_EXTENSIONS = frozenset({".mp3", ".flac", ".ogg", ".opus", ".m4a", ".wav"})
"""File types EmoTune plays, for when the scanner's own table cannot be imported."""


def _scanner_discover() -> Callable[..., list] | None:
    """The scanner's ``discover(roots, skipped)``, or None when it cannot be imported."""
    try:
        from emotune.music.library.scanner import discover
    except ImportError:
        return None
    return discover


def configured_folders() -> list[Path]:
    """The demo library plus the folders the user added (settings ``library_folders``)."""
    try:
        from emotune.music.library.scanner import default_folders
    except ImportError:
        pass
    else:
        return default_folders()

    from emotune.settings import Setting, Settings

    folders = [DEMO_LIBRARY_DIR]
    for entry in Settings().get(Setting.LIBRARY_FOLDERS):
        folder = Path(str(entry)).expanduser()
        if folder not in folders:
            folders.append(folder)
    return folders


def count_audio_files(folder: Path) -> int:
    """Audio files anywhere under ``folder``, as the scanner finds them; 0 if it does not exist."""
    discover = _scanner_discover()
    if discover is not None:
        return len(discover([folder], []))
    total = 0
    for _root, _dirs, files in os.walk(folder):
        total += sum(
            1 for name in files if os.path.splitext(name)[1].lower() in FALLBACK_AUDIO_EXTENSIONS
        )
    return total


def check_library(folders: Iterable[Path] | None = None) -> CheckResult:
    """Count the tracks in each library folder; fail only when there is no music at all."""
    folders = list(configured_folders() if folders is None else folders)
    parts: list[str] = []
    total = 0
    for folder in folders:
        if not folder.is_dir():
            parts.append(f"{folder} (missing)")
            continue
        count = count_audio_files(folder)
        total += count
        parts.append(f"{folder} ({count})")
    detail = f"{total} track{'s' if total != 1 else ''}: {', '.join(parts)}"
    if total:
        return CheckResult("library", "Music library", True, detail)
    return CheckResult(
        "library",
        "Music library",
        False,
        detail,
        hint=_empty_library_fix(),
    )


def _empty_library_fix() -> str:
    """Where to put music: music_library/ in a source tree, never inside an installed package."""
    if install_kind() is InstallKind.WHEEL:
        return (
            "Choose your music folder in the app (Library ▸ Choose music folder…) or start it "
            f"with `emotune --library DIR`; the demo library should be in {DEMO_LIBRARY_DIR}: "
            f"if it is missing, reinstall EmoTune ({reinstall_command()})."
        )
    return (
        "Put MP3, FLAC, OGG, Opus, M4A or WAV files in music_library/, or add your music "
        "folder in the app."
    )
