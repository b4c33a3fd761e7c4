"""Review desk: list, show (audited view), decide (new -> confirmed / rejected / needs_more_info), release."""
from __future__ import annotations

from sqlalchemy import select, update

from infractions.store import audit
from infractions.store.records import InfractionRecord, _record
from infractions.store.schema import infractions, reviews
from infractions.store.users import User

#: decision -> the states it may be taken from (confirmed and rejected are final).
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "confirmed": ("new", "needs_more_info"),
    "rejected": ("new", "needs_more_info"),
    "needs_more_info": ("new", "needs_more_info"),
}


class ReviewError(ValueError):
    """A decision that the infraction's current state does not allow."""


class ReviewDesk:
    """What a reviewing officer does with infractions; every view and decision is audited."""

    def __init__(self, store) -> None:
        self.store = store

    def queue(self, user: User, *, patrol_id: str | None = None, status: str | None = None) -> list[InfractionRecord]:
        """Infractions to review (``view_evidence`` permission); the listing itself is audited."""
        user.require("view_evidence")
        records = self.store.records.list(patrol_id=patrol_id, status=status)
        with self.store.engine.begin() as conn:
            audit.append(conn, time_s=self.store.now(), actor=user.username, action="list",
                         target=f"patrol:{patrol_id}" if patrol_id else "infractions",
                         detail={"status": status, "count": len(records)})
        return records

    def show(self, user: User, infraction_id: str) -> InfractionRecord:
        """One infraction with its details; appends a ``view`` entry."""
        user.require("view_evidence")
        record = self.store.records.get(infraction_id)
        with self.store.engine.begin() as conn:
            audit.append(conn, time_s=self.store.now(), actor=user.username, action="view",
                         target=f"infraction:{infraction_id}")
        return record

    def decide(self, user: User, infraction_id: str, decision: str, note: str = "") -> InfractionRecord:
        """Record a decision with reviewer, time and note; the state change and its audit entry commit together."""
        user.require("review")
        if decision not in TRANSITIONS:
            raise ReviewError(f"decision must be one of {', '.join(TRANSITIONS)}, got {decision!r}")
        now = self.store.now()
        with self.store.engine.begin() as conn:
            row = conn.execute(select(infractions).where(infractions.c.infraction_id == infraction_id)).first()
            if row is None:
                raise KeyError(f"no infraction {infraction_id!r}")
            if row.status not in TRANSITIONS[decision]:
                raise ReviewError(f"infraction {infraction_id} is {row.status}; cannot mark it {decision}")
            conn.execute(update(infractions).where(infractions.c.infraction_id == infraction_id)
                         .values(status=decision, status_by=user.username, status_s=now, status_note=note))
            conn.execute(reviews.insert().values(infraction_id=infraction_id, decision=decision,
                                                 reviewer=user.username, time_s=now, note=note))
            audit.append(conn, time_s=now, actor=user.username, action=decision,
                         target=f"infraction:{infraction_id}", detail={"from": row.status, "note": note})
            row = conn.execute(select(infractions).where(infractions.c.infraction_id == infraction_id)).first()
        return _record(row)

    def history(self, infraction_id: str) -> list[dict]:
        """Review decisions of one infraction, oldest first."""
        with self.store.read() as conn:
            return [dict(r._mapping) for r in conn.execute(
                select(reviews).where(reviews.c.infraction_id == infraction_id).order_by(reviews.c.id))]

    def release(self, user: User, infraction_id: str, note: str = "") -> None:
        """Release confirmed evidence (case closed): the next retention purge may delete it (admin)."""
        user.require("release")
        now = self.store.now()
        with self.store.engine.begin() as conn:
            n = conn.execute(update(infractions).where(infractions.c.infraction_id == infraction_id)
                             .values(released_s=now)).rowcount
            if not n:
                raise KeyError(f"no infraction {infraction_id!r}")
            audit.append(conn, time_s=now, actor=user.username, action="release",
                         target=f"infraction:{infraction_id}", detail={"note": note})
