"""Editing the queue in the window: right-click menu, keys, drag and drop; the user's pins."""

from __future__ import annotations

import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import QMimeData, QPointF, Qt  # noqa: E402
from PySide6.QtGui import QDropEvent  # noqa: E402
from ui_support import build_app  # noqa: E402

from emotune.emotions import Emotion  # noqa: E402
from emotune.ui.widgets.queue_view import USER_MARK  # noqa: E402


@pytest.fixture
def app(qtbot, tmp_path):
    harness = build_app(qtbot, tmp_path)
    harness.controller.choose_mood(Emotion.HAPPY)
    harness.sync()
    qtbot.waitUntil(lambda: len(harness.window.queue.entries()) >= 4, timeout=3000)
    yield harness
    harness.close()


def _ids(app) -> list[int]:
    return [entry.id for entry in app.dj.snapshot(history=0).upcoming]


def _shown_keys(app) -> list[int | None]:
    return [entry.key for entry in app.window.queue.entries()]


def _menu_action(app, row, text):
    menu = app.window.queue.context_menu(row)
    return next(a for a in menu.actions() if a.text().split("\t")[0] == text)


def _trigger(app, row, text) -> None:
    _menu_action(app, row, text).trigger()
    app.sync()


def test_context_menu_remove(app):
    before = _ids(app)
    _trigger(app, 1, "Remove from queue")
    assert before[1] not in _ids(app)
    assert _ids(app)[:1] == before[:1]
    assert before[1] not in _shown_keys(app)


def test_context_menu_play_next_marks_the_track_as_the_users(app):
    before = _ids(app)
    _trigger(app, 3, "Play next")
    assert _ids(app)[0] == before[3]
    shown = app.window.queue.entries()[0]
    assert shown.key == before[3] and shown.user
    assert not _menu_action(app, 0, "Play next").isEnabled()  # already next


def test_context_menu_play_now(app):
    target = _ids(app)[2]
    _trigger(app, 2, "Play now")
    assert app.dj.snapshot(history=0).current.id == target


def test_context_menu_move_up_and_down(app):
    before = _ids(app)
    _trigger(app, 2, "Move up")
    assert _ids(app)[1] == before[2]
    _trigger(app, 1, "Move down")
    assert _ids(app)[2] == before[2]
    assert not _menu_action(app, 0, "Move up").isEnabled()


def test_clear_upcoming_then_the_dj_refills(app):
    before = set(_ids(app))
    _trigger(app, None, "Clear upcoming (the DJ picks afresh)")
    after = _ids(app)
    assert after and not set(after) & before


def test_keys_delete_and_alt_arrows_edit_the_selected_entry(app, qtbot):
    queue = app.window.queue
    before = _ids(app)
    queue.setCurrentRow(1)
    qtbot.keyClick(queue, Qt.Key.Key_Down, Qt.KeyboardModifier.AltModifier)
    app.sync()
    assert _ids(app)[2] == before[1]
    assert queue.currentRow() == 2  # the selection follows the entry
    qtbot.keyClick(queue, Qt.Key.Key_Up, Qt.KeyboardModifier.AltModifier)
    app.sync()
    assert _ids(app)[1] == before[1]
    qtbot.keyClick(queue, Qt.Key.Key_Delete)
    app.sync()
    assert before[1] not in _ids(app)


def test_drag_and_drop_moves_the_entry(app):
    queue = app.window.queue
    before = _ids(app)
    queue.setCurrentRow(0)
    target = queue.visualItemRect(queue.item(3))
    point = QPointF(target.center().x(), target.bottom() - 2)  # lower half: drop below row 3
    event = QDropEvent(
        point,
        Qt.DropAction.MoveAction,
        QMimeData(),
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    queue.dropEvent(event)
    app.sync()
    assert _ids(app)[3] == before[0]
    assert _ids(app)[:3] == before[1:4]


def test_user_tracks_stay_and_keep_their_pin_when_the_mood_changes(app):
    before = _ids(app)
    _trigger(app, 2, "Play next")
    app.controller.choose_mood(Emotion.SAD)  # a re-plan for a far-away mood
    app.sync()
    after = app.dj.snapshot(history=0).upcoming
    assert after[0].id == before[2] and after[0].user
    assert {e.track.emotion for e in after[1:]} == {Emotion.SAD}
    shown = app.window.queue.entries()
    assert shown[0].user and not any(e.user for e in shown[1:])
    assert app.window.queue.item(0).toolTip().count(USER_MARK) == 1


def test_space_still_plays_and_pauses_while_the_queue_has_the_focus(app, qtbot):
    queue = app.window.queue
    queue.setCurrentRow(0)
    queue.setFocus()
    before = app.dj.backend.state
    qtbot.keyClick(queue, Qt.Key.Key_Space)
    app.sync()
    assert app.dj.backend.state is not before
    assert len(app.window.queue.entries()) >= 4  # and nothing was removed or moved


def test_one_row_per_entry_and_a_hint_when_empty(qtbot):
    from emotune.ui.widgets.queue_view import QueueEntry, QueueView

    view = QueueView()
    qtbot.addWidget(view)
    assert view.count() == 1 and "empty" in view.item(0).text()  # before the first plan
    rows = [QueueEntry(f"T{i}", "A", Emotion.SAD, "why", 60.0, False, i) for i in range(3)]
    view.set_entries(rows)
    assert view.count() == 3
    view.setCurrentRow(1)
    view.set_entries(list(reversed(rows)))  # a redraw with a selection keeps one row per entry
    assert view.count() == 3 and view.currentRow() == 1
    view.set_entries([])
    assert view.count() == 1 and "empty" in view.item(0).text()
