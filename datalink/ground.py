"""Ground side of the data link: subscribes to a fleet, stores reliable items, acknowledges them.

Received frames are queued by the Zenoh callback and handled by one worker thread: bad frames are
dropped with a logged reason, infractions are deduplicated through the ``GroundInbox`` (SQLite),
evidence chunks are stored and assembled, and every reliable item is acknowledged on
``aeropatrol/<fleet>/<vehicle>/acks`` only after it is durably stored. Callbacks fire once per
new item (and for every live message), on the worker thread.
"""
from __future__ import annotations

import logging
import queue
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from datalink import keys
from datalink.config import LinkConfig, open_session
from datalink.inbox import EvidenceRecord, GroundInbox
from datalink.messages import (
    MAX_MESSAGE_BYTES, Ack, EvidenceAnnounce, EvidenceChunk, Heartbeat, InfractionEvent, MessageError, Thumbnail,
    TrackBatch, TrackUpdate, VehicleSummary, decode, encode,
)

log = logging.getLogger(__name__)

#: which message types a channel may carry (anything else is dropped as misrouted)
_ALLOWED: dict[str, tuple[type, ...]] = {
    "tracks": (TrackBatch, TrackUpdate),
    "infractions": (InfractionEvent,),
    "evidence": (EvidenceAnnounce, EvidenceChunk),
    "thumbs": (Thumbnail,),
    "summary": (VehicleSummary,),
    "heartbeat": (Heartbeat,),
}


@dataclass
class GroundCallbacks:
    """What the ground station wants to hear about; each receives (fleet, vehicle_id, item)."""

    on_tracks: Callable[[str, str, TrackBatch | TrackUpdate], None] | None = None
    on_infraction: Callable[[str, str, InfractionEvent], None] | None = None
    on_evidence: Callable[[str, str, EvidenceRecord], None] | None = None
    on_thumbnail: Callable[[str, str, Thumbnail], None] | None = None
    on_summary: Callable[[str, str, VehicleSummary], None] | None = None
    on_heartbeat: Callable[[str, str, Heartbeat], None] | None = None


@dataclass
class GroundStats:
    """Counters of one ground link."""

    received: dict[str, int] = field(default_factory=dict)
    received_bytes: dict[str, int] = field(default_factory=dict)
    dropped: dict[str, int] = field(default_factory=dict)
    duplicates: int = 0
    new_infractions: int = 0
    evidence_completed: int = 0
    acks_sent: int = 0
    last_heartbeat: dict[str, Heartbeat] = field(default_factory=dict)


class GroundLink:
    """Subscribes to ``aeropatrol/<fleet>/<vehicle>/*``; ``start()`` / ``stop()``."""

    def __init__(
        self,
        config: LinkConfig,
        inbox: GroundInbox | str | Path,
        fleet: str = "*",
        vehicle: str = "*",
        callbacks: GroundCallbacks | None = None,
        node_id: str | None = None,
        chunk_ack_interval_s: float = 0.2,
        max_message_bytes: int = MAX_MESSAGE_BYTES,
    ) -> None:
        self.config = config
        self.inbox = inbox if isinstance(inbox, GroundInbox) else GroundInbox(inbox)
        self._own_inbox = not isinstance(inbox, GroundInbox)
        self.pattern = keys.pattern(fleet, vehicle)
        self.callbacks = callbacks or GroundCallbacks()
        self.node_id = node_id or f"ground-{uuid.uuid4().hex[:8]}"
        self.chunk_ack_interval_s = chunk_ack_interval_s
        self.max_message_bytes = max_message_bytes
        self._q: queue.SimpleQueue[tuple[str, bytes] | None] = queue.SimpleQueue()
        self._stats = GroundStats()
        self._lock = threading.Lock()
        self._session: Any = None
        self._sub: Any = None
        self._thread: threading.Thread | None = None
        self._last_chunk_ack: dict[str, float] = {}

    def start(self) -> GroundLink:
        """Open the session, subscribe, start the worker."""
        self._session = open_session(self.config)
        self._sub = self._session.declare_subscriber(
            self.pattern, lambda s: self._q.put((str(s.key_expr), s.payload.to_bytes())))
        self._thread = threading.Thread(target=self._run, name="datalink-ground", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop receiving and close the session (and the inbox if this link opened it)."""
        if self._session is not None:
            try:
                self._session.close()
            except Exception as exc:
                log.warning("closing Zenoh session: %s", exc)
            self._session = None
        self._q.put(None)
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        if self._own_inbox:
            self.inbox.close()

    def __enter__(self) -> GroundLink:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stats(self) -> GroundStats:
        """A copy of the counters."""
        with self._lock:
            s = self._stats
            return GroundStats(dict(s.received), dict(s.received_bytes), dict(s.dropped), s.duplicates,
                               s.new_infractions, s.evidence_completed, s.acks_sent, dict(s.last_heartbeat))

    def peers(self) -> int:
        """Number of Zenoh peers/routers connected right now."""
        if self._session is None:
            return 0
        info = self._session.info
        return len(list(info.peers_zid())) + len(list(info.routers_zid()))

    # ---- worker ---------------------------------------------------------------------------------
    def _run(self) -> None:
        while True:
            item = self._q.get()
            if item is None:
                return
            try:
                self.handle(*item)
            except Exception:
                log.exception("datalink ground: handling %s", item[0])

    def _drop(self, reason: str, key_expr: str, detail: str) -> None:
        log.warning("dropped frame on %s: %s (%s)", key_expr, reason, detail)
        with self._lock:
            self._stats.dropped[reason] = self._stats.dropped.get(reason, 0) + 1

    def handle(self, key_expr: str, raw: bytes) -> None:
        """Process one received frame (public so a test or a replay tool can feed frames directly)."""
        try:
            fleet, vehicle, channel = keys.parse(key_expr)
        except keys.KeyExprError as exc:
            self._drop("bad_key", key_expr, str(exc))
            return
        if channel == "acks":
            return
        try:
            msg = decode(raw, self.max_message_bytes)
        except MessageError as exc:
            self._drop(exc.reason, key_expr, exc.detail)
            return
        if not isinstance(msg, _ALLOWED.get(channel, ())):
            self._drop("misrouted", key_expr, f"{type(msg).__name__} on channel {channel}")
            return
        with self._lock:
            self._stats.received[channel] = self._stats.received.get(channel, 0) + 1
            self._stats.received_bytes[channel] = self._stats.received_bytes.get(channel, 0) + len(raw)
        cb = self.callbacks
        if isinstance(msg, InfractionEvent):
            self._on_infraction(fleet, vehicle, msg, raw)
        elif isinstance(msg, EvidenceAnnounce):
            self._on_announce(fleet, vehicle, msg)
        elif isinstance(msg, EvidenceChunk):
            self._on_chunk(fleet, vehicle, msg)
        elif isinstance(msg, (TrackBatch, TrackUpdate)):
            _call(cb.on_tracks, fleet, vehicle, msg)
        elif isinstance(msg, Thumbnail):
            _call(cb.on_thumbnail, fleet, vehicle, msg)
        elif isinstance(msg, VehicleSummary):
            _call(cb.on_summary, fleet, vehicle, msg)
        elif isinstance(msg, Heartbeat):
            with self._lock:
                self._stats.last_heartbeat[f"{fleet}/{vehicle}"] = msg
            _call(cb.on_heartbeat, fleet, vehicle, msg)

    def _ack(self, fleet: str, vehicle: str, ack: Ack) -> None:
        if self._session is None:
            return
        import zenoh

        self._session.put(keys.key(fleet, vehicle, "acks"), encode(ack),
                          priority=zenoh.Priority.INTERACTIVE_HIGH, congestion_control=zenoh.CongestionControl.BLOCK)
        with self._lock:
            self._stats.acks_sent += 1

    def _on_infraction(self, fleet: str, vehicle: str, ev: InfractionEvent, raw: bytes) -> None:
        new = self.inbox.add_infraction(fleet, vehicle, ev, raw)
        with self._lock:
            if new:
                self._stats.new_infractions += 1
            else:
                self._stats.duplicates += 1
        self._ack(fleet, vehicle, Ack("infraction", [ev.infraction_id], self.node_id, time.time()))
        if new:
            _call(self.callbacks.on_infraction, fleet, vehicle, ev)

    def _on_announce(self, fleet: str, vehicle: str, a: EvidenceAnnounce) -> None:
        rec = self.inbox.announce(fleet, a)
        if rec.sha256 != a.sha256 or rec.total_size != a.total_size:
            self._drop("conflict", f"{fleet}/{vehicle}", f"evidence {a.evidence_id} re-announced with another hash")
            return
        if rec.complete:
            self._ack(fleet, vehicle, Ack("evidence", [a.evidence_id], self.node_id, time.time()))
            return
        if self._finish(fleet, vehicle, a.evidence_id):
            return
        self._chunk_ack(fleet, vehicle, a.evidence_id)

    def _chunk_ack(self, fleet: str, vehicle: str, evidence_id: str) -> None:
        self._last_chunk_ack[evidence_id] = time.monotonic()
        self._ack(fleet, vehicle, Ack("chunk", [], self.node_id, time.time(), evidence_id,
                                      self.inbox.chunk_indices(evidence_id)))

    def _on_chunk(self, fleet: str, vehicle: str, c: EvidenceChunk) -> None:
        status = self.inbox.add_chunk(c)
        if status in ("bad_hash", "bad_index", "unknown"):
            self._drop(f"chunk_{status}", f"{fleet}/{vehicle}", f"evidence {c.evidence_id} chunk {c.index}")
            return
        if status == "duplicate":
            with self._lock:
                self._stats.duplicates += 1
            rec = self.inbox.evidence(c.evidence_id)
            if rec is not None and rec.complete:
                self._ack(fleet, vehicle, Ack("evidence", [c.evidence_id], self.node_id, time.time()))
                return
        if self._finish(fleet, vehicle, c.evidence_id):
            return
        if time.monotonic() - self._last_chunk_ack.get(c.evidence_id, 0.0) >= self.chunk_ack_interval_s:
            self._chunk_ack(fleet, vehicle, c.evidence_id)

    def _finish(self, fleet: str, vehicle: str, evidence_id: str) -> bool:
        """Assemble if all chunks are in; ack or nack. True when the package is settled."""
        result = self.inbox.try_complete(evidence_id)
        if result == "complete":
            with self._lock:
                self._stats.evidence_completed += 1
            self._last_chunk_ack.pop(evidence_id, None)
            self._ack(fleet, vehicle, Ack("evidence", [evidence_id], self.node_id, time.time()))
            rec = self.inbox.evidence(evidence_id)
            if rec is not None:
                _call(self.callbacks.on_evidence, fleet, vehicle, rec)
            return True
        if result == "bad_hash":
            self._drop("evidence_bad_hash", f"{fleet}/{vehicle}", f"evidence {evidence_id}: package hash mismatch")
            self._ack(fleet, vehicle, Ack("nack", [], self.node_id, time.time(), evidence_id))
            return True
        return result == "already"


def _call(fn: Callable[..., None] | None, *args: Any) -> None:
    """Run a user callback; its exceptions are logged, never propagated into the link."""
    if fn is None:
        return
    try:
        fn(*args)
    except Exception:
        log.exception("datalink ground callback %s", getattr(fn, "__name__", fn))
