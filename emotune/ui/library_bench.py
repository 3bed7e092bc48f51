"""Benchmark of the library tab with a big made-up library (not a test: it prints numbers).

``python -m emotune.ui.library_bench --tracks 100000 --runs 5`` builds the tracks in memory
(no files), then, on the real :class:`LibraryView` in a shown window:

* ``open_s``: from "the scan is done" to the table painted with the new tracks
  (:meth:`LibraryView.set_tracks` plus one forced repaint);
* ``typing_max_gap_ms``: the longest gap of a 16 ms GUI timer (:class:`TimerLagProbe`) while
  a search is typed one key every 120 ms, then erased, then a mood filter chosen and cleared;
  ``…_excl_cpu_starvation_ms`` leaves out time the machine gave to other processes;
* ``keystroke_to_rows_ms``: the slowest keystroke, from the key to the table showing its rows
  (the filter runs in slices between events, so this is latency, not a freeze).

Prints one JSON object with the median over ``--runs``. Run it under Xvfb or
``QT_QPA_PLATFORM=offscreen``.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from emotune.emotions import EMOTIONS
from emotune.music.library.track import Track

WORDS = [
    "night",
    "love",
    "blue",
    "river",
    "fire",
    "home",
    "road",
    "light",
    "dance",
    "heart",
    "rain",
    "city",
    "summer",
    "ghost",
    "gold",
    "echo",
    "silver",
    "wild",
    "dream",
    "ocean",
    "storm",
    "velvet",
    "paper",
    "glass",
    "neon",
    "morning",
    "shadow",
]


def fake_library(count: int, seed: int = 1) -> list[Track]:
    """``count`` tracks with varied titles, artists, albums, durations, moods and origins."""
    rng = random.Random(seed)
    artists = [
        f"{rng.choice(WORDS).title()} {rng.choice(WORDS).title()}"
        for _ in range(max(1, count // 12))
    ]
    tracks = []
    for i in range(count):
        emotion = rng.choice(EMOTIONS)
        source = rng.choice(("tag", "folder", "analysis"))
        tracks.append(
            Track(
                path=Path(f"/music/{i // 1000}/{i}.flac"),
                title=" ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 4))).title(),
                artist=rng.choice(artists),
                album=f"{rng.choice(WORDS).title()} {rng.choice(WORDS).title()}",
                duration=rng.uniform(90, 420),
                emotion=emotion,
                valence=emotion.valence,
                arousal=emotion.arousal,
                source=source,
                tempo=rng.uniform(60, 180) if source == "analysis" else None,
                mode=rng.choice(("major", "minor")) if source == "analysis" else None,
            )
        )
    return tracks


def _wait(ms: int) -> None:
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def run_once(tracks: list[Track], query: str = "night dance") -> dict[str, float]:
    """One measurement on a fresh window."""
    from PySide6.QtCore import QEventLoop, QTimer
    from PySide6.QtWidgets import QMainWindow

    from emotune.ui.responsiveness import TimerLagProbe
    from emotune.ui.widgets.library_view import LibraryView

    window = QMainWindow()
    view = LibraryView()
    window.setCentralWidget(view)
    window.resize(900, 600)
    window.show()
    _wait(200)

    start = time.perf_counter()
    view.set_tracks(tracks)  # a big library is indexed off the GUI thread: wait for it
    while view.model.total != len(tracks):
        _wait(5)
    view.table.viewport().repaint()
    open_s = time.perf_counter() - start
    assert view.model.rowCount() == len(tracks)

    # Latency from a keystroke to the table showing its result (filtering runs in slices).
    latencies: list[float] = []
    pressed = [0.0]

    def shown(_shown: int, _total: int) -> None:
        latencies.append((time.perf_counter() - pressed[0]) * 1000)

    view.model.counts_changed.connect(shown)

    def press(action: Callable[[], object]) -> Callable[[], None]:
        def run() -> None:
            pressed[0] = time.perf_counter()
            action()

        return run

    probe = TimerLagProbe(parent=window)
    steps: list[Callable[[], None]] = [press(lambda c=c: view.search.insert(c)) for c in query]
    steps += [press(view.search.backspace) for _ in query]
    steps += [
        press(lambda: view.mood.setCurrentIndex(4)),
        press(lambda: view.mood.setCurrentIndex(0)),
    ]
    loop = QEventLoop()

    def step() -> None:
        if steps:
            steps.pop(0)()
            QTimer.singleShot(120, step)
        else:
            QTimer.singleShot(200, loop.quit)

    probe.start()
    QTimer.singleShot(100, step)
    loop.exec()
    probe.stop()
    window.close()
    window.deleteLater()
    return {
        "open_s": open_s,
        "typing_max_gap_ms": probe.max_gap_ms,
        "typing_max_gap_excl_cpu_starvation_ms": probe.max_adjusted_gap_ms,
        "keystroke_to_rows_ms": max(latencies),
    }


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print JSON (medians over the runs)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracks", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)

    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(sys.argv[:1])
    from emotune.ui.theme import apply_theme

    apply_theme(app)
    tracks = fake_library(args.tracks)
    runs = [run_once(tracks) for _ in range(args.runs)]
    report: dict[str, object] = {"tracks": args.tracks, "runs": args.runs}
    for key in runs[0]:
        values = [run[key] for run in runs]
        report[key] = round(statistics.median(values), 4 if key == "open_s" else 1)
        report[f"{key}_max"] = round(max(values), 4 if key == "open_s" else 1)
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
