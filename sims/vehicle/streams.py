"""Telemetry streams per link, off until a client asks (REQUEST_DATA_STREAM, SET_MESSAGE_INTERVAL), as ArduPilot does."""
from __future__ import annotations

from pymavlink.dialects.v20 import ardupilotmega as mavlink

M = mavlink
#: ArduPilot's stream groups (SRn_* parameters) restricted to the messages this vehicle produces.
STREAM_GROUPS: dict[int, tuple[int, ...]] = {
    M.MAV_DATA_STREAM_RAW_SENSORS: (),
    M.MAV_DATA_STREAM_EXTENDED_STATUS: (M.MAVLINK_MSG_ID_SYS_STATUS, M.MAVLINK_MSG_ID_MISSION_CURRENT,
                                        M.MAVLINK_MSG_ID_GPS_RAW_INT, M.MAVLINK_MSG_ID_FENCE_STATUS,
                                        M.MAVLINK_MSG_ID_EXTENDED_SYS_STATE),
    M.MAV_DATA_STREAM_RC_CHANNELS: (),
    M.MAV_DATA_STREAM_RAW_CONTROLLER: (),
    M.MAV_DATA_STREAM_POSITION: (M.MAVLINK_MSG_ID_GLOBAL_POSITION_INT, M.MAVLINK_MSG_ID_LOCAL_POSITION_NED),
    M.MAV_DATA_STREAM_EXTRA1: (M.MAVLINK_MSG_ID_ATTITUDE,),
    M.MAV_DATA_STREAM_EXTRA2: (M.MAVLINK_MSG_ID_VFR_HUD,),
    M.MAV_DATA_STREAM_EXTRA3: (M.MAVLINK_MSG_ID_SYSTEM_TIME, M.MAVLINK_MSG_ID_BATTERY_STATUS,
                               M.MAVLINK_MSG_ID_GIMBAL_DEVICE_ATTITUDE_STATUS, M.MAVLINK_MSG_ID_EKF_STATUS_REPORT),
}

#: Rate (Hz) used when SET_MESSAGE_INTERVAL asks for the default (interval 0).
DEFAULT_RATE_HZ: dict[int, float] = {
    M.MAVLINK_MSG_ID_SYS_STATUS: 2.0, M.MAVLINK_MSG_ID_MISSION_CURRENT: 2.0, M.MAVLINK_MSG_ID_GPS_RAW_INT: 2.0,
    M.MAVLINK_MSG_ID_FENCE_STATUS: 1.0, M.MAVLINK_MSG_ID_EXTENDED_SYS_STATE: 2.0,
    M.MAVLINK_MSG_ID_GLOBAL_POSITION_INT: 4.0, M.MAVLINK_MSG_ID_LOCAL_POSITION_NED: 4.0,
    M.MAVLINK_MSG_ID_ATTITUDE: 10.0, M.MAVLINK_MSG_ID_VFR_HUD: 4.0, M.MAVLINK_MSG_ID_SYSTEM_TIME: 1.0,
    M.MAVLINK_MSG_ID_BATTERY_STATUS: 1.0, M.MAVLINK_MSG_ID_GIMBAL_DEVICE_ATTITUDE_STATUS: 10.0,
    M.MAVLINK_MSG_ID_HOME_POSITION: 0.5, M.MAVLINK_MSG_ID_HEARTBEAT: 1.0, M.MAVLINK_MSG_ID_EKF_STATUS_REPORT: 2.0,
}

#: REQUEST_DATA_STREAM rates a typical GCS asks for (MAVProxy/QGC defaults), used by the benchmark.
STANDARD_STREAM_RATES_HZ: dict[int, float] = {
    M.MAV_DATA_STREAM_EXTENDED_STATUS: 2.0, M.MAV_DATA_STREAM_POSITION: 4.0, M.MAV_DATA_STREAM_EXTRA1: 10.0,
    M.MAV_DATA_STREAM_EXTRA2: 4.0, M.MAV_DATA_STREAM_EXTRA3: 2.0,
}

#: What PX4's mavlink module streams on a new link without being asked (its "normal" mode, trimmed).
PX4_DEFAULT_RATES_HZ: dict[int, float] = {
    M.MAVLINK_MSG_ID_SYS_STATUS: 1.0, M.MAVLINK_MSG_ID_EXTENDED_SYS_STATE: 1.0, M.MAVLINK_MSG_ID_GPS_RAW_INT: 1.0,
    M.MAVLINK_MSG_ID_GLOBAL_POSITION_INT: 5.0, M.MAVLINK_MSG_ID_LOCAL_POSITION_NED: 5.0,
    M.MAVLINK_MSG_ID_ATTITUDE: 15.0, M.MAVLINK_MSG_ID_VFR_HUD: 4.0, M.MAVLINK_MSG_ID_BATTERY_STATUS: 0.5,
    M.MAVLINK_MSG_ID_HOME_POSITION: 0.5, M.MAVLINK_MSG_ID_MISSION_CURRENT: 1.0, M.MAVLINK_MSG_ID_SYSTEM_TIME: 1.0,
    M.MAVLINK_MSG_ID_GIMBAL_DEVICE_ATTITUDE_STATUS: 5.0,
}

STREAMABLE = frozenset(DEFAULT_RATE_HZ) - {M.MAVLINK_MSG_ID_HEARTBEAT}
#: ArduPilot-only messages a PX4 vehicle never sends.
ARDUPILOT_ONLY = frozenset({M.MAVLINK_MSG_ID_EKF_STATUS_REPORT})


class StreamSet:
    """Message intervals of one link (sim seconds) and when each is next due."""

    def __init__(self, exclude: frozenset[int] = frozenset()) -> None:
        self.interval: dict[int, float] = {}
        self.next_due: dict[int, float] = {}
        self.exclude = exclude

    def set_rate(self, msg_id: int, rate_hz: float, now: float) -> None:
        """Stream msg_id at rate_hz (<= 0 stops it)."""
        if rate_hz <= 0:
            self.interval.pop(msg_id, None)
            self.next_due.pop(msg_id, None)
            return
        self.interval[msg_id] = 1.0 / rate_hz
        self.next_due[msg_id] = now

    def request_data_stream(self, stream_id: int, rate_hz: float, start: bool, now: float) -> None:
        """REQUEST_DATA_STREAM: set a whole group (MAV_DATA_STREAM_ALL = every group)."""
        groups = STREAM_GROUPS.values() if stream_id == M.MAV_DATA_STREAM_ALL else [STREAM_GROUPS.get(stream_id, ())]
        for group in groups:
            for msg_id in group:
                if msg_id not in self.exclude:
                    self.set_rate(msg_id, rate_hz if start else 0.0, now)

    def set_interval_us(self, msg_id: int, interval_us: float, now: float) -> bool:
        """SET_MESSAGE_INTERVAL semantics: -1 stop, 0 default rate, else the interval. False if not streamable."""
        if msg_id not in STREAMABLE or msg_id in self.exclude:
            return False
        if interval_us < 0:
            self.set_rate(msg_id, 0.0, now)
        elif interval_us == 0:
            self.set_rate(msg_id, DEFAULT_RATE_HZ[msg_id], now)
        else:
            self.set_rate(msg_id, 1e6 / interval_us, now)
        return True

    def interval_us(self, msg_id: int) -> int:
        """MESSAGE_INTERVAL answer: interval in us, -1 when not streaming."""
        iv = self.interval.get(msg_id)
        return -1 if iv is None else int(iv * 1e6)

    def due(self, now: float) -> list[int]:
        """Message ids due now; their next time is advanced without drifting."""
        out = []
        for msg_id, t in self.next_due.items():
            if now + 1e-9 >= t:
                out.append(msg_id)
                iv = self.interval[msg_id]
                t += iv
                if t < now:
                    t = now + iv
                self.next_due[msg_id] = t
        return out
