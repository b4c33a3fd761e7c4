"""MAVSDK 4.x (native API) against the PX4 flavour: connect, read position, arm, take off, mission_raw upload, fly it."""
from __future__ import annotations

import asyncio
import math

from mavsdk.asyncio import Autopilot, ComponentType, Configuration, Mavsdk
from mavsdk.asyncio.plugins.action import ActionAsync
from mavsdk.asyncio.plugins.mission_raw import MissionItem, MissionRawAsync
from mavsdk.asyncio.plugins.telemetry import TelemetryAsync

from sims.vehicle.testing import running_vehicle

HOME = (47.397742, 8.545594, 488.0)
NAV_WAYPOINT, NAV_RTL, REL_INT = 16, 20, 6


def mission() -> list[MissionItem]:
    """Two waypoints 45 m apart at 15 m, then RTL (PX4 numbering: seq 0 is the first real item)."""
    lat, lon = HOME[0], HOME[1]
    wps = [(lat + 0.0004, lon), (lat + 0.0004, lon + 0.0006)]
    items = [MissionItem(i, REL_INT, NAV_WAYPOINT, 1 if i == 0 else 0, 1, 0.0, 2.0, 0.0, math.nan,
                         int(round(a * 1e7)), int(round(o * 1e7)), 15.0, 0) for i, (a, o) in enumerate(wps)]
    items.append(MissionItem(len(items), 2, NAV_RTL, 0, 1, 0.0, 0.0, 0.0, 0.0, 0, 0, 0.0, 0))
    return items


async def fly(endpoint: str) -> dict:
    port = endpoint.rsplit(":", 1)[1]
    facts: dict = {}
    config = Configuration.create_with_component_type(ComponentType.GROUND_STATION)
    async with Mavsdk(config) as mavsdk:
        await mavsdk.add_any_connection(f"tcpout://127.0.0.1:{port}")
        system = await mavsdk.first_autopilot(timeout_s=15.0)
        assert system is not None, "MAVSDK found no autopilot"
        facts["autopilot"] = await system.autopilot_type()
        telemetry, action, mission_raw = TelemetryAsync(system), ActionAsync(system), MissionRawAsync(system)
        async for health in telemetry.subscribe_health():
            if health.is_global_position_ok and health.is_home_position_ok:
                break
        async for position in telemetry.subscribe_position():
            facts["start"] = position
            break
        items = mission()
        await mission_raw.upload_mission(items)
        facts["downloaded"] = await mission_raw.download_mission()
        await action.arm()
        await action.set_takeoff_altitude(10.0)
        await action.takeoff()
        async for position in telemetry.subscribe_position():
            if position.relative_altitude_m > 9.0:
                facts["climbed"] = position
                break
        await mission_raw.start_mission()
        async for progress in mission_raw.subscribe_mission_progress():
            if progress.current == progress.total == len(items):
                facts["progress"] = progress
                break
        async for armed in telemetry.subscribe_armed():
            if not armed:
                break
        async for position in telemetry.subscribe_position():
            facts["end"] = position
            break
    return facts


def test_mavsdk_flies_px4_flavour_mission() -> None:
    with running_vehicle(flavour="px4", speedup=8.0, params={"RTL_LOIT_TIME": 1000},
                         with_vehicle=True) as (endpoint, vehicle):
        facts = asyncio.run(asyncio.wait_for(fly(endpoint), 120.0))
    assert facts["autopilot"] == Autopilot.PX4
    start = facts["start"]
    assert abs(start.latitude_deg - HOME[0]) < 2e-5 and abs(start.absolute_altitude_m - HOME[2]) < 3.0
    down = facts["downloaded"]
    assert [it.command for it in down] == [NAV_WAYPOINT, NAV_WAYPOINT, NAV_RTL]
    assert down[1].y == int(round((HOME[1] + 0.0006) * 1e7)) and down[1].z == 15.0
    assert facts["climbed"].relative_altitude_m > 9.0
    end = facts["end"]
    assert abs(end.relative_altitude_m) < 1.0
    assert abs(end.latitude_deg - HOME[0]) * 111_190 < 4.0 and abs(end.longitude_deg - HOME[1]) * 75_300 < 4.0
    assert not vehicle.armed and vehicle.handling_errors == []
