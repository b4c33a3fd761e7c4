"""The store as datalink's ``Outbox``: committed infractions/evidence not yet acknowledged by the ground."""
from __future__ import annotations

from pathlib import Path

from datalink.outbox import OutboxItem
from sqlalchemy import func, select, update

from infractions.evidence.archive import zip_bytes
from infractions.store.schema import outbox


class StoreOutbox:
    """Implements ``datalink.outbox.Outbox`` over the store's ``outbox`` table (acks are durable)."""

    def __init__(self, store) -> None:
        self.store = store

    def pending(self) -> list[OutboxItem]:
        """Every unacknowledged item, oldest first; an evidence item's data is its package as a deterministic zip."""
        with self.store.read() as conn:
            rows = conn.execute(select(outbox).where(outbox.c.acked_s.is_(None)).order_by(outbox.c.seq)).all()
        items = []
        for r in rows:
            data = r.data
            if data is None and r.path:
                path = Path(r.path)
                if not path.exists():
                    continue  # package purged: nothing left to send
                data = path.read_bytes() if path.is_file() else zip_bytes(path)
            items.append(OutboxItem(item_id=r.item_id, kind=r.kind, data=bytes(data or b""),
                                    infraction_id=r.infraction_id, manifest=bytes(r.manifest or b""),
                                    created_s=r.created_s))
        return items

    def pending_ids(self) -> list[str]:
        """Ids of the unacknowledged items, oldest first (cheap: lets the sender skip loading data)."""
        with self.store.read() as conn:
            return [r[0] for r in conn.execute(select(outbox.c.item_id).where(outbox.c.acked_s.is_(None))
                                               .order_by(outbox.c.seq))]

    def mark_acked(self, item_id: str) -> None:
        """Record the ground's acknowledgement (idempotent; never offered again)."""
        with self.store.engine.begin() as conn:
            conn.execute(update(outbox).where(outbox.c.item_id == item_id, outbox.c.acked_s.is_(None))
                         .values(acked_s=self.store.now()))

    def backlog(self) -> int:
        """Number of unacknowledged items (for Heartbeat.backlog)."""
        with self.store.read() as conn:
            return int(conn.execute(select(func.count()).select_from(outbox)
                                    .where(outbox.c.acked_s.is_(None))).scalar() or 0)
