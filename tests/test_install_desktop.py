"""Desktop integration and install-aware messages: launcher files, icons, ids, repair advice."""

from __future__ import annotations

import configparser
import importlib.util
import json
import re
import sys
from pathlib import Path

import pytest

from emotune import __version__, desktop, paths
from emotune.cli import main, version_text

RENDER_SCRIPT = paths.PROJECT_ROOT / "assets" / "icons" / "render_icons.py"


def _desktop_keys(text: str) -> dict[str, str]:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # keys are case-sensitive
    parser.read_string(text)
    return dict(parser["Desktop Entry"])


@pytest.fixture
def as_wheel(monkeypatch):
    """Pretend this process runs from an installed wheel (bundled files under emotune/_data)."""
    monkeypatch.setattr(paths, "RESOURCE_ROOT", paths.BUNDLED_DATA_DIR)


def test_one_app_id_names_the_entry_icon_metainfo_and_release():
    keys = _desktop_keys(desktop.DESKTOP_SOURCE.read_text(encoding="utf-8"))
    assert desktop.DESKTOP_SOURCE.name == f"{desktop.APP_ID}.desktop"
    assert keys["Icon"] == desktop.APP_ID and keys["Name"] == "EmoTune"
    metainfo = desktop.METAINFO_SOURCE.read_text(encoding="utf-8")
    assert f"<id>{desktop.APP_ID}</id>" in metainfo
    assert f'<launchable type="desktop-id">{desktop.APP_ID}.desktop</launchable>' in metainfo
    # The newest release in the metainfo is this version: bump both together.
    assert re.search(r'<release version="([^"]+)"', metainfo).group(1) == __version__


def test_every_icon_size_is_bundled_and_matches_the_svg():
    pytest.importorskip("PySide6.QtSvg")
    spec = importlib.util.spec_from_file_location("render_icons", RENDER_SCRIPT)
    render_icons = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(render_icons)
    from PySide6.QtGui import QImage

    assert render_icons.SIZES == desktop.ICON_SIZES and render_icons.APP_ID == desktop.APP_ID
    files = desktop.app_icon_files()
    assert files[-1].suffix == ".svg" and all(f.is_file() for f in files)
    for size, png in zip(desktop.ICON_SIZES, files, strict=False):
        committed = QImage(str(png)).convertToFormat(QImage.Format.Format_ARGB32)
        assert (committed.width(), committed.height()) == (size, size), png
        fresh = render_icons.render(size)
        # Anti-aliasing may differ a little between Qt versions; a stale PNG differs a lot.
        assert _mean_abs_difference(committed, fresh) <= 3.0, (
            f"{png} differs from the SVG: run assets/icons/render_icons.py"
        )


def _mean_abs_difference(a, b) -> float:
    """Mean absolute difference of two same-size ARGB32 QImages, over all channels (0..255)."""
    import numpy as np

    def array(image):
        raw = np.frombuffer(bytes(image.constBits()), dtype=np.uint8)
        return raw.reshape(image.height(), image.bytesPerLine())[:, : image.width() * 4]

    return float(np.abs(array(a).astype(int) - array(b).astype(int)).mean())


def test_install_writes_entry_icons_and_metainfo_and_uninstall_removes_only_those(tmp_path):
    command = ["/opt/my apps/bin/emotune"]
    written = desktop.install(tmp_path, command)
    assert sorted(written) == sorted(desktop.installed_files(tmp_path))
    entry = tmp_path / "applications" / f"{desktop.APP_ID}.desktop"
    keys = _desktop_keys(entry.read_text(encoding="utf-8"))
    assert keys["Exec"] == '"/opt/my apps/bin/emotune"'  # quoted: the path has a space
    assert keys["TryExec"] == "/opt/my apps/bin/emotune"
    assert (tmp_path / "icons/hicolor/256x256/apps" / f"{desktop.APP_ID}.png").is_file()
    assert (tmp_path / "metainfo" / f"{desktop.APP_ID}.metainfo.xml").is_file()
    neighbour = tmp_path / "applications" / "someone-else.desktop"
    neighbour.write_text("[Desktop Entry]\n")
    assert sorted(desktop.uninstall(tmp_path)) == sorted(written)
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == [neighbour]
    assert desktop.uninstall(tmp_path) == []


def test_exec_quoting_escapes_what_the_spec_reserves():
    entry = desktop.desktop_entry(['/home/a$b/e`m"o', "-m", "emotune"])
    [line] = [line for line in entry.splitlines() if line.startswith("Exec=")]
    # Inside quotes `$`, backquote and `"` get a backslash, then every backslash is doubled.
    assert line == 'Exec="/home/a\\\\$b/e\\\\`m\\\\"o" -m emotune'


def test_launcher_runs_the_emotune_script_of_this_interpreter(monkeypatch, tmp_path):
    script = tmp_path / "bin" / "emotune"
    script.parent.mkdir()
    script.write_text("#!/bin/sh\n")
    script.chmod(0o755)
    monkeypatch.setattr(sys, "executable", str(tmp_path / "bin" / "python"))
    assert desktop.launcher_command() == [str(script)]
    script.unlink()
    monkeypatch.setattr(desktop.shutil, "which", lambda name: None)
    assert desktop.launcher_command() == [str(tmp_path / "bin" / "python"), "-m", "emotune"]


def test_cli_install_and_uninstall_use_xdg_data_home(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert main(["install-desktop"]) == 0
    out = capsys.readouterr().out
    assert f"installed {tmp_path / 'applications' / desktop.APP_ID}.desktop" in out
    assert main(["uninstall-desktop"]) == 0
    assert "removed" in capsys.readouterr().out
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


def test_xdg_data_home_falls_back_to_local_share_when_unset_or_relative(monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", "relative/path")
    assert desktop.xdg_data_home() == Path.home() / ".local" / "share"


def test_resources_resolve_from_this_checkout_and_the_version_names_the_model():
    assert paths.install_kind() is paths.InstallKind.CHECKOUT  # tests run from the git checkout
    assert paths.DEFAULT_MODEL == paths.PROJECT_ROOT / "models" / "emotion.tflite"
    sidecar = json.loads(paths.DEFAULT_MODEL.with_suffix(".json").read_text(encoding="utf-8"))
    assert version_text() == f"emotune {__version__} (model {sidecar['version']})"


def test_version_says_when_the_model_is_missing(monkeypatch, tmp_path):
    monkeypatch.setattr(paths, "DEFAULT_MODEL", tmp_path / "emotion.tflite")
    assert version_text() == f"emotune {__version__} (model missing: {tmp_path / 'emotion.tflite'})"


def test_missing_model_fix_fits_each_install_kind(monkeypatch, tmp_path):
    assert "git checkout -- models/emotion.tflite" in paths.missing_model_fix()
    monkeypatch.setattr(paths, "PROJECT_ROOT", tmp_path)  # a source tree without .git
    assert paths.install_kind() is paths.InstallKind.SOURCE
    assert "sdist" in paths.missing_model_fix() and "git checkout" not in paths.missing_model_fix()
    monkeypatch.setattr(paths, "RESOURCE_ROOT", paths.BUNDLED_DATA_DIR)
    assert paths.install_kind() is paths.InstallKind.WHEEL
    fix = paths.missing_model_fix()
    assert fix.startswith("Reinstall EmoTune") and "--model PATH" in fix and "git" not in fix
    (tmp_path / "pipx_metadata.json").write_text("{}")
    monkeypatch.setattr(sys, "prefix", str(tmp_path))  # a venv pipx made
    assert "`pipx reinstall emotune`" in paths.missing_model_fix()
    # A path the user chose gets advice about that path, not a reinstall.
    assert "--model" in paths.missing_model_fix(tmp_path / "mine.tflite")
    assert "Reinstall" not in paths.missing_model_fix(tmp_path / "mine.tflite")


def test_doctor_and_classifier_give_the_wheel_fix_for_a_missing_model(
    as_wheel, monkeypatch, tmp_path
):
    from emotune.doctor.model import check_model
    from emotune.vision.classifier import EmotionClassifier, ModelLoadError

    missing = tmp_path / "emotion.tflite"
    monkeypatch.setattr(paths, "DEFAULT_MODEL", missing)
    result = check_model(missing)
    assert not result.ok and result.detail == f"{missing} is missing"
    assert result.hint.startswith("Reinstall EmoTune") and "git" not in result.hint
    with pytest.raises(ModelLoadError, match="Reinstall EmoTune"):
        EmotionClassifier.load(missing)


def test_doctor_library_hint_never_sends_a_wheel_user_into_site_packages(as_wheel, tmp_path):
    from emotune.doctor.library import check_library

    result = check_library([tmp_path])
    assert not result.ok
    assert "emotune --library DIR" in result.hint and "Put MP3" not in result.hint
