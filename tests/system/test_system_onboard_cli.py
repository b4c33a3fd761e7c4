"""`aeropatrol onboard` against the sims vehicle (real TCP MAVLink) with a video file as the camera."""
from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np

from aeropatrol.cli import main

REPO = Path(__file__).resolve().parents[2]


def test_onboard_cli_runs_and_stores(tmp_path, capsys):
    from sims.vehicle.testing import running_vehicle
    from sims.world.town import TownSpec, generate_town
    from sims.world.zones import write_zones

    town = generate_town(TownSpec(seed=3, half_extent_m=150.0))
    zones = write_zones(town, tmp_path / "zones.geojson")
    video = tmp_path / "cam.mp4"
    out = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"mp4v"), 5.0, (320, 180))
    rng = np.random.default_rng(0)
    for _ in range(8):
        out.write(rng.integers(0, 255, (180, 320, 3), dtype=np.uint8))
    out.release()
    with running_vehicle(speedup=5.0, home=(town.spec.lat, town.spec.lon, town.spec.alt_m)) as endpoint:
        code = main(["onboard", "--connect", endpoint, "--camera", str(video), "--zones", str(zones),
                     "--store", str(tmp_path / "onboard.db"), "--evidence", str(tmp_path / "ev"),
                     "--tracks-log", str(tmp_path / "tracks.jsonl"), "--max-frames", "6", "--no-status"])
    assert code == 0
    err = capsys.readouterr().err
    import re

    done = re.search(r"onboard: (\d+) frames, 0 infractions", err)  # a live camera drops frames it cannot keep up with
    assert done and 1 <= int(done.group(1)) <= 6, err
    assert (tmp_path / "onboard.db").exists()


def test_onboard_cli_bad_inputs(tmp_path, capsys):
    assert main(["onboard", "--connect", "tcp:127.0.0.1:1", "--camera", str(tmp_path / "none.mp4"),
                 "--zones", "z.geojson"]) == 2
    assert "--camera" in capsys.readouterr().err
