"""The PySide6 desktop app. The only package in EmoTune that imports Qt.

Import :func:`run` lazily (``emotune.cli.gui`` does) so the rest of the command line never pays
Qt's import time.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from emotune.ui import qt_compat

# Before any widget is drawn: PySide6 6.12 on CPython 3.11 leaks references to None/True.
qt_compat.apply()

if TYPE_CHECKING:
    from emotune.ui.options import GuiOptions


def run(options: GuiOptions) -> int:
    """Start the desktop app with ``options`` and return the process exit code."""
    from emotune.ui.app import run_app

    return run_app(options)
