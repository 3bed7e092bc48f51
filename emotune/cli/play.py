"""`emotune play`: plan a queue for a mood, print it with reasons, and play it headless.

    emotune play --emotion sad --strategy lift --count 4 --no-audio

``--no-audio`` plays on the silent backend with simulated time, so it finishes at once and
prints exactly what a real session would have played: handy for scripts and tests.
Without it, the tracks play through VLC in real time (Ctrl-C stops).
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
from collections.abc import Sequence
from pathlib import Path

from emotune.cli._common import can_print, fail, seed_int, whole_number
from emotune.emotions import Emotion
from emotune.music.choose.recommender import STRATEGIES, STRATEGY_HELP
from emotune.music.library.track import Track

MAX_COUNT = 1000
"""Upper bound of --count. --json prints once at the end: 1000 tracks take about a second with
--no-audio on the demo library, while 100000 printed nothing for a minute and looked hung."""


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the `play` subcommand."""
    parser = subparsers.add_parser(
        "play",
        help="play music for a mood without the GUI",
        description="Plan a queue from your library for a mood, print it with the reason for "
        "each track, and play it. Strategies: "
        + "; ".join(f"{name}: {text}" for name, text in STRATEGY_HELP.items())
        + ".",
    )
    parser.add_argument(
        "--emotion",
        metavar="NAME",
        # Checked in run() rather than by argparse: every subcommand must parse bare.
        help="(required) the mood to play for: " + ", ".join(e.key for e in Emotion),
    )
    parser.add_argument(
        "--strategy",
        choices=STRATEGIES,
        help="how to answer the mood (default: the one saved in your settings, else match)",
    )
    parser.add_argument(
        "--count",
        type=whole_number(1, MAX_COUNT),
        default=5,
        metavar="N",
        help=f"tracks to play, 1 to {MAX_COUNT} (default: 5)",
    )
    parser.add_argument(
        "--folder",
        action="append",
        type=Path,
        metavar="DIR",
        help="music folder to use (repeatable; default: your library folders or the demo library)",
    )
    parser.add_argument(
        "--no-audio",
        action="store_true",
        help="no sound: simulated time on the silent backend, finishes immediately",
    )
    parser.add_argument(
        "--dummy-audio",
        action="store_true",
        help="decode with VLC in real time but send the sound nowhere (tests, CI)",
    )
    parser.add_argument("--seed", type=seed_int, help="seed for the recommender's random choices")
    parser.add_argument("--json", action="store_true", help="print the plan and plays as JSON")
    return parser


def load_tracks(folders: Sequence[Path] | None) -> list[Track]:
    """The library's tracks (from the scanner's cache when it can)."""
    from emotune.music.library.scanner import load_library

    return load_library(list(folders) if folders else None)


def _fmt_time(seconds: float | None) -> str:
    if seconds is None:
        return "?:??"
    seconds = int(round(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}"


def _label(track: Track) -> str:
    name = f"{track.artist} – {track.title}" if track.artist else track.title
    return name if can_print(name) else name.encode("ascii", "replace").decode()


def queued_notes(notes: Sequence, entries: Sequence) -> list:
    """The DJ's notes that describe ``entries`` (what was queued and shown or played).

    The DJ plans a few tracks ahead; a "nearest available" note from a look-ahead pick that was
    never queued here would describe nothing the listener sees, so fallback notes are kept only
    when a queued entry was such a pick.
    """
    from emotune.music.choose.recommender import FALLBACK

    any_fallback = any(e.reason.endswith("(nearest available)") for e in entries)
    return [n for n in notes if getattr(n, "kind", None) != FALLBACK or any_fallback]


def unplaced_hint(tracks: Sequence[Track]) -> str | None:
    """A hint to run ``scan --analyze`` when tracks have no mood from tag, folder or analysis."""
    unplaced = sum(1 for t in tracks if t.source == "default")
    if not unplaced:
        return None
    return (
        f"{unplaced} of {len(tracks)} tracks have no mood tag, mood folder or analysis and sit "
        "at neutral; `emotune scan --analyze` places them by their sound."
    )


def _say(text: str, quiet: bool) -> None:
    if not quiet:
        print(text if can_print(text) else text.encode("ascii", "replace").decode(), flush=True)


def run(args: argparse.Namespace) -> int:
    """Run the subcommand."""
    from emotune.music.choose.dj import MoodDJ
    from emotune.music.playback.backends import NullBackend

    if not args.emotion:
        return fail("--emotion NAME is required, e.g. emotune play --emotion sad --no-audio", 2)
    try:
        emotion = Emotion.parse(args.emotion)
    except ValueError as exc:
        return fail(str(exc), 2)
    if args.count < 1:
        return fail("--count must be at least 1", 2)
    for folder in args.folder or ():
        if not folder.is_dir():
            return fail(f"not a folder: {folder}", 2)
    try:
        tracks = load_tracks(args.folder)
    except ImportError:
        return fail("the music library scanner is not available in this build", 2)
    if not tracks:
        where = ", ".join(str(f) for f in args.folder) if args.folder else "your library"
        return fail(f"no playable tracks found in {where}; add music or pass --folder DIR", 1)

    if args.no_audio:
        backend = NullBackend()
    else:
        from emotune.music.playback.backends import vlc_problem

        problem = vlc_problem()
        if problem is not None:
            return fail(f"{problem}; or use --no-audio", 2)
        from emotune.music.playback.backends.sound_output import find_sound_output
        from emotune.music.playback.backends.vlc_backend import VLCBackend

        dummy_audio = args.dummy_audio
        output = find_sound_output()
        if output.missing and not dummy_audio:
            # VLC would retry the missing device for every buffer and flood stderr.
            _say(
                f"note: no sound device found ({output.detail}); playing silently in real time",
                args.json,
            )
            dummy_audio = True
        backend = VLCBackend(dummy_audio=dummy_audio)

    quiet = args.json
    dj = MoodDJ(backend, tracks, strategy=args.strategy, seed=args.seed, persist=False)
    try:
        dj.set_mood(emotion)
        planned = dj.plan_preview(args.count)[: args.count]
        strategy = dj.strategy
        _say(
            f"Mood: {emotion.emoji} {emotion.key} ({emotion.valence:+.2f}, {emotion.arousal:+.2f})"
            f" · strategy: {strategy} ({STRATEGY_HELP[strategy]}) · {len(tracks)} tracks",
            quiet,
        )
        for note in queued_notes(dj.notes, planned):
            _say(f"note: {note}", quiet)
        hint = unplaced_hint(tracks)
        if hint:
            _say(f"hint: {hint}", quiet)
        _say("Queue:", quiet)
        for i, entry in enumerate(planned, 1):
            t = entry.track
            _say(f"{i:>3}. {_label(t)} [{_fmt_time(t.duration)}]  — {entry.reason}", quiet)
        played, skipped = _play(dj, backend, args.count, quiet, simulated=args.no_audio)
        if args.json:
            print(
                json.dumps(
                    {
                        "emotion": emotion.key,
                        "strategy": strategy,
                        "notes": [str(n) for n in queued_notes(dj.notes, [*planned, *played])],
                        "hint": hint,
                        "queue": [
                            {"path": str(e.track.path), "title": e.track.title, "reason": e.reason}
                            for e in planned
                        ],
                        "played": [
                            {"path": str(e.track.path), "title": e.track.title, "reason": e.reason}
                            for e in played
                        ],
                        "skipped": [{"path": str(p), "reason": r} for p, r in skipped],
                    },
                    indent=2,
                    ensure_ascii=False,
                )
            )
        mode = "simulated, no audio" if args.no_audio else "played"
        total = sum(e.track.duration or 0.0 for e in played)
        _say(
            f"Done: {len(played)} tracks ({mode}, {_fmt_time(total)}), {len(skipped)} skipped.",
            quiet,
        )
        return 0 if played or not skipped else 1
    finally:
        dj.close()


def _play(dj, backend, count: int, quiet: bool, *, simulated: bool):  # noqa: ANN001, ANN202
    """Play until ``count`` tracks have ended (or the queue runs dry); returns (played, skipped)."""
    played: list = []
    skipped: list[tuple[Path, str]] = []
    done = threading.Event()

    def on_now_playing(entry) -> None:  # noqa: ANN001
        _say(f"▶ {_label(entry.track)}  — {entry.reason}", quiet)

    def on_ended(entry) -> None:  # noqa: ANN001
        played.append(entry)
        if len(played) >= count:
            dj.stop()  # the DJ has already queued the next one; don't let it play
            done.set()

    def on_skipped(skip) -> None:  # noqa: ANN001
        skipped.append((skip.track.path, skip.reason))
        _say(f"✗ skipped {skip.track.path.name}: {skip.reason}", quiet)

    dj.connect("now_playing", on_now_playing)
    dj.connect("track_ended", on_ended)
    dj.connect("skipped", on_skipped)

    def on_player_error(message: str) -> None:
        print(f"error: {message}", file=sys.stderr, flush=True)
        done.set()

    dj.connect("finished", lambda: done.set())
    dj.connect("player_error", on_player_error)
    dj.play()
    if simulated:
        # Jump the simulated clock to each track's end; a dry queue or a stall ends the loop.
        backend.pump()
        for _ in range(count * 50 + 100):
            if done.is_set():
                break
            left = backend.time_left()
            if left is None:
                backend.pump()
                if backend.time_left() is None:
                    break
                continue
            backend.advance(left)
    else:
        while not done.wait(0.2):  # short waits keep Ctrl-C responsive
            pass
    return played, skipped
