"""Local TCP transport for camera frames: a server that fans frames out to every connected reader, and
the reader (docs/sims_camera.md gives the wire format for clients written elsewhere)."""
from __future__ import annotations

import socket
import threading

from sims.camera.wire import HEADER, WireFrame, encode, parse_header


class FrameServer:
    """Listens on (host, port) and sends every published frame to all connected clients.

    A client that cannot keep up or disconnects is dropped; publishing never blocks on a dead client
    for longer than ``send_timeout_s``."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, send_timeout_s: float = 2.0) -> None:
        self._sock = socket.create_server((host, port))
        self._sock.settimeout(0.2)
        self.address = self._sock.getsockname()[:2]
        self._clients: list[socket.socket] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._send_timeout = send_timeout_s
        self._thread = threading.Thread(target=self._accept_loop, name="frame-server-accept", daemon=True)
        self._thread.start()

    @property
    def port(self) -> int:
        """The TCP port actually bound (useful with port 0)."""
        return int(self.address[1])

    def _accept_loop(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except (TimeoutError, socket.timeout):
                continue
            except OSError:
                return
            conn.settimeout(self._send_timeout)
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self._lock:
                self._clients.append(conn)

    def client_count(self) -> int:
        """How many readers are connected."""
        with self._lock:
            return len(self._clients)

    def publish(self, frame_id: int, capture_time_s: float, jpeg: bytes) -> int:
        """Send one frame to every client; returns how many received it."""
        msg = encode(frame_id, capture_time_s, jpeg)
        sent = 0
        with self._lock:
            alive = []
            for c in self._clients:
                try:
                    c.sendall(msg)
                    alive.append(c)
                    sent += 1
                except OSError:
                    c.close()
            self._clients = alive
        return sent

    def close(self) -> None:
        """Stop accepting and disconnect every client."""
        self._stop.set()
        self._sock.close()
        self._thread.join(timeout=2)
        with self._lock:
            for c in self._clients:
                c.close()
            self._clients.clear()

    def __enter__(self) -> "FrameServer":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class FrameReader:
    """Client: connects to a FrameServer and reads frames in order (``read`` or iteration)."""

    def __init__(self, host: str, port: int, timeout_s: float = 10.0) -> None:
        self._sock = socket.create_connection((host, port), timeout=timeout_s)

    def _recv_exact(self, n: int) -> bytes:
        chunks, got = [], 0
        while got < n:
            chunk = self._sock.recv(min(n - got, 1 << 20))
            if not chunk:
                raise EOFError("camera stream closed")
            chunks.append(chunk)
            got += len(chunk)
        return b"".join(chunks)

    def read(self) -> WireFrame:
        """The next frame (blocks up to the timeout; EOFError when the server closed)."""
        frame_id, t, n = parse_header(self._recv_exact(HEADER.size))
        return WireFrame(frame_id, t, self._recv_exact(n))

    def __iter__(self):
        while True:
            try:
                yield self.read()
            except EOFError:
                return

    def close(self) -> None:
        """Disconnect."""
        self._sock.close()

    def __enter__(self) -> "FrameReader":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
