"""Is this Python new enough?"""

from __future__ import annotations

import platform
import sys

from emotune.doctor.result import CheckResult

MINIMUM_PYTHON = (3, 10)


def check_python(version: tuple[int, ...] | None = None) -> CheckResult:
    """Pass when the running interpreter (or ``version``, for tests) is at least 3.10."""
    version = tuple(sys.version_info[:3]) if version is None else version
    text = ".".join(str(part) for part in version[:3])
    ok = version[:2] >= MINIMUM_PYTHON
    wanted = ".".join(str(part) for part in MINIMUM_PYTHON)
    return CheckResult(
        "python",
        "Python",
        ok,
        f"{text} ({platform.python_implementation()}, {sys.executable})",
        hint=""
        if ok
        else f"EmoTune needs Python {wanted} or newer: `make clean setup PYTHON=python3.11`.",
    )
