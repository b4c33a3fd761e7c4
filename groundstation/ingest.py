"""Files what the data link delivered into the ground's infractions store, so the review queue shows it.

Called on the data link's worker thread (never the UI thread). Infractions are recorded through
``infractions.store`` (idempotent: a replay is a no-op); a complete evidence package (the onboard
deterministic zip) is unpacked under ``evidence_root/<patrol_id>/<seq>_<evidence_id>/`` — member names
checked, nothing written outside — and referenced in the store without queueing it for sending.
"""
from __future__ import annotations

import json
import logging
import shutil
import zipfile
from pathlib import Path, PurePosixPath

log = logging.getLogger(__name__)


class EvidenceUnpackError(ValueError):
    """An evidence zip that cannot be unpacked safely (names the file and the member)."""


def unpack_package(zip_path: Path, dest_parent: Path) -> Path:
    """Unpack a one-directory package zip under ``dest_parent``; returns the package directory."""
    with zipfile.ZipFile(zip_path) as zf:
        names = zf.namelist()
        tops = {PurePosixPath(n).parts[0] for n in names if n}
        for n in names:
            p = PurePosixPath(n)
            if p.is_absolute() or ".." in p.parts or len(p.parts) < 2:
                raise EvidenceUnpackError(f"{zip_path}: unsafe or unexpected member {n!r}")
        if len(tops) != 1:
            raise EvidenceUnpackError(f"{zip_path}: expected one package directory, found {sorted(tops)}")
        top = tops.pop()
        final = dest_parent / top
        if (final / "manifest.json").is_file():
            return final  # already unpacked (replay)
        tmp = dest_parent / f".unpack-{top}"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        for n in names:
            rel = PurePosixPath(n).relative_to(top)
            target = tmp.joinpath(*rel.parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(zf.read(n))
        shutil.rmtree(final, ignore_errors=True)
        tmp.rename(final)
        return final


class StoreIngest:
    """Sink for ``DatalinkBridge``: infractions and completed evidence into an ``infractions.store.Store``."""

    def __init__(self, store, evidence_root: str | Path) -> None:
        self.store = store
        self.evidence_root = Path(evidence_root)

    def infraction(self, event) -> bool:
        """Record a received ``InfractionEvent``; True when new."""
        return bool(self.store.records.record_infraction(event, profile=[], track=[]))

    def evidence(self, record) -> Path | None:
        """Unpack and reference a complete ``datalink.inbox.EvidenceRecord``; None when not complete."""
        from infractions.evidence.integrity import manifest_sha256

        if not record.complete or record.path is None:
            return None
        try:
            header = json.loads(record.manifest or b"{}")
        except ValueError:
            header = {}
        patrol = str(header.get("patrol_id") or "no-patrol")
        try:
            package = unpack_package(Path(record.path), self.evidence_root / patrol)
        except (zipfile.BadZipFile, EvidenceUnpackError, OSError) as exc:
            log.error("evidence %s not filed: %s", record.evidence_id, exc)
            return None
        self.store.records.add_evidence(
            evidence_id=record.evidence_id, infraction_id=record.infraction_id, patrol_id=patrol,
            seq=int(header.get("seq", 0)), path=str(package), manifest_sha256=manifest_sha256(package),
            manifest=bytes(record.manifest or b""), queue=False)
        return package
