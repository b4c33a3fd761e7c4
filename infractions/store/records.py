"""Writing and reading patrols, decimated track points, infractions and evidence references.

``record_infraction`` commits the infraction and its outbox item in one transaction before it
returns: only then may the caller announce it. Ids are deterministic, so a replay after a crash
inserts nothing twice.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from datalink.messages import InfractionEvent, TrackUpdate, decode, encode
from sqlalchemy import select, update

from infractions.evidence.archive import write_zip
from infractions.store.db import insert_ignore
from infractions.store.schema import evidence, infractions, outbox, patrols, track_points


@dataclass(frozen=True)
class InfractionRecord:
    """An infraction as stored: the event, its review state and the details behind it."""

    event: InfractionEvent
    status: str
    status_by: str | None
    status_s: float | None
    status_note: str | None
    released_s: float | None
    details: dict[str, Any]

    @property
    def infraction_id(self) -> str:
        return self.event.infraction_id


def _record(row: Any) -> InfractionRecord:
    event = decode(row.event)
    assert isinstance(event, InfractionEvent)
    if row.evidence_id and not event.evidence_id:
        event.evidence_id = row.evidence_id
    return InfractionRecord(event, row.status, row.status_by, row.status_s, row.status_note, row.released_s,
                            json.loads(row.details))


class Records:
    """Patrols, tracks, infractions and evidence references of one store."""

    def __init__(self, store) -> None:
        self.store = store
        self._last_point: dict[tuple[str, str, int], float] = {}

    def add_patrol(self, patrol_id: str, *, vehicle_id: str = "", name: str = "", started_s: float | None = None,
                   zones: dict | None = None, rules: dict | None = None) -> bool:
        """Register a patrol (idempotent); zones/rules are kept as JSON so the patrol can be re-evaluated."""
        with self.store.engine.begin() as conn:
            return insert_ignore(conn, patrols, dict(
                patrol_id=patrol_id, vehicle_id=vehicle_id, name=name,
                started_s=self.store.now() if started_s is None else started_s,
                zones=json.dumps(zones) if zones is not None else None,
                rules=json.dumps(rules) if rules is not None else None))

    def end_patrol(self, patrol_id: str, ended_s: float | None = None) -> None:
        """Mark a patrol finished."""
        with self.store.engine.begin() as conn:
            conn.execute(update(patrols).where(patrols.c.patrol_id == patrol_id)
                         .values(ended_s=self.store.now() if ended_s is None else ended_s))

    def patrols(self) -> list[dict[str, Any]]:
        """All patrols, newest first."""
        with self.store.read() as conn:
            return [dict(r._mapping) for r in conn.execute(select(patrols).order_by(patrols.c.started_s.desc()))]

    def add_track_points(self, updates: list[TrackUpdate] | list[Any], patrol_id: str = "",
                         min_interval_s: float = 1.0) -> int:
        """Store track points decimated to one per ``min_interval_s`` per track; returns rows written."""
        rows = []
        for u in updates:
            pid = patrol_id or getattr(u, "patrol_id", "") or ""
            key = (pid, u.vehicle_id, int(u.track_id))
            last = self._last_point.get(key)
            if (last is not None and u.time_s - last < min_interval_s) or not all(
                    math.isfinite(v) for v in (u.time_s, u.lat, u.lon)):
                continue
            self._last_point[key] = u.time_s
            rows.append(dict(patrol_id=pid, vehicle_id=u.vehicle_id, track_id=int(u.track_id), cls=u.cls,
                             time_s=float(u.time_s), lat=float(u.lat), lon=float(u.lon), sigma_m=float(u.sigma_m),
                             speed_kmh=float(u.speed_kmh), heading_deg=float(u.heading_deg)))
        if rows:
            with self.store.engine.begin() as conn:
                conn.execute(track_points.insert(), rows)
        return len(rows)

    def track_points(self, patrol_id: str, track_id: int | None = None) -> list[dict[str, Any]]:
        """Stored (decimated) points of a patrol, optionally of one track, in time order."""
        stmt = select(track_points).where(track_points.c.patrol_id == patrol_id).order_by(track_points.c.time_s)
        if track_id is not None:
            stmt = stmt.where(track_points.c.track_id == track_id)
        with self.store.read() as conn:
            return [dict(r._mapping) for r in conn.execute(stmt)]

    def record_infraction(self, finding_or_event: Any, *, profile: list | None = None,
                          track: list | None = None) -> bool:
        """Durably store an infraction + its outbox item (one commit); True if new, False if a replay."""
        event: InfractionEvent = getattr(finding_or_event, "event", finding_or_event)
        profile = profile if profile is not None else getattr(finding_or_event, "profile", [])
        track = track if track is not None else getattr(finding_or_event, "track", [])
        data = encode(event)
        details = json.dumps({"rule_params": event.rule_params, "measurements": event.measurements,
                              "uncertainty": event.uncertainty, "profile": [list(p) for p in profile],
                              "track": [list(p) for p in track]}, default=float)
        with self.store.engine.begin() as conn:
            insert_ignore(conn, patrols, dict(patrol_id=event.patrol_id, vehicle_id=event.vehicle_id, name="",
                                              started_s=event.start_s))
            new = insert_ignore(conn, infractions, dict(
                infraction_id=event.infraction_id, patrol_id=event.patrol_id, vehicle_id=event.vehicle_id,
                rule_id=event.rule_id, rule_version=event.rule_version, kind=event.kind, track_id=event.track_id,
                cls=event.cls, lat=event.lat, lon=event.lon, sigma_m=event.sigma_m, start_s=event.start_s,
                end_s=event.end_s, confidence=event.confidence, zone_id=event.zone_id, evidence_id=event.evidence_id,
                created_s=event.created_s, summary=event.summary, event=data, details=details, status="new"))
            if new:
                insert_ignore(conn, outbox, dict(item_id=event.infraction_id, kind="infraction", data=data,
                                                 infraction_id=event.infraction_id, manifest=b"",
                                                 created_s=self.store.now()))
        return new

    def add_evidence(self, *, evidence_id: str, infraction_id: str, patrol_id: str, seq: int, path: str,
                     manifest_sha256: str, manifest: bytes = b"", queue: bool = True) -> bool:
        """Reference a written evidence package (and queue it for delivery); True if new.

        The outbox item points at ``<package>.zip``, the package's deterministic zip written here once,
        so the sender never re-zips a package when it polls the outbox.
        """
        outbox_path = path
        if queue and Path(path).is_dir():
            outbox_path = str(write_zip(path, Path(path).with_name(Path(path).name + ".zip")))
        with self.store.engine.begin() as conn:
            new = insert_ignore(conn, evidence, dict(evidence_id=evidence_id, infraction_id=infraction_id,
                                                     patrol_id=patrol_id, seq=seq, path=path,
                                                     manifest_sha256=manifest_sha256, created_s=self.store.now()))
            if new:
                conn.execute(update(infractions).where(infractions.c.infraction_id == infraction_id)
                             .values(evidence_id=evidence_id))
                if queue:
                    insert_ignore(conn, outbox, dict(item_id=evidence_id, kind="evidence", data=None, path=outbox_path,
                                                     infraction_id=infraction_id, manifest=manifest,
                                                     created_s=self.store.now()))
        return new

    def evidence_for(self, infraction_id: str) -> list[dict[str, Any]]:
        """Evidence references of one infraction."""
        with self.store.read() as conn:
            return [dict(r._mapping) for r in conn.execute(
                select(evidence).where(evidence.c.infraction_id == infraction_id).order_by(evidence.c.seq))]

    def get(self, infraction_id: str) -> InfractionRecord:
        """One infraction (``KeyError`` naming it when absent). Not audited: use ``ReviewDesk.show`` for people."""
        with self.store.read() as conn:
            row = conn.execute(select(infractions).where(infractions.c.infraction_id == infraction_id)).first()
        if row is None:
            raise KeyError(f"no infraction {infraction_id!r}")
        return _record(row)

    def list(self, *, patrol_id: str | None = None, status: str | None = None, kind: str | None = None,
             limit: int | None = None) -> list[InfractionRecord]:
        """Infractions, oldest first, optionally filtered."""
        stmt = select(infractions).order_by(infractions.c.created_s, infractions.c.infraction_id)
        for col, value in ((infractions.c.patrol_id, patrol_id), (infractions.c.status, status),
                           (infractions.c.kind, kind)):
            if value is not None:
                stmt = stmt.where(col == value)
        if limit is not None:
            stmt = stmt.limit(limit)
        with self.store.read() as conn:
            return [_record(r) for r in conn.execute(stmt)]
