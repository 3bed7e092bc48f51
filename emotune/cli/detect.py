"""`emotune detect PATH`: faces, boxes and emotion probabilities for an image, a video, a folder
of images or a camera; for streams also the shown and music mood timelines and the number of
switches. It runs the same vision driver as the window (:mod:`emotune.vision.driver`), so what it
reports is what the window shows."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from emotune.cli._common import fail, hold_seconds, positive_int


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the `detect` subcommand."""
    parser = subparsers.add_parser(
        "detect",
        help="detect faces and emotions in an image, video, image folder or camera",
        description="Detect faces and their emotions. An image prints one row per face; a video, "
        "folder or camera prints per-frame results (every Nth frame), the smoothed mood timeline "
        "and how often the mood switched. Frames are never written anywhere.",
    )
    parser.add_argument(
        "path", help="image, video file, folder of images, or camera number (e.g. 0)"
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument(
        "--every",
        type=positive_int,
        default=1,
        metavar="N",
        help="analyse every Nth frame of a stream (default 1)",
    )
    parser.add_argument(
        "--max-frames",
        type=positive_int,
        default=None,
        metavar="N",
        help="stop after N analysed frames (cameras run until Ctrl-C otherwise)",
    )
    parser.add_argument(
        "--model", default=None, help="emotion model (default models/emotion.tflite)"
    )
    parser.add_argument(
        "--primary",
        choices=("largest", "center"),
        default="largest",
        help="which face drives the mood (default largest)",
    )
    parser.add_argument(
        "--no-calibration", action="store_true", help="ignore the stored neutral-face calibration"
    )
    parser.add_argument(
        "--music-hold",
        type=hold_seconds,
        default=None,
        metavar="S",
        help="seconds the shown mood must hold before the music follows it (default 4)",
    )
    parser.add_argument(
        "--csv",
        type=Path,
        metavar="FILE",
        help="also write the mood timeline, one row per analysed frame: time, shown mood, music "
        "mood, state and the seven mood beliefs (the same columns as File ▸ Export in the window)",
    )
    # The old name, from before the music had its own speed; kept so scripts keep working.
    parser.add_argument("--dwell", dest="music_hold", type=hold_seconds, help=argparse.SUPPRESS)
    return parser


def run(args: argparse.Namespace) -> int:
    """Run the subcommand; returns 0 on success, 1 on a user-facing error."""
    from emotune.mood import MoodConfig
    from emotune.vision.classifier import ModelLoadError
    from emotune.vision.driver import VisionOptions, build_pipeline
    from emotune.vision.sources import ImageSource, SourceError, SourceStatus, open_source

    if args.every < 1:
        return fail("--every must be at least 1")
    mood = MoodConfig() if args.music_hold is None else MoodConfig(music_hold_s=args.music_hold)
    # The source first: "no camera" or "no such file" should not wait for the model to load.
    try:
        source = open_source(args.path)
        source.open()
    except SourceError as error:
        return fail(str(error))
    options = VisionOptions(
        model=args.model, primary=args.primary, use_calibration=not args.no_calibration, mood=mood
    )
    try:
        pipeline = build_pipeline(options)
    except ModelLoadError as error:
        source.close()
        return fail(str(error))

    frames: list[dict[str, Any]] = []
    snapshots: list[Any] = []  # for --csv
    read = 0
    try:
        while source.status in (SourceStatus.OPEN, SourceStatus.LOST):
            if read % args.every:
                frame = source.read()  # skipped frame: decoded but not analysed
                read += frame is not None
                continue
            result = pipeline.step(source)
            if result is None:
                continue
            read += 1
            frames.append(_frame_record(result))
            if result.mood is not None:
                snapshots.append(result.mood)
            if not args.json and not isinstance(source, ImageSource):
                _print_frame_row(frames[-1], header=len(frames) == 1)
            if args.max_frames is not None and len(frames) >= args.max_frames:
                break
    except KeyboardInterrupt:
        pass  # a camera run ends with Ctrl-C; still print the summary
    finally:
        source.close()

    report = _report(args.path, source, frames, pipeline)
    if args.csv is not None:
        from emotune.timeline_csv import write_timeline_csv

        try:
            write_timeline_csv(snapshots, args.csv)
        except OSError as error:
            return fail(f"cannot write {args.csv}: {error.strerror or error}")
    if args.json:
        json.dump(report, sys.stdout, indent=2)
        print()
    elif isinstance(source, ImageSource):
        _print_image(report)
    else:
        _print_summary(report)
    return 0


def _frame_record(result: Any) -> dict[str, Any]:
    primary = result.primary
    return {
        "index": result.frame.index,
        "t": round(result.frame.timestamp, 3),
        "faces": [face.as_dict() for face in result.faces],
        "primary": primary.emotion.key if primary else None,
        "primary_confidence": round(primary.confidence, 4) if primary else None,
        "mood": result.mood.mood.key if result.mood and result.mood.mood else None,
        "music_mood": result.mood.music_mood.key
        if result.mood and result.mood.music_mood
        else None,
        "state": result.mood.state.value if result.mood else None,
        "ms": round(result.timings.total_ms, 2),
    }


def _report(path: str, source: Any, frames: list[dict[str, Any]], pipeline: Any) -> dict[str, Any]:
    from emotune.mood import MoodEventKind

    tracker = pipeline.tracker

    def changes(kind: MoodEventKind) -> list[dict[str, Any]]:
        return [
            {
                "t": round(event.timestamp, 3),
                "from": event.old.key if event.old else None,
                "to": event.new.key if event.new else None,
                "confidence": round(event.confidence, 4),
            }
            for event in tracker.events
            if event.kind is kind
        ]

    kind = type(source).__name__.replace("Source", "").replace("File", "").lower()
    return {
        "source": str(path),
        "kind": kind,
        "calibrated": pipeline.logit_bias is not None,
        "frames_analysed": len(frames),
        "frames": frames,
        "mood_timeline": changes(MoodEventKind.MOOD_CHANGED),
        "music_mood_timeline": changes(MoodEventKind.MUSIC_MOOD_CHANGED),
        "mood_switches": tracker.switches,
        "final_mood": tracker.mood.key if tracker.mood else None,
        "final_music_mood": tracker.music_mood.key if tracker.music_mood else None,
        "final_state": tracker.state.value,
        "timing_ms": pipeline.stats.summary(),
    }


def _print_image(report: dict[str, Any]) -> None:
    from emotune.emotions import CLASS_NAMES

    faces = report["frames"][0]["faces"] if report["frames"] else []
    if not faces:
        print(f"{report['source']}: no face found")
        return
    names = " ".join(f"{name:>8}" for name in CLASS_NAMES)
    print(f"{'face':>4}  {'box x,y,w,h':<19} {'primary':<7} {'emotion':<9} {'p':>5}  {names}")
    for number, face in enumerate(faces):
        box = ",".join(str(v) for v in face["box"])
        probs = " ".join(f"{face['probabilities'][name]:8.3f}" for name in CLASS_NAMES)
        mark = "*" if face["primary"] else ""
        print(
            f"{number:>4}  {box:<19} {mark:<7} {face['emotion']:<9} {face['confidence']:5.2f}  {probs}"
        )
    if report["calibrated"]:
        print("(neutral-face calibration applied; --no-calibration to ignore it)")


def _print_frame_row(record: dict[str, Any], header: bool) -> None:
    if header:
        print(
            f"{'frame':>6} {'t (s)':>8} {'faces':>5}  {'primary (p)':<16} {'mood':<9} {'music':<9} {'state':<11} {'ms':>6}"
        )
    primary = (
        f"{record['primary']} ({record['primary_confidence']:.2f})" if record["primary"] else "-"
    )
    print(
        f"{record['index']:>6} {record['t']:>8.2f} {len(record['faces']):>5}  {primary:<16} "
        f"{record['mood'] or '-':<9} {record['music_mood'] or '-':<9} {record['state'] or '-':<11} {record['ms']:>6.1f}"
    )


def _print_summary(report: dict[str, Any]) -> None:
    print()
    print(f"Analysed {report['frames_analysed']} frames of {report['source']}.")
    if report["mood_timeline"]:
        print("Mood timeline:")
        for change in report["mood_timeline"]:
            origin = change["from"] or "(start)"
            print(
                f"  {change['t']:8.2f} s  {origin} -> {change['to']}  (p={change['confidence']:.2f})"
            )
    else:
        print("No mood was declared (no steady face long enough).")
    if report["music_mood_timeline"]:
        print("The music followed:")
        for change in report["music_mood_timeline"]:
            origin = change["from"] or "(start)"
            print(f"  {change['t']:8.2f} s  {origin} -> {change['to']}")
    print(
        f"Mood switches (after the first mood): {report['mood_switches']}  (final mood: {report['final_mood'] or '-'}, "
        f"music: {report['final_music_mood'] or '-'}, state: {report['final_state']})"
    )
    timing = report["timing_ms"]
    if "total_ms_median" in timing:
        print(
            f"Per frame: detect {timing['detect_ms_median']:.1f} ms, classify {timing['classify_ms_median']:.1f} ms, "
            f"total {timing['total_ms_median']:.1f} ms (medians over the last {min(int(timing['frames']), 120)} frames)"
        )
