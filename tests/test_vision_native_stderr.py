"""LiteRT's start-up chatter stays out of the terminal; everything else on stderr still gets there."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from emotune.paths import DEFAULT_MODEL


def _stderr_of(code: str) -> str:
    """Run ``code`` in a fresh interpreter (a real file descriptor 2) and return its stderr."""
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return result.stderr


def test_the_filter_drops_only_the_named_lines_and_keeps_their_order():
    err = _stderr_of(
        """
        import os, sys
        from emotune.vision.native_stderr import native_stderr_without
        print("before", file=sys.stderr)
        with native_stderr_without(("INFO: noise",)):
            os.write(2, b"INFO: noise from C++\\nWARNING: keep me\\n")
            print("python line", file=sys.stderr)
        os.write(2, b"INFO: noise outside the block stays\\n")
        """
    )
    assert err.splitlines() == [
        "before",
        "WARNING: keep me",
        "python line",
        "INFO: noise outside the block stays",
    ]


def test_captures_from_several_threads_leave_stderr_pointing_at_the_terminal():
    err = _stderr_of(
        """
        import os, threading, time
        from emotune.vision.native_stderr import native_stderr_without
        def chatter(n):
            with native_stderr_without(("INFO:",)):
                os.write(2, f"INFO: {n}\\n".encode())
                time.sleep(0.01)
        threads = [threading.Thread(target=chatter, args=(n,)) for n in range(8)]
        for thread in threads: thread.start()
        for thread in threads: thread.join()
        os.write(2, b"after the threads\\n")
        """
    )
    assert err == "after the threads\n"


def test_loading_the_shipped_model_prints_nothing_on_stderr():
    assert DEFAULT_MODEL.is_file()
    err = _stderr_of(
        """
        import numpy as np
        from emotune.vision.classifier import EmotionClassifier
        classifier = EmotionClassifier.load()
        classifier.predict(np.zeros((3, 48, 48), np.uint8))
        """
    )
    assert "XNNPACK" not in err
    assert err == ""
