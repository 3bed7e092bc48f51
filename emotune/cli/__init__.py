"""The ``emotune`` command line.

Each subcommand lives in its own module under ``emotune.cli`` (``install-desktop`` in
``install_desktop``) exposing ``register(subparsers)`` and ``run(args) -> int``. Modules import
their heavy dependencies inside ``run`` so that ``emotune --help`` stays fast and pulls in
neither Qt nor TensorFlow.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys

from emotune import __version__
from emotune.paths import contain_library_caches

# Order here is the order shown in --help.
COMMANDS: tuple[str, ...] = (
    "gui",
    "detect",
    "scan",
    "tag",
    "play",
    "train",
    "evaluate",
    "bench",
    "doctor",
    "install-desktop",
    "uninstall-desktop",
)


def version_text() -> str:
    """``emotune X (model Y)``: the app version and the shipped model's (its sidecar "version")."""
    from emotune.paths import DEFAULT_MODEL

    sidecar = DEFAULT_MODEL.with_suffix(".json")
    if not DEFAULT_MODEL.is_file():
        model = f"model missing: {DEFAULT_MODEL}"
    else:
        try:
            model = f"model {json.loads(sidecar.read_text(encoding='utf-8'))['version']}"
        except (OSError, ValueError, KeyError, TypeError) as error:
            model = f"model version unreadable from {sidecar}: {error!r}"
    return f"emotune {__version__} ({model})"


def build_parser() -> argparse.ArgumentParser:
    """Build the top-level parser with every subcommand registered."""
    parser = argparse.ArgumentParser(
        prog="emotune",
        description="Reads your mood from the webcam and plays music from your own library to fit it. "
        "Runs fully offline; camera frames never leave the process.",
    )
    parser.add_argument("--version", action="version", version=version_text())
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        module = importlib.import_module(f"emotune.cli.{name.replace('-', '_')}")
        sub = module.register(subparsers)
        sub.set_defaults(_run=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point for the ``emotune`` console script; returns the process exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    # `emotune` alone, or `emotune --camera X`, means the GUI.
    if not argv or (argv[0].startswith("-") and argv[0] not in ("-h", "--help", "--version")):
        argv = ["gui", *argv]
    args = parser.parse_args(argv)
    # Before any library starts: their caches (libVLC's cover art, fonts) go in EmoTune's folder.
    contain_library_caches()
    try:
        return int(args._run(args) or 0)
    except KeyboardInterrupt:
        return 130
