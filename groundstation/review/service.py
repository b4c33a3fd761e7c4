"""The review desk as the ground station uses it: one logged-in user over ``infractions``' store.

Every list, view, decision and export goes through ``infractions.store`` (``ReviewDesk`` and the
audit log), so the audit trail is the store's, not the UI's. Filters the store does not offer
(zone, time window) are applied to the audited listing.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

STATUSES = ("new", "confirmed", "rejected", "needs_more_info")
DECISIONS = ("confirmed", "rejected", "needs_more_info")


def open_store(path: str | Path):
    """Open (creating if needed) the infractions store at ``path`` through ``infractions.store``."""
    from infractions.store import open_store as _open

    return _open(path)


@dataclass(frozen=True)
class Filters:
    """Queue filters: status, kind, zone id, and a time window (unix seconds) over the infraction start."""

    status: str | None = None
    kind: str | None = None
    zone_id: str | None = None
    since_s: float | None = None
    until_s: float | None = None

    def match(self, record) -> bool:
        ev = record.event
        return ((self.kind is None or ev.kind == self.kind)
                and (self.zone_id is None or ev.zone_id == self.zone_id)
                and (self.since_s is None or ev.start_s >= self.since_s)
                and (self.until_s is None or ev.start_s <= self.until_s))


class ReviewService:
    """What the Review panel may do for the logged-in ``user`` (an ``infractions.store.users.User``)."""

    def __init__(self, store, user) -> None:
        from infractions.store.review import ReviewDesk

        self.store = store
        self.user = user
        self.desk = ReviewDesk(store)

    def queue(self, filters: Filters = Filters()) -> list:
        """Infraction records matching ``filters`` (the listing is audited by the desk)."""
        records = self.desk.queue(self.user, status=filters.status)
        return [r for r in records if filters.match(r)]

    def show(self, infraction_id: str):
        """One record; appends a ``view`` audit entry."""
        return self.desk.show(self.user, infraction_id)

    def decide(self, infraction_id: str, decision: str, note: str = ""):
        """confirmed / rejected / needs_more_info with a note (audited, state machine enforced by the store)."""
        return self.desk.decide(self.user, infraction_id, decision, note)

    def history(self, infraction_id: str) -> list[dict]:
        return self.desk.history(infraction_id)

    def audit(self, infraction_id: str) -> list:
        """Audit entries of one infraction, oldest first (``infractions.store.audit.AuditEntry``)."""
        from infractions.store import audit

        with self.store.engine.connect() as conn:
            return audit.entries(conn, target=f"infraction:{infraction_id}")

    def evidence_dir(self, infraction_id: str) -> Path | None:
        """Directory of the infraction's evidence package, if one is stored and present on disk."""
        for ref in self.store.records.evidence_for(infraction_id):
            p = Path(ref["path"])
            if p.is_dir():
                return p
            if p.is_file():
                return p.parent
        return None

    def export(self, infraction_id: str, out_dir: str | Path) -> Path:
        """Export the evidence package as a zip (``export`` permission); appends an ``export`` audit entry."""
        from infractions.store.export import export_package

        out = Path(out_dir) / f"evidence_{infraction_id}.zip"
        return export_package(self.store, self.user, infraction_id, out)
