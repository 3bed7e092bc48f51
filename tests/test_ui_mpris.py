"""MPRIS2 driven over a private session bus, as the desktop's media controls would drive it."""

from __future__ import annotations

import pytest

pytest.importorskip("PySide6.QtDBus")

from dbus_support import Client, connect, dbus_send, dbus_send_map, private_bus  # noqa: E402,F401 (fixture)
from ui_support import build_app  # noqa: E402

from emotune.emotions import Emotion  # noqa: E402
from emotune.ui import mpris  # noqa: E402

PLAYER = mpris.PLAYER_INTERFACE
ROOT = mpris.ROOT_INTERFACE


@pytest.fixture
def mpris_app(qtbot, tmp_path, private_bus):  # noqa: F811 (fixture)
    app = build_app(qtbot, tmp_path)
    service, problem = mpris.start_mpris(
        app.controller.player, connection=connect(private_bus, "service"), quit_app=app.window.close
    )
    assert problem is None and service is not None
    client = Client(connect(private_bus, "client"), mpris.SERVICE, mpris.OBJECT_PATH)
    client.metadata = lambda: dbus_send_map(
        private_bus, mpris.SERVICE, mpris.OBJECT_PATH, PLAYER, "Metadata"
    )
    try:
        yield app, service, client
    finally:
        service.close()
        app.close()


def _start_music(app) -> None:
    app.controller.choose_mood(Emotion.HAPPY)  # pins a mood and starts playing
    app.sync()


def test_registers_the_name_with_root_and_player_interfaces(mpris_app):
    app, service, client = mpris_app
    bus = Client(client.connection, "org.freedesktop.DBus", "/org/freedesktop/DBus")
    (names,) = bus.call("org.freedesktop.DBus", "ListNames")
    assert mpris.SERVICE in names
    assert client.get(ROOT, "Identity") == "EmoTune"
    assert client.get(ROOT, "CanQuit") is True
    assert client.get(PLAYER, "CanControl") is True
    (xml,) = client.call("org.freedesktop.DBus.Introspectable", "Introspect")
    for method in ("PlayPause", "Play", "Pause", "Next", "Previous", "Stop", "Seek", "SetPosition"):
        assert f'<method name="{method}"' in xml


def test_play_pause_changes_playback_status_and_signals_it(mpris_app):
    app, _service, client = mpris_app
    client.watch_properties()
    _start_music(app)
    client.wait_for(lambda: client.get(PLAYER, "PlaybackStatus") == "Playing")
    client.call(PLAYER, "PlayPause")
    app.sync()
    client.wait_for(lambda: client.get(PLAYER, "PlaybackStatus") == "Paused")
    assert not app.window.player.playing
    client.wait_for(lambda: any(s[1].get("PlaybackStatus") == "Paused" for s in client.signals))
    client.call(PLAYER, "Play")
    app.sync()
    client.wait_for(lambda: client.get(PLAYER, "PlaybackStatus") == "Playing")
    client.call(PLAYER, "Stop")
    app.sync()
    client.wait_for(lambda: client.get(PLAYER, "PlaybackStatus") == "Stopped")


def test_next_changes_the_metadata_title(mpris_app):
    app, _service, client = mpris_app
    _start_music(app)
    client.wait_for(lambda: "xesam:title" in client.metadata())
    before = client.metadata()
    playing = app.dj.snapshot(history=0)
    assert before["xesam:title"] == playing.current.track.title
    assert before["xesam:artist"] == [playing.current.track.artist]
    assert before["xesam:album"] == playing.current.track.album
    assert before["mpris:length"] == int(playing.current.track.duration * 1_000_000)
    upcoming_title = playing.upcoming[0].track.title
    assert client.get(PLAYER, "CanGoNext") is True
    client.call(PLAYER, "Next")
    app.sync()
    client.wait_for(lambda: client.metadata()["xesam:title"] == upcoming_title)
    assert client.metadata()["mpris:trackid"] != before["mpris:trackid"]


def test_volume_set_over_dbus_shows_in_the_window(mpris_app):
    app, _service, client = mpris_app
    _start_music(app)
    client.set(PLAYER, "Volume", 0.35)
    app.sync()
    assert app.window.player.volume.value() == 35
    assert app.dj.volume == 35
    assert client.get(PLAYER, "Volume") == pytest.approx(0.35)
    app.window.player.volume.setValue(60)  # and the other way: the slider is what D-Bus reads
    app.sync()
    assert client.get(PLAYER, "Volume") == pytest.approx(0.60)


def test_seek_and_set_position_move_the_track(mpris_app, private_bus):  # noqa: F811 (fixture)
    app, _service, client = mpris_app

    def send(method: str, *args: str) -> None:
        dbus_send(private_bus, mpris.SERVICE, mpris.OBJECT_PATH, f"{PLAYER}.{method}", *args)

    _start_music(app)
    client.call(PLAYER, "Pause")
    app.sync()
    track_id = client.metadata()["mpris:trackid"]
    send("SetPosition", "objpath:/org/emotune/track/999999", "int64:5000000")  # not playing
    app.sync()
    assert app.dj.backend.position == pytest.approx(0.0, abs=0.5)
    send("SetPosition", f"objpath:{track_id}", "int64:30000000")
    app.sync()
    assert app.dj.backend.position == pytest.approx(30.0, abs=0.5)
    send("Seek", "int64:10000000")
    app.sync()
    assert app.dj.backend.position == pytest.approx(40.0, abs=0.5)
    assert client.get(PLAYER, "Position") == pytest.approx(40_000_000, abs=500_000)


def test_no_session_bus_means_mpris_off_with_a_reason(qtbot, tmp_path):
    from PySide6.QtDBus import QDBusConnection

    app = build_app(qtbot, tmp_path)
    try:
        dead = QDBusConnection.connectToBus(
            "unix:path=/nonexistent/emotune-bus", "emotune-test-dead"
        )
        service, problem = mpris.start_mpris(app.controller.player, connection=dead)
        assert service is None
        assert problem and "no session bus" in problem
    finally:
        app.close()
