"""Frame sources: cameras that fail and come back, files that end, device listing, spec parsing."""

from __future__ import annotations

import time
from pathlib import Path

import cv2
import numpy as np
import pytest
from vision_fakes import FakeCapture

from emotune.vision.sources import (
    CameraSource,
    FolderSource,
    ImageSource,
    MemorySource,
    SourceError,
    SourceEvent,
    SourceStatus,
    VideoFileSource,
    list_cameras,
    open_source,
)


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def camera_with(
    captures: list[FakeCapture | None], clock: FakeClock, **kw
) -> tuple[CameraSource, list[SourceEvent]]:
    """A CameraSource whose successive (re)connections return ``captures`` in order."""
    pending = list(captures)

    def factory(index: int):
        return pending.pop(0) if pending else None

    source = CameraSource(0, capture_factory=factory, clock=clock, sleep=clock.sleep, **kw)
    events: list[SourceEvent] = []
    source.add_listener(lambda _src, event: events.append(event))
    return source, events


def test_camera_that_fails_mid_run_reports_lost_then_reconnects_with_backoff():
    clock = FakeClock()
    first = FakeCapture(good=3)
    second = FakeCapture(good=100)
    # Reconnection fails twice (no device), then a working capture appears.
    source, events = camera_with(
        [first, None, None, second], clock, max_failures=3, backoff_initial=0.5, backoff_max=4.0
    )
    source.open()
    frames = [source.read() for _ in range(3)]
    assert all(f is not None for f in frames)
    assert [f.index for f in frames] == [0, 1, 2]
    # Three failed reads: lost, device released, no exception.
    assert [source.read() for _ in range(3)] == [None, None, None]
    assert source.status is SourceStatus.LOST
    assert first.released
    assert events == [SourceEvent.OPENED, SourceEvent.CAMERA_LOST]

    got = None
    for _ in range(200):
        got = source.read()
        if got is not None:
            break
    assert got is not None and source.status is SourceStatus.OPEN
    assert events[-1] is SourceEvent.RECONNECTED
    assert source.reconnect_attempts == 3
    # Backoff doubled between failed attempts: 0.5 s, then 1 s, then 2 s of waiting.
    assert sum(clock.sleeps) == pytest.approx(0.5 + 1.0 + 2.0)
    assert max(clock.sleeps) <= source.poll_interval + 1e-9  # never blocks for long
    source.close()
    assert second.released and events[-1] is SourceEvent.CLOSED


def test_camera_read_exceptions_are_contained():
    class Exploding(FakeCapture):
        def read(self):
            raise OSError("USB unplugged")

    clock = FakeClock()
    source, events = camera_with([Exploding()], clock, max_failures=2)
    with source:
        assert source.read() is None
        assert source.read() is None
        assert source.status is SourceStatus.LOST
    assert SourceEvent.CAMERA_LOST in events


def test_no_camera_gives_a_clear_error_quickly():
    source = CameraSource(7, capture_factory=lambda i: FakeCapture(opened=False))
    start = time.monotonic()
    with pytest.raises(SourceError) as info:
        source.open()
    assert time.monotonic() - start < 2.0
    assert "camera 7" in str(info.value)
    assert source.status is SourceStatus.CLOSED
    assert source.read() is None  # reading a source that never opened is harmless


def test_real_camera_probe_never_hangs():
    start = time.monotonic()
    cameras = list_cameras()
    assert time.monotonic() - start < 1.0
    assert isinstance(cameras, list)


def test_list_cameras_reads_names_and_skips_metadata_nodes(tmp_path):
    dev, sysfs = tmp_path / "dev", tmp_path / "sys"
    dev.mkdir()
    for number, index, name in (
        (0, 0, "Integrated Webcam"),
        (1, 1, "Integrated Webcam"),
        (2, 0, "USB Cam"),
    ):
        (dev / f"video{number}").touch()
        node = sysfs / f"video{number}"
        node.mkdir(parents=True)
        (node / "index").write_text(f"{index}\n")
        (node / "name").write_text(f"{name}\n")
    (dev / "video-extra").touch()
    cameras = list_cameras(dev, sysfs)
    assert [(c.index, c.name) for c in cameras] == [(0, "Integrated Webcam"), (2, "USB Cam")]
    assert list_cameras(tmp_path / "missing", sysfs) == []


def write_video(path: Path, frames: int, size=(64, 48), fps=10.0) -> Path:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, size)
    assert writer.isOpened()
    for i in range(frames):
        writer.write(np.full((size[1], size[0], 3), i * 10 % 255, np.uint8))
    writer.release()
    return path


def test_video_file_ends_with_an_event_not_an_exception(tmp_path):
    path = write_video(tmp_path / "clip.avi", 7, fps=10.0)
    source = open_source(str(path))
    assert isinstance(source, VideoFileSource)
    events = []
    source.add_listener(lambda _s, e: events.append(e))
    with source:
        frames = list(source.frames())
        assert source.read() is None  # reading past the end stays quiet
    assert len(frames) == 7
    assert [f.timestamp for f in frames] == pytest.approx([i / 10.0 for i in range(7)])
    assert events == [SourceEvent.OPENED, SourceEvent.END_OF_STREAM, SourceEvent.CLOSED]


def test_video_file_loops_with_increasing_timestamps(tmp_path):
    path = write_video(tmp_path / "clip.avi", 4, fps=10.0)
    with VideoFileSource(path, loop=True) as source:
        times = [source.read().timestamp for _ in range(10)]
    assert times == pytest.approx([i / 10.0 for i in range(10)])


def test_broken_video_is_a_clear_error(tmp_path):
    bad = tmp_path / "broken.mp4"
    bad.write_bytes(b"not a video at all")
    with pytest.raises(SourceError):
        open_source(str(bad)).open()


def test_image_and_folder_sources(tmp_path):
    image = np.zeros((20, 30, 3), np.uint8)
    image[:, :, 2] = 200
    assert cv2.imwrite(str(tmp_path / "b.png"), image)
    assert cv2.imwrite(str(tmp_path / "a.jpg"), image)
    (tmp_path / "c.png").write_bytes(b"garbage")
    (tmp_path / "notes.txt").write_text("not an image")

    single = open_source(str(tmp_path / "b.png"))
    assert isinstance(single, ImageSource)
    with single:
        first = single.read()
        assert first is not None and first.image.shape == (20, 30, 3)
        assert single.read() is None and single.status is SourceStatus.ENDED

    folder = open_source(str(tmp_path))
    assert isinstance(folder, FolderSource)
    with folder:
        frames = list(folder.frames())
    assert len(frames) == 2  # a.jpg, b.png; the garbage file is skipped, not fatal
    assert [f.index for f in frames] == [0, 1]


def test_open_source_parses_specs(tmp_path):
    assert isinstance(open_source("0"), CameraSource)
    assert open_source(" 1 ").index == 1
    assert open_source("/dev/video2").index == 2
    assert open_source(3).index == 3
    with pytest.raises(SourceError, match="no such"):
        open_source(str(tmp_path / "nope.mp4"))


def test_memory_source_realtime_drops_stale_frames_and_stamps_capture_time():
    frames = [np.zeros((4, 4, 3), np.uint8)] * 1000  # 10 s: enough even on a busy machine
    with MemorySource(frames, fps=100.0, realtime=True) as source:
        got = source.read()
        time.sleep(0.1)  # a slow consumer: about 10 frames go stale meanwhile
        late = source.read()
    assert got.index == 0 and late is not None
    assert late.timestamp >= 0.08  # the newest due frame, not the next queued one
    assert source.dropped >= 7
    assert abs(late.captured_at - (source._start + late.timestamp)) < 1e-9
