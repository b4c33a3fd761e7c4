"""Reader for the sims camera's TCP frame stream, written from its documented wire format (docs/sims_camera.md).

Each message: a 28-byte big-endian header ``">4sHHQdI"`` (magic ``APCM``, version 1, reserved,
frame_id, capture_time_s, payload_len) followed by one JPEG. vision never imports sims: this is the
same reader a real networked camera with that protocol would get.
"""
from __future__ import annotations

import socket
import struct
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from vision.sources import Frame, SourceError

HEADER = struct.Struct(">4sHHQdI")
MAGIC = b"APCM"
VERSION = 1
MAX_PAYLOAD = 32 * 1024 * 1024
DEFAULT_PORT = 5600


@dataclass
class SimCameraSource:
    """Connects to a sims camera ``FrameServer`` and yields decoded frames stamped with their capture time."""

    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    timeout_s: float = 10.0

    @classmethod
    def from_spec(cls, spec: str) -> "SimCameraSource":
        """``sim`` (127.0.0.1:5600), ``sim://host:port`` or ``tcp://host:port``."""
        if spec == "sim":
            return cls()
        rest = spec.split("://", 1)[1] if "://" in spec else spec
        host, _, port = rest.rpartition(":")
        try:
            return cls(host or "127.0.0.1", int(port))
        except ValueError:
            raise SourceError(f"camera {spec!r}: expected sim://HOST:PORT") from None

    def __iter__(self) -> Iterator[Frame]:
        import cv2  # noqa: PLC0415

        where = f"sims camera {self.host}:{self.port}"
        try:
            sock = socket.create_connection((self.host, self.port), timeout=self.timeout_s)
        except OSError as exc:
            raise SourceError(f"{where}: cannot connect ({exc})") from None
        with sock, sock.makefile("rb") as stream:
            while True:
                head = _read_exact(stream, HEADER.size, where)
                if head is None:
                    return
                magic, version, _reserved, frame_id, capture_time_s, size = HEADER.unpack(head)
                if magic != MAGIC:
                    raise SourceError(f"{where}: bad magic {magic!r} (expected {MAGIC!r})")
                if version != VERSION:
                    raise SourceError(f"{where}: wire version {version}, this reader speaks {VERSION}")
                if size > MAX_PAYLOAD:
                    raise SourceError(f"{where}: payload_len {size} > {MAX_PAYLOAD}")
                payload = _read_exact(stream, size, where)
                if payload is None:
                    return
                image = cv2.imdecode(np.frombuffer(payload, np.uint8), cv2.IMREAD_COLOR)
                if image is None:
                    raise SourceError(f"{where}: frame {frame_id}: payload is not a decodable JPEG")
                yield Frame(image, float(capture_time_s), int(frame_id), where)


def _read_exact(stream, n: int, where: str) -> bytes | None:
    """n bytes, or None at a clean end of stream; a stream cut inside a message is an error."""
    try:
        data = stream.read(n)
    except OSError as exc:
        raise SourceError(f"{where}: read failed ({exc})") from None
    if not data:
        return None
    if len(data) < n:
        raise SourceError(f"{where}: stream ended inside a message ({len(data)} of {n} bytes)")
    return data
