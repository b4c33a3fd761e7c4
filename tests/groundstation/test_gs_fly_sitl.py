"""Pilot flow against the sims vehicle over real MAVLink: plan a survey on the map -> upload -> start ->
the vehicle icon moves along the path; retask from the UI; RTL from the UI; confirmations; roles."""
from __future__ import annotations

import math

import numpy as np
import pytest
from PyQt5.QtCore import Qt

from groundstation.app import AppConfig, MainWindow
from groundstation.fly.backend import FlightBackend
from groundstation.map.view import Tool
from groundstation.session import Session
from sims.vehicle.testing import running_vehicle

HOME = (47.397742, 8.545594, 488.0)
M_LAT = 111_320.0
M_LON = 111_320.0 * math.cos(math.radians(HOME[0]))


def _offset(de: float, dn: float) -> tuple[float, float]:
    return HOME[0] + dn / M_LAT, HOME[1] + de / M_LON


def _dist_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    return math.hypot((a[0] - b[0]) * M_LAT, (a[1] - b[1]) * M_LON)


def _seg_dist_m(p, a, b) -> float:
    """Distance (m) from p to segment ab, in a local metric plane."""
    pv = np.array([(p[1] - a[1]) * M_LON, (p[0] - a[0]) * M_LAT])
    bv = np.array([(b[1] - a[1]) * M_LON, (b[0] - a[0]) * M_LAT])
    t = 0.0 if not bv.any() else float(np.clip(pv @ bv / (bv @ bv), 0, 1))
    return float(np.linalg.norm(pv - t * bv))


@pytest.fixture
def vehicle():
    with running_vehicle("ardupilot", speedup=10.0, home=HOME) as endpoint:
        yield endpoint


def test_gs_survey_upload_fly_retask_rtl(qtbot, vehicle, screenshot):
    asked: list[str] = []
    window = MainWindow(AppConfig(), confirm=lambda title, text: asked.append(title) or True)
    qtbot.addWidget(window)
    window.resize(1400, 860)
    window.show()
    fly, plan, view = window.fly, window.plan_panel, window.map

    # connect from the UI
    window.fly_panel.endpoint.setEditText(vehicle)
    qtbot.mouseClick(window.fly_panel.connect_btn, Qt.LeftButton)
    qtbot.waitUntil(lambda: fly.connected and fly.last_view.has_position, timeout=20000)
    assert window.history.items[0] == vehicle  # endpoint remembered
    qtbot.waitUntil(lambda: "uav" not in view.vehicles.vehicles and "vehicle" in view.vehicles.vehicles, timeout=5000)

    # plan a survey by drawing the area on the map with the mouse
    window.tabs.setCurrentWidget(plan)
    corners = [_offset(-60, 40), _offset(60, 40), _offset(60, 160), _offset(-60, 160)]
    view.fit_points(corners + [HOME[:2]])
    plan.pattern.setCurrentText("survey")
    plan.alt.setValue(30)
    plan.side.setValue(20)
    plan.start_drawing()
    assert view.tool == Tool.DRAW_POLYGON
    for lat, lon in corners:
        qtbot.mouseClick(view.viewport(), Qt.LeftButton, pos=view.latlon_to_view(lat, lon).toPoint())
    qtbot.mouseDClick(view.viewport(), Qt.LeftButton, pos=view.latlon_to_view(*corners[-1]).toPoint())
    assert len(plan.draft.polygon) >= 4 and plan.draft.plan is not None, plan.draft.error
    assert plan.draft.report.feasible, plan.draft.error
    assert "km" in plan.stats.text() and "battery" in plan.stats.text()
    lats, lons, _ = plan.draft.waypoints()
    path = list(zip(lats, lons))
    assert len(path) >= 4

    # upload (confirmed), then start the patrol
    assert plan.upload() is not None
    qtbot.waitUntil(lambda: fly.last_result is not None and fly.last_result.name == "upload", timeout=30000)
    assert fly.last_result.ok, fly.last_result.message
    assert "uploaded" in plan.validation.text()
    n_items = len(plan.draft.plan.items)
    assert plan.download() is not None  # read it back from the vehicle: same items, shown as the plan
    qtbot.waitUntil(lambda: fly.last_result.name == "download", timeout=30000)
    assert fly.last_result.ok, fly.last_result.message
    assert len(fly.last_result.value.items) == n_items and plan.draft.plan.kind == "imported"
    assert [(round(la, 6), round(lo, 6)) for la, lo in zip(*plan.draft.waypoints()[:2])] == \
        [(round(la, 6), round(lo, 6)) for la, lo in path]
    qtbot.mouseClick(window.fly_panel.buttons["start_patrol"], Qt.LeftButton)
    qtbot.waitUntil(lambda: fly.last_result.name == "start_patrol", timeout=60000)
    assert fly.last_result.ok, fly.last_result.message
    assert "mission controller" in fly.last_result.message
    assert "Start patrol" in asked and "Upload mission" in asked

    # the vehicle icon moves along the survey path
    def on_path_far_from_home() -> bool:
        pos = view.vehicles.position("vehicle")
        return pos is not None and _dist_m(pos, HOME[:2]) > 60 and fly.last_view.mode == "AUTO"
    qtbot.waitUntil(on_path_far_from_home, timeout=60000)
    seen = []
    for _ in range(6):
        qtbot.wait(400)
        seen.append(view.vehicles.position("vehicle"))
    legs = list(zip(path[:-1], path[1:]))
    for p in seen:
        assert min(_seg_dist_m(p, a, b) for a, b in legs) < 12.0, f"{p} is off the survey path"
    assert _dist_m(seen[0], seen[-1]) > 5.0  # it is moving
    trail = view.vehicles.vehicles["vehicle"].trail
    assert len(trail) > 10
    assert fly.last_view.mission_seq >= 1
    window.tabs.setCurrentWidget(window.fly_panel)
    screenshot(window, "main_fly_survey")
    screenshot(window.fly_panel.hud, "hud")

    # retask to a point clicked on the map (Pick tool), then RTL — both from the UI
    target = _offset(-120, 60)
    view.set_tool(Tool.PICK)
    qtbot.mouseClick(view.viewport(), Qt.LeftButton, pos=view.latlon_to_view(*target).toPoint())
    assert window.fly_panel.target is not None and _dist_m(window.fly_panel.target[:2], target) < 3.0
    qtbot.mouseClick(window.fly_panel.buttons["retask"], Qt.LeftButton)
    qtbot.waitUntil(lambda: fly.last_result.name == "retask", timeout=30000)
    assert fly.last_result.ok, fly.last_result.message
    assert "retasked" in window.fly_panel.ack_label.text()
    qtbot.waitUntil(lambda: _dist_m(view.vehicles.position("vehicle"), target) < 45.0, timeout=60000)
    assert fly.last_view.mode == "GUIDED"
    # the mission controller orbits the point, then resumes the survey where it left it (AUTO again)
    qtbot.waitUntil(lambda: fly.last_view.mode == "AUTO", timeout=90000)
    qtbot.waitUntil(lambda: "[patrol resuming]" in window.fly_panel.log.toPlainText(), timeout=20000)

    qtbot.mouseClick(window.fly_panel.buttons["rtl"], Qt.LeftButton)
    qtbot.waitUntil(lambda: fly.last_result.name == "rtl", timeout=30000)
    assert fly.last_result.ok and "returning to launch" in fly.last_result.message
    qtbot.waitUntil(lambda: fly.last_view.mode == "RTL", timeout=10000)
    qtbot.waitUntil(lambda: _dist_m(view.vehicles.position("vehicle"), HOME[:2]) < 10.0, timeout=90000)
    qtbot.waitUntil(lambda: not fly.last_view.armed, timeout=90000)  # landed at home and disarmed
    qtbot.waitUntil(lambda: "[patrol disarmed]" in window.fly_panel.log.toPlainText(), timeout=20000)
    assert "Return to launch" in asked
    window.close()


def test_gs_cancelled_confirmation_sends_nothing(qtbot, vehicle):
    window = MainWindow(AppConfig(), confirm=lambda title, text: False)
    qtbot.addWidget(window)
    window.fly.connect_to(vehicle)
    qtbot.waitUntil(lambda: window.fly.connected and window.fly.last_view.has_position, timeout=20000)
    qtbot.mouseClick(window.fly_panel.buttons["arm"], Qt.LeftButton)
    assert window.fly.last_result.name == "arm" and not window.fly.last_result.ok
    assert "cancelled" in window.fly_panel.ack_label.text()
    qtbot.wait(500)
    assert window.fly.last_view.armed is False
    # pause is not dangerous: no confirmation, and the vehicle's answer is shown
    qtbot.mouseClick(window.fly_panel.buttons["pause"], Qt.LeftButton)
    qtbot.waitUntil(lambda: window.fly.last_result.name == "pause", timeout=20000)
    assert window.fly_panel.ack_label.text().startswith("Pause:")
    # the Connect button became Disconnect; closing the link happens on the worker thread
    assert window.fly_panel.connect_btn.text() == "Disconnect"
    qtbot.mouseClick(window.fly_panel.connect_btn, Qt.LeftButton)
    qtbot.waitUntil(lambda: window.fly.last_result.name == "disconnect", timeout=10000)
    assert window.fly.last_result.ok and not window.fly.connected
    assert window.fly_panel.connect_btn.text() == "Connect"
    window.close()


def test_gs_reviewer_cannot_fly(qtbot):
    window = MainWindow(AppConfig(session=Session("rita", "reviewer")), confirm=lambda t, x: True)
    qtbot.addWidget(window)
    assert all(not b.isEnabled() for b in window.fly_panel.buttons.values())
    assert window.fly.request("rtl") is None
    assert not window.fly.last_result.ok and "may not fly" in window.fly.last_result.message
    pilot = MainWindow(AppConfig(session=Session("paul", "pilot")), confirm=lambda t, x: True)
    qtbot.addWidget(pilot)
    assert all(b.isEnabled() for b in pilot.fly_panel.buttons.values())
    assert pilot.fly.request("rtl") is None and pilot.fly.last_result.message == "not connected to a vehicle"


def test_gs_unreachable_endpoint_shows_error(qtbot):
    window = MainWindow(AppConfig(), confirm=lambda t, x: True,
                        backend_factory=lambda conn: FlightBackend(conn, wait_s=1.0))
    qtbot.addWidget(window)
    window.fly.connect_to("tcp:127.0.0.1:9")  # nothing listens on the discard port
    qtbot.waitUntil(lambda: window.fly.last_result is not None, timeout=20000)
    assert not window.fly.last_result.ok
    assert window.fly_panel.conn_label.text().startswith("not connected:")


def test_gs_link_loss_shows_on_hud(qtbot):
    window = MainWindow(AppConfig(), confirm=lambda t, x: True)
    qtbot.addWidget(window)
    with running_vehicle("ardupilot", speedup=5.0, home=HOME) as endpoint:
        window.fly.connect_to(endpoint)
        qtbot.waitUntil(lambda: window.fly.connected and window.fly.last_view.has_position, timeout=20000)
        qtbot.waitUntil(lambda: window.fly_panel.hud.figures()["LINK"].endswith("(mavlink)"), timeout=5000)
        qtbot.waitUntil(lambda: window.fly_panel.hud.figures()["GPS"].startswith("3D"), timeout=10000)
    # the simulator is gone: no more heartbeats -> the HUD says LOST (flight's 3 s heartbeat timeout)
    qtbot.waitUntil(lambda: window.fly_panel.hud.figures()["LINK"] == "LOST", timeout=15000)
    assert window.fly.last_view.link.quality_pct == 0.0
    window.close()


def test_gs_px4_takeoff_goto_rtl_from_the_ui(qtbot):
    """PX4 flavour, direct commands (no plan uploaded, so no mission controller): take off, retask = fly to the
    picked point with the camera ROI on it, RTL — mode names are PX4's."""
    window = MainWindow(AppConfig(), confirm=lambda t, x: True)
    qtbot.addWidget(window)
    window.resize(1200, 800)
    window.show()
    fly, view = window.fly, window.map
    with running_vehicle("px4", speedup=10.0, home=HOME) as endpoint:
        fly.connect_to(endpoint)
        qtbot.waitUntil(lambda: fly.connected and fly.last_view.gps_fix >= 3, timeout=20000)  # as a pilot would
        window.fly_panel.takeoff_alt.setValue(25)
        qtbot.mouseClick(window.fly_panel.buttons["takeoff"], Qt.LeftButton)
        qtbot.waitUntil(lambda: fly.last_result.name == "takeoff", timeout=30000)
        assert fly.last_result.ok and "TAKEOFF to 25 m accepted" in fly.last_result.message
        qtbot.waitUntil(lambda: fly.last_view.alt_rel_m > 20, timeout=30000)
        target = _offset(80, 60)
        view.fit_points([HOME[:2], target])
        view.set_tool(Tool.PICK)
        qtbot.mouseClick(view.viewport(), Qt.LeftButton, pos=view.latlon_to_view(*target).toPoint())
        qtbot.mouseClick(window.fly_panel.buttons["retask"], Qt.LeftButton)
        qtbot.waitUntil(lambda: fly.last_result.name == "retask", timeout=30000)
        assert fly.last_result.ok and "GOTO" in fly.last_result.message, fly.last_result.message
        qtbot.waitUntil(lambda: _dist_m(view.vehicles.position("vehicle"), target) < 5.0, timeout=60000)
        qtbot.mouseClick(window.fly_panel.buttons["rtl"], Qt.LeftButton)
        qtbot.waitUntil(lambda: fly.last_result.name == "rtl", timeout=30000)
        assert fly.last_result.ok and "AUTO.RTL" in fly.last_result.message
        qtbot.waitUntil(lambda: fly.last_view.mode == "AUTO.RTL", timeout=10000)
        qtbot.waitUntil(lambda: _dist_m(view.vehicles.position("vehicle"), HOME[:2]) < 5.0, timeout=60000)
        window.close()
