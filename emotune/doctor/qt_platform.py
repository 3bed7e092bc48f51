"""Can Qt open a window here?

Checked without importing PySide6 into this process: only emotune/ui may import Qt, and a Qt
platform plugin that fails to load aborts the whole process, so the real test runs in a child.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from emotune.doctor.result import CheckResult

SMOKE_TIMEOUT_S = 20.0
"""Importing PySide6 cold on a busy machine can take several seconds."""

_SMOKE_SCRIPT = (
    "import sys\n"
    "from PySide6.QtGui import QGuiApplication\n"
    "app = QGuiApplication(sys.argv[:1])\n"
    "print(app.platformName())\n"
)

# Libraries Qt's xcb plugin loads that pip's PySide6 wheels do not bundle, and the
# Debian/Ubuntu package that ships each one.
XCB_LIBRARY_PACKAGES: dict[str, str] = {
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-xinerama.so.0": "libxcb-xinerama0",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxcb-sync.so.1": "libxcb-sync1",
    "libxcb-xfixes.so.0": "libxcb-xfixes0",
    "libxcb-shm.so.0": "libxcb-shm0",
    "libxcb-render.so.0": "libxcb-render0",
    "libxcb-util.so.1": "libxcb-util1",
    "libxcb.so.1": "libxcb1",
    "libX11-xcb.so.1": "libx11-xcb1",
    "libX11.so.6": "libx11-6",
    "libEGL.so.1": "libegl1",
    "libGL.so.1": "libgl1",
    "libOpenGL.so.0": "libopengl0",
    "libfontconfig.so.1": "libfontconfig1",
    "libfreetype.so.6": "libfreetype6",
    "libdbus-1.so.3": "libdbus-1-3",
    "libglib-2.0.so.0": "libglib2.0-0",
}

SETUP_HINT = "`make setup` installs all of them."


def pyside6_dir() -> Path | None:
    """The installed PySide6 package folder, found without importing it."""
    # find_spec on a top-level name locates the package without executing its __init__.
    spec = importlib.util.find_spec("PySide6")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def xcb_plugin_path(pyside_dir: Path) -> Path:
    """Where the pip wheel keeps Qt's X11 platform plugin."""
    return pyside_dir / "Qt" / "plugins" / "platforms" / "libqxcb.so"


def parse_ldd_missing(ldd_output: str) -> list[str]:
    """Sonames that ``ldd`` reports as ``not found``, sorted and without repeats."""
    missing = {
        line.split("=>", 1)[0].strip()
        for line in ldd_output.splitlines()
        if "=>" in line and "not found" in line.split("=>", 1)[1]
    }
    return sorted(missing)


def missing_libraries(shared_object: Path) -> list[str]:
    """Libraries ``shared_object`` needs that the dynamic loader cannot find (empty if unknown)."""
    try:
        completed = subprocess.run(
            ["ldd", str(shared_object)], capture_output=True, text=True, timeout=10
        )
    except (OSError, subprocess.TimeoutExpired):
        return []  # no ldd (not glibc): the smoke test below still tells the truth
    return parse_ldd_missing(completed.stdout)


def apt_packages_for(sonames: list[str]) -> list[str]:
    """The Debian/Ubuntu packages that provide ``sonames`` (unknown names are skipped)."""
    return sorted({XCB_LIBRARY_PACKAGES[name] for name in sonames if name in XCB_LIBRARY_PACKAGES})


def chosen_platform(env: Mapping[str, str]) -> tuple[str | None, str]:
    """The Qt platform plugin that will be used, and the reason; (None, why) when none can be."""
    explicit = env.get("QT_QPA_PLATFORM", "").strip()
    if explicit:
        # Qt 6 accepts a fallback list ("wayland;xcb") and plugin options ("xcb:opt=1").
        return explicit.split(";")[0].split(":")[0], "QT_QPA_PLATFORM"
    if not sys.platform.startswith("linux"):
        return "native", "the system's own window platform"
    if env.get("WAYLAND_DISPLAY"):
        return "wayland", "WAYLAND_DISPLAY"
    if env.get("DISPLAY"):
        return "xcb", "DISPLAY"
    return None, "no display: neither DISPLAY nor WAYLAND_DISPLAY is set"


def _install_hint(sonames: list[str]) -> str:
    packages = apt_packages_for(sonames)
    if not packages:
        return f"Install the system packages that provide {', '.join(sonames)}."
    return f"sudo apt-get install --no-install-recommends {' '.join(packages)}  ({SETUP_HINT})"


def _qt_error_line(stderr: str) -> str:
    """The most telling line of Qt's start-up error output."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    for line in lines:
        if "could not" in line.lower():
            return line
    return lines[-1] if lines else "no error output"


def run_smoke_test(env: Mapping[str, str], timeout: float = SMOKE_TIMEOUT_S) -> tuple[bool, str]:
    """Start a QGuiApplication in a child process; return (ok, platform name or error)."""
    try:
        completed = subprocess.run(
            [sys.executable, "-c", _SMOKE_SCRIPT],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=dict(env),
        )
    except subprocess.TimeoutExpired:
        return False, f"Qt did not start within {timeout:g} s"
    except OSError as error:
        return False, f"could not start Python: {error}"
    if completed.returncode != 0:
        return False, _qt_error_line(completed.stderr)
    return True, completed.stdout.strip() or "unknown"


def check_qt_platform(env: Mapping[str, str] | None = None) -> CheckResult:
    """Work out which Qt platform will be used and prove a QGuiApplication starts on it."""
    env = dict(os.environ if env is None else env)
    title = "Qt display"
    pyside_dir = pyside6_dir()
    if pyside_dir is None:
        return CheckResult("qt", title, False, "PySide6 is not installed", hint="Run `make setup`.")

    missing_for_xcb: list[str] = []
    plugin = xcb_plugin_path(pyside_dir)
    if sys.platform.startswith("linux") and plugin.exists():
        missing_for_xcb = missing_libraries(plugin)

    platform, reason = chosen_platform(env)
    if platform is None:
        hint = (
            "Run EmoTune inside a desktop session, or give it a virtual screen with "
            "`xvfb-run -a emotune`; QT_QPA_PLATFORM=offscreen runs it without showing anything."
        )
        if missing_for_xcb:
            hint += f" X11 would also need: {_install_hint(missing_for_xcb)}"
        return CheckResult("qt", title, False, reason, hint=hint)

    if platform == "xcb" and missing_for_xcb:
        return CheckResult(
            "qt",
            title,
            False,
            f"the X11 (xcb) plugin cannot load; missing {', '.join(missing_for_xcb)}",
            hint=_install_hint(missing_for_xcb),
        )

    ok, outcome = run_smoke_test(env)
    if not ok:
        hint = f"Qt could not start on the '{platform}' platform (chosen by {reason})."
        if "connect to display" in outcome:
            hint += " Check that the display server is running and DISPLAY points at it."
        if platform == "wayland":
            hint += " Try QT_QPA_PLATFORM=xcb."
        return CheckResult("qt", title, False, outcome, hint=hint)

    detail = f"'{outcome}' platform starts (chosen by {reason})"
    if outcome in ("offscreen", "minimal"):
        detail += "; no window will be shown"
    if missing_for_xcb and platform != "xcb":
        detail += f"; note: X11 would need {', '.join(missing_for_xcb)}"
    return CheckResult("qt", title, True, detail)
