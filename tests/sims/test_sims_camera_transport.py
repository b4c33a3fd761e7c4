"""Frame transport: every frame arrives, in order, with monotonic capture timestamps; the CLI serves it."""
from __future__ import annotations

import json
import math
import subprocess
import sys

import numpy as np
import pytest

from geo.camera import CameraModel
from geo.pose import GimbalAttitude, PoseSample
from sims.camera.stream import SimCamera
from sims.camera.transport import FrameReader, FrameServer
from sims.camera.wire import HEADER, WireError, encode, parse_header
from sims.traffic.scenario import TrafficScenario
from sims.traffic.sim import TrafficSim
from sims.world.ortho import render_orthophoto
from sims.world.town import TownSpec, generate_town


def test_wire_round_trip_and_errors():
    msg = encode(7, 1234.5, b"\xff\xd8jpeg")
    assert len(msg) == HEADER.size + 6 == 34
    assert parse_header(msg[:HEADER.size]) == (7, 1234.5, 6)
    with pytest.raises(WireError, match="magic"):
        parse_header(b"XXXX" + msg[4:HEADER.size])


def test_sim_camera_frames_over_tcp_monotonic():
    town = generate_town(TownSpec(seed=9, half_extent_m=120.0))
    ortho = render_orthophoto(town, res_m=0.2)
    traffic = TrafficSim(town, TrafficScenario(seed=2, vehicles=60, pedestrians=40))
    cam = SimCamera(town, ortho, traffic, CameraModel.from_hfov(320, 180, 70))
    t0 = 1_700_000_000.0
    with FrameServer("127.0.0.1", 0) as server, FrameReader("127.0.0.1", server.port, timeout_s=10) as reader:
        while server.client_count() == 0:
            pass
        sent = []
        for k in range(12):
            lat, lon, _ = town.frame.to_wgs84(k * 2.0, 0.0, 0.0)
            pose = PoseSample(t0 + k * 0.1, float(lat), float(lon), town.spec.alt_m + 50, 0, 0, 0.3,
                              GimbalAttitude.from_euler(0, math.radians(-70), 0))
            jpeg, frame = cam.capture(pose)
            assert server.publish(frame.frame_id, pose.time_s, jpeg) == 1
            sent.append((frame.frame_id, pose.time_s))
        got = [reader.read() for _ in range(12)]
    assert [(g.frame_id, g.capture_time_s) for g in got] == sent
    times = np.array([g.capture_time_s for g in got])
    assert (np.diff(times) > 0).all()
    assert got[-1].decode().shape == (180, 320, 3)
    assert traffic.t == pytest.approx(1.1)  # traffic advanced with the capture clock


def test_cli_camera_stream_monotonic():
    proc = subprocess.Popen([sys.executable, "-m", "sims.world_cli", "camera", "--port", "0", "--fps", "20",
                             "--width", "320", "--height", "180", "--half-extent", "120", "--frames", "400"],
                            stdout=subprocess.PIPE, text=True)
    try:
        hello = json.loads(proc.stdout.readline())
        host, port = hello["listening"].rsplit(":", 1)
        with FrameReader(host, int(port), timeout_s=20) as reader:
            frames = [reader.read() for _ in range(6)]
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    ids = [f.frame_id for f in frames]
    times = np.array([f.capture_time_s for f in frames])
    assert ids == list(range(ids[0], ids[0] + 6))
    assert (np.diff(times) > 0).all() and np.allclose(np.diff(times), 0.05)
    assert frames[0].decode().shape == (180, 320, 3)
