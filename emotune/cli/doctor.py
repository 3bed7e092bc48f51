"""`emotune doctor`: check the camera, audio, model, music library and display, with fixes."""

from __future__ import annotations

import argparse
import shutil
import textwrap
from collections.abc import Sequence
from typing import TYPE_CHECKING

from emotune.cli._common import can_print, print_json

if TYPE_CHECKING:
    from emotune.doctor import CheckResult

_TITLE_WIDTH = 14


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the `doctor` subcommand."""
    parser = subparsers.add_parser(
        "doctor",
        help="check camera, audio, model, music library and display, with fixes",
        description="Checks everything EmoTune needs and says how to fix what is missing. "
        "Exits 0 when the app can run (a missing camera is only a warning), else 1.",
    )
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    return parser


def format_report(results: Sequence[CheckResult], unicode_marks: bool = True) -> str:
    """The human-readable report: one line per check, a fix hint under each failure."""
    from emotune.doctor import essential_failures

    good, bad = ("✓", "✗") if unicode_marks else ("OK", "X ")
    width = max(60, min(shutil.get_terminal_size((100, 24)).columns, 120))
    indent = " " * (len(good) + 1 + _TITLE_WIDTH)
    lines = ["EmoTune doctor", ""]
    for result in results:
        mark = good if result.ok else bad
        suffix = " (optional)" if not result.essential and not result.ok else ""
        lines.append(f"{mark} {result.title:<{_TITLE_WIDTH}}{result.detail}{suffix}")
        if result.hint and not result.ok:
            lines.extend(
                textwrap.wrap(
                    f"fix: {result.hint}",
                    width=width,
                    initial_indent=indent,
                    subsequent_indent=indent + "     ",
                    break_on_hyphens=False,  # keep commands like `xvfb-run` whole
                    break_long_words=False,
                )
            )
    failures = essential_failures(results)
    warnings = [r for r in results if not r.ok and not r.essential]
    lines.append("")
    if failures:
        names = ", ".join(r.title for r in failures)
        lines.append(f"{len(failures)} essential check(s) failed: {names}.")
    else:
        lines.append("EmoTune can run" + (" (with warnings)." if warnings else "."))
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    """Run every check, print the report (or JSON) and return 0 when nothing essential failed."""
    from emotune.doctor import essential_failures, run_checks

    results = run_checks()
    ok = not essential_failures(results)
    if args.json:
        print_json({"ok": ok, "checks": [result.to_dict() for result in results]})
    else:
        print(format_report(results, unicode_marks=can_print("✓✗")))
    return 0 if ok else 1
