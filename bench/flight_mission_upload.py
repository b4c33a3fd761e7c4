"""Mission upload (and download) throughput of flight.mission_protocol against the sims vehicle.

100 and 700 items at 0% and 30% packet loss (both directions, the vehicle's fault injection), for
both flavours; items/s and the slowdown relative to the loss-free upload measured in the same run.
On a timeout the client resends go-back-N (both autopilots store the expected seq even unrequested).
Run: .venv/bin/python -m bench.flight_mission_upload [--quick]
"""
from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("MAVLINK20", "1")

from sims.vehicle.faults import FaultConfig  # noqa: E402
from sims.vehicle.testing import running_vehicle  # noqa: E402

from flight.link import LinkConfig, MavLink  # noqa: E402
from flight.mission import Cmd, MissionItem  # noqa: E402
from flight.mission_protocol import MissionClient  # noqa: E402

HOME = (47.397742, 8.545594, 488.0)


def _items(n: int) -> list[MissionItem]:
    return [MissionItem.at(i, Cmd.NAV_WAYPOINT, HOME[0] + (i % 40) * 1e-4, HOME[1] + (i // 40) * 1e-4, 30.0)
            for i in range(n)]


def measure(flavour: str, n: int, loss_pct: float, repeats: int) -> tuple[float, float, int]:
    """Best-of-`repeats` upload and download seconds and the upload re-sends, for n items at a loss."""
    items = _items(n)
    up_best = down_best = float("inf")
    resends = 0
    with running_vehicle(flavour, speedup=10.0, faults=FaultConfig(loss_pct=loss_pct),
                         params={"FS_GCS_TIMEOUT": 60.0}) as endpoint:
        with MavLink(LinkConfig(endpoint)) as link:
            link.wait_vehicle(20)
            client = MissionClient(link)
            for _ in range(repeats):
                res = client.upload(items)
                up_best = min(up_best, res.seconds)
                resends = res.resends
                t0 = time.perf_counter()
                back = client.download()
                down_best = min(down_best, time.perf_counter() - t0)
                if [b.x for b in back] != [i.x for i in items]:
                    raise RuntimeError(f"{flavour}: downloaded mission differs from the uploaded one")
    return up_best, down_best, resends


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="ArduPilot flavour, 100 items, one repeat")
    args = parser.parse_args()
    flavours = ["ardupilot"] if args.quick else ["ardupilot", "px4"]
    repeats = 1 if args.quick else 2
    print(f"{'flavour':10} {'items':>5} {'loss':>5} {'upload s':>9} {'items/s':>8} {'x0%':>6} {'resends':>7} "
          f"{'download s':>10} {'items/s':>8}")
    for flavour in flavours:
        sizes = (100,) if args.quick else (100, 700)
        for n in sizes:
            base = None
            for loss in (0.0, 30.0):
                up, down, resends = measure(flavour, n, loss, repeats if n <= 100 else 1)
                base = base or up
                print(f"{flavour:10} {n:5d} {loss:4.0f}% {up:9.3f} {n / up:8.0f} {up / base:6.1f} {resends:7d} "
                      f"{down:10.3f} {n / down:8.0f}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
