"""`aeropatrol gs --sitl`: the newcomer path starts the sims vehicle as a subprocess and it flies a patrol."""
from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

from PyQt5.QtGui import QImage

from gs_helpers import assert_rendered

ROOT = Path(__file__).resolve().parents[2]


def test_gs_sitl_autostart_flies_a_patrol(tmp_path):
    shot = tmp_path / "sitl.png"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", AEROPATROL_GS_HOME=str(tmp_path / "home"), MAVLINK20="1")
    proc = subprocess.run([sys.executable, "-m", "aeropatrol", "gs", "--sitl", "--no-town",
                           "--sitl-speedup", "5", "--until-patrol", "50", "--quit-after", "150", "--json",
                           "--screenshot", str(shot)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=200)
    assert proc.returncode == 0, proc.stderr[-3000:]
    state = json.loads(proc.stdout.strip().splitlines()[-1])
    assert state["connected"] and state["armed"] and state["mode"] == "AUTO", proc.stdout[-3000:]
    names = {name: ok for name, ok, _ in state["actions"]}
    assert names == {"connect": True, "upload": True, "start_patrol": True}
    lat, lon = state["map_position"]
    home = (47.3977, 8.5456)
    dist = math.hypot((lat - home[0]) * 111_320, (lon - home[1]) * 111_320 * math.cos(math.radians(lat)))
    assert dist > 45.0  # out on the perimeter, not sitting at home (the window closed once it got there)
    assert state["trail_points"] > 5 and state["alt_rel_m"] > 20
    assert_rendered(QImage(str(shot)))
    assert "tcp:127.0.0.1:" in proc.stderr
