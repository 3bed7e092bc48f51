"""`emotune train` (not built yet)."""

from __future__ import annotations

import argparse

from emotune.cli._common import not_built


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the `train` subcommand."""
    return subparsers.add_parser("train", help="(not built yet)")


def run(args: argparse.Namespace) -> int:
    """Run the subcommand."""
    return not_built("train")
