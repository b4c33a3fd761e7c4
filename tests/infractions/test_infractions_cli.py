"""`aeropatrol review ...` end to end on a real SQLite store: users, list, show, decide, export, verify, purge."""
from __future__ import annotations

import json

import numpy as np
import pytest

from aeropatrol.cli import main
from geo.zones import load_zones
from infractions.evidence import FrameRecord, build_package
from infractions.rules import RuleEngine
from infractions.store import open_store
from infractions_synth import NOON_S, ORIGIN, straight, track, zones_dict


@pytest.fixture()
def db(tmp_path, monkeypatch):
    path = tmp_path / "ground.db"
    monkeypatch.setenv("AEROPATROL_NEW_PASSWORD", "admin-secret")
    assert main(["review", "user-add", "boss", "--role", "admin", "--db", str(path)]) == 0
    monkeypatch.setenv("AEROPATROL_PASSWORD", "admin-secret")
    monkeypatch.setenv("AEROPATROL_NEW_PASSWORD", "review-secret")
    assert main(["review", "user-add", "rita", "--role", "reviewer", "--as-user", "boss", "--db", str(path)]) == 0
    zones = load_zones(zones_dict(), frame=ORIGIN)
    engine = RuleEngine(zones, patrol_id="P7", clock=lambda: NOON_S)
    store = open_store(path, clock=lambda: NOON_S)
    for k in range(2):
        pts, t = straight(-400, 0, 90, 85, 6, t0=NOON_S + 30 * k)
        for f in engine.update_many(track(pts, t, track_id=k + 1)):
            store.records.record_infraction(f)
            pkg = build_package(tmp_path / "evidence", f, [FrameRecord(0, f.event.start_s, np.zeros((48, 64, 3),
                                                                                                  np.uint8))], calibration={})
            store.records.add_evidence(evidence_id=pkg.evidence_id, infraction_id=f.event.infraction_id,
                                       patrol_id="P7", seq=pkg.seq, path=str(pkg.path),
                                       manifest_sha256=pkg.manifest_sha256)
    store.close()
    monkeypatch.setenv("AEROPATROL_PASSWORD", "review-secret")
    return path


def test_review_cli_flow(db, tmp_path, capsys, monkeypatch):
    base = ["--db", str(db), "--user", "rita"]
    assert main(["review", "list", *base, "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["status"] for r in rows] == ["new", "new"] and rows[0]["kind"] == "speeding"
    first, second = rows[0]["infraction_id"], rows[1]["infraction_id"]
    assert main(["review", "show", first, *base]) == 0
    assert "speed_mean_kmh" in capsys.readouterr().out
    assert main(["review", "confirm", first, *base, "--note", "clear"]) == 0
    assert main(["review", "needs-info", second, *base]) == 0
    assert main(["review", "reject", second, *base, "--note", "ambulance"]) == 0
    assert main(["review", "confirm", second, *base]) == 1  # rejected is final
    assert "cannot mark it confirmed" in capsys.readouterr().err
    capsys.readouterr()
    assert main(["review", "list", *base, "--status", "confirmed", "--json"]) == 0
    assert [r["infraction_id"] for r in json.loads(capsys.readouterr().out)] == [first]
    assert main(["review", "export", first, *base, "--out", str(tmp_path / "case.zip")]) == 0
    assert main(["review", "export", *base, "--patrol", "P7", "--out", str(tmp_path / "p7.csv")]) == 0
    assert (tmp_path / "p7.csv").read_text().count("\n") == 3
    capsys.readouterr()
    assert main(["review", "verify", *base, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] and report["packages"] == 2 and report["patrols"] == 1


def test_review_cli_permissions_and_bad_login(db, capsys, monkeypatch):
    assert main(["review", "purge", "--db", str(db), "--user", "rita"]) == 1
    assert "may not purge" in capsys.readouterr().err
    monkeypatch.setenv("AEROPATROL_PASSWORD", "wrong")
    assert main(["review", "list", "--db", str(db), "--user", "rita"]) == 1
    assert "wrong password" in capsys.readouterr().err
    monkeypatch.setenv("AEROPATROL_PASSWORD", "admin-secret")
    assert main(["review", "purge", "--db", str(db), "--user", "boss", "--retention-days", "1",
                 "--now", str(NOON_S + 2 * 86400), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["infractions"] == 2 and out["evidence_packages"] == 2
    assert main(["review", "audit", "--db", str(db), "--user", "boss", "--json"]) == 0
    actions = [e["action"] for e in json.loads(capsys.readouterr().out)]
    assert actions[:2] == ["user_add", "login"] and "purge" in actions and "login_failed" in actions


def test_review_verify_catches_a_replaced_package_and_a_truncated_chain(db, capsys):
    import shutil

    from infractions.evidence import verify_tree

    base = ["--db", str(db), "--user", "rita", "--json"]
    store = open_store(db)
    refs = [store.records.evidence_for(r.infraction_id)[0] for r in store.records.list()]
    store.close()
    last = max(refs, key=lambda r: r["seq"])
    patrol = __import__("pathlib").Path(last["path"]).parent
    # someone with file access removes the newest package and rewrites the chain head to match
    shutil.rmtree(last["path"])
    prev = next(r for r in refs if r["seq"] == last["seq"] - 1)
    from infractions.evidence.integrity import manifest_sha256, write_head

    write_head(patrol, prev["seq"], prev["evidence_id"], manifest_sha256(__import__("pathlib").Path(prev["path"])))
    assert verify_tree(patrol).ok  # the files alone no longer show it (no signing key was used) ...
    assert main(["review", "verify", *base]) == 1  # ... the store's references do
    report = json.loads(capsys.readouterr().out)
    assert any("referenced but missing" in p for p in report["problems"])
