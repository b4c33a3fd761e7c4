"""Commands that wait for COMMAND_ACK: retries, MAV_RESULT as typed exceptions, vehicle-level helpers.

`Commander.command_long/command_int` are the only way flight/ changes a vehicle's state: nothing is
fire-and-forget. `VehicleCommands` adds set mode (per flavour), arm, takeoff, reposition, ROI, gimbal...
"""
from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass

from flight.link import MavLink
from flight.mav import mavlink2
from flight.modes import Flavour, Intent, canonical, intent_mode, set_mode_params

log = logging.getLogger(__name__)

MAV_RESULT_NAMES = {
    0: "ACCEPTED", 1: "TEMPORARILY_REJECTED", 2: "DENIED", 3: "UNSUPPORTED", 4: "FAILED",
    5: "IN_PROGRESS", 6: "CANCELLED", 7: "COMMAND_LONG_ONLY", 8: "COMMAND_INT_ONLY", 9: "UNSUPPORTED_MAV_FRAME",
}


def command_name(command: int) -> str:
    """'MAV_CMD_NAV_TAKEOFF' for 22 (the number itself when unknown)."""
    entry = mavlink2.enums["MAV_CMD"].get(command)
    return entry.name if entry is not None else f"MAV_CMD {command}"


class CommandError(RuntimeError):
    """A command the vehicle did not carry out; `result` is the MAV_RESULT (None on timeout)."""

    def __init__(self, command: int, result: int | None, detail: str = "") -> None:
        self.command = command
        self.result = result
        self.result_name = MAV_RESULT_NAMES.get(result, str(result)) if result is not None else "NO_ACK"
        self.attempts = 1  # > 1: the refusal may answer a resend of a command that already succeeded
        msg = f"{command_name(command)}: {self.result_name}"
        if detail:
            msg += f" ({detail})"
        super().__init__(msg)


class CommandTemporarilyRejected(CommandError):
    """MAV_RESULT_TEMPORARILY_REJECTED: valid now-impossible command (e.g. arming before EKF is ready)."""


class CommandDenied(CommandError):
    """MAV_RESULT_DENIED: the vehicle refuses it in its current state (pre-arm checks, mode rules)."""


class CommandUnsupported(CommandError):
    """MAV_RESULT_UNSUPPORTED (or *_ONLY / UNSUPPORTED_MAV_FRAME): the firmware does not know it this way."""


class CommandFailed(CommandError):
    """MAV_RESULT_FAILED: accepted but failed while executing."""


class CommandCancelled(CommandError):
    """MAV_RESULT_CANCELLED: a long-running command was cancelled."""


class CommandTimeout(CommandError, TimeoutError):
    """No COMMAND_ACK after all retries."""


_RESULT_EXC = {1: CommandTemporarilyRejected, 2: CommandDenied, 3: CommandUnsupported, 4: CommandFailed,
               6: CommandCancelled, 7: CommandUnsupported, 8: CommandUnsupported, 9: CommandUnsupported}


def raise_for_result(command: int, result: int, detail: str = "") -> None:
    """Raise the typed CommandError for a non-accepted MAV_RESULT."""
    if result == 0:
        return
    raise _RESULT_EXC.get(result, CommandError)(command, result, detail)


@dataclass(frozen=True)
class Ack:
    """A COMMAND_ACK received for a command."""

    command: int
    result: int
    progress: int
    result_param2: int
    attempts: int


class Commander:
    """Sends COMMAND_LONG / COMMAND_INT to the link's target and waits for the matching COMMAND_ACK."""

    def __init__(self, link: MavLink, timeout_s: float = 0.5, retries: int = 8, in_progress_timeout_s: float = 30.0) -> None:
        self.link = link
        self.timeout_s = timeout_s
        self.retries = retries
        self.in_progress_timeout_s = in_progress_timeout_s
        self.min_timeout_s = 0.15
        self._srtt: float | None = None  # smoothed ack round-trip time of first attempts

    def ack_timeout(self) -> float:
        """Resend timeout: 4x the smoothed ack round trip (TCP-style), within [min_timeout_s, timeout_s]."""
        if self._srtt is None:
            return self.timeout_s
        return max(self.min_timeout_s, min(self.timeout_s, 4.0 * self._srtt + 0.05))

    def _sample_rtt(self, rtt: float) -> None:
        self._srtt = rtt if self._srtt is None else 0.8 * self._srtt + 0.2 * rtt

    def command_long(self, command: int, p1: float = 0, p2: float = 0, p3: float = 0, p4: float = 0,
                     p5: float = 0, p6: float = 0, p7: float = 0, *, timeout_s: float | None = None,
                     retries: int | None = None, check: bool = True) -> Ack:
        """COMMAND_LONG with retries (confirmation incremented on each resend); raise on a non-ACCEPTED result."""
        def build(attempt: int):
            return mavlink2.MAVLink_command_long_message(
                self._target_sys(), self.link.target_component, int(command), min(attempt, 255),
                p1, p2, p3, p4, p5, p6, p7)
        return self._exchange(int(command), build, timeout_s, retries, check)

    def command_int(self, command: int, frame: int, p1: float = 0, p2: float = 0, p3: float = 0, p4: float = 0,
                    x: int = 0, y: int = 0, z: float = 0, *, timeout_s: float | None = None,
                    retries: int | None = None, check: bool = True) -> Ack:
        """COMMAND_INT (x/y degrees*1e7) with retries; raise on a non-ACCEPTED result."""
        def build(_attempt: int):
            return mavlink2.MAVLink_command_int_message(
                self._target_sys(), self.link.target_component, int(frame), int(command), 0, 0,
                p1, p2, p3, p4, int(x), int(y), float(z))
        return self._exchange(int(command), build, timeout_s, retries, check)

    def _target_sys(self) -> int:
        return self.link.target_system if self.link.target_system is not None else 1

    def _exchange(self, command: int, build, timeout_s, retries, check: bool) -> Ack:
        timeout = self.ack_timeout() if timeout_s is None else min(timeout_s, self.ack_timeout())
        tries = (self.retries if retries is None else retries) + 1
        waited = 0.0
        with self.link.subscribe({"COMMAND_ACK"}) as sub:
            for attempt in range(tries):
                sent_at = time.monotonic()
                self.link.send(build(attempt))
                deadline = sent_at + timeout
                while True:
                    msg = sub.get(deadline - time.monotonic())
                    if msg is None:
                        break
                    if msg.command != command:
                        continue
                    if getattr(msg, "target_system", 0) not in (0, self.link.config.sysid):
                        continue
                    if msg.result == 5:  # IN_PROGRESS: wait for the final ack
                        deadline = time.monotonic() + self.in_progress_timeout_s
                        continue
                    if attempt == 0:
                        self._sample_rtt(time.monotonic() - sent_at)
                    ack = Ack(command, msg.result, getattr(msg, "progress", 0), getattr(msg, "result_param2", 0), attempt + 1)
                    if check:
                        try:
                            raise_for_result(command, msg.result)
                        except CommandError as exc:
                            exc.attempts = attempt + 1
                            raise
                    return ack
                log.debug("%s: no ack (attempt %d/%d)", command_name(command), attempt + 1, tries)
                waited += timeout
                # Back off like TCP: a stalled peer (or a busy companion) gets longer each time, up to
                # the configured ceiling, so a short stall does not exhaust every retry at the RTT floor.
                timeout = min(timeout * 2.0, max(timeout, self.timeout_s if timeout_s is None else timeout_s))
        raise CommandTimeout(command, None, f"no COMMAND_ACK after {tries} attempts ({waited:.1f} s)")


class VehicleCommands:
    """Vehicle-level commands for ArduPilot and PX4 (mode names and parameters per flavour)."""

    def __init__(self, link: MavLink, commander: Commander | None = None) -> None:
        self.link = link
        self.cmd = commander or Commander(link)

    @property
    def flavour(self) -> Flavour:
        """The autopilot flavour from the vehicle's heartbeat."""
        return Flavour.from_autopilot(self.link.autopilot)

    def set_mode(self, name: str) -> Ack:
        """MAV_CMD_DO_SET_MODE with ArduPilot's custom mode number or PX4's main/sub mode."""
        p1, p2, p3 = set_mode_params(self.flavour, name)
        return self.cmd.command_long(mavlink2.MAV_CMD_DO_SET_MODE, p1, p2, p3)

    def set_intent(self, intent: Intent) -> str:
        """Switch to the mode that carries out `intent`; returns the mode name."""
        mode = intent_mode(self.flavour, intent)
        self.set_mode(mode)
        return canonical(self.flavour, mode)

    def arm(self, force: bool = False) -> Ack:
        """Arm (MAV_CMD_COMPONENT_ARM_DISARM 1); `force` bypasses pre-arm checks (21196)."""
        return self.cmd.command_long(mavlink2.MAV_CMD_COMPONENT_ARM_DISARM, 1, 21196 if force else 0)

    def disarm(self, force: bool = False) -> Ack:
        """Disarm; `force` disarms in flight (the motors stop: emergencies only)."""
        return self.cmd.command_long(mavlink2.MAV_CMD_COMPONENT_ARM_DISARM, 0, 21196 if force else 0)

    def takeoff(self, alt_rel_m: float, home_amsl_m: float | None = None) -> Ack:
        """MAV_CMD_NAV_TAKEOFF: ArduPilot takes param7 above home, PX4 takes param7 AMSL."""
        if self.flavour is Flavour.PX4:
            if home_amsl_m is None:
                raise ValueError("PX4 takeoff needs the home altitude (param7 is AMSL)")
            return self.cmd.command_long(mavlink2.MAV_CMD_NAV_TAKEOFF, -1, 0, 0, math.nan, math.nan, math.nan,
                                         home_amsl_m + alt_rel_m)
        return self.cmd.command_long(mavlink2.MAV_CMD_NAV_TAKEOFF, 0, 0, 0, 0, 0, 0, alt_rel_m)

    def rtl(self) -> str:
        """Return to launch by mode (RTL / AUTO.RTL)."""
        return self.set_intent(Intent.RTL)

    def land(self) -> str:
        """Land where the vehicle is (LAND / AUTO.LAND)."""
        return self.set_intent(Intent.LAND)

    def hold(self) -> str:
        """Hold position (ArduPilot LOITER, PX4 HOLD)."""
        return self.set_intent(Intent.HOLD)

    def reposition(self, lat_deg: float, lon_deg: float, alt_amsl_m: float, speed_mps: float = -1.0) -> Ack:
        """MAV_CMD_DO_REPOSITION (COMMAND_INT, AMSL) with the change-mode flag: fly to and hold at a point."""
        return self.cmd.command_int(mavlink2.MAV_CMD_DO_REPOSITION, mavlink2.MAV_FRAME_GLOBAL,
                                    speed_mps, 1, 0, math.nan, round(lat_deg * 1e7), round(lon_deg * 1e7), alt_amsl_m)

    def change_speed(self, speed_mps: float, ground: bool = True) -> Ack:
        """MAV_CMD_DO_CHANGE_SPEED (ground or air speed)."""
        return self.cmd.command_long(mavlink2.MAV_CMD_DO_CHANGE_SPEED, 1 if ground else 0, speed_mps, -1)

    def set_roi(self, lat_deg: float, lon_deg: float, alt_amsl_m: float) -> Ack:
        """MAV_CMD_DO_SET_ROI_LOCATION (COMMAND_INT, AMSL): point vehicle/camera at a location."""
        return self.cmd.command_int(mavlink2.MAV_CMD_DO_SET_ROI_LOCATION, mavlink2.MAV_FRAME_GLOBAL,
                                    0, 0, 0, 0, round(lat_deg * 1e7), round(lon_deg * 1e7), alt_amsl_m)

    def clear_roi(self) -> Ack:
        """MAV_CMD_DO_SET_ROI_NONE."""
        return self.cmd.command_long(mavlink2.MAV_CMD_DO_SET_ROI_NONE)

    def gimbal_pitch_yaw(self, pitch_deg: float, yaw_deg: float) -> Ack:
        """Point the gimbal: DO_GIMBAL_MANAGER_PITCHYAW, falling back to the older DO_MOUNT_CONTROL."""
        try:
            return self.cmd.command_long(mavlink2.MAV_CMD_DO_GIMBAL_MANAGER_PITCHYAW, pitch_deg, yaw_deg,
                                         math.nan, math.nan, 0, 0, 0)
        except CommandUnsupported:
            return self.cmd.command_long(mavlink2.MAV_CMD_DO_MOUNT_CONTROL, pitch_deg, 0, yaw_deg, 0, 0, 0,
                                         mavlink2.MAV_MOUNT_MODE_MAVLINK_TARGETING)

    def mission_start(self, first: int = 0, last: int = 0) -> Ack:
        """MAV_CMD_MISSION_START (ArduPilot: switches to AUTO and starts from `first`)."""
        return self.cmd.command_long(mavlink2.MAV_CMD_MISSION_START, first, last)

    def set_current(self, seq: int, timeout_s: float = 1.0, retries: int = 5) -> int:
        """Make `seq` the current mission item: DO_SET_MISSION_CURRENT, else MISSION_SET_CURRENT until MISSION_CURRENT agrees."""
        try:
            self.cmd.command_long(mavlink2.MAV_CMD_DO_SET_MISSION_CURRENT, seq, 0)
            return seq
        except (CommandUnsupported, CommandTimeout):
            pass
        with self.link.subscribe({"MISSION_CURRENT"}) as sub:
            for _ in range(retries + 1):
                self.link.send(mavlink2.MAVLink_mission_set_current_message(
                    self.cmd._target_sys(), self.link.target_component, seq))
                deadline = time.monotonic() + timeout_s
                while (msg := sub.get(deadline - time.monotonic())) is not None:
                    if msg.seq == seq:
                        return seq
        raise CommandTimeout(mavlink2.MAV_CMD_DO_SET_MISSION_CURRENT, None,
                             f"MISSION_CURRENT never reported item {seq}")

    def set_message_interval(self, message_id: int, hz: float) -> Ack:
        """MAV_CMD_SET_MESSAGE_INTERVAL (interval in microseconds; hz <= 0 stops the stream)."""
        interval = -1 if hz <= 0 else 1e6 / hz
        return self.cmd.command_long(mavlink2.MAV_CMD_SET_MESSAGE_INTERVAL, message_id, interval,
                                     timeout_s=0.5, retries=2)
