"""The library browser: search, mood filter, a sortable table and the actions on a selection.

Only shows and asks: its signals carry the selected tracks; the controller plays, queues or
tags them. The table is a model/view (:class:`LibraryModel`), so 100,000 tracks cost no more
to show than a screenful.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from emotune.emotions import EMOTIONS, Emotion
from emotune.ui.library_model import (
    ALBUM,
    ARTIST,
    FILTER_SLICE,
    MOOD,
    MOOD_CHOICES,
    SOURCE,
    TIME,
    TITLE,
    LibraryModel,
    TrackIndex,
    build_index,
)
from emotune.ui.workers.background import BackgroundTasks

if TYPE_CHECKING:
    from emotune.music.library.track import Track

log = logging.getLogger(__name__)


class LibraryView(QWidget):
    """Search box, mood filter, track count, the table, and Play/Queue/Tag actions."""

    play_now_requested = Signal(object)  # Track
    enqueue_requested = Signal(list, bool)  # tracks, play next (else after the user's queue)
    tag_requested = Signal(list, object)  # tracks, Emotion or None (clear the tag)

    def __init__(self, parent: QWidget | None = None) -> None:
        """An empty library view."""
        super().__init__(parent)
        self.model = LibraryModel(self)
        self._tasks = BackgroundTasks("emotune-library-index", parent=self)
        self._generation = 0  # the latest set_tracks; older indexes arriving late are dropped
        self.search = QLineEdit(self)
        self.search.setPlaceholderText("Search title, artist, album…")
        self.search.setClearButtonEnabled(True)
        self.search.setAccessibleName("Search the library")
        self.search.textChanged.connect(lambda text: self.model.set_filter(text=text))
        self.mood = QComboBox(self)
        for label, emotion in MOOD_CHOICES:
            self.mood.addItem(label, emotion)
        self.mood.setToolTip("Show only tracks of this mood")
        self.mood.setAccessibleName("Mood filter")
        self.mood.currentIndexChanged.connect(
            lambda i: self.model.set_filter(mood=self.mood.itemData(i))
        )
        self.count = QLabel("", self)
        self.count.setObjectName("dim")
        self.model.counts_changed.connect(self._show_counts)

        self.table = QTableView(self)
        self.table.setModel(self.model)
        self.table.setSortingEnabled(True)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(False)
        self.table.setAlternatingRowColors(True)
        self.table.setShowGrid(False)
        self.table.setAccessibleName("Library")
        vertical = self.table.verticalHeader()
        vertical.hide()
        # Fixed row heights: the view never measures rows, whatever the track count.
        vertical.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vertical.setDefaultSectionSize(self.fontMetrics().height() + 8)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        header.setSortIndicatorShown(True)
        widths = {TITLE: 170, ARTIST: 120, MOOD: 100, SOURCE: 130, TIME: 52, ALBUM: 140}
        for column, width in widths.items():
            self.table.setColumnWidth(column, width)
        self.table.sortByColumn(ARTIST, Qt.SortOrder.AscendingOrder)
        self.table.doubleClicked.connect(lambda index: self._play_now(index.row()))
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._show_menu)

        self.play_button = self._tool(
            "▶ Play", "Play the selected track now (double-click)", self._play_selected
        )
        self.next_button = self._tool(
            "Play next", "Queue the selection to play next", lambda: self._enqueue(True)
        )
        self.add_button = self._tool(
            "+ Queue",
            "Add the selection to the queue, after your other picks",
            lambda: self._enqueue(False),
        )
        self.tag_button = self._tool("Tag mood", "Write a mood tag into the selected files", None)
        self.tag_button.setMenu(self._tag_menu(self))
        self.tag_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)

        filters = QHBoxLayout()
        filters.setSpacing(6)
        filters.addWidget(self.search, 1)
        filters.addWidget(self.mood)
        actions = QHBoxLayout()
        actions.setSpacing(4)
        for button in (self.play_button, self.next_button, self.add_button, self.tag_button):
            actions.addWidget(button)
        actions.addStretch(1)
        actions.addWidget(self.count)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addLayout(filters)
        layout.addWidget(self.table, 1)
        layout.addLayout(actions)
        self._show_counts(0, 0)

    def _tool(self, text: str, tip: str, slot: Callable[[], object] | None) -> QToolButton:
        button = QToolButton(self)
        button.setText(text)
        button.setToolTip(tip)
        button.setAutoRaise(True)
        if slot is not None:
            button.clicked.connect(slot)
        return button

    def set_tracks(self, tracks: list[Track]) -> None:
        """Show a (re)scanned library, keeping the search, filter and sort. A big library is
        indexed off the GUI thread (half a second at 100,000 tracks) and shown when ready."""
        self._generation += 1
        if len(tracks) <= FILTER_SLICE:
            self.model.set_tracks(tracks)
            return
        generation, sort = self._generation, self.model.sort_key
        self._tasks.run(
            lambda: build_index(tracks, *sort),
            lambda index, error: self._on_indexed(generation, index, error),
        )

    def _on_indexed(
        self, generation: int, index: TrackIndex | None, error: Exception | None
    ) -> None:
        if generation != self._generation:
            return  # a newer scan is on its way
        if index is None:  # indexing failed: do it here rather than show nothing
            log.error("indexing the library failed", exc_info=error)
            return
        self.model.set_index(index)

    def selected_rows(self) -> list[int]:
        """The selected rows, top to bottom."""
        return sorted(index.row() for index in self.table.selectionModel().selectedRows())

    def selected_tracks(self) -> list[Track]:
        """The selected tracks, top to bottom."""
        return self.model.tracks_at(self.selected_rows())

    # -- actions --------------------------------------------------------------------------------

    def _play_now(self, row: int) -> None:
        if 0 <= row < self.model.rowCount():
            self.play_now_requested.emit(self.model.track(row))

    def _play_selected(self) -> None:
        rows = self.selected_rows()
        if rows:
            self._play_now(rows[0])
            if len(rows) > 1:  # the rest of the selection follows it
                self.enqueue_requested.emit(self.model.tracks_at(rows[1:]), True)

    def _enqueue(self, play_next: bool) -> None:
        tracks = self.selected_tracks()
        if tracks:
            self.enqueue_requested.emit(tracks, play_next)

    def _tag(self, emotion: Emotion | None) -> None:
        tracks = self.selected_tracks()
        if tracks:
            self.tag_requested.emit(tracks, emotion)

    def _tag_menu(self, parent: QWidget) -> QMenu:
        menu = QMenu("Set mood tag", parent)
        for emotion in EMOTIONS:
            action = menu.addAction(f"{emotion.emoji} {emotion.label}")
            action.triggered.connect(lambda _=False, e=emotion: self._tag(e))
        menu.addSeparator()
        menu.addAction("No mood (clear the tag)").triggered.connect(lambda: self._tag(None))
        return menu

    def context_menu(self) -> QMenu:
        """The right-click menu for the selection."""
        menu = QMenu(self)
        has = bool(self.selected_rows())
        for text, slot in (
            ("Play now", self._play_selected),
            ("Play next", lambda: self._enqueue(True)),
            ("Add to queue", lambda: self._enqueue(False)),
        ):
            action = menu.addAction(text)
            action.setEnabled(has)
            action.triggered.connect(slot)
        menu.addSeparator()
        tags = menu.addMenu(self._tag_menu(menu))
        tags.setEnabled(has)
        return menu

    def _show_menu(self, point: QPoint) -> None:
        self.context_menu().exec(self.table.viewport().mapToGlobal(point))

    def _show_counts(self, shown: int, total: int) -> None:
        if total == 0:
            self.count.setText("No tracks yet")
        elif shown == total:
            self.count.setText(f"{total:,} tracks")
        else:
            self.count.setText(f"{shown:,} of {total:,} tracks")
