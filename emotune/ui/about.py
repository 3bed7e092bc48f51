"""The About box: what EmoTune is, and the emotion model's measured numbers (models/metrics.json)."""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QWidget

from emotune import __version__
from emotune.paths import MODELS_DIR

SPLIT_NAMES = {"test": "test", "val": "validation (FER2013 PublicTest)", "tune": "tuning split"}
LABEL_NAMES = {"fer2013": "FER2013 labels", "ferplus": "FER+ majority"}

Json = dict[str, Any]
"""``metrics.json`` as parsed: nested JSON whose shape each reader checks with isinstance."""


def load_metrics(path: Path | None = None) -> Json | None:
    """``models/metrics.json`` as a dict, or ``None`` when missing or unreadable."""
    try:
        data = json.loads((path or MODELS_DIR / "metrics.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _pct(value: object) -> str:
    return f"{float(value) * 100:.1f}%" if isinstance(value, (int, float)) else "–"


def metric_rows(metrics: Json) -> list[tuple[str, str, Json]]:
    """(split, labels, numbers) for every evaluated split, best split first (test, val, tune)."""
    rows = []
    for split in ("test", "val", "tune"):
        block = metrics.get(split)
        if not isinstance(block, dict):
            continue
        for labels in ("fer2013", "ferplus"):
            numbers = block.get(labels)
            if isinstance(numbers, dict) and "accuracy" in numbers:
                rows.append((split, labels, numbers))
    return rows


def about_html(metrics: Json | None) -> str:
    """The About text as rich text; says so plainly when there are no model numbers."""
    parts = [
        f"<h3>EmoTune {html.escape(__version__)}</h3>",
        "<p>Reads your mood from the webcam and plays music from your own library to fit it. "
        "Runs fully offline: camera frames stay in memory and are never saved or sent anywhere.</p>",
    ]
    if not metrics:
        parts.append("<p><i>No model metrics found (models/metrics.json).</i></p>")
        return "".join(parts)
    model = metrics.get("model", {}) if isinstance(metrics.get("model"), dict) else {}
    size = metrics.get("size_bytes")
    facts = [
        f"version {html.escape(str(model.get('version', '?')))}",
        html.escape(str(model.get("arch", "?"))),
        f"{html.escape(str(model.get('quantization', '?')))} quantization",
    ]
    if isinstance(size, (int, float)):
        facts.append(f"{size / 1e6:.2f} MB")
    parts.append(f"<p><b>Emotion model</b>: {', '.join(facts)}.</p>")
    rows = metric_rows(metrics)
    if rows:
        table = [
            "<table cellspacing='0' cellpadding='3'>",
            "<tr><th align='left'>split</th><th align='left'>labels</th><th>n</th><th>accuracy</th><th>balanced</th><th>macro F1</th><th>ECE</th></tr>",
        ]
        for split, labels, n in rows:
            table.append(
                f"<tr><td>{SPLIT_NAMES.get(split, split)}</td><td>{LABEL_NAMES.get(labels, labels)}</td>"
                f"<td align='right'>{n.get('n', '–')}</td><td align='right'><b>{_pct(n.get('accuracy'))}</b></td>"
                f"<td align='right'>{_pct(n.get('balanced_accuracy'))}</td>"
                f"<td align='right'>{n.get('macro_f1', float('nan')):.3f}</td>"
                f"<td align='right'>{n.get('ece', float('nan')):.3f}</td></tr>"
            )
        table.append("</table>")
        parts.append("".join(table))
        if not any(split in ("test", "val") for split, _, _ in rows):
            parts.append("<p><i>Interim model: only tuning-split numbers so far.</i></p>")
    latency = metrics.get("latency")
    if isinstance(latency, dict) and "predict_ms_median_batch1" in latency:
        parts.append(
            f"<p>Inference: {float(latency['predict_ms_median_batch1']):.1f} ms per face (median, {html.escape(str(latency.get('backend', '')))}).</p>"
        )
    parts.append(
        "<p>Human agreement with FER2013 labels is about 65%: treat the mood as a hint, and use the emoji buttons whenever it is wrong. Full details: models/MODEL_CARD.md.</p>"
    )
    return "".join(parts)


def show_about(parent: QWidget) -> QMessageBox:
    """Show the About box without blocking the camera or the music."""
    box = QMessageBox(parent)
    box.setWindowTitle("About EmoTune")
    box.setTextFormat(Qt.TextFormat.RichText)
    box.setText(about_html(load_metrics()))
    box.setStandardButtons(QMessageBox.StandardButton.Close)
    box.setWindowModality(Qt.WindowModality.NonModal)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.show()
    return box
