"""Ask the vehicle for the telemetry flight/ needs (ArduPilot sends only HEARTBEAT until asked).

SET_MESSAGE_INTERVAL per message first; when the vehicle accepts none of them, the older
REQUEST_DATA_STREAM groups. HOME_POSITION is requested once with MAV_CMD_REQUEST_MESSAGE.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

from flight.commands import CommandError, VehicleCommands
from flight.mav import mavlink2

log = logging.getLogger(__name__)

#: message name -> rate in Hz that the vehicle state needs.
DEFAULT_RATES_HZ: dict[str, float] = {
    "GLOBAL_POSITION_INT": 10.0, "ATTITUDE": 10.0, "SYS_STATUS": 2.0, "GPS_RAW_INT": 2.0, "VFR_HUD": 4.0,
    "MISSION_CURRENT": 2.0, "EXTENDED_SYS_STATE": 2.0, "BATTERY_STATUS": 1.0, "HOME_POSITION": 0.5,
    "EKF_STATUS_REPORT": 2.0, "GIMBAL_DEVICE_ATTITUDE_STATUS": 5.0,
}

#: REQUEST_DATA_STREAM groups (MAV_DATA_STREAM) and rates covering DEFAULT_RATES_HZ on ArduPilot.
DATA_STREAM_GROUPS_HZ: dict[int, int] = {
    mavlink2.MAV_DATA_STREAM_EXTENDED_STATUS: 2, mavlink2.MAV_DATA_STREAM_POSITION: 10,
    mavlink2.MAV_DATA_STREAM_EXTRA1: 10, mavlink2.MAV_DATA_STREAM_EXTRA2: 4, mavlink2.MAV_DATA_STREAM_EXTRA3: 2,
}


@dataclass(frozen=True)
class StreamReport:
    """Which messages the vehicle accepted by interval, and whether the data-stream fallback was used."""

    accepted: tuple[str, ...]
    refused: tuple[str, ...]
    used_data_stream_fallback: bool


def request_streams(commands: VehicleCommands, rates_hz: dict[str, float] | None = None) -> StreamReport:
    """Request each message at its rate; fall back to REQUEST_DATA_STREAM if none is accepted."""
    rates = DEFAULT_RATES_HZ if rates_hz is None else rates_hz
    accepted, refused = [], []
    for name, hz in rates.items():
        msg_id = getattr(mavlink2, f"MAVLINK_MSG_ID_{name}", None)
        if msg_id is None:
            refused.append(name)
            continue
        try:
            commands.set_message_interval(msg_id, hz)
            accepted.append(name)
        except CommandError as exc:
            log.debug("SET_MESSAGE_INTERVAL %s refused: %s", name, exc)
            refused.append(name)
    fallback = not accepted
    if fallback:
        request_data_streams(commands)
    request_home(commands)
    return StreamReport(tuple(accepted), tuple(refused), fallback)


def request_data_streams(commands: VehicleCommands, groups_hz: dict[int, int] | None = None) -> None:
    """REQUEST_DATA_STREAM for each group (sent twice: the message has no acknowledgement)."""
    link = commands.link
    target = link.target_system or 1
    for _ in range(2):
        for stream_id, hz in (groups_hz or DATA_STREAM_GROUPS_HZ).items():
            link.send(mavlink2.MAVLink_request_data_stream_message(target, link.target_component, stream_id, hz, 1))


def request_home(commands: VehicleCommands) -> bool:
    """Ask for HOME_POSITION once (REQUEST_MESSAGE, else GET_HOME_POSITION); True when a command was accepted."""
    for cmd, params in ((mavlink2.MAV_CMD_REQUEST_MESSAGE, (mavlink2.MAVLINK_MSG_ID_HOME_POSITION,)),
                        (mavlink2.MAV_CMD_GET_HOME_POSITION, ())):
        try:
            commands.cmd.command_long(cmd, *params, timeout_s=0.5, retries=2)
            return True
        except CommandError:
            continue
    return False
