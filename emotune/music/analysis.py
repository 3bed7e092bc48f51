"""Acoustic analysis for tracks that carry no mood tag: tempo, key/mode and energy.

The placement rule (see :mod:`emotune.music.placement`) follows the music-psychology finding the
project was seeded with: positive moods go with faster tempi and major mode, negative moods with
slower tempi and minor mode; loudness adds to arousal. So the analysis measures exactly those:

* tempo   - ``librosa.feature.tempo`` on the onset-strength envelope (autocorrelation tempogram);
* key     - mean ``chroma_cqt`` correlated with the 24 rotated Krumhansl-Kessler key profiles
  (the Krumhansl-Schmuckler key-finding algorithm); the best profile gives tonic and mode, the
  gap between the best major and the best minor fit says how sure the mode is;
* energy  - RMS level in dBFS, mapped onto 0..1.

librosa is an optional extra (``pip install emotune[analysis]``) and heavy to import, so it is
imported lazily; without it :func:`availability` says why and nothing crashes. librosa JIT-compiles
with numba on first use (tens of seconds); pointing ``NUMBA_CACHE_DIR`` into the user data folder
makes that a one-off cost per machine instead of per run.

Only an excerpt (default 30 s, at 11 025 Hz) of each track is analysed: tempo and key are stable
over a song, and it keeps one track to about a second of CPU.
"""

from __future__ import annotations

import math
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from emotune.paths import user_data_dir

ANALYSIS_VERSION = 1
"""Bump when the algorithm changes; cached results from older versions are then recomputed."""

DEFAULT_SR = 11025
DEFAULT_SECONDS = 30.0
_HOP = 256  # ~23 ms at 11 025 Hz: the usual onset-envelope resolution

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
        os.environ.setdefault("NUMBA_CACHE_DIR", str(user_data_dir() / "numba_cache"))
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


def analyze_signal(samples: np.ndarray, sr: int) -> AnalysisResult:
    """Analyse mono samples; raises AnalysisError for silence or clips under 3 s."""
    librosa = _load_librosa()
    y = np.asarray(samples, dtype=np.float32)
    if y.ndim != 1:
        y = y.mean(axis=0 if y.shape[0] < y.shape[-1] else 1)
    seconds = len(y) / sr
    if seconds < 3.0:
        raise AnalysisError(f"too short to analyse ({seconds:.1f} s)")
    rms = librosa.feature.rms(y=y, hop_length=_HOP)[0]
    mean_rms = float(np.sqrt(np.mean(rms**2)))
    if mean_rms < 1e-4:
        raise AnalysisError("silent")
    rms_db = 20.0 * math.log10(mean_rms)

    onset_env = librosa.onset.onset_strength(y=y, sr=sr, hop_length=_HOP)
    tempo = float(librosa.feature.tempo(onset_envelope=onset_env, sr=sr, hop_length=_HOP)[0])

    chroma = librosa.feature.chroma_cqt(y=y, sr=sr, hop_length=512)
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
    )


def analyze_file(
    path: Path,
    *,
    duration: float | None = None,
    seconds: float = DEFAULT_SECONDS,
    sr: int = DEFAULT_SR,
) -> AnalysisResult:
    """Decode an excerpt of ``path`` (see :func:`emotune.music.decode.clip_offset`) and analyse it.

    Raises AnalysisUnavailable without librosa, AnalysisError if the file can't be analysed.
    """
    _load_librosa()
    from emotune.music.decode import DecodeError, load_clip

    try:
        samples = load_clip(Path(path), sr, seconds, duration)
    except DecodeError as exc:
        # Decoders can be installed later (PyAV for M4A), so a decode failure is not final.
        raise AnalysisError(f"cannot decode: {exc}", permanent=False) from exc
    except OSError as exc:
        raise AnalysisError(f"cannot read: {exc.strerror or exc}", permanent=False) from exc
    return analyze_signal(samples, sr)


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
