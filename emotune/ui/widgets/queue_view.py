"""The upcoming queue: each track with its emotion and the one-line reason it was chosen.

The listener edits it here: a right-click menu (play now, play next, move up/down, remove,
clear upcoming), keys (Delete removes, Alt+Up/Down move, Enter plays) and drag and drop. The
view only asks (its signals carry rows); the DJ makes the change and the queue is redrawn from
its next snapshot, so what is shown is always what will play. Tracks the listener placed carry
a pin: the DJ's re-plans leave them where they are.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import QModelIndex, QPoint, QRect, QSize, Qt, Signal
from PySide6.QtGui import QContextMenuEvent, QDropEvent, QFont, QFontMetrics, QKeyEvent, QPainter
from PySide6.QtWidgets import (
    QAbstractItemView,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QSizePolicy,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QWidget,
)

from emotune.emotions import Emotion
from emotune.ui import theme
from emotune.ui.icons import emotion_pixmap
from emotune.ui.theme import format_time

_ENTRY_ROLE = Qt.ItemDataRole.UserRole + 1


@dataclass(frozen=True)
class QueueEntry:
    """One upcoming track as the queue shows it."""

    title: str
    artist: str
    emotion: Emotion
    reason: str
    duration: float | None = None
    user: bool = False  # placed by the listener (shown with a pin; the DJ keeps it in place)
    key: int | None = None  # the DJ's entry id: the selection follows the entry across redraws


USER_MARK = "📌"


class _EntryDelegate(QStyledItemDelegate):
    """Two lines per track: emoji + "Title — Artist" (+ duration), then the reason, dimmed."""

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex) -> QSize:  # noqa: N802 (Qt API)
        """Two text lines and a little padding."""
        metrics = QFontMetrics(option.font)
        return QSize(200, metrics.height() * 2 + 8)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        """Draw one entry."""
        entry: QueueEntry | None = index.data(_ENTRY_ROLE)
        if entry is None:
            return super().paint(painter, option, index)
        painter.save()
        if option.state & QStyle.StateFlag.State_Selected:
            painter.fillRect(option.rect, option.palette.highlight())
        elif index.row() % 2:
            painter.fillRect(option.rect, theme.PANEL)
        rect = option.rect.adjusted(6, 4, -6, -4)
        metrics = QFontMetrics(option.font)
        icon = metrics.height() + 6
        painter.drawPixmap(
            rect.left(),
            rect.top() + (rect.height() - icon) // 2,
            emotion_pixmap(entry.emotion, icon, painter.device().devicePixelRatioF()),
        )
        text_left = rect.left() + icon + 8
        duration = format_time(entry.duration) if entry.duration else ""
        dur_w = metrics.horizontalAdvance(duration) + 4 if duration else 0
        line1 = QRect(text_left, rect.top(), rect.right() - text_left - dur_w, metrics.height())
        line2 = QRect(
            text_left, rect.top() + metrics.height(), rect.right() - text_left, metrics.height()
        )
        bold = QFont(option.font)
        bold.setBold(True)
        painter.setFont(bold)
        painter.setPen(theme.TEXT)
        title = (
            (f"{USER_MARK} " if entry.user else "")
            + entry.title
            + (f" — {entry.artist}" if entry.artist else "")
        )
        painter.drawText(
            line1,
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            QFontMetrics(bold).elidedText(title, Qt.TextElideMode.ElideRight, line1.width()),
        )
        painter.setFont(option.font)
        painter.setPen(theme.TEXT_DIM)
        if duration:
            painter.drawText(
                QRect(rect.right() - dur_w, rect.top(), dur_w, metrics.height()),
                Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                duration,
            )
        painter.drawText(
            line2,
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            metrics.elidedText(entry.reason, Qt.TextElideMode.ElideRight, line2.width()),
        )
        painter.restore()
        return None


class QueueView(QListWidget):
    """The upcoming entries; edits are asked for through the signals (rows, 0 = next)."""

    play_now_requested = Signal(int)
    play_next_requested = Signal(int)
    remove_requested = Signal(int)
    move_requested = Signal(int, int)  # row, new row
    clear_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        """Create an empty queue."""
        super().__init__(parent)
        self.setItemDelegate(_EntryDelegate(self))
        self.setSelectionMode(QListWidget.SelectionMode.SingleSelection)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setUniformItemSizes(True)
        # Click focus: Delete and Alt+Up/Down work on the selected entry, Tab never lands here
        # (Space stays the window's play/pause).
        self.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setAccessibleName("Up next")
        self.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        self.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.setToolTip("Right-click to play, move or remove · drag to reorder · 📌 = yours")
        self._entries: list[QueueEntry] = []
        self._add_placeholder()  # until the first plan arrives
        self.itemDoubleClicked.connect(lambda item: self.play_now_requested.emit(self.row(item)))

    def set_entries(self, entries: Sequence[QueueEntry]) -> None:
        """Replace the list (skipped when unchanged, so repaints stay cheap)."""
        entries = list(entries)
        if entries == self._entries:
            return
        selected = self.selected_row()
        keep = self._entries[selected].key if selected is not None else None
        self._entries = entries
        self.clear()
        for entry in entries:
            item = QListWidgetItem()
            item.setData(_ENTRY_ROLE, entry)
            mine = "\n📌 You placed this track: the DJ keeps it here." if entry.user else ""
            item.setToolTip(
                f"{entry.title} — {entry.artist}\n{entry.emotion.label}: {entry.reason}{mine}"
            )
            self.addItem(item)
        if not entries:
            self._add_placeholder()
        elif keep is not None:
            for row, entry in enumerate(entries):
                if entry.key == keep:
                    self.setCurrentRow(row)
                    break

    def _add_placeholder(self) -> None:
        item = QListWidgetItem(
            "The queue is empty: pick a mood or add music (Library ▸ Choose folder…)"
        )
        item.setFlags(Qt.ItemFlag.NoItemFlags)  # not selectable, not draggable
        self.addItem(item)

    def entries(self) -> list[QueueEntry]:
        """The entries shown."""
        return list(self._entries)

    def selected_row(self) -> int | None:
        """The selected entry's row, or ``None``."""
        row = self.currentRow()
        return row if 0 <= row < len(self._entries) and self.currentItem().isSelected() else None

    # -- editing -----------------------------------------------------------------------------

    def context_menu(self, row: int | None) -> QMenu:
        """The right-click menu for ``row`` (``None``: the empty space below the entries)."""
        menu = QMenu(self)
        has_row = row is not None and 0 <= row < len(self._entries)
        last = len(self._entries) - 1
        actions = (
            ("Play now", lambda: self.play_now_requested.emit(row), has_row, "Enter"),
            ("Play next", lambda: self.play_next_requested.emit(row), has_row and row > 0, ""),
            (
                "Move up",
                lambda: self.move_requested.emit(row, row - 1),
                has_row and row > 0,
                "Alt+Up",
            ),
            (
                "Move down",
                lambda: self.move_requested.emit(row, row + 1),
                has_row and row < last,
                "Alt+Down",
            ),
            ("Remove from queue", lambda: self.remove_requested.emit(row), has_row, "Del"),
        )
        for text, slot, enabled, keys in actions:
            action = menu.addAction(f"{text}\t{keys}" if keys else text)
            action.setEnabled(bool(enabled))
            action.triggered.connect(slot)
        menu.addSeparator()
        clear = menu.addAction("Clear upcoming (the DJ picks afresh)")
        clear.setEnabled(bool(self._entries))
        clear.triggered.connect(self.clear_requested)
        return menu

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:  # noqa: N802 (Qt API)
        """Right-click: select the entry under the pointer and offer the edits."""
        item = self.itemAt(event.pos())
        row = (
            self.row(item)
            if item is not None and item.flags() & Qt.ItemFlag.ItemIsEnabled
            else None
        )
        if row is not None:
            self.setCurrentRow(row)
        self.context_menu(row).exec(event.globalPos())

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt API)
        """Delete/Backspace remove, Alt+Up/Down move, Enter plays the selected entry."""
        row = self.selected_row()
        key = event.key()
        alt = bool(event.modifiers() & Qt.KeyboardModifier.AltModifier)
        if row is None:
            return super().keyPressEvent(event)
        if key in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
            self.remove_requested.emit(row)
        elif alt and key == Qt.Key.Key_Up and row > 0:
            self.move_requested.emit(row, row - 1)
        elif alt and key == Qt.Key.Key_Down and row < len(self._entries) - 1:
            self.move_requested.emit(row, row + 1)
        elif key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.play_now_requested.emit(row)
        else:
            return super().keyPressEvent(event)
        event.accept()
        return None

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 (Qt API)
        """A drag inside the queue asks the DJ to move the entry; the list is redrawn from the
        DJ's snapshot, so the widget does not move the row itself."""
        source = self.selected_row()
        target = self._drop_row(event.position().toPoint())
        event.setDropAction(Qt.DropAction.IgnoreAction)
        event.accept()
        if source is None:
            return
        if target > source:
            target -= 1  # the entry leaves its old slot first
        if target != source:
            self.move_requested.emit(source, target)

    def _drop_row(self, point: QPoint) -> int:
        item = self.itemAt(point)
        if item is None:
            return len(self._entries)
        row = self.row(item)
        rect = self.visualItemRect(item)
        return row + 1 if point.y() > rect.center().y() else row

    def _entry_height(self) -> int:
        return self.fontMetrics().height() * 2 + 8

    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt API)
        """Room for two entries."""
        return QSize(200, self._entry_height() * 2 + 6)

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt API)
        """Three entries; more space goes to the camera picture, the list scrolls."""
        return QSize(320, self._entry_height() * 3 + 6)
