"""Nothing is written outside EmoTune's folders (and /tmp), by EmoTune or by its libraries.

strace follows every thread and child and records each file the process creates, opens for
writing, renames or links. libVLC saves the cover art of what it plays under
``$XDG_CACHE_HOME/vlc/art/``; EmoTune points that variable at its own cache folder, so the art
lands in ``EMOTUNE_HOME/cache``. HOME and the XDG folders are fresh temporary folders here, so
anything a library writes on its own shows up as a write under them.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from emotune.paths import DEMO_LIBRARY_DIR

REPO = Path(__file__).resolve().parent.parent
COVERED = DEMO_LIBRARY_DIR / "angry" / "red_line.mp3"  # a demo track with an embedded cover
TRACE = "trace=open,openat,openat2,creat,mkdir,mkdirat,rename,renameat,renameat2,link,linkat,symlink,symlinkat,truncate"
_LINE = re.compile(r"^(\w+)\((.*)\)\s+= (-?\d+)")
_QUOTED = re.compile(r'"((?:[^"\\]|\\.)*)"')
_DIRFD = re.compile(r"^\d+<([^>]*)>, ")
_TWO_PATHS = ("rename", "renameat", "renameat2", "link", "linkat", "symlink", "symlinkat")


def _strace() -> str:
    strace = shutil.which("strace")
    if strace is None:
        pytest.skip("strace not installed (make test installs it)")
    return strace


def written_paths(prefix: Path) -> list[str]:
    """Paths the traced processes created, renamed to or opened for writing (successful calls).

    Reads strace's per-process files (``-ff -o PREFIX``), whose lines are never split.
    """
    found = []
    for trace in prefix.parent.glob(prefix.name + ".*"):
        for line in trace.read_text(errors="replace").splitlines():
            match = _LINE.match(line)
            if match is None or match.group(3) == "-1":
                continue  # not a call line, or a failed call: nothing was written
            call, args = match.group(1), match.group(2)
            if call.startswith("open") and not re.search(r"O_WRONLY|O_RDWR|O_CREAT|O_TRUNC", args):
                continue  # opened for reading
            quoted = _QUOTED.findall(args)
            if not quoted:
                continue
            path = quoted[-1] if call in _TWO_PATHS else quoted[0]
            dirfd = _DIRFD.match(args if call not in _TWO_PATHS else args.split(", ", 2)[-1])
            if not path.startswith("/") and dirfd is not None:
                path = os.path.join(dirfd.group(1), path)  # -y names the folder of a dirfd
            found.append(path)
    return found


def outside(paths: list[str], emotune_home: Path, sandbox: Path) -> list[str]:
    """The paths that are neither EmoTune's folders nor scratch space (/tmp outside the sandbox,
    /dev, /proc). ``sandbox`` holds the fake HOME and XDG folders, so writes there count."""
    bad = []
    for path in paths:
        if not path.startswith("/"):
            bad.append(path)  # relative to the checkout: never expected
        elif Path(path).is_relative_to(emotune_home):
            continue
        elif Path(path).is_relative_to(sandbox) or not path.startswith(("/tmp", "/dev/", "/proc/")):
            bad.append(path)
    return bad


def _environment(tmp_path: Path) -> tuple[dict[str, str], Path, Path]:
    sandbox = tmp_path / "user"
    home = tmp_path / "emotune-home"
    env = {
        **os.environ,
        "EMOTUNE_HOME": str(home),
        "HOME": str(sandbox / "home"),
        "XDG_CACHE_HOME": str(sandbox / "xdg-cache"),
        "XDG_CONFIG_HOME": str(sandbox / "xdg-config"),
        "XDG_DATA_HOME": str(sandbox / "xdg-data"),
        "PYTHONDONTWRITEBYTECODE": "1",  # .pyc files in the checkout are Python's, not ours
    }
    for name in ("home", "xdg-cache", "xdg-config", "xdg-data"):
        (sandbox / name).mkdir(parents=True)
    return env, home, sandbox


def _art_files(home: Path) -> list[Path]:
    return list((home / "cache").rglob("art.*")) if (home / "cache").exists() else []


def test_playing_a_track_with_a_cover_writes_only_inside_emotune_home(tmp_path):
    strace = _strace()
    from emotune.music.playback.backends import vlc_available

    if not vlc_available():
        pytest.skip("libVLC is not installed")
    env, home, sandbox = _environment(tmp_path)
    music = tmp_path / "music"
    music.mkdir()
    shutil.copyfile(COVERED, music / "covered.mp3")
    trace = tmp_path / "trace.txt"
    command = [
        strace, "-f", "-ff", "-y", "-qq", "-e", TRACE, "-o", str(trace),
        sys.executable, "-m", "emotune", "play", "--emotion", "angry", "--folder", str(music),
        "--count", "1", "--dummy-audio",
    ]  # fmt: skip
    process = subprocess.Popen(
        command,
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,  # its own process group, for the Ctrl-C below
    )
    try:
        deadline = time.monotonic() + 60
        saved = lambda: _art_files(home) or list(sandbox.rglob("art.*"))  # noqa: E731
        while not saved() and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.2)
        time.sleep(1.0)  # let playback run a little past the art
    finally:
        # Ctrl-C, as a terminal sends it: to the whole group (strace itself ignores it).
        with contextlib.suppress(ProcessLookupError):  # it may have finished the track
            os.killpg(process.pid, signal.SIGINT)
        _, stderr = process.communicate(timeout=60)
    if "ptrace" in stderr.decode(errors="replace").lower():
        pytest.skip("ptrace not permitted here")
    assert "Traceback" not in stderr.decode(errors="replace")
    paths = written_paths(trace)
    assert outside(paths, home, sandbox) == []
    assert _art_files(home), "libVLC saved no cover art: the trace did not cover what it should"
    assert any("/vlc/art/" in p for p in paths)  # and the parser saw that write
    assert [p for p in sandbox.rglob("*") if p.is_file()] == []


@pytest.mark.slow
def test_a_20_second_window_run_with_playback_writes_only_inside_emotune_home(tmp_path):
    strace = _strace()
    pytest.importorskip("skimage")  # for the demo "camera" video
    if shutil.which("xvfb-run") is None:
        pytest.skip("xvfb-run not installed")
    from emotune.music.playback.backends import vlc_available

    if not vlc_available():
        pytest.skip("libVLC is not installed")
    env, home, sandbox = _environment(tmp_path)
    video = tmp_path / "demo.mp4"
    subprocess.run(
        [sys.executable, "-m", "emotune.devtools.demo_video", str(video)],
        cwd=REPO,
        check=True,
        capture_output=True,
    )
    music = tmp_path / "music"
    for source in DEMO_LIBRARY_DIR.glob("*/*.*"):
        if source.suffix in (".mp3", ".flac", ".ogg", ".opus", ".m4a", ".wav"):
            shutil.copyfile(source, music.mkdir(exist_ok=True) or music / source.name)
    trace = tmp_path / "trace.txt"
    env.pop("QT_QPA_PLATFORM", None)  # a real (virtual) X screen, as a user has
    result = subprocess.run(
        [
            "xvfb-run", "-a", "-s", "-screen 0 1280x800x24",
            strace, "-f", "-ff", "-y", "-qq", "-e", TRACE, "-o", str(trace),
            sys.executable, "-m", "emotune", "--camera", str(video), "--library", str(music),
            "--quit-after", "20",
        ],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    paths = written_paths(trace)
    # xvfb-run's own X server and its lock files live in /tmp, which is allowed.
    assert outside(paths, home, sandbox) == []
    assert _art_files(home), "nothing played: the run did not cover playback"
    assert [p for p in sandbox.rglob("*") if p.is_file()] == []
