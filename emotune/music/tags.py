"""Read a track's tags and write its mood - the only code that ever modifies a user's audio file.

All format knowledge lives in the table in :mod:`emotune.music.formats`; this module is generic.
Writes are atomic: the file is copied to a temporary file in the same folder, the copy is tagged,
read back to verify, fsync'd and moved over the original with ``os.replace``. A crash or an error
at any point leaves the original byte-for-byte untouched. Only the tag block is rewritten by
mutagen; the audio stream is copied as is.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from mutagen import FileType

from emotune.emotions import Emotion
from emotune.music.formats import (
    TEXT_FIELDS,
    CorruptFile,
    FormatSpec,
    ID3ByVersion,
    TagError,
    UnsupportedFormat,
    open_audio,
)

__all__ = [
    "CorruptFile",
    "TagError",
    "TagInfo",
    "TagWriteError",
    "UnsupportedFormat",
    "read_tags",
    "write_fields",
    "write_mood",
]


class TagWriteError(TagError):
    """The new tags could not be written; the original file is unchanged."""


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


def _mood_field_name(audio: FileType, spec: FormatSpec) -> str:
    mood = spec.fields["mood"]
    return mood.written_name(audio) if isinstance(mood, ID3ByVersion) else mood.name


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
        mood_field=_mood_field_name(audio, spec),
    )


def read_tags(path: Path | str) -> TagInfo:
    """Read title, artist, album, mood, BPM, key, cover presence and duration of ``path``.

    Raises UnsupportedFormat or CorruptFile (both TagError) with a user-facing reason, or OSError
    for a missing or unreadable file.
    """
    audio, spec = open_audio(Path(path))
    return _info_from(audio, spec)


def mood_text(emotion: Emotion | str | None) -> str | None:
    """The text written to the mood tag for an emotion: its label, e.g. ``"Happy"``."""
    return None if emotion is None else Emotion.parse(emotion).label


def write_mood(path: Path | str, emotion: Emotion | str | None) -> TagInfo:
    """Set the mood tag of ``path`` to ``emotion`` (None clears it), atomically.

    Only the mood field changes; other tags and the audio data are kept. Returns the tags as read
    back from the written file. Raises ValueError for an unknown emotion name, TagError
    subclasses for unsupported/corrupt files or failed writes; the original is then untouched.
    """
    return write_fields(path, {"mood": mood_text(emotion)})


def write_fields(
    path: Path | str,
    values: Mapping[str, str | None],
    *,
    cover: tuple[bytes, str] | None = None,
) -> TagInfo:
    """Atomically set logical text fields (``TEXT_FIELDS``; None clears) and optionally a cover.

    ``cover`` is ``(image_bytes, mime_type)``. Used by :func:`write_mood` and by the demo-library
    generator. Symlinks are followed: the real file is replaced, the link stays a link.
    """
    unknown = set(values) - set(TEXT_FIELDS)
    if unknown:
        raise ValueError(f"unknown tag field(s): {', '.join(sorted(unknown))}")
    target = Path(os.path.realpath(path))
    # Parse the original first: an unsupported or corrupt file fails here, before any copy.
    _, spec = open_audio(target)
    if not os.access(target, os.W_OK):
        # The rename below only needs a writable folder; honour the file's own read-only bit.
        raise TagWriteError("the file is read-only")
    try:
        fd, tmp_name = tempfile.mkstemp(
            prefix=f".{target.stem[:40]}.", suffix=f".emotune-tmp{target.suffix}", dir=target.parent
        )
    except OSError as exc:
        raise TagWriteError(f"cannot create a temporary file next to {target.name}: {exc}") from exc
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out, open(target, "rb") as src:
            shutil.copyfileobj(src, out, length=1 << 20)
        written = _tag_copy(tmp, spec, values, cover)
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        _copy_ownership(target, tmp)  # after tagging: the copy may become read-only
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
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
