"""The onboard pipeline end to end on the synthetic scene, its messages, logs, privacy blur and CLI."""
from __future__ import annotations

import json
import math

import numpy as np
import pytest

from datalink.messages import TrackUpdate, decode, encode
from vision.evaluate import load_tracks_log, run_synthetic
from vision.outputs import StatusLine, TrackLog
from vision.privacy import blur_people
from vision.scoring import markdown, score, write_report


@pytest.fixture(scope="module")
def synthetic_run():
    return run_synthetic(seconds=24.0, seed=11)


def test_synthetic_scene_meets_the_targets(synthetic_run, tmp_path):
    gt, preds = synthetic_run
    report = score(gt, preds, "synthetic")
    assert report["geo_median_m"] < 1.0
    assert report["geo_p95_m"] < 2.0
    assert report["speed_mae_kmh"] < 3.0 and report["speed_samples"] > 300
    assert report["tracking"]["idf1"] > 0.85
    assert report["tracking"]["mota"] > 0.85
    j, m = write_report(report, tmp_path)
    assert json.loads(j.read_text())["targets"]["idf1"]["met"] is True
    assert "| IDF1 |" in m.read_text()


def test_lost_ground_tracks_keep_ids_through_the_pan_away(synthetic_run):
    from vision.tracking.ground import GroundConfig

    kept = score(*synthetic_run)["tracking"]  # ground association, lost tracks kept 8 s
    forgetful = score(*run_synthetic(seconds=24.0, seed=11, ground=GroundConfig(max_lost_s=0.5)))["tracking"]
    assert kept["idf1"] > forgetful["idf1"] + 0.05, (kept["idf1"], forgetful["idf1"])
    assert kept["num_switches"] < forgetful["num_switches"]


def test_image_tracker_ids_are_reassociated_on_the_ground():
    from vision.tracking.ground import GroundConfig

    with_ra = score(*run_synthetic(seconds=24.0, seed=11, tracker="bytetrack"))["tracking"]
    without = score(*run_synthetic(seconds=24.0, seed=11, tracker="bytetrack", ground=GroundConfig(gate_chi2=0.0)))["tracking"]
    assert with_ra["idf1"] > without["idf1"] + 0.02
    assert with_ra["num_switches"] < without["num_switches"]


def test_track_updates_are_datalink_messages(synthetic_run):
    _, preds = synthetic_run
    updates = [u for p in preds for u in p.updates]
    u = updates[-1]
    assert isinstance(u, TrackUpdate) and u.cls == "car"
    assert decode(encode(u)) == u
    assert 0.0 <= u.confidence <= 1.0 and u.sigma_m > 0 and u.speed_sigma_kmh > 0
    assert u.first_seen_s <= u.last_seen_s == u.time_s
    assert u.speed_kmh == pytest.approx(math.hypot(u.vel_e_mps, u.vel_n_mps) * 3.6)
    assert u.heading_deg == pytest.approx(math.degrees(math.atan2(u.vel_e_mps, u.vel_n_mps)) % 360)


def test_tracks_log_jsonl_and_geojson(synthetic_run, tmp_path):
    gt, preds = synthetic_run
    updates = [p.updates for p in preds]
    with TrackLog(tmp_path / "tracks.jsonl") as jl, TrackLog(tmp_path / "tracks.geojson") as gj:
        for ups in updates:
            jl.write(ups)
            gj.write(ups)
    back = load_tracks_log(tmp_path / "tracks.jsonl")
    assert sum(len(p.updates) for p in back) == sum(len(u) for u in updates)
    assert back[5].updates[0] == next(p for p in preds if p.frame_id == back[5].frame_id).updates[0]
    fc = json.loads((tmp_path / "tracks.geojson").read_text())
    ids = {u.track_id for ups in updates for u in ups}
    assert fc["type"] == "FeatureCollection" and len(fc["features"]) == len(ids)
    line = next(f for f in fc["features"] if f["geometry"]["type"] == "LineString")
    assert abs(line["geometry"]["coordinates"][0][1] - 47.0) < 0.01  # [lon, lat] order


def test_status_line_reports_fps_latency_tracks():
    import io

    out = io.StringIO()
    status = StatusLine(out, every_s=0.0)
    line = status.update(0.120, tracks=7, dropped=3)
    assert "latency    120 ms" in line and "tracks   7" in line and "dropped 3" in line


def test_blur_people_only_inside_person_boxes(zidane, torch_detector):
    dets = torch_detector.detect(zidane)
    people = dets.xyxy[np.array(dets.names) == "person"]
    out = blur_people(zidane, dets)
    assert out is not zidane and not np.shares_memory(out, zidane)
    x1, y1, x2, y2 = people[0].astype(int)
    inside_before = zidane[y1:y2, x1:x2].astype(float)
    inside_after = out[y1:y2, x1:x2].astype(float)
    # detail (high-frequency energy) inside the person box is destroyed
    lap = lambda a: np.abs(np.diff(a, axis=0)).mean()  # noqa: E731
    assert lap(inside_after) < 0.3 * lap(inside_before)
    mask = np.ones(zidane.shape[:2], bool)
    for b in people:
        bx1, by1, bx2, by2 = b.astype(int)
        w, h = bx2 - bx1, by2 - by1
        mask[max(0, by1 - h // 4):by2 + h // 4, max(0, bx1 - w // 4):bx2 + w // 4] = False
    assert mask.any() and (out[mask] == zidane[mask]).all()  # nothing else touched


def test_score_markdown_lists_targets(synthetic_run):
    gt, preds = synthetic_run
    md = markdown(score(gt, preds, "x"))
    for label in ("car AP50", "IDF1", "geolocation median", "speed MAE"):
        assert label in md


def test_bad_frames_are_skipped_not_fatal(caplog):
    from vision.evaluate import _NoModel
    from vision.pipeline import OnboardConfig, OnboardPipeline
    from vision.sources import Frame
    from vision.tracking.image import ImageTrackerConfig

    class Empty(_NoModel):
        def detect(self, frame):
            from vision.detections import Detections

            return Detections()

    pipe = OnboardPipeline(OnboardConfig(ground_alt_m=0.0, tracker=ImageTrackerConfig(kind="bytetrack")), detector=Empty())
    frames = [Frame(np.zeros((0, 0, 3), np.uint8), 1.0, 0), Frame(None, 2.0, 1),
              Frame(np.zeros((72, 128, 3), np.uint8), float("nan"), 2), Frame(np.zeros((72, 128, 3), np.uint8), 3.0, 3)]
    stats = pipe.run(frames, warmup=False)
    assert stats.errors == 3 and stats.frames == 1 and stats.no_pose == 1
    assert "frame 1 skipped" in caplog.text and "uint8 BGR" in caplog.text
