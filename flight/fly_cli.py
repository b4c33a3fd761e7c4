"""`aeropatrol fly`: connect, check, upload and fly a patrol plan, printing each controller event."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `fly` command."""
    p = subparsers.add_parser(
        "fly", help="fly a patrol plan on an ArduPilot/PX4 vehicle (or the sims vehicle)",
        description="Connect to the vehicle, run preflight checks, upload fence/rally/mission, arm, take off, "
                    "fly the patrol in AUTO, return and land. Prints every controller event; exit code 0 only "
                    "when the patrol completed and the vehicle is disarmed on the ground.")
    p.add_argument("--connect", required=True, metavar="CONN",
                   help="connection string: tcp:HOST:PORT, udpin:HOST:PORT, udpout:HOST:PORT, /dev/ttyUSB0,57600")
    p.add_argument("--plan", required=True, type=Path, help="QGroundControl .plan or QGC WPL 110 .waypoints file")
    p.add_argument("--laps", type=int, default=1, help="times to fly the mission before returning (default 1)")
    p.add_argument("--takeoff-alt", type=float, default=20.0, help="take-off altitude above home, m (default 20)")
    p.add_argument("--backend", choices=("pymavlink", "mavsdk"), default="pymavlink",
                   help="vehicle backend: pymavlink (ArduPilot and PX4, default) or mavsdk (PX4)")
    p.add_argument("--min-battery", type=int, default=30, help="minimum battery %% to take off (default 30)")
    p.add_argument("--require-fence", action="store_true", help="refuse to fly a plan without a geofence")
    p.add_argument("--preflight-timeout", type=float, default=120.0, help="seconds to wait for preflight checks")
    p.add_argument("--json", action="store_true", help="one JSON object per event, then a JSON result line")
    p.set_defaults(func=_fly)


def load_mission_plan(path: Path):
    """A MissionPlan from a .plan (flight.files.qgc_plan) or .waypoints file; ValueError naming the file on bad input."""
    if not path.exists():
        raise ValueError(f"{path}: no such file")
    suffix = path.suffix.lower()
    if suffix == ".plan":
        from flight.files.qgc_plan import load_plan
        return load_plan(path).to_mission_plan()
    if suffix in (".waypoints", ".txt", ".mission"):
        from flight.files.waypoints import load_waypoints
        return load_waypoints(path).to_mission_plan()
    raise ValueError(f"{path}: unknown plan format (use .plan or .waypoints)")


def make_backend(name: str, connection: str):
    """The chosen vehicle backend."""
    if name == "mavsdk":
        from flight.mavsdk_backend import MavsdkBackend
        return MavsdkBackend(connection)
    from flight.backend import PymavlinkBackend
    return PymavlinkBackend(connection)


def _fly(args: argparse.Namespace) -> int:
    from flight.connection import ConnectionStringError, parse_connection
    from flight.controller import ControllerConfig, MissionController

    def fail(msg: str, code: int = 2) -> int:
        if args.json:
            print(json.dumps({"result": {"ok": False, "outcome": "error", "reason": msg}}))
        else:
            print(f"error: {msg}", file=sys.stderr)
        return code

    try:
        parse_connection(args.connect)
    except ConnectionStringError as exc:
        return fail(str(exc))
    if args.laps < 1:
        return fail("--laps must be at least 1")
    try:
        plan = load_mission_plan(args.plan)
    except (ValueError, OSError) as exc:  # FileFormatError is a ValueError naming the field
        return fail(str(exc))
    config = ControllerConfig(takeoff_alt_m=args.takeoff_alt, laps=args.laps, min_battery_pct=args.min_battery,
                              require_fence=args.require_fence, preflight_timeout_s=args.preflight_timeout)
    ctl = MissionController(make_backend(args.backend, args.connect), plan, config)

    def show(ev) -> None:
        if args.json:
            print(json.dumps(ev.to_dict()), flush=True)
        else:
            stamp = ev.to_dict()["time_unix"]
            arrow = f"{ev.previous.value} -> " if ev.previous else ""
            print(f"{stamp:.3f} [{arrow}{ev.phase.value}] {ev.message}", flush=True)

    ctl.add_listener(show)
    try:
        result = ctl.run()
    except KeyboardInterrupt:
        ctl.abort()
        return fail("interrupted", 130)
    finally:
        try:
            ctl.backend.close()
        except Exception:  # noqa: BLE001
            pass
    summary = {"ok": result.ok, "outcome": result.outcome, "phase": result.phase.value,
               "laps_completed": result.laps_completed, "reason": result.reason}
    if args.json:
        print(json.dumps({"result": summary}))
    else:
        print(f"result: {result.outcome} ({result.phase.value}), laps {result.laps_completed}"
              + (f": {result.reason}" if result.reason else ""))
    return 0 if result.ok else 1
