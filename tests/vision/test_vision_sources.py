"""Frame sources: capture timestamps kept; a slow consumer gets the newest frame and the rest are dropped."""
from __future__ import annotations

import threading
import time

import cv2
import numpy as np

from vision.sources import Frame, LatestFrame, VideoSource, open_source


def test_slow_consumer_drops_frames_newest_wins():
    produced = []
    done = threading.Event()

    def producer():
        for i in range(400):  # fast producer: about 2000 frames/s
            produced.append(i)
            yield Frame(np.zeros((4, 4, 3), np.uint8), time.time(), i)
            time.sleep(0.0002)
        done.set()

    latest = LatestFrame(producer(), name="test")
    got = []
    while (frame := latest.get(timeout=5.0)) is not None:
        got.append(frame.frame_id)
        time.sleep(0.02)  # slow consumer: 50 frames/s
    assert done.is_set()
    assert got == sorted(got)  # never an older frame after a newer one
    assert got[-1] == 399  # the newest frame is delivered
    assert len(got) < 200  # most frames were dropped instead of queued
    assert latest.dropped + len(got) == latest.received == 400


def test_video_file_frames_keep_capture_time(tmp_path):
    path = tmp_path / "clip.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10.0, (64, 48))
    for i in range(12):
        writer.write(np.full((48, 64, 3), i * 20, np.uint8))
    writer.release()
    frames = list(VideoSource(str(path), start_time_s=1000.0))
    assert [f.frame_id for f in frames] == list(range(12))
    stamps = np.array([f.time_s for f in frames])
    assert np.allclose(np.diff(stamps), 0.1, atol=1e-3)
    assert 1000.0 <= stamps[0] <= 1000.1
    assert frames[0].image.shape == (48, 64, 3)
    # open_source on a file reads every frame in order (no dropping for offline files)
    assert [f.frame_id for f in open_source(str(path), start_time_s=0.0)] == list(range(12))


def test_bad_source_names_itself(tmp_path):
    import pytest

    from vision.sources import SourceError

    with pytest.raises(SourceError, match="nope.mp4"):
        VideoSource(str(tmp_path / "nope.mp4"))
