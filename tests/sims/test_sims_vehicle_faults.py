"""Fault injection seen from an independent pymavlink client: lossy uploads complete, a link cut trips the GCS failsafe."""
from __future__ import annotations

import time

from sims.vehicle import FaultConfig
from sims.vehicle.testing import running_vehicle
from sims_vehicle_gcs import M, Gcs

HOME = (47.397742, 8.545594, 488.0)
REL = M.MAV_FRAME_GLOBAL_RELATIVE_ALT_INT


def patrol(n: int) -> list[tuple]:
    """Home placeholder, takeoff, n waypoints on a line, a DO_JUMP and RTL."""
    items = [(M.MAV_FRAME_GLOBAL_INT, M.MAV_CMD_NAV_WAYPOINT, 0, 0, 0, 0, 0.0, 0.0, 0.0),
             (REL, M.MAV_CMD_NAV_TAKEOFF, 0, 0, 0, 0, 0.0, 0.0, 25.0)]
    for i in range(n):
        items.append((REL, M.MAV_CMD_NAV_WAYPOINT, 0, 3, 0, 0, HOME[0] + 0.0002 * i, HOME[1] + 0.0001 * (i % 3), 25.0 + i))
    items.append((M.MAV_FRAME_MISSION, M.MAV_CMD_DO_JUMP, 2, 3, 0, 0, 0.0, 0.0, 0.0))
    items.append((REL, M.MAV_CMD_NAV_RETURN_TO_LAUNCH, 0, 0, 0, 0, 0.0, 0.0, 0.0))
    return items


def test_upload_completes_at_30_percent_loss() -> None:
    faults = FaultConfig(loss_pct=30.0, latency_s=0.01, duplicate_pct=2.0, reorder_pct=2.0)
    with running_vehicle(speedup=1.0, faults=faults, seed=3, with_vehicle=True) as (endpoint, vehicle):
        gcs = Gcs(endpoint)
        try:
            gcs.wait_heartbeat(timeout=20.0)
            items = patrol(8)
            assert gcs.upload(items, timeout=90.0, retry_s=0.15) == M.MAV_MISSION_ACCEPTED
            down = gcs.download(timeout=90.0, retry_s=0.15)
            assert len(down) == len(items)
            for sent, got in zip(items[1:], down[1:]):
                assert got.command == sent[1]
                assert got.x == int(round(sent[6] * 1e7)) and got.y == int(round(sent[7] * 1e7))
                assert abs(got.z - sent[8]) < 1e-4
            link = vehicle.links[0]
            assert link.tx.dropped > 0 and link.rx.dropped > 0  # the loss really happened both ways
        finally:
            gcs.close()


def test_gcs_failsafe_fires_after_link_cut() -> None:
    params = {"FS_GCS_TIMEOUT": 1.0}
    with running_vehicle(speedup=4.0, params=params, with_vehicle=True) as (endpoint, vehicle):
        gcs = Gcs(endpoint, heartbeat_s=0.2)
        try:
            gcs.wait_heartbeat()
            gcs.request_streams(4)
            assert gcs.recv("GPS_RAW_INT", 10.0, cond=lambda m: m.fix_type >= 3) is not None
            assert gcs.set_mode(4) == M.MAV_RESULT_ACCEPTED
            assert gcs.command(M.MAV_CMD_COMPONENT_ARM_DISARM, 1) == M.MAV_RESULT_ACCEPTED
            assert gcs.command(M.MAV_CMD_NAV_TAKEOFF, 0, 0, 0, 0, 0, 0, 8) == M.MAV_RESULT_ACCEPTED
            assert gcs.recv("GLOBAL_POSITION_INT", 15.0, cond=lambda m: m.relative_alt > 7000) is not None
            hb = gcs.recv("HEARTBEAT", 2.0, cond=lambda m: m.type == M.MAV_TYPE_QUADROTOR)
            assert hb.custom_mode == 4 and hb.system_status == M.MAV_STATE_ACTIVE
            vehicle.cut_links(2.5)
            time.sleep(2.7)
            hb = gcs.recv("HEARTBEAT", 3.0, cond=lambda m: m.type == M.MAV_TYPE_QUADROTOR)
            assert hb is not None, "link did not come back after the cut"
            assert hb.custom_mode == 6, "GCS failsafe should have switched to RTL"
            assert gcs.recv("STATUSTEXT", 3.0, cond=lambda m: "Failsafe Cleared" in m.text) is not None
            assert vehicle.failsafe.gcs_failsafe is False  # cleared once heartbeats flowed again
        finally:
            gcs.close()


def test_no_gcs_failsafe_before_any_gcs_was_seen() -> None:
    with running_vehicle(speedup=10.0, params={"FS_GCS_TIMEOUT": 1.0}, with_vehicle=True) as (endpoint, vehicle):
        gcs = Gcs(endpoint)
        gcs.send_heartbeats = False  # a passive listener, not a GCS
        try:
            gcs.wait_heartbeat()
            assert gcs.recv("HEARTBEAT", 3.0, cond=lambda m: m.system_status == M.MAV_STATE_STANDBY) is not None
            time.sleep(1.5)
            assert vehicle.failsafe.gcs_last is None and not vehicle.failsafe.gcs_failsafe
        finally:
            gcs.close()


def test_fault_pipe_statistics_are_seeded_and_plausible() -> None:
    import random

    from sims.vehicle.faults import FaultyPipe

    def run(seed: int) -> tuple[int, list[bytes]]:
        pipe = FaultyPipe(FaultConfig(loss_pct=30.0, latency_s=0.1, duplicate_pct=10.0, reorder_pct=10.0,
                                      cuts=[(50.0, 60.0)]), random.Random(seed))
        out: list[bytes] = []
        for i in range(1000):  # one packet every 0.1 s for 100 s
            t = i * 0.1
            pipe.push(t, i.to_bytes(2, "big"))
            out += pipe.pop_due(t)
        out += pipe.pop_due(1000.0)
        return pipe.dropped, out

    dropped, out = run(7)
    assert (dropped, out) == run(7)
    seqs = [int.from_bytes(b, "big") for b in out]
    assert not any(500 <= s < 600 for s in seqs)  # the 10 s cut dropped everything sent during it
    assert 0.25 < dropped / 1000 < 0.45  # 30 % loss plus the cut
    assert len(seqs) > len(set(seqs))  # duplicates happened
    assert any(b < a for a, b in zip(seqs, seqs[1:]))  # and re-ordering
    delivered = FaultyPipe(FaultConfig(latency_s=0.5), random.Random(0))
    delivered.push(10.0, b"x")
    assert delivered.pop_due(10.4) == [] and delivered.pop_due(10.5) == [b"x"]
