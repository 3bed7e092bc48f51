"""Small helpers shared by the subcommand modules."""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Callable
from typing import Any, TextIO


def fail(message: str, code: int = 1) -> int:
    """Print an error message to stderr and return ``code``."""
    print(f"error: {message}", file=sys.stderr)
    return code


def print_json(data: Any, stream: TextIO | None = None) -> None:
    """Print ``data`` as indented JSON, keeping non-ASCII text (emoji, accents) readable."""
    print(json.dumps(data, indent=2, ensure_ascii=False, default=str), file=stream or sys.stdout)


def can_print(text: str, stream: TextIO | None = None) -> bool:
    """Whether ``stream`` (stdout by default) can encode ``text``, e.g. ✓ on a legacy Windows console."""
    encoding = getattr(stream or sys.stdout, "encoding", None) or "ascii"
    try:
        text.encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return False
    return True


# -- argparse types for numeric options ------------------------------------------------------
# argparse prints the ArgumentTypeError's message as "argument --x: MESSAGE" and exits 2.


def whole_number(low: int, high: int | None = None) -> Callable[[str], int]:
    """An argparse ``type`` for a whole number in ``[low, high]`` (no upper bound if ``None``)."""
    wanted = (
        f"a whole number from {low} to {high}" if high is not None else f"a whole number >= {low}"
    )

    def parse(text: str) -> int:
        try:
            value = int(text.strip(), 10)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {wanted}, got {text!r}") from None
        if value < low or (high is not None and value > high):
            raise argparse.ArgumentTypeError(f"expected {wanted}, got {text!r}")
        return value

    parse.__name__ = "whole number"
    return parse


def real_number(
    low: float, high: float | None = None, *, low_inclusive: bool = True
) -> Callable[[str], float]:
    """An argparse ``type`` for a finite number above ``low`` (NaN and infinities refused)."""
    above = f">= {low:g}" if low_inclusive else f"> {low:g}"
    wanted = f"a finite number {above}" + (f" and <= {high:g}" if high is not None else "")

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {wanted}, got {text!r}") from None
        too_low = value < low if low_inclusive else value <= low
        if not math.isfinite(value) or too_low or (high is not None and value > high):
            raise argparse.ArgumentTypeError(f"expected {wanted}, got {text!r}")
        return value

    parse.__name__ = "number"
    return parse


positive_int = whole_number(1)
"""1, 2, 3, ... (counts of frames, epochs, tracks)."""
non_negative_int = whole_number(0)
"""0, 1, 2, ... (CPU core numbers, optional extras)."""
seed_int = whole_number(0, 2**32 - 1)
"""A random seed NumPy accepts too."""
positive_float = real_number(0.0, low_inclusive=False)
"""A finite number > 0 (learning rates, time budgets)."""
non_negative_float = real_number(0.0)
"""A finite number >= 0 (seconds)."""
fraction = real_number(0.0, 1.0)
"""A finite number from 0 to 1 (weights, shares)."""
hold_seconds = real_number(0.0, 60.0)
"""How long the shown mood must hold before the music follows (the settings schema's range)."""
