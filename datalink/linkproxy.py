"""A loopback TCP relay that can cut the link for a while: a radio outage for tests and benchmarks.

Onboard connects to the relay, the relay connects to the ground. ``cut()`` closes every relayed
connection and refuses new ones until ``restore()``, exactly what the peers see when the radio drops.
"""
from __future__ import annotations

import socket
import threading
import time


class LinkProxy:
    """Relay ``127.0.0.1:<port>`` -> ``target`` with ``cut()`` / ``restore()`` / ``cut_for(s)``."""

    def __init__(self, target_host: str, target_port: int, listen_port: int = 0) -> None:
        self.target = (target_host, target_port)
        self._srv = socket.create_server(("127.0.0.1", listen_port))
        self.port: int = self._srv.getsockname()[1]
        self._lock = threading.Lock()
        self._conns: set[socket.socket] = set()
        self._cut = False
        self._closed = False
        self.bytes_relayed = 0
        self.connections = 0
        self._thread = threading.Thread(target=self._accept_loop, name="linkproxy-accept", daemon=True)
        self._thread.start()

    @property
    def endpoint(self) -> str:
        """Zenoh endpoint of the relay (``tcp/127.0.0.1:PORT``)."""
        return f"tcp/127.0.0.1:{self.port}"

    @property
    def is_cut(self) -> bool:
        """True while the link is down."""
        return self._cut

    def cut(self) -> None:
        """Drop every relayed connection and refuse new ones."""
        with self._lock:
            self._cut = True
            conns, self._conns = self._conns, set()
        for s in conns:
            _close(s)

    def restore(self) -> None:
        """Accept and relay connections again."""
        self._cut = False

    def cut_for(self, seconds: float) -> None:
        """Cut, sleep ``seconds``, restore (blocking)."""
        self.cut()
        time.sleep(seconds)
        self.restore()

    def close(self) -> None:
        """Stop the relay and drop every connection."""
        self._closed = True
        self.cut()
        _close(self._srv)

    def _accept_loop(self) -> None:
        while not self._closed:
            try:
                client, _ = self._srv.accept()
            except OSError:
                return
            if self._cut:
                _close(client)
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=2.0)
                upstream.settimeout(None)
            except OSError:
                _close(client)
                continue
            for s in (client, upstream):
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self._lock:
                self._conns.update((client, upstream))
                self.connections += 1
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), name="linkproxy-pump", daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while True:
                data = src.recv(65536)
                if not data or self._cut:
                    break
                dst.sendall(data)
                self.bytes_relayed += len(data)
        except OSError:
            pass
        finally:
            with self._lock:
                self._conns.discard(src)
                self._conns.discard(dst)
            _close(src)
            _close(dst)


def _close(s: socket.socket) -> None:
    """Shut down and close a socket, ignoring errors."""
    try:
        s.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    try:
        s.close()
    except OSError:
        pass
