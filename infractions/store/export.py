"""Exports (audited): an infraction's evidence as a zip with its manifest, a patrol summary as GeoJSON/CSV."""
from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path

from infractions.evidence.archive import zip_bytes
from infractions.store import audit
from infractions.store.users import User

SUMMARY_FIELDS = ("infraction_id", "patrol_id", "vehicle_id", "kind", "rule_id", "rule_version", "track_id", "cls",
                  "lat", "lon", "sigma_m", "start_s", "end_s", "confidence", "zone_id", "status", "status_by",
                  "evidence_id", "summary")


def export_package(store, user: User, infraction_id: str, out_path: str | Path) -> Path:
    """Zip of the infraction's evidence package(s) (manifests included) plus ``record.json``; audited."""
    user.require("export")
    record = store.records.get(infraction_id)
    refs = store.records.evidence_for(infraction_id)
    out = Path(out_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    reviews = store.review.history(infraction_id)
    import msgspec

    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("record.json", json.dumps({"event": msgspec.structs.asdict(record.event), "status": record.status,
                                               "status_by": record.status_by, "status_note": record.status_note,
                                               "reviews": reviews}, indent=1, default=float))
        for ref in refs:
            pkg = Path(ref["path"])
            if not pkg.exists():
                raise FileNotFoundError(f"evidence package {pkg} of infraction {infraction_id} is missing")
            with zipfile.ZipFile(io.BytesIO(zip_bytes(pkg))) as inner:
                for name in inner.namelist():
                    zf.writestr(name, inner.read(name))
    with store.engine.begin() as conn:
        audit.append(conn, time_s=store.now(), actor=user.username, action="export",
                     target=f"infraction:{infraction_id}", detail={"path": str(out), "packages": len(refs)})
    return out


def summary_rows(store, patrol_id: str) -> list[dict]:
    """One flat row per infraction of a patrol."""
    rows = []
    for rec in store.records.list(patrol_id=patrol_id):
        e = rec.event
        row = {f: getattr(e, f, None) for f in SUMMARY_FIELDS}
        row.update(status=rec.status, status_by=rec.status_by or "")
        rows.append(row)
    return rows


def export_summary(store, user: User, patrol_id: str, out_path: str | Path, fmt: str | None = None) -> Path:
    """Patrol summary as GeoJSON (points) or CSV, chosen by ``fmt`` or the file suffix; audited."""
    user.require("export")
    out = Path(out_path)
    fmt = (fmt or out.suffix.lstrip(".")).lower()
    rows = summary_rows(store, patrol_id)
    out.parent.mkdir(parents=True, exist_ok=True)
    if fmt in ("geojson", "json"):
        features = [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [r["lon"], r["lat"]]},
                     "properties": {k: v for k, v in r.items() if k not in ("lat", "lon")}} for r in rows]
        out.write_text(json.dumps({"type": "FeatureCollection", "features": features}, indent=1))
    elif fmt == "csv":
        with open(out, "w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(SUMMARY_FIELDS))
            writer.writeheader()
            writer.writerows(rows)
    else:
        raise ValueError(f"summary format must be geojson or csv, got {fmt!r}")
    with store.engine.begin() as conn:
        audit.append(conn, time_s=store.now(), actor=user.username, action="export_summary",
                     target=f"patrol:{patrol_id}", detail={"path": str(out), "format": fmt, "count": len(rows)})
    return out
