"""Link budget: token buckets, per-class caps and the thumbnail quality ladder.

Priorities are infractions (and acks, heartbeats, summaries) > tracks > evidence chunks >
thumbnails. High-priority messages always go out (they may drive the bucket into debt, which the
lower classes then pay); tracks and evidence are capped to a share of the budget so the classes
below them are never starved for long (tracks <= 60 %, evidence <= 80 % by default); thumbnails degrade (size, quality, rate) first.
"""
from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class ThumbnailSpec:
    """One rung of the thumbnail ladder: longest side in px, JPEG quality, minimum interval."""

    max_width: int
    quality: int
    min_interval_s: float


DEFAULT_LADDER: tuple[ThumbnailSpec, ...] = (
    ThumbnailSpec(640, 70, 0.5),
    ThumbnailSpec(480, 60, 1.0),
    ThumbnailSpec(320, 50, 2.0),
    ThumbnailSpec(240, 40, 4.0),
    ThumbnailSpec(160, 30, 8.0),
)


@dataclass(frozen=True)
class BudgetConfig:
    """What the onboard link may spend; ``kbps <= 0`` means unlimited."""

    kbps: float = 200.0
    burst_s: float = 0.25
    track_share: float = 0.6
    evidence_share: float = 0.8
    track_max_hz: float = 5.0
    summary_hz: float = 1.0
    heartbeat_s: float = 1.0
    chunk_size: int = 16 * 1024
    #: estimated per-message framing overhead on the wire (Zenoh + TCP/IP, amortised), bytes
    overhead_bytes: int = 48
    thumb_ladder: tuple[ThumbnailSpec, ...] = field(default=DEFAULT_LADDER)

    @property
    def bytes_per_s(self) -> float:
        """Budget in bytes per second (``inf`` when unlimited)."""
        return self.kbps * 1000.0 / 8.0 if self.kbps > 0 else math.inf


class TokenBucket:
    """Classic token bucket in bytes; a message may be sent when the bucket is not in debt."""

    def __init__(self, rate_bps: float, depth_bytes: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate_bps
        self.depth = depth_bytes
        self._clock = clock
        self._tokens = depth_bytes
        self._t = clock()

    def tokens(self) -> float:
        """Current tokens (negative while in debt)."""
        now = self._clock()
        if math.isinf(self.rate):
            self._tokens = math.inf
        else:
            self._tokens = min(self.depth, self._tokens + (now - self._t) * self.rate)
        self._t = now
        return self._tokens

    def can_send(self, nbytes: int) -> bool:
        """True if ``nbytes`` may go now (a message larger than the depth needs a full bucket)."""
        return self.tokens() >= min(nbytes, self.depth)

    def consume(self, nbytes: int) -> None:
        """Spend ``nbytes`` (may go into debt)."""
        self.tokens()
        self._tokens -= nbytes

    def wait_s(self, nbytes: int) -> float:
        """Seconds until ``can_send(nbytes)`` (0 when it can)."""
        missing = min(nbytes, self.depth) - self.tokens()
        return 0.0 if missing <= 0 or math.isinf(self.rate) else missing / self.rate


class RateMeter:
    """Exponentially weighted byte rate (bytes/s) with time constant ``tau_s``."""

    def __init__(self, tau_s: float = 2.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.tau = tau_s
        self._clock = clock
        self._rate = 0.0
        self._t = clock()
        self.total = 0
        self.count = 0

    def add(self, nbytes: int) -> None:
        """Record one message of ``nbytes``."""
        self._decay()
        self._rate += nbytes / self.tau
        self.total += nbytes
        self.count += 1

    def rate(self) -> float:
        """Current estimate in bytes/s."""
        self._decay()
        return self._rate

    def _decay(self) -> None:
        now = self._clock()
        self._rate *= math.exp(-(now - self._t) / self.tau)
        self._t = now


class Scheduler:
    """Admission control for one link: a main bucket plus share caps for tracks and evidence."""

    CLASSES = ("control", "infraction", "tracks", "evidence", "thumbs")

    def __init__(self, cfg: BudgetConfig, clock: Callable[[], float] = time.monotonic) -> None:
        self.cfg = cfg
        rate = cfg.bytes_per_s
        depth = max(rate * cfg.burst_s, 2048.0) if not math.isinf(rate) else math.inf
        self.main = TokenBucket(rate, depth, clock)
        self.caps = {
            "tracks": TokenBucket(rate * cfg.track_share, depth, clock),
            "evidence": TokenBucket(rate * cfg.evidence_share, depth, clock),
        }
        self.meters = {c: RateMeter(clock=clock) for c in self.CLASSES}

    def wire_size(self, payload_len: int) -> int:
        """Bytes a message of ``payload_len`` costs on the link."""
        return payload_len + self.cfg.overhead_bytes

    def can_send(self, cls: str, payload_len: int) -> bool:
        """May a message of class ``cls`` go now? control/infraction always may."""
        if cls in ("control", "infraction"):
            return True
        n = self.wire_size(payload_len)
        cap = self.caps.get(cls)
        return self.main.can_send(n) and (cap is None or cap.can_send(n))

    def sent(self, cls: str, payload_len: int) -> None:
        """Account for a message that went out."""
        n = self.wire_size(payload_len)
        self.main.consume(n)
        cap = self.caps.get(cls)
        if cap is not None:
            cap.consume(n)
        self.meters[cls].add(n)

    def spare_bps(self) -> float:
        """Budget left over by the classes above thumbnails, bytes/s (estimated)."""
        used = sum(self.meters[c].rate() for c in ("control", "infraction", "tracks", "evidence"))
        return max(0.0, self.cfg.bytes_per_s - used)


class ThumbnailGovernor:
    """Chooses the thumbnail rung that fits the spare budget; learns JPEG sizes as they are sent."""

    def __init__(self, ladder: tuple[ThumbnailSpec, ...], fill: float = 0.8) -> None:
        if not ladder:
            raise ValueError("thumbnail ladder is empty")
        self.ladder = ladder
        self.fill = fill
        self.level = 0
        self._bytes_per_px: float | None = None

    def estimate_bytes(self, spec: ThumbnailSpec) -> float:
        """Expected JPEG size at ``spec`` (4:3 frame), from the sizes seen so far."""
        px = spec.max_width * spec.max_width * 0.75
        bpp = self._bytes_per_px if self._bytes_per_px is not None else 0.02 + spec.quality / 100.0 * 0.2
        return px * bpp * (0.5 + spec.quality / 100.0) / (0.5 + 0.7)

    def choose(self, spare_bps: float) -> ThumbnailSpec:
        """Best rung whose rate fits ``fill`` of the spare budget; the lowest rung if none does."""
        for i, spec in enumerate(self.ladder):
            if self.estimate_bytes(spec) / spec.min_interval_s <= self.fill * spare_bps:
                self.level = i
                return spec
        self.level = len(self.ladder) - 1
        return self.ladder[-1]

    def observe(self, spec: ThumbnailSpec, width: int, height: int, nbytes: int) -> None:
        """Learn from one sent thumbnail (bytes per pixel normalised to quality 70)."""
        px = max(1, width * height)
        bpp = nbytes / px * (0.5 + 0.7) / (0.5 + spec.quality / 100.0)
        self._bytes_per_px = bpp if self._bytes_per_px is None else 0.7 * self._bytes_per_px + 0.3 * bpp
