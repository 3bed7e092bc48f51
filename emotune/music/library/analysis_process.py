"""Analyse a library's untagged tracks in a child process, so the caller stays responsive.

librosa's kernels (numba, FFTs) hold the interpreter lock for long stretches: run in the window's
own process they starve the GUI thread (timer gaps of 200+ ms were measured). The child does the
analysis and stores it in the library cache; the caller then scans without ``analyze`` and the
cached results place the tracks. Progress crosses as ``done total`` lines on the child's stdout.

Run as ``python -m emotune.music.library.analysis_process [FOLDER ...]`` (no folder: the default
library folders).
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

ProgressLine = Callable[[int, int], None]


def analyse_in_child(
    folders: Sequence[Path] | None,
    progress: ProgressLine,
    cancelled: threading.Event,
) -> int:
    """Run the analysis child to completion (or until ``cancelled``); returns its exit code.

    ``progress(done, total)`` is called from the calling thread for each line the child prints.
    """
    command = [sys.executable, "-m", __name__, *(str(folder) for folder in folders or ())]
    child = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
        text=True,
    )
    assert child.stdout is not None

    def stop_on_cancel() -> None:
        # The child may print nothing for a while (compiling): watch for a cancel separately,
        # so closing the window never leaves an analysis running behind it.
        while child.poll() is None:
            if cancelled.wait(0.2):
                child.terminate()
                return

    threading.Thread(target=stop_on_cancel, name="emotune-analysis-watch", daemon=True).start()
    for line in child.stdout:
        parts = line.split()
        if not cancelled.is_set() and len(parts) == 2 and all(p.isdigit() for p in parts):
            progress(int(parts[0]), int(parts[1]))
    return child.wait()


def main(argv: Sequence[str]) -> int:
    """The child: analyse, caching results, printing ``done total`` lines."""
    with contextlib.suppress(OSError, AttributeError):
        os.nice(10)  # the window and the camera come first
    from emotune.music.library.scanner import scan

    folders = [Path(arg) for arg in argv] or None

    def report(done: int, total: int, path: Path) -> None:
        print(done, total, flush=True)

    scan(folders, analyze=True, progress=report)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
