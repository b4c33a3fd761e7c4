"""Reliable delivery over real Zenoh on loopback: link cut, ground restart, evidence resume, dedup."""
from __future__ import annotations

import hashlib
import os
import time
from collections import Counter

import pytest

from datalink_helpers import free_port, wait_until

from datalink import messages as m
from datalink import synthetic
from datalink.budget import BudgetConfig
from datalink.config import LinkConfig
from datalink.inbox import GroundInbox
from datalink.linkproxy import LinkProxy
from datalink.onboard import OnboardLink, ReliableConfig
from datalink.outbox import MemoryOutbox, OutboxItem, SqliteOutbox

#: length of the simulated radio outage (the issue's 30 s; DATALINK_CUT_S=3 for a quick local loop)
CUT_S = float(os.environ.get("DATALINK_CUT_S", "30"))
FAST = ReliableConfig(ack_timeout_s=0.5, max_retry_s=1.0, outbox_poll_s=0.2)


def _onboard(endpoint: str, outbox, vehicle: str = "uav1", kbps: float = 0.0, **kw) -> OnboardLink:
    return OnboardLink(LinkConfig(connect=(endpoint,)), "city", vehicle, outbox,
                       BudgetConfig(kbps=kbps, chunk_size=8192, **kw), FAST).start()


def _ids(rec_list) -> Counter:
    return Counter(x[3].infraction_id if isinstance(x[3], m.InfractionEvent) else x[3].evidence_id for x in rec_list)


def test_every_live_message_type_reaches_the_ground(start_ground) -> None:
    g = start_ground()
    link = _onboard(g.endpoint, MemoryOutbox())
    try:
        assert wait_until(lambda: g.link.peers() == 1)
        summary = m.VehicleSummary("uav1", 1.0, 45.0, 7.0, 230.0, 90.0, 12.5, "AUTO", True, 76.0)
        batch = synthetic.track_batch("uav1", 5, 1)
        thumb = synthetic.thumbnail("uav1", 1, 160, 30)
        assert wait_until(lambda: (link.publish_summary(summary), link.publish_tracks(batch),
                                   link.publish_thumbnail(thumb), time.sleep(0.2),
                                   bool(g.rec.summaries and g.rec.tracks and g.rec.thumbs and g.rec.heartbeats))[-1])
        assert g.rec.summaries[-1][1:] == ("city", "uav1", summary)
        assert g.rec.tracks[-1][3] == batch
        assert g.rec.thumbs[-1][3] == thumb
        assert g.rec.heartbeats[-1][3].role == "onboard"
    finally:
        link.stop()


@pytest.mark.slow
def test_link_cut_then_everything_arrives_exactly_once(start_ground, tmp_path) -> None:
    """A radio outage of CUT_S seconds mid-patrol: queued and in-flight items all arrive, once each."""
    g = start_ground()
    proxy = LinkProxy("127.0.0.1", g.port)
    outbox = SqliteOutbox(tmp_path / "outbox.db")
    items = synthetic.infraction_items("uav1", "p1", 6, evidence_size=40_000, seed=1)
    for it in items[:6]:
        outbox.put(it)
    link = _onboard(proxy.endpoint, outbox, kbps=800.0)
    try:
        assert wait_until(lambda: len(g.rec.infractions) >= 1)
        proxy.cut()
        for it in items[6:]:  # the patrol goes on: new infractions while the link is down
            outbox.put(it)
        link.notify_outbox()
        time.sleep(CUT_S)
        during = len(g.rec.infractions) + len(g.rec.evidence)
        proxy.restore()
        assert wait_until(lambda: not outbox.pending(), timeout_s=60)
        time.sleep(0.5)  # let any late duplicate arrive so it would be counted
    finally:
        link.stop()
        proxy.close()
    want_inf = {i.item_id for i in items if i.kind == "infraction"}
    want_ev = {i.item_id: i.data for i in items if i.kind == "evidence"}
    assert during < len(items)
    assert _ids(g.rec.infractions) == Counter(want_inf)
    assert _ids(g.rec.evidence) == Counter(set(want_ev))
    for _, _, _, rec in g.rec.evidence:
        assert rec.path.read_bytes() == want_ev[rec.evidence_id]
        assert hashlib.sha256(rec.path.read_bytes()).hexdigest() == rec.sha256
    assert g.link.inbox.infraction_count() == len(want_inf)
    assert link.stats().reconnects >= 1


def test_ground_restart_resumes_evidence_and_never_duplicates(start_ground, tmp_path) -> None:
    """The ground dies mid-evidence; on restart (same inbox) the sender resumes at the missing chunks."""
    port = free_port()
    g1 = start_ground(port=port)
    outbox = MemoryOutbox()
    items = synthetic.infraction_items("uav1", "p1", 2, evidence_size=160_000, seed=2)  # 20 chunks each
    for it in items:
        outbox.put(it)
    link = _onboard(g1.endpoint, outbox, kbps=1200.0)  # ~1.1 s per package
    try:
        first_ev = items[1].item_id
        assert wait_until(lambda: (r := g1.link.inbox.evidence(first_ev)) is not None and r.received_chunks >= 5)
        g1.link.stop()
        held = GroundInbox(g1.inbox).evidence(first_ev)
        assert held is not None and 0 < held.received_chunks < 20
        chunks_before = link.stats().evidence_chunks_sent
        g2 = start_ground(port=port, inbox=g1.inbox, rec=g1.rec)
        assert wait_until(lambda: not outbox.pending(), timeout_s=60)
        time.sleep(0.5)
        sent_after = link.stats().evidence_chunks_sent - chunks_before
    finally:
        link.stop()
    # resume: the chunks the first ground run stored were not sent again (at most the ~1 s in flight)
    assert sent_after <= 40 - held.received_chunks + 4
    assert _ids(g2.rec.infractions) == Counter(i.item_id for i in items if i.kind == "infraction")
    assert _ids(g2.rec.evidence) == Counter(i.item_id for i in items if i.kind == "evidence")
    assert g2.link.inbox.infraction_count() == 2


def test_duplicates_are_acked_but_delivered_once(start_ground, tmp_path) -> None:
    """A lost ack makes the onboard re-send; the ground re-acks, stores once, calls back once."""
    g = start_ground()
    ev = synthetic.infraction("uav1", "p1", 0)
    raw = m.encode(ev)
    for _ in range(3):
        g.link.handle("aeropatrol/city/uav1/infractions", raw)
    st = g.link.stats()
    assert (st.new_infractions, st.duplicates, st.acks_sent) == (1, 2, 3)
    assert len(g.rec.infractions) == 1
    # and after a ground restart the persisted id still deduplicates
    g.link.stop()
    g2 = start_ground(inbox=g.inbox)
    g2.link.handle("aeropatrol/city/uav1/infractions", raw)
    assert g2.link.stats().duplicates == 1 and not g2.rec.infractions


def test_corrupt_chunk_is_refused_and_package_still_verifies(start_ground) -> None:
    g = start_ground()
    data = synthetic.evidence_bytes(20_000, seed=3)
    a = m.EvidenceAnnounce("ev-9", "inf-9", "uav1", len(data), 8192, 3, hashlib.sha256(data).hexdigest())
    g.link.handle("aeropatrol/city/uav1/evidence", m.encode(a))
    parts = [data[i:i + 8192] for i in range(0, len(data), 8192)]
    bad = m.EvidenceChunk("ev-9", 0, b"Y" + parts[0][1:], hashlib.sha256(parts[0]).hexdigest())
    g.link.handle("aeropatrol/city/uav1/evidence", m.encode(bad))
    assert g.link.stats().dropped == {"chunk_bad_hash": 1}
    for i, p in enumerate(parts):
        g.link.handle("aeropatrol/city/uav1/evidence", m.encode(m.EvidenceChunk("ev-9", i, p, hashlib.sha256(p).hexdigest())))
    assert len(g.rec.evidence) == 1 and g.rec.evidence[0][3].path.read_bytes() == data


def test_outbox_protocol_reference_implementations(tmp_path) -> None:
    from datalink.outbox import Outbox

    for box in (MemoryOutbox(), SqliteOutbox(tmp_path / "o.db")):
        assert isinstance(box, Outbox)
        box.put(OutboxItem("a", "infraction", b"1"))
        box.put(OutboxItem("b", "evidence", b"22", "a", b"{}"))
        box.put(OutboxItem("a", "infraction", b"dup"))
        assert [(i.item_id, i.data) for i in box.pending()] == [("a", b"1"), ("b", b"22")]
        box.mark_acked("a")
        box.mark_acked("a")
        assert [i.item_id for i in box.pending()] == ["b"]
    reopened = SqliteOutbox(tmp_path / "o.db")
    assert [i.item_id for i in reopened.pending()] == ["b"]


def test_unsendable_outbox_items_are_logged_not_retried_forever(start_ground, caplog) -> None:
    """Garbage in the outbox is reported once and left there; good items still flow."""
    import logging

    g = start_ground()
    outbox = MemoryOutbox()
    outbox.put(OutboxItem("bad-1", "infraction", b"\x01\x02"))
    outbox.put(OutboxItem("bad-2", "infraction", m.encode(synthetic.infraction("uav1", "p", 0))))  # id mismatch
    outbox.put(OutboxItem("bad-3", "evidence", b"x" * 10, manifest=b"m" * 300_000))  # manifest too large
    outbox.put(OutboxItem("bad-4", "video", b"x"))
    good = synthetic.infraction_items("uav1", "p", 1)[0]
    outbox.put(good)
    with caplog.at_level(logging.ERROR, logger="datalink.onboard"):
        link = _onboard(g.endpoint, outbox)
        try:
            assert wait_until(lambda: len(g.rec.infractions) == 1)
            time.sleep(0.5)  # several outbox polls
            stats = link.stats()
        finally:
            link.stop()
    assert [x[3].infraction_id for x in g.rec.infractions] == [good.item_id]
    assert sorted(i.item_id for i in outbox.pending()) == ["bad-1", "bad-2", "bad-3", "bad-4"]
    assert stats.backlog == 4
    for bad in ("bad-1", "bad-2", "bad-3", "bad-4"):
        assert sum(bad in r.getMessage() for r in caplog.records) == 1
    assert g.link.stats().dropped == {}


class _BrokenOutbox:
    """An outbox whose database is unavailable for a while (locked, disk error)."""

    def __init__(self, inner: MemoryOutbox) -> None:
        self.inner = inner
        self.broken = True
        self.calls = 0

    def pending(self):
        self.calls += 1
        if self.broken:
            raise OSError("database is locked")
        return self.inner.pending()

    def mark_acked(self, item_id: str) -> None:
        self.inner.mark_acked(item_id)


def test_outbox_failure_does_not_stop_the_link(start_ground, caplog) -> None:
    """While the outbox raises, live data still flows and errors are rate-limited; then items go out."""
    import logging

    g = start_ground()
    inner = MemoryOutbox()
    inner.put(synthetic.infraction_items("uav1", "p", 1)[0])
    box = _BrokenOutbox(inner)
    with caplog.at_level(logging.ERROR, logger="datalink.onboard"):
        link = _onboard(g.endpoint, box)
        try:
            for f in range(10):
                link.notify_outbox()
                link.publish_tracks(synthetic.track_batch("uav1", 2, f))
                time.sleep(0.1)
            assert wait_until(lambda: len(g.rec.tracks) >= 1)
            errors = sum("database is locked" in r.getMessage() for r in caplog.records)
            box.broken = False
            link.notify_outbox()
            assert wait_until(lambda: len(g.rec.infractions) == 1 and not inner.pending())
        finally:
            link.stop()
    assert box.calls >= 10 and errors == 1
