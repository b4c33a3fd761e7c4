"""Camera pose from the autopilot's MAVLink telemetry, on the companion's clock, for every frame time.

``PoseReader`` consumes pymavlink messages (ATTITUDE, GLOBAL_POSITION_INT, GIMBAL_DEVICE_ATTITUDE_STATUS,
TIMESYNC, SYSTEM_TIME) — attach it to ``flight.link.MavLink`` in companion (read-only) mode, or feed it
messages directly — and fills a ``geo.PoseBuffer`` stamped on the companion clock. ``ClockSync``
estimates the offset between the autopilot's boot time and the companion clock and logs it.
"""
from __future__ import annotations

import logging
import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from geo.interpolation import PoseBuffer, PoseInterpolationError, PoseOutOfRange
from geo.pose import FixedMount, GimbalAttitude, PoseSample, PoseUncertainty

log = logging.getLogger(__name__)

_EARTH_R = 6_371_008.8


class ClockSync:
    """Offset (s) such that companion_time = autopilot_boot_time + offset.

    Estimators, best first: a TIMESYNC round trip we asked for (offset at the midpoint, error <= rtt/2),
    SYSTEM_TIME (the autopilot's own unix<->boot mapping, exact when both clocks follow GPS/NTP), and a
    passive lower envelope of (arrival time - message boot time) over recent messages (the smallest
    transport delay wins). Each change of source, and drifts over ``log_step_s``, are logged.
    """

    PRIORITY = {"timesync": 3, "system_time": 2, "arrival": 1}

    def __init__(self, clock: Callable[[], float] = time.time, window: int = 200, log_step_s: float = 0.005,
                 use_system_time: bool = True) -> None:
        self.clock = clock
        self.offset_s: float | None = None
        self.source: str | None = None
        self.rtt_s: float | None = None
        self.use_system_time = use_system_time
        self._arrivals: deque[float] = deque(maxlen=window)
        self._pending: dict[int, float] = {}
        self._log_step_s = log_step_s
        self._logged: tuple[str | None, float | None] = (None, None)

    def _set(self, source: str, offset: float) -> None:
        if self.source is not None and self.PRIORITY[source] < self.PRIORITY[self.source]:
            return
        self.offset_s, self.source = offset, source
        last_src, last_off = self._logged
        if last_src != source or last_off is None or abs(offset - last_off) > self._log_step_s:
            log.info("clock sync (%s): companion = autopilot boot + %.6f s%s", source, offset,
                     f" (rtt {self.rtt_s * 1000:.1f} ms)" if source == "timesync" and self.rtt_s is not None else "")
            self._logged = (source, offset)

    def observe_boot_ms(self, time_boot_ms: int, arrival_s: float | None = None) -> None:
        """Passive estimate from any message carrying time_boot_ms."""
        arrival = self.clock() if arrival_s is None else arrival_s
        self._arrivals.append(arrival - time_boot_ms / 1000.0)
        self._set("arrival", min(self._arrivals))

    def on_system_time(self, time_unix_usec: int, time_boot_ms: int) -> None:
        """SYSTEM_TIME: the autopilot's unix time (0 = unknown, no GPS) against its boot time."""
        if self.use_system_time and time_unix_usec > 0:
            self._set("system_time", time_unix_usec / 1e6 - time_boot_ms / 1000.0)

    def request(self, send: Callable[[int, int], None]) -> None:
        """Send a TIMESYNC request through ``send(tc1, ts1)`` (tc1=0, ts1=companion ns) and remember it."""
        ts1 = int(self.clock() * 1e9)
        self._pending[ts1] = ts1 / 1e9
        while len(self._pending) > 16:
            self._pending.pop(next(iter(self._pending)))
        send(0, ts1)

    def on_timesync(self, tc1: int, ts1: int, arrival_s: float | None = None) -> None:
        """TIMESYNC: a reply to our request (tc1 = autopilot ns) sets the offset; requests are passive hints."""
        now = self.clock() if arrival_s is None else arrival_s
        if tc1 != 0 and ts1 in self._pending:
            sent = self._pending.pop(ts1)
            rtt = now - sent
            if rtt >= 0:
                self.rtt_s = rtt
                self._set("timesync", (sent + now) / 2.0 - tc1 / 1e9)
        elif tc1 == 0 and ts1 > 0:
            self._arrivals.append(now - ts1 / 1e9)
            self._set("arrival", min(self._arrivals))

    def to_companion(self, time_boot_s: float) -> float | None:
        """Autopilot boot seconds -> companion seconds (None until any estimate exists)."""
        return None if self.offset_s is None else time_boot_s + self.offset_s


@dataclass
class _Position:
    time_boot_s: float
    lat: float
    lon: float
    alt: float
    vn: float
    ve: float
    vd: float


class PoseReader:
    """Builds ``PoseSample``s from MAVLink telemetry into a ``PoseBuffer`` on the companion clock.

    One sample per ATTITUDE, with the latest GLOBAL_POSITION_INT extrapolated to that time by its
    velocity, and the gimbal status nearest in time (or the fixed ``mount`` when there is no gimbal or
    it went quiet for ``gimbal_timeout_s``). Messages from other systems than ``target_system`` are ignored.
    """

    def __init__(self, buffer: PoseBuffer | None = None, clock: ClockSync | None = None,
                 mount: FixedMount | None = None, uncertainty: PoseUncertainty | None = None,
                 target_system: int | None = None, max_position_age_s: float = 1.0,
                 gimbal_timeout_s: float = 1.0) -> None:
        self.buffer = buffer or PoseBuffer(max_gap_s=0.5, max_len=4000)
        self.clock = clock or ClockSync()
        self.mount = mount or FixedMount()
        self.uncertainty = uncertainty or PoseUncertainty(attitude_rad=math.radians(0.5), horizontal_m=0.5,
                                                          vertical_m=0.5)
        self.target_system = target_system
        self.max_position_age_s = max_position_age_s
        self.gimbal_timeout_s = gimbal_timeout_s
        self._position: _Position | None = None
        self._gimbal: deque[tuple[float, GimbalAttitude]] = deque(maxlen=32)
        self._cond = threading.Condition()
        self.samples = 0
        self.rejected = 0
        #: home (take-off ground) altitude AMSL from GLOBAL_POSITION_INT alt - relative_alt
        self.home_alt_m: float | None = None

    # -- wiring -----------------------------------------------------------------------------------
    def attach(self, link) -> "PoseReader":
        """Listen to every message of a ``flight.link.MavLink`` (companion role: read-only)."""
        link.add_listener(self.handle)
        return self

    def handle(self, msg) -> None:
        """Consume one pymavlink message; bad values are counted and logged, never raised."""
        kind = msg.get_type()
        if self.target_system is not None and msg.get_srcSystem() != self.target_system:
            return
        try:
            if kind == "ATTITUDE":
                self._on_attitude(msg)
            elif kind == "GLOBAL_POSITION_INT":
                self._on_position(msg)
            elif kind == "GIMBAL_DEVICE_ATTITUDE_STATUS":
                boot = msg.time_boot_ms / 1000.0
                self._gimbal.append((boot, GimbalAttitude.from_mavlink(tuple(msg.q), int(msg.flags))))
            elif kind == "TIMESYNC":
                self.clock.on_timesync(int(msg.tc1), int(msg.ts1))
            elif kind == "SYSTEM_TIME":
                self.clock.on_system_time(int(msg.time_unix_usec), int(msg.time_boot_ms))
        except (ValueError, TypeError, AttributeError) as exc:
            self.rejected += 1
            log.warning("pose reader: ignoring %s: %s", kind, exc)

    def _on_position(self, msg) -> None:
        self.clock.observe_boot_ms(int(msg.time_boot_ms))
        if msg.lat == 0 and msg.lon == 0:
            raise ValueError("GLOBAL_POSITION_INT without a position fix (lat = lon = 0)")
        self.home_alt_m = msg.alt / 1000.0 - msg.relative_alt / 1000.0
        self._position = _Position(msg.time_boot_ms / 1000.0, msg.lat / 1e7, msg.lon / 1e7, msg.alt / 1000.0,
                                   msg.vx / 100.0, msg.vy / 100.0, msg.vz / 100.0)

    def _on_attitude(self, msg) -> None:
        self.clock.observe_boot_ms(int(msg.time_boot_ms))
        pos = self._position
        t_boot = msg.time_boot_ms / 1000.0
        if pos is None or abs(t_boot - pos.time_boot_s) > self.max_position_age_s:
            return
        dt = t_boot - pos.time_boot_s
        lat = pos.lat + math.degrees(pos.vn * dt / _EARTH_R)
        lon = pos.lon + math.degrees(pos.ve * dt / (_EARTH_R * max(math.cos(math.radians(pos.lat)), 1e-6)))
        gimbal = self.mount
        if self._gimbal:  # the gimbal status nearest in time (gimbal and attitude streams are not in step)
            t_g, status = min(self._gimbal, key=lambda item: abs(item[0] - t_boot))
            if abs(t_boot - t_g) <= self.gimbal_timeout_s:
                gimbal = status
        t = self.clock.to_companion(t_boot)
        sample = PoseSample(t, lat, lon, pos.alt - pos.vd * dt, float(msg.roll), float(msg.pitch), float(msg.yaw),
                            gimbal, self.uncertainty)
        with self._cond:
            self.buffer.add(sample)
            self.samples += 1
            self._cond.notify_all()

    # -- queries ----------------------------------------------------------------------------------
    def pose_at(self, t: float, wait_s: float = 0.0) -> PoseSample:
        """The pose at companion time t; waits up to ``wait_s`` for telemetry newer than t to arrive.

        Raises ``geo.interpolation.PoseInterpolationError`` when t is not covered.
        """
        deadline = time.monotonic() + wait_s
        with self._cond:
            while True:
                try:
                    return self.buffer.at(t)
                except PoseOutOfRange:
                    span = self.buffer.span
                    remaining = deadline - time.monotonic()
                    if remaining <= 0 or (span is not None and t < span[0]):
                        raise
                    self._cond.wait(remaining)

    def add(self, sample: PoseSample) -> None:
        """Add a pose sample directly (a fixed camera, a log replay, the simulator's truth)."""
        with self._cond:
            self.buffer.add(sample)
            self.samples += 1
            self._cond.notify_all()


__all__ = ["ClockSync", "PoseReader", "PoseInterpolationError"]
