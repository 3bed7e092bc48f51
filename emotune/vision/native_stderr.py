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
STDERR_FD = 2


@contextmanager
def _capture_fd() -> Iterator[int]:
    """A descriptor of an anonymous in-memory file where the system has one (Linux memfd: nothing
    is opened on any file system, so a capture during inference touches no disk), else of a
    temporary file."""
    if hasattr(os, "memfd_create"):
        try:
            fd = os.memfd_create("emotune-stderr", os.MFD_CLOEXEC)
        except OSError:
            fd = -1
        if fd >= 0:
            try:
                yield fd
            finally:
                os.close(fd)
            return
    with tempfile.TemporaryFile() as capture:
        yield capture.fileno()


def _read_all(fd: int) -> bytes:
    os.lseek(fd, 0, os.SEEK_SET)
    chunks = []
    while chunk := os.read(fd, 65536):
        chunks.append(chunk)
    return b"".join(chunks)


@contextmanager
def native_stderr_without(noise: tuple[str, ...]) -> Iterator[None]:
    """Run the block with file descriptor 2 captured, then write back every line that does not
    start with one of ``noise``, so warnings and errors still reach the terminal.

    Native code writes to descriptor 2 whatever ``sys.stderr`` is, so that is the one captured.
    Where the process has no descriptor 2 (a detached GUI launch) the block runs unchanged.
    """
    try:
        os.fstat(STDERR_FD)
    except OSError:
        yield
        return
    # A file rather than a pipe: a pipe's buffer could fill and block the native writer.
    with _CAPTURE_LOCK, _capture_fd() as capture:
        sys.stderr.flush()
        saved = os.dup(STDERR_FD)
        os.dup2(capture, STDERR_FD)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, STDERR_FD)
            os.close(saved)
            prefixes = tuple(
                prefix.encode("utf-8") for prefix in noise
            )  # the descriptor carries bytes
            kept = b"".join(
                line
                for line in _read_all(capture).splitlines(keepends=True)
                if not line.startswith(prefixes)
            )
            while kept:  # os.write may take only part of a large buffer
                kept = kept[os.write(STDERR_FD, kept) :]
