"""Officer flow end to end against a seeded store: login (argon2), queue + filters, evidence, decisions
with notes, export, and the audit entries each step leaves in the store."""
from __future__ import annotations

import zipfile

import pytest
from PyQt5.QtCore import Qt

from groundstation.app import AppConfig, MainWindow
from groundstation.review.login import LoginDialog
from groundstation.review.service import Filters, ReviewService

from gs_seed import PASSWORDS, seed_store


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    from groundstation.qtenv import ensure_app

    ensure_app()
    root = tmp_path_factory.mktemp("review")
    store, events = seed_store(root / "store.sqlite", root / "evidence")
    yield store, events
    store.close()


def _audit(store, target=None, action=None):
    from infractions.store import audit

    with store.engine.connect() as conn:
        return audit.entries(conn, target=target, action=action)


def test_gs_login_dialog_against_store(qtbot, seeded):
    store, _ = seeded
    dlg = LoginDialog(store.users)
    qtbot.addWidget(dlg)
    dlg.username.setText("rita")
    dlg.password.setText("wrong-password")
    assert not dlg.try_login()
    assert "wrong password" in dlg.error.text() and dlg.password.text() == ""
    dlg.password.setText(PASSWORDS["rita"])
    assert dlg.try_login()
    assert dlg.session.username == "rita" and dlg.session.role == "reviewer"
    assert dlg.session.can_review and not dlg.session.can_fly
    actions = [e.action for e in _audit(store, target="user:rita")]
    assert "login_failed" in actions and actions[-1] == "login"


def test_gs_review_flow_end_to_end(qtbot, seeded, tmp_path, screenshot):
    store, events = seeded
    dlg = LoginDialog(store.users)
    dlg.username.setText("rita")
    dlg.password.setText(PASSWORDS["rita"])
    assert dlg.try_login()
    session = dlg.session
    service = ReviewService(store, session.user)
    window = MainWindow(AppConfig(review_service=service, session=session), confirm=lambda t, x: True)
    qtbot.addWidget(window)
    window.resize(1500, 950)
    window.show()
    panel = window.review_panel
    window.tabs.setCurrentWidget(panel)
    assert panel.table.rowCount() == 4
    assert len(window.map.layer("infractions").markers) == 4  # the queue is on the map
    assert all(not b.isEnabled() for b in window.fly_panel.buttons.values())  # a reviewer cannot fly

    # filters: type, zone, status
    panel.kind_filter.setCurrentText("speeding")
    assert [r.event.kind for r in panel.records] == ["speeding"]
    panel.kind_filter.setCurrentText("all")
    panel.zone_filter.setText("np-school")
    panel.zone_filter.editingFinished.emit()
    assert [r.event.zone_id for r in panel.records] == ["np-school"]
    panel.zone_filter.setText("")
    panel.zone_filter.editingFinished.emit()
    assert len(service.queue(Filters(since_s=events[2].start_s - 1))) == 2

    # open the speeding one: evidence shown, view audited, map + retask target follow
    speeding = events[0]
    selected = []
    panel.infractionSelected.connect(lambda i, la, lo: selected.append(i))
    assert panel.select(speeding.infraction_id)
    assert selected == [speeding.infraction_id]
    assert panel.key_frame.has_image()
    assert len(panel.clip.frames) == 8
    panel.clip.toggle()
    qtbot.waitUntil(lambda: panel.clip.index > 0, timeout=5000)
    panel.clip.toggle()
    assert panel.track_map.has_image()
    html = panel.info.toPlainText()
    assert "71.40" in html and "± 2.10" in html and "speeding.v1" in html
    assert len(panel.profile.samples) == 24 and panel.profile.limit_kmh == 50.0
    assert window.map.layer("infractions").selected == speeding.infraction_id
    assert len(window.map.layer("infractions").track) == 24  # its track, drawn on the map
    assert window.fly_panel.target[:2] == pytest.approx((speeding.lat, speeding.lon))
    views = _audit(store, target=f"infraction:{speeding.infraction_id}", action="view")
    assert views and views[-1].actor == "rita"
    panel.tabs.setCurrentIndex(0)
    screenshot(window, "review_panel")
    # clicking another infraction's marker on the map selects it in the queue (and makes it the retask target)
    wrong_way = events[2]
    window.map.center_on(wrong_way.lat, wrong_way.lon, 17)
    qtbot.mouseClick(window.map.viewport(), Qt.LeftButton,
                     pos=window.map.latlon_to_view(wrong_way.lat, wrong_way.lon).toPoint())
    assert panel.current.infraction_id == wrong_way.infraction_id
    assert window.fly_panel.target[2].startswith("infraction")
    assert panel.select(speeding.infraction_id)

    # decisions: rejection needs a note; confirm works; a final state cannot be changed
    assert not panel.decide("rejected", note="")
    assert "note is required" in panel.message.text()
    panel.note.setText("radar-grade speed, limit sign visible")
    qtbot.mouseClick(panel.decision_buttons["confirmed"], Qt.LeftButton)
    assert store.records.get(speeding.infraction_id).status == "confirmed"
    assert not panel.decide("rejected", note="changed my mind")
    assert "refused" in panel.message.text()
    other = events[1]
    assert panel.select(other.infraction_id)
    assert panel.decide("needs_more_info", note="plate area blurred, need a second pass")
    assert store.records.get(other.infraction_id).status == "needs_more_info"
    panel.status_filter.setCurrentText("new")
    assert {r.event.infraction_id for r in panel.records} == {events[2].infraction_id, events[3].infraction_id}
    panel.status_filter.setCurrentText("all")

    # export the confirmed evidence package (zip with the manifest), audited
    assert panel.select(speeding.infraction_id)
    out = panel.export(tmp_path / "exports")
    assert out is not None and out.is_file()
    names = zipfile.ZipFile(out).namelist()
    assert "record.json" in names and any(n.endswith("manifest.json") for n in names) and any(n.endswith("/clip.mp4") for n in names)
    # an infraction whose package has not arrived exports its record only (the store's rule)
    assert panel.select(events[3].infraction_id)
    bare = panel.export(tmp_path / "exports")
    assert bare is not None and zipfile.ZipFile(bare).namelist() == ["record.json"]
    assert "exported" in panel.message.text()

    trail = [(e.actor, e.action) for e in _audit(store, target=f"infraction:{speeding.infraction_id}")]
    assert ("rita", "view") in trail and ("rita", "confirmed") in trail and ("rita", "export") in trail
    assert trail.index(("rita", "view")) < trail.index(("rita", "confirmed")) < trail.index(("rita", "export"))
    assert any(e.action == "list" and e.actor == "rita" for e in _audit(store, target="infractions"))
    assert panel.select(speeding.infraction_id)
    assert panel.audit_list.count() >= 4  # views, the decision, the export — shown to the officer
    assert any("confirmed" in panel.audit_list.item(i).text() for i in range(panel.audit_list.count()))
    from infractions.store import audit

    with store.engine.connect() as conn:
        assert audit.verify_chain(conn) == []  # the hash chain of the audit log is intact
    window.close()


def test_gs_pilot_cannot_review(seeded):
    store, events = seeded
    pilot = store.users.authenticate("paul", PASSWORDS["paul"])
    service = ReviewService(store, pilot)
    with pytest.raises(PermissionError, match="paul"):
        service.queue()
    with pytest.raises(PermissionError):
        service.decide(events[2].infraction_id, "confirmed")
