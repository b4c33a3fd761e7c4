"""Evidence packages: contents, bystander blurring, privacy masking, hash chain, signatures, CLI verify."""
from __future__ import annotations

import json
import shutil
from dataclasses import replace

import cv2
import numpy as np
import pytest

from aeropatrol.cli import main as cli_main
from geo.camera import CameraModel
from geo.pose import PoseSample
from geo.zones import load_zones
from infractions.evidence import (Detection, FrameRecord, blur_boxes, build_package, generate_keypair,
                                  load_public_key, privacy_polygons_for_pose, sanitize, verify_tree)
from infractions.rules import RuleEngine
from infractions_synth import NOON_S, ORIGIN, straight, track, zones_dict

W, H = 320, 240
SUBJECT = 1
BYSTANDERS = [(2, (20.0, 20.0, 60.0, 110.0)), (3, (290.0, 150.0, 340.0, 260.0)), (None, (200.0, 30.0, 230.0, 90.0))]


def texture(seed: int = 0) -> np.ndarray:
    """High-frequency image: blurring it is measurable as a drop in local variance."""
    return np.random.default_rng(seed).integers(0, 256, (H, W, 3), dtype=np.uint8)


def detail(img: np.ndarray, box) -> float:
    x0, y0, x1, y1 = (int(max(0, v)) for v in box)
    roi = cv2.cvtColor(img[y0:min(y1, H), x0:min(x1, W)], cv2.COLOR_BGR2GRAY)
    return float(cv2.Laplacian(roi, cv2.CV_64F).var())


def detections(i: int = 0) -> list[Detection]:
    return [Detection(SUBJECT, "person", (120.0 + i, 60.0, 160.0 + i, 150.0)),
            Detection(9, "car", (170.0, 160.0, 250.0, 210.0)),
            *[Detection(t, "person", b) for t, b in BYSTANDERS]]


@pytest.fixture(scope="module")
def findings():
    zones = load_zones(zones_dict(), frame=ORIGIN)
    engine = RuleEngine(zones, patrol_id="patrol-E", clock=lambda: NOON_S)
    out = []
    for k in range(4):
        pts, t = straight(-290, 60 + 5 * k, 45, 3, 6, hz=2, t0=NOON_S + 100 * k)  # separate people
        out += engine.update_many(track(pts, t, cls="person", track_id=SUBJECT + 10 * k))
    assert len(out) == 4
    return out


def frames_for(finding, n: int = 12, privacy=()) -> list[FrameRecord]:
    frames = []
    for i in range(n):
        dets = [Detection(finding.event.track_id if d.track_id == SUBJECT else d.track_id, d.cls, d.bbox_xyxy)
                for d in detections(i)]
        frames.append(FrameRecord(i, finding.event.start_s + 0.5 * i, texture(i), dets,
                                  {"lat": 48.85, "lon": 2.35, "alt_amsl_m": 100.0, "gimbal_pitch_deg": -90.0},
                                  list(privacy)))
    return frames


def test_blur_covers_every_non_subject_person_box():
    img = texture()
    clean = sanitize(img, detections(), SUBJECT)
    for _, box in BYSTANDERS:
        assert detail(clean, box) < 0.05 * detail(img, box), f"bystander {box} still sharp"
    subject_box = detections()[0].bbox_xyxy
    car_box = detections()[1].bbox_xyxy
    x0, y0, x1, y1 = (int(v) for v in subject_box)
    assert np.array_equal(clean[y0:y1, x0:x1], img[y0:y1, x0:x1])  # the subject stays as recorded
    x0, y0, x1, y1 = (int(v) for v in car_box)
    assert np.array_equal(clean[y0:y1, x0:x1], img[y0:y1, x0:x1])
    assert np.array_equal(img, texture())  # input untouched


def test_blur_boxes_handles_tiny_degenerate_and_outside_boxes():
    img = texture(1)
    out = blur_boxes(img, [(5, 5, 7, 9), (50, 50, 50, 80), (-40, -40, -10, -10), (float("nan"), 0, 5, 5)])
    assert out.shape == img.shape and np.array_equal(out[100:, 100:], img[100:, 100:])


def test_package_contents_and_imagery_sanitised(findings, tmp_path):
    f = findings[0]
    privacy = [np.array([[250.0, 0.0], [320.0, 0.0], [320.0, 60.0], [250.0, 60.0]])]
    pkg = build_package(tmp_path, f, frames_for(f, privacy=privacy), calibration={"fx": 300.0, "fy": 300.0},
                        versions={"detector": "yolov8n-coco"})
    names = sorted(p.name for p in pkg.path.iterdir())
    for required in ("manifest.json", "clip.mp4", "crop.jpg", "track_map.png", "speed_profile.png", "telemetry.json",
                     "calibration.json", "infraction.json", "versions.json"):
        assert required in names
    keyframes = [n for n in names if n.startswith("keyframe_")]
    assert keyframes
    cap = cv2.VideoCapture(str(pkg.path / "clip.mp4"))
    n_frames = 0
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        n_frames += 1
        for _, box in BYSTANDERS:
            assert detail(frame, box) < 0.15 * detail(texture(), box)
        assert frame[16:48, 272:312].mean() < 12  # privacy zone masked in every stored frame (lossy codec)
    cap.release()
    assert n_frames == 12
    key = cv2.imread(str(pkg.path / keyframes[0]))
    assert key.shape == (H, W, 3) and key[8:52, 258:318].mean() < 8
    for _, box in BYSTANDERS:
        assert detail(key, box) < 0.15 * detail(texture(), box)
    info = json.loads((pkg.path / "infraction.json").read_text())
    assert info["rule"]["id"] == "restricted_area" and info["event"]["infraction_id"] == f.event.infraction_id
    assert json.loads((pkg.path / "versions.json").read_text())["detector"] == "yolov8n-coco"
    tele = json.loads((pkg.path / "telemetry.json").read_text())
    assert len(tele) == 12 and tele[3]["subject_bbox_xyxy"] == [123.0, 60.0, 163.0, 150.0]
    assert cv2.imread(str(pkg.path / "speed_profile.png")).shape[0] > 100
    again = build_package(tmp_path, f, frames_for(f), calibration={})  # idempotent
    assert again.path == pkg.path and again.manifest_sha256 == pkg.manifest_sha256


def test_privacy_zone_projected_from_pose_is_masked():
    zones = load_zones(zones_dict(), frame=ORIGIN)
    lat, lon, _ = ORIGIN.to_wgs84(325.0, 75.0, 0.0)  # above the privacy square (300..350, 50..100)
    camera = CameraModel.from_hfov(W, H, 90.0)
    pose = PoseSample(NOON_S, float(lat), float(lon), 100.0, 0.0, 0.0, 0.0)
    polys = privacy_polygons_for_pose(zones, pose, camera, ground_alt_m=0.0)
    assert len(polys) == 1
    poly = polys[0]
    # 50 m square from 100 m with f = 160 px: 80 px wide, centred in the image
    assert poly[:, 0].min() == pytest.approx(W / 2 - 40, abs=2) and poly[:, 0].max() == pytest.approx(W / 2 + 40, abs=2)
    assert poly[:, 1].min() == pytest.approx(H / 2 - 40, abs=2) and poly[:, 1].max() == pytest.approx(H / 2 + 40, abs=2)
    clean = sanitize(texture(), [], None, polys)
    assert clean[H // 2 - 35:H // 2 + 35, W // 2 - 35:W // 2 + 35].max() == 0
    assert detail(clean, (0, 0, 60, 60)) == detail(texture(), (0, 0, 60, 60))
    far = PoseSample(NOON_S, float(ORIGIN.lat), float(ORIGIN.lon), 100.0, 0.0, 0.0, 0.0)
    assert all(p[:, 0].min() > W for p in privacy_polygons_for_pose(zones, far, camera))  # off to the side


@pytest.fixture(scope="module")
def built_chain(findings, tmp_path_factory):
    root = tmp_path_factory.mktemp("chain")
    pkgs = [build_package(root, f, frames_for(f, n=4), calibration={}) for f in findings]
    assert [p.seq for p in pkgs] == [0, 1, 2, 3]
    return root, pkgs


@pytest.fixture()
def chain(built_chain, tmp_path):
    """A private copy of a four-package patrol chain (built once per module)."""
    root, pkgs = built_chain
    shutil.copytree(root, tmp_path / "copy")
    patrol = tmp_path / "copy" / "patrol-E"
    return patrol, [replace(p, path=patrol / p.path.name) for p in pkgs]


def test_chain_links_each_manifest_to_the_previous(chain):
    patrol, pkgs = chain
    manifests = [json.loads((p.path / "manifest.json").read_text()) for p in pkgs]
    assert manifests[0]["prev_manifest_sha256"] == "0" * 64
    for prev, cur in zip(pkgs, manifests[1:]):
        assert cur["prev_manifest_sha256"] == prev.manifest_sha256
    report = verify_tree(patrol)
    assert report.ok and report.packages == 4


def test_chain_detects_modified_file(chain):
    patrol, pkgs = chain
    with open(pkgs[1].path / "crop.jpg", "r+b") as fh:
        fh.seek(200)
        fh.write(b"\x00\x01\x02")
    report = verify_tree(patrol)
    assert not report.ok and any("crop.jpg was modified" in p for p in report.problems)


def test_chain_detects_deleted_package_in_middle_and_at_end(chain):
    patrol, pkgs = chain
    shutil.rmtree(pkgs[2].path)
    report = verify_tree(patrol)
    assert any("seq 2 is missing" in p for p in report.problems)
    shutil.rmtree(pkgs[3].path)
    shutil.rmtree(pkgs[2].path, ignore_errors=True)
    report = verify_tree(patrol)
    assert any("chain head says last seq 3" in p or "seq 3 is missing" in p for p in report.problems)


def test_chain_detects_rewritten_manifest_and_added_file(chain):
    patrol, pkgs = chain
    (pkgs[0].path / "extra.txt").write_text("planted")
    m = json.loads((pkgs[1].path / "manifest.json").read_text())
    m["created_s"] += 1  # consistent-looking manifest, but the chain link to it breaks
    (pkgs[1].path / "manifest.json").write_text(json.dumps(m, sort_keys=True, indent=1) + "\n")
    report = verify_tree(patrol)
    assert any("extra.txt is not in the manifest" in p for p in report.problems)
    assert any(pkgs[2].path.name in p and "chain broken" in p for p in report.problems)


def test_leftover_temporary_dir_from_a_crash_is_ignored(findings, tmp_path):
    f = findings[0]
    (tmp_path / "patrol-E" / ".tmp-crashed").mkdir(parents=True)
    (tmp_path / "patrol-E" / ".tmp-crashed" / "half.jpg").write_bytes(b"\xff\xd8")
    pkg = build_package(tmp_path, f, frames_for(f, n=3), calibration={})
    assert pkg.seq == 0 and verify_tree(tmp_path / "patrol-E").ok


def test_ed25519_signatures(findings, tmp_path):
    key_dir = tmp_path / "keys"
    key_dir.mkdir()
    generate_keypair(key_dir / "k.pem", key_dir / "k.pub")
    generate_keypair(key_dir / "other.pem", key_dir / "other.pub")
    from infractions.evidence import load_private_key

    key = load_private_key(key_dir / "k.pem")
    root = tmp_path / "ev"
    pkgs = [build_package(root, f, frames_for(f, n=3), calibration={}, signing_key=key) for f in findings[:2]]
    patrol = root / "patrol-E"
    good = verify_tree(patrol, load_public_key(key_dir / "k.pub"))
    assert good.ok and good.signed == 2
    wrong = verify_tree(patrol, load_public_key(key_dir / "other.pub"))
    assert not wrong.ok and any("signature does not verify" in p for p in wrong.problems)
    data = (pkgs[0].path / "manifest.json").read_text().replace('"kind": "restricted_area"', '"kind": "speeding"')
    (pkgs[0].path / "manifest.json").write_text(data)
    bad = verify_tree(patrol, load_public_key(key_dir / "k.pub"))
    assert any(pkgs[0].path.name in p and "signature does not verify" in p for p in bad.problems)


def test_cli_evidence_verify_exit_codes(chain, capsys):
    patrol, pkgs = chain
    assert cli_main(["evidence", "verify", str(patrol.parent), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["ok"] and out["packages"] == 4
    shutil.rmtree(pkgs[1].path)
    assert cli_main(["evidence", "verify", str(patrol)]) == 1
    assert "seq 1 is missing" in capsys.readouterr().out
