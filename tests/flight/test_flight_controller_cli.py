"""`aeropatrol fly` end to end against the sims vehicle, and its refusals of bad input."""
from __future__ import annotations

import json

from sims.vehicle.testing import running_vehicle

from aeropatrol.cli import main

HOME = (47.397742, 8.545594, 488.0)


def _waypoints(path) -> None:
    rows = ["QGC WPL 110", f"0\t1\t0\t16\t0\t0\t0\t0\t{HOME[0]}\t{HOME[1]}\t{HOME[2]}\t1"]
    for i, (dlat, dlon) in enumerate([(0.0004, 0.0), (0.0004, 0.0005), (0.0, 0.0005)], start=1):
        rows.append(f"{i}\t0\t3\t16\t0\t0\t0\t0\t{HOME[0] + dlat:.7f}\t{HOME[1] + dlon:.7f}\t15\t1")
    path.write_text("\n".join(rows) + "\n")


def test_fly_cli_flies_two_laps_and_reports_json(tmp_path, capsys):
    plan = tmp_path / "patrol.waypoints"
    _waypoints(plan)
    with running_vehicle("ardupilot", speedup=20) as endpoint:
        code = main(["fly", "--connect", endpoint, "--plan", str(plan), "--laps", "2", "--takeoff-alt", "15", "--json"])
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines() if x.startswith("{")]
    result = lines[-1]["result"]
    assert code == 0 and result == {"ok": True, "outcome": "completed", "phase": "disarmed", "laps_completed": 2,
                                    "reason": ""}
    events = lines[:-1]
    assert all({"time_unix", "kind", "phase", "message"} <= set(e) for e in events)
    times = [e["time_unix"] for e in events]
    assert times == sorted(times)
    phases = [e["phase"] for e in events if e["kind"] == "transition"]
    assert phases[:5] == ["connecting", "preflight", "uploading", "arming", "takeoff"]
    assert phases[-3:] == ["returning", "landing", "disarmed"]
    laps = [e["message"] for e in events if e["message"].startswith("lap ")]
    assert laps == ["lap 1 of 2 completed", "lap 2", "lap 2 of 2 completed"]
    uploaded = next(e for e in events if e["message"].startswith("mission uploaded"))
    assert uploaded["data"]["items"] == 3


def test_fly_cli_rejects_bad_input(tmp_path, capsys):
    assert main(["fly", "--connect", "tcp:nowhere", "--plan", "x.plan"]) == 2
    assert "HOST:PORT" in capsys.readouterr().err
    assert main(["fly", "--connect", "tcp:127.0.0.1:5760", "--plan", str(tmp_path / "missing.plan")]) == 2
    assert "no such file" in capsys.readouterr().err
    bad = tmp_path / "bad.waypoints"
    bad.write_text("QGC WPL 110\n0\t1\t0\t16\t0\t0\t0\t0\t47.3\t8.5\t488\t1\n1\t0\t3\t16\t0\t0\t0\t0\tnorth\t8.5\t15\t1\n")
    assert main(["fly", "--connect", "tcp:127.0.0.1:5760", "--plan", str(bad), "--json"]) == 2
    out = json.loads(capsys.readouterr().out)
    assert out["result"]["ok"] is False and "line 3" in out["result"]["reason"] and "x/lat" in out["result"]["reason"]
