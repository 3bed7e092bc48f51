"""The real-music benchmark on a small subset: four public-domain chorales rendered by a GM synth.

The full set (48 pieces) runs with ``python -m emotune.devtools.music_benchmark music``; CI renders four
to keep the rendering, labelling and scoring honest, and the analysis right on real scores.
"""

from __future__ import annotations

import json
import shutil

import pytest
from music_helpers import keep_numba_cache

from emotune.devtools import music_benchmark as benchmark

pytest.importorskip("music21")
pytest.importorskip("librosa")
if shutil.which("fluidsynth") is None or not any(
    p.exists() for p in benchmark.SOUND_FONT_CANDIDATES
):
    pytest.skip("fluidsynth and fluid-soundfont-gm are not installed", allow_module_level=True)


@pytest.fixture(scope="module", autouse=True)
def _persistent_numba_cache(request):
    keep_numba_cache(request)


@pytest.fixture(scope="module")
def small_set(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bench")
    return folder, benchmark.build(folder, 4, log=lambda _m: None)


def test_build_labels_pieces_from_the_score(small_set):
    folder, pieces = small_set
    assert len(pieces) == 4
    assert sorted(p.mode for p in pieces) == ["major", "major", "minor", "minor"]
    assert {p.sound for p in pieces} == {"piano", "strings"}
    labels = json.loads((folder / benchmark.LABELS).read_text())
    assert [entry["file"] for entry in labels] == [p.file for p in pieces]
    for piece in pieces:
        assert 60 <= piece.tempo <= 180
        assert (folder / piece.file).stat().st_size > 10_000
    # a second build finds everything in place and renders nothing
    before = {p.file: (folder / p.file).stat().st_mtime_ns for p in pieces}
    again = benchmark.build(folder, 4, log=lambda m: pytest.fail(f"re-rendered: {m}"))
    assert [p.file for p in again] == list(before)


def test_analysis_reads_the_rendered_scores(small_set):
    folder, pieces = small_set
    report = benchmark.evaluate(folder, pieces)
    print(json.dumps(report["rows"], indent=1))
    assert report["pieces"] == 4
    assert report["mode_pct"] >= 75.0
    assert report["tempo_within_8pct_pct"] >= 75.0
    assert report["placement_agreement_pct"] >= 50.0
    assert all(0.0 <= row["tempo_confidence"] <= 1.0 for row in report["rows"])


def test_tempo_scores_count_octaves_apart():
    assert benchmark._tempo_scores(120.0, 120.0) == (True, True)
    assert benchmark._tempo_scores(240.0, 120.0) == (True, False)
    assert benchmark._tempo_scores(61.0, 120.0) == (True, False)
    assert benchmark._tempo_scores(100.0, 120.0) == (False, False)
