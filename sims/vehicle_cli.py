"""`aeropatrol sim vehicle`: run one or more simulated multicopters (ArduPilot or PX4 flavour) until SIGINT/SIGTERM."""
from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
from pathlib import Path


def _home(text: str) -> tuple[float, float, float, float]:
    """Parse --home LAT,LON,ALT[,HDG]."""
    parts = text.split(",")
    if len(parts) not in (3, 4):
        raise argparse.ArgumentTypeError(f"--home wants LAT,LON,ALT[,HDG], got {text!r}")
    try:
        values = [float(p) for p in parts]
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"--home {text!r}: {exc}") from exc
    if not (-90 <= values[0] <= 90 and -180 <= values[1] <= 180):
        raise argparse.ArgumentTypeError(f"--home {text!r}: latitude/longitude out of range")
    return (values[0], values[1], values[2], values[3] if len(values) == 4 else 0.0)


def _hostport(text: str) -> tuple[str, int]:
    """Parse HOST:PORT."""
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit():
        raise argparse.ArgumentTypeError(f"--udp-out wants HOST:PORT, got {text!r}")
    return host, int(port)


def _window(text: str) -> tuple[float, float]:
    """Parse START:SECONDS."""
    try:
        start, duration = (float(x) for x in text.split(":"))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"expected START:SECONDS, got {text!r}") from exc
    return start, duration


def _param(text: str) -> tuple[str, float]:
    """Parse NAME=VALUE."""
    name, _, value = text.partition("=")
    try:
        return name.strip().upper(), float(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"--param wants NAME=VALUE, got {text!r}") from exc


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `vehicle` to the `sim` command group."""
    p = subparsers.add_parser("vehicle", help="run SITL multicopter(s) speaking MAVLink 2 (ArduPilot Copter or PX4)",
                              description=__doc__)
    p.add_argument("--home", type=_home, default=(47.397742, 8.545594, 488.0, 0.0), metavar="LAT,LON,ALT,HDG",
                   help="start position (deg, deg, m AMSL, heading deg); default Zurich PX4 SITL home")
    p.add_argument("--speedup", type=float, default=1.0, help="sim seconds per wall second (default 1)")
    p.add_argument("--lockstep", action="store_true", help="run unpaced, as fast as the CPU allows (deterministic steps)")
    p.add_argument("--flavour", choices=("ardupilot", "px4"), default="ardupilot")
    p.add_argument("--tcp", type=int, default=5760, metavar="PORT",
                   help="TCP server port of the first vehicle; vehicle i uses PORT+10*i (0 = free ports, -1 = none)")
    p.add_argument("--tcp-host", default="127.0.0.1", help="address the TCP server binds (0.0.0.0 for all)")
    p.add_argument("--udp-out", type=_hostport, action="append", default=[], metavar="HOST:PORT",
                   help="also send to a GCS over UDP; vehicle i uses PORT+10*i (repeatable)")
    p.add_argument("--sysid", type=int, default=1, help="MAVLink system id of the first vehicle")
    p.add_argument("--count", type=int, default=1, help="number of vehicles (sysid, sysid+1, ...)")
    p.add_argument("--seed", type=int, default=0, help="random seed (noise, gusts, faults)")
    p.add_argument("--state-dir", type=Path, default=None,
                   help="where each vehicle's .parm file persists (default ~/.local/state/aeropatrol/sim_vehicle)")
    p.add_argument("--param", type=_param, action="append", default=[], metavar="NAME=VALUE",
                   help="parameter override at start, not persisted (repeatable)")
    p.add_argument("--battery", type=float, default=100.0, help="battery charge at start, percent")
    p.add_argument("--gps-lock", type=float, default=5.0, help="sim seconds until a 3D GPS fix")
    g = p.add_argument_group("fault injection (every link, both directions)")
    g.add_argument("--loss", type=float, default=0.0, metavar="PCT", help="packet loss percent")
    g.add_argument("--latency", type=float, default=0.0, metavar="MS", help="one-way latency, ms")
    g.add_argument("--jitter", type=float, default=0.0, metavar="MS", help="extra random latency up to MS")
    g.add_argument("--duplicate", type=float, default=0.0, metavar="PCT", help="duplicated packets percent")
    g.add_argument("--reorder", type=float, default=0.0, metavar="PCT", help="re-ordered packets percent")
    g.add_argument("--cut", type=_window, action="append", default=[], metavar="START:SECONDS",
                   help="cut every link for SECONDS starting START s after launch (repeatable)")
    g.add_argument("--gps-loss", type=_window, action="append", default=[], metavar="START:SECONDS",
                   help="GPS outage in sim time (repeatable)")
    p.add_argument("--json", action="store_true", help="print the endpoints as one JSON line")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Start the vehicles, print their endpoints, run until SIGINT/SIGTERM."""
    os.environ.setdefault("MAVLINK20", "1")
    from sims.vehicle import FaultConfig, SimVehicle, VehicleConfig, VehicleRunner

    if args.count < 1 or not 1 <= args.sysid <= 254 or args.sysid + args.count - 1 > 254:
        print("error: --sysid/--count must keep system ids within 1..254", file=sys.stderr)
        return 2
    if args.speedup <= 0 and not args.lockstep:
        print("error: --speedup must be > 0 (use --lockstep for unpaced)", file=sys.stderr)
        return 2
    state_dir = args.state_dir or Path(os.environ.get("XDG_STATE_HOME", Path.home() / ".local/state")) / "aeropatrol/sim_vehicle"
    lat, lon, alt, hdg = args.home
    vehicles = []
    try:
        faults = FaultConfig(loss_pct=args.loss, latency_s=args.latency / 1000.0, jitter_s=args.jitter / 1000.0,
                             duplicate_pct=args.duplicate, reorder_pct=args.reorder)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        for i in range(args.count):
            sysid = args.sysid + i
            config = VehicleConfig(
                home_lat=lat + i * 0.00005, home_lon=lon, home_alt_m=alt, home_heading_deg=hdg, flavour=args.flavour,
                sysid=sysid, seed=args.seed, tcp_port=None if args.tcp < 0 else (args.tcp + 10 * i if args.tcp else 0),
                tcp_host=args.tcp_host, udp_out=[(h, port + 10 * i) for h, port in args.udp_out],
                params_path=state_dir / f"{args.flavour}-sysid{sysid}.parm", param_overrides=dict(args.param),
                gps_lock_s=args.gps_lock, battery_percent=args.battery, faults=faults, gps_outages=list(args.gps_loss))
            vehicles.append(SimVehicle(config))
    except OSError as exc:
        print(f"error: cannot open endpoint: {exc}", file=sys.stderr)
        for v in vehicles:
            v.close()
        return 1
    runner = VehicleRunner(vehicles, speedup=0.0 if args.lockstep else args.speedup)
    t0 = vehicles[0].link_clock()
    for v in vehicles:
        if args.cut:
            v.set_faults(FaultConfig(faults.loss_pct, faults.latency_s, faults.jitter_s, faults.duplicate_pct,
                                     faults.reorder_pct, [(t0 + s, t0 + s + d) for s, d in args.cut]))
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    runner.start()
    info = [{"sysid": v.sysid, "flavour": v.flavour.value, "endpoints": v.endpoints} for v in vehicles]
    if args.json:
        print(json.dumps({"vehicles": info, "speedup": args.speedup, "lockstep": args.lockstep}), flush=True)
    else:
        for item in info:
            print(f"vehicle sysid={item['sysid']} flavour={item['flavour']} listening on {' '.join(item['endpoints'])}",
                  flush=True)
    while not stop.is_set() and runner.error is None:
        stop.wait(0.2)
    runner.stop()
    if runner.error is not None:
        print(f"error: simulation failed: {runner.error!r}", file=sys.stderr)
        return 1
    return 0
