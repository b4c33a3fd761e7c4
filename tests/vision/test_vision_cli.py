"""`aeropatrol detect` and `aeropatrol vision score` through the real command parser."""
from __future__ import annotations

import json

from aeropatrol.cli import main


def test_detect_json_on_bus(assets, capsys, tmp_path, torch_detector, monkeypatch):
    import vision.detector

    seen = []
    # the session's loaded model stands in for the load (one YOLO load per test session)
    monkeypatch.setattr(vision.detector, "make_detector", lambda config: seen.append(config) or torch_detector)
    out = tmp_path / "bus_boxes.jpg"
    assert main(["detect", str(assets / "bus.jpg"), "--model", "yolov8n.pt", "--json", "--save", str(out)]) == 0
    record = json.loads(capsys.readouterr().out)
    names = [d["cls"] for d in record["detections"]]
    assert "bus" in names and names.count("person") >= 3
    assert out.stat().st_size > 10_000
    assert seen[0].model == "yolov8n.pt" and seen[0].backend == "auto"


def test_detect_errors_are_clear(capsys, tmp_path):
    assert main(["detect", str(tmp_path / "x.jpg"), "--model", str(tmp_path / "missing.pt")]) == 2
    assert "missing.pt" in capsys.readouterr().err


def test_vision_score_synthetic_writes_reports(capsys, tmp_path):
    code = main(["vision", "score", "--synthetic", "--seconds", "12", "--out", str(tmp_path), "--json"])
    report = json.loads(capsys.readouterr().out)
    assert code == (0 if all(t["met"] for t in report["targets"].values()) else 1)
    assert report["geo_median_m"] < 1.0 and report["tracking"]["idf1"] > 0.8
    assert (tmp_path / "vision_score.md").is_file() and (tmp_path / "vision_score.json").is_file()


def test_vision_score_bad_gt(capsys, tmp_path):
    bad = tmp_path / "gt.jsonl"
    bad.write_text('{"frame_id": 1}\n')
    tracks = tmp_path / "t.jsonl"
    tracks.write_text("")
    assert main(["vision", "score", "--gt", str(bad), "--tracks", str(tracks)]) == 2
    assert "gt.jsonl:1" in capsys.readouterr().err
