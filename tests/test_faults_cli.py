"""The fault table, run as a new user would: real `emotune` subprocesses on bad inputs.

Each case checks the one-line message, the exit code, that no Python traceback reaches the user
and that the user's files are byte-for-byte unchanged. The window's cases are in
test_faults_ui.py, the "nothing written outside EmoTune's folders" traces in
test_faults_privacy.py.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

from emotune.paths import DEMO_LIBRARY_DIR, MODELS_DIR

REPO = Path(__file__).resolve().parent.parent
COVERED_MP3 = DEMO_LIBRARY_DIR / "angry" / "red_line.mp3"  # has an embedded cover
FLAC = DEMO_LIBRARY_DIR / "disgust" / "sour_milk.flac"


def emotune(
    *args: str, env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess:
    """Run ``python -m emotune ARGS`` with EMOTUNE_HOME from the test's environment."""
    full_env = {**os.environ, **(env or {})}
    result = subprocess.run(
        [sys.executable, "-m", "emotune", *args],
        capture_output=True,
        text=True,
        errors="replace",
        cwd=REPO,
        env=full_env,
        timeout=timeout,
    )
    assert "Traceback" not in result.stdout + result.stderr, result.stderr
    return result


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def digests(folder: Path) -> dict[str, str]:
    """Hash of every regular file under ``folder`` (fifos and links to nowhere left out)."""
    out = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file() and not path.is_symlink():
            out[os.fsdecode(path.relative_to(folder))] = digest(path)
    return out


# -- bad audio files: skipped with reasons, never changed ---------------------------------------


@pytest.fixture(scope="module")
def bad_library(tmp_path_factory) -> Path:
    lib = tmp_path_factory.mktemp("bad_library")
    good = lib / "good.mp3"
    shutil.copyfile(COVERED_MP3, good)
    (lib / "corrupt.mp3").write_bytes(b"Dear diary, a text file renamed to .mp3.\n" * 40)
    (lib / "empty.flac").write_bytes(b"")
    (lib / "truncated.flac").write_bytes(FLAC.read_bytes()[:3000])
    (lib / "no_header.flac").write_bytes(b"not a flac header at all" * 10)
    os.mkfifo(lib / "fifo.mp3")
    os.symlink(lib, lib / "loop")  # a folder that contains itself
    os.symlink("self.ogg", lib / "self.ogg")  # a file link that points at itself
    shutil.copyfile(COVERED_MP3, os.path.join(os.fsencode(lib), b"caf\xe9 \n odd.mp3"))
    huge = lib / "huge_tag.mp3"
    shutil.copyfile(COVERED_MP3, huge)
    from emotune.music.library.tags import write_fields

    write_fields(huge, {"title": "x" * 2_000_000, "mood": "happy"})  # a 4 MB title frame
    return lib


def test_scan_skips_every_bad_file_with_a_reason_and_changes_nothing(bad_library):
    before = digests(bad_library)
    result = emotune("scan", str(bad_library), "--json", timeout=120)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    reasons = {os.path.basename(entry["path"]): entry["reason"] for entry in report["skipped"]}
    assert reasons["corrupt.mp3"].startswith("not a valid MP3 file")
    assert reasons["empty.flac"] == "empty file (0 bytes)"
    assert reasons["truncated.flac"].startswith("not a valid FLAC file")
    assert reasons["no_header.flac"] == "not a valid FLAC file"  # the path is not repeated
    assert reasons["fifo.mp3"] == "not a regular file"
    assert reasons["self.ogg"] == "symlink loop"
    titles = [track["path"] for track in report["tracks"]]
    assert len(titles) == 3  # good, huge tag and the odd name are playable
    assert any("odd.mp3" in path for path in titles)
    assert digests(bad_library) == before


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("corrupt.mp3", "not a valid MP3 file"),
        ("empty.flac", "empty file (0 bytes)"),
        ("truncated.flac", "not a valid FLAC file: file said"),
        ("fifo.mp3", "not a file"),
        ("self.ogg", "file not found"),
    ],
)
def test_tag_refuses_bad_files_with_one_line_and_leaves_them_alone(bad_library, name, reason):
    before = digests(bad_library)
    result = emotune("tag", str(bad_library / name), "--emotion", "sad")
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {bad_library / name}: {reason}")
    assert digests(bad_library) == before


def test_flac_error_names_the_file_once(bad_library):
    result = emotune("tag", str(bad_library / "no_header.flac"), "--emotion", "sad")
    assert result.returncode == 1
    assert result.stderr.count("no_header.flac") == 1


def test_corrupt_library_cache_is_moved_aside_and_rebuilt(tmp_path, _isolated_user_dirs):
    music = tmp_path / "music"
    music.mkdir()
    shutil.copyfile(COVERED_MP3, music / "a.mp3")
    cache = _isolated_user_dirs / "data" / "library.sqlite"
    cache.parent.mkdir(parents=True)
    cache.write_bytes(b"this is not a database" * 100)
    result = emotune("scan", str(music), "--json")
    assert result.returncode == 0 and len(json.loads(result.stdout)["tracks"]) == 1
    assert (cache.parent / "library.sqlite.corrupt").read_bytes() == b"this is not a database" * 100
    again = emotune("scan", str(music), "--json")
    assert json.loads(again.stdout)["from_cache"] == 1


# -- bad settings --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content",
    [
        '{"volume": "loud", "strategy": 7}',
        '{"volume": null}',
        '{"volume": 1e10}',
        "[1, 2]",
        "{oops",
    ],
)
def test_garbage_settings_do_not_stop_play(_isolated_user_dirs, content):
    config = _isolated_user_dirs / "config"
    config.mkdir(exist_ok=True)
    (config / "settings.json").write_text(content)
    result = emotune("play", "--emotion", "happy", "--no-audio", "--count", "1", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["strategy"] == "match"  # the schema's default


# -- libVLC that will not load ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("PYTHON_VLC_LIB_PATH", "/nonexistent/libvlc.so.5"),
        ("PYTHON_VLC_MODULE_PATH", "/nonexistent/plugins"),
    ],
)
def test_bad_python_vlc_variable_is_named_by_play_and_doctor(variable, value):
    env = {variable: value}
    result = emotune("play", "--emotion", "sad", "--count", "1", env=env)
    assert result.returncode == 2
    assert result.stderr.startswith(f"error: {variable}={value}") and "--no-audio" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1

    doctor = emotune("doctor", "--json", env=env, timeout=120)
    check = next(c for c in json.loads(doctor.stdout)["checks"] if c["key"] == "libvlc")
    assert check["ok"] is False and variable in check["detail"]
    assert "apt-get install" not in check["hint"] and variable in check["hint"]


# -- an unusable EMOTUNE_HOME --------------------------------------------------------------------


def _home_is_a_file(tmp_path: Path) -> dict[str, str]:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("keep me")
    return {"EMOTUNE_HOME": str(blocker)}


@pytest.mark.parametrize(
    "args",
    [
        ("scan", "--no-progress"),
        ("play", "--emotion", "sad", "--no-audio", "--count", "1"),
        ("tag", str(COVERED_MP3)),
    ],
    ids=["scan", "play", "tag"],
)
def test_emotune_home_that_is_a_file_gives_a_message_and_the_command_still_works(tmp_path, args):
    env = _home_is_a_file(tmp_path)
    result = emotune(*args, env=env)
    assert result.returncode == 0, result.stderr
    if args[0] != "tag":  # tag never touches EmoTune's folders
        assert f"EMOTUNE_HOME={env['EMOTUNE_HOME']} is a file, not a folder" in result.stderr
    assert Path(env["EMOTUNE_HOME"]).read_text() == "keep me"


def test_doctor_reports_an_unusable_emotune_home_as_a_failed_check_with_a_fix(tmp_path):
    result = emotune("doctor", "--json", env=_home_is_a_file(tmp_path), timeout=120)
    assert result.returncode == 1
    checks = {c["key"]: c for c in json.loads(result.stdout)["checks"]}
    assert checks["user_dirs"]["ok"] is False and "is a file" in checks["user_dirs"]["detail"]
    assert "EMOTUNE_HOME" in checks["user_dirs"]["hint"]
    assert all("report this as a bug" not in c["hint"] for c in checks.values())


def _read_only_mount(
    source: Path, target: Path, command: list[str], env: dict[str, str]
) -> subprocess.CompletedProcess:
    """Run ``command`` in a private mount namespace where ``target`` is ``source`` mounted read-only
    (mode bits alone never stop root, a read-only mount does)."""
    if shutil.which("unshare") is None:
        pytest.skip("unshare not installed")
    script = 'mount --bind -o ro "$1" "$2" && shift 2 && exec "$@"'
    result = subprocess.run(
        ["unshare", "-rm", "sh", "-c", script, "sh", str(source), str(target), *command],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**os.environ, **env},
        timeout=120,
    )
    if result.returncode != 0 and ("unshare" in result.stderr or "mount:" in result.stderr):
        pytest.skip(f"no private read-only mount here: {result.stderr.strip()[:100]}")
    return result


def test_read_only_emotune_home_gives_messages_not_tracebacks(tmp_path):
    source, target = tmp_path / "src", tmp_path / "home"
    source.mkdir()
    target.mkdir()
    env = {"EMOTUNE_HOME": str(target)}
    result = _read_only_mount(
        source, target, [sys.executable, "-m", "emotune", "scan", "--no-progress"], env
    )
    assert result.returncode == 0 and "Traceback" not in result.stderr
    assert "read-only file system" in result.stderr and "EMOTUNE_HOME" in result.stderr
    doctor = _read_only_mount(
        source, target, [sys.executable, "-m", "emotune", "doctor", "--json"], env
    )
    check = next(c for c in json.loads(doctor.stdout)["checks"] if c["key"] == "user_dirs")
    assert check["ok"] is False and "read-only" in check["detail"]
    assert list(source.iterdir()) == []


# -- images OpenCV will not decode ------------------------------------------------------------------


def huge_png(path: Path, width: int, height: int) -> Path:
    """A valid, all-black grey PNG written row block by row block (never the whole image in memory)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    compressor = zlib.compressobj(9)
    rows = bytes(width + 1) * 100  # filter byte + pixels, 100 rows at a time
    body = b"".join(compressor.compress(rows) for _ in range(height // 100)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b"")
    )
    return path


def _face_image(path: Path) -> Path:
    import cv2
    import numpy as np

    cv2.imwrite(str(path), np.full((120, 160, 3), 90, np.uint8))
    return path


# OpenCV's own pixel limit, lowered so a 2000x2000 image stands in for a 40000x40000 one.
SMALL_LIMIT = {"OPENCV_IO_MAX_IMAGE_PIXELS": "1000000"}


@pytest.mark.parametrize("fmt", ["png", "bmp"])
def test_detect_refuses_an_image_over_the_pixel_limit_in_one_line(tmp_path, fmt):
    import cv2
    import numpy as np

    image = tmp_path / f"big.{fmt}"
    if fmt == "png":
        huge_png(image, 2000, 2000)  # refused from its header
    else:
        cv2.imwrite(str(image), np.zeros((1100, 1000, 3), np.uint8))  # refused by OpenCV itself
    result = emotune("detect", str(image), env=SMALL_LIMIT)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [result.stderr.strip()]
    assert "image too large" in result.stderr and "Assertion" not in result.stderr


def test_detect_folder_skips_the_huge_image_and_analyses_the_rest(tmp_path):
    folder = tmp_path / "images"
    folder.mkdir()
    _face_image(folder / "a.png")
    huge_png(folder / "b_huge.png", 2000, 2000)
    _face_image(folder / "c.png")
    result = emotune("detect", str(folder), "--json", env=SMALL_LIMIT)
    assert result.returncode == 0
    assert json.loads(result.stdout)["frames_analysed"] == 2
    assert "skipping" in result.stderr and "b_huge.png: image too large" in result.stderr


@pytest.mark.slow
def test_a_real_40000_by_40000_png_is_refused_quickly(tmp_path):
    image = huge_png(tmp_path / "huge.png", 40000, 40000)
    assert image.stat().st_size < 3_000_000  # 1.6 gigapixels, 1.5 MB on disk
    result = emotune("detect", str(image))
    assert result.returncode == 1 and "40000x40000 pixels" in result.stderr


# -- models ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"", "is empty (0 bytes)"), (b"\x00garbage" * 200, "is corrupt or not a TFLite model")],
    ids=["empty", "corrupt"],
)
def test_bad_model_file_gives_a_clear_error(tmp_path, content, message):
    model = tmp_path / "emotion.tflite"
    model.write_bytes(content)
    shutil.copyfile(MODELS_DIR / "emotion.json", tmp_path / "emotion.json")
    for member in MODELS_DIR.glob("emotion_*.tflite"):  # the ensemble's other members are fine
        shutil.copyfile(member, tmp_path / member.name)
    result = emotune("detect", str(_face_image(tmp_path / "face.png")), "--model", str(model))
    assert result.returncode == 1 and message in result.stderr
    assert "model_content" not in result.stderr


# -- tag: leftovers, read-only files, hard links -------------------------------------------------

_KILL_DURING_REPLACE = """
import os, signal, sys
from emotune.music.library import tags
def killed(*args):  # the moment before the rename: the temporary copy is complete
    os.kill(os.getpid(), signal.SIGKILL)
tags.os.replace = killed
tags.write_mood(sys.argv[1], "sad")
"""

LOOKALIKES = [
    ".song.abcd1234.emotune-tmp.mp3.bak",  # something after the extension
    ".song.ABCD1234.emotune-tmp.mp3",  # mkstemp never uses capitals
    "song.abcd1234.emotune-tmp.mp3",  # not hidden
    ".song.abc123.emotune-tmp.mp3",  # 6 random characters, not 8
    ".song.abcd1234.emotune-tmp.txt",  # not an audio file
    ".song.abcd1234.emotune_tmp.mp3",
    ".emotune-tmp",
]


def _killed_write(folder: Path) -> Path:
    track = folder / "track.mp3"
    shutil.copyfile(COVERED_MP3, track)
    result = subprocess.run(
        [sys.executable, "-c", _KILL_DURING_REPLACE, str(track)], cwd=REPO, timeout=60
    )
    assert result.returncode == -signal.SIGKILL
    leftovers = [p for p in folder.iterdir() if ".emotune-tmp" in p.name]
    assert len(leftovers) == 1 and leftovers[0].name.startswith(".track.")
    assert digest(track) == digest(COVERED_MP3)  # the kill lost nothing
    return leftovers[0]


@pytest.mark.parametrize("next_command", ["scan", "tag"])
def test_leftover_of_a_killed_tag_write_is_removed_by_the_next_scan_or_tag(tmp_path, next_command):
    folder = tmp_path / "music"
    folder.mkdir()
    leftover = _killed_write(folder)
    for name in LOOKALIKES:
        (folder / name).write_bytes(b"keep me")
    os.symlink(leftover.name, folder / ".link.abcd1234.emotune-tmp.mp3")  # a link with the pattern
    if next_command == "scan":
        result = emotune("scan", str(folder), "--json")
    else:
        result = emotune("tag", str(folder / "track.mp3"), "--emotion", "happy")
    assert result.returncode == 0, result.stderr
    assert not leftover.exists()
    for name in LOOKALIKES:
        assert (folder / name).read_bytes() == b"keep me"
    assert os.path.islink(folder / ".link.abcd1234.emotune-tmp.mp3")


def test_a_write_in_progress_keeps_its_temporary_file(tmp_path):
    from emotune.music.library.tags import remove_leftover_temps

    folder = tmp_path / "music"
    folder.mkdir()
    import fcntl

    busy = folder / ".song.abcd1234.emotune-tmp.mp3"
    busy.write_bytes(b"half")
    with open(busy, "rb") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)  # what a running write holds
        assert remove_leftover_temps(folder) == []
        assert busy.exists()
    assert remove_leftover_temps(folder) == [busy]


def test_read_only_file_is_refused_even_for_root_unless_forced(tmp_path):
    track = tmp_path / "ro.mp3"
    shutil.copyfile(COVERED_MP3, track)
    track.chmod(0o444)
    before = digest(track)
    refused = emotune("tag", str(track), "--emotion", "sad")
    assert refused.returncode == 1
    assert "the file is read-only" in refused.stderr and "--force-readonly" in refused.stderr
    assert digest(track) == before
    forced = emotune("tag", str(track), "--emotion", "sad", "--force-readonly")
    assert forced.returncode == 0, forced.stderr
    assert "mood = Sad" in forced.stdout and track.stat().st_mode & 0o777 == 0o444


def test_hard_linked_file_is_refused_unless_asked_and_then_only_this_link_changes(tmp_path):
    track, other = tmp_path / "a.mp3", tmp_path / "b.mp3"
    shutil.copyfile(COVERED_MP3, track)
    os.link(track, other)
    before = digest(track)
    refused = emotune("tag", str(track), "--emotion", "sad")
    assert (
        refused.returncode == 1
        and "other hard link" in refused.stderr
        and "--break-links" in refused.stderr
    )
    assert digest(track) == digest(other) == before
    done = emotune("tag", str(track), "--emotion", "sad", "--break-links")
    assert done.returncode == 0, done.stderr
    assert digest(other) == before and digest(track) != before  # as documented in the README


# -- numeric options -------------------------------------------------------------------------------

BAD_NUMBERS = [
    ("detect", "--every", "0"),
    ("detect", "--max-frames", "0"),
    ("detect", "--max-frames", "-1"),
    ("detect", "--dwell", "-5"),  # the old name of --music-hold
    ("detect", "--dwell", "nan"),
    ("detect", "--music-hold", "inf"),
    ("detect", "--music-hold", "-0.5"),
    ("gui", "--music-hold", "-1"),
    ("gui", "--music-hold", "nan"),
    ("play", "--count", "0"),
    ("play", "--count", "100000"),
    ("play", "--count", "five"),
    ("play", "--seed", "-1"),
    ("bench", "--frames", "0"),
    ("bench", "--reference-frames", "-3"),
    ("bench", "--core", "-1"),
    ("evaluate", "--seed", "nan"),
    ("gui", "--quit-after", "-1"),
    ("train", "--epochs", "0"),
    ("train", "--batch-size", "-64"),
    ("train", "--learning-rate", "nan"),
    ("train", "--learning-rate", "0"),
    ("train", "--patience", "-1"),
    ("train", "--seed", "1.5"),
    ("train", "--max-train", "0"),
    ("train", "--ferplus-weight", "1.5"),
    ("train", "--teacher-weight", "-0.1"),
    ("train", "--teacher-views", "-2"),
    ("train", "--time-budget", "inf"),
    ("train", "--max-accuracy-drop", "nan"),
    ("train", "--weights", "-1"),
]


def test_every_numeric_option_is_validated_and_in_the_table():
    from emotune.cli import build_parser

    parser = build_parser()
    subparsers = next(a for a in parser._actions if a.dest == "command").choices
    numeric = set()
    for name, sub in subparsers.items():
        for action in sub._actions:
            assert action.type not in (int, float), (name, action.option_strings)  # unchecked
            if getattr(action.type, "__name__", "") in ("whole number", "number"):
                numeric.add((name, max(action.option_strings, key=len)))
    assert len(numeric) >= 20
    assert numeric <= {(command, option) for command, option, _ in BAD_NUMBERS}


@pytest.mark.parametrize(("command", "option", "value"), BAD_NUMBERS)
def test_bad_numbers_are_refused_with_exit_2(command, option, value):
    extra = {"detect": ["image.png"], "play": ["--emotion", "sad"]}.get(command, [])
    result = emotune(command, *extra, f"{option}={value}")
    assert result.returncode == 2
    assert f"argument {option}" in result.stderr and repr(value) in result.stderr


@pytest.mark.slow
def test_bench_json_keeps_stderr_free_of_tensorflow_start_up_lines():
    pytest.importorskip("keras")
    result = emotune(
        "bench",
        "--json",
        "--sections",
        "reference",
        "--frames",
        "2",
        "--reference-frames",
        "1",
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    json.loads(result.stdout)
    assert "absl::InitializeLog" not in result.stderr and "I0000" not in result.stderr
