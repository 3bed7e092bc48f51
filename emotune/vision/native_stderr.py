"""Keep known start-up chatter of native libraries out of the user's terminal.

LiteRT's C++ core prints ``INFO: Created TensorFlow Lite XNNPACK delegate for CPU.`` straight to
file descriptor 2 each time an interpreter is built, and offers no Python switch to silence it.
Python's ``sys.stderr`` never sees the line, so the only place to drop it is the descriptor itself.
"""

from __future__ import annotations

import os
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager

LITERT_NOISE = ("INFO: Created TensorFlow Lite XNNPACK delegate for CPU.",)
"""Lines LiteRT prints on every interpreter start that say nothing a user needs."""

# Descriptor 2 belongs to the whole process: two overlapping captures would restore each other's
# temporary file as stderr, so they take turns.
_CAPTURE_LOCK = threading.Lock()


@contextmanager
def native_stderr_without(noise: tuple[str, ...]) -> Iterator[None]:
    """Run the block with file descriptor 2 captured, then write back every line that does not
    start with one of ``noise``, so warnings and errors still reach the terminal.

    Where stderr has no real descriptor (some test runners, embedded interpreters) the block runs
    unchanged.
    """
    try:
        descriptor = sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):
        yield
        return
    sys.stderr.flush()
    # A file rather than a pipe: a pipe's buffer could fill and block the native writer.
    with _CAPTURE_LOCK, tempfile.TemporaryFile() as capture:
        saved = os.dup(descriptor)
        os.dup2(capture.fileno(), descriptor)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, descriptor)
            os.close(saved)
            capture.seek(0)
            text = capture.read().decode("utf-8", "replace")
            kept = "".join(line for line in text.splitlines(keepends=True) if not line.startswith(noise))
            if kept:
                sys.stderr.write(kept)
                sys.stderr.flush()
