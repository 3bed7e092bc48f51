"""Acoustic analysis: accuracy on synthesised pieces of known tempo and mode, files in every
decoder path, background analysis inside a scan, and graceful absence of librosa."""

from __future__ import annotations

import sys

import numpy as np
import pytest
from music_helpers import keep_numba_cache, make_audio

from emotune.devtools.encode import write_audio
from emotune.devtools.synth import STYLES, PieceSpec, render
from emotune.emotions import Emotion
from emotune.music.library import analysis
from emotune.music.library.scanner import scan

SR = analysis.DEFAULT_SR


@pytest.fixture(scope="module", autouse=True)
def _persistent_numba_cache(request):
    keep_numba_cache(request)


def _test_pieces() -> list[PieceSpec]:
    """Pieces unlike the demo library's: other seeds, keys and tempi drawn at random."""
    rng = np.random.default_rng(2024)
    styles = list(STYLES)
    pieces = []
    for i in range(14):
        pieces.append(
            PieceSpec(
                tonic=int(rng.integers(12)),
                mode="major" if i % 2 == 0 else "minor",
                tempo=round(float(rng.uniform(62, 165)), 1),
                seconds=16.0,
                style=styles[i % len(styles)],
                seed=9000 + i,
            )
        )
    return pieces


def _tempo_ok(measured: float, truth: float) -> bool:
    """Within 8 %, or within 8 % of double or half (the usual octave ambiguity)."""
    return any(abs(measured / (truth * f) - 1.0) <= 0.08 for f in (1.0, 2.0, 0.5))


def test_tempo_and_mode_accuracy_on_known_pieces():
    """Bars: mode right for >= 80 %, tempo within 8 % (or x2 / x0.5) for >= 80 %."""
    pieces = _test_pieces()
    mode_hits = tempo_hits = exact_tempo = 0
    lines = []
    for spec in pieces:
        result = analysis.analyze_signal(render(spec, SR), SR)
        mode_ok = result.mode == spec.mode
        tempo_ok = _tempo_ok(result.tempo, spec.tempo)
        mode_hits += mode_ok
        tempo_hits += tempo_ok
        exact_tempo += abs(result.tempo / spec.tempo - 1) <= 0.08
        lines.append(
            f"{spec.key_name:9} {spec.style:9} {spec.tempo:6.1f} BPM -> {result.key:9} "
            f"{result.tempo:6.1f} BPM  mode {'ok' if mode_ok else 'WRONG'}  "
            f"tempo {'ok' if tempo_ok else 'WRONG'}"
        )
    n = len(pieces)
    print("\n" + "\n".join(lines))
    print(
        f"mode {mode_hits}/{n} = {mode_hits / n:.0%}; tempo {tempo_hits}/{n} = "
        f"{tempo_hits / n:.0%} ({exact_tempo}/{n} without octave errors)"
    )
    assert mode_hits / n >= 0.8
    assert tempo_hits / n >= 0.8


@pytest.mark.parametrize("ext", [".mp3", ".flac", ".ogg", ".opus", ".m4a", ".wav"])
def test_every_format_decodes_for_analysis(tmp_path, ext):
    sr = 48000 if ext == ".opus" else 22050
    spec = PieceSpec(tonic=2, mode="major", tempo=120, seconds=8, style="bright", seed=77)
    path = tmp_path / f"piece{ext}"
    write_audio(path, render(spec, sr), sr)
    result = analysis.analyze_file(path, duration=8.0)
    assert result.mode == "major"
    assert _tempo_ok(result.tempo, 120)
    assert 7.0 <= result.seconds <= 8.1
    assert 0.0 < result.energy <= 1.0


def test_long_files_are_analysed_from_an_excerpt(tmp_path):
    from emotune.music.library.decode import clip_offset, load_clip

    path = make_audio(tmp_path / "long.flac", seconds=50.0)
    clip = load_clip(path, SR, seconds=10.0, duration=50.0)
    assert len(clip) == 10 * SR
    assert clip_offset(50.0, 10.0) == pytest.approx(40.0 / 3)
    assert clip_offset(8.0, 30.0) == 0.0


def test_silence_and_short_clips_are_analysis_errors():
    with pytest.raises(analysis.AnalysisError, match="silent"):
        analysis.analyze_signal(np.zeros(SR * 5, dtype=np.float32), SR)
    with pytest.raises(analysis.AnalysisError, match="too short"):
        analysis.analyze_signal(np.ones(SR, dtype=np.float32) * 0.1, SR)


def test_scan_analyses_untagged_tracks_in_the_background_and_caches(tmp_path):
    lib = tmp_path / "lib"
    lib.mkdir()
    fast_major = PieceSpec(tonic=7, mode="major", tempo=140, seconds=12, style="bright", seed=5)
    slow_minor = PieceSpec(
        tonic=4, mode="minor", tempo=64, seconds=15, style="soft", seed=8, gain_db=-6
    )
    write_audio(lib / "up.ogg", render(fast_major, 22050), 22050)
    write_audio(lib / "down.flac", render(slow_minor, 22050), 22050)
    (lib / "hiss.wav").write_bytes(b"")  # skipped, and never sent to analysis
    calls = []

    report = scan([lib], analyze=True, progress=lambda d, n, p: calls.append((d, n)))
    by_name = {t.path.name: t for t in report.tracks}
    up, down = by_name["up.ogg"], by_name["down.flac"]
    assert (up.source, down.source) == ("analysis", "analysis")
    assert up.emotion is Emotion.HAPPY and up.mode == "major" and up.valence > 0 < up.arousal
    assert down.emotion is Emotion.SAD and down.mode == "minor" and down.valence < 0 > down.arousal
    assert up.tempo and _tempo_ok(up.tempo, 140)
    assert report.analyzed == 2
    # 3 files probed (the empty one is skipped), then the total grows by the 2 analysed
    assert calls == [(1, 3), (2, 3), (3, 3), (4, 5), (5, 5)]
    # Later scans reuse the analysis, even without --analyze.
    again = scan([lib])
    assert again.analyzed == 0
    assert {t.path.name: t.emotion for t in again.tracks}["down.flac"] is Emotion.SAD


def test_without_librosa_analysis_is_reported_unavailable(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "librosa", None)  # "import librosa" now raises ImportError
    monkeypatch.setattr(analysis, "_librosa", None)
    monkeypatch.setattr(analysis, "_import_error", None)
    available, why = analysis.availability()
    assert not available and "librosa" in why
    make_audio(tmp_path / "x.flac", seconds=4.0)
    report = scan([tmp_path], analyze=True)
    assert len(report.tracks) == 1 and report.tracks[0].source == "default"
    assert report.analysis_unavailable and "librosa" in report.analysis_unavailable
    monkeypatch.setattr(analysis, "_import_error", None)  # let later tests import it for real


def test_failed_analyses_are_cached_only_when_final(tmp_path, monkeypatch):
    """A missing decoder is not final (retried next scan); silence is (cached)."""
    from emotune.music.library import decode

    write_audio(tmp_path / "silence.wav", np.zeros(22050 * 5, dtype=np.float32), 22050)
    write_audio(
        tmp_path / "music.flac", render(PieceSpec(0, "major", 120, seconds=6), 22050), 22050
    )

    def no_decoder(*args):
        raise ImportError("no decoder", name="imaginary")

    with monkeypatch.context() as patch:
        patch.setattr(decode, "_load_soundfile", no_decoder)
        patch.setattr(decode, "_load_pyav", no_decoder)
        first = scan([tmp_path], analyze=True)
    reasons = {p.name: r for p, r in first.analysis_failed}
    assert "cannot decode" in reasons["music.flac"] and "not installed" in reasons["music.flac"]
    assert first.analyzed == 0

    # The decoders are back (as after `pip install`): nothing was cached, so both are retried.
    second = scan([tmp_path], analyze=True)
    assert second.analyzed == 1  # music.flac
    reasons = {p.name: r for p, r in second.analysis_failed}
    assert reasons == {"silence.wav": "silent"}
    third = scan([tmp_path], analyze=True)
    assert third.analyzed == 0  # silence is final: cached, not decoded again
    assert {p.name: r for p, r in third.analysis_failed} == {"silence.wav": "silent"}


def test_warm_up_compiles_once_and_leaves_a_marker(tmp_path, monkeypatch):
    """The JIT warm-up writes a marker next to numba's cache; with it, nothing starts again."""
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path))  # only the marker's home here
    monkeypatch.setattr(analysis, "_warm_thread", None)
    seconds = analysis.warm_up()
    marker = tmp_path / f"warm-v{analysis.ANALYSIS_VERSION}"
    assert seconds > 0 and marker.exists()
    assert analysis.warm_up_in_background() is None  # warm already: no thread
    marker.unlink()
    thread = analysis.warm_up_in_background()
    assert thread is not None
    thread.join(timeout=120)
    assert marker.exists()


def test_tempo_confidence_and_refinement_on_a_steady_pulse():
    """A click track at 100 BPM: the refined tempo is exact and the confidence in 0..1."""
    sr = SR
    y = np.zeros(sr * 20, dtype=np.float32)
    for beat in np.arange(0.5, 19.5, 0.6):
        start = int(beat * sr)
        y[start : start + 400] += np.hanning(400).astype(np.float32) * np.sin(
            2 * np.pi * 880 * np.arange(400) / sr
        ).astype(np.float32)
    result = analysis.analyze_signal(y, sr)
    assert abs(result.tempo - 100.0) < 1.0
    assert 0.0 <= result.tempo_confidence <= 1.0


@pytest.mark.slow
def test_the_child_process_analyses_into_the_cache_and_counts(tmp_path):
    """What the window runs: the analysis in a child process (it holds the interpreter lock for
    long stretches), progress as lines, the results in the cache for an ordinary scan."""
    import threading

    from emotune.music.library.analysis_process import analyse_in_child

    lib = tmp_path / "lib"
    lib.mkdir()
    spec = PieceSpec(tonic=4, mode="minor", tempo=64, seconds=15, style="soft", seed=8, gain_db=-6)
    write_audio(lib / "down.flac", render(spec, 22050), 22050)
    assert scan([lib]).tracks[0].source == "default"  # nothing places it yet
    seen: list[tuple[int, int]] = []
    code = analyse_in_child(
        [lib], lambda done, total: seen.append((done, total)), threading.Event()
    )
    assert code == 0 and seen[-1] == (2, 2)  # one file read, then one track analysed
    track = scan([lib]).tracks[0]  # no analysis here: it comes from the cache the child filled
    assert track.source == "analysis" and track.tempo is not None and track.mode is not None


def test_a_cancelled_child_analysis_is_stopped(tmp_path):
    import threading

    from emotune.music.library.analysis_process import analyse_in_child

    cancelled = threading.Event()
    cancelled.set()
    assert analyse_in_child([tmp_path], lambda d, t: None, cancelled) is not None
