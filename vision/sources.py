"""Frame sources (video files, RTSP/UDP streams, the sims camera) that stamp every frame with its capture time.

Live sources go through ``LatestFrame``: a reader thread keeps only the newest frame, so a slow consumer
drops frames (counted) instead of building latency.
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np

log = logging.getLogger(__name__)


@dataclass
class Frame:
    """One image (BGR, HxWx3 uint8) with its capture time (companion clock, unix seconds) and sequence id."""

    image: np.ndarray
    time_s: float
    frame_id: int
    source: str = ""
    #: anything the source knows besides the image (e.g. the sims camera's ground truth)
    meta: dict = field(default_factory=dict)


class SourceError(RuntimeError):
    """A source that cannot be opened or read; the message names it."""


class VideoSource:
    """Frames from a video file or an OpenCV-readable stream (rtsp://, udp://, http://, a device index).

    Files: capture time = ``start_time_s`` + the frame's timestamp in the file, read as fast as asked
    (or paced at the file's rate with ``realtime``). Streams: capture time = companion clock at grab
    minus ``latency_s`` (the transport delay you measured, 0 by default).
    """

    def __init__(self, uri: str | int, start_time_s: float | None = None, realtime: bool = False,
                 latency_s: float = 0.0) -> None:
        import cv2  # noqa: PLC0415

        self.uri = uri
        self.is_stream = isinstance(uri, int) or "://" in str(uri)
        self.cap = cv2.VideoCapture(uri if isinstance(uri, int) else str(uri))
        if not self.cap.isOpened():
            raise SourceError(f"cannot open video source {uri!r}")
        self.fps = float(self.cap.get(cv2.CAP_PROP_FPS) or 0.0) or 30.0
        self.start_time_s = time.time() if start_time_s is None else float(start_time_s)
        self.realtime = realtime
        self.latency_s = latency_s
        self._next_id = 0

    def __iter__(self) -> Iterator[Frame]:
        import cv2  # noqa: PLC0415

        t0 = time.monotonic()
        while True:
            ok, image = self.cap.read()
            if not ok or image is None:
                return
            if self.is_stream:
                stamp = time.time() - self.latency_s
            else:
                pos_ms = self.cap.get(cv2.CAP_PROP_POS_MSEC)
                offset = pos_ms / 1000.0 if pos_ms and pos_ms > 0 else self._next_id / self.fps
                stamp = self.start_time_s + offset
                if self.realtime:
                    delay = offset - (time.monotonic() - t0)
                    if delay > 0:
                        time.sleep(delay)
            frame = Frame(image, stamp, self._next_id, str(self.uri))
            self._next_id += 1
            yield frame

    def close(self) -> None:
        """Release the capture."""
        self.cap.release()


class LatestFrame:
    """Reads an iterator of frames on a thread and hands the consumer only the newest one.

    ``get()`` blocks until a frame newer than the last one returned arrives (or the source ends:
    ``None``). ``dropped`` counts frames overwritten before anyone took them.
    """

    def __init__(self, frames: Iterator[Frame] | Callable[[], Iterator[Frame]], name: str = "frames") -> None:
        self._frames = frames
        self._cond = threading.Condition()
        self._latest: Frame | None = None
        self._ended = False
        self._error: BaseException | None = None
        self._stop = threading.Event()
        self.received = 0
        self.dropped = 0
        self._thread = threading.Thread(target=self._run, name=f"LatestFrame-{name}", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            frames = self._frames() if callable(self._frames) and not hasattr(self._frames, "__next__") else self._frames
            for frame in frames:
                with self._cond:
                    if self._latest is not None:
                        self.dropped += 1
                    self._latest = frame
                    self.received += 1
                    self._cond.notify_all()
                if self._stop.is_set():
                    break
        except Exception as exc:  # noqa: BLE001 (reported to the consumer, never kills the process)
            log.error("frame source failed: %s", exc)
            self._error = exc
        finally:
            with self._cond:
                self._ended = True
                self._cond.notify_all()

    def get(self, timeout: float | None = None) -> Frame | None:
        """The newest unseen frame; None when the source has ended (or on timeout)."""
        with self._cond:
            ok = self._cond.wait_for(lambda: self._latest is not None or self._ended, timeout)
            if not ok or self._latest is None:
                if self._error is not None:
                    raise SourceError(f"frame source failed: {self._error}") from self._error
                return None
            frame, self._latest = self._latest, None
            return frame

    def __iter__(self) -> Iterator[Frame]:
        while (frame := self.get()) is not None:
            yield frame

    def close(self) -> None:
        """Stop reading after the current frame."""
        self._stop.set()
        self._thread.join(timeout=2.0)


def open_source(spec: str, realtime: bool = False, start_time_s: float | None = None) -> Iterator[Frame]:
    """A frame iterator for a camera spec: ``sim[://host:port]`` (sims camera), a stream URL
    (rtsp://, udp://, http://: newest-wins), a device index, or a video file."""
    if spec == "sim" or spec.startswith("sim://") or spec.startswith("tcp://"):
        try:
            from vision.simcam import SimCameraSource  # noqa: PLC0415
        except ImportError as exc:
            raise SourceError(f"camera {spec!r}: the sims camera reader is not available ({exc})") from None

        return LatestFrame(iter(SimCameraSource.from_spec(spec)), name="sim")
    if spec.isdigit():
        return LatestFrame(iter(VideoSource(int(spec))), name=f"device{spec}")
    if "://" in spec:
        return LatestFrame(iter(VideoSource(spec)), name=spec.split("://")[0])
    source = VideoSource(spec, start_time_s=start_time_s, realtime=realtime)
    return LatestFrame(iter(source), name="file") if realtime else iter(source)
