"""Retention: after the deployment's period, purge non-confirmed infractions and all track points.

Confirmed infractions (and their evidence) stay until an admin releases them; released ones go at
the next purge. Evidence directories are removed with a tombstone in the patrol's chain (so
``evidence verify`` reports them as purged, not as tampered), and the purge is audited.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

from sqlalchemy import and_, delete, or_, select

from infractions.evidence.integrity import purge_package
from infractions.store import audit
from infractions.store.schema import evidence, infractions, outbox, reviews, settings, track_points
from infractions.store.users import User

DEFAULT_RETENTION_DAYS = 30.0


@dataclass(frozen=True)
class PurgeReport:
    """What a purge removed (or would remove, on a dry run)."""

    cutoff_s: float
    retention_days: float
    infractions: int
    track_points: int
    evidence_packages: int
    dry_run: bool


def get_retention_days(store) -> float:
    """The deployment's retention period in days (default 30)."""
    with store.read() as conn:
        value = conn.execute(select(settings.c.value).where(settings.c.key == "retention_days")).scalar()
    return float(value) if value is not None else DEFAULT_RETENTION_DAYS


def set_retention_days(store, days: float, user: User) -> None:
    """Set the retention period (admin, audited)."""
    user.require("configure")
    if not days > 0:
        raise ValueError(f"retention_days must be > 0, got {days!r}")
    with store.engine.begin() as conn:
        old = conn.execute(select(settings.c.value).where(settings.c.key == "retention_days")).scalar()
        if old is None:
            conn.execute(settings.insert().values(key="retention_days", value=repr(float(days))))
        else:
            conn.execute(settings.update().where(settings.c.key == "retention_days").values(value=repr(float(days))))
        audit.append(conn, time_s=store.now(), actor=user.username, action="set_retention", target="settings",
                     detail={"from": old, "to": float(days)})


def purge(store, user: User, *, now_s: float | None = None, dry_run: bool = False) -> PurgeReport:
    """Delete what the retention period no longer allows to keep; returns counts; audited (also dry runs)."""
    user.require("purge")
    now = store.now() if now_s is None else now_s
    days = get_retention_days(store)
    cutoff = now - days * 86400.0
    doomed = or_(and_(infractions.c.status != "confirmed", infractions.c.created_s < cutoff),
                 infractions.c.released_s.is_not(None))
    with store.read() as conn:
        ids = [r[0] for r in conn.execute(select(infractions.c.infraction_id).where(doomed))]
        packages = [(r.evidence_id, r.path) for r in conn.execute(
            select(evidence.c.evidence_id, evidence.c.path).where(evidence.c.infraction_id.in_(ids)))] if ids else []
        n_points = len(conn.execute(select(track_points.c.id).where(track_points.c.time_s < cutoff)).all())
    report = PurgeReport(cutoff, days, len(ids), n_points, len(packages), dry_run)
    if not dry_run:
        for _eid, path in packages:  # files first: a crash here leaves rows that the next purge removes
            if Path(path).exists():
                purge_package(Path(path), reason=f"retention purge by {user.username}", time_s=now)
    with store.engine.begin() as conn:
        if not dry_run:
            if ids:
                eids = [e for e, _ in packages]
                conn.execute(delete(outbox).where(or_(outbox.c.item_id.in_(ids), outbox.c.item_id.in_(eids))))
                conn.execute(delete(evidence).where(evidence.c.infraction_id.in_(ids)))
                conn.execute(delete(reviews).where(reviews.c.infraction_id.in_(ids)))
                conn.execute(delete(infractions).where(infractions.c.infraction_id.in_(ids)))
            conn.execute(delete(track_points).where(track_points.c.time_s < cutoff))
        audit.append(conn, time_s=now, actor=user.username, action="purge_dry_run" if dry_run else "purge",
                     target="retention", detail={**asdict(report), "infraction_ids": ids})
    return report
