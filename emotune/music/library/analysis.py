"""Acoustic analysis for tracks that carry no mood tag: tempo, key/mode and energy.

The placement rule (see :mod:`emotune.music.library.placement`) follows the music-psychology finding the
project was seeded with: positive moods go with faster tempi and major mode, negative moods with
slower tempi and minor mode; loudness adds to arousal. So the analysis measures exactly those, at
22 050 Hz (at 11 025 Hz a real minor piece was read as major):

* tempo   - onset strength with the *median* aggregate over frequency bands (the aggregate
  ``librosa.beat.beat_track`` uses; the default mean let sustained partials blur the pulse), then
  ``librosa.feature.tempo`` gives a first estimate. Its octave (x0.5, x1, x2) is decided from three
  pieces of evidence: the autocorrelation tempogram of the onset envelope, the tempogram of the
  *harmonic-change* envelope (chroma flux: chords change on beats, rarely on every sub-beat) and
  a log-normal prior over tempi (centred at 130 BPM, near the preferred tempo listeners tap
  (Moelants 2002), 0.75 octave wide). The margin
  between the best and the runner-up score is the tempo confidence;
* key     - ``chroma_cqt`` averaged over the whole track (up to :data:`KEY_SECONDS`), correlated
  with the 24 rotated Krumhansl-Kessler key profiles (the Krumhansl-Schmuckler key-finding
  algorithm). Pieces modulate (a minor chorale spends its middle in the relative major), so the
  key comes from the whole track, not the 30 s excerpt; the gap between the best major and the
  best minor fit is the mode confidence (``mode_strength``);
* energy  - RMS level in dBFS, mapped onto 0..1.

librosa is an optional extra (``pip install emotune[analysis]``) and heavy to import, so it is
imported lazily; without it :func:`availability` says why and nothing crashes. librosa JIT-compiles
with numba on first use (about ten seconds); ``NUMBA_CACHE_DIR`` points into EmoTune's data folder
and :func:`warm_up_in_background` pays that once per machine, ahead of the first real track.

Tempo and energy use a 30 s excerpt; the key uses the whole track at a coarse hop (chroma needs
only a few frames a second).
"""

from __future__ import annotations

import contextlib
import math
import os
import tempfile
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from emotune.paths import UserDirError, user_data_dir

ANALYSIS_VERSION = 2
"""Bump when the algorithm changes; cached results from older versions are then recomputed."""

DEFAULT_SR = 22050
DEFAULT_SECONDS = 30.0
KEY_SECONDS = 120.0
"""Longest stretch of a track decoded for the key (a third of the way into longer ones)."""
_HOP = 512  # ~23 ms at 22 050 Hz: librosa's usual onset-envelope resolution
# Chroma is computed at half the rate (its top note, ~4 kHz, fits under 5.5 kHz) and ~22 frames a
# second: that more than halves the constant-Q transform's cost and measured the same on the
# benchmark (a 240 BPM beat is 4 Hz, well under the 10.8 Hz the frame rate resolves).
_CHROMA_SR, _CHROMA_HOP = DEFAULT_SR // 2, _HOP
_TEMPOGRAM_WINDOW = 384  # librosa's default tempogram window (frames, ~9 s)
# Octave decision (tuned on `python -m emotune.devtools.music_benchmark music` together with the synthesised
# test pieces, which have drums and change chords every bar, not every beat): weights of the log
# tempogram values, the floor under the harmonic one (a candidate whose chords do not change at
# its rate loses at most that much: many songs change chords only every bar), and the log-normal
# prior's centre and width in octaves.
_ONSET_WEIGHT, _HARMONIC_WEIGHT, _HARMONIC_FLOOR = 1.0, 0.5, -0.7
_PRIOR_BPM, _PRIOR_OCTAVES = 130.0, 0.75
_MIN_BPM, _MAX_BPM = 40.0, 240.0

NOTE_NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")

# Krumhansl & Kessler (1982) probe-tone profiles, tonic first.
MAJOR_PROFILE = np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88])
MINOR_PROFILE = np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17])

# RMS levels mapped to energy 0..1: -35 dBFS is very quiet, -8 dBFS is a loud modern master.
_QUIET_DB, _LOUD_DB = -35.0, -8.0


class AnalysisUnavailable(RuntimeError):
    """librosa (the ``analysis`` extra) is not installed or failed to import."""


class AnalysisError(RuntimeError):
    """One file could not be analysed (undecodable, silent, too short).

    ``permanent`` is False when the cause may go away without the file changing (a decoder that
    is not installed yet): such failures are not cached.
    """

    def __init__(self, message: str, *, permanent: bool = True) -> None:
        super().__init__(message)
        self.permanent = permanent


@dataclass(frozen=True)
class AnalysisResult:
    """What the analysis measured for one excerpt."""

    tempo: float  # BPM
    tonic: str  # e.g. "A"
    mode: str  # "major" or "minor"
    mode_strength: float  # 0..1: how clearly major or minor (gap between best fits)
    key_correlation: float  # -1..1: fit of the best key profile
    energy: float  # 0..1 relative loudness
    rms_db: float  # mean RMS in dBFS
    seconds: float  # length of the excerpt analysed
    tempo_confidence: float = 0.0  # 0..1: how clearly this tempo beat its octave alternatives
    version: int = ANALYSIS_VERSION

    @property
    def key(self) -> str:
        """E.g. ``"A minor"``."""
        return f"{self.tonic} {self.mode}"

    def to_dict(self) -> dict:
        """JSON-friendly dict (for the cache)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> AnalysisResult:
        """Inverse of :meth:`to_dict`; raises KeyError/TypeError on malformed data."""
        return cls(**data)


_librosa = None
_import_lock = threading.Lock()
_import_error: str | None = None


def _load_librosa():
    """Import librosa once, with numba's cache in the user data folder."""
    global _librosa, _import_error
    with _import_lock:
        if _librosa is not None:
            return _librosa
        if _import_error is not None:
            raise AnalysisUnavailable(_import_error)
        # numba reads this when it is first imported, so it must be set before librosa is.
        os.environ.setdefault("NUMBA_CACHE_DIR", str(_numba_cache_dir()))
        try:
            import librosa
        except Exception as exc:  # ImportError, or a broken numba/llvmlite install
            _import_error = f"librosa is not available ({exc}); install emotune[analysis]"
            raise AnalysisUnavailable(_import_error) from exc
        _librosa = librosa
        return librosa


def availability() -> tuple[bool, str]:
    """``(True, "")`` if analysis can run, else ``(False, reason)``. Imports librosa."""
    try:
        _load_librosa()
    except AnalysisUnavailable as exc:
        return False, str(exc)
    return True, ""


def estimate_key(chroma_mean: np.ndarray) -> tuple[int, str, float, float]:
    """Krumhansl-Schmuckler key finding on a 12-bin mean chroma vector.

    Returns ``(tonic_pitch_class, mode, best_correlation, mode_strength)``.
    """
    chroma = np.asarray(chroma_mean, dtype=float)
    if chroma.shape != (12,) or not np.any(chroma > 0):
        raise AnalysisError("no pitched content")
    scores: dict[str, np.ndarray] = {}
    for mode, profile in (("major", MAJOR_PROFILE), ("minor", MINOR_PROFILE)):
        # correlation of the chroma with the profile rotated to each of the 12 tonics
        rotated = np.stack([np.roll(profile, tonic) for tonic in range(12)])
        scores[mode] = np.array([np.corrcoef(chroma, row)[0, 1] for row in rotated])
    best_major = float(np.max(scores["major"]))
    best_minor = float(np.max(scores["minor"]))
    mode = "major" if best_major >= best_minor else "minor"
    tonic = int(np.argmax(scores[mode]))
    best = max(best_major, best_minor)
    # A gap of 0.15 in correlation is already a clear call in practice.
    strength = float(np.clip(abs(best_major - best_minor) / 0.15, 0.0, 1.0))
    return tonic, mode, best, strength


def energy_from_db(rms_db: float) -> float:
    """Map an RMS level in dBFS onto 0..1."""
    return float(np.clip((rms_db - _QUIET_DB) / (_LOUD_DB - _QUIET_DB), 0.0, 1.0))


def _tempogram_at(profile: np.ndarray, bpm: float, frame_rate: float) -> float:
    """The mean tempogram ``profile`` (indexed by lag in frames) read at ``bpm``, interpolated."""
    lag = 60.0 * frame_rate / bpm
    low = int(lag)
    if low + 1 >= len(profile):
        return float(max(profile[-1], 1e-6))
    frac = lag - low
    return float(max(profile[low] * (1 - frac) + profile[low + 1] * frac, 1e-6))


def estimate_tempo(y: np.ndarray, sr: int, chroma: np.ndarray) -> tuple[float, float]:
    """Tempo in BPM and its confidence 0..1 (see the module docstring for the method).

    ``chroma`` is the excerpt's chroma at the onset envelope's frame rate, for the
    harmonic-change envelope.
    """
    librosa = _load_librosa()
    onset_env = librosa.onset.onset_strength(y=y, sr=sr, hop_length=_HOP, aggregate=np.median)
    harmonic_env = librosa.onset.onset_strength(
        S=chroma, sr=_CHROMA_SR, hop_length=_CHROMA_HOP, lag=1, max_size=1
    )
    rates = (sr / _HOP, _CHROMA_SR / _CHROMA_HOP)
    tempograms = [
        # the same ~9 s window for both envelopes, whatever their frame rate
        librosa.feature.tempogram(
            onset_envelope=env, win_length=int(round(_TEMPOGRAM_WINDOW * rate / rates[0]))
        )
        for env, rate in zip((onset_env, harmonic_env), rates, strict=True)
    ]
    first = float(
        librosa.feature.tempo(
            tg=tempograms[0], sr=sr, hop_length=_HOP, start_bpm=100.0, std_bpm=1.0
        )[0]
    )
    profiles = [tempogram.mean(axis=1) for tempogram in tempograms]
    scored = []
    for factor in (0.5, 1.0, 2.0):
        bpm = first * factor
        if not _MIN_BPM <= bpm <= _MAX_BPM:
            continue
        prior = -0.5 * (math.log2(bpm / _PRIOR_BPM) / _PRIOR_OCTAVES) ** 2
        score = (
            _ONSET_WEIGHT * math.log(_tempogram_at(profiles[0], bpm, rates[0]))
            + _HARMONIC_WEIGHT
            * max(_HARMONIC_FLOOR, math.log(_tempogram_at(profiles[1], bpm, rates[1])))
            + prior
        )
        scored.append((score, bpm))
    if not scored:
        return first, 0.0
    scored.sort(reverse=True)
    best_score, best = scored[0]
    margin = best_score - scored[1][0] if len(scored) > 1 else 0.0
    # A log-score margin of 1 (the winner's evidence e times stronger) already reads as sure.
    return _refine(onset_env, best, sr), float(1.0 - math.exp(-max(0.0, margin)))


def _refine(onset_env: np.ndarray, bpm: float, sr: int) -> float:
    """``bpm`` refined on the onset envelope's autocorrelation over the whole excerpt.

    The tempogram's estimate sits on its integer lag grid (at 150 BPM neighbouring lags are 3 %
    apart). The autocorrelation peaks again at 2, 3 and 4 beat periods; the peak near four
    periods, located to a fraction of a frame (parabola through its top), divided by four, pins
    the period down four times finer. (librosa's beat tracker would do it too, but importing
    ``librosa.beat`` compiles uncached numba kernels, seconds in every new process.) A refinement
    that strays more than 4 % is ignored.
    """
    librosa = _load_librosa()
    env = onset_env - onset_env.mean()
    period = 60.0 * sr / (_HOP * bpm)
    beats = min(4, int((len(env) - 2) / period) - 1)  # keep the lag well inside the excerpt
    if beats < 1:
        return bpm
    ac = librosa.autocorrelate(env, max_size=int(beats * period * 1.05) + 3)
    centre = beats * period
    low = max(1, int(centre * 0.96))
    high = min(len(ac) - 2, int(np.ceil(centre * 1.04)))
    if high <= low:
        return bpm
    peak = low + int(np.argmax(ac[low : high + 1]))
    left, middle, right = ac[peak - 1], ac[peak], ac[peak + 1]
    curvature = left - 2 * middle + right
    shift = 0.5 * (left - right) / curvature if curvature < 0 else 0.0
    refined = 60.0 * sr / (_HOP * (peak + float(np.clip(shift, -0.5, 0.5))) / beats)
    return refined if abs(refined / bpm - 1.0) <= 0.04 else bpm


def analyze_signal(
    samples: np.ndarray, sr: int, *, excerpt: tuple[int, int] | None = None
) -> AnalysisResult:
    """Analyse mono samples; raises AnalysisError for silence or excerpts under 3 s.

    The key comes from all of ``samples``; tempo and energy from ``samples[start:stop]`` when
    ``excerpt=(start, stop)`` is given, else from all of it too.
    """
    librosa = _load_librosa()
    whole = _mono(samples)
    start, stop = excerpt if excerpt is not None else (0, len(whole))
    start = max(0, min(start, len(whole)))
    y = whole[start:stop]
    seconds = len(y) / sr
    if seconds < 3.0:
        raise AnalysisError(f"too short to analyse ({seconds:.1f} s)")
    rms = librosa.feature.rms(y=y, hop_length=_HOP)[0]
    mean_rms = float(np.sqrt(np.mean(rms**2)))
    if mean_rms < 1e-4:
        raise AnalysisError("silent")
    rms_db = 20.0 * math.log10(mean_rms)

    chroma = _chroma(whole, sr)
    per_frame = sr * _CHROMA_HOP // _CHROMA_SR  # input samples per chroma frame
    excerpt_chroma = chroma[:, start // per_frame : 1 + stop // per_frame]
    tempo, tempo_confidence = estimate_tempo(y, sr, excerpt_chroma)
    tonic, mode, correlation, strength = estimate_key(chroma.mean(axis=1))
    return AnalysisResult(
        tempo=round(tempo, 2),
        tonic=NOTE_NAMES[tonic],
        mode=mode,
        mode_strength=round(strength, 3),
        key_correlation=round(correlation, 3),
        energy=round(energy_from_db(rms_db), 3),
        rms_db=round(rms_db, 2),
        seconds=round(seconds, 2),
        tempo_confidence=round(tempo_confidence, 3),
    )


def _chroma(y: np.ndarray, sr: int) -> np.ndarray:
    """Constant-Q chroma at :data:`_CHROMA_SR`, hop :data:`_CHROMA_HOP`."""
    librosa = _load_librosa()
    if sr != _CHROMA_SR:
        y = librosa.resample(y, orig_sr=sr, target_sr=_CHROMA_SR, res_type="soxr_mq")
    # librosa estimates the tuning per track: skipping it (tuning=0) saved a tenth of the time but
    # cost a mode error on the benchmark.
    return librosa.feature.chroma_cqt(y=y, sr=_CHROMA_SR, hop_length=_CHROMA_HOP)


def _mono(samples: np.ndarray) -> np.ndarray:
    y = np.asarray(samples, dtype=np.float32)
    if y.ndim != 1:
        y = y.mean(axis=0 if y.shape[0] < y.shape[-1] else 1)
    return y


def analyze_file(
    path: Path,
    *,
    duration: float | None = None,
    seconds: float = DEFAULT_SECONDS,
    sr: int = DEFAULT_SR,
) -> AnalysisResult:
    """Decode ``path`` (up to :data:`KEY_SECONDS`) and analyse it: tempo and energy on an
    excerpt of ``seconds`` (see :func:`emotune.music.library.decode.clip_offset`), key on all of it.

    Raises AnalysisUnavailable without librosa, AnalysisError if the file can't be analysed.
    """
    _load_librosa()
    from emotune.music.library.decode import DecodeError, clip_offset, load_clip

    try:
        whole = load_clip(Path(path), sr, KEY_SECONDS, duration)
    except DecodeError as exc:
        # Decoders can be installed later (PyAV for M4A), so a decode failure is not final.
        raise AnalysisError(f"cannot decode: {exc}", permanent=False) from exc
    except OSError as exc:
        raise AnalysisError(f"cannot read: {exc.strerror or exc}", permanent=False) from exc
    start = int(clip_offset(len(whole) / sr, seconds) * sr)
    return analyze_signal(whole, sr, excerpt=(start, start + int(seconds * sr)))


def warm_up() -> float:
    """Compile (or load from the numba cache) every JIT kernel the analysis uses; seconds taken.

    Runs the analysis once on a few seconds of synthetic clicks and tones.
    """
    import time

    start = time.perf_counter()
    _load_librosa()
    sr = DEFAULT_SR
    t = np.arange(int(4.0 * sr)) / sr
    y = 0.2 * np.sin(2 * np.pi * 220.0 * t) * (1.0 + np.sign(np.sin(2 * np.pi * 2.0 * t))) / 2
    analyze_signal(np.tile(y, 2).astype(np.float32), sr, excerpt=(0, len(y)))
    elapsed = time.perf_counter() - start
    with contextlib.suppress(OSError):  # a read-only cache folder only means no marker
        _warm_marker().write_text(f"{elapsed:.2f}\n")
    return elapsed


def _warm_marker() -> Path:
    return (
        Path(os.environ.get("NUMBA_CACHE_DIR") or _numba_cache_dir()) / f"warm-v{ANALYSIS_VERSION}"
    )


def _numba_cache_dir() -> Path:
    """numba's cache, inside EmoTune's data folder (one JIT per machine, not per run); a private
    temporary folder for this run when that folder is unusable (EMOTUNE_HOME a file, read-only):
    numba would otherwise write next to librosa, outside EmoTune's folders."""
    global _fallback_cache
    try:
        return user_data_dir() / "numba_cache"
    except UserDirError:
        if _fallback_cache is None:
            _fallback_cache = Path(tempfile.mkdtemp(prefix="emotune-numba-"))
        return _fallback_cache


_fallback_cache: Path | None = None


_warm_thread: threading.Thread | None = None


def warm_up_in_background() -> threading.Thread | None:
    """Start :func:`warm_up` in a daemon thread unless this machine is warm already.

    Returns the thread (None when the marker says it is warm). Cheap on the calling thread (one
    ``stat``): librosa is imported in the new thread, so the GUI thread may call this. Called
    when the window starts and at install (``make setup``), so the first real track costs a
    second or two, not the JIT compilation.
    """
    global _warm_thread
    if _warm_thread is not None:
        return _warm_thread
    if _warm_marker().exists():
        return None

    def work() -> None:
        # warming is an optimisation; the real analysis reports real errors (or unavailability)
        with contextlib.suppress(Exception):
            if availability()[0]:
                warm_up()

    _warm_thread = threading.Thread(target=work, name="emotune-analysis-warm-up", daemon=True)
    _warm_thread.start()
    return _warm_thread


def default_workers() -> int:
    """Worker threads for batch analysis: half the cores, at least one, at most four.

    Half, because the app (camera, model, GUI) must stay responsive while the library is analysed.
    """
    return max(1, min(4, (os.cpu_count() or 2) // 2))


def analyze_many(
    items: Sequence[tuple[Path, float | None]],
    *,
    workers: int | None = None,
    progress: Callable[[int, int, Path], None] | None = None,
) -> dict[Path, AnalysisResult | AnalysisError]:
    """Analyse ``(path, duration)`` pairs in a background thread pool.

    Returns a result or the AnalysisError per path; never raises for a single bad file.
    Raises AnalysisUnavailable (before any work) if librosa is missing. ``progress(done, total,
    path)`` is called from the calling thread as each file finishes; an exception raised by it
    cancels the remaining work and propagates.
    """
    _load_librosa()  # fail fast, and import once before the threads race to do it
    results: dict[Path, AnalysisResult | AnalysisError] = {}
    total = len(items)
    if not total:
        return results
    # Threads, not processes: the heavy lifting (FFTs, soxr, numba kernels) releases the GIL
    # well enough, and threads avoid re-importing librosa and re-loading numba per process.
    with ThreadPoolExecutor(max_workers=workers or default_workers()) as pool:
        futures = {
            pool.submit(analyze_file, path, duration=duration): path for path, duration in items
        }
        try:
            for done, future in enumerate(as_completed(futures), start=1):
                path = futures[future]
                try:
                    results[path] = future.result()
                except AnalysisError as exc:
                    results[path] = exc
                except Exception as exc:  # a librosa bug on one odd file must not stop the rest
                    results[path] = AnalysisError(f"{type(exc).__name__}: {exc}")
                if progress is not None:
                    progress(done, total, path)
        except BaseException:
            for future in futures:
                future.cancel()
            raise
    return results


if (
    __name__ == "__main__"
):  # `python -m emotune.music.library.analysis`: warm the JIT cache (make setup)
    ok, why = availability()
    print(f"analysis warmed up in {warm_up():.1f} s" if ok else f"analysis unavailable: {why}")
