"""File ▸ Preferences…: each change applies at once and is remembered."""

from __future__ import annotations

import pytest

pytest.importorskip("PySide6")

from ui_support import build_app  # noqa: E402

from emotune.settings import Settings  # noqa: E402
from emotune.ui.app import apply_option_settings, resolve_source  # noqa: E402
from emotune.ui.options import GuiOptions  # noqa: E402


@pytest.fixture
def app(qtbot, tmp_path):
    harness = build_app(qtbot, tmp_path)
    yield harness
    harness.close()


def _reopened(app) -> Settings:
    return Settings(app.settings.path)  # what the next run will read


def test_music_hold_is_saved_and_announced(app):
    dialog = app.controller.preferences.open()
    heard = []
    app.controller.preferences.music_hold_changed.connect(heard.append)
    assert dialog.hold.value() == pytest.approx(4.0)  # the default
    dialog.hold.setValue(7.5)
    assert heard == [7.5]
    assert _reopened(app).get("music_hold_s") == 7.5


def test_strategy_applies_to_the_dj_and_the_panel(app):
    dialog = app.controller.preferences.open()
    dialog.strategy.setCurrentIndex(dialog.strategy.findData("calm"))
    app.sync()
    assert app.dj.strategy == "calm"
    assert app.window.player.strategy.currentData() == "calm"
    assert _reopened(app).get("strategy") == "calm"


def test_camera_choice_and_start_off_are_remembered(app, monkeypatch):
    from emotune.ui import preferences

    monkeypatch.setattr(
        preferences, "camera_choices", lambda: [(0, "0: Built-in"), (2, "2: USB Camera")]
    )
    dialog = app.controller.preferences.open()
    assert [dialog.camera.itemText(i) for i in range(dialog.camera.count())] == [
        "0: Built-in",
        "2: USB Camera",
    ]
    dialog.camera.setCurrentIndex(1)
    assert _reopened(app).get("camera_index") == 2
    assert app.controller.camera.source_spec == "2"  # used when the camera is switched on
    dialog.camera_off.setChecked(True)
    assert _reopened(app).get("start_camera_off") is True
    assert resolve_source(GuiOptions(), _reopened(app)) is None  # next start: camera off


def test_folders_add_remove_rescan(app, tmp_path, qtbot):
    dialog = app.controller.preferences.open()
    rescans = []
    app.controller.library.loaded.connect(rescans.append)
    dialog.add_folder(str(tmp_path))
    assert _reopened(app).get("library_folders") == [str(tmp_path)]
    qtbot.waitUntil(lambda: len(rescans) >= 1, timeout=5000)
    dialog.folders.setCurrentRow(0)
    dialog.remove_button.click()
    assert _reopened(app).get("library_folders") == []


def test_audio_devices_come_from_the_backend_and_the_choice_reaches_it(app, qtbot):
    backend = app.dj.backend
    chosen = []
    backend.output_devices = lambda: [("hw:1", "USB Headset"), ("hw:0", "Speakers")]
    backend.set_output_device = chosen.append
    dialog = app.controller.preferences.open()
    qtbot.waitUntil(lambda: dialog.audio.count() == 3, timeout=3000)
    assert dialog.audio.itemText(1) == "USB Headset"
    dialog.audio.setCurrentIndex(1)
    app.sync()
    assert chosen == ["hw:1"]
    assert _reopened(app).get("audio_device") == "hw:1"
    dialog.audio.setCurrentIndex(0)
    app.sync()
    assert chosen[-1] is None and _reopened(app).get("audio_device") is None


def test_one_dialog_at_a_time(app):
    first = app.controller.preferences.open()
    assert app.controller.preferences.open() is first


def test_command_line_flags_set_the_same_settings(tmp_path):
    settings = Settings(tmp_path / "s.json")
    apply_option_settings(
        GuiOptions(music_hold=2.5, strategy="lift", audio_device="hw:2"), settings
    )
    assert (
        settings.get("music_hold_s"),
        settings.get("strategy"),
        settings.get("audio_device"),
    ) == (2.5, "lift", "hw:2")
    assert resolve_source(GuiOptions(camera_off=True), settings) is None
    assert resolve_source(GuiOptions(camera_off=True, camera="3"), settings) == "3"  # --camera wins
