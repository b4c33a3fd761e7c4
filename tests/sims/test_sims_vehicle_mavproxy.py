"""MAVProxy (an independent GCS) against the simulated ArduPilot vehicle: sees mode and arming, flies a `wp load` mission."""
from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path

from sims.vehicle.testing import running_vehicle

HOME = (47.397742, 8.545594, 488.0)
MAVPROXY = Path(sys.executable).with_name("mavproxy.py")


def write_wpl(path: Path) -> int:
    """A QGC WPL 110 file: home, takeoff to 15 m, a 40 m triangle, RTL. Returns the item count."""
    d_lat, d_lon = 40 / 111_190.0, 40 / 75_300.0
    rows = [
        (0, 1, 0, 16, 0, 0, 0, 0, HOME[0], HOME[1], HOME[2]),
        (1, 0, 3, 22, 0, 0, 0, 0, 0, 0, 15),
        (2, 0, 3, 16, 0, 2, 0, 0, HOME[0] + d_lat, HOME[1], 15),
        (3, 0, 3, 16, 0, 2, 0, 0, HOME[0] + d_lat, HOME[1] + d_lon, 15),
        (4, 0, 3, 20, 0, 0, 0, 0, 0, 0, 0),
    ]
    lines = ["QGC WPL 110"] + ["\t".join(str(v) for v in row) + "\t1" for row in rows]
    path.write_text("\n".join(lines) + "\n")
    return len(rows)


class MavProxy:
    """mavproxy.py as a child process fed on stdin; its output lines are collected by a reader thread."""

    def __init__(self, endpoint: str, workdir: Path) -> None:
        env = dict(os.environ, MAVLINK20="1")
        self.proc = subprocess.Popen(
            [str(MAVPROXY), f"--master={endpoint}", f"--state-basedir={workdir}", "--nowait",
             "--default-modules=wp,mode,arm,param,cmdlong,misc,rally,fence,log"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1,
            cwd=workdir, env=env)
        self.lines: queue.Queue[str] = queue.Queue()
        self.log: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.put(line)

    def send(self, command: str) -> None:
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()

    def expect(self, text: str, timeout: float = 20.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.1)
            except queue.Empty:
                continue
            self.log.append(line)
            if text in line:
                return line
        raise AssertionError(f"MAVProxy never printed {text!r}; last lines:\n{''.join(self.log[-25:])}")

    def stop(self) -> None:
        try:
            self.send("exit")
            self.proc.stdin.close()
            self.proc.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            self.proc.kill()
            self.proc.wait(timeout=5)


def test_mavproxy_flies_wp_loaded_mission(tmp_path: Path) -> None:
    wpl = tmp_path / "patrol.txt"
    count = write_wpl(wpl)
    with running_vehicle(speedup=8.0, params={"RTL_LOIT_TIME": 1000}, with_vehicle=True) as (endpoint, vehicle):
        mp = MavProxy(endpoint, tmp_path)
        try:
            mp.expect("online system 1")
            mp.expect("STABILIZE>")
            mp.expect("Received 4", timeout=30)  # parameter download done (44 parameters)
            mp.send(f"wp load {wpl}")
            mp.expect(f"Sent all {count} waypoints")
            # MAVProxy prints that when it has SENT the last item; the vehicle stores the mission when it
            # has RECEIVED it, a moment later on a busy machine.
            deadline = time.monotonic() + 10
            while not vehicle.store.items[0] and time.monotonic() < deadline:
                time.sleep(0.05)
            assert [it.command for it in vehicle.store.items[0]] == [16, 22, 16, 16, 20]
            mp.send("mode guided")
            mp.expect("GUIDED>")
            mp.send("arm throttle")
            mp.expect("ARMED")
            mp.send("takeoff 10")
            mp.expect("Got COMMAND_ACK: NAV_TAKEOFF: ACCEPTED")
            deadline = time.monotonic() + 20
            while vehicle.true_pose().alt_amsl_m < HOME[2] + 9 and time.monotonic() < deadline:
                time.sleep(0.1)
            mp.send("mode auto")
            mp.expect("AUTO>")
            mp.expect("Reached command #3", timeout=40)
            mp.expect("DISARMED", timeout=60)
            pose = vehicle.true_pose()
            assert not pose.armed and abs(pose.alt_amsl_m - HOME[2]) < 0.5
            assert abs(pose.lat - HOME[0]) * 111_190 < 3.0
        finally:
            mp.stop()
