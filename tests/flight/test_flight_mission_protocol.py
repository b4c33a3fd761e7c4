"""Unit tests of the mission protocol client against a scripted peer (loss, duplicates, errors, home rule)."""
from __future__ import annotations

import pytest

from flight.link import LinkConfig, MavLink
from flight.mission import Cmd, MissionItem, MissionType
from flight.mission_protocol import MissionAckError, MissionClient, mission_result_name
from test_flight_mission_fakepeer import FakePeer, free_udp_port


def _items(n: int, mission_type: int = MissionType.MISSION) -> list[MissionItem]:
    return [MissionItem.at(i, Cmd.NAV_WAYPOINT, 47.39 + i * 1e-4, 8.54 - i * 1e-4, 30 + i % 7,
                           params=(0, 2.0, 0, 0), mission_type=mission_type) for i in range(n)]


def _session(flavour: str, **peer_kw):
    port = free_udp_port()
    link = MavLink(LinkConfig(f"udpin:127.0.0.1:{port}")).open()
    peer = FakePeer(port, flavour=flavour, **peer_kw).__enter__()
    link.wait_vehicle(10)
    return link, peer


@pytest.mark.parametrize("flavour", ["ardupilot", "px4"])
def test_upload_download_roundtrip_and_home_rule(flavour):
    link, peer = _session(flavour)
    try:
        client = MissionClient(link)
        items = _items(25)
        res = client.upload(items)
        assert res.count == 25
        stored = peer.lists[0]
        if flavour == "ardupilot":  # home placeholder prepended, vehicle wrote its home there
            assert len(stored) == 26 and stored[0].x == 473977420 and stored[1].x == items[0].x
            assert client.home_offset() == 1
        else:
            assert len(stored) == 25 and stored[0].x == items[0].x
        back = client.download()
        assert [(b.seq, b.command, b.x, b.y, b.z, b.param2) for b in back] == \
               [(i.seq, i.command, i.x, i.y, i.z, i.param2) for i in items]
        with_home = client.download(keep_home=True)
        assert len(with_home) == (26 if flavour == "ardupilot" else 25)
    finally:
        link.close()
        peer.__exit__()


def test_fence_and_rally_types_are_separate_lists():
    link, peer = _session("ardupilot")
    try:
        client = MissionClient(link)
        fence = [MissionItem.at(i, Cmd.NAV_FENCE_POLYGON_VERTEX_INCLUSION, 47.39 + dx, 8.54 + dy, 0,
                                params=(4, 0, 0, 0), mission_type=MissionType.FENCE)
                 for i, (dx, dy) in enumerate([(0, 0), (0.01, 0), (0.01, 0.01), (0, 0.01)])]
        rally = [MissionItem.at(0, Cmd.NAV_RALLY_POINT, 47.395, 8.545, 20, mission_type=MissionType.RALLY)]
        client.upload(fence, MissionType.FENCE)
        client.upload(rally, MissionType.RALLY)
        assert len(peer.lists[1]) == 4 and len(peer.lists[2]) == 1 and peer.lists[0] == []
        got = client.download(MissionType.FENCE)
        assert [g.command for g in got] == [5001] * 4 and got[2].x == fence[2].x
        assert all(g.mission_type == MissionType.FENCE for g in got)
        client.clear(MissionType.FENCE)
        assert peer.lists[1] == [] and len(peer.lists[2]) == 1
        assert client.download(MissionType.FENCE) == []
    finally:
        link.close()
        peer.__exit__()


@pytest.mark.parametrize("flavour", ["ardupilot", "px4"])
def test_upload_completes_at_30_percent_loss_with_duplicates(flavour):
    link, peer = _session(flavour, loss=0.3, seed=7, duplicate=True)
    try:
        client = MissionClient(link, timeout_s=0.15)
        items = _items(30)
        res = client.upload(items)
        assert res.count == 30 and res.resends > 0
        offset = client.home_offset()
        stored = peer.lists[0][offset:]
        assert [s.x for s in stored] == [i.x for i in items]
        back = client.download()
        assert [b.y for b in back] == [i.y for i in items]
    finally:
        link.close()
        peer.__exit__()


def test_no_space_is_reported_by_name():
    link, peer = _session("px4", capacity=10)
    try:
        with pytest.raises(MissionAckError) as err:
            MissionClient(link).upload(_items(11))
        assert err.value.result_name == "NO_SPACE"
        assert "NO_SPACE" in str(err.value)
        assert mission_result_name(13) == "INVALID_SEQUENCE"
    finally:
        link.close()
        peer.__exit__()
