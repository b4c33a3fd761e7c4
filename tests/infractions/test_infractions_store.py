"""Store: outbox, users and roles, review states, append-only audit log, exports, retention purge."""
from __future__ import annotations

import csv
import json
import zipfile

import numpy as np
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError

from datalink.outbox import Outbox
from geo.zones import load_zones
from infractions.evidence import Detection, FrameRecord, build_package, verify_tree, zip_bytes
from infractions.rules import RuleEngine
from infractions.store import audit, open_store
from infractions.store.export import export_package, export_summary
from infractions.store.retention import purge, set_retention_days
from infractions.store.review import ReviewError
from infractions.store.users import AuthError, PermissionDenied
from infractions_synth import NOON_S, ORIGIN, straight, track, zones_dict

DAY = 86400.0


class Clock:
    """Settable clock so retention can be tested without waiting."""

    def __init__(self, t: float) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


def findings(n_speeders: int = 3):
    zones = load_zones(zones_dict(), frame=ORIGIN)
    engine = RuleEngine(zones, patrol_id="patrol-A", clock=lambda: NOON_S)
    out, ups = [], []
    for k in range(n_speeders):
        pts, t = straight(-400, 0, 90, 80 + k, 6, t0=NOON_S + 20 * k)
        u = track(pts, t, track_id=k + 1)
        ups += u
        out += engine.update_many(u)
    return out, ups


@pytest.fixture()
def setup(tmp_path):
    clock = Clock(NOON_S)
    store = open_store(tmp_path / "store.db", clock=clock)
    admin = store.users.add("root", "admin-pass-1", "admin")
    store.users.add("rita", "reviewer-pass", "reviewer", actor=admin)
    store.users.add("pete", "pilot-pass-1", "pilot", actor=admin)
    found, ups = findings()
    for f in found:
        assert store.records.record_infraction(f)
    yield store, clock, admin, found, ups
    store.close()


def test_store_is_a_datalink_outbox_and_acks_are_durable(setup, tmp_path):
    store, _, _, found, _ = setup
    assert isinstance(store.outbox, Outbox)
    ids = [f.event.infraction_id for f in found]
    assert [i.item_id for i in store.outbox.pending()] == ids
    assert not store.records.record_infraction(found[0])  # replay: nothing new
    store.outbox.mark_acked(ids[0])
    store.outbox.mark_acked(ids[0])  # idempotent
    store.close()
    again = open_store(tmp_path / "store.db")
    assert [i.item_id for i in again.outbox.pending()] == ids[1:] and again.outbox.backlog() == 2
    from datalink.messages import decode

    assert decode(again.outbox.pending()[0].data) == found[1].event
    again.close()


def test_store_does_not_import_opencv():
    """The ground station imports the store; cv2 would reset Qt's plugin path (see ENVIRONMENT.md)."""
    import subprocess
    import sys

    code = ("import sys, infractions.store, infractions.store.records, infractions.store.review, "
            "infractions.store.retention, infractions.store.export, infractions.store.outbox, infractions.rules; "
            "print(sorted(m for m in ('cv2', 'matplotlib', 'torch') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_users_argon2_roles_and_login_audit(setup):
    store, _, admin, _, _ = setup
    with store.engine.connect() as conn:
        hashes = [r[0] for r in conn.execute(text("SELECT password_hash FROM users"))]
    assert all(h.startswith("$argon2id$") for h in hashes)
    rita = store.users.authenticate("rita", "reviewer-pass")
    pete = store.users.authenticate("pete", "pilot-pass-1")
    assert rita.can("review") and not rita.can("fly")
    assert pete.can("fly") and not pete.can("review")
    assert admin.can("fly") and admin.can("purge")
    with pytest.raises(PermissionDenied, match="rita.*reviewer.*fly"):
        rita.require("fly")
    with pytest.raises(AuthError):
        store.users.authenticate("rita", "wrong-password")
    with pytest.raises(AuthError):
        store.users.authenticate("nobody", "whatever-1")
    with pytest.raises(PermissionDenied):
        store.users.add("eve", "password-9", "admin", actor=rita)
    with pytest.raises(PermissionDenied):
        store.users.add("eve", "password-9", "admin")  # bootstrap only while empty
    store.users.set_active("rita", False, admin)
    with pytest.raises(AuthError):
        store.users.authenticate("rita", "reviewer-pass")
    with store.engine.connect() as conn:
        actions = [(e.actor, e.action) for e in audit.entries(conn)]
    assert ("rita", "login") in actions and ("rita", "login_failed") in actions and ("nobody", "login_failed") in actions
    assert ("root", "user_disable") in actions


def test_review_flow_states_and_audit(setup):
    store, clock, _, found, _ = setup
    rita = store.users.authenticate("rita", "reviewer-pass")
    pete = store.users.authenticate("pete", "pilot-pass-1")
    a, b, c = (f.event.infraction_id for f in found)
    assert [r.status for r in store.review.queue(rita)] == ["new"] * 3
    rec = store.review.show(rita, a)
    assert rec.event == found[0].event and rec.details["profile"][0][1] == pytest.approx(80.0)
    clock.t += 60
    assert store.review.decide(rita, a, "confirmed", "clear speeding").status == "confirmed"
    store.review.decide(rita, b, "needs_more_info", "plate hidden")
    assert store.review.decide(rita, b, "rejected", "emergency vehicle").status_note == "emergency vehicle"
    with pytest.raises(ReviewError, match="is confirmed"):
        store.review.decide(rita, a, "rejected")
    with pytest.raises(ReviewError, match="decision must be"):
        store.review.decide(rita, c, "maybe")
    with pytest.raises(PermissionDenied):
        store.review.decide(pete, c, "confirmed")
    with pytest.raises(PermissionDenied):
        store.review.show(pete, c)
    hist = store.review.history(b)
    assert [(h["decision"], h["reviewer"]) for h in hist] == [("needs_more_info", "rita"), ("rejected", "rita")]
    assert store.records.get(a).status_by == "rita" and store.records.get(a).status_s == NOON_S + 60
    with store.engine.connect() as conn:
        trail = [(e.actor, e.action, e.target) for e in audit.entries(conn) if e.target.startswith("infraction:")]
        assert audit.verify_chain(conn) == []
    assert trail == [("rita", "view", f"infraction:{a}"), ("rita", "confirmed", f"infraction:{a}"),
                     ("rita", "needs_more_info", f"infraction:{b}"), ("rita", "rejected", f"infraction:{b}")]


def test_audit_log_is_append_only_and_chain_detects_tampering(setup):
    store, _, _, found, _ = setup
    rita = store.users.authenticate("rita", "reviewer-pass")
    store.review.show(rita, found[0].event.infraction_id)
    for sql in ("UPDATE audit_log SET actor = 'mallory'", "DELETE FROM audit_log"):
        with pytest.raises(DatabaseError, match="append-only"):
            with store.engine.begin() as conn:
                conn.execute(text(sql))
    with store.engine.begin() as conn:  # someone with file access drops the trigger and edits a row
        conn.execute(text("DROP TRIGGER audit_log_no_update"))
        conn.execute(text("UPDATE audit_log SET actor = 'mallory' WHERE action = 'view'"))
    with store.engine.connect() as conn:
        problems = audit.verify_chain(conn)
    assert len(problems) == 1 and "does not match its hash" in problems[0]


def test_exports_zip_with_manifest_and_summaries(setup, tmp_path):
    store, _, _, found, _ = setup
    rita = store.users.authenticate("rita", "reviewer-pass")
    f = found[0]
    frames = [FrameRecord(i, NOON_S + i * 0.2, np.full((120, 160, 3), 90, np.uint8),
                          [Detection(f.event.track_id, "car", (40, 40, 80, 70))]) for i in range(10)]
    pkg = build_package(tmp_path / "evidence", f, frames, calibration={"fx": 150.0})
    store.records.add_evidence(evidence_id=pkg.evidence_id, infraction_id=f.event.infraction_id,
                               patrol_id="patrol-A", seq=pkg.seq, path=str(pkg.path),
                               manifest_sha256=pkg.manifest_sha256, manifest=pkg.manifest)
    assert store.records.get(f.event.infraction_id).event.evidence_id == pkg.evidence_id
    items = {i.item_id: i for i in store.outbox.pending()}
    assert items[pkg.evidence_id].kind == "evidence" and items[pkg.evidence_id].data[:2] == b"PK"
    assert items[pkg.evidence_id].data == zip_bytes(pkg.path)  # deterministic zip, written once
    assert store.outbox.pending_ids() == [i.item_id for i in store.outbox.pending()]
    out = export_package(store, rita, f.event.infraction_id, tmp_path / "out" / "case.zip")
    with zipfile.ZipFile(out) as zf:
        names = zf.namelist()
        assert f"{pkg.path.name}/manifest.json" in names and f"{pkg.path.name}/clip.mp4" in names
        assert json.loads(zf.read("record.json"))["event"]["infraction_id"] == f.event.infraction_id
        zf.extractall(tmp_path / "unzipped")
    assert verify_tree(tmp_path / "unzipped" / pkg.path.name).ok
    gj = export_summary(store, rita, "patrol-A", tmp_path / "out" / "summary.geojson")
    fc = json.loads(gj.read_text())
    assert len(fc["features"]) == 3
    by_id = {feat["properties"]["infraction_id"]: feat for feat in fc["features"]}
    assert by_id[f.event.infraction_id]["geometry"]["coordinates"] == [f.event.lon, f.event.lat]
    assert by_id[f.event.infraction_id]["properties"]["evidence_id"] == pkg.evidence_id
    with open(export_summary(store, rita, "patrol-A", tmp_path / "out" / "summary.csv"), newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["kind"] for r in rows] == ["speeding"] * 3 and rows[0]["status"] == "new"
    with store.engine.connect() as conn:
        actions = [e.action for e in audit.entries(conn) if e.actor == "rita"]
    assert actions.count("export") == 1 and actions.count("export_summary") == 2


def test_retention_purges_unconfirmed_and_tracks_keeps_confirmed_until_released(setup, tmp_path):
    store, clock, admin, found, ups = setup
    rita = store.users.authenticate("rita", "reviewer-pass")
    assert store.records.add_track_points(ups, "patrol-A", min_interval_s=1.0) == 3 * 7  # 6 s runs at 1 Hz
    pkgs = []
    for f in found:
        frames = [FrameRecord(0, f.event.start_s, np.zeros((60, 80, 3), np.uint8), [])]
        p = build_package(tmp_path / "evidence", f, frames, calibration={})
        store.records.add_evidence(evidence_id=p.evidence_id, infraction_id=f.event.infraction_id,
                                   patrol_id="patrol-A", seq=p.seq, path=str(p.path),
                                   manifest_sha256=p.manifest_sha256)
        pkgs.append(p)
    a, b, c = (f.event.infraction_id for f in found)
    store.review.decide(rita, a, "confirmed")
    store.review.decide(rita, b, "rejected")
    with pytest.raises(PermissionDenied):
        purge(store, rita)
    set_retention_days(store, 7, admin)
    clock.t = NOON_S + 6 * DAY
    early = purge(store, admin)
    assert (early.infractions, early.track_points) == (0, 0)
    clock.t = NOON_S + 8 * DAY
    dry = purge(store, admin, dry_run=True)
    assert (dry.infractions, dry.track_points, dry.evidence_packages) == (2, 21, 2)
    assert len(store.records.list()) == 3
    report = purge(store, admin)
    assert (report.infractions, report.track_points, report.evidence_packages) == (2, 21, 2)
    assert [r.infraction_id for r in store.records.list()] == [a]
    assert store.records.track_points("patrol-A") == []
    assert pkgs[0].path.exists() and not pkgs[1].path.exists() and not pkgs[2].path.exists()
    assert not pkgs[1].path.with_name(pkgs[1].path.name + ".zip").exists()
    assert b not in {i.item_id for i in store.outbox.pending()}
    chain = verify_tree(tmp_path / "evidence")
    assert chain.ok and chain.purged == 2 and chain.packages == 1  # purged under retention, not tampering
    store.review.release(admin, a, "case closed")
    assert purge(store, admin).infractions == 1 and store.records.list() == []
    with store.engine.connect() as conn:
        purges = audit.entries(conn, action="purge")
    assert len(purges) == 3 and purges[1].detail["infractions"] == 2 and purges[1].actor == "root"
    assert set(purges[1].detail["infraction_ids"]) == {b, c}


def test_readers_do_not_wait_for_a_writer(tmp_path):
    """Reads use a deferred transaction (WAL snapshot): they see committed data while a write is open."""
    from infractions.store.schema import settings

    writer, reader = open_store(tmp_path / "rw.db"), open_store(tmp_path / "rw.db")
    found, _ = findings(1)
    writer.records.record_infraction(found[0])
    with writer.engine.begin() as conn:  # holds SQLite's write lock until the block ends
        conn.execute(settings.insert().values(key="pending", value="1"))
        assert [r.infraction_id for r in reader.records.list()] == [found[0].event.infraction_id]
        assert [i.item_id for i in reader.outbox.pending()] == [found[0].event.infraction_id]
    writer.close()
    reader.close()
