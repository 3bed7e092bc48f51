"""`emotune uninstall-desktop`: remove what `emotune install-desktop` put in the XDG folders."""

from __future__ import annotations

import argparse

from emotune.cli._common import fail


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the `uninstall-desktop` subcommand."""
    return subparsers.add_parser(
        "uninstall-desktop",
        help="remove EmoTune from the applications menu",
        description="Remove the desktop entry, icons and metainfo that `emotune install-desktop` "
        "wrote into $XDG_DATA_HOME (default ~/.local/share). Nothing else is touched.",
    )


def run(args: argparse.Namespace) -> int:
    """Remove the launcher files; 0 on success (also when there was nothing to remove)."""
    from emotune.desktop import DesktopInstallError, uninstall, xdg_data_home

    try:
        removed = uninstall()
    except DesktopInstallError as error:
        return fail(str(error))
    for path in removed:
        print(f"removed {path}")
    if not removed:
        print(f"nothing to remove: EmoTune's launcher files are not in {xdg_data_home()}")
    return 0
