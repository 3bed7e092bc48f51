"""The library tab: every track, search, mood filter, sorting, and play/queue/tag actions."""

from __future__ import annotations

import threading

import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import QItemSelectionModel, Qt  # noqa: E402
from ui_support import build_app, fake_tracks  # noqa: E402

from emotune.emotions import Emotion  # noqa: E402
from emotune.music.choose.dj import USER_REASON  # noqa: E402
from emotune.ui.library_model import ARTIST, MOOD, SOURCE, TIME, TITLE, LibraryModel, source_text  # noqa: E402


@pytest.fixture
def app(qtbot, tmp_path):
    tracks = fake_tracks(4)
    tracks[0].source, tracks[0].tempo, tracks[0].mode = "analysis", 96.4, "minor"
    tracks[1].source = "folder"
    harness = build_app(qtbot, tmp_path, tracks=tracks)
    harness.window.show_library()
    qtbot.waitUntil(lambda: harness.window.library_view.model.total == len(tracks), timeout=3000)
    yield harness
    harness.close()


def _titles(model) -> list[str]:
    return [model.data(model.index(row, TITLE)) for row in range(model.rowCount())]


def _select(view, rows) -> None:
    selection = view.table.selectionModel()
    selection.clearSelection()
    flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
    for row in rows:
        selection.select(view.model.index(row, 0), flags)


def test_every_track_shows_with_its_mood_and_where_it_came_from(app):
    view = app.window.library_view
    model = view.model
    assert model.rowCount() == 28 and model.columnCount() == 6
    assert view.count.text() == "28 tracks"
    assert app.window.queue_tabs.currentIndex() == 1
    sources = {model.data(model.index(row, SOURCE)) for row in range(model.rowCount())}
    assert sources == {"tag", "folder", "analysis · 96 BPM · minor"}
    moods = {model.data(model.index(row, MOOD)) for row in range(model.rowCount())}
    assert "😢 Sad" in moods and len(moods) == 7


def test_search_as_you_type_and_the_mood_filter(app, qtbot):
    view = app.window.library_view
    qtbot.keyClicks(view.search, "song 3")
    assert sorted(_titles(view.model)) == sorted(f"{e.label} song 3" for e in Emotion)
    assert view.count.text() == "7 of 28 tracks"
    view.mood.setCurrentIndex(view.mood.findData(Emotion.SAD))
    assert _titles(view.model) == ["Sad song 3"]
    view.search.clear()
    assert len(_titles(view.model)) == 4 and all(t.startswith("Sad") for t in _titles(view.model))
    view.mood.setCurrentIndex(0)
    assert view.model.rowCount() == 28


def test_header_click_sorts(app):
    view = app.window.library_view
    view.table.sortByColumn(TIME, Qt.SortOrder.DescendingOrder)
    durations = [view.model.track(row).duration for row in range(view.model.rowCount())]
    assert durations == sorted(durations, reverse=True)
    view.table.sortByColumn(TITLE, Qt.SortOrder.AscendingOrder)
    titles = _titles(view.model)
    assert titles == sorted(titles, key=str.casefold)


def test_play_now_plays_the_selected_track(app):
    view = app.window.library_view
    view.search.setText("Angry song 2")
    _select(view, [0])
    view.play_button.click()
    app.sync()
    current = app.dj.snapshot(history=0).current
    assert current is not None and current.track.title == "Angry song 2" and current.user


def test_play_next_and_add_to_queue_put_the_users_tracks_first(app):
    app.controller.choose_mood(Emotion.HAPPY)
    app.sync()
    view = app.window.library_view
    view.mood.setCurrentIndex(view.mood.findData(Emotion.SAD))
    _select(view, [0, 1])
    view.add_button.click()
    app.sync()
    chosen = [t.title for t in view.selected_tracks()]
    upcoming = app.dj.snapshot(history=0).upcoming
    assert [e.track.title for e in upcoming[:2]] == chosen
    assert all(e.user and e.reason == USER_REASON for e in upcoming[:2])
    view.mood.setCurrentIndex(0)
    view.search.setText("Fear song 1")
    _select(view, [0])
    view.next_button.click()
    app.sync()
    assert app.dj.snapshot(history=0).upcoming[0].track.title == "Fear song 1"
    app.sync()
    assert app.window.queue.entries()[0].user


def test_set_mood_tag_writes_each_file_in_the_background_then_rescans(app, qtbot):
    written: list[tuple[str, Emotion | None, str]] = []

    def writer(path, emotion):
        written.append((str(path), emotion, threading.current_thread().name))
        if "3.mp3" in str(path):
            raise OSError("read-only file")

    app.controller.tagging.worker._writer = writer
    rescans = []
    app.controller.library.loaded.connect(rescans.append)
    view = app.window.library_view
    view.mood.setCurrentIndex(view.mood.findData(Emotion.NEUTRAL))
    _select(view, [0, 1, 2, 3])
    paths = sorted(str(t.path) for t in view.selected_tracks())
    menu = view.context_menu()
    tag_menu = next(a.menu() for a in menu.actions() if a.menu() is not None)
    next(a for a in tag_menu.actions() if "Happy" in a.text()).trigger()
    qtbot.waitUntil(lambda: app.window.banners.banner("tag") is not None, timeout=5000)
    assert sorted(p for p, _, _ in written) == paths
    assert {e for _, e, _ in written} == {Emotion.HAPPY}
    assert all(name.startswith("emotune-tags") for _, _, name in written)  # never the GUI thread
    banner = app.window.banners.banner("tag").text
    assert (
        "3 files tagged" in banner and "1 could not be changed" in banner and "read-only" in banner
    )
    qtbot.waitUntil(lambda: len(rescans) >= 1, timeout=5000)  # rescanned after the writes


def test_model_filters_within_the_shown_rows_when_typing_narrows():
    model = LibraryModel()
    model.set_tracks(fake_tracks(3))
    model.set_filter(text="s")
    broad = model.rowCount()
    model.set_filter(text="sad")
    assert 0 < model.rowCount() < broad
    model.set_filter(text="sa")  # widening again searches everything
    assert model.rowCount() >= 3
    model.sort(ARTIST, Qt.SortOrder.AscendingOrder)
    assert model.rowCount() >= 3


def test_source_text_for_each_origin():
    class T:
        source, tempo, mode = "analysis", 120.2, "major"

    assert source_text(T()) == "analysis · 120 BPM · major"
    T.source = "tag"
    assert source_text(T()) == "tag"


def test_a_big_library_is_filtered_in_slices_and_the_last_keystroke_wins(qtbot, monkeypatch):
    from emotune.ui import library_model

    monkeypatch.setattr(library_model, "FILTER_SLICE", 4)
    model = LibraryModel()
    model.set_tracks(fake_tracks(3))  # 21 tracks: more than one slice
    model.set_filter(text="happy")
    assert model.rowCount() == 21  # not yet: the pass runs between events
    model.set_filter(text="sad")  # typed on before the first pass finished
    qtbot.waitUntil(lambda: model.rowCount() == 3, timeout=3000)
    assert {model.track(row).emotion for row in range(3)} == {Emotion.SAD}
    model.set_filter(mood=Emotion.HAPPY)
    model.flush()
    assert model.rowCount() == 0  # "sad" and Happy: nothing


def test_a_big_library_is_indexed_off_the_gui_thread_and_the_latest_scan_wins(qtbot):
    from emotune.ui.library_model import FILTER_SLICE
    from emotune.ui.widgets.library_view import LibraryView

    view = LibraryView()
    qtbot.addWidget(view)
    per = FILTER_SLICE // 7 + 10  # over one slice: the background path
    first, second = fake_tracks(per), fake_tracks(per + 3)
    built_on = []
    original = view._tasks.run

    def spy(fn, done=None):
        return original(lambda: (built_on.append(threading.current_thread().name), fn())[1], done)

    view._tasks.run = spy
    view.set_tracks(first)
    view.set_tracks(second)  # a rescan before the first index arrived
    qtbot.waitUntil(lambda: view.model.total == len(second), timeout=10000)
    qtbot.wait(200)  # the first, stale index must not replace it when it lands
    assert view.model.total == len(second) and view.model.rowCount() == len(second)
    assert built_on and all(name != threading.main_thread().name for name in built_on)
