"""A scripted MAVLink peer for unit tests of one flight/ layer (mission protocol, commands, link).

Not a vehicle: it answers the mission protocol as ArduPilot (MISSION_REQUEST, home at item 0) or
PX4 (MISSION_REQUEST_INT) do, acks commands from a script, and drops packets at a chosen rate.
This file holds no tests; the unit tests import `FakePeer` from it.
"""
from __future__ import annotations

import os
import random
import socket
import threading
import time

os.environ.setdefault("MAVLINK20", "1")
from pymavlink import mavutil  # noqa: E402
from pymavlink.dialects.v20 import ardupilotmega as m2  # noqa: E402


def free_udp_port() -> int:
    """A UDP port nobody holds right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class FakePeer:
    """Scripted autopilot over UDP: heartbeat, mission server with re-requests, scripted COMMAND_ACKs."""

    def __init__(self, port: int, flavour: str = "ardupilot", loss: float = 0.0, capacity: int = 1000,
                 seed: int = 1, duplicate: bool = False) -> None:
        self.flavour = flavour
        self.loss = loss
        self.capacity = capacity
        self.duplicate = duplicate
        self.rng = random.Random(seed)
        self.conn = mavutil.mavlink_connection(f"udpout:127.0.0.1:{port}", source_system=1, source_component=1,
                                               dialect="ardupilotmega")
        self.lists: dict[int, list] = {0: [], 1: [], 2: []}
        self.command_results: dict[int, int] = {}
        self.commands_seen: list = []
        self.custom_mode = 0
        self.silent = False
        self.lossy_heartbeats = False
        self.received: list = []  # every message the peer got (before its own loss), for assertions
        self._upload = None  # (mission_type, count, items dict, next_seq, last_request_time)
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> "FakePeer":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(2)
        self.conn.close()

    def send(self, msg, lossy: bool = True) -> None:
        if self.silent:
            return
        with self._lock:
            if lossy and self.rng.random() < self.loss:  # lost on the air: its sequence number is used up
                msg.pack(self.conn.mav)
                self.conn.mav.seq = (self.conn.mav.seq + 1) % 256
                return
            self.conn.mav.send(msg)
            if self.duplicate:
                self.conn.mav.send(msg)

    def _heartbeat(self) -> None:
        autopilot = m2.MAV_AUTOPILOT_ARDUPILOTMEGA if self.flavour == "ardupilot" else m2.MAV_AUTOPILOT_PX4
        self.send(m2.MAVLink_heartbeat_message(m2.MAV_TYPE_QUADROTOR, autopilot, 1, self.custom_mode, 3, 3),
                  lossy=self.lossy_heartbeats)

    def _request(self, seq: int, mission_type: int) -> None:
        if self.flavour == "ardupilot":
            msg = m2.MAVLink_mission_request_message(255, 190, seq, mission_type)
        else:
            msg = m2.MAVLink_mission_request_int_message(255, 190, seq, mission_type)
        self.send(msg)

    def _run(self) -> None:
        next_hb = 0.0
        while not self._stop.is_set():
            now = time.monotonic()
            if now >= next_hb:
                next_hb = now + 0.1
                self._heartbeat()
            up = self._upload
            if up is not None and now - up["t"] > 0.2:  # the vehicle's own re-request timer
                up["t"] = now
                self._request(up["next"], up["type"])
            msg = self.conn.recv_match(blocking=True, timeout=0.02)
            if msg is None or msg.get_type() == "BAD_DATA":
                continue
            self.received.append(msg)
            if self.rng.random() < self.loss:
                continue
            self._handle(msg)

    def _handle(self, msg) -> None:
        t = msg.get_type()
        mt = getattr(msg, "mission_type", 0)
        if t == "MISSION_COUNT":
            if msg.count > self.capacity:
                self.send(m2.MAVLink_mission_ack_message(255, 190, m2.MAV_MISSION_NO_SPACE, mt))
                return
            if msg.count == 0:
                self.lists[mt] = []
                self.send(m2.MAVLink_mission_ack_message(255, 190, 0, mt))
                return
            self._upload = {"type": mt, "count": msg.count, "items": {}, "next": 0, "t": time.monotonic()}
            self._request(0, mt)
        elif t in ("MISSION_ITEM_INT", "MISSION_ITEM"):
            up = self._upload
            if up is None or mt != up["type"]:
                if self.lists[mt] and msg.seq == len(self.lists[mt]) - 1:  # last item again: re-ack
                    self.send(m2.MAVLink_mission_ack_message(255, 190, 0, mt))
                return
            if msg.seq != up["next"]:
                return  # duplicate or out of order: ignored, the right one is re-requested
            up["items"][msg.seq] = msg
            up["next"] += 1
            up["t"] = time.monotonic()
            if up["next"] == up["count"]:
                items = [up["items"][i] for i in range(up["count"])]
                if self.flavour == "ardupilot" and mt == 0:
                    home = items[0]
                    items[0] = m2.MAVLink_mission_item_int_message(255, 190, 0, 0, 16, 0, 1, 0, 0, 0, 0,
                                                                   473977420, 85455940, 488.0, 0)
                    assert home.seq == 0
                self.lists[mt] = items
                self._upload = None
                self.send(m2.MAVLink_mission_ack_message(255, 190, 0, mt))
            else:
                self._request(up["next"], mt)
        elif t == "MISSION_REQUEST_LIST":
            self.send(m2.MAVLink_mission_count_message(255, 190, len(self.lists[mt]), mt))
        elif t in ("MISSION_REQUEST_INT", "MISSION_REQUEST"):
            items = self.lists[mt]
            if 0 <= msg.seq < len(items):
                it = items[msg.seq]
                self.send(m2.MAVLink_mission_item_int_message(
                    255, 190, it.seq, it.frame, it.command, it.current, it.autocontinue, it.param1, it.param2,
                    it.param3, it.param4, it.x, it.y, it.z, mt))
        elif t == "MISSION_CLEAR_ALL":
            self.lists[mt] = []
            self.send(m2.MAVLink_mission_ack_message(255, 190, 0, mt))
        elif t in ("COMMAND_LONG", "COMMAND_INT"):
            self.commands_seen.append(msg)
            result = self.command_results.get(msg.command, 0)
            if result is None:
                return  # scripted silence
            self.send(m2.MAVLink_command_ack_message(msg.command, result, 0, 0, 255, 190))
