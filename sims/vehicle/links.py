"""MAVLink endpoints of one vehicle: TCP server (many clients), UDP out to a GCS, in-memory pair for tests."""
from __future__ import annotations

import random
import socket
from collections import deque
from typing import Callable

from pymavlink.dialects.v20 import ardupilotmega as mavlink

from .faults import FaultConfig, FaultyPipe



def pack_next(msg, mav) -> bytes:
    """Encode a message with the sender's next sequence number, as ``MAVLink.send`` does
    (``msg.pack`` alone never advances it, which would defeat a peer's loss counter)."""
    data = msg.pack(mav)
    mav.seq = (mav.seq + 1) % 256
    mav.total_packets_sent += 1
    mav.total_bytes_sent += len(data)
    return data

class Link:
    """One MAVLink channel: encodes with the vehicle's ids, parses what arrives, both through fault pipes."""

    kind = "link"

    def __init__(self, sysid: int, clock: Callable[[], float], faults: FaultConfig | None, rng: random.Random,
                 name: str) -> None:
        self.name = name
        self.clock = clock
        self.mav = mavlink.MAVLink(None, srcSystem=sysid, srcComponent=mavlink.MAV_COMP_ID_AUTOPILOT1)
        self.mav.robust_parsing = True
        self.parser = mavlink.MAVLink(None, srcSystem=sysid, srcComponent=mavlink.MAV_COMP_ID_AUTOPILOT1)
        self.parser.robust_parsing = True
        #: Re-parses packets that went through the rx fault pipe (kept separate from the byte-stream parser).
        self._decoder = mavlink.MAVLink(None)
        self._decoder.robust_parsing = True
        faults = faults or FaultConfig()
        self.tx = FaultyPipe(faults, random.Random(rng.random()))
        self.rx = FaultyPipe(faults, random.Random(rng.random()))
        self.closed = False
        self.rx_messages = 0
        self.tx_messages = 0
        self.streams = None  # set by the vehicle (StreamSet)

    def set_faults(self, faults: FaultConfig) -> None:
        """Replace this link's fault model (both directions)."""
        self.tx.config = faults
        self.rx.config = faults

    # transport hooks
    def _write(self, data: bytes) -> None:
        raise NotImplementedError

    def _read(self) -> bytes:
        raise NotImplementedError

    def fileno(self) -> int | None:
        """Socket to wait on, or None."""
        return None

    def close(self) -> None:
        """Stop using the link."""
        self.closed = True

    # MAVLink
    def send(self, msg) -> None:
        """Encode and queue one message (fault model applied)."""
        if self.closed:
            return
        self.tx_messages += 1
        self.tx.push(self.clock(), pack_next(msg, self.mav))

    def flush(self) -> None:
        """Write every packet that is due."""
        if self.closed:
            return
        now = self.clock()
        for packet in self.tx.pop_due(now):
            try:
                self._write(packet)
            except OSError:
                self.close()
                return

    def receive(self) -> list:
        """Read the transport, pass packets through the rx faults, return parsed messages."""
        if self.closed:
            return []
        now = self.clock()
        try:
            data = self._read()
        except (BlockingIOError, InterruptedError):
            data = b""
        except OSError:
            self.close()
            return []
        msgs = [m for m in (self.parser.parse_buffer(data) or []) if m.get_type() != "BAD_DATA"] if data else []
        if self.rx.config.is_clean and not self.rx._queue:
            self.rx_messages += len(msgs)
            return msgs
        for m in msgs:
            self.rx.push(now, m.get_msgbuf())
        out = []
        for packet in self.rx.pop_due(now):
            for m in self._decoder.parse_buffer(packet) or []:
                if m.get_type() != "BAD_DATA":
                    out.append(m)
        self.rx_messages += len(out)
        return out


class TcpLink(Link):
    """A connected TCP client of the vehicle's server port."""

    kind = "tcp"

    def __init__(self, sock: socket.socket, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.sock = sock
        sock.setblocking(False)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._pending = b""

    def fileno(self) -> int | None:
        return None if self.closed else self.sock.fileno()

    def _write(self, data: bytes) -> None:
        self._pending += data
        try:
            sent = self.sock.send(self._pending)
            self._pending = self._pending[sent:]
        except BlockingIOError:
            pass
        if len(self._pending) > 1_000_000:  # a client that never reads: drop it
            self.close()

    def _read(self) -> bytes:
        chunks = []
        while True:
            try:
                data = self.sock.recv(65536)
            except BlockingIOError:
                break
            if not data:
                self.close()
                break
            chunks.append(data)
        return b"".join(chunks)

    def close(self) -> None:
        if not self.closed:
            super().close()
            try:
                self.sock.close()
            except OSError:
                pass


class TcpServer:
    """Listens like ArduPilot SITL's `tcp:0.0.0.0:5760`; every accepted client becomes a TcpLink."""

    def __init__(self, host: str, port: int) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, port))
        self.sock.listen(8)
        self.sock.setblocking(False)
        self.host, self.port = self.sock.getsockname()[:2]

    @property
    def endpoint(self) -> str:
        """Connection string for clients, e.g. 'tcp:127.0.0.1:5760'."""
        return f"tcp:{self.host}:{self.port}"

    def fileno(self) -> int:
        return self.sock.fileno()

    def accept(self) -> list[socket.socket]:
        """Every client waiting to be accepted."""
        out = []
        while True:
            try:
                conn, _ = self.sock.accept()
            except (BlockingIOError, InterruptedError):
                return out
            except OSError:
                return out
            out.append(conn)

    def close(self) -> None:
        """Stop listening."""
        try:
            self.sock.close()
        except OSError:
            pass


class UdpOutLink(Link):
    """Sends to a GCS address (`udp:127.0.0.1:14550`) and reads its replies on the same socket."""

    kind = "udp"

    def __init__(self, host: str, port: int, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.addr = (host, port)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("0.0.0.0", 0))
        self.sock.setblocking(False)

    @property
    def endpoint(self) -> str:
        return f"udp:{self.addr[0]}:{self.addr[1]}"

    def fileno(self) -> int | None:
        return None if self.closed else self.sock.fileno()

    def _write(self, data: bytes) -> None:
        try:
            self.sock.sendto(data, self.addr)
        except (BlockingIOError, ConnectionRefusedError):
            pass  # nobody listening yet: UDP just loses it

    def _read(self) -> bytes:
        chunks = []
        while True:
            try:
                data, _ = self.sock.recvfrom(65536)
            except (BlockingIOError, ConnectionRefusedError):
                break
            chunks.append(data)
        return b"".join(chunks)

    def close(self) -> None:
        if not self.closed:
            super().close()
            self.sock.close()


class MemoryLink(Link):
    """An in-process link for deterministic tests: the test side uses `client_send` / `client_messages`."""

    kind = "memory"

    def __init__(self, *args, client_sysid: int = 255, client_compid: int = 190, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.to_vehicle: deque[bytes] = deque()
        self.to_client: deque[bytes] = deque()
        self.client = mavlink.MAVLink(None, srcSystem=client_sysid, srcComponent=client_compid)
        self.client.robust_parsing = True

    def _write(self, data: bytes) -> None:
        self.to_client.append(data)

    def _read(self) -> bytes:
        data = b"".join(self.to_vehicle)
        self.to_vehicle.clear()
        return data

    def client_send(self, msg) -> None:
        """The test (as a GCS) sends a message to the vehicle."""
        self.to_vehicle.append(pack_next(msg, self.client))

    def client_messages(self) -> list:
        """Everything the vehicle sent since the last call, parsed."""
        data = b"".join(self.to_client)
        self.to_client.clear()
        return [m for m in (self.client.parse_buffer(data) or []) if m.get_type() != "BAD_DATA"]
