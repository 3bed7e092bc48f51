"""The built package carries what the app needs and works from a fresh venv outside the checkout.

``python -m build --no-isolation`` makes the sdist and, from the sdist, the wheel (the dev extra
brings the build tools, so nothing is downloaded). The wheel goes into a fresh venv with
``--no-deps``; one ``.pth`` line lends that venv the runtime dependencies already installed in
the project venv, so the test needs no network. The fresh venv's own site-packages come first,
so ``emotune`` is the wheel's copy, and each command runs from a folder outside the checkout.
``make package-check`` runs just this file.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from emotune import __version__
from emotune.paths import PROJECT_ROOT

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not (PROJECT_ROOT / "pyproject.toml").is_file(), reason="needs the source tree to build"
    ),
]

DATA = "emotune/_data/"
AUDIO_SUFFIXES = {".mp3", ".flac", ".ogg", ".opus", ".m4a", ".wav"}


def _run(command: list[str | Path], timeout: float = 180, **kwargs) -> subprocess.CompletedProcess:
    completed = subprocess.run(
        [str(part) for part in command], capture_output=True, text=True, timeout=timeout, **kwargs
    )
    assert completed.returncode == 0, (
        f"{command} exited {completed.returncode}\n{completed.stdout}\n{completed.stderr}"
    )
    return completed


@pytest.fixture(scope="module")
def dist(tmp_path_factory) -> Path:
    """The folder holding the freshly built sdist and wheel."""
    try:
        import build  # noqa: F401
    except ImportError:
        pytest.fail("the `build` package is missing: run `make setup-test` (dev extra)")
    out = tmp_path_factory.mktemp("dist")
    _run([sys.executable, "-m", "build", "--no-isolation", "--outdir", out, PROJECT_ROOT])
    return out


@pytest.fixture(scope="module")
def wheel(dist: Path) -> Path:
    [found] = dist.glob("emotune-*.whl")
    return found


@pytest.fixture(scope="module")
def installed(tmp_path_factory, wheel: Path) -> Path:
    """A fresh venv with only the wheel installed (deps lent by .pth); returns its bin folder."""
    venv = tmp_path_factory.mktemp("fresh") / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", venv])
    python = venv / "bin" / "python"
    site = _run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"])
    lent = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    Path(site.stdout.strip(), "zz_project_venv_deps.pth").write_text("\n".join(sorted(lent)) + "\n")
    _run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            python,
            "install",
            "--no-deps",
            "--no-index",
            wheel,
        ]
    )
    return venv / "bin"


@pytest.fixture(scope="module")
def elsewhere(tmp_path_factory) -> Path:
    """A working folder outside the checkout, with its own user-data and XDG folders."""
    return tmp_path_factory.mktemp("elsewhere")


def _env(elsewhere: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env.update(
        EMOTUNE_HOME=str(elsewhere / "home"),
        XDG_DATA_HOME=str(elsewhere / "xdg"),
        QT_QPA_PLATFORM="offscreen",
    )
    return env


def _emotune(installed: Path, elsewhere: Path, *args: str, timeout: float = 180):
    return _run([installed / "emotune", *args], timeout=timeout, cwd=elsewhere, env=_env(elsewhere))


def test_wheel_carries_the_code_models_demo_library_and_launcher_files(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    code = {
        p.relative_to(PROJECT_ROOT).as_posix() for p in (PROJECT_ROOT / "emotune").rglob("*.py")
    }
    assert code - names == set(), "emotune modules missing: add their package to pyproject.toml"
    models = sorted((PROJECT_ROOT / "models").glob("*.tflite"))
    assert models, "no models/*.tflite in the checkout"
    for model in models:  # every shipped model (ensemble members too) with its sidecar
        assert f"{DATA}models/{model.name}" in names
        assert f"{DATA}models/{model.with_suffix('.json').name}" in names
    tracks = {
        p.relative_to(PROJECT_ROOT).as_posix()
        for p in (PROJECT_ROOT / "music_library").rglob("*")
        if p.suffix.lower() in AUDIO_SUFFIXES
    }
    assert tracks and {DATA + t for t in tracks} <= names
    launcher = {
        p.relative_to(PROJECT_ROOT).as_posix()
        for folder in ("assets/icons/hicolor", "assets/desktop")
        for p in (PROJECT_ROOT / folder).rglob("*")
        if p.is_file()
    }
    assert len(launcher) >= 11 and {DATA + f for f in launcher} <= names
    # Training leftovers, README screenshots and tests stay out of the wheel.
    assert not [n for n in names if "models/checkpoint" in n or n.endswith((".keras", ".npz"))]
    assert not [n for n in names if n.startswith(("tests/", f"{DATA}assets/screenshot"))]


def test_sdist_builds_the_wheel_and_carries_the_data(dist):
    [sdist] = dist.glob("emotune-*.tar.gz")
    import tarfile

    with tarfile.open(sdist) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    assert {"models/emotion.tflite", "models/emotion.json", "pyproject.toml"} <= names
    assert not [n for n in names if n.startswith("models/checkpoint") or n.endswith(".keras")]


def test_installed_version_names_the_app_and_the_shipped_model(installed, elsewhere):
    sidecar = json.loads((PROJECT_ROOT / "models" / "emotion.json").read_text(encoding="utf-8"))
    out = _emotune(installed, elsewhere, "--version").stdout.strip()
    assert out == f"emotune {__version__} (model {sidecar['version']})"


def test_installed_doctor_finds_the_bundled_model_and_demo_library(installed, elsewhere):
    completed = subprocess.run(
        [installed / "emotune", "doctor", "--json"],
        capture_output=True,
        text=True,
        timeout=180,
        cwd=elsewhere,
        env=_env(elsewhere),
    )
    checks = {c["key"]: c for c in json.loads(completed.stdout)["checks"]}
    assert checks["model"]["ok"], checks["model"]
    assert checks["library"]["ok"], checks["library"]
    venv = str(installed.parent)
    # Found in the installed package, not in the checkout this test runs from.
    assert venv in checks["model"]["detail"] and venv in checks["library"]["detail"]
    assert "(0)" not in checks["library"]["detail"]


def test_installed_detect_reads_the_astronauts_smile(installed, elsewhere):
    cv2 = pytest.importorskip("cv2")
    data = pytest.importorskip("skimage.data")
    image = elsewhere / "astronaut.png"
    cv2.imwrite(str(image), cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR))
    out = _emotune(installed, elsewhere, "detect", image.name, "--json", "--no-calibration").stdout
    faces = json.loads(out)["frames"][0]["faces"]
    assert len(faces) == 1 and faces[0]["emotion"] == "happy"


def test_installed_launcher_files_validate_and_uninstall_cleanly(installed, elsewhere):
    for tool in ("desktop-file-validate", "appstreamcli"):
        assert shutil.which(tool), (
            f"{tool} is missing: run `make setup-test` (desktop-file-utils, appstream)"
        )
    out = _emotune(installed, elsewhere, "install-desktop").stdout
    xdg = elsewhere / "xdg"
    entry = xdg / "applications" / "io.github.emotune.EmoTune.desktop"
    assert str(entry) in out
    assert f"Exec={installed / 'emotune'}\n" in entry.read_text(encoding="utf-8")
    assert (xdg / "icons/hicolor/48x48/apps/io.github.emotune.EmoTune.png").is_file()
    assert (xdg / "icons/hicolor/scalable/apps/io.github.emotune.EmoTune.svg").is_file()
    _run(["desktop-file-validate", entry])
    _run(
        [
            "appstreamcli",
            "validate",
            "--no-net",
            xdg / "metainfo/io.github.emotune.EmoTune.metainfo.xml",
        ]
    )
    _emotune(installed, elsewhere, "uninstall-desktop")
    assert [p for p in xdg.rglob("*") if p.is_file()] == []
