"""MAVSDK 4.x (native API) against both flavours: connect, read position, arm, take off, mission_raw upload, fly it.

PX4 streams telemetry unasked; against the ArduPilot flavour (like a real ArduPilot) MAVSDK must request the rates
it needs (`telemetry.set_rate_*`), its `health()` stays not-ok (it is never sent the messages it derives it from), and
mission_raw must carry ArduPilot's home item at seq 0.
"""
from __future__ import annotations

import asyncio
import math

import pytest
from mavsdk.asyncio import Autopilot, ComponentType, Configuration, Mavsdk
from mavsdk.asyncio.plugins.action import ActionAsync
from mavsdk.asyncio.plugins.mission_raw import MissionItem, MissionRawAsync
from mavsdk.asyncio.plugins.telemetry import TelemetryAsync

from sims.vehicle.testing import running_vehicle

HOME = (47.397742, 8.545594, 488.0)
NAV_WAYPOINT, NAV_RTL, REL_INT, GLOBAL_INT = 16, 20, 6, 5


def mission(ardupilot: bool) -> list[MissionItem]:
    """Two waypoints 45 m apart at 15 m, then RTL; ArduPilot gets its home item first."""
    lat, lon = HOME[0], HOME[1]
    wps = [(lat + 0.0004, lon), (lat + 0.0004, lon + 0.0006)]
    items = [MissionItem(0, GLOBAL_INT, NAV_WAYPOINT, 1, 1, 0.0, 0.0, 0.0, 0.0, int(lat * 1e7), int(lon * 1e7),
                         HOME[2], 0)] if ardupilot else []
    for a, o in wps:
        items.append(MissionItem(len(items), REL_INT, NAV_WAYPOINT, 0 if items else 1, 1, 0.0, 2.0, 0.0, math.nan,
                                 int(round(a * 1e7)), int(round(o * 1e7)), 15.0, 0))
    items.append(MissionItem(len(items), 2, NAV_RTL, 0, 1, 0.0, 0.0, 0.0, 0.0, 0, 0, 0.0, 0))
    return items


async def fly(endpoint: str, ardupilot: bool) -> dict:
    port = endpoint.rsplit(":", 1)[1]
    facts: dict = {}
    config = Configuration.create_with_component_type(ComponentType.GROUND_STATION)
    async with Mavsdk(config) as mavsdk:
        await mavsdk.add_any_connection(f"tcpout://127.0.0.1:{port}")
        system = await mavsdk.first_autopilot(timeout_s=15.0)
        assert system is not None, "MAVSDK found no autopilot"
        facts["autopilot"] = await system.autopilot_type()
        telemetry, action, mission_raw = TelemetryAsync(system), ActionAsync(system), MissionRawAsync(system)
        if ardupilot:
            for rate in (telemetry.set_rate_position, telemetry.set_rate_gps_info, telemetry.set_rate_in_air):
                await rate(5.0)
            await asyncio.sleep(1.0)
        else:
            async for health in telemetry.subscribe_health():
                if health.is_global_position_ok and health.is_home_position_ok:
                    break
        async for position in telemetry.subscribe_position():
            facts["start"] = position
            break
        items = mission(ardupilot)
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


@pytest.mark.parametrize("flavour", ["px4", "ardupilot"])
def test_mavsdk_flies_a_mission_raw_mission(flavour: str) -> None:
    ardupilot = flavour == "ardupilot"
    with running_vehicle(flavour=flavour, speedup=8.0, params={"RTL_LOIT_TIME": 1000},
                         with_vehicle=True) as (endpoint, vehicle):
        facts = asyncio.run(asyncio.wait_for(fly(endpoint, ardupilot), 120.0))
    assert facts["autopilot"] == (Autopilot.ARDUPILOT if ardupilot else Autopilot.PX4)
    start = facts["start"]
    assert abs(start.latitude_deg - HOME[0]) < 2e-5 and abs(start.absolute_altitude_m - HOME[2]) < 3.0
    down = facts["downloaded"]
    first = 1 if ardupilot else 0
    assert [it.command for it in down[first:]] == [NAV_WAYPOINT, NAV_WAYPOINT, NAV_RTL]
    assert down[first + 1].y == int(round((HOME[1] + 0.0006) * 1e7)) and down[first + 1].z == 15.0
    assert facts["climbed"].relative_altitude_m > 9.0
    end = facts["end"]
    assert abs(end.relative_altitude_m) < 1.0
    assert abs(end.latitude_deg - HOME[0]) * 111_190 < 4.0 and abs(end.longitude_deg - HOME[1]) * 75_300 < 4.0
    assert not vehicle.armed and vehicle.handling_errors == []
