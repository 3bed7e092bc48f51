"""The upcoming queue: each track with its emotion and the one-line reason it was chosen."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import QModelIndex, QRect, QSize, Qt
from PySide6.QtGui import QFont, QFontMetrics, QPainter
from PySide6.QtWidgets import (
    QListWidget,
    QListWidgetItem,
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
        painter.drawPixmap(rect.left(), rect.top() + (rect.height() - icon) // 2, emotion_pixmap(entry.emotion, icon, painter.device().devicePixelRatioF()))
        text_left = rect.left() + icon + 8
        duration = format_time(entry.duration) if entry.duration else ""
        dur_w = metrics.horizontalAdvance(duration) + 4 if duration else 0
        line1 = QRect(text_left, rect.top(), rect.right() - text_left - dur_w, metrics.height())
        line2 = QRect(text_left, rect.top() + metrics.height(), rect.right() - text_left, metrics.height())
        bold = QFont(option.font)
        bold.setBold(True)
        painter.setFont(bold)
        painter.setPen(theme.TEXT)
        title = entry.title + (f" — {entry.artist}" if entry.artist else "")
        painter.drawText(line1, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, QFontMetrics(bold).elidedText(title, Qt.TextElideMode.ElideRight, line1.width()))
        painter.setFont(option.font)
        painter.setPen(theme.TEXT_DIM)
        if duration:
            painter.drawText(QRect(rect.right() - dur_w, rect.top(), dur_w, metrics.height()), Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, duration)
        painter.drawText(line2, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, metrics.elidedText(entry.reason, Qt.TextElideMode.ElideRight, line2.width()))
        painter.restore()
        return None


class QueueView(QListWidget):
    """Read-only list of :class:`QueueEntry`; double-click emits the row to jump to."""

    def __init__(self, parent: QWidget | None = None) -> None:
        """Create an empty queue."""
        super().__init__(parent)
        self.setItemDelegate(_EntryDelegate(self))
        self.setSelectionMode(QListWidget.SelectionMode.SingleSelection)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setUniformItemSizes(True)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setAccessibleName("Up next")
        self._entries: list[QueueEntry] = []

    def set_entries(self, entries: Sequence[QueueEntry]) -> None:
        """Replace the list (skipped when unchanged, so repaints stay cheap)."""
        entries = list(entries)
        if entries == self._entries:
            return
        self._entries = entries
        self.clear()
        for entry in entries:
            item = QListWidgetItem()
            item.setData(_ENTRY_ROLE, entry)
            item.setToolTip(f"{entry.title} — {entry.artist}\n{entry.emotion.label}: {entry.reason}")
            self.addItem(item)
        if not entries:
            item = QListWidgetItem("The queue is empty: pick a mood or add music (Library ▸ Choose folder…)")
            item.setFlags(Qt.ItemFlag.NoItemFlags)
            self.addItem(item)

    def entries(self) -> list[QueueEntry]:
        """The entries shown."""
        return list(self._entries)

    def _entry_height(self) -> int:
        return self.fontMetrics().height() * 2 + 8

    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt API)
        """Room for two entries."""
        return QSize(200, self._entry_height() * 2 + 6)

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt API)
        """Three entries; more space goes to the camera picture, the list scrolls."""
        return QSize(320, self._entry_height() * 3 + 6)
