"""``aeropatrol onboard``: the companion-computer app on a real or simulated vehicle (frames + MAVLink pose ->
tracks -> infractions -> evidence -> store -> data link), with a live status line and a tracks log."""
from __future__ import annotations

import argparse


def add_onboard_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register ``aeropatrol onboard``."""
    p = subparsers.add_parser("onboard", help="run the onboard app: detect, track, georeference, flag, store, stream",
                              description="Companion-computer app: pose from a read-only MAVLink link, frames from a "
                                          "camera/stream/file, infractions committed to the onboard store before they "
                                          "are streamed to the ground over Zenoh.")
    p.add_argument("--connect", required=True, help="MAVLink connection (e.g. tcp:127.0.0.1:5762)")
    p.add_argument("--camera", required=True,
                   help="sim[://HOST:PORT] (the sims camera stream, docs/sims_camera.md), rtsp://..., udp://..., a device index or a video file")
    p.add_argument("--model", default=None, help="detector weights (default: the shipped models/*.pt)")
    p.add_argument("--zones", required=True, help="zones GeoJSON (roads, no-parking, restricted, privacy)")
    p.add_argument("--rules", default=None, help="rules YAML (default: all four rules with their defaults)")
    p.add_argument("--link-listen", action="append", default=[], help="Zenoh endpoint to listen on (repeatable)")
    p.add_argument("--link-connect", action="append", default=[], help="Zenoh endpoint to connect to (repeatable)")
    p.add_argument("--store", default="onboard.db", help="onboard store (SQLite)")
    p.add_argument("--evidence", default="evidence", help="evidence directory")
    p.add_argument("--vehicle-id", default="drone1")
    p.add_argument("--fleet", default="sitl")
    p.add_argument("--patrol-id", default="patrol")
    p.add_argument("--hfov", type=float, default=70.0, help="camera horizontal field of view (deg)")
    p.add_argument("--ground-alt", type=float, default=None, help="flat ground AMSL (m); default: home altitude")
    p.add_argument("--tracks-log", default=None, help="write every track update as JSON lines here")
    p.add_argument("--max-frames", type=int, default=None)
    p.add_argument("--no-status", action="store_true", help="no live status line")
    p.set_defaults(func=_onboard)


def _onboard(args: argparse.Namespace) -> int:
    import logging
    import sys
    from contextlib import ExitStack

    from aeropatrol.onboard import OnboardApp, OnboardSettings
    from aeropatrol.scenario.runner import default_model

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    model = args.model or default_model()
    if model is None:
        print("error: --model: no detector given and none shipped in models/", file=sys.stderr)
        return 2
    from infractions.rules import PatrolConfigError
    from vision.detector import DetectorConfig
    from vision.onboard import TimesyncRequester, open_companion_link
    from vision.outputs import StatusLine, TrackLog
    from vision.pipeline import OnboardConfig, OnboardPipeline
    from vision.pose import PoseReader
    from vision.sources import SourceError, open_source

    settings = OnboardSettings(vehicle_id=args.vehicle_id, fleet=args.fleet, patrol_id=args.patrol_id, zones=args.zones,
                               rules=args.rules, store_path=args.store, evidence_root=args.evidence,
                               link_listen=tuple(args.link_listen), link_connect=tuple(args.link_connect),
                               ground_alt_m=args.ground_alt)
    with ExitStack() as stack:
        try:
            frames = open_source(args.camera, realtime=True)
        except SourceError as exc:
            print(f"error: --camera: {exc}", file=sys.stderr)
            return 2
        if hasattr(frames, "close"):
            stack.callback(frames.close)
        link = open_companion_link(args.connect)
        stack.callback(link.close)
        pose = PoseReader().attach(link)
        stack.callback(TimesyncRequester(link, pose.clock).start().stop)
        pipeline = OnboardPipeline(OnboardConfig(vehicle_id=args.vehicle_id, detector=DetectorConfig(model=model),
                                                 hfov_deg=args.hfov, ground_alt_m=args.ground_alt,
                                                 patrol_id=args.patrol_id), pose=pose)
        try:
            app = OnboardApp(settings, pipeline).start_link()
        except PatrolConfigError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        stack.callback(app.close)
        tlog = stack.enter_context(TrackLog(args.tracks_log)) if args.tracks_log else None
        status = None if args.no_status else StatusLine()
        pipeline.warmup()
        try:
            for k, frame in enumerate(frames):
                if args.max_frames is not None and k >= args.max_frames:
                    break
                try:
                    out = app.handle(frame)
                except (ValueError, RuntimeError) as exc:
                    logging.getLogger("aeropatrol.onboard").warning("frame %s skipped: %s", frame.frame_id, exc)
                    continue
                if tlog is not None and out.updates:
                    tlog.write(out.updates)
                if status is not None:
                    import time

                    status.update(time.time() - frame.time_s, len(pipeline.ground), int(getattr(frames, "dropped", 0)),
                                  f"infractions {len(app.infractions)} backlog {app.backlog()}")
        except KeyboardInterrupt:
            pass
        app.finish()
        print(f"onboard: {app.frames} frames, {len(app.infractions)} infractions, {len(app.packages)} evidence packages, "
              f"backlog {app.backlog()}", file=sys.stderr)
    return 0
