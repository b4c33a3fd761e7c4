"""Builds each telemetry message from the vehicle's estimated state, in the units the MAVLink spec gives."""
from __future__ import annotations

import math
from typing import TYPE_CHECKING, Callable

from pymavlink.dialects.v20 import ardupilotmega as mavlink

from .modes import Flavour, Mode, encode_custom_mode

if TYPE_CHECKING:
    from .vehicle import SimVehicle

M = mavlink
UINT16_MAX = 65535
_SENSORS = (M.MAV_SYS_STATUS_SENSOR_3D_GYRO | M.MAV_SYS_STATUS_SENSOR_3D_ACCEL | M.MAV_SYS_STATUS_SENSOR_3D_MAG
            | M.MAV_SYS_STATUS_SENSOR_ABSOLUTE_PRESSURE | M.MAV_SYS_STATUS_SENSOR_GPS
            | M.MAV_SYS_STATUS_SENSOR_ANGULAR_RATE_CONTROL | M.MAV_SYS_STATUS_SENSOR_ATTITUDE_STABILIZATION
            | M.MAV_SYS_STATUS_SENSOR_YAW_POSITION | M.MAV_SYS_STATUS_SENSOR_Z_ALTITUDE_CONTROL
            | M.MAV_SYS_STATUS_SENSOR_XY_POSITION_CONTROL | M.MAV_SYS_STATUS_SENSOR_MOTOR_OUTPUTS
            | M.MAV_SYS_STATUS_SENSOR_BATTERY | M.MAV_SYS_STATUS_GEOFENCE | M.MAV_SYS_STATUS_AHRS
            | M.MAV_SYS_STATUS_PREARM_CHECK)


def _ms(v: "SimVehicle") -> int:
    """time_boot_ms of the sim clock."""
    return int(v.clock.now * 1000) & 0xFFFFFFFF


def heartbeat(v: "SimVehicle"):
    """HEARTBEAT: quadrotor, flavour's autopilot id and custom mode, armed flag, system status."""
    ap = v.autopilot
    base = M.MAV_MODE_FLAG_CUSTOM_MODE_ENABLED | M.MAV_MODE_FLAG_STABILIZE_ENABLED
    if ap.mode in (Mode.AUTO, Mode.GUIDED, Mode.RTL, Mode.LAND, Mode.LOITER, Mode.BRAKE):
        base |= M.MAV_MODE_FLAG_GUIDED_ENABLED
    if ap.mode is Mode.AUTO:
        base |= M.MAV_MODE_FLAG_AUTO_ENABLED
    if ap.armed:
        base |= M.MAV_MODE_FLAG_SAFETY_ARMED
    if v.clock.now < 1.0:
        status = M.MAV_STATE_BOOT
    elif v.failsafe.active and ap.armed:
        status = M.MAV_STATE_CRITICAL
    else:
        status = M.MAV_STATE_ACTIVE if ap.armed else M.MAV_STATE_STANDBY
    autopilot = M.MAV_AUTOPILOT_ARDUPILOTMEGA if v.flavour is Flavour.ARDUPILOT else M.MAV_AUTOPILOT_PX4
    custom = encode_custom_mode(v.flavour, ap.mode, taking_off=ap.taking_off)
    return M.MAVLink_heartbeat_message(M.MAV_TYPE_QUADROTOR, autopilot, base, custom, status, 3)


def sys_status(v: "SimVehicle"):
    """SYS_STATUS: sensor bits, load, battery mV / cA / %, link drop rate."""
    ap, b = v.autopilot, v.autopilot.battery
    health = _SENSORS
    if not ap.gps.has_3d_fix:
        health &= ~(M.MAV_SYS_STATUS_SENSOR_GPS | M.MAV_SYS_STATUS_SENSOR_XY_POSITION_CONTROL)
    if v.failsafe.fence_status.breach_status:
        health &= ~M.MAV_SYS_STATUS_GEOFENCE
    if not ap.gps.has_3d_fix:
        health &= ~M.MAV_SYS_STATUS_PREARM_CHECK
    enabled = _SENSORS if ap.armed else _SENSORS & ~M.MAV_SYS_STATUS_SENSOR_MOTOR_OUTPUTS
    return M.MAVLink_sys_status_message(_SENSORS, enabled, health, 150, int(b.voltage * 1000), int(b.current_a * 100),
                                        int(round(b.soc * 100)), 0, 0, 0, 0, 0, 0)


def battery_status(v: "SimVehicle"):
    """BATTERY_STATUS: pack voltage in voltages[0] (mV, others UINT16_MAX), cA, mAh, hJ, %."""
    b = v.autopilot.battery
    volts = [int(b.voltage * 1000)] + [UINT16_MAX] * 9
    level = M.MAV_BATTERY_CHARGE_STATE_OK
    if v.failsafe.batt_level == 2:
        level = M.MAV_BATTERY_CHARGE_STATE_CRITICAL
    elif v.failsafe.batt_level == 1:
        level = M.MAV_BATTERY_CHARGE_STATE_LOW
    return M.MAVLink_battery_status_message(
        0, M.MAV_BATTERY_FUNCTION_ALL, M.MAV_BATTERY_TYPE_LIPO, 32767, volts, int(b.current_a * 100),
        int(b.consumed_mah), int(b.energy_hj), int(round(b.soc * 100)), b.time_remaining_s(), level, [0, 0, 0, 0], 0, 0)


def _global(v: "SimVehicle"):
    """Estimated (lat, lon, alt AMSL, alt above home)."""
    return v.estimated_global()


def gps_raw_int(v: "SimVehicle"):
    """GPS_RAW_INT: fix type, degE7, mm AMSL, HDOP*100, cm/s, cdeg, satellites, accuracies in mm."""
    ap, g, s = v.autopilot, v.autopilot.gps, v.autopilot.body.state
    err = g.err
    if g.fix_type >= 2:
        lat, lon, alt = ap.enu_to_global(s.e + err[0], s.n + err[1], s.u + err[2])
        lat_i, lon_i, alt_mm = int(lat * 1e7), int(lon * 1e7), int(alt * 1000)
    else:
        lat_i = lon_i = alt_mm = 0
    gs = math.hypot(s.ve, s.vn)
    cog = int(math.degrees(math.atan2(s.ve, s.vn)) % 360 * 100) if gs > 0.2 else UINT16_MAX
    eph = int(g.hdop * 100) if g.fix_type >= 2 else UINT16_MAX
    return M.MAVLink_gps_raw_int_message(
        int(v.clock.now * 1e6), g.fix_type, lat_i, lon_i, alt_mm, eph, int(eph * 1.4) if eph != UINT16_MAX else eph,
        int(gs * 100), cog, g.satellites, alt_mm, int(g.sigma_h_m * 1000 * 1.5), int(g.sigma_v_m * 1000 * 1.5),
        300, 0, 0)


def global_position_int(v: "SimVehicle"):
    """GLOBAL_POSITION_INT: degE7, alt mm AMSL, relative_alt mm, NED cm/s, heading cdeg."""
    lat, lon, alt, rel = _global(v)
    s = v.autopilot.body.state
    hdg = int(math.degrees(s.yaw) % 360 * 100)
    return M.MAVLink_global_position_int_message(_ms(v), int(lat * 1e7), int(lon * 1e7), int(alt * 1000),
                                                 int(rel * 1000), int(s.vn * 100), int(s.ve * 100), int(-s.vu * 100), hdg)


def local_position_ned(v: "SimVehicle"):
    """LOCAL_POSITION_NED: metres and m/s north-east-down from the EKF origin (the start position)."""
    e, n, u = v.autopilot.estimate_enu()
    s = v.autopilot.body.state
    return M.MAVLink_local_position_ned_message(_ms(v), n, e, -u, s.vn, s.ve, -s.vu)


def attitude(v: "SimVehicle"):
    """ATTITUDE: roll, pitch, yaw (rad) and their rates (rad/s)."""
    s = v.autopilot.body.state
    return M.MAVLink_attitude_message(_ms(v), s.roll, s.pitch, s.yaw, s.roll_rate, s.pitch_rate, s.yaw_rate)


def vfr_hud(v: "SimVehicle"):
    """VFR_HUD: airspeed and groundspeed m/s, heading deg, throttle %, alt m AMSL, climb m/s."""
    ap, s = v.autopilot, v.autopilot.body.state
    _, _, alt, _ = _global(v)
    w = ap.body.wind_est
    airspeed = math.hypot(s.ve - w[0], s.vn - w[1])
    throttle = int(min(100.0, 40.0 * s.thrust_ratio)) if ap.armed else 0
    return M.MAVLink_vfr_hud_message(airspeed, math.hypot(s.ve, s.vn), int(math.degrees(s.yaw) % 360), throttle, alt, s.vu)


def home_position(v: "SimVehicle"):
    """HOME_POSITION: degE7, mm AMSL, local x/y/z (m, NED) of home; None before home is set."""
    h = v.autopilot.home
    if h is None:
        return None
    return M.MAVLink_home_position_message(int(h.lat * 1e7), int(h.lon * 1e7), int(h.alt * 1000), h.n, h.e, -h.u,
                                           [1.0, 0.0, 0.0, 0.0], 0.0, 0.0, 0.0, int(v.clock.unix_time() * 1e6))


def extended_sys_state(v: "SimVehicle"):
    """EXTENDED_SYS_STATE: multicopter, landed state (on ground / takeoff / in air / landing)."""
    ap = v.autopilot
    if ap.landed:
        landed = M.MAV_LANDED_STATE_ON_GROUND
    elif ap.taking_off:
        landed = M.MAV_LANDED_STATE_TAKEOFF
    elif ap.landing:
        landed = M.MAV_LANDED_STATE_LANDING
    else:
        landed = M.MAV_LANDED_STATE_IN_AIR
    return M.MAVLink_extended_sys_state_message(M.MAV_VTOL_STATE_MC, landed)


def mission_current(v: "SimVehicle"):
    """MISSION_CURRENT: current seq, total items (home excluded for ArduPilot), mission state."""
    ex = v.autopilot.executor
    total = max(len(ex.items) - ex.first_index, 0)
    if not ex.has_mission:
        state = M.MISSION_STATE_NO_MISSION
    elif ex.complete:
        state = M.MISSION_STATE_COMPLETE
    elif ex.running:
        state = M.MISSION_STATE_ACTIVE
    elif ex.current > ex.first_index:
        state = M.MISSION_STATE_PAUSED
    else:
        state = M.MISSION_STATE_NOT_STARTED
    return M.MAVLink_mission_current_message(ex.current, total, state, 1 if v.autopilot.mode is Mode.AUTO else 0)


def system_time(v: "SimVehicle"):
    """SYSTEM_TIME: Unix time in us (sim clock) and ms since boot."""
    return M.MAVLink_system_time_message(int(v.clock.unix_time() * 1e6), _ms(v))


def fence_status(v: "SimVehicle"):
    """FENCE_STATUS: breach flag, count, type, time of the last breach (ms since boot)."""
    fs = v.failsafe.fence_status
    mitigation = M.FENCE_MITIGATE_NONE if not fs.breach_status else M.FENCE_MITIGATE_UNKNOWN
    return M.MAVLink_fence_status_message(fs.breach_status, fs.breach_count, fs.breach_type, fs.breach_time_ms,
                                          mitigation)


def gimbal_device_attitude_status(v: "SimVehicle"):
    """GIMBAL_DEVICE_ATTITUDE_STATUS: q (roll/pitch to horizon, yaw to vehicle), rad/s, YAW_IN_VEHICLE_FRAME."""
    g, s = v.autopilot.gimbal, v.autopilot.body.state
    flags = (M.GIMBAL_DEVICE_FLAGS_ROLL_LOCK | M.GIMBAL_DEVICE_FLAGS_PITCH_LOCK
             | M.GIMBAL_DEVICE_FLAGS_YAW_IN_VEHICLE_FRAME)
    return M.MAVLink_gimbal_device_attitude_status_message(
        0, 0, _ms(v), flags, list(g.quaternion()), 0.0, math.radians(g.pitch_rate_dps), 0.0, 0, s.yaw,
        float("nan"), 1)


def ekf_status_report(v: "SimVehicle"):
    """EKF_STATUS_REPORT (ArduPilot): solution flags and normalised variances (1.0 = at the failsafe limit)."""
    g = v.autopilot.gps
    flags = M.EKF_ATTITUDE | M.EKF_VELOCITY_VERT | M.EKF_POS_VERT_ABS | M.EKF_POS_HORIZ_REL | M.EKF_PRED_POS_HORIZ_REL
    if g.has_3d_fix:
        flags |= M.EKF_VELOCITY_HORIZ | M.EKF_POS_HORIZ_ABS | M.EKF_PRED_POS_HORIZ_ABS
        pos_var = 0.05 + 0.05 * g.hdop
    else:
        flags |= M.EKF_CONST_POS_MODE
        pos_var = min(1.5, 0.3 + 0.1 * math.sqrt(sum(d * d for d in v.autopilot.est_drift)))
    if v.clock.now < 1.0:
        flags = M.EKF_UNINITIALIZED
    return M.MAVLink_ekf_status_report_message(flags, 0.05 if g.has_3d_fix else 0.8, pos_var, 0.1, 0.03, 0.0, 0.0)


def autopilot_version(v: "SimVehicle"):
    """AUTOPILOT_VERSION: capabilities (mission int, command int, fence, rally, MAVLink 2) and a version."""
    caps = (M.MAV_PROTOCOL_CAPABILITY_MISSION_FLOAT | M.MAV_PROTOCOL_CAPABILITY_PARAM_FLOAT
            | M.MAV_PROTOCOL_CAPABILITY_MISSION_INT | M.MAV_PROTOCOL_CAPABILITY_COMMAND_INT
            | M.MAV_PROTOCOL_CAPABILITY_SET_POSITION_TARGET_GLOBAL_INT | M.MAV_PROTOCOL_CAPABILITY_MAVLINK2
            | M.MAV_PROTOCOL_CAPABILITY_MISSION_FENCE | M.MAV_PROTOCOL_CAPABILITY_MISSION_RALLY)
    if v.flavour is Flavour.ARDUPILOT:
        caps |= M.MAV_PROTOCOL_CAPABILITY_PARAM_ENCODE_C_CAST
        version = (4 << 24) | (5 << 16) | (7 << 8) | 255  # 4.5.7 official
    else:
        caps |= M.MAV_PROTOCOL_CAPABILITY_PARAM_ENCODE_BYTEWISE
        version = (1 << 24) | (15 << 16) | (0 << 8) | 255
    uid = 0xAE00 + v.sysid
    return M.MAVLink_autopilot_version_message(caps, version, 0, 0, 0, [0] * 8, [0] * 8, [0] * 8, 0x1209, 0x5741, uid,
                                               [0] * 18)


BUILDERS: dict[int, Callable] = {
    M.MAVLINK_MSG_ID_HEARTBEAT: heartbeat,
    M.MAVLINK_MSG_ID_SYS_STATUS: sys_status,
    M.MAVLINK_MSG_ID_BATTERY_STATUS: battery_status,
    M.MAVLINK_MSG_ID_GPS_RAW_INT: gps_raw_int,
    M.MAVLINK_MSG_ID_GLOBAL_POSITION_INT: global_position_int,
    M.MAVLINK_MSG_ID_LOCAL_POSITION_NED: local_position_ned,
    M.MAVLINK_MSG_ID_ATTITUDE: attitude,
    M.MAVLINK_MSG_ID_VFR_HUD: vfr_hud,
    M.MAVLINK_MSG_ID_HOME_POSITION: home_position,
    M.MAVLINK_MSG_ID_EXTENDED_SYS_STATE: extended_sys_state,
    M.MAVLINK_MSG_ID_MISSION_CURRENT: mission_current,
    M.MAVLINK_MSG_ID_SYSTEM_TIME: system_time,
    M.MAVLINK_MSG_ID_FENCE_STATUS: fence_status,
    M.MAVLINK_MSG_ID_GIMBAL_DEVICE_ATTITUDE_STATUS: gimbal_device_attitude_status,
    M.MAVLINK_MSG_ID_AUTOPILOT_VERSION: autopilot_version,
    M.MAVLINK_MSG_ID_EKF_STATUS_REPORT: ekf_status_report,
}
