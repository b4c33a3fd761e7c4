"""`aeropatrol geo project|footprint`: georeference a pixel, or print the camera footprint as GeoJSON."""
from __future__ import annotations

import argparse
import json
import math
import sys


def _size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"size must look like 1920x1080, got {text!r}") from None
    if w <= 0 or h <= 0:
        raise argparse.ArgumentTypeError(f"size must be positive, got {text!r}")
    return w, h


def _pixel(text: str) -> tuple[float, float]:
    try:
        u, v = (float(x) for x in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"pixel must look like 960,540, got {text!r}") from None
    return u, v


def _add_pose_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--lat", type=float, required=True, help="vehicle latitude, degrees")
    p.add_argument("--lon", type=float, required=True, help="vehicle longitude, degrees")
    p.add_argument("--alt", type=float, required=True, help="vehicle altitude, metres AMSL")
    p.add_argument("--roll", type=float, default=0.0, help="vehicle roll, degrees (MAVLink ATTITUDE)")
    p.add_argument("--pitch", type=float, default=0.0, help="vehicle pitch, degrees")
    p.add_argument("--yaw", type=float, default=0.0, help="vehicle yaw/heading, degrees")
    p.add_argument("--gimbal-pitch", type=float, default=-90.0, help="gimbal pitch, degrees (-90 = straight down)")
    p.add_argument("--gimbal-roll", type=float, default=0.0, help="gimbal roll, degrees")
    p.add_argument("--gimbal-yaw", type=float, default=0.0, help="gimbal yaw, degrees (relative to the frame below)")
    p.add_argument("--gimbal-frame", choices=("vehicle", "earth", "mount"), default="vehicle",
                   help="vehicle: stabilised, yaw relative to heading; earth: yaw relative to north; mount: body-fixed")
    p.add_argument("--hfov", type=float, required=True, help="horizontal field of view, degrees")
    p.add_argument("--size", type=_size, required=True, help="image size WxH, e.g. 1920x1080")
    p.add_argument("--ground-alt", type=float, default=0.0, help="flat ground altitude, metres AMSL (default 0)")
    p.add_argument("--max-range", type=float, default=5000.0, help="max slant range, metres")
    p.add_argument("--sigma-att", type=float, default=0.5, help="1-sigma attitude error per axis, degrees")
    p.add_argument("--sigma-pos", type=float, default=0.0, help="1-sigma horizontal position error per axis, metres")
    p.add_argument("--sigma-alt", type=float, default=0.0, help="1-sigma altitude error, metres")
    p.add_argument("--json", action="store_true", help="machine-readable output")


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `geo` command group."""
    geo = subparsers.add_parser("geo", help="georeferencing tools", description="georeferencing tools")
    geo.set_defaults(func=lambda _a: (geo.print_help(), 2)[1])
    sub = geo.add_subparsers(dest="geo_command", metavar="COMMAND")
    project = sub.add_parser("project", help="ground point (lat, lon, alt, 1-sigma) of a pixel")
    _add_pose_args(project)
    project.add_argument("--px", type=_pixel, required=True, help="pixel u,v (u right, v down)")
    project.set_defaults(func=_project)
    fp = sub.add_parser("footprint", help="camera footprint on the ground as GeoJSON")
    _add_pose_args(fp)
    fp.set_defaults(func=_footprint)


def _pose(args: argparse.Namespace):
    from geo.pose import FixedMount, GimbalAttitude, PoseSample, PoseUncertainty

    r = math.radians
    if args.gimbal_frame == "mount":
        gimbal = FixedMount(r(args.gimbal_roll), r(args.gimbal_pitch), r(args.gimbal_yaw))
    else:
        gimbal = GimbalAttitude.from_euler(r(args.gimbal_roll), r(args.gimbal_pitch), r(args.gimbal_yaw), args.gimbal_frame)
    sigma = PoseUncertainty(r(args.sigma_att), args.sigma_pos, args.sigma_alt)
    return PoseSample(0.0, args.lat, args.lon, args.alt, r(args.roll), r(args.pitch), r(args.yaw), gimbal, sigma)


def _camera(args: argparse.Namespace):
    from geo.camera import CameraModel

    return CameraModel.from_hfov(args.size[0], args.size[1], args.hfov)


def _fail(args: argparse.Namespace, message: str) -> int:
    if args.json:
        print(json.dumps({"error": message}))
    else:
        print(f"aeropatrol geo: error: {message}", file=sys.stderr)
    return 1


def _project(args: argparse.Namespace) -> int:
    from geo.projection import pixel_to_ground_one

    try:
        point = pixel_to_ground_one(_pose(args), _camera(args), args.px[0], args.px[1], args.ground_alt, args.max_range)
    except ValueError as exc:  # includes NoGroundIntersection
        return _fail(args, str(exc))
    if args.json:
        print(json.dumps({"lat": point.lat, "lon": point.lon, "alt": point.alt, "sigma_m": point.sigma_m}))
    else:
        print(f"lat {point.lat:.7f}  lon {point.lon:.7f}  alt {point.alt:.2f} m  sigma {point.sigma_m:.2f} m")
    return 0


def _footprint(args: argparse.Namespace) -> int:
    from shapely.geometry import mapping

    from geo.frames import LocalFrame
    from geo.projection import footprint
    from geo.shapes import to_metres

    try:
        poly = footprint(_pose(args), _camera(args), args.ground_alt, args.max_range)
    except ValueError as exc:
        return _fail(args, str(exc))
    if poly.is_empty:
        return _fail(args, "no ground intersection: the camera sees no ground")
    frame = LocalFrame(args.lat, args.lon, args.ground_alt)
    area = to_metres(poly, frame).area
    feature = {"type": "Feature", "properties": {"area_m2": round(float(area), 1)}, "geometry": mapping(poly)}
    print(json.dumps(feature, indent=None if args.json else 2))
    return 0
