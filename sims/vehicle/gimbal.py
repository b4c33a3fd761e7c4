"""A 2-axis (roll, pitch) stabilised gimbal: slews toward a commanded pitch or a region of interest."""
from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass
class Gimbal:
    """Angles relative to the horizon (deg); yaw is fixed to the vehicle heading (2-axis)."""

    pitch_deg: float = 0.0
    roll_deg: float = 0.0
    target_pitch_deg: float = 0.0
    pitch_min_deg: float = -90.0
    pitch_max_deg: float = 20.0
    slew_dps: float = 60.0
    pitch_rate_dps: float = 0.0

    def command_pitch(self, pitch_deg: float) -> None:
        """Point at a pitch (deg, negative = down), clamped to the mechanical range."""
        self.target_pitch_deg = max(self.pitch_min_deg, min(self.pitch_max_deg, pitch_deg))

    def point_at(self, d_east: float, d_north: float, d_up: float) -> float:
        """Command the pitch that looks at a point offset (ENU m) from the vehicle; return its bearing (rad, NED yaw)."""
        horiz = math.hypot(d_east, d_north)
        self.command_pitch(math.degrees(math.atan2(d_up, max(horiz, 1e-6))))
        return math.atan2(d_east, d_north)

    def step(self, dt: float) -> None:
        """Slew toward the target pitch at the slew rate."""
        err = self.target_pitch_deg - self.pitch_deg
        move = max(-self.slew_dps * dt, min(self.slew_dps * dt, err))
        self.pitch_deg += move
        self.pitch_rate_dps = move / dt if dt > 0 else 0.0

    def quaternion(self) -> tuple[float, float, float, float]:
        """(w, x, y, z) of roll/pitch relative to the horizon and zero yaw relative to the vehicle (ZYX Euler)."""
        r, p = math.radians(self.roll_deg) / 2.0, math.radians(self.pitch_deg) / 2.0
        cr, sr, cp, sp = math.cos(r), math.sin(r), math.cos(p), math.sin(p)
        return (cr * cp, sr * cp, cr * sp, -sr * sp)
