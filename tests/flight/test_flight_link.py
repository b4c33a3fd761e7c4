"""MavLink: connection strings, GCS/companion heartbeats, link-quality figures, loss/restore events, TCP reconnect."""
from __future__ import annotations

import os
import socket
import threading
import time

import pytest

os.environ.setdefault("MAVLINK20", "1")
from pymavlink.dialects.v20 import ardupilotmega as m2  # noqa: E402

from flight.connection import ConnectionStringError, parse_connection  # noqa: E402
from flight.link import LinkConfig, LinkRole, MavLink  # noqa: E402
from test_flight_mission_fakepeer import FakePeer, free_udp_port  # noqa: E402


@pytest.mark.parametrize("text, kind, host, port, device, baud", [
    ("udpin:0.0.0.0:14550", "udpin", "0.0.0.0", 14550, "", 57600),
    ("udpout:10.0.0.2:14550", "udpout", "10.0.0.2", 14550, "", 57600),
    ("tcp:127.0.0.1:5760", "tcp", "127.0.0.1", 5760, "", 57600),
    ("udp:0.0.0.0:14550", "udpin", "0.0.0.0", 14550, "", 57600),
    ("/dev/ttyUSB0,57600", "serial", "", 0, "/dev/ttyUSB0", 57600),
    ("/dev/ttyACM0", "serial", "", 0, "/dev/ttyACM0", 57600),
    ("serial:/dev/ttyAMA0:921600", "serial", "", 0, "/dev/ttyAMA0", 921600),
    ("udpin://0.0.0.0:14540", "udpin", "0.0.0.0", 14540, "", 57600),
    ("tcpout://host.local:5760", "tcp", "host.local", 5760, "", 57600),
])
def test_connection_strings(text, kind, host, port, device, baud):
    spec = parse_connection(text)
    assert (spec.kind, spec.host, spec.port, spec.device, spec.baud) == (kind, host, port, device, baud)


@pytest.mark.parametrize("text, words", [
    ("", "empty"), ("bogus", "unknown transport"), ("tcp:127.0.0.1", "HOST:PORT"),
    ("tcp:host:abc", "'abc' is not a number"), ("udpin:0.0.0.0:70000", "out of range"),
    ("/dev/ttyUSB0,fast", "baud rate 'fast'"),
])
def test_bad_connection_strings_name_the_problem(text, words):
    with pytest.raises(ConnectionStringError) as err:
        parse_connection(text)
    assert words in str(err.value)


def _udp_pair(role=LinkRole.GCS, **cfg):
    port = free_udp_port()
    link = MavLink(LinkConfig(f"udpin:127.0.0.1:{port}", role=role, **cfg))
    return port, link


def test_gcs_heartbeat_link_quality_and_listeners():
    port, link = _udp_pair()
    seen = []
    link.add_listener(lambda m: seen.append(m.get_type()))
    with link, FakePeer(port, loss=0.3, seed=3) as peer:
        peer.lossy_heartbeats = True
        link.wait_vehicle(10)
        time.sleep(2.5)
        q = link.quality()
        hbs = [m for m in peer.received if m.get_type() == "HEARTBEAT"]
    assert link.target_system == 1 and link.autopilot == m2.MAV_AUTOPILOT_ARDUPILOTMEGA
    assert seen.count("HEARTBEAT") >= 5
    # 10 Hz peer heartbeats, 30% dropped after numbering: the sequence gaps show the loss
    assert q.received >= 8 and 12.0 < q.total_loss_pct < 50.0 and q.lost > 0
    assert q.last_heartbeat_age_s is not None and q.last_heartbeat_age_s < 1.0
    # our GCS heartbeat: sysid 255, component 190, MAV_TYPE_GCS, about 1 Hz
    assert 2 <= len(hbs) <= 4
    assert all(h.type == m2.MAV_TYPE_GCS and h.get_srcSystem() == 255 and h.get_srcComponent() == 190 for h in hbs)


def test_link_lost_and_restored_events():
    port, link = _udp_pair(heartbeat_timeout_s=0.5)
    changes = []
    link.add_link_listener(lambda q: changes.append(q.connected))
    with link, FakePeer(port) as peer:
        link.wait_vehicle(10)
        peer.silent = True
        deadline = time.monotonic() + 5
        while link.connected and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not link.connected and link.quality().last_heartbeat_age_s > 0.5
        peer.silent = False
        deadline = time.monotonic() + 5
        while not link.connected and time.monotonic() < deadline:
            time.sleep(0.05)
        assert link.connected
    assert changes[:3] == [True, False, True] and link.quality().link_losses == 1


def test_companion_mode_is_read_only_by_default():
    port, link = _udp_pair(role=LinkRole.COMPANION)
    poses = []
    link.add_listener(lambda m: poses.append(m) if m.get_type() == "HEARTBEAT" else None)
    with link, FakePeer(port) as peer:
        link.wait_vehicle(10)
        time.sleep(1.5)
        ours = [m for m in peer.received if m.get_type() == "HEARTBEAT"]
    assert poses and ours == []
    assert link.config.compid == 191 and link.config.sysid == 1


def test_companion_can_announce_itself_as_onboard_controller():
    port, link = _udp_pair(role=LinkRole.COMPANION, companion_heartbeat=True)
    with link, FakePeer(port) as peer:
        link.wait_vehicle(10)
        time.sleep(1.5)
        ours = [m for m in peer.received if m.get_type() == "HEARTBEAT"]
    assert ours and all(h.type == m2.MAV_TYPE_ONBOARD_CONTROLLER and h.get_srcComponent() == 191 for h in ours)


class _TcpVehicle:
    """A TCP server that sends autopilot heartbeats to each client; `drop()` closes the current client."""

    def __init__(self) -> None:
        self.server = socket.socket()
        self.server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(2)
        self.port = self.server.getsockname()[1]
        self.accepted = 0
        self.client = None
        self.stop = threading.Event()
        self.mav = m2.MAVLink(None, srcSystem=1, srcComponent=1)
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self) -> None:
        self.server.settimeout(0.05)
        while not self.stop.is_set():
            if self.client is None:
                try:
                    self.client, _ = self.server.accept()
                    self.accepted += 1
                except OSError:
                    continue
            hb = m2.MAVLink_heartbeat_message(m2.MAV_TYPE_QUADROTOR, m2.MAV_AUTOPILOT_PX4, 1, 0, 3, 3)
            try:
                self.client.sendall(hb.pack(self.mav))
                self.mav.seq = (self.mav.seq + 1) % 256
            except OSError:
                self.client = None
            time.sleep(0.05)

    def drop(self) -> None:
        c, self.client = self.client, None
        c.close()

    def close(self) -> None:
        self.stop.set()
        if self.client:
            self.client.close()
        self.server.close()


def test_tcp_link_reconnects_after_the_peer_drops_it():
    veh = _TcpVehicle()
    link = MavLink(LinkConfig(f"tcp:127.0.0.1:{veh.port}", heartbeat_timeout_s=0.5, reconnect_interval_s=0.2))
    try:
        with link:
            link.wait_vehicle(5)
            veh.drop()
            deadline = time.monotonic() + 10
            while (veh.accepted < 2 or link.quality().reconnects < 1) and time.monotonic() < deadline:
                time.sleep(0.05)
            before = link.quality().received
            time.sleep(0.5)
            q = link.quality()
        assert veh.accepted >= 2 and q.reconnects >= 1
        assert q.received > before  # heartbeats flow again over the new connection
    finally:
        veh.close()


def test_garbage_on_the_wire_is_ignored():
    port, link = _udp_pair()
    with link, FakePeer(port) as peer:
        link.wait_vehicle(10)
        junk = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        for n in range(200):  # random bytes, truncated frames and a frame with a broken checksum
            junk.sendto(os.urandom(1 + n % 300), ("127.0.0.1", port))
        bad = bytearray(m2.MAVLink_heartbeat_message(2, 3, 0, 0, 0, 3).pack(m2.MAVLink(None, 1, 1)))
        bad[-1] ^= 0xFF
        junk.sendto(bytes(bad), ("127.0.0.1", port))
        junk.close()
        before = link.quality().received
        deadline = time.monotonic() + 5.0  # the peer beats at 10 Hz; a loaded CI machine may stall a while
        after = link.quality()
        while after.received <= before and time.monotonic() < deadline:
            time.sleep(0.1)
            after = link.quality()
    assert after.connected and after.received > before  # the reader survived and kept decoding
