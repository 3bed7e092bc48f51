"""`emotune tag FILE... --emotion NAME | --clear`: write or remove the mood tag.

The only command that modifies audio files. Each write is atomic (tag a temporary copy in the same
folder, fsync, rename over the original); other tags and the audio data stay as they were. With
neither option it shows the current tags. Exits non-zero if any file failed; failed files are
left untouched.

Because the file is replaced, read-only files (checked on the mode bits, so also for root) and
files with other hard links (which would keep the old tags) are refused unless
``--force-readonly`` / ``--break-links`` is given. Temporary copies left by a killed write are
removed on the next write in that folder.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from emotune.emotions import CLASS_NAMES


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the `tag` subcommand."""
    parser = subparsers.add_parser(
        "tag",
        help="write (or clear) the mood tag of audio files",
        description="Write the mood tag (ID3 TMOO / TXXX:MOOD, Vorbis MOOD, MP4 "
        "----:com.apple.iTunes:MOOD) of audio files. Without --emotion or --clear, show the "
        "current tags.",
    )
    parser.add_argument("files", nargs="+", metavar="FILE", type=Path, help="audio file(s)")
    action = parser.add_mutually_exclusive_group()
    action.add_argument("--emotion", "-e", metavar="NAME", help=f"one of: {', '.join(CLASS_NAMES)}")
    action.add_argument("--clear", action="store_true", help="remove the mood tag")
    parser.add_argument(
        "--force-readonly",
        action="store_true",
        help="also tag read-only files (the new file keeps the read-only mode)",
    )
    parser.add_argument(
        "--break-links",
        action="store_true",
        help="also tag files with other hard links; the file is replaced, so the other links "
        "keep the old tags",
    )
    return parser


def _show(path: Path) -> str:
    """The path as printable text (undecodable bytes become U+FFFD)."""
    return os.fsencode(path).decode("utf-8", "replace")


def _reason(exc: Exception) -> str:
    """A short user-facing reason, without Python's ``[Errno N]`` noise."""
    if isinstance(exc, PermissionError):
        return "permission denied"
    if isinstance(exc, OSError):
        return exc.strerror or (str(exc.args[0]) if exc.args else type(exc).__name__)
    return str(exc)


def run(args: argparse.Namespace) -> int:
    """Run the subcommand."""
    from emotune.cli._common import fail
    from emotune.emotions import Emotion
    from emotune.music.library.tags import (
        HardLinkedFile,
        ReadOnlyFile,
        TagError,
        read_tags,
        write_mood,
    )

    emotion: Emotion | None = None
    if args.emotion is not None:
        try:
            emotion = Emotion.parse(args.emotion)
        except ValueError as exc:
            return fail(str(exc), 2)
    writing = args.emotion is not None or args.clear

    failures = 0
    for path in args.files:
        shown = _show(path)
        try:
            if not path.exists():
                raise FileNotFoundError("file not found")
            if not path.is_file():
                raise IsADirectoryError("not a file")
            if writing:
                info = write_mood(
                    path,
                    emotion,
                    allow_readonly=args.force_readonly,
                    allow_hardlinks=args.break_links,
                )
                if emotion is None:
                    print(f"{shown}: mood cleared ({info.mood_field})")
                else:
                    print(f"{shown}: mood = {info.mood} ({info.mood_field})")
            else:
                info = read_tags(path)
                mood = info.mood if info.mood is not None else "(none)"
                bpm = f"{info.bpm:g}" if info.bpm else "-"
                print(
                    f"{shown}: {info.format}, {info.duration or 0:.1f} s; "
                    f"title={info.title!r} artist={info.artist!r} album={info.album!r} "
                    f"mood={mood} ({info.mood_field}) bpm={bpm} key={info.key or '-'} "
                    f"cover={'yes' if info.has_cover else 'no'}"
                )
        except (TagError, OSError) as exc:
            failures += 1
            hint = ""
            if isinstance(exc, ReadOnlyFile):
                hint = " (skipped; --force-readonly tags it anyway)"
            elif isinstance(exc, HardLinkedFile):
                hint = " (skipped; --break-links tags this link only)"
            print(f"error: {shown}: {_reason(exc)}{hint}", file=sys.stderr)
    return 1 if failures else 0
