"""Live feed over a real Zenoh data link: an onboard node publishes tracks, a vehicle summary, a thumbnail
and an infraction; the ground station's bridge puts them on the map, the video panel and the status bar."""
from __future__ import annotations

import socket
import time

import pytest
from PyQt5.QtCore import QBuffer, QByteArray, QIODevice
from PyQt5.QtGui import QColor, QImage

from datalink import synthetic
from datalink.config import LinkConfig
from datalink.messages import Thumbnail, ThumbBox, VehicleSummary
from datalink.onboard import OnboardLink
from datalink.outbox import MemoryOutbox
from groundstation.app import AppConfig, MainWindow
from groundstation.datalink_bridge import DatalinkBridge


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _jpeg() -> bytes:
    img = QImage(320, 240, QImage.Format_RGB32)
    img.fill(QColor(70, 90, 80))
    data = QByteArray()
    buf = QBuffer(data)
    buf.open(QIODevice.WriteOnly)
    img.save(buf, "JPG", 80)
    return bytes(data)


def test_gs_datalink_feed_reaches_map_and_video(qtbot, tmp_path, screenshot):
    port = _free_port()
    bridge = DatalinkBridge(tmp_path / "inbox.sqlite", listen=(f"tcp/127.0.0.1:{port}",))
    window = MainWindow(AppConfig(datalink=bridge), confirm=lambda t, x: True)
    qtbot.addWidget(window)
    window.resize(1400, 850)
    window.show()
    assert bridge.start()
    outbox = MemoryOutbox()
    for item in synthetic.infraction_items("uav9", "patrol-7", 1):
        outbox.put(item)
    onboard = OnboardLink(LinkConfig(connect=(f"tcp/127.0.0.1:{port}",)), "city", "uav9", outbox).start()
    try:
        qtbot.waitUntil(lambda: bridge.link.peers() >= 1, timeout=15000)
        lat0, lon0 = 47.3977, 8.5456
        window.map.center_on(lat0, lon0, 16)
        summary = VehicleSummary("uav9", time.time(), lat0 - 0.001, lon0, 520.0, 45.0, 9.0, "AUTO", True, 81.0)
        thumb = Thumbnail("uav9", 3, time.time(), 640, 480, _jpeg(), [ThumbBox(4, "bus", (100.0, 100.0, 300.0, 260.0))])

        def publish_and_check() -> bool:
            onboard.publish_tracks(synthetic.track_batch("uav9", 60, 3, lat0=lat0, lon0=lon0))
            onboard.publish_summary(summary)
            onboard.publish_thumbnail(thumb)
            window.push_tracks()
            return (len(window.tracks) == 60 and window.video.frames >= 1
                    and "uav9" in window.map.vehicles.vehicles and len(window.map.layer("infractions").markers) == 1)
        qtbot.waitUntil(publish_and_check, timeout=20000)
        layer = window.map.tracks
        assert len(layer.ids) == 60 and sorted(layer.ids.tolist()) == list(range(60))
        assert layer.speed_kmh.max() > 60  # 10..19 m/s shown in km/h
        assert [b.label for b in window.video.boxes][0].startswith("#4 bus")
        assert window.map.vehicles.position("uav9")[0] == pytest.approx(lat0 - 0.001)
        marker = next(iter(window.map.layer("infractions").markers.values()))
        assert marker.kind == "speeding" and marker.status == "new"
        screenshot(window.map, "map_datalink_tracks")
        window.tabs.setCurrentWidget(window.video_tab)
        screenshot(window, "main_video")
    finally:
        onboard.stop()
        bridge.stop()
        window.close()
