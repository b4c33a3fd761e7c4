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
from datalink.budget import BudgetConfig
from datalink.onboard import OnboardLink, ReliableConfig
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


def test_gs_onboard_infractions_and_evidence_reach_the_review_queue(qtbot, tmp_path):
    """Onboard store (real evidence packages) -> StoreOutbox -> Zenoh -> ground inbox -> StoreIngest -> review."""
    from groundstation.ingest import StoreIngest
    from groundstation.review.service import ReviewService
    from infractions.store import open_store
    from infractions.store.outbox import StoreOutbox

    from gs_seed import PASSWORDS, seed_store

    onboard_store, events = seed_store(tmp_path / "onboard.sqlite", tmp_path / "onboard_evidence", n_with_evidence=1)
    ground_store = open_store(tmp_path / "ground.sqlite")
    admin = ground_store.users.add("admin", PASSWORDS["admin"], "admin")
    port = _free_port()
    bridge = DatalinkBridge(tmp_path / "inbox.sqlite", listen=(f"tcp/127.0.0.1:{port}",),
                            sink=StoreIngest(ground_store, tmp_path / "ground_evidence"))
    window = MainWindow(AppConfig(datalink=bridge, review_service=ReviewService(ground_store, admin)),
                        confirm=lambda t, x: True)
    qtbot.addWidget(window)
    assert bridge.start()
    onboard = OnboardLink(LinkConfig(connect=(f"tcp/127.0.0.1:{port}",)), "city", "uav1", StoreOutbox(onboard_store),
                          BudgetConfig(kbps=0.0, chunk_size=65536),
                          ReliableConfig(ack_timeout_s=0.5, max_retry_s=1.0, outbox_poll_s=0.2)).start()
    try:
        qtbot.waitUntil(lambda: len(window.review_panel.records) == len(events)
                        and bool(ground_store.records.evidence_for(events[0].infraction_id)), timeout=30000)
        qtbot.waitUntil(lambda: not StoreOutbox(onboard_store).pending_ids(), timeout=20000)  # all acknowledged
    finally:
        onboard.stop()
        bridge.stop()
    panel = window.review_panel
    assert panel.select(events[0].infraction_id)
    assert panel.key_frame.has_image() and len(panel.clip.frames) == 8
    assert len(panel.profile.samples) == 24  # read from the package's infraction.json
    assert panel.select(events[1].infraction_id) and not panel.key_frame.has_image()  # no package for this one
    assert panel.select(events[0].infraction_id)
    assert panel.decide("confirmed", note="seen on the clip")
    assert ground_store.records.get(events[0].infraction_id).status == "confirmed"
    window.close()
    onboard_store.close()
    ground_store.close()


def test_gs_ingest_refuses_unsafe_zip(tmp_path):
    import zipfile

    from groundstation.ingest import EvidenceUnpackError, unpack_package

    bad = tmp_path / "bad.zip"
    with zipfile.ZipFile(bad, "w") as zf:
        zf.writestr("00001_x/../../escape.txt", b"nope")
    with pytest.raises(EvidenceUnpackError, match="unsafe"):
        unpack_package(bad, tmp_path / "out")
    assert not (tmp_path / "escape.txt").exists()
    two = tmp_path / "two.zip"
    with zipfile.ZipFile(two, "w") as zf:
        zf.writestr("a/manifest.json", b"{}")
        zf.writestr("b/manifest.json", b"{}")
    with pytest.raises(EvidenceUnpackError, match="one package directory"):
        unpack_package(two, tmp_path / "out")
    good = tmp_path / "good.zip"
    with zipfile.ZipFile(good, "w") as zf:
        zf.writestr("00002_eid/manifest.json", b"{}")
        zf.writestr("00002_eid/sub/keyframe_0.jpg", b"jpg")
    out = unpack_package(good, tmp_path / "out")
    assert out == tmp_path / "out" / "00002_eid" and (out / "sub" / "keyframe_0.jpg").read_bytes() == b"jpg"
    assert unpack_package(good, tmp_path / "out") == out  # a replay is a no-op
