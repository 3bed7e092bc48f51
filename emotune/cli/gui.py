"""`emotune gui`: the desktop app (also what plain `emotune` runs)."""

from __future__ import annotations

import argparse
from pathlib import Path

from emotune.cli._common import hold_seconds, non_negative_float


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the `gui` subcommand."""
    from emotune.music.choose.recommender import STRATEGIES

    parser = subparsers.add_parser(
        "gui",
        help="open the desktop app (the default)",
        description="Open the desktop app: reads your mood from the camera and plays music from your library to fit it.",
    )
    parser.add_argument(
        "--camera",
        metavar="SPEC",
        help="what to watch: a camera index (0, 1, ...), a video file, an image or a folder of images "
        "(default: the last source used, else camera 0)",
    )
    parser.add_argument(
        "--no-audio",
        action="store_true",
        help="play silently with the null backend (no libvlc needed)",
    )
    parser.add_argument(
        "--library",
        metavar="DIR",
        type=Path,
        help="music folder to use instead of the remembered ones",
    )
    parser.add_argument(
        "--model", metavar="PATH", type=Path, help="emotion model (default: models/emotion.tflite)"
    )
    parser.add_argument(
        "--music-hold",
        metavar="SECONDS",
        type=hold_seconds,
        help="how long a new mood must hold before the music follows it (default 4; remembered)",
    )
    parser.add_argument(
        "--strategy",
        choices=STRATEGIES,
        help="how the music answers your mood (remembered)",
    )
    parser.add_argument(
        "--camera-off", action="store_true", help="start with the camera off (nothing captured)"
    )
    parser.add_argument(
        "--audio-device",
        metavar="ID",
        help="sound output device id as libVLC lists it ('' for the default; remembered)",
    )
    # For demos, benchmarks and CI: not part of the everyday interface.
    parser.add_argument(
        "--quit-after", metavar="SECONDS", type=non_negative_float, help=argparse.SUPPRESS
    )
    parser.add_argument("--screenshot", metavar="PNG", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--probe", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument(
        "--show", choices=("library", "preferences"), help=argparse.SUPPRESS
    )  # screenshots
    return parser


def run(args: argparse.Namespace) -> int:
    """Run the subcommand."""
    from emotune.cli._common import fail

    if args.library is not None and not args.library.is_dir():
        return fail(f"--library {args.library}: no such folder")
    if args.model is not None and not args.model.is_file():
        return fail(f"--model {args.model}: no such file")
    if args.quit_after is not None and args.quit_after <= 0:
        return fail("--quit-after must be positive")

    from emotune.ui import run as run_gui  # Qt is imported only now, so other commands stay fast
    from emotune.ui.options import GuiOptions

    options = GuiOptions(
        camera=args.camera,
        no_audio=args.no_audio,
        library=args.library,
        model=args.model,
        quit_after=args.quit_after,
        screenshot=args.screenshot,
        probe=args.probe,
        music_hold=args.music_hold,
        strategy=args.strategy,
        camera_off=args.camera_off,
        audio_device=args.audio_device,
        show=args.show,
    )
    return run_gui(options)
