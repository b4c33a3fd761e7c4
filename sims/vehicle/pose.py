"""The TRUE pose of the simulated vehicle and its gimbal (no sensor noise), for the simulated camera."""
from __future__ import annotations

from dataclasses import dataclass

from geo.pose import GimbalAttitude, PoseSample


@dataclass(frozen=True)
class TruePose:
    """Ground truth at sim time `time_s`: WGS84 + AMSL, body attitude (rad, NED, ZYX) and gimbal.

    Gimbal angles: roll/pitch relative to the horizon (rad, pitch -pi/2 = nadir), yaw relative to the
    vehicle heading (always 0 for this 2-axis gimbal); `gimbal_q` (w, x, y, z) is the same rotation as
    GIMBAL_DEVICE_ATTITUDE_STATUS reports it (flag YAW_IN_VEHICLE_FRAME); `gimbal_yaw_earth` adds the heading.
    """

    time_s: float
    lat: float
    lon: float
    alt_amsl_m: float
    roll: float
    pitch: float
    yaw: float
    vn_mps: float
    ve_mps: float
    vd_mps: float
    gimbal_roll: float
    gimbal_pitch: float
    gimbal_yaw: float
    gimbal_yaw_earth: float
    gimbal_q: tuple[float, float, float, float]
    armed: bool
    mode: str
    #: Unix time of `time_s` on the sim clock (what SYSTEM_TIME.time_unix_usec reports).
    unix_time_s: float = 0.0

    def to_pose_sample(self) -> PoseSample:
        """The same truth as geo's PoseSample (unix time, gimbal as a vehicle-frame GimbalAttitude, zero sigma)."""
        return PoseSample(self.unix_time_s, self.lat, self.lon, self.alt_amsl_m, self.roll, self.pitch, self.yaw,
                          GimbalAttitude(self.gimbal_q, "vehicle"))
