"""A small independent pymavlink GCS used by the sims vehicle tests (shares no code with sims.vehicle)."""
from __future__ import annotations

import os
import time

os.environ.setdefault("MAVLINK20", "1")
from pymavlink import mavutil  # noqa: E402

M = mavutil.mavlink


class Gcs:
    """Connects to an endpoint, sends GCS heartbeats while it waits, and speaks the mission/command protocols."""

    def __init__(self, endpoint: str, sysid: int = 255, heartbeat_s: float = 0.5) -> None:
        self.conn = mavutil.mavlink_connection(endpoint, source_system=sysid, source_component=190,
                                               dialect="ardupilotmega", autoreconnect=False)
        self.heartbeat_s = heartbeat_s
        self.send_heartbeats = True
        self._last_hb = 0.0
        self.seen: list = []
        self.statustexts: list[str] = []
        self.backlog: list = []
        #: Event-like messages kept for a later recv() when they arrive during another wait.
        self.keep = {"STATUSTEXT", "HOME_POSITION", "MISSION_ITEM_REACHED", "MISSION_CURRENT"}

    @property
    def mav(self):
        return self.conn.mav

    def close(self) -> None:
        self.conn.close()

    def _tick(self) -> None:
        now = time.monotonic()
        if self.send_heartbeats and now - self._last_hb >= self.heartbeat_s:
            self._last_hb = now
            self.mav.heartbeat_send(M.MAV_TYPE_GCS, M.MAV_AUTOPILOT_INVALID, 0, 0, 0)

    def recv(self, types: str | tuple[str, ...] | None = None, timeout: float = 5.0, cond=None):
        """Next message of the given type(s) satisfying cond, or None after timeout (wall seconds)."""
        if isinstance(types, str):
            types = (types,)

        def matches(msg) -> bool:
            return (not types or msg.get_type() in types) and (cond is None or cond(msg))

        for i, msg in enumerate(self.backlog):  # messages that arrived while waiting for something else
            if matches(msg):
                del self.backlog[i]
                return msg
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self._tick()
            msg = self.conn.recv_match(blocking=True, timeout=0.05)
            if msg is None:
                continue
            if msg.get_type() == "STATUSTEXT":
                self.statustexts.append(msg.text)
            if matches(msg):
                return msg
            if msg.get_type() in self.keep:
                self.backlog.append(msg)
                del self.backlog[:-500]
        return None

    def flush_backlog(self) -> None:
        """Forget messages kept from earlier waits."""
        self.backlog.clear()

    def wait_heartbeat(self, timeout: float = 10.0):
        """First vehicle heartbeat; sets the target ids."""
        hb = self.recv("HEARTBEAT", timeout, cond=lambda m: m.type != M.MAV_TYPE_GCS)
        if hb is None:
            raise TimeoutError("no heartbeat from the vehicle")
        self.conn.target_system, self.conn.target_component = hb.get_srcSystem(), hb.get_srcComponent()
        return hb

    def request_streams(self, rate_hz: int = 10) -> None:
        """Ask for every stream at rate_hz (REQUEST_DATA_STREAM, as MAVProxy does)."""
        self.mav.request_data_stream_send(self.conn.target_system, self.conn.target_component,
                                          M.MAV_DATA_STREAM_ALL, rate_hz, 1)

    def command(self, command: int, *params: float, retries: int = 5, timeout: float = 1.0) -> int:
        """COMMAND_LONG with retries; returns MAV_RESULT."""
        p = list(params) + [0.0] * (7 - len(params))
        for attempt in range(retries):
            self.mav.command_long_send(self.conn.target_system, self.conn.target_component, command, attempt, *p)
            ack = self.recv("COMMAND_ACK", timeout, cond=lambda m: m.command == command)
            if ack is not None:
                return ack.result
        raise TimeoutError(f"no COMMAND_ACK for command {command}")

    def set_mode(self, custom_mode: int) -> int:
        """DO_SET_MODE with an ArduPilot custom mode number."""
        return self.command(M.MAV_CMD_DO_SET_MODE, M.MAV_MODE_FLAG_CUSTOM_MODE_ENABLED, custom_mode)

    def upload(self, items: list[tuple], mission_type: int = 0, timeout: float = 60.0, retry_s: float = 1.0) -> int:
        """Upload (frame, command, p1..p4, lat, lon, alt) tuples with MISSION_ITEM_INT; returns the MISSION_ACK type.

        Resends MISSION_COUNT until the first request arrives and repeats the last item until the ACK comes,
        so it survives packet loss.
        """
        ts, tc = self.conn.target_system, self.conn.target_component
        deadline = time.monotonic() + timeout
        got_request = False
        last_sent: int | None = None
        self.mav.mission_count_send(ts, tc, len(items), mission_type)
        while time.monotonic() < deadline:
            msg = self.recv(("MISSION_REQUEST", "MISSION_REQUEST_INT", "MISSION_ACK"), retry_s,
                            cond=lambda m: getattr(m, "mission_type", 0) == mission_type)
            if msg is None:
                if not got_request:
                    self.mav.mission_count_send(ts, tc, len(items), mission_type)
                elif last_sent is not None:
                    self._send_item(items, last_sent, mission_type)
                continue
            if msg.get_type() == "MISSION_ACK":
                if got_request or msg.type != M.MAV_MISSION_ACCEPTED or not items:
                    return msg.type
                continue
            got_request = True
            last_sent = msg.seq
            self._send_item(items, msg.seq, mission_type)
        raise TimeoutError("mission upload did not finish")

    def _send_item(self, items, seq: int, mission_type: int) -> None:
        frame, command, p1, p2, p3, p4, lat, lon, alt = items[seq]
        self.mav.mission_item_int_send(self.conn.target_system, self.conn.target_component, seq, frame, command, 0, 1,
                                       p1, p2, p3, p4, int(round(lat * 1e7)), int(round(lon * 1e7)), alt, mission_type)

    def download(self, mission_type: int = 0, timeout: float = 60.0, retry_s: float = 1.0) -> list:
        """Download every item (MISSION_REQUEST_INT, with re-requests)."""
        ts, tc = self.conn.target_system, self.conn.target_component
        deadline = time.monotonic() + timeout
        count = None
        while count is None and time.monotonic() < deadline:
            self.mav.mission_request_list_send(ts, tc, mission_type)
            msg = self.recv("MISSION_COUNT", retry_s, cond=lambda m: m.mission_type == mission_type)
            count = None if msg is None else msg.count
        items: list = []
        while count is not None and len(items) < count and time.monotonic() < deadline:
            seq = len(items)
            self.mav.mission_request_int_send(ts, tc, seq, mission_type)
            msg = self.recv("MISSION_ITEM_INT", retry_s, cond=lambda m: m.seq == seq and m.mission_type == mission_type)
            if msg is not None:
                items.append(msg)
        if count is None or len(items) < count:
            raise TimeoutError("mission download did not finish")
        self.mav.mission_ack_send(ts, tc, M.MAV_MISSION_ACCEPTED, mission_type)
        return items
