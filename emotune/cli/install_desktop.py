"""`emotune install-desktop`: put EmoTune in the applications menu (desktop entry, icon,
AppStream metainfo in the user's XDG data folders)."""

from __future__ import annotations

import argparse
import sys

from emotune.cli._common import fail


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the `install-desktop` subcommand."""
    return subparsers.add_parser(
        "install-desktop",
        help="add EmoTune to the applications menu (this user only)",
        description="Install EmoTune's desktop entry, icon and AppStream metainfo into "
        "$XDG_DATA_HOME (default ~/.local/share) for this user, with the entry starting this "
        "install's emotune. Run it again after moving or reinstalling EmoTune; "
        "`emotune uninstall-desktop` removes them.",
    )


def run(args: argparse.Namespace) -> int:
    """Write the launcher files; 0 on success, 1 with a one-line message otherwise."""
    if not sys.platform.startswith(("linux", "freebsd", "openbsd", "netbsd")):
        return fail("install-desktop is for freedesktop (Linux/BSD) desktops")
    from emotune.desktop import DesktopInstallError, desktop_entry, install, launcher_command

    command = launcher_command()
    try:
        written = install(command=command)
    except DesktopInstallError as error:
        return fail(str(error))
    for path in written:
        print(f"installed {path}")
    exec_line = next(
        line for line in desktop_entry(command).splitlines() if line.startswith("Exec=")
    )
    print(f"EmoTune is in the applications menu ({exec_line}).")
    return 0
