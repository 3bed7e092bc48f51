"""The one tag table: every supported container, and where each logical field lives in it.

In the style of beets' mediafile: a field is a small descriptor object that knows how to read,
write and clear one value in one tag scheme (an ID3 frame, a Vorbis comment, an MP4 atom). The
:data:`FORMATS` table maps each mutagen file type to its descriptors; everything else
(:mod:`emotune.music.library.tags`, the scanner) is generic code that looks fields up in the table. Adding
a format or a field is one table row, never another ``if`` in the callers.

Mood lives in:

==============  ===============================================================
MP3, WAV, AIFF  ID3v2.4 ``TMOO``; ID3v2.3 files get ``TXXX:MOOD`` (v2.3 has no TMOO)
FLAC, Ogg, Opus Vorbis comment ``MOOD``
M4A/AAC         freeform atom ``----:com.apple.iTunes:MOOD``
==============  ===============================================================

BPM is ``TBPM`` / ``BPM`` / ``tmpo`` and the key ``TKEY`` / ``KEY`` (or ``INITIALKEY``) /
``----:com.apple.iTunes:initialkey`` - the names Picard, beets, Mixxx and iTunes use.
"""

from __future__ import annotations

import base64
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mutagen import FileType, MutagenError
from mutagen.aiff import AIFF
from mutagen.flac import FLAC, Picture
from mutagen.id3 import APIC, TXXX, Frames
from mutagen.mp3 import MP3
from mutagen.mp4 import MP4, AtomDataType, MP4Cover, MP4FreeForm
from mutagen.oggopus import OggOpus
from mutagen.oggvorbis import OggVorbis
from mutagen.wave import WAVE

TEXT_FIELDS = ("title", "artist", "album", "mood", "bpm", "key")
"""Logical text fields every format row provides (a row may map one to None if unsupported)."""


class Field(ABC):
    """Reads, writes and clears one logical text field in one tag scheme."""

    name: str  # the on-disk name, for messages: "TMOO", "MOOD", ...

    @abstractmethod
    def read(self, audio: FileType) -> str | None:
        """The value, or None if absent or empty."""

    @abstractmethod
    def write(self, audio: FileType, value: str) -> None:
        """Replace the value (tags must exist)."""

    @abstractmethod
    def clear(self, audio: FileType) -> None:
        """Remove the value if present."""

    def written_name(self, audio: FileType) -> str:
        """The on-disk name :meth:`write` uses for this file (most fields have only one)."""
        return self.name


class CoverField(ABC):
    """Reads, detects and writes embedded cover art in one tag scheme (the picture field)."""

    @abstractmethod
    def present(self, audio: FileType) -> bool:
        """True if the file embeds at least one picture."""

    @abstractmethod
    def read(self, audio: FileType) -> bytes | None:
        """The first embedded picture's image bytes, or None."""

    @abstractmethod
    def write(self, audio: FileType, data: bytes, mime: str) -> None:
        """Replace all pictures with one front cover."""


def _first_text(values: Any) -> str | None:
    """First non-empty string of a tag value list (mutagen returns lists almost everywhere)."""
    if values is None:
        return None
    if isinstance(values, (str, bytes)):
        values = [values]
    for value in values:
        text = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
        text = text.strip().strip("\x00").strip()
        if text:
            return text
    return None


# --- ID3 (MP3, WAV, AIFF) ------------------------------------------------------------------


@dataclass(frozen=True)
class ID3Text(Field):
    """A standard ID3 text frame such as ``TIT2`` or ``TMOO``."""

    name: str

    def read(self, audio: FileType) -> str | None:
        frame = audio.tags.get(self.name) if audio.tags is not None else None
        return _first_text(frame.text) if frame is not None else None

    def write(self, audio: FileType, value: str) -> None:
        # UTF-8 (encoding 3); mutagen converts it to UTF-16 itself when saving as v2.3.
        audio.tags.setall(self.name, [Frames[self.name](encoding=3, text=[value])])

    def clear(self, audio: FileType) -> None:
        if audio.tags is not None:
            audio.tags.delall(self.name)


@dataclass(frozen=True)
class ID3UserText(Field):
    """A ``TXXX`` frame with a description, e.g. ``TXXX:MOOD``; the description matches any case."""

    desc: str

    @property
    def name(self) -> str:  # type: ignore[override]
        return f"TXXX:{self.desc}"

    def _frames(self, audio: FileType) -> list:
        if audio.tags is None:
            return []
        return [f for f in audio.tags.getall("TXXX") if f.desc.upper() == self.desc.upper()]

    def read(self, audio: FileType) -> str | None:
        for frame in self._frames(audio):
            text = _first_text(frame.text)
            if text:
                return text
        return None

    def write(self, audio: FileType, value: str) -> None:
        self.clear(audio)
        audio.tags.add(TXXX(encoding=3, desc=self.desc, text=[value]))

    def clear(self, audio: FileType) -> None:
        for frame in self._frames(audio):
            del audio.tags[frame.HashKey]


@dataclass(frozen=True)
class ID3ByVersion(Field):
    """A field stored differently in ID3v2.4 and ID3v2.3 (mood: TMOO vs TXXX:MOOD).

    Reads either; writes the form the file's own version supports and removes the other, so the
    file never carries two disagreeing moods.
    """

    v24: Field
    v23: Field

    @property
    def name(self) -> str:  # type: ignore[override]
        return f"{self.v24.name} (v2.4) / {self.v23.name} (v2.3)"

    def _pick(self, audio: FileType) -> tuple[Field, Field]:
        return (self.v23, self.v24) if id3_major(audio) == 3 else (self.v24, self.v23)

    def read(self, audio: FileType) -> str | None:
        first, second = self._pick(audio)
        return first.read(audio) or second.read(audio)

    def write(self, audio: FileType, value: str) -> None:
        chosen, other = self._pick(audio)
        other.clear(audio)
        chosen.write(audio, value)

    def clear(self, audio: FileType) -> None:
        self.v24.clear(audio)
        self.v23.clear(audio)

    def written_name(self, audio: FileType) -> str:
        """The frame :meth:`write` uses for this file (depends on its ID3 version)."""
        return self._pick(audio)[0].name


class ID3Cover(CoverField):
    """``APIC`` frames."""

    def present(self, audio: FileType) -> bool:
        return audio.tags is not None and bool(audio.tags.getall("APIC"))

    def read(self, audio: FileType) -> bytes | None:
        frames = audio.tags.getall("APIC") if audio.tags is not None else []
        return bytes(frames[0].data) if frames else None

    def write(self, audio: FileType, data: bytes, mime: str) -> None:
        audio.tags.setall("APIC", [APIC(encoding=3, mime=mime, type=3, desc="Cover", data=data)])


def id3_major(audio: FileType) -> int:
    """2, 3 or 4 for a file with an ID3v2 tag; 4 (what we would write) otherwise."""
    version = getattr(audio.tags, "version", None)
    if version and version[0] == 2:
        return int(version[1])
    return 4


def _id3_save_options(audio: FileType) -> dict[str, Any]:
    # Keep a v2.3 file v2.3: upgrading would rewrite every frame (TYER -> TDRC, ...) and some
    # players still only read v2.3. v2.2 cannot be written, so it becomes v2.4.
    if id3_major(audio) == 3:
        # mutagen reads every tag as v2.4 in memory (TYER becomes TDRC); saving as v2.3 does not
        # convert back by itself, so turn the frames back into their v2.3 forms first.
        audio.tags.update_to_v23()
        return {"v2_version": 3}
    return {"v2_version": 4}


# --- Vorbis comments (FLAC, Ogg Vorbis, Opus) ------------------------------------------------


@dataclass(frozen=True)
class VorbisField(Field):
    """A Vorbis comment; reads any of ``keys`` (aliases), writes the first and drops the others."""

    keys: tuple[str, ...]

    @property
    def name(self) -> str:  # type: ignore[override]
        return self.keys[0]

    def read(self, audio: FileType) -> str | None:
        if audio.tags is None:
            return None
        for key in self.keys:
            text = _first_text(audio.tags.get(key))
            if text:
                return text
        return None

    def write(self, audio: FileType, value: str) -> None:
        self.clear(audio)
        audio.tags[self.keys[0]] = [value]

    def clear(self, audio: FileType) -> None:
        if audio.tags is None:
            return
        for key in self.keys:
            if key in audio.tags:
                del audio.tags[key]


class FLACCover(CoverField):
    """FLAC ``PICTURE`` metadata blocks."""

    def present(self, audio: FileType) -> bool:
        return bool(audio.pictures)

    def read(self, audio: FileType) -> bytes | None:
        return bytes(audio.pictures[0].data) if audio.pictures else None

    def write(self, audio: FileType, data: bytes, mime: str) -> None:
        audio.clear_pictures()
        audio.add_picture(_flac_picture(data, mime))


class VorbisCommentCover(CoverField):
    """``METADATA_BLOCK_PICTURE`` (base64 FLAC picture) in Ogg; legacy ``COVERART`` is read too."""

    def present(self, audio: FileType) -> bool:
        tags = audio.tags
        return tags is not None and any(
            _first_text(tags.get(k)) for k in ("METADATA_BLOCK_PICTURE", "COVERART")
        )

    def read(self, audio: FileType) -> bytes | None:
        tags = audio.tags
        if tags is None:
            return None
        try:
            block = _first_text(tags.get("METADATA_BLOCK_PICTURE"))
            if block:
                return bytes(Picture(base64.b64decode(block)).data)
            legacy = _first_text(tags.get("COVERART"))  # the bare base64 image
            return base64.b64decode(legacy) if legacy else None
        except (ValueError, MutagenError):  # bad base64 or a broken picture block: no cover
            return None

    def write(self, audio: FileType, data: bytes, mime: str) -> None:
        for key in ("METADATA_BLOCK_PICTURE", "COVERART", "COVERARTMIME"):
            if key in audio.tags:
                del audio.tags[key]
        encoded = base64.b64encode(_flac_picture(data, mime).write()).decode("ascii")
        audio.tags["METADATA_BLOCK_PICTURE"] = [encoded]


def _flac_picture(data: bytes, mime: str) -> Picture:
    picture = Picture()
    picture.type = 3  # front cover
    picture.mime = mime
    picture.desc = "Cover"
    picture.data = data
    return picture


# --- MP4 atoms (M4A/AAC) ---------------------------------------------------------------------

_ITUNES = "----:com.apple.iTunes:"


@dataclass(frozen=True)
class MP4Text(Field):
    """A standard iTunes text atom such as ``©nam``."""

    name: str

    def read(self, audio: FileType) -> str | None:
        return _first_text(audio.tags.get(self.name)) if audio.tags is not None else None

    def write(self, audio: FileType, value: str) -> None:
        audio.tags[self.name] = [value]

    def clear(self, audio: FileType) -> None:
        if audio.tags is not None and self.name in audio.tags:
            del audio.tags[self.name]


@dataclass(frozen=True)
class MP4Freeform(Field):
    """An iTunes freeform atom ``----:com.apple.iTunes:<mean>``; the name matches any case."""

    mean: str

    @property
    def name(self) -> str:  # type: ignore[override]
        return _ITUNES + self.mean

    def _keys(self, audio: FileType) -> list[str]:
        if audio.tags is None:
            return []
        wanted = self.name.upper()
        return [k for k in audio.tags if k.upper() == wanted]

    def read(self, audio: FileType) -> str | None:
        for key in self._keys(audio):
            text = _first_text(audio.tags[key])
            if text:
                return text
        return None

    def write(self, audio: FileType, value: str) -> None:
        self.clear(audio)
        audio.tags[self.name] = [MP4FreeForm(value.encode("utf-8"), AtomDataType.UTF8)]

    def clear(self, audio: FileType) -> None:
        for key in self._keys(audio):
            del audio.tags[key]


@dataclass(frozen=True)
class MP4Integer(Field):
    """An integer atom (``tmpo``: BPM); written rounded to a whole number, as iTunes does."""

    name: str

    def read(self, audio: FileType) -> str | None:
        values = audio.tags.get(self.name) if audio.tags is not None else None
        return str(values[0]) if values else None

    def write(self, audio: FileType, value: str) -> None:
        audio.tags[self.name] = [int(round(float(value)))]

    def clear(self, audio: FileType) -> None:
        if audio.tags is not None and self.name in audio.tags:
            del audio.tags[self.name]


class MP4CoverField(CoverField):
    """The ``covr`` atom."""

    def present(self, audio: FileType) -> bool:
        return audio.tags is not None and bool(audio.tags.get("covr"))

    def read(self, audio: FileType) -> bytes | None:
        covers = audio.tags.get("covr") if audio.tags is not None else None
        return bytes(covers[0]) if covers else None

    def write(self, audio: FileType, data: bytes, mime: str) -> None:
        kind = MP4Cover.FORMAT_PNG if mime == "image/png" else MP4Cover.FORMAT_JPEG
        audio.tags["covr"] = [MP4Cover(data, imageformat=kind)]


# --- the table -------------------------------------------------------------------------------


def _no_save_options(audio: FileType) -> dict[str, Any]:
    return {}


@dataclass(frozen=True)
class FormatSpec:
    """One row of the table: a container and where its fields live."""

    name: str  # short name for humans and JSON: "mp3", "flac", ...
    kind: type[FileType]  # the mutagen class
    extensions: tuple[str, ...]
    fields: Mapping[str, Field]  # logical name (TEXT_FIELDS) -> descriptor
    cover: CoverField  # the picture field: read, detected and written like the text fields
    # called just before saving: may adjust the tags, returns keyword arguments for save()
    save_options: Callable[[FileType], dict[str, Any]] = _no_save_options
    # True where the container declares its audio size independently of the file size (MP3 Xing
    # header, WAV/AIFF data chunk) *and* mutagen's bitrate is exact, so a cut-off file shows.
    # Not for Ogg (nominal bitrate only) or MP4 (average bitrate from the encoder's estimate).
    declares_size: bool = False


_ID3_FIELDS: Mapping[str, Field] = {
    "title": ID3Text("TIT2"),
    "artist": ID3Text("TPE1"),
    "album": ID3Text("TALB"),
    "mood": ID3ByVersion(v24=ID3Text("TMOO"), v23=ID3UserText("MOOD")),
    "bpm": ID3Text("TBPM"),
    "key": ID3Text("TKEY"),
}
_VORBIS_FIELDS: Mapping[str, Field] = {
    "title": VorbisField(("TITLE",)),
    "artist": VorbisField(("ARTIST",)),
    "album": VorbisField(("ALBUM",)),
    "mood": VorbisField(("MOOD",)),
    "bpm": VorbisField(("BPM", "TEMPO")),
    "key": VorbisField(("KEY", "INITIALKEY")),
}
_MP4_FIELDS: Mapping[str, Field] = {
    "title": MP4Text("\xa9nam"),
    "artist": MP4Text("\xa9ART"),
    "album": MP4Text("\xa9alb"),
    "mood": MP4Freeform("MOOD"),
    "bpm": MP4Integer("tmpo"),
    "key": MP4Freeform("initialkey"),
}

FORMATS: dict[type[FileType], FormatSpec] = {
    spec.kind: spec
    for spec in (
        FormatSpec("mp3", MP3, (".mp3",), _ID3_FIELDS, ID3Cover(), _id3_save_options, True),
        FormatSpec("wav", WAVE, (".wav",), _ID3_FIELDS, ID3Cover(), _id3_save_options, True),
        FormatSpec(
            "aiff", AIFF, (".aif", ".aiff"), _ID3_FIELDS, ID3Cover(), _id3_save_options, True
        ),
        FormatSpec("flac", FLAC, (".flac",), _VORBIS_FIELDS, FLACCover()),
        FormatSpec("ogg", OggVorbis, (".ogg", ".oga"), _VORBIS_FIELDS, VorbisCommentCover()),
        FormatSpec("opus", OggOpus, (".opus", ".ogg"), _VORBIS_FIELDS, VorbisCommentCover()),
        FormatSpec("m4a", MP4, (".m4a", ".m4b", ".mp4"), _MP4_FIELDS, MP4CoverField()),
    )
}
"""mutagen file type -> its row. The single source of truth for where tags live."""

AUDIO_EXTENSIONS: frozenset[str] = frozenset(
    ext for spec in FORMATS.values() for ext in spec.extensions
)
"""Lower-case extensions the scanner considers audio (everything else is ignored silently)."""


class TagError(ValueError):
    """Base class for problems reading or writing a file's tags; the message is for users."""


class UnsupportedFormat(TagError):
    """The file is not in any format of the table."""


class CorruptFile(TagError):
    """The file claims a supported format but can't be parsed, or is cut short."""


def open_audio(path: Path) -> tuple[FileType, FormatSpec]:
    """Parse ``path`` with mutagen, restricted to the formats of the table.

    The container is sniffed from the content (mutagen scores the header and the extension), so a
    mislabelled file is still read correctly. Raises UnsupportedFormat, CorruptFile or OSError
    (missing file, permission denied) with a message fit for users.
    """
    import mutagen

    path = Path(path)
    size = path.stat().st_size
    if size == 0:
        raise CorruptFile("empty file (0 bytes)")
    try:
        audio = mutagen.File(path, options=list(FORMATS))
    except MutagenError as exc:
        # mutagen wraps I/O errors; surface them as OSError so callers can tell them apart
        if isinstance(exc.__context__, OSError):
            raise exc.__context__ from None
        detail = _describe(exc, path)
        raise CorruptFile(
            f"not a valid {_guess_name(path)} file" + (f": {detail}" if detail else "")
        ) from exc
    except OSError:
        raise
    except Exception as exc:  # fuzzed or odd files can trip parser bugs; never crash the scan
        raise CorruptFile(f"unreadable ({type(exc).__name__}: {exc})") from exc
    if audio is None:
        raise UnsupportedFormat(f"not a supported audio format ({_supported_names()})")
    spec = FORMATS[type(audio)]
    problem = truncation_problem(audio, size) if spec.declares_size else None
    if problem:
        raise CorruptFile(problem)
    return audio, spec


def truncation_problem(audio: FileType, file_size: int) -> str | None:
    """A message if the file is much shorter than its own headers declare, else None.

    Containers that declare their audio size (an MP3 Xing/VBRI header, a WAV/AIFF data chunk) let
    us spot a download that was cut off: the declared length times the bitrate is far more bytes
    than the file holds. Only meaningful for rows with ``declares_size``; formats whose length
    mutagen derives from the file size itself are consistent by construction.
    """
    info = audio.info
    length = float(getattr(info, "length", 0.0) or 0.0)
    bitrate = float(getattr(info, "bitrate", 0) or 0)
    if length <= 0 or bitrate <= 0:
        return None
    expected = length * bitrate / 8.0
    # 0.8: VBR averages, headers and padding wobble by a few percent, a truncation doesn't.
    if file_size < 0.8 * expected:
        held = file_size * 8.0 / bitrate
        return f"truncated: declares {length:.1f} s of audio but holds only about {held:.1f} s"
    if getattr(info, "sketchy", False):
        return "not valid MPEG audio (no consistent frame sync)"
    return None


def _guess_name(path: Path) -> str:
    ext = path.suffix.lower()
    for spec in FORMATS.values():
        if ext in spec.extensions:
            return spec.name.upper()
    return "audio"


def _supported_names() -> str:
    return ", ".join(sorted({spec.name.upper() for spec in FORMATS.values()}))


def _describe(exc: Exception, path: Path | None = None) -> str:
    """mutagen's message without the file name (the caller shows it); "" if nothing is left."""
    text = str(exc).strip()
    if path is not None:
        for shown in (repr(str(path)), f"'{path}'", str(path)):
            text = text.replace(shown, "")
        text = text.strip(" :")
        if text.startswith("is not a valid"):  # "'/x.flac' is not a valid FLAC file": no news
            return ""
    return text or type(exc).__name__
