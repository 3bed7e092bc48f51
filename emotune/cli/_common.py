"""Small helpers shared by the subcommand modules."""

from __future__ import annotations

import json
import sys
from typing import Any, TextIO


def not_built(name: str) -> int:
    """Report that a subcommand is not implemented yet and return a non-zero exit code."""
    print(f"emotune {name}: not built yet in this version.", file=sys.stderr)
    return 2


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
