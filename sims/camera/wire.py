"""Wire format of the simulated camera stream: a 28-byte big-endian header, then one JPEG image.

    offset size  field
    0      4     magic b"APCM"
    4      2     version (1)
    6      2     reserved (0)
    8      8     frame_id (uint64, +1 per frame)
    16     8     capture_time_s (float64, seconds on the capture clock: the sim's UNIX-epoch time)
    24     4     payload_len (uint32, bytes of JPEG that follow)
"""
from __future__ import annotations

import struct
from dataclasses import dataclass

MAGIC = b"APCM"
VERSION = 1
HEADER = struct.Struct(">4sHHQdI")
MAX_PAYLOAD = 32 * 1024 * 1024


class WireError(ValueError):
    """A malformed camera message (bad magic, version or length)."""


@dataclass(frozen=True)
class WireFrame:
    """One received frame: id, capture time and the JPEG bytes."""

    frame_id: int
    capture_time_s: float
    jpeg: bytes

    def decode(self):
        """The image as a BGR numpy array (OpenCV)."""
        import cv2
        import numpy as np

        img = cv2.imdecode(np.frombuffer(self.jpeg, np.uint8), cv2.IMREAD_COLOR)
        if img is None:
            raise WireError(f"frame {self.frame_id}: payload is not a decodable JPEG")
        return img


def encode(frame_id: int, capture_time_s: float, jpeg: bytes) -> bytes:
    """Header + payload for one frame."""
    return HEADER.pack(MAGIC, VERSION, 0, frame_id, capture_time_s, len(jpeg)) + jpeg


def parse_header(buf: bytes) -> tuple[int, float, int]:
    """(frame_id, capture_time_s, payload_len) from a 28-byte header; WireError when malformed."""
    magic, version, _, frame_id, t, n = HEADER.unpack(buf)
    if magic != MAGIC:
        raise WireError(f"bad magic {magic!r}, expected {MAGIC!r}")
    if version != VERSION:
        raise WireError(f"unsupported version {version}, expected {VERSION}")
    if n > MAX_PAYLOAD:
        raise WireError(f"payload of {n} bytes exceeds {MAX_PAYLOAD}")
    return frame_id, t, n
