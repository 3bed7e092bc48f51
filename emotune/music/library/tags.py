"""Read a track's tags and write its mood - the only code that ever modifies a user's audio file.

All format knowledge lives in the table in :mod:`emotune.music.library.formats`; this module is generic.
Writes are atomic: the file is copied to a temporary file in the same folder, the copy is tagged,
read back to verify, fsync'd and moved over the original with ``os.replace``. A crash or an error
at any point leaves the original byte-for-byte untouched. Only the tag block is rewritten by
mutagen; the audio stream is copied as is.

A write killed half-way leaves its temporary copy (``.NAME.XXXXXXXX.emotune-tmp.EXT``); the next
write or scan in that folder removes such leftovers (:func:`remove_leftover_temps`), recognised
by that exact name pattern and by not being locked by a write still in progress.

Because the file is replaced, a read-only file (no write bit, checked on the mode so root is
refused too) and a file with other hard links (they would keep the old tags) are refused unless
the caller passes ``allow_readonly`` / ``allow_hardlinks``.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import stat
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from mutagen import FileType

from emotune.emotions import Emotion
from emotune.music.library.formats import (
    AUDIO_EXTENSIONS,
    TEXT_FIELDS,
    CorruptFile,
    FormatSpec,
    TagError,
    UnsupportedFormat,
    open_audio,
)

__all__ = [
    "CorruptFile",
    "HardLinkedFile",
    "ReadOnlyFile",
    "TagError",
    "TagInfo",
    "TagWriteError",
    "UnsupportedFormat",
    "is_leftover_temp",
    "read_cover",
    "read_tags",
    "remove_leftover_temps",
    "write_fields",
    "write_mood",
]


class TagWriteError(TagError):
    """The new tags could not be written; the original file is unchanged."""


class ReadOnlyFile(TagWriteError):
    """The file has no write permission bit; refused unless ``allow_readonly``."""


class HardLinkedFile(TagWriteError):
    """The file has other hard links, which would keep the old tags; refused unless allowed."""


_TEMP_MARK = ".emotune-tmp"
_STEM_CHARS = 40  # how much of the original name the temporary name keeps
# "." + stem[:40] + "." + mkstemp's 8 random characters + ".emotune-tmp" + the original suffix.
_LEFTOVER = re.compile(
    rf"\.(?:.{{0,{_STEM_CHARS}}})\.[a-z0-9_]{{8}}{re.escape(_TEMP_MARK)}(?:\.[^.]+)?", re.DOTALL
)

try:  # POSIX: a write in progress holds an advisory lock on its temporary file
    import fcntl
except ImportError:  # Windows: leftovers are recognised by name only
    fcntl = None  # type: ignore[assignment]


def is_leftover_temp(name: str) -> bool:
    """Whether ``name`` (a file name, not a path) is exactly what :func:`write_fields` creates."""
    if _LEFTOVER.fullmatch(name) is None:
        return False
    suffix = name[name.index(_TEMP_MARK) + len(_TEMP_MARK) :]
    return suffix.lower() in AUDIO_EXTENSIONS  # only audio files are ever tagged


def _lock(fd: int, *, wait: bool) -> bool:
    if fcntl is None:
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


def remove_leftover_temps(folder: Path | str) -> list[Path]:
    """Delete temporary copies left in ``folder`` by killed tag writes; returns what was removed.

    Only regular files (not symlinks) whose name matches the exact temporary-name pattern and
    that no running write has locked are removed; any error leaves the file where it is.
    """
    removed: list[Path] = []
    try:
        with os.scandir(folder) as entries:
            names = [e.name for e in entries if is_leftover_temp(e.name)]
    except OSError:
        return removed
    for name in names:
        path = Path(folder) / name
        try:
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | os.O_NONBLOCK)
        except OSError:
            continue  # a symlink, gone, or unreadable: not ours to touch
        try:
            if stat.S_ISREG(os.fstat(fd).st_mode) and _lock(fd, wait=False):
                path.unlink()
                removed.append(path)
        except OSError:
            pass
        finally:
            os.close(fd)
    return removed


@dataclass(frozen=True)
class TagInfo:
    """What a file's tags say, plus the few stream facts the library needs."""

    format: str  # "mp3", "flac", "ogg", "opus", "m4a", "wav", "aiff"
    duration: float | None  # seconds
    title: str | None = None
    artist: str | None = None
    album: str | None = None
    mood: str | None = None  # raw text, e.g. "Happy" or "dark, brooding"
    bpm: float | None = None
    key: str | None = None  # raw text, e.g. "Am", "A minor", "8A"
    has_cover: bool = False
    mood_field: str = ""  # where the mood is stored in this file, e.g. "TMOO"

    def to_dict(self) -> dict:
        """JSON-friendly dict (for the cache)."""
        # all fields are plain values; a shallow copy is ~10x faster than dataclasses.asdict
        return dict(self.__dict__)

    @classmethod
    def from_dict(cls, data: Mapping) -> TagInfo:
        """Inverse of :meth:`to_dict`; raises TypeError on unknown keys."""
        return cls(**data)


def _parse_bpm(text: str | None) -> float | None:
    if not text:
        return None
    try:
        value = float(text.replace(",", ".").split()[0])
    except (ValueError, IndexError):
        return None
    # BPM tags of 0 or absurd values are common junk from old taggers.
    return value if 20.0 <= value <= 400.0 else None


def _info_from(audio: FileType, spec: FormatSpec) -> TagInfo:
    values = {name: spec.fields[name].read(audio) for name in TEXT_FIELDS}
    length = getattr(audio.info, "length", None)
    return TagInfo(
        format=spec.name,
        duration=round(float(length), 3) if length else None,
        title=values["title"],
        artist=values["artist"],
        album=values["album"],
        mood=values["mood"],
        bpm=_parse_bpm(values["bpm"]),
        key=values["key"],
        has_cover=spec.cover.present(audio),
        mood_field=spec.fields["mood"].written_name(audio),
    )


def read_tags(path: Path | str) -> TagInfo:
    """Read title, artist, album, mood, BPM, key, cover presence and duration of ``path``.

    Raises UnsupportedFormat or CorruptFile (both TagError) with a user-facing reason, or OSError
    for a missing or unreadable file.
    """
    audio, spec = open_audio(Path(path))
    return _info_from(audio, spec)


def read_cover(path: Path | str) -> bytes | None:
    """The first embedded picture of ``path`` (the table's picture field), or None.

    Never raises for a file without a readable cover: an odd or unsupported file has no cover.
    """
    try:
        audio, spec = open_audio(Path(path))
        return spec.cover.read(audio)
    except (TagError, OSError):
        return None


def mood_text(emotion: Emotion | str | None) -> str | None:
    """The text written to the mood tag for an emotion: its label, e.g. ``"Happy"``."""
    return None if emotion is None else Emotion.parse(emotion).label


def write_mood(
    path: Path | str,
    emotion: Emotion | str | None,
    *,
    allow_readonly: bool = False,
    allow_hardlinks: bool = False,
) -> TagInfo:
    """Set the mood tag of ``path`` to ``emotion`` (None clears it), atomically.

    Only the mood field changes; other tags and the audio data are kept. Returns the tags as read
    back from the written file. Raises ValueError for an unknown emotion name, TagError
    subclasses for unsupported/corrupt/read-only/hard-linked files or failed writes; the
    original is then untouched.
    """
    return write_fields(
        path,
        {"mood": mood_text(emotion)},
        allow_readonly=allow_readonly,
        allow_hardlinks=allow_hardlinks,
    )


def write_fields(
    path: Path | str,
    values: Mapping[str, str | None],
    *,
    cover: tuple[bytes, str] | None = None,
    allow_readonly: bool = False,
    allow_hardlinks: bool = False,
) -> TagInfo:
    """Atomically set logical text fields (``TEXT_FIELDS``; None clears) and optionally a cover.

    ``cover`` is ``(image_bytes, mime_type)``. Used by :func:`write_mood` and by the demo-library
    generator. Symlinks are followed: the real file is replaced, the link stays a link. Raises
    :class:`ReadOnlyFile` / :class:`HardLinkedFile` unless ``allow_readonly`` /
    ``allow_hardlinks`` (see the module doc).
    """
    unknown = set(values) - set(TEXT_FIELDS)
    if unknown:
        raise ValueError(f"unknown tag field(s): {', '.join(sorted(unknown))}")
    target = Path(os.path.realpath(path))
    remove_leftover_temps(target.parent)
    # Parse the original first: an unsupported or corrupt file fails here, before any copy.
    _, spec = open_audio(target)
    st = target.stat()
    # The rename below only needs a writable folder, and root passes os.access: so the file's
    # own mode bits decide, for everyone.
    read_only = not st.st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
    if not allow_readonly and (read_only or not os.access(target, os.W_OK)):
        raise ReadOnlyFile("the file is read-only")
    if not allow_hardlinks and st.st_nlink > 1:
        raise HardLinkedFile(
            f"the file has {st.st_nlink - 1} other hard link(s), which would keep the old tags"
        )
    try:
        fd, tmp_name = tempfile.mkstemp(
            prefix=f".{target.stem[:_STEM_CHARS]}.",
            suffix=f"{_TEMP_MARK}{target.suffix}",
            dir=target.parent,
        )
    except OSError as exc:
        raise TagWriteError(f"cannot create a temporary file next to {target.name}: {exc}") from exc
    tmp = Path(tmp_name)
    _lock(fd, wait=True)  # held until fd closes: cleanups in other processes leave it alone
    try:
        if os.fstat(fd).st_ino != tmp.stat().st_ino:  # removed before the lock was taken
            raise TagWriteError("another EmoTune cleaned this folder at the same moment; try again")
        with os.fdopen(os.dup(fd), "wb") as out, open(target, "rb") as src:
            shutil.copyfileobj(src, out, length=1 << 20)
        written = _tag_copy(tmp, spec, values, cover)
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        _copy_ownership(target, tmp)  # after tagging: the copy may become read-only
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    finally:
        os.close(fd)
    _fsync_dir(target.parent)
    return written


def _tag_copy(
    tmp: Path, spec: FormatSpec, values: Mapping[str, str | None], cover: tuple[bytes, str] | None
) -> TagInfo:
    """Tag the temporary copy, save it, and verify by reading it back."""
    try:
        audio = spec.kind(tmp)
        if audio.tags is None:
            audio.add_tags()
        for name, value in values.items():
            descriptor = spec.fields[name]
            if value is None or not str(value).strip():
                descriptor.clear(audio)
            else:
                descriptor.write(audio, str(value))
        if cover is not None:
            spec.cover.write(audio, cover[0], cover[1])
        audio.save(**spec.save_options(audio))
        reread = spec.kind(tmp)
        check = _info_from(reread, spec)
    except TagError:
        raise
    except Exception as exc:  # mutagen raises a zoo of types for odd files
        raise TagWriteError(f"could not write {spec.name.upper()} tags: {exc}") from exc
    for name, value in values.items():
        wanted = None if value is None or not str(value).strip() else str(value)
        got = spec.fields[name].read(reread)
        if not _same(got, wanted):
            raise TagWriteError(f"{name} did not read back as written ({got!r} != {wanted!r})")
    return check


def _same(got: str | None, wanted: str | None) -> bool:
    if got == wanted:
        return True
    if got is None or wanted is None:
        return False
    try:  # numeric fields may be stored rounded (MP4 tmpo is an integer)
        return abs(float(got) - float(wanted)) <= 0.5
    except ValueError:
        return False


def _copy_ownership(source: Path, dest: Path) -> None:
    """Give the copy the original's permission bits and, where allowed, its owner."""
    shutil.copymode(source, dest)
    st = source.stat()
    with contextlib.suppress(OSError, AttributeError):  # chown needs privileges; not on Windows
        os.chown(dest, st.st_uid, st.st_gid)


def _fsync_dir(folder: Path) -> None:
    """Make the rename itself durable (POSIX); a no-op where directories can't be opened."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
