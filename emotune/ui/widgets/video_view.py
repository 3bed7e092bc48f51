"""The live picture with face boxes and labels; also the camera's privacy state.

The frame arrives as a QImage already copied by the worker; painting scales it to fit. The
largest (primary) face gets a thick box in its emotion's colour; other faces get thin boxes.
The primary face is labelled with the shown mood of the frame's snapshot, in the words of
:func:`emotune.ui.mood_view.describe` (the header and the chart read the same snapshot), so it
never flickers with every frame's reading; other faces show their own frame's reading.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetrics,
    QImage,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPen,
)
from PySide6.QtWidgets import QSizePolicy, QWidget

from emotune.emotions import Emotion
from emotune.ui import theme
from emotune.ui.frames import FaceBox, FrameUpdate
from emotune.ui.icons import emotion_pixmap
from emotune.ui.mood_view import MoodView, percent


class VideoView(QWidget):
    """Paints the latest frame, its faces and a camera on/off indicator."""

    first_frame_painted = (
        Signal()
    )  # once, when a camera picture is first on screen (start-up timing)

    def __init__(self, parent: QWidget | None = None) -> None:
        """Create a view showing the "starting" message."""
        super().__init__(parent)
        self._image: QImage | None = None
        self._faces: tuple[FaceBox, ...] = ()
        self._primary_label: tuple[Emotion | None, str] | None = None  # from the frame's MoodView
        self._capturing = False
        self._message = "Starting the camera…"
        self._source_label = ""
        self.frames_shown = 0
        self._first_painted = False
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.setAccessibleName("Camera view")

    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt API)
        """Still a recognisable picture at 1024x640."""
        return QSize(240, 150)

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt API)
        """4:3 VGA-ish."""
        return QSize(560, 380)

    def show_frame(self, update: FrameUpdate) -> None:
        """Show a new frame and its faces (GUI thread); :meth:`show_view` labels the primary face."""
        self._image = update.image
        self._faces = update.faces
        self._capturing = True
        self._message = ""
        self.frames_shown += 1
        self.update()

    def set_capturing(self, capturing: bool, source_label: str = "") -> None:
        """Update the privacy indicator; ``False`` clears the picture."""
        self._capturing = capturing
        self._source_label = source_label
        if not capturing:
            self._image = None
            self._faces = ()
        self.update()

    def set_message(self, text: str) -> None:
        """Show a centred message instead of the picture (e.g. "Camera off")."""
        self._message = text
        self._image = None
        self._faces = ()
        self.update()

    @property
    def capturing(self) -> bool:
        """Whether the indicator currently says the camera is on."""
        return self._capturing

    def image_rect(self) -> QRectF:
        """Where the current frame is drawn inside the widget (aspect kept)."""
        if self._image is None or self._image.isNull():
            return QRectF()
        size = self._image.size().scaled(self.size(), Qt.AspectRatioMode.KeepAspectRatio)
        return QRectF(
            (self.width() - size.width()) / 2,
            (self.height() - size.height()) / 2,
            size.width(),
            size.height(),
        )

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt API)
        """Draw picture, boxes, labels and indicators."""
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor("#0d0e11"))
        painter.setRenderHints(
            QPainter.RenderHint.Antialiasing | QPainter.RenderHint.SmoothPixmapTransform
        )
        target = self.image_rect()
        if not target.isEmpty():
            painter.drawImage(target, self._image)
            if not self._first_painted:
                self._first_painted = True
                self.first_frame_painted.emit()
            scale = target.width() / self._image.width()
            # Secondary faces first so the primary box and label are drawn on top.
            for face in sorted(self._faces, key=lambda f: f.is_primary):
                self._draw_face(painter, face, target, scale)
        else:
            self._draw_message(painter)
        self._draw_indicator(painter)
        painter.end()

    def show_view(self, view: MoodView) -> None:
        """Label the primary face with ``view`` (the same description the header shows)."""
        label = None if view.face_label is None else (view.face_emotion, view.face_label)
        if label != self._primary_label:
            self._primary_label = label
            if self._faces:
                self.update()

    def primary_label(self) -> tuple[Emotion | None, str] | None:
        """The emotion and text of the primary face's label, or ``None`` without one."""
        primary = next((f for f in self._faces if f.is_primary), None)
        return None if primary is None else self._label_of(primary)

    def _label_of(self, face: FaceBox) -> tuple[Emotion | None, str] | None:
        if face.is_primary and self._primary_label is not None:
            return self._primary_label
        emotion = face.emotion
        return (
            None if emotion is None else (emotion, f"{emotion.label} {percent(face.confidence)}%")
        )

    def _draw_face(self, painter: QPainter, face: FaceBox, target: QRectF, scale: float) -> None:
        box = QRectF(
            target.left() + face.x * scale,
            target.top() + face.y * scale,
            face.w * scale,
            face.h * scale,
        )
        label_of = self._label_of(face)
        emotion = label_of[0] if label_of is not None else None
        colour = QColor(emotion.colour) if emotion is not None else QColor("#8b8d98")
        if not face.is_primary:
            colour.setAlpha(160)
        painter.setPen(QPen(colour, 3.0 if face.is_primary else 1.5))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRoundedRect(box, 4, 4)
        if label_of is None:
            return
        font = QFont(self.font())
        font.setBold(face.is_primary)
        if not face.is_primary:
            font.setPointSizeF(font.pointSizeF() * 0.9)
        metrics = QFontMetrics(font)
        text = label_of[1]
        icon = metrics.height() if emotion is not None else -4
        width = icon + 4 + metrics.horizontalAdvance(text) + 10
        height = metrics.height() + 6
        y = box.top() - height - 2
        if y < target.top():
            y = box.bottom() + 2  # no room above the face: label goes below it
        label = QRectF(box.left(), y, width, height)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(colour)
        painter.drawRoundedRect(label, 4, 4)
        if emotion is not None:
            painter.drawPixmap(
                int(label.left() + 4),
                int(label.top() + 3),
                emotion_pixmap(emotion, icon, self.devicePixelRatioF()),
            )
        painter.setFont(font)
        painter.setPen(QColor("white"))
        painter.drawText(
            label.adjusted(icon + 7, 0, 0, 0),
            Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
            text,
        )

    def _draw_message(self, painter: QPainter) -> None:
        painter.setPen(theme.TEXT_DIM)
        font = QFont(self.font())
        font.setPointSizeF(font.pointSizeF() * 1.15)
        painter.setFont(font)
        painter.drawText(
            QRectF(self.rect()).adjusted(16, 16, -16, -16),
            Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
            self._message or "No picture",
        )

    def _draw_indicator(self, painter: QPainter) -> None:
        """Top-right pill: red "CAMERA ON" while capturing, green "CAMERA OFF" otherwise."""
        font = QFont(self.font())
        font.setPointSizeF(max(7.0, font.pointSizeF() * 0.85))
        font.setBold(True)
        metrics = QFontMetrics(font)
        on = self._capturing
        text = "CAMERA ON" if on else "CAMERA OFF"
        if self._source_label:
            text += f" · {self._source_label}"
        text = metrics.elidedText(text, Qt.TextElideMode.ElideMiddle, max(60, self.width() - 40))
        width = metrics.horizontalAdvance(text) + 26
        height = metrics.height() + 6
        pill = QRectF(self.width() - width - 8, 8, width, height)
        path = QPainterPath()
        path.addRoundedRect(pill, height / 2, height / 2)
        painter.fillPath(path, QColor(0, 0, 0, 170))
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(theme.DANGER if on else theme.OK)
        painter.drawEllipse(QPointF(pill.left() + 11, pill.center().y()), 4.5, 4.5)
        painter.setFont(font)
        painter.setPen(QColor("white"))
        painter.drawText(
            pill.adjusted(20, 0, -6, 0),
            Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
            text,
        )
