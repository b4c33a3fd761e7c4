"""Video overlays drawn from data (not burned in), endpoint history, track table, and `aeropatrol gs` itself."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
from PyQt5.QtCore import QBuffer, QByteArray, QIODevice
from PyQt5.QtGui import QColor, QImage

from datalink.messages import Thumbnail, ThumbBox, TrackUpdate, decode, encode
from groundstation.app import AppConfig, MainWindow
from groundstation.fly.endpoints import EndpointHistory
from groundstation.model.tracks import TrackTable

from gs_helpers import image_stats, png_bytes

ROOT = Path(__file__).resolve().parents[2]


def _jpeg(w: int, h: int) -> bytes:
    img = QImage(w, h, QImage.Format_RGB32)
    img.fill(QColor(90, 110, 100))  # a plain frame: no box colour anywhere in the picture itself
    data = QByteArray()
    buf = QBuffer(data)
    buf.open(QIODevice.WriteOnly)
    img.save(buf, "JPG", 90)
    return bytes(data)


def _track(i: int, speed: float) -> TrackUpdate:
    return TrackUpdate("uav1", i, "car", 0.9, 1000.0, 47.39 + i * 1e-4, 8.54, 400.0, 1.5, 5.0, 0.0, speed, 1.0,
                       90.0, 990.0, 1000.0, 77, (0.0, 0.0, 1.0, 1.0))


def test_gs_video_boxes_are_drawn_from_data(qtbot, screenshot):
    thumb = Thumbnail(vehicle_id="uav1", frame_id=77, time_s=1_700_000_000.0, width=640, height=360,
                      jpeg=_jpeg(320, 180), boxes=[ThumbBox(5, "car", (100.0, 80.0, 300.0, 200.0)),
                                                   ThumbBox(9, "person", (400.0, 100.0, 440.0, 220.0))])
    thumb = decode(encode(thumb))  # exactly what arrives over the data link
    window = MainWindow(AppConfig(), confirm=lambda t, x: True)
    qtbot.addWidget(window)
    window.resize(1400, 800)
    window.show()
    window.tabs.setCurrentWidget(window.video_tab)
    window.on_tracks("uav1", [_track(5, 63.0)])
    window.on_thumbnail("uav1", thumb)
    video = window.video
    assert video.frames == 1
    assert [b.label for b in video.boxes] == ["#5 car 63 km/h", "#9 person"]
    # boxes scaled from the 640x360 frame to the 320x180 JPEG
    assert (video.boxes[0].x0, video.boxes[0].y1) == (50.0, 100.0)
    img = screenshot(video, "video_overlay", min_colours=10)
    arr = image_stats(QImage(str(img)))["array"]
    blue = (np.abs(arr[..., 0].astype(int) - 0x1E) < 20) & (np.abs(arr[..., 1].astype(int) - 0x88) < 20) & (arr[..., 2] > 200)
    assert blue.sum() > 200  # the car box outline + label, in the car colour
    source = QImage.fromData(thumb.jpeg)
    src = image_stats(source)["array"]
    src_blue = (src[..., 2] > 200) & (src[..., 0] < 60)
    assert src_blue.sum() == 0  # nothing is burned into the frame itself
    video.show_thumbnail(Thumbnail(vehicle_id="uav1", frame_id=78, time_s=1.0, width=10, height=10, jpeg=b"garbage"))
    assert video.frames == 1 and "undecodable" in video.caption  # the last good frame stays


def test_gs_direct_stream_plays_in_video_tab(qtbot, tmp_path):
    from groundstation.qtenv import import_cv2

    cv2 = import_cv2()
    path = tmp_path / "stream.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10.0, (160, 120))
    for k in range(12):
        frame = np.full((120, 160, 3), (40, 20 * k % 255, 200), np.uint8)
        writer.write(frame)
    writer.release()
    window = MainWindow(AppConfig(), confirm=lambda t, x: True)
    qtbot.addWidget(window)
    tab = window.video_tab
    tab.url.setText(str(path))
    tab.toggle()
    qtbot.waitUntil(lambda: window.video.frames >= 12 and tab.source is None, timeout=10000)
    assert window.video.image.width() == 160 and "stream ended" in window.video.caption
    tab.url.setText(str(tmp_path / "missing.avi"))
    tab.toggle()
    qtbot.waitUntil(lambda: tab.source is None, timeout=10000)
    assert "cannot open" in window.video.caption
    window.close()


def test_gs_track_table_batches_and_expires():
    table = TrackTable(ttl_s=2.0)
    table.update([_track(i, 30.0 + i) for i in range(500)], now=10.0)
    table.update([_track(3, 99.0)], now=11.5)
    c = table.columns()
    assert len(c.ids) == 500 and c.speed_kmh[list(c.ids).index(3)] == 99.0
    assert table.expire(now=12.5) == 499 and len(table) == 1


def test_gs_endpoint_history_persists(tmp_path):
    path = tmp_path / "ep.json"
    h = EndpointHistory(path, limit=3)
    for ep in ("tcp:127.0.0.1:5760", "udpin:0.0.0.0:14550", "tcp:10.0.0.2:5760", "tcp:127.0.0.1:5760"):
        h.add(ep)
    again = EndpointHistory(path, limit=3)
    assert again.items == ["tcp:127.0.0.1:5760", "tcp:10.0.0.2:5760", "udpin:0.0.0.0:14550"]
    assert json.loads(path.read_text())["endpoints"][0] == "tcp:127.0.0.1:5760"
    path.write_text("{not json")
    assert EndpointHistory(path).items == []  # a corrupt file starts empty, never crashes


def _run_gs(args: list[str], tmp_path: Path, timeout: float = 90.0,
            extra_env: dict | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", AEROPATROL_GS_HOME=str(tmp_path / "home"), MAVLINK20="1",
               **(extra_env or {}))
    return subprocess.run([sys.executable, "-m", "aeropatrol", "gs", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)


def test_gs_cli_starts_headless_with_mbtiles_and_takes_a_screenshot(tmp_path):
    from groundstation.map import mercator
    from groundstation.map.tiles import write_mbtiles

    
    z = 15
    tx, ty = mercator.lonlat_to_tile(47.3977, 8.5456, z)
    mb = write_mbtiles(tmp_path / "t.mbtiles", {(z, tx + dx, ty + dy): png_bytes("#7cb342") for dx in range(-3, 4)
                                               for dy in range(-3, 4)})
    shot = tmp_path / "gs.png"
    proc = _run_gs(["--mbtiles", str(mb), "--center", "47.3977,8.5456,15", "--quit-after", "2",
                    "--screenshot", str(shot)], tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    img = QImage(str(shot))
    assert img.width() >= 1000
    assert img.pixelColor(300, 400).name() == "#7cb342"  # the MBTiles tile is on the map
    assert "torch" not in proc.stderr


def test_gs_cli_errors_and_no_vision_import(qtbot, tmp_path, capsys):
    code, _, err = _gs_in_process(["--mbtiles", str(tmp_path / "missing.mbtiles")], capsys)
    assert code == 2 and "missing.mbtiles" in err
    code, _, err = _gs_in_process(["--center", "north"], capsys)
    assert code == 2 and "--center" in err
    (tmp_path / "zones.geojson").write_text('{"type": "FeatureCollection", "features": [{"type": "Feature"}]}')
    code, _, err = _gs_in_process(["--zones", str(tmp_path / "zones.geojson")], capsys)
    assert code == 2 and "zones.geojson" in err
    code = ("import sys, groundstation.app, groundstation.cli, groundstation.datalink_bridge;"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('vision', 'torch', 'sims', 'ultralytics')))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60,
                         env=dict(os.environ, QT_QPA_PLATFORM="offscreen"))
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def _gs_in_process(argv: list[str], capsys) -> tuple[int, str, str]:
    """Run the ``gs`` command's handler in this process (the real parser and handler, no interpreter start-up)."""
    import argparse

    from groundstation.cli import register

    parser = argparse.ArgumentParser(prog="aeropatrol")
    register(parser.add_subparsers())
    args = parser.parse_args(["gs", *argv])
    code = args.func(args)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_gs_cli_login_against_store(qtbot, tmp_path, monkeypatch, capsys):
    from gs_seed import PASSWORDS, seed_store

    store, events = seed_store(tmp_path / "store.sqlite", tmp_path / "evidence", n_with_evidence=0)
    store.close()
    db = str(tmp_path / "store.sqlite")
    monkeypatch.setenv("AEROPATROL_PASSWORD", "not-the-password")
    code, _, err = _gs_in_process(["--db", db, "--user", "rita", "--quit-after", "0.2"], capsys)
    assert code == 3 and "login failed" in err
    monkeypatch.setenv("AEROPATROL_PASSWORD", PASSWORDS["rita"])
    code, out, err = _gs_in_process(["--db", db, "--user", "rita", "--quit-after", "0.5", "--json"], capsys)
    assert code == 0, err
    state = json.loads(out.strip().splitlines()[-1])
    assert state["user"] == "rita" and state["role"] == "reviewer"
    assert state["fly_enabled"] is False and state["review_queue"] == len(events)
    monkeypatch.setenv("AEROPATROL_PASSWORD", PASSWORDS["paul"])
    code, out, _ = _gs_in_process(["--db", db, "--user", "paul", "--quit-after", "0.5", "--json"], capsys)
    state = json.loads(out.strip().splitlines()[-1])
    assert code == 0 and state["role"] == "pilot" and state["fly_enabled"] is True and state["review_queue"] == 0
