"""vision's reader of the sims camera stream, from the documented wire format (docs/sims_camera.md)."""
from __future__ import annotations

import socket
import struct
import threading

import cv2
import numpy as np
import pytest

from vision.simcam import SimCameraSource
from vision.sources import SourceError, open_source

HEADER = struct.Struct(">4sHHQdI")  # written from the doc's table, independently of vision.simcam


def serve(messages: list[bytes]) -> tuple[int, threading.Thread]:
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]

    def run():
        conn, _ = server.accept()
        with conn:
            for m in messages:
                conn.sendall(m)
        server.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return port, thread


def message(frame_id: int, t: float, image: np.ndarray, magic=b"APCM", version=1) -> bytes:
    jpeg = cv2.imencode(".jpg", image)[1].tobytes()
    return HEADER.pack(magic, version, 0, frame_id, t, len(jpeg)) + jpeg


def test_reads_frames_with_capture_times():
    imgs = [np.full((72, 128, 3), 40 * k, np.uint8) for k in range(4)]
    port, thread = serve([message(10 + k, 1_700_000_000.0 + 0.1 * k, im) for k, im in enumerate(imgs)])
    frames = list(SimCameraSource.from_spec(f"sim://127.0.0.1:{port}"))
    thread.join(timeout=5)
    assert [f.frame_id for f in frames] == [10, 11, 12, 13]
    assert [f.time_s for f in frames] == pytest.approx([1_700_000_000.0 + 0.1 * k for k in range(4)])
    assert frames[2].image.shape == (72, 128, 3) and abs(float(frames[2].image.mean()) - 80) < 3


def test_bad_stream_names_the_field():
    img = np.zeros((8, 8, 3), np.uint8)
    port, thread = serve([message(1, 0.0, img, magic=b"XXXX")])
    with pytest.raises(SourceError, match="magic"):
        list(SimCameraSource("127.0.0.1", port))
    thread.join(timeout=5)
    port, thread = serve([message(1, 0.0, img, version=2)])
    with pytest.raises(SourceError, match="version 2"):
        list(SimCameraSource("127.0.0.1", port))
    thread.join(timeout=5)
    port, thread = serve([message(1, 0.0, img)[:40]])
    with pytest.raises(SourceError, match="ended inside a message"):
        list(SimCameraSource("127.0.0.1", port))
    thread.join(timeout=5)


def test_against_the_sims_frame_server():
    """Interoperability with the simulator's own server (the test, not vision, imports sims)."""
    from sims.camera import transport

    with transport.FrameServer("127.0.0.1", 0) as server:
        source = open_source(f"sim://127.0.0.1:{server.port}")
        img = np.zeros((72, 128, 3), np.uint8)
        img[20:40, 30:60] = 255
        jpeg = cv2.imencode(".jpg", img)[1].tobytes()
        got = None
        for k in range(200):  # publish until the reader thread has connected and received one
            server.publish(k, 1000.0 + k, jpeg)
            got = source.get(timeout=0.05)
            if got is not None:
                break
        assert got is not None and got.time_s == 1000.0 + got.frame_id
        assert got.image[30, 45].mean() > 200 and got.image[5, 5].mean() < 50
    source.close()
