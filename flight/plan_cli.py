"""`aeropatrol plan ...`: plan a survey, loop, corridor, perimeter or orbit, check a plan file, convert files.

Exit codes: 0 feasible / done, 2 bad input (file or argument, the message names the field), 3 plan refused as
infeasible (the reasons are printed; nothing is written).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from aeropatrol.cli_groups import add_group

EXIT_BAD_INPUT = 2
EXIT_INFEASIBLE = 3


def _latlon(text: str) -> tuple[float, ...]:
    try:
        vals = tuple(float(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected LAT,LON[,ALT], got {text!r}") from None
    if len(vals) not in (2, 3):
        raise argparse.ArgumentTypeError(f"expected LAT,LON[,ALT], got {text!r}")
    return vals


def _floats(text: str) -> list[float]:
    try:
        return [float(v) for v in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number or comma-separated numbers, got {text!r}") from None


def _size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in text.lower().split("x"))
        return w, h
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected WIDTHxHEIGHT pixels, got {text!r}") from None


def _common(p: argparse.ArgumentParser, output: bool = True) -> None:
    """Options every planner shares: home, limits, vehicle, fence, output."""
    g = p.add_argument_group("home, limits and vehicle")
    g.add_argument("--home", type=_latlon, help="launch point LAT,LON[,ALT_AMSL] (default: first vertex of the shape)")
    g.add_argument("--fence", help="GeoJSON/KML polygons the vehicle must stay inside (inclusion fence)")
    g.add_argument("--exclude", help="GeoJSON/KML polygons the vehicle must stay out of (exclusion fence)")
    g.add_argument("--min-alt", type=float, default=5.0, help="lowest allowed height above home, m (default 5)")
    g.add_argument("--max-alt", type=float, default=120.0, help="highest allowed height above home, m (default 120)")
    g.add_argument("--max-distance", type=float, default=2000.0, help="max distance from home, m (default 2000; 0 = none)")
    g.add_argument("--battery-wh", type=float, default=100.0, help="battery energy, Wh (default 100)")
    g.add_argument("--reserve", type=float, default=20.0, help="battery reserve kept unused, %% (default 20)")
    g.add_argument("--hover-power", type=float, default=280.0, help="hover power, W (default 280)")
    g.add_argument("--inclusion-rule", choices=("all", "any"), default="all",
                   help="inside all inclusion zones (ArduPilot, default) or any (PX4)")
    if output:
        p.add_argument("-o", "--output", help="write the plan: .plan (QGroundControl) or .waypoints (QGC WPL 110)")
        p.add_argument("--firmware", choices=("ardupilot", "px4", "generic"), default="ardupilot",
                       help="firmwareType written into a .plan (default ardupilot)")
    p.add_argument("--json", action="store_true", help="print the report as JSON")


def _vehicle_limits(args):
    from flight.planning import SafetyLimits, VehicleProfile

    vehicle = VehicleProfile(cruise_speed_mps=getattr(args, "cruise_speed", None) or 8.0, battery_wh=args.battery_wh,
                             reserve_fraction=args.reserve / 100.0, hover_power_w=args.hover_power)
    limits = SafetyLimits(args.min_alt, args.max_alt, args.max_distance or None)
    return vehicle, limits


def _fence(args):
    from flight.files import load_shapes
    from flight.planning import FencePolygon, Geofence

    polys = []
    for path, inc in ((args.fence, True), (args.exclude, False)):
        if path:
            polys += [FencePolygon(s.coords, inc) for s in load_shapes(path) if s.kind == "polygon"]
    return Geofence(polys)


def _home(args, shape_coords):
    from flight.planning import Home

    if args.home:
        return Home(*args.home)
    return Home(shape_coords[0][0], shape_coords[0][1], 0.0)


def _finish(args, plan) -> int:
    """Validate, print the report, write the output when feasible."""
    from flight.files import save_plan, save_waypoints
    from flight.planning import check_plan

    vehicle, limits = _vehicle_limits(args)
    report = check_plan(plan, vehicle, limits, args.inclusion_rule)
    out = getattr(args, "output", None)
    written = None
    if report.feasible and out:
        if Path(out).suffix.lower() == ".waypoints":
            save_waypoints(plan, out)
        else:
            save_plan(plan, out, getattr(args, "firmware", "ardupilot"))
        written = out
    if args.json:
        d = report.to_dict()
        d["output"] = written
        d["notes"] = {k: v for k, v in plan.notes.items() if isinstance(v, (int, float, str, list, tuple))}
        print(json.dumps(d, indent=2, default=str))
    else:
        print(report.summary())
        if written:
            print(f"wrote {written}")
        elif out:
            print(f"not written: {out} (plan refused)", file=sys.stderr)
    return 0 if report.feasible else EXIT_INFEASIBLE


def _guard(handler):
    """Turn file and planner errors into a one-line message and exit code 2."""
    def run(args) -> int:
        from flight.files import FileFormatError
        from flight.planning import PlanError

        try:
            return handler(args)
        except (FileFormatError, PlanError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return EXIT_BAD_INPUT
    return run


def _survey(args) -> int:
    from flight.files import load_area
    from flight.planning import CameraSpec, plan_survey

    area = load_area(args.area, "polygon", args.area_name)
    w, h = args.image_size
    plan = plan_survey(area.coords, _home(args, area.coords), alt_m=args.alt, gsd_cm=args.gsd_cm,
                       camera=CameraSpec(args.hfov, w, h), side_overlap_pct=args.side_overlap,
                       front_overlap_pct=args.front_overlap, angle_deg=args.angle, entry=args.entry,
                       turnaround_m=args.turnaround, speed_mps=args.speed, holes=area.holes, fence=_fence(args))
    return _finish(args, plan)


def _loop(args) -> int:
    from flight.files import load_shapes
    from flight.planning import PlanParameterError, plan_loop

    if args.points:
        pts = [_latlon(t)[:2] for t in args.points.split(";") if t.strip()]
    elif args.route:
        shapes = load_shapes(args.route)
        if not shapes:
            raise PlanParameterError(f"{args.route}: no line or polygon found")
        pts = shapes[0].coords
    else:
        raise PlanParameterError("give --route FILE or --points 'LAT,LON;LAT,LON;...'")
    alt = args.alt if len(args.alt) > 1 else args.alt[0]
    speed = None if args.speed is None else (args.speed if len(args.speed) > 1 else args.speed[0])
    plan = plan_loop(pts, _home(args, pts), alt_m=alt, speed_mps=speed, laps=args.laps, fence=_fence(args))
    return _finish(args, plan)


def _corridor(args) -> int:
    from flight.files import load_area
    from flight.planning import CameraSpec, plan_corridor

    road = load_area(args.road, "line", args.road_name)
    plan = plan_corridor(road.coords, _home(args, road.coords), alt_m=args.alt, passes_per_side=args.passes_per_side,
                         pass_spacing_m=args.pass_spacing, camera=CameraSpec(args.hfov), side_overlap_pct=args.side_overlap,
                         speed_mps=args.speed, pointing=args.pointing, fence=_fence(args))
    return _finish(args, plan)


def _perimeter(args) -> int:
    from flight.files import load_area
    from flight.planning import CameraSpec, plan_perimeter

    area = load_area(args.area, "polygon", args.area_name)
    plan = plan_perimeter(area.coords, _home(args, area.coords), inset_m=args.inset, alt_m=args.alt, speed_mps=args.speed,
                          laps=args.laps, gimbal_pitch_deg=args.gimbal_pitch, camera=CameraSpec(args.hfov),
                          fence=_fence(args))
    return _finish(args, plan)


def _orbit(args) -> int:
    from flight.planning import CameraSpec, GuidedOrbit, plan_orbit

    lat, lon = args.center[:2]
    orbit = GuidedOrbit(lat, lon, args.radius, args.alt, args.speed, not args.ccw, args.turns)
    plan = plan_orbit(orbit, _home(args, [(lat, lon)]), standalone=True, fence=_fence(args), camera=CameraSpec(args.hfov))
    return _finish(args, plan)


def _read_any(path: str):
    from flight.files import load_plan, load_waypoints

    return load_waypoints(path) if Path(path).suffix.lower() in (".waypoints", ".txt") else load_plan(path)


def _check(args) -> int:
    plan = _read_any(args.file)
    if args.fence or args.exclude:
        plan.fence = _fence(args)
    return _finish(args, plan)


def _convert(args) -> int:
    from flight.files import save_plan, save_waypoints

    plan = _read_any(args.input)
    if Path(args.output_file).suffix.lower() == ".waypoints":
        save_waypoints(plan, args.output_file)
        if not plan.fence.empty or plan.rally:
            print("note: .waypoints holds the mission only; fence and rally points were not written", file=sys.stderr)
    else:
        save_plan(plan, args.output_file, args.firmware)
    print(f"wrote {args.output_file} ({len(plan.items)} mission items)")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `plan` group: survey, loop, corridor, perimeter, orbit, check, convert."""
    sub = add_group(subparsers, "plan", "plan patrols (survey, loop, corridor, perimeter, orbit), check and convert plan files")

    p = sub.add_parser("survey", help="boustrophedon survey of a polygon (concave and holes allowed)")
    p.add_argument("--area", required=True, help="GeoJSON or KML file with the area polygon")
    p.add_argument("--area-name", help="pick the polygon with this name (default: the first)")
    alt = p.add_mutually_exclusive_group(required=True)
    alt.add_argument("--alt", type=float, help="height above home, m")
    alt.add_argument("--gsd-cm", type=float, help="target ground sample distance, cm/px (altitude derived)")
    p.add_argument("--hfov", type=float, default=80.0, help="camera horizontal field of view, deg (default 80)")
    p.add_argument("--image-size", type=_size, default=(4000, 3000), help="image WIDTHxHEIGHT px (default 4000x3000)")
    p.add_argument("--side-overlap", type=float, default=20.0, help="side overlap between lines, %% (default 20)")
    p.add_argument("--front-overlap", type=float, default=70.0, help="overlap along a line, %% (default 70)")
    p.add_argument("--angle", type=float, default=0.0, help="bearing of the lines, deg from north (default 0)")
    p.add_argument("--entry", type=int, choices=(0, 1, 2, 3), default=0, help="entry corner (default 0)")
    p.add_argument("--turnaround", type=float, default=0.0, help="turnaround distance, m (kept inside the area)")
    p.add_argument("--speed", type=float, help="ground speed, m/s")
    _common(p)
    p.set_defaults(func=_guard(_survey))

    p = sub.add_parser("loop", help="closed patrol through waypoints, N laps or endless")
    p.add_argument("--route", help="GeoJSON/KML line or polygon whose vertices are the waypoints")
    p.add_argument("--points", help="waypoints 'LAT,LON;LAT,LON;...'")
    p.add_argument("--alt", type=_floats, default=[50.0], help="height above home, m: one value or one per waypoint")
    p.add_argument("--speed", type=_floats, help="m/s: one value or one per leg")
    p.add_argument("--laps", type=int, default=1, help="laps to fly; 0 = endless (DO_JUMP repeat -1)")
    _common(p)
    p.set_defaults(func=_guard(_loop))

    p = sub.add_parser("corridor", help="passes along a road line, camera pointed at the road")
    p.add_argument("--road", required=True, help="GeoJSON/KML file with the road line")
    p.add_argument("--road-name", help="pick the line with this name (default: the first)")
    p.add_argument("--alt", type=float, default=50.0, help="height above home, m (default 50)")
    p.add_argument("--passes-per-side", type=int, default=0, help="extra passes on each side of the centre line")
    p.add_argument("--pass-spacing", type=float, help="m between passes (default: footprint and side overlap)")
    p.add_argument("--hfov", type=float, default=80.0, help="camera horizontal field of view, deg")
    p.add_argument("--side-overlap", type=float, default=20.0, help="%% overlap between passes")
    p.add_argument("--speed", type=float, help="ground speed, m/s")
    p.add_argument("--pointing", choices=("gimbal", "roi"), default="gimbal", help="how the camera is aimed at the road")
    _common(p)
    p.set_defaults(func=_guard(_corridor))

    p = sub.add_parser("perimeter", help="loop inside a polygon's boundary, camera looking in")
    p.add_argument("--area", required=True, help="GeoJSON or KML file with the polygon")
    p.add_argument("--area-name", help="pick the polygon with this name")
    p.add_argument("--inset", type=float, default=10.0, help="distance inside the boundary, m (default 10)")
    p.add_argument("--alt", type=float, default=50.0, help="height above home, m (default 50)")
    p.add_argument("--speed", type=float, help="ground speed, m/s")
    p.add_argument("--laps", type=int, default=1, help="laps; 0 = endless")
    p.add_argument("--gimbal-pitch", type=float, default=-45.0, help="camera pitch, deg (default -45)")
    p.add_argument("--hfov", type=float, default=80.0, help="camera horizontal field of view, deg")
    _common(p)
    p.set_defaults(func=_guard(_perimeter))

    p = sub.add_parser("orbit", help="circle a point with the camera on it (standalone mission)")
    p.add_argument("--center", type=_latlon, required=True, help="LAT,LON of the point")
    p.add_argument("--radius", type=float, default=30.0, help="m (default 30)")
    p.add_argument("--alt", type=float, default=40.0, help="height above home, m (default 40)")
    p.add_argument("--speed", type=float, default=5.0, help="m/s (default 5)")
    p.add_argument("--turns", type=float, default=1.0, help="circles (default 1)")
    p.add_argument("--ccw", action="store_true", help="counter-clockwise")
    p.add_argument("--hfov", type=float, default=80.0, help="camera horizontal field of view, deg")
    _common(p)
    p.set_defaults(func=_guard(_orbit))

    p = sub.add_parser("check", help="validate a .plan or .waypoints file and print its figures")
    p.add_argument("file", help=".plan or .waypoints file")
    _common(p, output=False)
    p.set_defaults(func=_guard(_check))

    p = sub.add_parser("convert", help="convert between .plan and .waypoints")
    p.add_argument("input", help=".plan or .waypoints file")
    p.add_argument("output_file", metavar="OUTPUT", help=".plan or .waypoints file to write")
    p.add_argument("--firmware", choices=("ardupilot", "px4", "generic"), default="ardupilot")
    p.set_defaults(func=_guard(_convert))
