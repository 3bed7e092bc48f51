"""The fault table's window cases: garbage settings, stale banners, an unusable EMOTUNE_HOME."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtWidgets import QLabel  # noqa: E402
from ui_support import build_app, fake_tracks  # noqa: E402

from emotune.emotions import Emotion  # noqa: E402
from emotune.settings import Setting  # noqa: E402

REPO = Path(__file__).resolve().parent.parent

GARBAGE_SETTINGS = [
    '{"volume": "loud"}',
    '{"volume": null, "strategy": null}',
    '{"volume": 1e10, "strategy": "shuffle", "camera_index": -4}',
    '{"volume": NaN, "window_geometry": 12, "library_folders": "/music", "last_source": [1]}',
    '{"volume": true, "strategy": ["match"], "unknown_future_key": {"x": 1}}',
    "[]",
    "not json at all {",
    "\x00\xff\xfe garbage",
]


@pytest.mark.parametrize("content", GARBAGE_SETTINGS)
def test_window_starts_with_garbage_settings_and_shows_the_defaults(qtbot, tmp_path, content):
    (tmp_path / "settings.json").write_text(content, encoding="latin-1")
    app = build_app(qtbot, tmp_path)
    try:
        assert app.window.player.volume.value() == Setting.VOLUME.default
        assert app.window.player.strategy.currentData() == Setting.STRATEGY.default
        assert app.dj.strategy == Setting.STRATEGY.default
        assert app.controller.restore_geometry() is False  # nothing usable saved
    finally:
        app.close()


def _banner_text(app, key: str) -> str | None:
    banner = app.window.banners.banner(key)
    return (
        None if banner is None else " ".join(label.text() for label in banner.findChildren(QLabel))
    )


def test_no_tracks_banner_goes_when_another_mood_is_pinned(qtbot, tmp_path):
    no_angry = [t for t in fake_tracks() if t.emotion is not Emotion.ANGRY]
    app = build_app(qtbot, tmp_path, tracks=no_angry)
    try:
        qtbot.waitUntil(lambda: len(app.dj.recommender.tracks) == len(no_angry), timeout=5000)
        qtbot.mouseClick(app.window.emoji_bar.buttons[Emotion.ANGRY], Qt.MouseButton.LeftButton)
        app.sync()
        qtbot.waitUntil(lambda: _banner_text(app, "library-mood") is not None, timeout=3000)
        assert "No tracks tagged 'angry'" in _banner_text(app, "library-mood")
        qtbot.mouseClick(app.window.emoji_bar.buttons[Emotion.HAPPY], Qt.MouseButton.LeftButton)
        app.sync()
        qtbot.waitUntil(lambda: _banner_text(app, "library-mood") is None, timeout=3000)
        # ... and comes back for a mood that has no tracks again.
        qtbot.mouseClick(app.window.emoji_bar.buttons[Emotion.ANGRY], Qt.MouseButton.LeftButton)
        app.sync()
        qtbot.waitUntil(lambda: _banner_text(app, "library-mood") is not None, timeout=3000)
    finally:
        app.close()


def _run_window(env: dict[str, str], seconds: float = 3.0) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "emotune", "--no-audio", "--quit-after", str(seconds)],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen", **env},
        timeout=120,
    )


def test_window_starts_when_emotune_home_is_a_file_and_says_so(tmp_path):
    blocker = tmp_path / "home"
    blocker.write_text("keep me")
    result = _run_window({"EMOTUNE_HOME": str(blocker)})
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert f"EMOTUNE_HOME={blocker} is a file, not a folder" in result.stderr
    assert "settings are kept for this session only" in result.stderr
    assert blocker.read_text() == "keep me"


def test_window_with_garbage_settings_file_starts(tmp_path):
    home = tmp_path / "home"
    (home / "config").mkdir(parents=True)
    (home / "config" / "settings.json").write_text(json.dumps({"volume": "loud", "strategy": None}))
    result = _run_window({"EMOTUNE_HOME": str(home)})
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert "setting 'volume': bad value 'loud'" in result.stderr
