"""Per-link fault injection: packet loss, latency with jitter, duplicates, reordering and link cuts (seeded)."""
from __future__ import annotations

import heapq
import itertools
import random
from dataclasses import dataclass, field


@dataclass
class FaultConfig:
    """What a radio link does to packets, applied in both directions. Percentages are 0..100."""

    loss_pct: float = 0.0
    latency_s: float = 0.0
    jitter_s: float = 0.0
    duplicate_pct: float = 0.0
    reorder_pct: float = 0.0
    #: (start, end) windows in link-clock seconds during which nothing passes.
    cuts: list[tuple[float, float]] = field(default_factory=list)

    def __post_init__(self) -> None:
        for name in ("loss_pct", "duplicate_pct", "reorder_pct"):
            value = getattr(self, name)
            if not 0.0 <= value <= 100.0:
                raise ValueError(f"FaultConfig.{name} must be within 0..100, got {value!r}")
        for name in ("latency_s", "jitter_s"):
            if getattr(self, name) < 0.0:
                raise ValueError(f"FaultConfig.{name} must be >= 0, got {getattr(self, name)!r}")

    @property
    def is_clean(self) -> bool:
        """True when the link passes everything immediately."""
        return not (self.loss_pct or self.latency_s or self.jitter_s or self.duplicate_pct or self.reorder_pct or self.cuts)


class FaultyPipe:
    """One direction of a link: `push(now, packet)` then `pop_due(now)` yields what survives, when it is due."""

    def __init__(self, config: FaultConfig, rng: random.Random) -> None:
        self.config = config
        self.rng = rng
        self._queue: list[tuple[float, int, bytes]] = []
        self._order = itertools.count()
        self.dropped = 0
        self.passed = 0

    def cut_active(self, now: float) -> bool:
        """True while a link cut is in effect."""
        return any(start <= now < end for start, end in self.config.cuts)

    def push(self, now: float, packet: bytes) -> None:
        """Offer one packet to the link."""
        c = self.config
        if c.is_clean:
            heapq.heappush(self._queue, (now, next(self._order), packet))
            return
        if self.cut_active(now) or (c.loss_pct and self.rng.random() * 100.0 < c.loss_pct):
            self.dropped += 1
            return
        copies = 2 if c.duplicate_pct and self.rng.random() * 100.0 < c.duplicate_pct else 1
        for _ in range(copies):
            delay = c.latency_s + (self.rng.uniform(0.0, c.jitter_s) if c.jitter_s else 0.0)
            if c.reorder_pct and self.rng.random() * 100.0 < c.reorder_pct:
                delay += self.rng.uniform(0.02, 0.02 + 2.0 * max(c.latency_s, 0.05))
            heapq.heappush(self._queue, (now + delay, next(self._order), packet))

    def pop_due(self, now: float) -> list[bytes]:
        """Packets whose delivery time has come, in delivery order (cuts drop what is in flight too)."""
        out: list[bytes] = []
        q = self._queue
        while q and q[0][0] <= now:
            _, _, packet = heapq.heappop(q)
            if self.config.cuts and self.cut_active(now):
                self.dropped += 1
                continue
            out.append(packet)
        self.passed += len(out)
        return out
