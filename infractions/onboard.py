"""Onboard stage: rules -> durable store -> evidence, in the order that loses nothing.

``InfractionRecorder.process`` returns an infraction only after it (and its outbox item) is
committed, so whatever the caller announces survives a crash. Evidence is cut once the frames
``post_s`` seconds after the infraction have been seen (a few seconds before and after), then
referenced in the store, which queues it for delivery.
"""
from __future__ import annotations

import bisect
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from datalink.messages import InfractionEvent

from infractions.evidence.package import FrameRecord, PackageResult, build_package
from infractions.rules.base import Finding
from infractions.rules.engine import RuleEngine


class FrameRing:
    """The last ``max_s`` seconds of frames (at most ``max_frames``), for evidence clips; oldest dropped."""

    def __init__(self, max_s: float = 10.0, max_frames: int = 300) -> None:
        self.max_s = max_s
        self._frames: deque[FrameRecord] = deque(maxlen=max_frames)

    def add(self, frame: FrameRecord) -> None:
        """Keep a frame (frames are expected in capture-time order; late ones are inserted in place)."""
        if self._frames and frame.time_s < self._frames[-1].time_s:
            items = list(self._frames)
            items.insert(bisect.bisect([f.time_s for f in items], frame.time_s), frame)
            self._frames = deque(items, maxlen=self._frames.maxlen)
        else:
            self._frames.append(frame)
        while self._frames and frame.time_s - self._frames[0].time_s > self.max_s:
            self._frames.popleft()

    def window(self, t0: float, t1: float) -> list[FrameRecord]:
        """Frames captured in [t0, t1]."""
        return [f for f in self._frames if t0 <= f.time_s <= t1]

    @property
    def latest_s(self) -> float:
        """Capture time of the newest frame (-inf when empty)."""
        return self._frames[-1].time_s if self._frames else float("-inf")


@dataclass
class _Pending:
    finding: Finding
    due_s: float


@dataclass
class InfractionRecorder:
    """Feeds tracks to the rule engine, commits infractions before returning them, cuts their evidence."""

    store: Any
    engine: RuleEngine
    evidence_root: Path | None = None
    frames: FrameRing | None = None
    calibration: dict[str, Any] = field(default_factory=dict)
    versions: dict[str, str] = field(default_factory=dict)
    shapes: Sequence[tuple[str, Any]] = ()
    signing_key: Any = None
    pre_s: float = 3.0
    post_s: float = 2.0
    track_decimation_s: float = 1.0
    track_flush_s: float = 5.0
    _pending: list[_Pending] = field(default_factory=list)
    _track_buffer: list[Any] = field(default_factory=list)
    _buffer_since_s: float | None = None

    def process(self, updates: Iterable[Any]) -> list[InfractionEvent]:
        """Evaluate track updates; store decimated tracks; return the new infractions, already committed.

        Track points are written in one transaction every ``track_flush_s`` (they are not acknowledged
        data; a crash loses at most that much track history, never an infraction).
        """
        updates = list(updates)
        self._buffer_tracks(updates)
        events = []
        for finding in self.engine.update_many(updates):
            if self.store.records.record_infraction(finding):  # durable before announced
                events.append(finding.event)
                if self.evidence_root is not None and self.frames is not None:
                    self._pending.append(_Pending(finding, finding.event.end_s + self.post_s))
        return events

    def _buffer_tracks(self, updates: list[Any]) -> None:
        self._track_buffer.extend(updates)
        if not self._track_buffer:
            return
        now = max(u.time_s for u in updates) if updates else self._track_buffer[-1].time_s
        if self._buffer_since_s is None:
            self._buffer_since_s = now
        if now - self._buffer_since_s >= self.track_flush_s:
            self.flush_tracks()

    def flush_tracks(self) -> int:
        """Write the buffered track points (decimated) now; returns rows written."""
        rows = self.store.records.add_track_points(self._track_buffer, self.engine.ctx.patrol_id,
                                                   self.track_decimation_s)
        self._track_buffer, self._buffer_since_s = [], None
        return rows

    def add_frame(self, frame: FrameRecord) -> list[PackageResult]:
        """Keep a frame for clips; cut the evidence whose after-window this frame completes."""
        if self.frames is None:
            return []
        self.frames.add(frame)
        return self.cut_due(self.frames.latest_s)

    def cut_due(self, now_s: float) -> list[PackageResult]:
        """Build and reference every pending package whose ``post_s`` window has passed."""
        due = [p for p in self._pending if p.due_s <= now_s]
        self._pending = [p for p in self._pending if p.due_s > now_s]
        return [self._cut(p.finding) for p in due]

    def finish(self) -> list[PackageResult]:
        """End of patrol: write buffered tracks, cut every pending package with the frames there are."""
        self.flush_tracks()
        due, self._pending = self._pending, []
        return [self._cut(p.finding) for p in due]

    def _cut(self, finding: Finding) -> PackageResult:
        ev = finding.event
        assert self.frames is not None and self.evidence_root is not None
        frames = self.frames.window(ev.start_s - self.pre_s, ev.end_s + self.post_s)
        result = build_package(self.evidence_root, finding, frames, calibration=self.calibration,
                               versions=self.versions, shapes=self.shapes, signing_key=self.signing_key)
        self.store.records.add_evidence(evidence_id=result.evidence_id, infraction_id=ev.infraction_id,
                                        patrol_id=ev.patrol_id, seq=result.seq, path=str(result.path),
                                        manifest_sha256=result.manifest_sha256, manifest=result.manifest)
        return result
