"""Verifying a store: its audit hash chain, and every referenced evidence package against the chain on disk
and against the manifest hash the store recorded (which catches a package replaced or a chain
truncated and re-headed by someone with write access to the files but not to the database)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select

from infractions.evidence.integrity import VerifyReport, manifest_sha256, verify_patrol
from infractions.store import audit
from infractions.store.schema import evidence
from infractions.store.users import User


def verify_store(store, user: User, trusted: Any = None) -> VerifyReport:
    """Audit chain + evidence packages + recorded manifest hashes; audited as ``verify``."""
    user.require("view_evidence")
    report = VerifyReport()
    with store.read() as conn:
        report.problems.extend(audit.verify_chain(conn))
        refs = [dict(r._mapping) for r in conn.execute(select(evidence).order_by(evidence.c.patrol_id,
                                                                                   evidence.c.seq))]
    for pdir in sorted({str(Path(r["path"]).parent) for r in refs}):
        if Path(pdir).is_dir():
            verify_patrol(Path(pdir), report, trusted)
        else:
            report.problems.append(f"{pdir}: patrol evidence directory missing")
    for ref in refs:
        path = Path(ref["path"])
        if not (path / "manifest.json").exists():
            if path.parent.is_dir():
                report.problems.append(f"{path}: evidence {ref['evidence_id']} of infraction "
                                       f"{ref['infraction_id']} is referenced but missing")
            continue
        if manifest_sha256(path) != ref["manifest_sha256"]:
            report.problems.append(f"{path}: manifest differs from the one recorded in the store (replaced)")
    with store.engine.begin() as conn:
        audit.append(conn, time_s=store.now(), actor=user.username, action="verify", target="store",
                     detail={"ok": report.ok, "problems": len(report.problems), "packages": report.packages})
    return report
