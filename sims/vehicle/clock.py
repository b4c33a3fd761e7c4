"""Simulation time: fixed physics steps, paced to wall time (real time, --speedup N) or unpaced (lockstep)."""
from __future__ import annotations

import time
from dataclasses import dataclass, field


@dataclass
class SimClock:
    """Sim time advanced only in fixed steps, so the physics is identical at any pacing."""

    dt: float = 0.02
    steps: int = 0
    #: Unix time (s) that sim time 0 corresponds to, for SYSTEM_TIME.
    epoch_unix_s: float = field(default_factory=time.time)

    @property
    def now(self) -> float:
        """Seconds since boot in sim time."""
        return self.steps * self.dt

    def advance(self) -> float:
        """Advance one step; return the new sim time."""
        self.steps += 1
        return self.now

    def unix_time(self) -> float:
        """Unix time in sim time (epoch + sim seconds)."""
        return self.epoch_unix_s + self.now


@dataclass
class Pacer:
    """Maps sim time to wall time: `speedup` > 0 paces (1.0 = real time); 0 means lockstep, as fast as possible."""

    speedup: float = 1.0
    _wall0: float | None = None
    _sim0: float = 0.0

    @property
    def lockstep(self) -> bool:
        """True when sim time is not paced to the wall clock at all."""
        return self.speedup <= 0.0

    def start(self, sim_now: float) -> None:
        """Anchor the pacing at the current sim time."""
        self._wall0 = time.monotonic()
        self._sim0 = sim_now

    def wall_deadline(self, sim_t: float) -> float:
        """The time.monotonic() at which sim time `sim_t` is due."""
        if self._wall0 is None:
            self.start(sim_t)
        if self.lockstep:
            return 0.0
        return self._wall0 + (sim_t - self._sim0) / self.speedup

    def resync_if_late(self, sim_t: float, max_lag_s: float = 0.5) -> None:
        """Drop accumulated lag (a stalled machine) instead of racing to catch up."""
        if self.lockstep or self._wall0 is None:
            return
        if time.monotonic() - self.wall_deadline(sim_t) > max_lag_s:
            self.start(sim_t)
