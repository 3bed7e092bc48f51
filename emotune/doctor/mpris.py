"""Can EmoTune offer MPRIS2 (desktop media controls, ``playerctl``)? It needs a D-Bus session bus."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

from emotune.doctor.result import CheckResult

_TITLE = "Media keys"


def session_bus_address(environ: dict[str, str] | None = None) -> tuple[str | None, str]:
    """The session bus address libdbus would use, and what was found (for the report)."""
    env = os.environ if environ is None else environ
    address = env.get("DBUS_SESSION_BUS_ADDRESS", "")
    if address:
        for part in address.split(";")[0].split(","):
            if part.startswith("unix:path="):
                path = part.removeprefix("unix:path=")
                if not Path(path).exists():
                    return None, f"DBUS_SESSION_BUS_ADDRESS points to {path}, which does not exist"
        return address, f"session bus at {address.split(',')[0]}"
    runtime = env.get("XDG_RUNTIME_DIR", "")
    if runtime and Path(runtime, "bus").exists():  # libdbus's default when the variable is unset
        return f"unix:path={Path(runtime, 'bus')}", f"session bus at {Path(runtime, 'bus')}"
    return None, "no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS unset, no $XDG_RUNTIME_DIR/bus)"


def _has_qtdbus() -> bool:
    """Whether PySide6 ships QtDBus, found without importing PySide6 (the doctor stays Qt-free)."""
    spec = importlib.util.find_spec("PySide6")
    folders = spec.submodule_search_locations if spec is not None else None
    return bool(folders) and any(any(Path(folder).glob("QtDBus.*")) for folder in folders)


def check_mpris(environ: dict[str, str] | None = None) -> CheckResult:
    """Warn (never fail) when MPRIS will be off: not Linux, no QtDBus, or no session bus."""
    if not sys.platform.startswith("linux"):
        return CheckResult(
            "mpris",
            _TITLE,
            False,
            "MPRIS off: it is a Linux desktop interface",
            hint="Nothing to do: use the window's controls and keys.",
            essential=False,
        )
    if not _has_qtdbus():
        return CheckResult(
            "mpris",
            _TITLE,
            False,
            "MPRIS off: PySide6's QtDBus module is missing",
            hint="Reinstall PySide6 (pip install PySide6-Essentials).",
            essential=False,
        )
    address, detail = session_bus_address(environ)
    if address is None:
        return CheckResult(
            "mpris",
            _TITLE,
            False,
            f"MPRIS off: {detail}",
            hint="Run EmoTune inside a desktop session (or under dbus-run-session) for media keys "
            "and playerctl; everything else works without it.",
            essential=False,
        )
    return CheckResult("mpris", _TITLE, True, f"MPRIS on: {detail}", essential=False)
