"""Start-up time and memory of the desktop app, measured on real runs.

``python -m emotune.devtools.startup_probe`` starts ``emotune gui`` a few times in fresh processes
(offscreen by default, so no display is needed) on a demo video, lets each run for a few seconds,
and reads the JSON line the app prints with ``--probe``:

* ``first_frame_s`` - process start (from /proc, so interpreter start-up and imports count) to
  the first camera picture painted in the window;
* ``rss_mb`` / ``peak_rss_mb`` - resident memory at the end of the run, and its peak;
* ``tensorflow_imported`` - whether anything pulled in TensorFlow (it must not);
* the GUI-thread timer's worst gap, raw and without CPU starvation by other processes.

The bars (1.5 s to the first frame, 350 MB) are checked on the median run. ``emotune bench``
runs this module with ``--json`` in a child process for its ``startup`` section.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

BARS = {"first_frame_s": 1.5, "peak_rss_mb": 350.0}
PROBE_PREFIX = "EMOTUNE_PROBE "


def make_probe_video(folder: Path, seconds: float = 6.0) -> Path:
    """A short demo video to use as the camera (the astronaut demo; a plain pattern without scikit-image)."""
    import cv2
    import numpy as np

    path = folder / "probe.mp4"
    try:
        from emotune.devtools import demo_video

        frames = demo_video.frames()
        fps, size = demo_video.FPS, (demo_video.WIDTH, demo_video.HEIGHT)
    except ImportError:  # scikit-image is a dev extra: a moving gradient still makes frames
        fps, size = 15, (640, 480)
        ramp = np.tile(np.linspace(0, 255, size[0], dtype=np.uint8), (size[1], 1))
        frames = (cv2.merge([np.roll(ramp, i * 4, axis=1)] * 3) for i in range(10_000))
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, size)
    for index, frame in enumerate(frames):
        if index >= seconds * fps:
            break
        writer.write(frame)
    writer.release()
    return path


def run_once(
    source: Path,
    seconds: float,
    *,
    audio: bool = True,
    platform: str = "offscreen",
    home: Path | None = None,
) -> dict[str, Any]:
    """One fresh ``emotune gui`` process; returns its probe report (``error`` set on failure)."""
    env = dict(os.environ)
    env["QT_QPA_PLATFORM"] = platform
    with tempfile.TemporaryDirectory(prefix="emotune-probe-") as scratch:
        env["EMOTUNE_HOME"] = str(home or scratch)
        command = [
            sys.executable,
            "-m",
            "emotune",
            "gui",
            "--camera",
            str(source),
            "--quit-after",
            str(seconds),
            "--probe",
        ]
        if not audio:
            command.append("--no-audio")
        result = subprocess.run(
            command, capture_output=True, text=True, env=env, timeout=seconds + 120
        )
    for line in result.stdout.splitlines():
        if line.startswith(PROBE_PREFIX):
            report = json.loads(line[len(PROBE_PREFIX) :])
            report["returncode"] = result.returncode
            return report
    return {
        "error": f"no probe output (exit {result.returncode}): {result.stderr[-500:]}",
        "returncode": result.returncode,
    }


def summarise(reports: list[dict[str, Any]]) -> dict[str, Any]:
    """Median/min/max of the numbers that matter, and the bars checked on the medians."""
    good = [r for r in reports if "error" not in r and r.get("first_frame_s") is not None]
    out: dict[str, Any] = {"runs": len(reports), "successful_runs": len(good)}
    for key in (
        "first_frame_s",
        "first_frame_cpu_s",
        "window_shown_s",
        "model_loaded_s",
        "rss_mb",
        "peak_rss_mb",
        "max_gui_timer_gap_ms",
        "max_gui_timer_gap_excl_cpu_starvation_ms",
    ):
        values = [float(r[key]) for r in good if r.get(key) is not None]
        if values:
            out[key] = {
                "median": round(statistics.median(values), 3),
                "min": round(min(values), 3),
                "max": round(max(values), 3),
            }
    out["tensorflow_imported"] = any(r.get("tensorflow_imported") for r in good)
    bars = {}
    for key, bar in BARS.items():
        measured = out.get(key, {}).get("median")
        bars[key] = {
            "bar": bar,
            "measured_median": measured,
            "pass": None if measured is None else measured <= bar,
        }
    bars["no_tensorflow"] = {"pass": not out["tensorflow_imported"] if good else None}
    out["bars"] = bars
    errors = [r["error"] for r in reports if "error" in r]
    errors += [
        f"no frame shown within the run (window shown at {r.get('window_shown_s')} s)"
        for r in reports
        if "error" not in r and r.get("first_frame_s") is None
    ]
    if errors:
        out["errors"] = errors
    return out


def probe(
    runs: int = 3,
    seconds: float = 6.0,
    *,
    audio: bool = True,
    platform: str = "offscreen",
    source: Path | None = None,
) -> dict[str, Any]:
    """Run the app ``runs`` times and summarise (a demo video is made when ``source`` is None)."""
    with tempfile.TemporaryDirectory(prefix="emotune-probe-video-") as folder:
        video = source or make_probe_video(Path(folder))
        reports = [run_once(video, seconds, audio=audio, platform=platform) for _ in range(runs)]
    summary = summarise(reports)
    summary["settings"] = {
        "runs": runs,
        "seconds": seconds,
        "audio": audio,
        "platform": platform,
        "source": str(source) if source else "demo video",
    }
    try:
        summary["load_average"] = [round(x, 2) for x in os.getloadavg()]
        summary["cpu_count"] = os.cpu_count()
    except OSError:
        pass
    return summary


def _core_list(text: str) -> list[int]:
    try:
        return [int(core) for core in text.split(",") if core.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated core numbers, got {text!r}"
        ) from None


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; exit code 0 when the bars pass."""
    parser = argparse.ArgumentParser(
        prog="python -m emotune.devtools.startup_probe", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--runs", type=int, default=3, help="fresh app processes to start (default 3)"
    )
    parser.add_argument(
        "--seconds", type=float, default=6.0, help="how long each run lasts (default 6)"
    )
    parser.add_argument(
        "--no-audio", action="store_true", help="use the null backend instead of VLC"
    )
    parser.add_argument(
        "--platform",
        default="offscreen",
        help="Qt platform: offscreen (default) or xcb (needs a display)",
    )
    parser.add_argument(
        "--source",
        type=Path,
        help="video/image to use as the camera (default: a generated demo video)",
    )
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.add_argument(
        "--cores",
        type=_core_list,
        help="comma-separated CPU cores to run the app on (default: this process's)",
    )
    args = parser.parse_args(argv)
    if args.cores and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, args.cores)  # the app processes inherit it
    summary = probe(
        args.runs, args.seconds, audio=not args.no_audio, platform=args.platform, source=args.source
    )
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        print(
            f"EmoTune start-up ({summary['successful_runs']}/{summary['runs']} runs, {args.platform}, audio {'on' if not args.no_audio else 'off'}, load {summary.get('load_average')})"
        )
        for key in (
            "window_shown_s",
            "first_frame_s",
            "first_frame_cpu_s",
            "model_loaded_s",
            "rss_mb",
            "peak_rss_mb",
            "max_gui_timer_gap_ms",
            "max_gui_timer_gap_excl_cpu_starvation_ms",
        ):
            if key in summary:
                s = summary[key]
                print(f"  {key:<42} median {s['median']:>8}  (min {s['min']}, max {s['max']})")
        print(f"  tensorflow imported: {summary['tensorflow_imported']}")
        for key, bar in summary["bars"].items():
            verdict = {True: "PASS", False: "FAIL", None: "n/a"}[bar["pass"]]
            print(
                f"  bar {key:<20} {verdict}  {bar.get('measured_median', '')} (bar {bar.get('bar', '-')})"
            )
        for error in summary.get("errors", []):
            print(f"  error: {error}")
    return 0 if all(b["pass"] for b in summary["bars"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
