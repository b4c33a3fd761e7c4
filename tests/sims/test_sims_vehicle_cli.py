"""`aeropatrol sim vehicle` as a process: prints its endpoints, serves several vehicles, exits cleanly on SIGTERM/SIGINT."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from sims_vehicle_gcs import Gcs


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(tmp_path: Path, *args: str) -> tuple[subprocess.Popen, dict]:
    env = dict(os.environ, MAVLINK20="1")
    proc = subprocess.Popen([sys.executable, "-m", "aeropatrol.cli", "sim", "vehicle", "--tcp", "0", "--json",
                             "--state-dir", str(tmp_path), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env)
    line = proc.stdout.readline()
    assert line, proc.stderr.read()
    return proc, json.loads(line)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_cli_serves_several_vehicles_and_stops_on_signal(tmp_path: Path, sig: signal.Signals) -> None:
    udp_port = free_udp_port()
    proc, info = start(tmp_path, "--count", "2", "--sysid", "3", "--speedup", "5", "--gps-lock", "1",
                       "--home", "48.1,11.5,520,90", "--udp-out", f"127.0.0.1:{udp_port}")
    try:
        vehicles = info["vehicles"]
        assert [v["sysid"] for v in vehicles] == [3, 4]
        assert vehicles[0]["endpoints"][1] == f"udp:127.0.0.1:{udp_port}"
        assert vehicles[1]["endpoints"][1] == f"udp:127.0.0.1:{udp_port + 10}"
        for v in vehicles:
            gcs = Gcs(v["endpoints"][0])
            try:
                assert gcs.wait_heartbeat().get_srcSystem() == v["sysid"]
                gcs.request_streams(4)
                pos = gcs.recv("GLOBAL_POSITION_INT", 5.0)
                assert abs(pos.lat / 1e7 - 48.1) < 0.001 and abs(pos.alt / 1000 - 520) < 5 and abs(pos.hdg - 9000) < 50
            finally:
                gcs.close()
        udp = Gcs(f"udpin:127.0.0.1:{udp_port}")  # a GCS listening where the vehicle sends, as with ArduPilot SITL
        try:
            assert udp.wait_heartbeat().get_srcSystem() == 3
        finally:
            udp.close()
    finally:
        proc.send_signal(sig)
        rc = proc.wait(timeout=10)
    assert rc == 0, proc.stderr.read()


def test_cli_rejects_bad_arguments(tmp_path: Path) -> None:
    env = dict(os.environ, MAVLINK20="1")
    bad = subprocess.run([sys.executable, "-m", "aeropatrol.cli", "sim", "vehicle", "--home", "95,8,400"],
                         capture_output=True, text=True, env=env, timeout=60)
    assert bad.returncode == 2 and "--home" in bad.stderr
    bad = subprocess.run([sys.executable, "-m", "aeropatrol.cli", "sim", "vehicle", "--tcp", "0", "--loss", "150",
                          "--state-dir", str(tmp_path)], capture_output=True, text=True, env=env, timeout=60)
    assert bad.returncode == 2 and "loss_pct" in bad.stderr
