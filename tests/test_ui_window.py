"""The main window driven like a user would: emoji buttons, Auto, transport, keys, layout."""

from __future__ import annotations

import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtWidgets import QAbstractButton, QLabel, QWidget  # noqa: E402
from ui_support import build_app  # noqa: E402

from emotune.emotions import EMOTIONS, Emotion  # noqa: E402
from emotune.music.playback.backends import PlayerState  # noqa: E402
from emotune.ui.mood_view import percent  # noqa: E402
from emotune.ui.widgets.banner import BannerLevel  # noqa: E402


def _click(qtbot, widget: QWidget, app=None) -> None:
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)
    if app is not None:
        app.sync()  # DJ commands run on the player thread


def _key(qtbot, app, key, modifier=Qt.KeyboardModifier.NoModifier) -> None:
    qtbot.keyClick(app.window, key, modifier)
    app.sync()


@pytest.mark.parametrize("emotion", [Emotion.HAPPY, Emotion.SAD, Emotion.ANGRY])
def test_clicking_an_emoji_changes_the_queues_emotion(qtbot, tmp_path, emotion):
    app = build_app(qtbot, tmp_path)
    try:
        _click(qtbot, app.window.emoji_bar.buttons[emotion], app)
        # The DJ re-plans at once; the queue widget follows through a queued signal.
        assert app.upcoming_emotions() and set(app.upcoming_emotions()) == {emotion}
        qtbot.waitUntil(
            lambda: app.shown_queue_emotions() and set(app.shown_queue_emotions()) == {emotion},
            timeout=3000,
        )
        assert app.dj.pinned
        assert app.window.mood_header.view.pinned
        assert app.window.emoji_bar.selected() is emotion
        # Choosing a mood starts the music when nothing is playing yet.
        assert app.dj.backend.state is PlayerState.PLAYING
        qtbot.waitUntil(lambda: app.window.player.chip.emotion is emotion, timeout=3000)
    finally:
        app.close()


def test_auto_goes_back_to_the_cameras_mood(qtbot, tmp_path):
    app = build_app(qtbot, tmp_path, camera=Emotion.SAD)
    try:
        # The fake camera's face reads sad; the filter declares it and the music follows.
        qtbot.waitUntil(lambda: app.controller.music_mood is Emotion.SAD, timeout=8000)
        qtbot.waitUntil(lambda: set(app.upcoming_emotions()) == {Emotion.SAD}, timeout=3000)
        _click(qtbot, app.window.emoji_bar.buttons[Emotion.HAPPY], app)
        assert set(app.upcoming_emotions()) == {Emotion.HAPPY}
        _click(qtbot, app.window.emoji_bar.auto_button, app)
        assert not app.dj.pinned
        assert set(app.upcoming_emotions()) == {Emotion.SAD}
        qtbot.waitUntil(lambda: set(app.shown_queue_emotions()) == {Emotion.SAD}, timeout=3000)
        assert app.window.emoji_bar.selected() is None
        assert not app.window.mood_header.view.pinned
        assert app.window.mood_header.view.emotion is Emotion.SAD
    finally:
        app.close()


def _on_screen(app) -> tuple:
    """(header title, header percent or None, face label, highlighted bar, its printed percent)."""
    header = app.window.mood_header
    detail = header.detail.text()
    header_pct = int(detail.split("%")[0]) if "% sure" in detail else None
    label = app.window.video.primary_label()
    chart = app.window.chart
    leader = chart.leading()
    bar_pct = percent(chart.displayed()[leader.value]) if leader is not None else None
    return header.name.text(), header_pct, label[1] if label else None, leader, bar_pct


def test_header_face_label_and_highlighted_bar_read_one_snapshot(qtbot, tmp_path):
    """The three never name different emotions or numbers, through a change of expression, a
    weaker reading and the face leaving (the contradictions seen in 3 of 19 screenshots)."""
    app = build_app(qtbot, tmp_path, camera=Emotion.SAD)
    try:
        qtbot.waitUntil(
            lambda: app.controller.mood is not None and app.controller.mood.mood is Emotion.SAD,
            timeout=8000,
        )
        seen = []

        def watch(ms: int) -> None:
            for _ in range(ms // 15):
                qtbot.wait(15)
                seen.append(_on_screen(app))

        watch(300)
        app.pipeline.strength = 0.6
        watch(600)
        app.pipeline.emotion = Emotion.HAPPY
        watch(2000)
        app.pipeline.face_visible = False
        watch(2200)
        for title, header_pct, label, leader, bar_pct in seen:
            if header_pct is not None:  # the header names a mood it is sure of
                # The face box (when a face is drawn at all) and the highlighted bar say the same.
                assert label in (None, f"{title} {header_pct}%"), seen
                assert leader is not None and leader.label == title and bar_pct == header_pct, seen
            if title == "Uncertain":
                assert label in (None, "Uncertain"), seen
        assert sum(label == f"{title} {pct}%" for title, pct, label, _, _ in seen) > 20
        titles = [title for title, *_ in seen]
        assert "Sad" in titles and "Happy" in titles and titles[-1] == "No face"
        assert app.window.chart.leading() is None  # nobody in view: no bar is highlighted
    finally:
        app.close()


def test_the_header_says_when_the_music_will_follow(qtbot, tmp_path):
    """A clear change shows at once; the music re-plans only after the hold, and the header says
    so in the meantime ("Happy · the music follows in 3 s")."""
    app = build_app(qtbot, tmp_path, camera=Emotion.SAD)
    header = app.window.mood_header
    try:
        qtbot.waitUntil(lambda: app.controller.music_mood is Emotion.SAD, timeout=8000)
        qtbot.waitUntil(lambda: set(app.upcoming_emotions()) == {Emotion.SAD}, timeout=3000)
        app.pipeline.emotion = Emotion.HAPPY
        qtbot.waitUntil(lambda: header.name.text() == "Happy", timeout=3000)
        assert "the music follows in" in header.detail.text()
        assert app.controller.music_mood is Emotion.SAD and set(app.upcoming_emotions()) == {
            Emotion.SAD
        }
        qtbot.waitUntil(lambda: app.controller.music_mood is Emotion.HAPPY, timeout=8000)
        qtbot.waitUntil(lambda: set(app.upcoming_emotions()) == {Emotion.HAPPY}, timeout=3000)
        qtbot.waitUntil(lambda: header.detail.text().endswith("music for happy"), timeout=2000)
    finally:
        app.close()


def test_play_pause_next_previous_reach_the_backend(qtbot, tmp_path):
    app = build_app(qtbot, tmp_path)
    backend = app.dj.backend
    panel = app.window.player
    try:
        assert backend.state is PlayerState.EMPTY
        _click(qtbot, panel.play_button, app)
        assert backend.state is PlayerState.PLAYING
        qtbot.waitUntil(lambda: panel.playing, timeout=3000)
        first = backend.current
        _click(qtbot, panel.play_button, app)
        assert backend.state is PlayerState.PAUSED
        qtbot.waitUntil(lambda: not panel.playing, timeout=3000)
        _click(qtbot, panel.next_button, app)
        assert backend.current is not None and backend.current != first
        second = backend.current
        _click(qtbot, panel.previous_button, app)
        assert backend.current == first
        assert second != first
        # The seek bar and the volume slider reach the backend too.
        _click(qtbot, panel.play_button, app)
        panel.seek_requested.emit(30.0)
        app.sync()
        assert backend.position == pytest.approx(30.0, abs=0.5)
        panel.volume.setValue(35)
        app.sync()
        assert backend.volume == 35
    finally:
        app.close()


def test_keyboard_shortcuts(qtbot, tmp_path):
    app = build_app(qtbot, tmp_path)
    backend = app.dj.backend
    window = app.window
    try:
        window.activateWindow()
        _key(qtbot, app, Qt.Key.Key_Space)
        assert backend.state is PlayerState.PLAYING
        _key(qtbot, app, Qt.Key.Key_Space)
        assert backend.state is PlayerState.PAUSED
        before = backend.current
        _key(qtbot, app, Qt.Key.Key_Right, Qt.KeyboardModifier.ControlModifier)
        assert backend.current != before
        _key(qtbot, app, Qt.Key.Key_Left, Qt.KeyboardModifier.ControlModifier)
        assert backend.current == before
        for number, emotion in enumerate(EMOTIONS, start=1):
            _key(qtbot, app, Qt.Key(Qt.Key.Key_0 + number))
            assert app.controller.pinned is emotion
            assert set(app.upcoming_emotions()) == {emotion}
        _key(qtbot, app, Qt.Key.Key_0)
        assert app.controller.pinned is None and not app.dj.pinned
        # Media keys, where the platform sends them.
        state = backend.state
        _key(qtbot, app, Qt.Key.Key_MediaTogglePlayPause)
        assert backend.state is not state
        current = backend.current
        _key(qtbot, app, Qt.Key.Key_MediaNext)
        assert backend.current != current
    finally:
        app.close()


def test_volume_strategy_and_geometry_are_remembered(qtbot, tmp_path):
    app = build_app(qtbot, tmp_path, size=(1100, 700))
    try:
        app.window.player.volume.setValue(42)
        index = app.window.player.strategy.findData("calm")
        app.window.player.strategy.setCurrentIndex(index)
        app.sync()
        assert app.dj.strategy == "calm"
    finally:
        app.close()
    assert app.settings.get("volume") == 42
    assert app.settings.get("strategy") == "calm"
    assert isinstance(app.settings.get("window_geometry"), str)

    again = build_app(qtbot, tmp_path, size=(1280, 800))
    try:
        assert again.controller.restore_geometry()
        # Qt may shrink a restored window to fit the (virtual) screen, so check the height only.
        assert again.window.height() == 700
        assert again.window.player.volume.value() == 42
        assert again.window.player.strategy.currentData() == "calm"
    finally:
        again.close()


def _squeezed(window: QWidget) -> list[str]:
    """Visible widgets smaller than their minimum size hint (height-for-width aware)."""
    problems = []
    for child in window.findChildren(QWidget):
        if not child.isVisible():
            continue
        hint = child.minimumSizeHint()
        if not hint.isValid():
            continue
        need_h = hint.height()
        if child.hasHeightForWidth():
            hfw = child.heightForWidth(child.width())
            if hfw > 0:
                need_h = min(need_h, hfw)
        if child.width() < hint.width() or child.height() < need_h:
            label = (
                child.text() if isinstance(child, (QAbstractButton, QLabel)) else child.objectName()
            )
            problems.append(
                f"{type(child).__name__}({label!r}) {child.width()}x{child.height()} < {hint.width()}x{need_h}"
            )
    return problems


def test_layout_stays_readable_at_1024x640(qtbot, tmp_path):
    app = build_app(qtbot, tmp_path, size=(1024, 640))
    window = app.window
    try:
        # A realistic worst case: a banner, a long title and a full queue.
        window.banners.show_banner(
            "camera",
            "No camera found. Music still plays: pick a mood with the emoji buttons.",
            BannerLevel.WARNING,
            ("Open video…", lambda: None),
        )
        _click(qtbot, window.emoji_bar.buttons[Emotion.SURPRISE])
        app.sync()
        window.player.set_track(
            "A Rather Long Title That Keeps Going And Going",
            "Artist",
            "Album",
            Emotion.SURPRISE,
            "surprise → match: 150 bpm, major",
            200,
        )
        qtbot.wait(200)
        assert (window.width(), window.height()) == (1024, 640)
        assert _squeezed(window) == []
        # Key labels are shown, not elided to nothing.
        for label in (window.player.title, window.player.artist, window.player.reason):
            shown = label.visible_text()
            assert len(shown.rstrip("…")) >= 8, (label.text(), shown)
        for button in [window.emoji_bar.auto_button, *window.emoji_bar.buttons.values()]:
            assert button.width() >= button.sizeHint().width(), button.text()
        assert window.chart.height() >= window.chart.minimumSizeHint().height()
        assert window.video.width() >= 240 and window.video.height() >= 150
        assert window.queue.height() >= window.queue.minimumSizeHint().height()
        assert window.timeline.height() >= window.timeline.minimumSizeHint().height()
        assert window.statusBar().isVisible() and window.fps_label.isVisible()
    finally:
        app.close()


def test_window_opens_and_plays_without_a_camera(qtbot, tmp_path):
    app = build_app(qtbot, tmp_path)  # no vision worker at all: like a machine without a webcam
    try:
        assert not app.window.mood_header.view.capturing
        assert not app.window.video.capturing
        _click(qtbot, app.window.emoji_bar.buttons[Emotion.NEUTRAL], app)
        assert app.dj.backend.state is PlayerState.PLAYING
    finally:
        app.close()


def test_a_mood_with_no_tracks_gets_a_banner_that_says_what_to_do(qtbot, tmp_path):
    from ui_support import fake_tracks

    no_angry = [t for t in fake_tracks() if t.emotion is not Emotion.ANGRY]
    app = build_app(qtbot, tmp_path, tracks=no_angry)
    try:
        qtbot.waitUntil(lambda: len(app.dj.recommender.tracks) == len(no_angry), timeout=5000)
        _click(qtbot, app.window.emoji_bar.buttons[Emotion.ANGRY], app)
        qtbot.waitUntil(lambda: app.window.banners.banner("library-mood") is not None, timeout=3000)
        text = " ".join(
            label.text() for label in app.window.banners.banner("library-mood").findChildren(QLabel)
        )
        assert "No tracks tagged 'angry'" in text and "Choose music folder" in text
        # Music still plays: the nearest tracks on the mood map stand in.
        assert app.upcoming_emotions()
    finally:
        app.close()
