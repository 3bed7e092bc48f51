"""Library ▸ Tag playing track as…: the explicit, background, atomic mood-tag write."""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path

import pytest

pytest.importorskip("PySide6")

from music_helpers import make_audio  # noqa: E402
from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtWidgets import QLabel  # noqa: E402
from ui_support import build_app, fake_tracks  # noqa: E402

from emotune.emotions import Emotion  # noqa: E402
from emotune.music.library.tags import read_tags  # noqa: E402


def _library_with(path: Path) -> list:
    tracks = fake_tracks(per_emotion=2)
    tracks[0] = dataclasses.replace(tracks[0], path=path, title="Real file")
    return tracks


def _click_emoji(qtbot, app, emotion: Emotion) -> None:
    qtbot.mouseClick(app.window.emoji_bar.buttons[emotion], Qt.MouseButton.LeftButton)
    app.sync()


def _banner_text(app, key: str) -> str:
    banner = app.window.banners.banner(key)
    return "" if banner is None else " ".join(label.text() for label in banner.findChildren(QLabel))


def _action(app, emotion_key: str):
    return next(a for a in app.window.tag_actions if a.data() == emotion_key)


def test_tagging_the_playing_track_writes_its_mood_and_rescans(qtbot, tmp_path):
    song = make_audio(tmp_path / "Lieder" / "Straße.ogg", seconds=0.4)
    app = build_app(qtbot, tmp_path, tracks=_library_with(song))
    try:
        # What "playing" means to the tag command: the track of the latest player snapshot.
        _click_emoji(qtbot, app, Emotion.HAPPY)
        qtbot.waitUntil(lambda: app.controller._playing_track() is not None, timeout=3000)
        assert app.controller._playing_track().emotion is Emotion.HAPPY
        scans = []
        app.controller.library.loaded.connect(lambda report: scans.append(report))
        app.controller.tagging._current_track = lambda: app.controller.tracks[0]
        _action(app, "sad").trigger()
        qtbot.waitUntil(lambda: "tagged" in _banner_text(app, "tag"), timeout=5000)
        assert read_tags(song).mood == "Sad"
        assert "Straße.ogg" in _banner_text(app, "tag") and "Sad" in _banner_text(app, "tag")
        qtbot.waitUntil(lambda: len(scans) == 1, timeout=5000)  # the library follows the new tag
    finally:
        app.close()


def test_a_failed_tag_write_says_why_and_leaves_the_file_alone(qtbot, tmp_path):
    fake = tmp_path / "notes.mp3"
    fake.write_text("Dear diary, this is a text file renamed to .mp3.\n" * 20)
    before = hashlib.sha256(fake.read_bytes()).hexdigest()
    app = build_app(qtbot, tmp_path)
    try:
        app.controller.tagging._current_track = lambda: dataclasses.replace(
            fake_tracks(1)[0], path=fake
        )
        _action(app, "happy").trigger()
        qtbot.waitUntil(lambda: "Could not tag" in _banner_text(app, "tag"), timeout=5000)
        assert "notes.mp3" in _banner_text(app, "tag") and "not changed" in _banner_text(app, "tag")
        assert hashlib.sha256(fake.read_bytes()).hexdigest() == before
        assert sorted(p.name for p in tmp_path.iterdir() if "emotune-tmp" in p.name) == []
    finally:
        app.close()


def test_tagging_with_nothing_playing_explains_instead_of_writing(qtbot, tmp_path):
    app = build_app(qtbot, tmp_path)
    try:
        app.controller.tagging._current_track = lambda: None
        _action(app, "").trigger()
        assert "Nothing is playing" in _banner_text(app, "tag")
    finally:
        app.close()


def test_every_emotion_and_clear_are_offered(qtbot, tmp_path):
    app = build_app(qtbot, tmp_path)
    try:
        assert [a.data() for a in app.window.tag_actions] == [e.key for e in Emotion] + [""]
    finally:
        app.close()


def test_a_rescan_asked_for_during_a_scan_runs_after_it(qtbot, tmp_path):
    import threading

    from emotune.music.library.scanner import ScanReport
    from emotune.settings import Settings
    from emotune.ui.library_control import LibraryControl
    from emotune.ui.main_window import MainWindow

    release = threading.Event()
    calls = []

    def slow_scan(folders=None, *, analyze=False, progress=None, cache=None):
        calls.append(len(calls))
        if len(calls) == 1:
            release.wait(5)  # the first scan is still reading when the tag lands
        return ScanReport(tracks=[])

    window = MainWindow()
    qtbot.addWidget(window)
    library = LibraryControl(window, Settings(tmp_path / "s.json"), [tmp_path], slow_scan)
    loaded = []
    library.loaded.connect(loaded.append)
    library.rescan()
    qtbot.waitUntil(lambda: len(calls) == 1, timeout=3000)
    library.rescan()  # e.g. a tag was just written
    library.rescan()  # several requests while busy still mean one more scan
    release.set()
    qtbot.waitUntil(lambda: len(loaded) == 2, timeout=5000)
    qtbot.wait(300)
    assert len(calls) == 2 and len(loaded) == 2
