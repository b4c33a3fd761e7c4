"""`aeropatrol sim town|traffic|camera|dataset`: the synthetic town, its traffic, camera and training data."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def _town_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--seed", type=int, default=1, help="town seed (same seed, same town)")
    p.add_argument("--lat", type=float, default=47.3977, help="home latitude (town centre)")
    p.add_argument("--lon", type=float, default=8.5456, help="home longitude (town centre)")
    p.add_argument("--alt", type=float, default=408.0, help="ground altitude, metres AMSL")
    p.add_argument("--half-extent", type=float, default=300.0, help="half the town's side, metres")


def _town_spec(args: argparse.Namespace):
    from sims.world.town import TownSpec

    return TownSpec(lat=args.lat, lon=args.lon, alt_m=args.alt, seed=args.seed, half_extent_m=args.half_extent)


def cmd_town(args: argparse.Namespace) -> int:
    """Write zones GeoJSON, the MBTiles base map and a preview of the town."""
    import cv2

    from sims.world.mbtiles import write_mbtiles
    from sims.world.ortho import render_orthophoto
    from sims.world.town import generate_town
    from sims.world.zones import write_zones

    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    town = generate_town(_town_spec(args))
    zones = write_zones(town, out / "zones.geojson")
    ortho = render_orthophoto(town)
    meta = write_mbtiles(town, ortho, out / "basemap.mbtiles")
    cv2.imwrite(str(out / "preview.jpg"), cv2.resize(ortho.image, (1600, 1600), interpolation=cv2.INTER_AREA))
    summary = {"zones": str(zones), "mbtiles": str(out / "basemap.mbtiles"), "tiles": meta["tiles"],
               "roads": len(town.roads), "lanes": len(town.lanes), "buildings": len(town.buildings),
               "parking_bays": len(town.parking_bays), "areas": {a.id: a.kind for a in town.areas}}
    print(json.dumps(summary, indent=None if args.json else 1))
    return 0


def cmd_dataset(args: argparse.Namespace) -> int:
    """Generate the ultralytics dataset (train + held-out val from other towns)."""
    from tqdm import tqdm

    from sims.dataset.writer import DatasetSpec, write_dataset

    val = args.val_frames if args.val_frames is not None else max(1, args.frames // 7)
    import time

    deadline = time.time() + args.max_seconds if args.max_seconds else None
    spec = DatasetSpec(train_frames=args.frames, val_frames=val, seed=args.seed, width=args.width,
                       height=args.height, frames_per_town=args.frames_per_town, deadline_unix=deadline)
    with tqdm(total=args.frames + val, unit="frame", desc="dataset", file=sys.stderr) as bar:
        path = write_dataset(args.output, spec, workers=args.workers, progress=bar.update)
    print(json.dumps({"data_yaml": str(path), "train": args.frames, "val": val}) if args.json else f"wrote {path}")
    return 0


def cmd_traffic(args: argparse.Namespace) -> int:
    """Run the traffic of a scenario for a while and write the ground-truth logs."""
    from sims.traffic.groundtruth import run_traffic
    from sims.traffic.scenario import TrafficScenario, load_scenario
    from sims.world.town import generate_town

    scenario = load_scenario(args.scenario) if args.scenario else TrafficScenario()
    town = generate_town(_town_spec(args))
    summary = run_traffic(town, scenario, args.duration, args.dt, Path(args.output), log_every_s=args.log_every)
    print(json.dumps(summary, indent=None if args.json else 1))
    return 0


def cmd_camera(args: argparse.Namespace) -> int:
    """Serve rendered frames over TCP (see docs/sims_camera.md) from a scripted orbit or a pose feed."""
    from sims.camera.serve import serve_camera

    return serve_camera(args, _town_spec(args))


def register(sim_subparsers: argparse._SubParsersAction) -> None:
    """Add town, traffic, camera and dataset to the `sim` group."""
    p = sim_subparsers.add_parser("town", help="generate the synthetic town: zones GeoJSON + MBTiles base map")
    _town_args(p)
    p.add_argument("-o", "--output", required=True, help="output directory")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_town)

    p = sim_subparsers.add_parser("traffic", help="run town traffic (with scripted infractions), write ground truth")
    _town_args(p)
    p.add_argument("--scenario", help="scenario YAML/JSON (traffic section)")
    p.add_argument("--duration", type=float, default=300.0, help="simulated seconds")
    p.add_argument("--dt", type=float, default=0.1, help="tick, seconds")
    p.add_argument("--log-every", type=float, default=1.0, help="positions log period, seconds")
    p.add_argument("-o", "--output", required=True, help="output directory for the JSON-lines logs")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_traffic)

    p = sim_subparsers.add_parser("camera", help="serve simulated camera frames over TCP (JPEG + capture time)")
    _town_args(p)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=5600)
    p.add_argument("--fps", type=float, default=10.0)
    p.add_argument("--width", type=int, default=1280)
    p.add_argument("--height", type=int, default=720)
    p.add_argument("--hfov", type=float, default=70.0)
    p.add_argument("--altitude", type=float, default=80.0, help="orbit altitude above ground, m")
    p.add_argument("--pitch", type=float, default=-60.0, help="gimbal pitch, degrees (-90 = nadir)")
    p.add_argument("--radius", type=float, default=120.0, help="orbit radius, m")
    p.add_argument("--scenario", help="traffic scenario YAML/JSON")
    p.add_argument("--frames", type=int, default=0, help="stop after this many frames (0 = run until killed)")
    p.add_argument("--realtime", action=argparse.BooleanOptionalAction, default=True,
                   help="pace frames at --fps (off: as fast as rendering allows)")
    p.add_argument("--truth", help="write per-frame ground truth (JSON lines) here")
    p.set_defaults(func=cmd_camera)

    p = sim_subparsers.add_parser("dataset", help="write an ultralytics dataset from the simulated camera")
    p.add_argument("--frames", type=int, required=True, help="training frames")
    p.add_argument("--val-frames", type=int, default=None, help="held-out frames (default frames/7)")
    p.add_argument("-o", "--output", required=True, help="dataset directory")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--width", type=int, default=1280)
    p.add_argument("--height", type=int, default=720)
    p.add_argument("--frames-per-town", type=int, default=100)
    p.add_argument("--workers", type=int, default=1, help="processes (one town each)")
    p.add_argument("--max-seconds", type=float, default=None,
                   help="stop starting new frames after this long (what is written stays consistent)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_dataset)


def main(argv: list[str] | None = None) -> int:
    """Stand-alone entry (python -m sims.world_cli COMMAND ...)."""
    parser = argparse.ArgumentParser(prog="aeropatrol sim")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    raise SystemExit(main())
