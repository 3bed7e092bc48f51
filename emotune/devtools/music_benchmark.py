"""Developer benchmarks for the music side: real pieces of known tempo and mode, and a 100k scan.

    python -m emotune.devtools.music_benchmark music [--build-only] [--limit N] [--json]
    python -m emotune.devtools.music_benchmark scan100k [--files N] [--json]

``music`` renders public-domain scores from the music21 corpus (Bach chorales: key and mode are in
the score) to audio with a General-MIDI synthesiser (fluidsynth + the FluidR3 GM sound font from
Debian) at a tempo we choose, alternating piano and string sounds, across 60-180 BPM and both
modes. The set is built once into EmoTune's data folder (``benchmark_music/``; never committed)
and labelled in ``labels.json``. It then reports mode accuracy, tempo within +-8 %, octave-exact
tempo, placement agreement (the emotion the true tempo and mode imply under
:func:`emotune.music.library.placement.implied_emotion`) and seconds per track once warm.

``scan100k`` generates a library of tiny files in a temporary folder and times ``emotune scan``
in fresh processes (cold cache, warm cache) with their peak RSS.

Needs the ``bench`` extra (music21) and the Debian packages fluidsynth and fluid-soundfont-gm.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from emotune.paths import user_data_dir

SOUND_FONT_CANDIDATES = (
    Path("/usr/share/sounds/sf2/FluidR3_GM.sf2"),
    Path("/usr/share/sounds/sf2/default-GM.sf2"),
)
RENDER_SR = 22050
MIN_SECONDS = 30.0  # pieces shorter than this are repeated (on the beat grid) up to it
TEMPO_RANGE = (60.0, 180.0)
PIANO, STRINGS = "piano", "strings"
# General-MIDI programs: 0 acoustic grand; strings by register (violin, viola, cello, contrabass).
_STRING_PROGRAMS = (40, 41, 42, 43)
LABELS = "labels.json"


@dataclass(frozen=True)
class Piece:
    """One benchmark piece: where it came from and its ground truth."""

    file: str  # audio file name inside the set folder
    source: str  # music21 corpus path (relative)
    tonic: str
    mode: str
    tempo: float  # quarter notes per minute, as rendered
    meter: str
    sound: str  # "piano" or "strings"


def default_folder() -> Path:
    """Where the rendered set lives: EmoTune's data folder, outside the repository."""
    return user_data_dir() / "benchmark_music"


def sound_font() -> Path:
    """The General-MIDI sound font, or SystemExit saying which package provides it."""
    for path in SOUND_FONT_CANDIDATES:
        if path.exists():
            return path
    raise SystemExit("no General-MIDI sound font: apt-get install fluid-soundfont-gm")


def _choose_pieces(count: int) -> list[tuple[str, str, str, str]]:
    """``count`` Bach chorales (half major, half minor) in 4/4 or 3/4, in corpus order.

    Returns (corpus path, tonic, mode, meter). Only chorales whose score states its mode are used.
    """
    from music21 import corpus, key, meter

    wanted = {"major": count - count // 2, "minor": count // 2}
    chosen: list[tuple[str, str, str, str]] = []
    for path in sorted(corpus.getComposer("bach"), key=str):
        if not any(wanted.values()):
            break
        name = str(path)
        if "-sc" in Path(name).name:  # duplicate settings of the same chorale
            continue
        score = corpus.parse(path)
        keys = score.recurse().getElementsByClass(key.Key)
        meters = score.recurse().getElementsByClass(meter.TimeSignature)
        if not keys or not meters or meters[0].ratioString not in ("4/4", "3/4"):
            continue
        mode = keys[0].mode
        if wanted.get(mode, 0) <= 0:
            continue
        wanted[mode] -= 1
        rel = Path(name).relative_to(corpus.getComposer("bach")[0].parent.parent).as_posix()
        chosen.append((rel, keys[0].tonic.name.replace("-", "b"), mode, meters[0].ratioString))
    return chosen


def _tempi(count: int) -> list[float]:
    """Tempi spread evenly over 60-180 BPM, in an order that does not follow corpus order."""
    low, high = TEMPO_RANGE
    tempi = [round(low + (high - low) * i / max(1, count - 1)) for i in range(count)]
    order = np.random.default_rng(20).permutation(count)
    return [float(tempi[i]) for i in order]


def _render(source: str, tempo: float, sound: str, sf2: Path, out: Path) -> None:
    """Render one score at ``tempo`` with ``sound`` to ``out`` (FLAC, mono, 22 050 Hz)."""
    import soundfile
    from music21 import corpus, instrument
    from music21 import tempo as m21tempo

    score = corpus.parse(source)
    for mark in list(score.recurse().getElementsByClass(m21tempo.MetronomeMark)):
        mark.activeSite.remove(mark)
    for index, part in enumerate(score.parts):
        for old in list(part.recurse().getElementsByClass(instrument.Instrument)):
            old.activeSite.remove(old)
        if sound == PIANO:
            new = instrument.Piano()
        else:
            new = instrument.StringInstrument()
            new.midiProgram = _STRING_PROGRAMS[min(index, len(_STRING_PROGRAMS) - 1)]
        part.insert(0, new)
    score.parts[0].insert(0, m21tempo.MetronomeMark(number=tempo))
    beats = float(score.highestTime)  # quarter lengths
    with tempfile.TemporaryDirectory() as tmp:
        midi = Path(tmp) / "piece.mid"
        wav = Path(tmp) / "piece.wav"
        score.write("midi", fp=str(midi))
        subprocess.run(
            [
                "fluidsynth",
                "-ni",
                "-q",
                "-g",
                "0.8",
                "-r",
                str(RENDER_SR),
                "-F",
                str(wav),
                str(sf2),
                str(midi),
            ],
            check=True,
            capture_output=True,
            timeout=300,
        )
        audio, sr = soundfile.read(str(wav), dtype="float32", always_2d=True)
    mono = audio.mean(axis=1)
    # Cut at the last beat (drop the release tail) and repeat up to MIN_SECONDS on the beat grid.
    period = int(round(beats * 60.0 / tempo * sr))
    one = mono[:period] if period <= len(mono) else np.pad(mono, (0, period - len(mono)))
    repeats = max(1, int(np.ceil(MIN_SECONDS * sr / len(one))))
    signal = np.tile(one, repeats)
    peak = float(np.max(np.abs(signal))) or 1.0
    soundfile.write(str(out), signal / peak * 0.7, sr, format="FLAC", subtype="PCM_16")


def build(folder: Path, count: int = 48, *, log=print) -> list[Piece]:
    """Render the set into ``folder`` (skipping files already there); returns the labels."""
    if shutil.which("fluidsynth") is None:
        raise SystemExit(
            "fluidsynth is not installed: apt-get install fluidsynth fluid-soundfont-gm"
        )
    sf2 = sound_font()
    folder.mkdir(parents=True, exist_ok=True)
    labels_path = folder / LABELS
    if labels_path.exists():
        pieces = [Piece(**p) for p in json.loads(labels_path.read_text())]
        if len(pieces) >= count and all((folder / p.file).exists() for p in pieces[:count]):
            return pieces[:count]
    chosen = _choose_pieces(count)
    tempi = _tempi(len(chosen))
    pieces = []
    for index, ((source, tonic, mode, meter_), tempo) in enumerate(zip(chosen, tempi, strict=True)):
        sound = PIANO if index % 2 == 0 else STRINGS
        stem = Path(source).stem.replace(".", "_")
        piece = Piece(
            f"{index:02d}_{stem}_{sound}_{int(tempo)}.flac",
            source,
            tonic,
            mode,
            tempo,
            meter_,
            sound,
        )
        target = folder / piece.file
        if not target.exists():
            log(f"rendering {piece.file} ({tonic} {mode}, {tempo:.0f} BPM, {sound})")
            _render(source, tempo, sound, sf2, target)
        pieces.append(piece)
    labels_path.write_text(json.dumps([asdict(p) for p in pieces], indent=1))
    return pieces


def _tempo_scores(measured: float, truth: float) -> tuple[bool, bool]:
    """(within 8 % of truth or of its double/half, within 8 % of truth itself)."""
    ratios = [abs(measured / (truth * f) - 1.0) for f in (1.0, 2.0, 0.5, 1.5, 2 / 3)]
    return min(ratios[:3]) <= 0.08, ratios[0] <= 0.08


def _duration(path: Path) -> float:
    import soundfile

    return float(soundfile.info(str(path)).duration)


def evaluate(folder: Path, pieces: list[Piece]) -> dict:
    """Analyse every piece; report the accuracy figures and per-piece rows."""
    from emotune.music.library import analysis
    from emotune.music.library.placement import from_analysis, implied_emotion

    rows = []
    seconds = []
    cpu_seconds = []
    # The first track pays the JIT (or cache load); time it apart from the warm ones.
    start = time.perf_counter()
    analysis.analyze_file(folder / pieces[0].file)
    first = time.perf_counter() - start
    for piece in pieces:
        start, cpu = time.perf_counter(), time.process_time()
        result = analysis.analyze_file(folder / piece.file)
        seconds.append(time.perf_counter() - start)
        cpu_seconds.append(time.process_time() - cpu)
        tempo_ok, exact = _tempo_scores(result.tempo, piece.tempo)
        expected = implied_emotion(piece.tempo, piece.mode)
        placed = from_analysis(result).emotion
        rows.append(
            {
                "file": piece.file,
                "truth": f"{piece.tonic} {piece.mode} {piece.tempo:.0f}",
                "measured": f"{result.key} {result.tempo:.1f}",
                "tempo_confidence": getattr(result, "tempo_confidence", None),
                "mode_confidence": result.mode_strength,
                "mode_ok": result.mode == piece.mode,
                "tempo_ok": tempo_ok,
                "tempo_exact": exact,
                "expected": expected.key,
                "placed": placed.key,
                "energy": result.energy,
                "track_seconds": _duration(folder / piece.file),
            }
        )
    n = len(rows)

    def share(key: str) -> float:
        return round(100.0 * sum(r[key] for r in rows) / n, 1)

    for row in rows:
        row["placement_ok"] = row["expected"] == row["placed"]
    return {
        "pieces": n,
        "mode_pct": share("mode_ok"),
        "tempo_within_8pct_pct": share("tempo_ok"),
        "tempo_octave_exact_pct": share("tempo_exact"),
        "placement_agreement_pct": share("placement_ok"),
        "seconds_per_track_warm_median": round(statistics.median(seconds), 3),
        # CPU time is steadier than wall time on a shared machine
        "cpu_seconds_per_track_warm_median": round(statistics.median(cpu_seconds), 3),
        "track_seconds_median": round(statistics.median(r["track_seconds"] for r in rows), 1),
        "first_track_s": round(first, 2),
        "rows": rows,
    }


def first_track_cost(path: Path, *, empty_cache: bool) -> float:
    """Seconds to analyse ``path`` in a fresh process (import + JIT/cache load + analysis)."""
    env = dict(os.environ)
    with tempfile.TemporaryDirectory() as tmp:
        if empty_cache:
            env["NUMBA_CACHE_DIR"] = tmp
        code = (
            "import time,sys; t=time.perf_counter();"
            "from emotune.music.library import analysis; analysis.analyze_file(sys.argv[1]);"
            "print(time.perf_counter()-t)"
        )
        out = subprocess.run(
            [sys.executable, "-c", code, str(path)],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
    return float(out.stdout.strip().splitlines()[-1])


def _music(args: argparse.Namespace) -> dict:
    folder = Path(args.folder) if args.folder else default_folder()
    pieces = build(folder, args.count, log=lambda m: print(m, file=sys.stderr))
    if args.limit:
        pieces = pieces[: args.limit]
    if args.build_only:
        return {"folder": str(folder), "pieces": len(pieces)}
    report = evaluate(folder, pieces)
    report["folder"] = str(folder)
    if args.first_track:
        report["first_track_fresh_process_empty_cache_s"] = round(
            first_track_cost(folder / pieces[0].file, empty_cache=True), 2
        )
        report["first_track_fresh_process_warm_cache_s"] = round(
            first_track_cost(folder / pieces[0].file, empty_cache=False), 2
        )
    return report


# -- 100k scan ---------------------------------------------------------------------------------


def make_library(folder: Path, files: int, *, per_folder: int = 500) -> None:
    """``files`` tiny WAV files (a valid 44-byte header, no samples), ``per_folder`` per folder."""
    import struct

    header = (
        b"RIFF"
        + struct.pack("<I", 36)
        + b"WAVEfmt "
        + struct.pack("<IHHIIHH", 16, 1, 1, 8000, 16000, 2, 16)
        + b"data"
        + struct.pack("<I", 0)
    )
    for index in range(files):
        sub = folder / f"artist{index // per_folder:04d}"
        if index % per_folder == 0:
            sub.mkdir(parents=True, exist_ok=True)
        (sub / f"track{index:06d}.wav").write_bytes(header)


def _timed_scan(folder: Path, home: Path) -> tuple[float, float, float]:
    """(wall s, CPU s, peak RSS MB) of ``python -m emotune scan DIR`` in a fresh process.

    CPU time (user + system) is reported too: on a shared machine it is the steadier figure.
    """
    import resource

    env = dict(os.environ, EMOTUNE_HOME=str(home))
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    before, cpu_before = usage.ru_maxrss, usage.ru_utime + usage.ru_stime
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "emotune", "scan", "--no-progress", str(folder)],
        env=env,
        stdout=subprocess.DEVNULL,
        check=True,
    )
    wall = time.perf_counter() - start
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = usage.ru_utime + usage.ru_stime - cpu_before
    # ru_maxrss of children is the max over all children so far; runs go cold first, then warm.
    return wall, cpu, max(usage.ru_maxrss, before) / 1024.0


def _scan100k(args: argparse.Namespace) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        library, home = Path(tmp) / "library", Path(tmp) / "home"
        start = time.perf_counter()
        make_library(library, args.files)
        made = time.perf_counter() - start
        cold, cold_cpu, cold_rss = _timed_scan(library, home)
        warm_runs = [_timed_scan(library, home) for _ in range(args.repeats)]
    return {
        "files": args.files,
        "generate_s": round(made, 1),
        "cold_s": round(cold, 2),
        "cold_cpu_s": round(cold_cpu, 2),
        "cold_peak_rss_mb": round(cold_rss, 1),
        "warm_s_median": round(statistics.median(w for w, _, _ in warm_runs), 2),
        "warm_cpu_s_median": round(statistics.median(c for _, c, _ in warm_runs), 2),
        "peak_rss_mb_all_runs": round(max(r for _, _, r in warm_runs), 1),
    }


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point (see the module docstring)."""
    parser = argparse.ArgumentParser(prog="python -m emotune.devtools.music_benchmark")
    sub = parser.add_subparsers(dest="what", required=True)
    music = sub.add_parser("music", help="real-music accuracy benchmark")
    music.add_argument("--folder", default=None, help="set folder (default: EmoTune data folder)")
    music.add_argument("--count", type=int, default=48, help="pieces in the set (default 48)")
    music.add_argument("--limit", type=int, default=0, help="evaluate only the first N")
    music.add_argument("--build-only", action="store_true", help="render the set, do not analyse")
    music.add_argument(
        "--first-track",
        action="store_true",
        help="also time the first track in fresh processes (empty and warm numba cache)",
    )
    music.add_argument("--json", action="store_true", help="print JSON (with per-piece rows)")
    big = sub.add_parser("scan100k", help="time `emotune scan` on a generated library")
    big.add_argument("--files", type=int, default=100_000)
    big.add_argument("--repeats", type=int, default=3, help="warm runs (median reported)")
    big.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    report = _music(args) if args.what == "music" else _scan100k(args)
    if args.json:
        print(json.dumps(report, indent=1))
    else:
        for row in report.get("rows", []):
            flags = "".join(
                "." if row[k] else "x"
                for k in ("mode_ok", "tempo_ok", "tempo_exact", "placement_ok")
            )
            print(
                f"{flags} {row['file'][:40]:40} {row['truth']:18} -> {row['measured']:18} "
                f"{row['expected']:>8} -> {row['placed']}"
            )
        print(json.dumps({k: v for k, v in report.items() if k != "rows"}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
