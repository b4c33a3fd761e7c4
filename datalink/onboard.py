"""Onboard side of the data link: latest-value tracks/thumbnails under a budget, reliable outbox items.

One sender thread owns the Zenoh publishers and the outbox (the outbox is only ever called from
that thread). Infractions are re-sent until a ground station acknowledges them; evidence packages
are announced, then streamed in chunks from where the ground says it stands (resume after a cut or
a restart of either side); acks arrive on ``aeropatrol/<fleet>/<vehicle>/acks``.
"""
from __future__ import annotations

import hashlib
import logging
import math
import queue
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from datalink import keys
from datalink.budget import BudgetConfig, Scheduler, ThumbnailGovernor, ThumbnailSpec
from datalink.config import LinkConfig, open_session
from datalink.messages import (
    Ack, EvidenceAnnounce, EvidenceChunk, Heartbeat, InfractionEvent, MessageError, Thumbnail, TrackBatch, VehicleSummary,
    decode, encode,
)
from datalink.outbox import Outbox, OutboxItem

log = logging.getLogger(__name__)

ThumbnailSource = Thumbnail | Callable[[ThumbnailSpec], Thumbnail | None]


@dataclass(frozen=True)
class ReliableConfig:
    """Re-send timing of reliable items."""

    ack_timeout_s: float = 1.5
    max_retry_s: float = 5.0
    #: safety-net poll of the outbox; ``notify_outbox()`` makes new items go at once
    outbox_poll_s: float = 2.0
    peer_poll_s: float = 0.25


@dataclass
class OnboardStats:
    """Counters of one onboard link (a snapshot is returned by ``OnboardLink.stats()``)."""

    sent_msgs: dict[str, int] = field(default_factory=dict)
    sent_bytes: dict[str, int] = field(default_factory=dict)
    superseded: dict[str, int] = field(default_factory=dict)
    retries: int = 0
    acks_received: int = 0
    acked_items: int = 0
    backlog: int = 0
    peers: int = 0
    reconnects: int = 0
    thumb_level: int = 0
    evidence_chunks_sent: int = 0
    bad_acks: int = 0


@dataclass
class _Infraction:
    item: OutboxItem
    next_s: float = 0.0
    tries: int = 0


@dataclass
class _Evidence:
    item: OutboxItem
    announce: EvidenceAnnounce
    state: str = "announce"  # announce | wait_resume | stream | wait_done
    have: set[int] = field(default_factory=set)
    cursor: int = 0
    deadline_s: float = 0.0
    tries: int = 0


class OnboardLink:
    """Publishes one vehicle's data; ``start()`` opens the session, ``stop()`` closes it."""

    def __init__(
        self,
        config: LinkConfig,
        fleet: str,
        vehicle_id: str,
        outbox: Outbox | None = None,
        budget: BudgetConfig = BudgetConfig(),
        reliable: ReliableConfig = ReliableConfig(),
        node_id: str | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.config = config
        self.fleet = keys.check_name(fleet, "fleet")
        self.vehicle_id = keys.check_name(vehicle_id, "vehicle")
        self.outbox = outbox
        self.budget = budget
        self.reliable = reliable
        self.node_id = node_id or f"onboard-{vehicle_id}-{uuid.uuid4().hex[:8]}"
        self._clock = clock
        self._sched = Scheduler(budget, clock)
        self._governor = ThumbnailGovernor(budget.thumb_ladder)
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._acks: queue.SimpleQueue[bytes] = queue.SimpleQueue()
        self._latest_tracks: TrackBatch | None = None
        self._encoded: tuple[TrackBatch | None, bytes] = (None, b"")
        self._latest_summary: VehicleSummary | None = None
        self._latest_thumb: ThumbnailSource | None = None
        self._outbox_dirty = True
        self._stats = OnboardStats()
        self._session: Any = None
        self._pubs: dict[str, Any] = {}
        self._sub: Any = None
        self._thread: threading.Thread | None = None
        self._infractions: dict[str, _Infraction] = {}
        self._evidence: dict[str, _Evidence] = {}
        self._last_error_s = -1e9
        self._bad: set[str] = set()  # outbox items that cannot be sent (logged once, left in the outbox)

    # ---- producer API (any thread) -------------------------------------------------------
    def publish_tracks(self, batch: TrackBatch) -> None:
        """Offer the live tracks of one frame; an unsent older batch is replaced (latest value)."""
        with self._lock:
            if self._latest_tracks is not None:
                self._stats.superseded["tracks"] = self._stats.superseded.get("tracks", 0) + 1
            self._latest_tracks = batch
        self._wake.set()

    def publish_summary(self, summary: VehicleSummary) -> None:
        """Offer the vehicle state (latest value, sent at ``budget.summary_hz``)."""
        with self._lock:
            self._latest_summary = summary
        self._wake.set()

    def publish_thumbnail(self, source: ThumbnailSource) -> None:
        """Offer a thumbnail: a ready ``Thumbnail`` or a callable rendering one at a ``ThumbnailSpec``."""
        with self._lock:
            if self._latest_thumb is not None:
                self._stats.superseded["thumbs"] = self._stats.superseded.get("thumbs", 0) + 1
            self._latest_thumb = source
        self._wake.set()

    def notify_outbox(self) -> None:
        """Tell the link the outbox has new items (it also polls every ``outbox_poll_s``)."""
        self._outbox_dirty = True
        self._wake.set()

    def stats(self) -> OnboardStats:
        """A copy of the counters."""
        with self._lock:
            s = self._stats
            return OnboardStats(dict(s.sent_msgs), dict(s.sent_bytes), dict(s.superseded), s.retries,
                                s.acks_received, s.acked_items, s.backlog, s.peers, s.reconnects,
                                self._governor.level, s.evidence_chunks_sent, s.bad_acks)

    # ---- lifecycle ------------------------------------------------------------------------
    def start(self) -> OnboardLink:
        """Open the Zenoh session, declare publishers and the ack subscriber, start the sender."""
        import zenoh

        self._session = open_session(self.config)
        k = lambda ch: keys.key(self.fleet, self.vehicle_id, ch)  # noqa: E731
        P, C = zenoh.Priority, zenoh.CongestionControl
        spec = {
            "infractions": (P.INTERACTIVE_HIGH, C.BLOCK, True),
            "heartbeat": (P.INTERACTIVE_LOW, C.DROP, False),
            "summary": (P.INTERACTIVE_LOW, C.DROP, False),
            "tracks": (P.DATA, C.DROP, False),
            "evidence": (P.DATA_LOW, C.BLOCK, False),
            "thumbs": (P.BACKGROUND, C.DROP, False),
        }
        for ch, (prio, cc, express) in spec.items():
            self._pubs[ch] = self._session.declare_publisher(k(ch), priority=prio, congestion_control=cc, express=express)
        self._sub = self._session.declare_subscriber(k("acks"), lambda s: self._acks.put(s.payload.to_bytes()))
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=f"datalink-onboard-{self.vehicle_id}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop the sender and close the session (unacked items stay in the outbox)."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        if self._session is not None:
            try:
                self._session.close()
            except Exception as exc:  # closing a dead session must not raise into the caller
                log.warning("closing Zenoh session: %s", exc)
            self._session = None
            self._pubs.clear()

    def __enter__(self) -> OnboardLink:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---- sender thread ----------------------------------------------------------------------
    def _run(self) -> None:
        next_hb = next_peer = next_poll = next_summary = next_tracks = next_thumb = 0.0
        hb_seq = 0
        while not self._stop.is_set():
            now = self._clock()
            try:
                self._drain_acks()
                if now >= next_peer:
                    next_peer = now + self.reliable.peer_poll_s
                    self._poll_peers(now)
                if self.outbox is not None and (self._outbox_dirty or now >= next_poll):
                    self._outbox_dirty = False
                    next_poll = now + self.reliable.outbox_poll_s
                    self._refresh_outbox()
                if now >= next_hb:
                    next_hb = now + self.budget.heartbeat_s
                    hb = Heartbeat(self.node_id, "onboard", time.time(), hb_seq, self.vehicle_id, self._stats.backlog,
                                   acked_total=self._stats.acked_items, retries_total=self._stats.retries)
                    hb_seq += 1
                    self._send("heartbeat", "control", encode(hb))
                if now >= next_summary and self._latest_summary is not None:
                    with self._lock:
                        summary, self._latest_summary = self._latest_summary, None
                    next_summary = now + 1.0 / max(self.budget.summary_hz, 1e-3)
                    self._send("summary", "control", encode(summary))
                self._send_infractions(now)
                if now >= next_tracks and self._latest_tracks is not None:
                    if self._send_tracks():
                        next_tracks = now + 1.0 / max(self.budget.track_max_hz, 1e-3)
                self._send_evidence(now)
                if now >= next_thumb and self._latest_thumb is not None:
                    interval = self._send_thumb()
                    if interval is not None:
                        next_thumb = now + interval
            except Exception as exc:  # the flight side must never die of a link problem
                if now - self._last_error_s >= 5.0:  # a persistent fault is logged every 5 s, not 100x/s
                    self._last_error_s = now
                    log.error("datalink onboard sender loop: %s", exc, exc_info=True)
            self._wake.wait(self._idle_wait())
            self._wake.clear()

    def _idle_wait(self) -> float:
        """How long the loop may sleep: short when something is waiting for budget."""
        busy = self._latest_tracks is not None or self._latest_thumb is not None or any(
            e.state == "stream" for e in self._evidence.values())
        return 0.01 if busy else 0.05

    def _send(self, channel: str, cls: str, payload: bytes) -> None:
        pub = self._pubs.get(channel)
        if pub is None:
            return
        pub.put(payload)
        self._sched.sent(cls, len(payload))
        with self._lock:
            self._stats.sent_msgs[channel] = self._stats.sent_msgs.get(channel, 0) + 1
            self._stats.sent_bytes[channel] = self._stats.sent_bytes.get(channel, 0) + len(payload)

    def _poll_peers(self, now: float) -> None:
        """Track connectivity; when a link (re)appears, everything unacked is due at once."""
        info = self._session.info
        n = len(list(info.peers_zid())) + len(list(info.routers_zid()))
        if n > 0 and self._stats.peers == 0:
            if self._stats.sent_msgs:
                self._stats.reconnects += 1
            for inf in self._infractions.values():
                inf.next_s = now
                inf.tries = 0
            for ev in self._evidence.values():
                ev.state, ev.deadline_s, ev.tries = "announce", now, 0
        self._stats.peers = n

    # ---- tracks / thumbnails ------------------------------------------------------------------
    def _send_tracks(self) -> bool:
        with self._lock:
            batch = self._latest_tracks
        if batch is None:
            return False
        if self._encoded[0] is not batch:  # encode each batch once, however long it waits for budget
            self._encoded = (batch, encode(batch))
        payload = self._encoded[1]
        if not self._sched.can_send("tracks", len(payload)):
            return False
        with self._lock:
            if self._latest_tracks is batch:
                self._latest_tracks = None
        self._send("tracks", "tracks", payload)
        return True

    def _send_thumb(self) -> float | None:
        spec = self._governor.choose(self._sched.spare_bps())
        if not self._sched.can_send("thumbs", int(self._governor.estimate_bytes(spec))):
            return None
        with self._lock:
            source, self._latest_thumb = self._latest_thumb, None
        thumb = source(spec) if callable(source) else source
        if thumb is None:
            return spec.min_interval_s
        try:
            payload = encode(thumb)
        except MessageError as exc:
            log.warning("thumbnail dropped: %s", exc)
            return spec.min_interval_s
        self._send("thumbs", "thumbs", payload)
        self._governor.observe(spec, thumb.width, thumb.height, len(thumb.jpeg))
        return spec.min_interval_s

    # ---- reliable items ------------------------------------------------------------------------
    def _refresh_outbox(self) -> None:
        """Load unacked items; forget the ones the outbox no longer offers."""
        assert self.outbox is not None
        pending_ids = getattr(self.outbox, "pending_ids", None)
        if pending_ids is not None:  # optional cheap path: load items only when there are new ids
            ids = set(pending_ids())
            known = self._infractions.keys() | self._evidence.keys() | self._bad
            items = list(self.outbox.pending()) if ids - known else []
        else:
            items = list(self.outbox.pending())
            ids = {it.item_id for it in items}
        now = self._clock()
        for it in items:
            if it.item_id in self._bad:
                continue
            if it.kind == "infraction" and it.item_id not in self._infractions:
                problem = _check_infraction(it)
                if problem:
                    log.error("outbox item %s not sent: %s", it.item_id, problem)
                    self._bad.add(it.item_id)
                    continue
                self._infractions[it.item_id] = _Infraction(it, next_s=now)
            elif it.kind == "evidence" and it.item_id not in self._evidence:
                announce = self._make_announce(it)
                try:
                    decode(encode(announce))  # what the ground would refuse is never sent
                except MessageError as exc:
                    log.error("outbox evidence %s not sent: %s", it.item_id, exc)
                    self._bad.add(it.item_id)
                    continue
                self._evidence[it.item_id] = _Evidence(it, announce, deadline_s=now)
            elif it.kind not in ("infraction", "evidence"):
                log.error("outbox item %s not sent: unknown kind %r", it.item_id, it.kind)
                self._bad.add(it.item_id)
        for d in (self._infractions, self._evidence):
            for gone in [i for i in d if i not in ids]:
                del d[gone]
        self._stats.backlog = len(self._infractions) + len(self._evidence) + len(self._bad & ids)

    def _make_announce(self, it: OutboxItem) -> EvidenceAnnounce:
        size = self.budget.chunk_size
        n = max(1, math.ceil(len(it.data) / size)) if it.data else 0
        return EvidenceAnnounce(it.item_id, it.infraction_id, self.vehicle_id, len(it.data), size, n,
                                hashlib.sha256(it.data).hexdigest(), it.manifest, it.created_s)

    def _backoff(self, tries: int) -> float:
        return min(self.reliable.ack_timeout_s * (2 ** min(tries, 4)), self.reliable.max_retry_s)

    def _send_infractions(self, now: float) -> None:
        for inf in list(self._infractions.values()):
            if now >= inf.next_s:
                if inf.tries:
                    self._stats.retries += 1
                self._send("infractions", "infraction", inf.item.data)
                inf.next_s = now + self._backoff(inf.tries)
                inf.tries += 1

    def _send_evidence(self, now: float) -> None:
        """Drive the oldest unfinished evidence package (one at a time keeps chunks in order)."""
        for ev in self._evidence.values():
            if ev.state in ("announce", "wait_resume", "wait_done") and now >= ev.deadline_s:
                if ev.tries:
                    self._stats.retries += 1
                self._send("evidence", "infraction", encode(ev.announce))
                ev.state = "wait_resume"
                ev.deadline_s = now + self._backoff(ev.tries)
                ev.tries += 1
        active = next((e for e in self._evidence.values() if e.state == "stream"), None)
        if active is None:
            return
        a = active.announce
        while active.cursor < a.n_chunks:
            if active.cursor in active.have:
                active.cursor += 1
                continue
            i = active.cursor
            data = active.item.data[i * a.chunk_size:(i + 1) * a.chunk_size]
            if not self._sched.can_send("evidence", len(data) + 100):
                return
            chunk = EvidenceChunk(a.evidence_id, i, data, hashlib.sha256(data).hexdigest(), self.vehicle_id)
            self._send("evidence", "evidence", encode(chunk))
            self._stats.evidence_chunks_sent += 1
            active.cursor += 1
        active.state = "wait_done"
        active.deadline_s = now + self._backoff(0)
        active.tries = 0

    def _drain_acks(self) -> None:
        while True:
            try:
                raw = self._acks.get_nowait()
            except queue.Empty:
                return
            try:
                ack = decode(raw)
            except MessageError as exc:
                log.warning("ack dropped: %s", exc)
                self._stats.bad_acks += 1
                continue
            if not isinstance(ack, Ack):
                log.warning("ack channel carried a %s: dropped", type(ack).__name__)
                self._stats.bad_acks += 1
                continue
            self._stats.acks_received += 1
            self._apply_ack(ack)

    def _apply_ack(self, ack: Ack) -> None:
        now = self._clock()
        if ack.kind in ("infraction", "evidence"):
            table = self._infractions if ack.kind == "infraction" else self._evidence
            for item_id in ack.ids:
                known = table.pop(item_id, None) is not None
                if self.outbox is not None:
                    self.outbox.mark_acked(item_id)  # idempotent; also settles a late ack after a restart
                if known:
                    self._stats.acked_items += 1
        elif ack.kind == "chunk":
            ev = self._evidence.get(ack.evidence_id)
            if ev is not None:
                ev.have = {i for i in ack.chunks if i < ev.announce.n_chunks}
                if ev.state == "wait_resume":
                    ev.state, ev.cursor, ev.tries = "stream", 0, 0
                    ev.deadline_s = now + self._backoff(0)
        elif ack.kind == "nack":
            ev = self._evidence.get(ack.evidence_id)
            if ev is not None:
                log.warning("ground rejected evidence %s (hash): re-sending", ack.evidence_id)
                ev.have.clear()
                ev.state, ev.deadline_s, ev.cursor = "announce", now, 0
        else:
            log.warning("ack of unknown kind %r ignored", ack.kind)
        self._stats.backlog = len(self._infractions) + len(self._evidence)


def _check_infraction(item: OutboxItem) -> str:
    """Why an outbox infraction cannot be sent ('' if it can): its data must decode to that infraction."""
    try:
        msg = decode(item.data)
    except MessageError as exc:
        return str(exc)
    if not isinstance(msg, InfractionEvent):
        return f"data is a {type(msg).__name__}, expected InfractionEvent"
    if msg.infraction_id != item.item_id:
        return f"data carries infraction_id {msg.infraction_id!r}"
    return ""
