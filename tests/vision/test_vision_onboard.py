"""The companion wiring end to end: telemetry over a real UDP MAVLink link, a video file, YOLO, track updates."""
from __future__ import annotations

import socket
import threading
import time

import cv2
import numpy as np
from pymavlink import mavutil

from vision.onboard import run_onboard
from vision.pipeline import OnboardConfig


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def autopilot(port: int, stop: threading.Event, received: list) -> None:
    """A tiny autopilot: heartbeat, SYSTEM_TIME, position and attitude at 50 Hz, through pymavlink."""
    conn = mavutil.mavlink_connection(f"udpout:127.0.0.1:{port}", source_system=1, source_component=1)
    boot = time.time() - 100.0
    k = 0
    while not stop.is_set():
        now = time.time()
        ms = int((now - boot) * 1000)
        if k % 50 == 0:
            conn.mav.heartbeat_send(mavutil.mavlink.MAV_TYPE_QUADROTOR, mavutil.mavlink.MAV_AUTOPILOT_ARDUPILOTMEGA, 0, 0, 4)
            conn.mav.system_time_send(int(now * 1e6), ms)
        conn.mav.global_position_int_send(ms, 470000000, 80000000, 480000, 80000, 0, 0, 0, 0)
        conn.mav.attitude_send(ms, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
        while (msg := conn.recv_match(blocking=False)) is not None:
            if msg.get_type() == "TIMESYNC" and msg.tc1 == 0:  # answer the companion's clock probe
                conn.mav.timesync_send(int((time.time() - boot) * 1e9), msg.ts1)
            if msg.get_type() != "BAD_DATA":
                received.append(msg.get_type())
        k += 1
        time.sleep(0.02)
    conn.close()


def test_run_onboard_with_udp_telemetry_and_video(tmp_path, zidane, torch_detector, caplog):
    import logging

    caplog.set_level(logging.INFO, logger="vision.pose")
    video = tmp_path / "cam.avi"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"MJPG"), 10.0, (1280, 720))
    for k in range(12):
        writer.write(np.roll(zidane, 3 * k, axis=1))
    writer.release()
    port = free_udp_port()
    stop, received = threading.Event(), []
    sender = threading.Thread(target=autopilot, args=(port, stop, received), daemon=True)
    sender.start()
    time.sleep(0.3)
    updates: list = []
    try:
        stats = run_onboard(OnboardConfig(hfov_deg=70.0, pose_wait_s=0.5), f"udpin:127.0.0.1:{port}", str(video),
                            track_log=str(tmp_path / "tracks.jsonl"), on_update=updates.extend, status=False,
                            detector=torch_detector, realtime=True, timesync_period_s=0.2)
    finally:
        stop.set()
        sender.join(timeout=5)
    assert stats.frames >= 3 and stats.frames + stats.dropped == 12  # a busy CPU drops frames, never queues them
    assert stats.no_pose <= 2
    assert updates and {u.cls for u in updates} == {"person"}
    u = updates[-1]
    assert abs(u.lat - 47.0) < 0.001 and abs(u.lon - 8.0) < 0.002  # nadir camera 80 m above (47, 8)
    assert 0 < u.sigma_m < 5
    assert (tmp_path / "tracks.jsonl").read_text().count("\n") == len(updates)
    assert "HEARTBEAT" not in received  # read-only companion: never a GCS heartbeat
    assert set(received) <= {"TIMESYNC"}  # and nothing but clock probes
    assert "clock sync (timesync)" in caplog.text and "rtt" in caplog.text  # the measured offset, logged
