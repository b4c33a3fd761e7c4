"""MAVLink mission protocol client: upload, download and clear missions, fences and rally points.

Driven by the vehicle's requests (MISSION_REQUEST_INT, or MISSION_REQUEST as ArduPilot sends), it
tolerates loss, duplicates and out-of-order messages by re-sending on timeouts and answering any
request in range. ArduPilot keeps home in mission item 0: a placeholder is prepended on upload
and stripped on download, so callers always see their own items numbered from 0.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass, replace

from flight.link import MavLink
from flight.mav import mavlink2
from flight.mission import Cmd, Frame, MissionItem, MissionType, renumber
from flight.modes import Flavour

log = logging.getLogger(__name__)

REQUEST_TYPES = {"MISSION_REQUEST", "MISSION_REQUEST_INT"}


def mission_result_name(result: int) -> str:
    """'NO_SPACE' for MAV_MISSION_NO_SPACE, etc."""
    entry = mavlink2.enums["MAV_MISSION_RESULT"].get(result)
    return entry.name.replace("MAV_MISSION_", "") if entry is not None else f"RESULT_{result}"


class MissionError(RuntimeError):
    """A mission transfer that did not complete."""


class MissionAckError(MissionError):
    """The vehicle ended a transfer with a MISSION_ACK error (NO_SPACE, INVALID_SEQUENCE, DENIED, ...)."""

    def __init__(self, mission_type: int, result: int, during: str) -> None:
        self.mission_type = mission_type
        self.result = result
        self.result_name = mission_result_name(result)
        super().__init__(f"{during} {MissionType(mission_type).name.lower()}: vehicle answered {self.result_name}")


class MissionTimeout(MissionError, TimeoutError):
    """The vehicle stopped answering during a transfer."""


@dataclass(frozen=True)
class TransferResult:
    """Figures of one transfer: items moved, seconds, messages re-sent, items per second."""

    mission_type: int
    count: int
    seconds: float
    resends: int

    @property
    def items_per_s(self) -> float:
        """Throughput."""
        return self.count / self.seconds if self.seconds > 0 else float("inf")


def item_to_message(item: MissionItem, target_system: int, target_component: int):
    """A MISSION_ITEM_INT message for an item."""
    return mavlink2.MAVLink_mission_item_int_message(
        target_system, target_component, item.seq, item.frame, item.command, item.current, item.autocontinue,
        item.param1, item.param2, item.param3, item.param4, int(item.x), int(item.y), float(item.z),
        item.mission_type)


def item_from_message(msg) -> MissionItem:
    """A MissionItem from MISSION_ITEM_INT or the float MISSION_ITEM (converted to degrees*1e7)."""
    if msg.get_type() == "MISSION_ITEM":
        x, y = int(round(msg.x * 1e7)), int(round(msg.y * 1e7))
        frame = {0: 5, 3: 6, 10: 11}.get(msg.frame, msg.frame)
    else:
        x, y, frame = msg.x, msg.y, msg.frame
    return MissionItem(seq=msg.seq, frame=frame, command=msg.command, current=msg.current,
                       autocontinue=msg.autocontinue, param1=msg.param1, param2=msg.param2, param3=msg.param3,
                       param4=msg.param4, x=x, y=y, z=msg.z, mission_type=getattr(msg, "mission_type", 0))


def home_placeholder(lat_deg: float = 0.0, lon_deg: float = 0.0, alt_amsl_m: float = 0.0) -> MissionItem:
    """ArduPilot's mission item 0 (home; the autopilot overwrites it with its real home)."""
    return MissionItem.at(0, 16, lat_deg, lon_deg, alt_amsl_m, frame=Frame.GLOBAL_INT)


def shift_jumps(items: list[MissionItem], by: int) -> list[MissionItem]:
    """DO_JUMP targets (param1) moved by `by`: ArduPilot numbers them counting its home item 0."""
    return [replace(it, param1=it.param1 + by) if it.command == Cmd.DO_JUMP else it for it in items]


class MissionClient:
    """Mission/fence/rally transfers with the link's target vehicle."""

    def __init__(self, link: MavLink, timeout_s: float = 0.3, max_resends_per_step: int = 40,
                 flavour: Flavour | None = None, window: int = 8) -> None:
        self.link = link
        self.window = window
        self.timeout_s = timeout_s
        self.max_resends = max_resends_per_step
        self.give_up_s = 10.0  # no progress for this long ends a transfer (ArduPilot itself gives up after 8 s)
        self.min_timeout_s = 0.05
        self._flavour = flavour
        self._srtt: float | None = None

    def rto(self) -> float:
        """Resend timeout: 4x the smoothed request round trip, within [min_timeout_s, timeout_s]."""
        if self._srtt is None:
            return self.timeout_s
        return max(self.min_timeout_s, min(self.timeout_s, 4.0 * self._srtt + 0.02))

    def _sample_rtt(self, rtt: float) -> None:
        self._srtt = rtt if self._srtt is None else 0.8 * self._srtt + 0.2 * rtt

    @property
    def flavour(self) -> Flavour:
        """The autopilot flavour (from the heartbeat unless given)."""
        return self._flavour or Flavour.from_autopilot(self.link.autopilot)

    def home_offset(self, mission_type: int = MissionType.MISSION) -> int:
        """1 when the vehicle keeps home as mission item 0 (ArduPilot missions), else 0."""
        return 1 if self.flavour is Flavour.ARDUPILOT and mission_type == MissionType.MISSION else 0

    def _target(self) -> tuple[int, int]:
        return (self.link.target_system or 1, self.link.target_component)

    # -- upload -----------------------------------------------------------------------------------
    def upload(self, items: list[MissionItem], mission_type: int = MissionType.MISSION,
               home: MissionItem | None = None) -> TransferResult:
        """Write `items` (numbered from 0) as the vehicle's list of `mission_type`; raise MissionError on failure."""
        mission_type = int(mission_type)
        if not items:
            return self.clear(mission_type)
        wire = renumber(items, mission_type)
        if self.home_offset(mission_type):
            wire = renumber([home or home_placeholder()] + shift_jumps(wire, +1), mission_type)
        count = len(wire)
        ts, tc = self._target()
        started = time.monotonic()
        resends = 0
        highest = -1
        last_sent: int | None = None
        sent_at: dict[int, float] = {}
        resent: set[int] = set()
        highest_sent = -1
        speculate = self.flavour in (Flavour.ARDUPILOT, Flavour.PX4)  # take the expected seq even unrequested
        count_msg = mavlink2.MAVLink_mission_count_message(ts, tc, count, mission_type)
        name = MissionType(mission_type).name.lower()
        with self.link.subscribe(REQUEST_TYPES | {"MISSION_ACK"}) as sub:
            self.link.send(count_msg)
            progress_at = time.monotonic()
            while True:
                msg = sub.get(self.rto())
                if msg is None:
                    if time.monotonic() - progress_at > self.give_up_s:
                        if highest_sent == count - 1 and self._count_matches(mission_type, count):
                            break  # the final ACK was lost but the vehicle holds the whole list
                        raise MissionTimeout(f"upload {name}: vehicle stopped answering after item {highest} "
                                             f"of {count}")
                    resends += 1
                    if last_sent is None:
                        self.link.send(count_msg)
                        continue
                    # our item or the vehicle's next request was lost. ArduPilot and PX4 store the seq they
                    # expect whether requested or not, and skip others (ArduPilot acks them INVALID_SEQUENCE):
                    # resend the item and the next few (go-back-N) instead of waiting for a re-request.
                    upto = min(count, last_sent + (self.window if speculate else 1))
                    for k in range(last_sent, upto):
                        resent.add(k)
                        highest_sent = max(highest_sent, k)
                        self.link.send(item_to_message(wire[k], ts, tc))
                    continue
                if getattr(msg, "mission_type", 0) != mission_type:
                    continue
                if getattr(msg, "target_system", 0) not in (0, self.link.config.sysid):
                    continue
                if msg.get_type() == "MISSION_ACK":
                    if msg.type == mavlink2.MAV_MISSION_ACCEPTED:
                        if highest_sent == count - 1:
                            break
                        continue  # a stale ACK from an earlier transfer
                    if last_sent is None and msg.type == mavlink2.MAV_MISSION_OPERATION_CANCELLED:
                        continue  # the end of an earlier, abandoned transfer
                    if last_sent is not None and msg.type == mavlink2.MAV_MISSION_INVALID_SEQUENCE:
                        continue  # ArduPilot's answer to a duplicate item; the transfer goes on
                    if highest_sent == count - 1 and self._count_matches(mission_type, count):
                        break  # an error answering a duplicate after the (lost) final ACK: the list is there
                    raise MissionAckError(mission_type, msg.type, "upload")
                seq = msg.seq
                if not 0 <= seq < count:
                    continue
                now = time.monotonic()
                if seq > highest:
                    progress_at = now
                    if seq - 1 in sent_at and seq - 1 == highest and seq - 1 not in resent:  # Karn's rule
                        self._sample_rtt(now - sent_at[seq - 1])
                elif last_sent is not None and seq <= last_sent:
                    resends += 1
                highest = max(highest, seq)
                last_sent = seq
                sent_at.setdefault(seq, now)
                highest_sent = max(highest_sent, seq)
                self.link.send(item_to_message(wire[seq], ts, tc))
        return TransferResult(mission_type, len(items), time.monotonic() - started, resends)

    def _count_matches(self, mission_type: int, count: int) -> bool:
        """True when the vehicle reports `count` items (a download's first step)."""
        try:
            return self._request_count(mission_type, attempts=10) == count
        except MissionTimeout:
            return False

    # -- download ---------------------------------------------------------------------------------
    def _request_count(self, mission_type: int, attempts: int | None = None) -> int:
        ts, tc = self._target()
        msg_out = mavlink2.MAVLink_mission_request_list_message(ts, tc, mission_type)
        with self.link.subscribe({"MISSION_COUNT", "MISSION_ACK"}) as sub:
            for _ in range(attempts or self.max_resends):
                self.link.send(msg_out)
                deadline = time.monotonic() + self.timeout_s
                while (msg := sub.get(deadline - time.monotonic())) is not None:
                    if getattr(msg, "mission_type", 0) != mission_type:
                        continue
                    if msg.get_type() == "MISSION_ACK":
                        if msg.type != mavlink2.MAV_MISSION_ACCEPTED:
                            raise MissionAckError(mission_type, msg.type, "download")
                        continue
                    return msg.count
        raise MissionTimeout(f"download {MissionType(mission_type).name.lower()}: no MISSION_COUNT")

    def download(self, mission_type: int = MissionType.MISSION, keep_home: bool = False) -> list[MissionItem]:
        """Read the vehicle's list of `mission_type`; ArduPilot's home item 0 is stripped unless `keep_home`."""
        mission_type = int(mission_type)
        count = self._request_count(mission_type)
        ts, tc = self._target()
        items: dict[int, MissionItem] = {}
        progress_at = time.monotonic()
        with self.link.subscribe({"MISSION_ITEM_INT", "MISSION_ITEM", "MISSION_ACK"}) as sub:
            while len(items) < count:
                # pipelined: ask for the lowest `window` missing items, then collect answers in any order
                missing = [s for s in range(count) if s not in items][:self.window]
                for seq in missing:
                    self.link.send(mavlink2.MAVLink_mission_request_int_message(ts, tc, seq, mission_type))
                sent = time.monotonic()
                deadline = sent + self.rto()
                got_any = False
                while (msg := sub.get(deadline - time.monotonic())) is not None:
                    if getattr(msg, "mission_type", 0) != mission_type:
                        continue
                    if msg.get_type() == "MISSION_ACK":
                        if msg.type not in (mavlink2.MAV_MISSION_ACCEPTED, mavlink2.MAV_MISSION_INVALID_SEQUENCE):
                            raise MissionAckError(mission_type, msg.type, "download")
                        continue  # late acks of an earlier upload
                    if 0 <= msg.seq < count and msg.seq not in items:
                        items[msg.seq] = item_from_message(msg)
                        progress_at = time.monotonic()
                        if not got_any:
                            self._sample_rtt(time.monotonic() - sent)
                        got_any = True
                    if all(s in items for s in missing):
                        break
                if time.monotonic() - progress_at > self.give_up_s:
                    first = min(s for s in range(count) if s not in items)
                    raise MissionTimeout(f"download {MissionType(mission_type).name.lower()}: "
                                         f"item {first} of {count} never came")
        ack = mavlink2.MAVLink_mission_ack_message(ts, tc, mavlink2.MAV_MISSION_ACCEPTED, mission_type)
        self.link.send(ack)
        self.link.send(ack)
        result = [replace(items[i], mission_type=mission_type) for i in range(count)]
        if self.home_offset(mission_type) and result and not keep_home:
            result = renumber(shift_jumps(result[1:], -1))
        return result

    # -- clear ------------------------------------------------------------------------------------
    def clear(self, mission_type: int = MissionType.MISSION) -> TransferResult:
        """MISSION_CLEAR_ALL for one type, waiting for its MISSION_ACK."""
        mission_type = int(mission_type)
        ts, tc = self._target()
        started = time.monotonic()
        out = mavlink2.MAVLink_mission_clear_all_message(ts, tc, mission_type)
        with self.link.subscribe({"MISSION_ACK"}) as sub:
            for attempt in range(self.max_resends):
                self.link.send(out)
                deadline = time.monotonic() + self.timeout_s
                while (msg := sub.get(deadline - time.monotonic())) is not None:
                    if getattr(msg, "mission_type", 0) != mission_type:
                        continue
                    if msg.type != mavlink2.MAV_MISSION_ACCEPTED:
                        raise MissionAckError(mission_type, msg.type, "clear")
                    return TransferResult(mission_type, 0, time.monotonic() - started, attempt)
        raise MissionTimeout(f"clear {MissionType(mission_type).name.lower()}: no MISSION_ACK")

    # -- whole plans ------------------------------------------------------------------------------
    def upload_plan(self, plan, home: MissionItem | None = None) -> dict[str, TransferResult]:
        """Upload fence, rally, then mission of a MissionPlan (empty lists clear that type)."""
        out = {}
        out["fence"] = self.upload(plan.fence_items, MissionType.FENCE)
        out["rally"] = self.upload(plan.rally_items, MissionType.RALLY)
        out["mission"] = self.upload(plan.items, MissionType.MISSION, home=home)
        return out
