"""Flies a stored mission in AUTO: NAV items become guidance targets, DO items act at once, DO_JUMP loops."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Protocol

from pymavlink.dialects.v20 import ardupilotmega as mavlink

from .guidance import Descend, GoTo, Hold, NavTarget, Orbit
from .mission_store import MissionItem
from .physics import BodyState

C = mavlink


def _f(value: float, default: float = 0.0) -> float:
    """A parameter value, with NaN (MAVLink's \"unused\") read as `default`."""
    return value if math.isfinite(value) else default


class RunRtl:
    """Sentinel target: the item is NAV_RETURN_TO_LAUNCH, the autopilot runs its RTL inside AUTO."""


RUN_RTL = RunRtl()


class ExecutorHost(Protocol):
    """What the executor needs from the autopilot."""

    state: BodyState
    now: float

    def item_enu(self, item: MissionItem) -> tuple[float, float, float]: ...
    def home_u(self) -> float: ...
    def param(self, name: str) -> float: ...
    def set_speed(self, kind: int, mps: float) -> None: ...
    def set_roi(self, item: MissionItem | None) -> None: ...
    def gimbal_pitch(self, pitch_deg: float) -> None: ...
    def set_yaw_hold(self, yaw_rad: float | None) -> None: ...
    def cruise_speed(self) -> float: ...
    def on_current(self, seq: int) -> None: ...
    def on_reached(self, seq: int) -> None: ...
    def statustext(self, text: str, severity: int) -> None: ...


@dataclass
class _NavState:
    """Progress on the current NAV item."""

    target: NavTarget | None = None
    arrived_at: float | None = None
    angle_done: float = 0.0
    last_angle: float | None = None
    start_time: float = 0.0


@dataclass
class MissionExecutor:
    """Mission progress: current index, per-jump remaining repeats and the running NAV item's state."""

    first_index: int = 1
    items: list[MissionItem] = field(default_factory=list)
    current: int = 0
    running: bool = False
    complete: bool = False
    jump_left: dict[int, int] = field(default_factory=dict)
    nav: _NavState = field(default_factory=_NavState)

    def load(self, items: list[MissionItem]) -> None:
        """Take a new list; keep the current index when it is still valid (as ArduPilot does)."""
        self.items = list(items)
        self.jump_left = {}
        self.nav = _NavState(start_time=self.nav.start_time)  # re-plan the current item from the new list
        if self.current >= len(self.items):
            self.current = self.first_index if len(self.items) > self.first_index else 0
            self.running = False

    @property
    def has_mission(self) -> bool:
        """True when there is at least one item to fly."""
        return len(self.items) > self.first_index

    def set_current(self, host: ExecutorHost, seq: int) -> bool:
        """MISSION_SET_CURRENT: jump to seq (restart the item if running)."""
        if not 0 <= seq < len(self.items):
            return False
        seq = max(seq, self.first_index)
        self.complete = False
        if self.running:
            self._advance_to(host, seq)
        else:
            self.current = seq
            host.on_current(seq)
        return True

    def start(self, host: ExecutorHost, seq: int | None = None) -> bool:
        """Begin (or resume at the current item, or at `seq`)."""
        if not self.has_mission:
            return False
        if seq is None:
            seq = self.current if self.first_index <= self.current < len(self.items) and not self.complete else self.first_index
        if self.complete or seq == self.first_index:
            self.jump_left = {}
        self.running, self.complete = True, False
        self._advance_to(host, seq)
        return True

    def stop(self) -> None:
        """Leave AUTO: progress is kept for a resume."""
        self.running = False

    # ---- progress
    def _advance_to(self, host: ExecutorHost, seq: int) -> None:
        """Make `seq` current: run DO items on the way, follow DO_JUMPs, stop at the next NAV item."""
        for _ in range(len(self.items) * 4 + 8):  # guard against DO_JUMP loops without NAV items
            if seq >= len(self.items):
                self._finish(host)
                return
            item = self.items[seq]
            if item.command == C.MAV_CMD_DO_JUMP:
                seq = self._jump(seq, item)
                continue
            if item.command in _NAV:
                self.current = seq
                self.nav = _NavState(start_time=host.now)
                host.on_current(seq)
                return
            self._do(host, item)
            seq += 1
        host.statustext("Mission: DO_JUMP loop without NAV items", C.MAV_SEVERITY_WARNING)
        self._finish(host)

    def _jump(self, seq: int, item: MissionItem) -> int:
        """Where a DO_JUMP leads now (counting its repeats)."""
        repeat = int(_f(item.param2))
        if repeat < 0:
            return int(_f(item.param1))
        left = self.jump_left.setdefault(seq, repeat)
        if left > 0:
            self.jump_left[seq] = left - 1
            return int(_f(item.param1))
        return seq + 1

    def _finish(self, host: ExecutorHost) -> None:
        """End of the list: hold position in AUTO."""
        if not self.complete:
            host.statustext("Mission complete", C.MAV_SEVERITY_INFO)
        self.complete = True
        s = host.state
        self.nav = _NavState(target=Hold(s.e, s.n, s.u), start_time=host.now)
        host.on_current(self.current)  # MISSION_CURRENT now says COMPLETE

    def _do(self, host: ExecutorHost, item: MissionItem) -> None:
        """Execute a DO/CONDITION item at once."""
        cmd = item.command
        if cmd == C.MAV_CMD_DO_CHANGE_SPEED:
            host.set_speed(int(_f(item.param1)), _f(item.param2))
        elif cmd == C.MAV_CMD_DO_SET_ROI_LOCATION or (cmd == C.MAV_CMD_DO_SET_ROI and int(_f(item.param1)) == 3):
            host.set_roi(item if item.has_position else None)
        elif cmd in (C.MAV_CMD_DO_SET_ROI_NONE, C.MAV_CMD_DO_SET_ROI):
            host.set_roi(None)
        elif cmd in (C.MAV_CMD_DO_GIMBAL_MANAGER_PITCHYAW, C.MAV_CMD_DO_MOUNT_CONTROL):
            if math.isfinite(item.param1):
                host.gimbal_pitch(item.param1)
        elif cmd == C.MAV_CMD_CONDITION_YAW:
            yaw = math.radians(_f(item.param1))
            if _f(item.param4):
                yaw = host.state.yaw + (yaw if _f(item.param3) >= 0 else -yaw)
            host.set_yaw_hold(yaw)

    # ---- per tick
    def update(self, host: ExecutorHost) -> NavTarget | RunRtl | None:
        """The target to fly now (None when not running)."""
        if not self.running:
            return None
        if self.complete:
            return self.nav.target
        item = self.items[self.current]
        cmd, s, nav = item.command, host.state, self.nav
        if cmd == C.MAV_CMD_NAV_RETURN_TO_LAUNCH:
            return RUN_RTL
        if cmd == C.MAV_CMD_NAV_TAKEOFF:
            if nav.target is None:
                nav.target = GoTo(s.e, s.n, host.home_u() + item.z)
            if s.u >= nav.target.u - 0.5:
                return self._item_done(host, item)
            return nav.target
        if cmd == C.MAV_CMD_NAV_LAND:
            if nav.target is None:
                e, n, _ = host.item_enu(item) if item.has_position else (s.e, s.n, s.u)
                nav.target = GoTo(e, n, s.u)
            if isinstance(nav.target, GoTo) and math.hypot(nav.target.e - s.e, nav.target.n - s.n) < 1.0:
                nav.target = Descend(nav.target.e, nav.target.n, 0.0)
            return nav.target  # the autopilot fills Descend's speed and disarms at touchdown
        if cmd == C.MAV_CMD_NAV_DELAY:
            if host.now - nav.start_time >= max(_f(item.param1), 0.0):
                return self._item_done(host, item)
            return nav.target or Hold(s.e, s.n, s.u)
        if nav.target is None:
            e, n, u = host.item_enu(item)
            nav.target = GoTo(e, n, u, pass_mps=self._pass_speed(host, item, (e, n)))
        if cmd == C.MAV_CMD_NAV_LOITER_TURNS:
            return self._turns(host, item)
        t = nav.target
        radius = _f(item.param2) if cmd in (C.MAV_CMD_NAV_WAYPOINT, C.MAV_CMD_NAV_SPLINE_WAYPOINT) and _f(item.param2) > 0 \
            else host.param("WPNAV_RADIUS") / 100.0
        if nav.arrived_at is None:
            stopping = not (isinstance(t, GoTo) and t.pass_mps > 0.0)
            slow = math.hypot(s.ve, s.vn) < 1.0 or not stopping  # a stopping waypoint is reached once stopped
            if math.hypot(t.e - s.e, t.n - s.n) <= max(radius, 0.3) and abs(t.u - s.u) < 1.0 and slow:
                nav.arrived_at = host.now
                host.on_reached(self.current)
                nav.target = Hold(t.e, t.n, t.u)
            else:
                return t
        if cmd == C.MAV_CMD_NAV_LOITER_UNLIM:
            return nav.target
        hold = _f(item.param1) if cmd in (C.MAV_CMD_NAV_WAYPOINT, C.MAV_CMD_NAV_LOITER_TIME) else 0.0
        if host.now - nav.arrived_at >= max(hold, 0.0):
            return self._item_done(host, item, reported=True)
        return nav.target

    def _next_nav(self, seq: int) -> MissionItem | None:
        """The NAV item flown after `seq` (DO items skipped, DO_JUMP followed without counting), or None."""
        for _ in range(len(self.items) + 1):
            seq += 1
            if seq >= len(self.items):
                return None
            it = self.items[seq]
            if it.command == C.MAV_CMD_DO_JUMP:
                repeat = int(_f(it.param2))
                if repeat < 0 or self.jump_left.get(seq, repeat) > 0:
                    seq = int(_f(it.param1)) - 1
                continue
            if it.command in _NAV:
                return it
        return None

    def _pass_speed(self, host: ExecutorHost, item: MissionItem, target_en: tuple[float, float]) -> float:
        """Speed to carry through a waypoint without hold toward a next waypoint: less the sharper the turn."""
        if item.command not in (C.MAV_CMD_NAV_WAYPOINT, C.MAV_CMD_NAV_SPLINE_WAYPOINT) or _f(item.param1) > 0:
            return 0.0
        nxt = self._next_nav(self.current)
        if nxt is None or nxt.command not in (C.MAV_CMD_NAV_WAYPOINT, C.MAV_CMD_NAV_SPLINE_WAYPOINT):
            return 0.0
        s = host.state
        ne, nn, _ = host.item_enu(nxt)
        ax, ay = target_en[0] - s.e, target_en[1] - s.n
        bx, by = ne - target_en[0], nn - target_en[1]
        la, lb = math.hypot(ax, ay), math.hypot(bx, by)
        if la < 1.0 or lb < 1.0:
            return 0.0
        cos_turn = (ax * bx + ay * by) / (la * lb)
        return host.cruise_speed() * 0.8 * max(0.0, (1.0 + cos_turn) / 2.0) ** 1.5

    def _turns(self, host: ExecutorHost, item: MissionItem) -> NavTarget | None:
        """LOITER_TURNS: fly to the circle, then orbit until the turns are done."""
        s, nav = host.state, self.nav
        radius = abs(_f(item.param3)) if _f(item.param3) else host.param("CIRCLE_RADIUS") / 100.0
        direction = -1 if _f(item.param3) < 0 else 1
        ce, cn, cu = host.item_enu(item)
        if nav.arrived_at is None:  # fly to the nearest point on the circle first
            re, rn = s.e - ce, s.n - cn
            d = math.hypot(re, rn) or 1.0
            ee, en = ce + re / d * radius, cn + rn / d * radius
            if math.hypot(ee - s.e, en - s.n) > 2.0 or abs(cu - s.u) > 1.0:
                return GoTo(ee, en, cu)
            nav.arrived_at = host.now
            nav.target = Orbit(ce, cn, cu, radius, direction)
        ang = math.atan2(s.e - ce, s.n - cn)
        if nav.last_angle is not None:
            delta = (ang - nav.last_angle + math.pi) % (2 * math.pi) - math.pi
            nav.angle_done += delta * direction
        nav.last_angle = ang
        if nav.angle_done >= 2 * math.pi * max(_f(item.param1), 0.0):
            return self._item_done(host, item)
        return nav.target

    def _item_done(self, host: ExecutorHost, item: MissionItem, reported: bool = False) -> NavTarget | None:
        """Report the item and move to the next one."""
        if not reported:
            host.on_reached(self.current)
        self._advance_to(host, self.current + 1)
        return self.update(host) if not self.complete else self.nav.target

    def landing_done(self, host: ExecutorHost) -> None:
        """Touchdown on a NAV_LAND / RTL item: report it and finish the mission."""
        if self.running and not self.complete:
            host.on_reached(self.current)
            self._finish(host)
            self.running = False


_NAV = frozenset({C.MAV_CMD_NAV_WAYPOINT, C.MAV_CMD_NAV_TAKEOFF, C.MAV_CMD_NAV_LOITER_TIME, C.MAV_CMD_NAV_LOITER_TURNS,
                  C.MAV_CMD_NAV_LOITER_UNLIM, C.MAV_CMD_NAV_RETURN_TO_LAUNCH, C.MAV_CMD_NAV_LAND,
                  C.MAV_CMD_NAV_SPLINE_WAYPOINT, C.MAV_CMD_NAV_DELAY})
