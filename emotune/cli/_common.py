"""Small helpers shared by the subcommand modules."""

from __future__ import annotations

import sys


def not_built(name: str) -> int:
    """Report that a subcommand is not implemented yet and return a non-zero exit code."""
    print(f"emotune {name}: not built yet in this version.", file=sys.stderr)
    return 2


def fail(message: str, code: int = 1) -> int:
    """Print an error message to stderr and return ``code``."""
    print(f"error: {message}", file=sys.stderr)
    return code
