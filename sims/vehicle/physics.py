"""Point-mass multicopter: velocity tracking under acceleration, climb and yaw-rate limits; tilt follows acceleration."""
from __future__ import annotations

import math
from dataclasses import dataclass, field

GRAVITY = 9.80665


@dataclass
class Limits:
    """Performance limits the guidance and the airframe respect (SI units)."""

    accel_mps2: float = 2.5
    accel_z_mps2: float = 2.0
    climb_mps: float = 2.5
    descent_mps: float = 1.5
    max_tilt_rad: float = math.radians(30.0)
    yaw_rate_rps: float = math.radians(60.0)


@dataclass
class BodyState:
    """True kinematic state in the local ENU frame (metres, m/s) plus attitude (rad, NED convention)."""

    e: float = 0.0
    n: float = 0.0
    u: float = 0.0
    ve: float = 0.0
    vn: float = 0.0
    vu: float = 0.0
    roll: float = 0.0
    pitch: float = 0.0
    yaw: float = 0.0
    roll_rate: float = 0.0
    pitch_rate: float = 0.0
    yaw_rate: float = 0.0
    on_ground: bool = True
    thrust_ratio: float = 0.0  # thrust / weight, 0 with motors stopped


def wrap_pi(a: float) -> float:
    """Angle wrapped to (-pi, pi]."""
    return (a + math.pi) % (2.0 * math.pi) - math.pi


@dataclass
class Multicopter:
    """Integrates the body state given a desired ENU velocity and yaw; wind pushes it through drag."""

    limits: Limits = field(default_factory=Limits)
    ground_u: float = 0.0
    drag_per_s: float = 0.35      # horizontal drag acceleration per m/s of airspeed
    vel_tau_s: float = 0.8         # velocity loop time constant
    tilt_tau_s: float = 0.15       # attitude loop time constant
    wind_est_tau_s: float = 3.0    # how fast the controller learns a steady wind
    state: BodyState = field(default_factory=BodyState)
    wind_est: list[float] = field(default_factory=lambda: [0.0, 0.0])

    def step(self, dt: float, v_des: tuple[float, float, float], yaw_des: float | None,
             wind: tuple[float, float, float], motors_on: bool) -> None:
        """One physics step of dt seconds."""
        s, lim = self.state, self.limits
        if not motors_on or (s.on_ground and v_des[2] <= 0.05):
            self._rest(dt, motors_on)
            return
        s.on_ground = False
        # Horizontal: accel command toward the desired velocity, limited by accel and tilt.
        ae = (v_des[0] - s.ve) / self.vel_tau_s
        an = (v_des[1] - s.vn) / self.vel_tau_s
        a_max = min(lim.accel_mps2, GRAVITY * math.tan(lim.max_tilt_rad))
        mag = math.hypot(ae, an)
        if mag > a_max:
            ae, an = ae * a_max / mag, an * a_max / mag
        k = self.wind_est_tau_s
        self.wind_est[0] += (wind[0] - self.wind_est[0]) * dt / k
        self.wind_est[1] += (wind[1] - self.wind_est[1]) * dt / k
        # Thrust must cancel the expected drag; the unexpected part (gusts) moves the vehicle.
        te = ae - self.drag_per_s * (self.wind_est[0] - s.ve)
        tn = an - self.drag_per_s * (self.wind_est[1] - s.vn)
        s.ve += (te + self.drag_per_s * (wind[0] - s.ve)) * dt
        s.vn += (tn + self.drag_per_s * (wind[1] - s.vn)) * dt
        # Vertical.
        vu_des = max(-lim.descent_mps, min(lim.climb_mps, v_des[2]))
        au = max(-lim.accel_z_mps2, min(lim.accel_z_mps2, (vu_des - s.vu) / (0.5 * self.vel_tau_s)))
        s.vu += (au + 0.3 * wind[2]) * dt
        s.e += s.ve * dt
        s.n += s.vn * dt
        s.u += s.vu * dt
        # Attitude: thrust vector tilt in the body frame (NED yaw: 0 north, clockwise).
        cy, sy = math.cos(s.yaw), math.sin(s.yaw)
        a_fwd = tn * cy + te * sy
        a_right = te * cy - tn * sy
        pitch_t = -math.atan2(a_fwd, GRAVITY + au)
        roll_t = math.atan2(a_right * math.cos(pitch_t), GRAVITY + au)
        alpha = min(1.0, dt / self.tilt_tau_s)
        new_roll = s.roll + (roll_t - s.roll) * alpha
        new_pitch = s.pitch + (pitch_t - s.pitch) * alpha
        s.roll_rate, s.pitch_rate = (new_roll - s.roll) / dt, (new_pitch - s.pitch) / dt
        s.roll, s.pitch = new_roll, new_pitch
        self._yaw(dt, yaw_des)
        s.thrust_ratio = math.sqrt(te * te + tn * tn + (GRAVITY + au) ** 2) / GRAVITY
        if s.u <= self.ground_u:
            s.u = self.ground_u
            if s.vu <= 0.0:
                s.on_ground = True
                s.ve = s.vn = s.vu = 0.0

    def _yaw(self, dt: float, yaw_des: float | None) -> None:
        """Turn toward the desired heading at the yaw-rate limit."""
        s = self.state
        if yaw_des is None:
            s.yaw_rate = 0.0
            return
        err = wrap_pi(yaw_des - s.yaw)
        rate = max(-self.limits.yaw_rate_rps, min(self.limits.yaw_rate_rps, err / 0.5))
        s.yaw = wrap_pi(s.yaw + rate * dt)
        s.yaw_rate = rate

    def _rest(self, dt: float, motors_on: bool) -> None:
        """Motors off or idling on the ground: stand still."""
        s = self.state
        s.on_ground = True
        s.u = self.ground_u
        s.ve = s.vn = s.vu = 0.0
        s.roll = s.pitch = 0.0
        s.roll_rate = s.pitch_rate = s.yaw_rate = 0.0
        s.thrust_ratio = 0.15 if motors_on else 0.0
        self.wind_est = [0.0, 0.0]
