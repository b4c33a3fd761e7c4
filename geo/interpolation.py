"""A time-ordered buffer of poses and the pose at any frame's capture time (slerp for attitude)."""
from __future__ import annotations

import bisect
from collections import deque
from dataclasses import replace

import numpy as np
from scipy.spatial.transform import Rotation, Slerp

from geo.pose import GimbalAttitude, PoseSample, PoseUncertainty, quat_wxyz, rotation_from_wxyz


class PoseInterpolationError(LookupError):
    """No trustworthy pose for the asked time."""


class PoseOutOfRange(PoseInterpolationError):
    """The time is before the first or after the last buffered pose."""


class PoseGapTooLarge(PoseInterpolationError):
    """The poses around the time are further apart than the allowed gap."""


def _slerp(r0: Rotation, r1: Rotation, w: float) -> Rotation:
    return Slerp([0.0, 1.0], Rotation.concatenate([r0, r1]))([w])[0]


def interpolate(a: PoseSample, b: PoseSample, t: float) -> PoseSample:
    """Pose at time t between samples a and b: linear position, slerped vehicle and gimbal attitude."""
    span = b.time_s - a.time_s
    w = 0.0 if span <= 0 else (t - a.time_s) / span
    att = _slerp(a.vehicle_rotation, b.vehicle_rotation, w)
    yaw, pitch, roll = att.as_euler("ZYX")
    gimbal = a.gimbal if w < 0.5 else b.gimbal
    if isinstance(a.gimbal, GimbalAttitude) and isinstance(b.gimbal, GimbalAttitude) and a.gimbal.frame == b.gimbal.frame:
        q = _slerp(rotation_from_wxyz(a.gimbal.q), rotation_from_wxyz(b.gimbal.q), w)
        gimbal = GimbalAttitude(quat_wxyz(q), a.gimbal.frame)
    sigma = PoseUncertainty(
        max(a.sigma.attitude_rad, b.sigma.attitude_rad),
        max(a.sigma.horizontal_m, b.sigma.horizontal_m),
        max(a.sigma.vertical_m, b.sigma.vertical_m),
    )
    lerp = lambda x, y: x + w * (y - x)  # noqa: E731 - local one-liner
    dlon = (b.lon - a.lon + 180.0) % 360.0 - 180.0  # across the antimeridian
    return replace(a, time_s=float(t), lat=lerp(a.lat, b.lat), lon=a.lon + w * dlon, alt_amsl_m=lerp(a.alt_amsl_m, b.alt_amsl_m),
                   roll=float(roll), pitch=float(pitch), yaw=float(yaw), gimbal=gimbal, sigma=sigma)


class PoseBuffer:
    """The most recent poses, ordered by time; ``at(t)`` interpolates, or raises a clear error."""

    def __init__(self, max_gap_s: float = 0.5, max_len: int = 2000) -> None:
        if max_gap_s <= 0:
            raise ValueError(f"max_gap_s must be positive, got {max_gap_s}")
        self.max_gap_s = max_gap_s
        self._poses: deque[PoseSample] = deque(maxlen=max_len)
        self._times: deque[float] = deque(maxlen=max_len)

    def __len__(self) -> int:
        return len(self._poses)

    def add(self, pose: PoseSample) -> None:
        """Add a pose; an out-of-order pose is inserted at its place, a duplicate time replaces the old one."""
        if not self._times or pose.time_s > self._times[-1]:
            self._poses.append(pose)
            self._times.append(pose.time_s)
            return
        times = list(self._times)
        i = bisect.bisect_left(times, pose.time_s)
        poses = list(self._poses)
        if i < len(times) and times[i] == pose.time_s:
            poses[i] = pose
        else:
            poses.insert(i, pose)
            times.insert(i, pose.time_s)
        self._poses = deque(poses[-self._poses.maxlen:], maxlen=self._poses.maxlen)
        self._times = deque(times[-self._times.maxlen:], maxlen=self._times.maxlen)

    @property
    def span(self) -> tuple[float, float] | None:
        """(first, last) buffered time, or None when empty."""
        return (self._times[0], self._times[-1]) if self._times else None

    def at(self, t: float) -> PoseSample:
        """The pose at time t (unix seconds), interpolated between its neighbours."""
        if not np.isfinite(t):
            raise ValueError(f"pose time must be finite, got {t!r}")
        if not self._times:
            raise PoseOutOfRange(f"no pose buffered (asked for t={t:.3f})")
        first, last = self._times[0], self._times[-1]
        if t < first or t > last:
            raise PoseOutOfRange(f"t={t:.3f} is outside the buffered poses [{first:.3f}, {last:.3f}]")
        i = bisect.bisect_left(self._times, t)
        if self._times[i] == t:
            return self._poses[i]
        a, b = self._poses[i - 1], self._poses[i]
        if b.time_s - a.time_s > self.max_gap_s:
            raise PoseGapTooLarge(
                f"poses around t={t:.3f} are {b.time_s - a.time_s:.3f} s apart (max {self.max_gap_s} s)")
        return interpolate(a, b, t)
