"""Desktop integration: the launcher entry, icons and AppStream metainfo in the XDG data folders.

The files themselves are bundled in ``assets/desktop/`` and ``assets/icons/hicolor/`` (laid out
as the freedesktop icon theme spec wants them). :func:`install` copies them into the user's
``$XDG_DATA_HOME`` (``~/.local/share``) with ``Exec`` pointing at this install's ``emotune``,
so EmoTune appears in the applications menu; :func:`uninstall` removes exactly those files.
"""

from __future__ import annotations

import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from emotune.paths import ASSETS_DIR

APP_ID = "io.github.emotune.EmoTune"
"""The reverse-DNS application id: desktop file name, icon name, AppStream id and the id the
window gives the desktop (QGuiApplication.setDesktopFileName), so the three are matched."""

DESKTOP_SOURCE = ASSETS_DIR / "desktop" / f"{APP_ID}.desktop"
METAINFO_SOURCE = ASSETS_DIR / "desktop" / f"{APP_ID}.metainfo.xml"
HICOLOR_SOURCE = ASSETS_DIR / "icons" / "hicolor"
ICON_SIZES: tuple[int, ...] = (16, 22, 24, 32, 48, 64, 128, 256)


class DesktopInstallError(RuntimeError):
    """A launcher file is missing from the install or cannot be written or removed."""


@dataclass(frozen=True)
class PlannedFile:
    """One file :func:`install` writes: where from, where to, and its text if it is rewritten."""

    source: Path
    target: Path
    text: str | None = None  # None: copied byte for byte


def app_icon_files() -> list[Path]:
    """The application icon's bundled files, smallest PNG first, then the SVG (for QIcon)."""
    pngs = [HICOLOR_SOURCE / f"{n}x{n}" / "apps" / f"{APP_ID}.png" for n in ICON_SIZES]
    return [*pngs, HICOLOR_SOURCE / "scalable" / "apps" / f"{APP_ID}.svg"]


def xdg_data_home() -> Path:
    """``$XDG_DATA_HOME``, or ``~/.local/share`` when it is unset or not absolute (per the spec)."""
    value = os.environ.get("XDG_DATA_HOME", "")
    return Path(value) if os.path.isabs(value) else Path.home() / ".local" / "share"


def launcher_command() -> list[str]:
    """The command the menu entry runs: this install's ``emotune`` script, absolute.

    The console script next to the running interpreter is the one that belongs to this install
    (a pipx or project venv); without one (e.g. ``python -m emotune`` from a checkout that was
    never installed) the entry runs this interpreter with ``-m emotune``.
    """
    script = Path(sys.executable).parent / "emotune"
    if script.is_file() and os.access(script, os.X_OK):
        return [str(script.absolute())]
    found = shutil.which("emotune")
    if found:
        return [str(Path(found).absolute())]
    return [str(Path(sys.executable).absolute()), "-m", "emotune"]


def _exec_quote(argument: str) -> str:
    """Quote one argument for a desktop entry's Exec key (spec: "The Exec key").

    Inside quotes, ``"``, backquote, ``$`` and ``\\`` get a backslash; then, as in every string
    value of the file, each backslash is doubled once more.
    """
    reserved = set(" \t\n\"'\\><~|&;$*?#()`")
    if argument and not reserved & set(argument):
        return argument
    escaped = "".join("\\" + c if c in '"`$\\' else c for c in argument)
    return '"' + escaped.replace("\\", "\\\\") + '"'


def desktop_entry(command: list[str]) -> str:
    """The bundled desktop entry with ``Exec`` (and ``TryExec``) set to ``command``."""
    lines = []
    for line in DESKTOP_SOURCE.read_text(encoding="utf-8").splitlines():
        if line.startswith("Exec="):
            line = "Exec=" + " ".join(_exec_quote(part) for part in command)
        elif line.startswith("TryExec="):
            # TryExec names one program (no quoting); the entry hides itself once it is gone.
            line = "TryExec=" + command[0].replace("\\", "\\\\")
        lines.append(line)
    return "\n".join(lines) + "\n"


def planned_files(data_home: Path, command: list[str]) -> list[PlannedFile]:
    """Every file :func:`install` writes under ``data_home``, in writing order."""
    entry = PlannedFile(
        DESKTOP_SOURCE, data_home / "applications" / f"{APP_ID}.desktop", desktop_entry(command)
    )
    icons = [
        PlannedFile(path, data_home / "icons" / "hicolor" / path.relative_to(HICOLOR_SOURCE))
        for path in app_icon_files()
    ]
    metainfo = PlannedFile(METAINFO_SOURCE, data_home / "metainfo" / f"{APP_ID}.metainfo.xml")
    # Icons before the entry, so a menu that reloads at once finds its icon.
    return [*icons, metainfo, entry]


def installed_files(data_home: Path | None = None) -> list[Path]:
    """The launcher files :func:`install` writes (whether or not they exist now)."""
    home = data_home or xdg_data_home()
    return [planned.target for planned in planned_files(home, ["emotune"])]


def install(data_home: Path | None = None, command: list[str] | None = None) -> list[Path]:
    """Write the desktop entry, icons and metainfo into ``data_home``; returns the files written.

    Raises :class:`DesktopInstallError` when a bundled file is missing or a target cannot be
    written; files already written stay (running it again completes the install).
    """
    home = data_home or xdg_data_home()
    for source in (DESKTOP_SOURCE, METAINFO_SOURCE, *app_icon_files()):
        if not source.is_file():
            raise DesktopInstallError(f"bundled launcher file missing: {source}")
    plan = planned_files(home, command or launcher_command())
    written: list[Path] = []
    try:
        for planned in plan:
            planned.target.parent.mkdir(parents=True, exist_ok=True)
            temporary = planned.target.with_name(planned.target.name + ".tmp")
            if planned.text is None:
                shutil.copyfile(planned.source, temporary)
            else:
                temporary.write_text(planned.text, encoding="utf-8")
            os.replace(temporary, planned.target)  # a menu never reads a half-written file
            written.append(planned.target)
        # Icon caches notice new icons by the theme folder's modification time.
        os.utime(home / "icons" / "hicolor")
    except OSError as error:
        raise DesktopInstallError(f"cannot write the launcher files in {home}: {error}") from error
    return written


def uninstall(data_home: Path | None = None) -> list[Path]:
    """Remove the files :func:`install` writes from ``data_home``; returns those removed.

    Folders stay, since other applications share them.
    """
    removed: list[Path] = []
    for path in installed_files(data_home):
        try:
            path.unlink()
        except FileNotFoundError:
            continue
        except OSError as error:
            raise DesktopInstallError(f"cannot remove {path}: {error}") from error
        removed.append(path)
    return removed
