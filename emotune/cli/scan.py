"""`emotune scan [DIR ...] [--json] [--analyze]`: list the library as EmoTune sees it.

Prints a table of tracks (title, artist, emotion, where the emotion came from, tempo, mode), the
count per emotion and every skipped file with its reason. A progress bar goes to stderr when it is
a terminal. ``--json`` prints one JSON document for scripts instead.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from pathlib import Path
from typing import TextIO


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the `scan` subcommand."""
    parser = subparsers.add_parser(
        "scan",
        help="scan a music folder: tags, moods, tempo and mode of every track",
        description="Scan music folders (default: the bundled demo library plus the folders in "
        "your settings), read each track's tags and place it on the mood map. Results are "
        "cached, so rescanning an unchanged library is almost instant. Audio files are only "
        "read, never changed.",
    )
    parser.add_argument(
        "folders", nargs="*", metavar="DIR", type=Path, help="folder(s) or file(s) to scan"
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument(
        "--analyze",
        "--analyse",
        action="store_true",
        help="measure tempo, mode and energy of tracks without a mood tag (needs librosa; "
        "about a second per track, cached)",
    )
    parser.add_argument(
        "--rebuild", action="store_true", help="forget the cache and read every file again"
    )
    parser.add_argument(
        "--no-progress", action="store_true", help="no progress bar, even on a terminal"
    )
    return parser


class ProgressBar:
    """A one-line text progress bar, redrawn in place (``\\r``) at most ten times a second."""

    def __init__(self, stream: TextIO, label: str = "Scanning") -> None:
        self.stream = stream
        self.label = label
        self._last = 0.0
        self._drawn = False
        self._files: int | None = None  # the first total: files; a larger one adds analysis

    def __call__(self, done: int, total: int, path: Path) -> None:
        """Progress callback for :func:`emotune.music.library.scanner.scan`."""
        if self._files is None:
            self._files = total
        label = self.label
        if total > self._files:  # the analysis phase: count the analysed tracks on their own
            label, done, total = "Analysing", max(0, done - self._files), total - self._files
        now = time.monotonic()
        if done < total and now - self._last < 0.1:
            return
        self._last = now
        width = shutil.get_terminal_size((80, 20)).columns
        fraction = done / total if total else 1.0
        bar_width = 24
        filled = int(bar_width * fraction)
        name = os.fsencode(path.name).decode("utf-8", "replace")
        head = f"{label} [{'#' * filled}{'.' * (bar_width - filled)}] {done}/{total} "
        room = max(0, width - len(head) - 1)
        line = head + (name if len(name) <= room else name[: max(0, room - 1)] + "~")
        self.stream.write("\r" + line.ljust(width - 1))
        self.stream.flush()
        self._drawn = True

    def finish(self) -> None:
        """Erase the bar so the report starts on a clean line."""
        if self._drawn:
            width = shutil.get_terminal_size((80, 20)).columns
            self.stream.write("\r" + " " * (width - 1) + "\r")
            self.stream.flush()


def print_table(report, stream: TextIO) -> None:
    """The human-readable report: tracks, counts per emotion, skipped files, summary."""
    from emotune.music.library.scanner import display_path

    columns = (
        ("TITLE", 28),
        ("ARTIST", 22),
        ("EMOTION", 9),
        ("SOURCE", 9),
        ("CONF", 4),
        ("TEMPO", 5),
        ("MODE", 5),
        ("FORMAT", 6),
    )
    print("  ".join(name.ljust(width) for name, width in columns).rstrip(), file=stream)
    widths = [width for _, width in columns]
    lines = []  # one write for the whole table: 100k print() calls cost a second
    for track in report.tracks:
        cells = (  # all text: the cell formatting below runs 800,000 times on a 100k library
            track.title or "",
            track.artist or "",
            track.emotion.key,
            track.source,
            f"{track.confidence:.2f}",
            f"{track.tempo:.0f}" if track.tempo else "-",
            track.mode or "-",
            track.format,
        )
        line = "  ".join(
            [
                (c if len(c) <= w else c[: w - 1] + "~").ljust(w)
                for c, w in zip(cells, widths, strict=True)
            ]
        )
        lines.append(line.rstrip())
    if lines:
        stream.write("\n".join(lines) + "\n")
    counts = "  ".join(f"{e.key} {n}" for e, n in report.counts().items())
    print(f"\nPer emotion: {counts}", file=stream)
    if report.skipped:
        print(f"\nSkipped {len(report.skipped)}:", file=stream)
        for path, reason in report.skipped:
            print(f"  {display_path(path)}: {reason}", file=stream)
    if report.analysis_failed:
        print(f"\nCould not analyse {len(report.analysis_failed)}:", file=stream)
        for path, reason in report.analysis_failed:
            print(f"  {display_path(path)}: {reason}", file=stream)
    if report.analysis_unavailable:
        print(f"\nAnalysis unavailable: {report.analysis_unavailable}", file=stream)
    unplaced = sum(1 for t in report.tracks if t.source == "default")
    if unplaced and not report.analysis_unavailable:
        print(
            f"\n{unplaced} track(s) have no mood tag or mood folder: "
            "`emotune scan --analyze` places them by their sound, "
            "`emotune tag FILE --emotion NAME` sets it by hand.",
            file=stream,
        )
    folders = ", ".join(display_path(f) for f in report.folders)
    print(
        f"\n{len(report.tracks)} track(s) in {folders}; {len(report.skipped)} skipped; "
        f"{report.elapsed:.2f} s ({report.from_cache} from cache, {report.analyzed} analysed)",
        file=stream,
    )


def run(args: argparse.Namespace) -> int:
    """Run the subcommand."""
    from emotune.music.library.cache import LibraryCache
    from emotune.music.library.scanner import scan

    progress = None
    if not args.no_progress and sys.stderr.isatty():
        progress = ProgressBar(sys.stderr)
    with LibraryCache() as cache:
        if args.rebuild:
            cache.clear()
        try:
            report = scan(
                args.folders or None, analyze=args.analyze, progress=progress, cache=cache
            )
        finally:
            if progress is not None:
                progress.finish()
    if args.json:
        # ASCII JSON: always valid whatever the terminal encoding, and file names that are not
        # UTF-8 survive as \udcXX escapes that os.fsencode() turns back into the real bytes.
        print(json.dumps(report.to_dict(), indent=2, ensure_ascii=True))
    else:
        print_table(report, sys.stdout)
    # Skipped files are reported, not failures; but a folder named on the command line that
    # does not exist is almost certainly a typo, so scripts get a non-zero exit for it.
    missing = [f for f in args.folders if not os.path.exists(f)]
    for folder in missing:
        print(f"error: {folder}: folder not found", file=sys.stderr)
    return 1 if missing else 0
