"""The window's library scan analyses untagged tracks and says so in its status line."""

from __future__ import annotations

from pathlib import Path


def test_window_scan_analyses_and_counts_the_analysis(qtbot, tmp_path):
    """Tags and folders first (the music can start), then a second pass analyses the tracks
    that have neither, with its own count, and hands the library over again."""
    from emotune.music.library.scanner import ScanReport
    from emotune.music.library.track import Track
    from emotune.settings import Settings
    from emotune.ui.library_control import LibraryControl
    from emotune.ui.main_window import MainWindow

    asked = []
    shown = []

    def scan(folders=None, *, analyze=False, progress=None, cache=None):
        asked.append(analyze)
        for done in range(1, 4):  # three files read ...
            progress(done, 3, Path(f"/m/{done}.mp3"))
        if not analyze:
            return ScanReport(tracks=[Track(Path("/m/1.mp3"), "one")])  # placed by nothing yet
        for done in range(4, 6):  # ... then the scanner grows the total by two to analyse
            progress(done, 5, Path(f"/m/{done}.mp3"))
        return ScanReport(tracks=[Track(Path("/m/1.mp3"), "one", source="analysis")])

    window = MainWindow()
    qtbot.addWidget(window)
    original = window.show_progress
    window.show_progress = lambda text, done, total: (
        shown.append((text, done, total)),
        original(text, done, total),
    )
    library = LibraryControl(window, Settings(tmp_path / "s.json"), [tmp_path], scan)
    loaded = []
    library.loaded.connect(loaded.append)
    library.rescan()
    qtbot.waitUntil(lambda: len(loaded) == 2, timeout=5000)
    assert asked == [False, True]
    assert [r.tracks[0].source for r in loaded] == ["default", "analysis"]
    texts = [text for text, _, _ in shown]
    assert any(t.startswith("Scanning library") for t in texts)
    assert ("Analysing tracks 2/2", 2, 2) in shown  # counted on its own, not as 5/5
