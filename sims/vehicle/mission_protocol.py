"""The MAVLink mission micro-protocol (mission, fence, rally): upload with re-requests and timeouts, download, clear."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Protocol

from pymavlink.dialects.v20 import ardupilotmega as mavlink

from .mission_store import MISSION, MAX_ITEMS, MissionItem, MissionStore, validate_item, validate_list

REREQUEST_S = 1.0       # ArduPilot re-requests a missing item after about a second
UPLOAD_TIMEOUT_S = 8.0   # and gives up (OPERATION_CANCELLED) after eight without progress
REACK_WINDOW_S = 5.0     # re-acknowledge a repeated last item this long after completing


class Replier(Protocol):
    """Where protocol answers go: a link that can send one message."""

    def send(self, msg) -> None: ...


@dataclass
class _Upload:
    """An upload in progress."""
    link: Replier
    sysid: int
    compid: int
    mission_type: int
    count: int
    items: list[MissionItem] = field(default_factory=list)
    last_rx: float = 0.0
    last_request: float = 0.0
    #: MISSION_REQUEST_INT until the client answers with a float MISSION_ITEM (then MISSION_REQUEST, as PX4 does).
    int_mode: bool = True

    @property
    def expected(self) -> int:
        return len(self.items)


@dataclass
class _Done:
    """The last completed upload (to re-ACK a repeated last item)."""
    link: Replier
    sysid: int
    compid: int
    mission_type: int
    last_seq: int
    at: float


class MissionProtocol:
    """Serves one vehicle's MissionStore; `on_change(type)` runs after an upload or clear is committed.

    `home_item()` returns the ArduPilot-style item 0 (home) or None for PX4, where seq 0 is a real item.
    """

    def __init__(self, store: MissionStore, clock: Callable[[], float], on_change: Callable[[int], None],
                 home_item: Callable[[], MissionItem | None], statustext: Callable[[str, int], None]) -> None:
        self.store = store
        self.clock = clock
        self.on_change = on_change
        self.home_item = home_item
        self.statustext = statustext
        self.upload: _Upload | None = None
        self.done: _Done | None = None

    # ---- helpers
    @staticmethod
    def _ack(link: Replier, sysid: int, compid: int, result: int, mission_type: int) -> None:
        """MISSION_ACK to a client."""
        link.send(mavlink.MAVLink_mission_ack_message(sysid, compid, result, mission_type))

    def _request(self, up: _Upload) -> None:
        """Ask for the next expected item (INT or float protocol)."""
        up.last_request = self.clock()
        request = mavlink.MAVLink_mission_request_int_message if up.int_mode else mavlink.MAVLink_mission_request_message
        up.link.send(request(up.sysid, up.compid, up.expected, up.mission_type))

    def items_for_download(self, mission_type: int) -> list[MissionItem]:
        """The list as the vehicle reports it (ArduPilot: item 0 replaced by the current home)."""
        items = list(self.store.items[mission_type])
        if mission_type == MISSION:
            home = self.home_item()
            if home is not None:
                items = [home] + items[1:] if items else [home]
        return items

    # ---- message handlers
    def handle(self, link: Replier, msg) -> bool:
        """Handle a mission-protocol message; False when it is not one."""
        kind = msg.get_type()
        src_sys, src_comp = msg.get_srcSystem(), msg.get_srcComponent()
        mission_type = getattr(msg, "mission_type", MISSION)
        if kind == "MISSION_COUNT":
            self._on_count(link, src_sys, src_comp, msg.count, mission_type)
        elif kind in ("MISSION_ITEM", "MISSION_ITEM_INT"):
            self._on_item(link, src_sys, src_comp, msg)
        elif kind == "MISSION_REQUEST_LIST":
            items = self.items_for_download(mission_type)
            link.send(mavlink.MAVLink_mission_count_message(src_sys, src_comp, len(items), mission_type))
        elif kind in ("MISSION_REQUEST", "MISSION_REQUEST_INT"):
            self._on_request(link, src_sys, src_comp, msg.seq, mission_type, as_int=kind == "MISSION_REQUEST_INT")
        elif kind == "MISSION_CLEAR_ALL":
            if self.upload is not None and self.upload.mission_type == mission_type:
                self.upload = None
            self.store.clear(mission_type)
            self.on_change(mission_type)
            self._ack(link, src_sys, src_comp, mavlink.MAV_MISSION_ACCEPTED, mission_type)
        elif kind == "MISSION_ACK":
            pass  # end of a download; nothing to do
        else:
            return False
        return True

    def _on_count(self, link: Replier, sysid: int, compid: int, count: int, mission_type: int) -> None:
        """MISSION_COUNT starts (or clears with 0) an upload."""
        if mission_type not in MAX_ITEMS:
            self._ack(link, sysid, compid, mavlink.MAV_MISSION_UNSUPPORTED, mission_type)
            return
        up = self.upload
        if up is not None and (up.sysid, up.compid) != (sysid, compid) and self.clock() - up.last_rx < UPLOAD_TIMEOUT_S:
            self._ack(link, sysid, compid, mavlink.MAV_MISSION_DENIED, mission_type)
            self.statustext("Mission upload already in progress", mavlink.MAV_SEVERITY_WARNING)
            return
        if count > MAX_ITEMS[mission_type]:
            self.upload = None
            self._ack(link, sysid, compid, mavlink.MAV_MISSION_NO_SPACE, mission_type)
            return
        self.done = None
        if count == 0:
            self.upload = None
            self.store.clear(mission_type)
            self.on_change(mission_type)
            self._ack(link, sysid, compid, mavlink.MAV_MISSION_ACCEPTED, mission_type)
            return
        now = self.clock()
        self.upload = _Upload(link, sysid, compid, mission_type, count, last_rx=now)
        self._request(self.upload)

    def _on_item(self, link: Replier, sysid: int, compid: int, msg) -> None:
        """One uploaded item: validate, store, request the next or commit."""
        up = self.upload
        mission_type = getattr(msg, "mission_type", MISSION)
        if up is None or (up.sysid, up.compid) != (sysid, compid):
            d = self.done
            if (d is not None and (d.sysid, d.compid, d.mission_type, d.last_seq) == (sysid, compid, mission_type, msg.seq)
                    and self.clock() - d.at < REACK_WINDOW_S):
                self._ack(link, sysid, compid, mavlink.MAV_MISSION_ACCEPTED, mission_type)
            return
        if mission_type != up.mission_type:
            self._ack(link, sysid, compid, mavlink.MAV_MISSION_UNSUPPORTED, mission_type)
            return
        up.link = link
        up.int_mode = msg.get_type() == "MISSION_ITEM_INT"
        if msg.seq != up.expected:
            if msg.seq > up.expected:
                self._request(up)  # skipped one: ask again for the missing item
            return  # a duplicate of an item already stored
        item = MissionItem.from_msg(msg)
        result = validate_item(item)
        if result != mavlink.MAV_MISSION_ACCEPTED:
            self.upload = None
            self._ack(link, sysid, compid, result, mission_type)
            return
        up.items.append(item)
        up.last_rx = self.clock()
        if up.expected < up.count:
            self._request(up)
            return
        self.upload = None
        result = validate_list(up.items)
        if result == mavlink.MAV_MISSION_ACCEPTED:
            self.store.replace(mission_type, up.items)
            self.on_change(mission_type)
            self.done = _Done(link, sysid, compid, mission_type, up.count - 1, self.clock())
        self._ack(link, sysid, compid, result, mission_type)

    def _on_request(self, link: Replier, sysid: int, compid: int, seq: int, mission_type: int, as_int: bool) -> None:
        """Serve one item of a download."""
        items = self.items_for_download(mission_type)
        if not 0 <= seq < len(items):
            self._ack(link, sysid, compid, mavlink.MAV_MISSION_INVALID_SEQUENCE, mission_type)
            return
        item = items[seq]
        link.send(item.to_int_msg(sysid, compid) if as_int else item.to_float_msg(sysid, compid))

    # ---- timers
    def update(self) -> None:
        """Re-request a missing item after REREQUEST_S; cancel the upload after UPLOAD_TIMEOUT_S of silence."""
        up = self.upload
        if up is None:
            return
        now = self.clock()
        if now - up.last_rx > UPLOAD_TIMEOUT_S:
            self.upload = None
            self._ack(up.link, up.sysid, up.compid, mavlink.MAV_MISSION_OPERATION_CANCELLED, up.mission_type)
            self.statustext("Mission upload timeout", mavlink.MAV_SEVERITY_WARNING)
        elif now - up.last_request > REREQUEST_S:
            self._request(up)
