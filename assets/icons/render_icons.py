"""Render the EmoTune application icon's PNG sizes from its SVG (run after editing the SVG).

    .venv/bin/python assets/icons/render_icons.py

Writes hicolor/NxN/apps/io.github.emotune.EmoTune.png for each size in SIZES next to this
script, the layout the freedesktop icon theme spec uses, so `emotune install-desktop` copies
the tree as it is. tests/test_install_desktop.py checks the committed PNGs match the SVG.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtGui import QGuiApplication, QImage, QPainter  # noqa: E402
from PySide6.QtSvg import QSvgRenderer  # noqa: E402

APP_ID = "io.github.emotune.EmoTune"
SIZES = (16, 22, 24, 32, 48, 64, 128, 256)
HICOLOR = Path(__file__).resolve().parent / "hicolor"
SVG = HICOLOR / "scalable" / "apps" / f"{APP_ID}.svg"


def png_path(size: int, root: Path = HICOLOR) -> Path:
    """Where the PNG of ``size`` pixels lives under the hicolor tree ``root``."""
    return root / f"{size}x{size}" / "apps" / f"{APP_ID}.png"


def render(size: int, svg: Path = SVG) -> QImage:
    """The SVG drawn into a transparent ``size`` x ``size`` ARGB image."""
    _ = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise ValueError(f"{svg} is not a valid SVG")
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    renderer.render(painter)
    painter.end()
    return image.convertToFormat(QImage.Format.Format_ARGB32)


def main() -> int:
    """Write every size; prints the files written."""
    for size in SIZES:
        path = png_path(size)
        path.parent.mkdir(parents=True, exist_ok=True)
        if not render(size).save(str(path), "PNG"):
            print(f"could not write {path}", file=sys.stderr)
            return 1
        print(path.relative_to(HICOLOR.parent))
    return 0


if __name__ == "__main__":
    sys.exit(main())
