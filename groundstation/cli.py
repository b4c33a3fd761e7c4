"""`aeropatrol gs`: start the ground station (optionally with the SITL vehicle, a store to review, offline tiles)."""
from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
from pathlib import Path

def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``gs`` command."""
    p = subparsers.add_parser("gs", help="the PyQt5 ground station (plan, fly, review)",
                              description="Start the ground station. Pilots plan and fly; reviewers log in against "
                                          "the store given with --db and review infractions.")
    p.add_argument("--connect", metavar="CONN", help="MAVLink endpoint to connect at start (tcp:host:port, udpin:...)")
    p.add_argument("--db", metavar="PATH", help="infractions store (SQLite file or SQLAlchemy URL) for review and login")
    p.add_argument("--user", help="log in as USER (password from $AEROPATROL_PASSWORD, else a dialog)")
    p.add_argument("--mbtiles", metavar="PATH", help="offline MBTiles map package")
    p.add_argument("--tiles", metavar="URL", help="XYZ tile URL template, e.g. https://tile.example/{z}/{x}/{y}.png")
    p.add_argument("--tile-cache", metavar="DIR", help="disk cache of downloaded tiles")
    p.add_argument("--zones", metavar="GEOJSON", help="zones file (roads, no-parking, restricted, privacy) to draw")
    p.add_argument("--center", metavar="LAT,LON[,ZOOM]", help="initial map centre")
    p.add_argument("--datalink-listen", action="append", default=[], metavar="ENDPOINT",
                   help="Zenoh endpoint to listen on for the onboard data link (tcp/0.0.0.0:7447)")
    p.add_argument("--datalink-connect", action="append", default=[], metavar="ENDPOINT",
                   help="Zenoh endpoint of the onboard node to connect to")
    p.add_argument("--inbox", metavar="PATH", help="SQLite inbox of the data link (default next to --db or in ~/.cache)")
    p.add_argument("--sitl", action="store_true", help="also start the simulated vehicle and connect to it")
    p.add_argument("--sitl-args", default="", help="extra arguments for `aeropatrol sim vehicle`")
    p.add_argument("--sitl-speedup", type=float, default=1.0, help="simulation speed-up of the SITL vehicle")
    p.add_argument("--autostart", action=argparse.BooleanOptionalAction, default=True,
                   help="with --sitl (default on): plan a perimeter patrol around home, upload and start it "
                        "without asking, so the drone flies within seconds; --no-autostart leaves it on the ground")
    p.add_argument("--no-town", action="store_true", help="with --sitl: do not generate/load the town base map")
    p.add_argument("--json", action="store_true", help="print the final vehicle state as one JSON line on exit")
    p.add_argument("--screenshot", metavar="PNG", help="save a screenshot of the window after --quit-after seconds")
    p.add_argument("--quit-after", type=float, metavar="S", help="close after S seconds (smoke tests, demos)")
    p.add_argument("--until-patrol", type=float, metavar="M",
                   help="close as soon as the vehicle flies its patrol (AUTO, armed) at least M metres from home "
                        "(smoke tests; --quit-after stays the upper bound)")
    p.set_defaults(func=run_gs)


def _tile_source(args: argparse.Namespace):
    from groundstation.app import default_tile_cache
    from groundstation.map.tiles import MBTilesSource, XyzTileSource

    if args.mbtiles:
        return MBTilesSource(args.mbtiles)
    if args.tiles:
        return XyzTileSource(args.tiles, args.tile_cache or default_tile_cache())
    return None


def _login(args: argparse.Namespace, store):
    """A Session for the store's user (``--user`` + $AEROPATROL_PASSWORD, or the login dialog); None if cancelled."""
    from groundstation.review.login import LoginDialog
    from groundstation.session import Session

    directory = store.users
    if directory.count() == 0:
        print("the store has no users yet: create an admin first (see `aeropatrol review --help`)", file=sys.stderr)
        return None
    password = os.environ.get("AEROPATROL_PASSWORD")
    if args.user and password is not None:
        user = directory.authenticate(args.user, password)
        return Session(user.username, user.role, user)
    dialog = LoginDialog(directory)
    if args.user:
        dialog.username.setText(args.user)
    if dialog.exec_() != dialog.Accepted:
        return None
    return dialog.session


def run_gs(args: argparse.Namespace) -> int:
    """Start the window; returns the Qt exit code (2 on a bad argument, 3 when login fails)."""
    from groundstation.qtenv import ensure_app

    app = ensure_app()  # before anything may import cv2
    from groundstation.app import AppConfig, MainWindow

    sitl = None
    try:
        try:
            tiles = _tile_source(args)
        except (OSError, ValueError) as exc:
            print(f"aeropatrol gs: {exc}", file=sys.stderr)
            return 2
        zones = None
        if args.zones:
            from geo.zones import ZoneError, load_zones

            try:
                zones = load_zones(args.zones)
            except (OSError, ZoneError, ValueError) as exc:
                print(f"aeropatrol gs: --zones {args.zones}: {exc}", file=sys.stderr)
                return 2
        center = None
        if args.center:
            try:
                parts = [float(v) for v in args.center.split(",")]
                center = (parts[0], parts[1], parts[2] if len(parts) > 2 else 16.0)
            except (ValueError, IndexError):
                print(f"aeropatrol gs: --center wants LAT,LON[,ZOOM], got {args.center!r}", file=sys.stderr)
                return 2
        service = session = store = None
        if args.db:
            from groundstation.review.service import ReviewService, open_store

            store = open_store(args.db)
            try:
                session = _login(args, store)
            except PermissionError as exc:
                print(f"aeropatrol gs: login failed: {exc}", file=sys.stderr)
                return 3
            if session is None:
                return 3
            if session.can("view_evidence"):
                service = ReviewService(store, session.user)
        bridge = None
        if args.datalink_listen or args.datalink_connect:
            from groundstation.datalink_bridge import DatalinkBridge

            inbox = args.inbox or (Path(args.db).with_suffix(".inbox.sqlite") if args.db and "://" not in args.db
                                   else Path.home() / ".cache" / "aeropatrol" / "gs_inbox.sqlite")
            sink = None
            if store is not None:
                from groundstation.ingest import StoreIngest

                root = Path(args.db).parent / "evidence" if "://" not in args.db else Path.home() / ".cache" / "aeropatrol" / "evidence"
                sink = StoreIngest(store, root)
            bridge = DatalinkBridge(inbox, tuple(args.datalink_listen), tuple(args.datalink_connect), sink=sink)
        window = MainWindow(AppConfig(connect=None if args.sitl else args.connect, tile_source=tiles, zones=zones,
                                      review_service=service, session=session, datalink=bridge, center=center))
        if args.sitl:
            from groundstation.sitl import SitlLauncher

            sitl = SitlLauncher(window, with_town=not (args.no_town or args.mbtiles), autostart=args.autostart,
                                speedup=args.sitl_speedup, extra_args=shlex.split(args.sitl_args))
            print(f"starting SITL vehicle on {sitl.endpoint}", file=sys.stderr)
            sitl.start()
        if bridge is not None:
            bridge.start()
        window.resize(1500, 900)
        window.show()
        if args.quit_after is not None:
            from PyQt5.QtCore import QTimer

            def finish() -> None:
                if args.json:
                    print(json.dumps(_final_state(window)), flush=True)
                if args.screenshot:
                    Path(args.screenshot).parent.mkdir(parents=True, exist_ok=True)
                    window.grab().save(args.screenshot)
                window.close()
                app.quit()

            QTimer.singleShot(int(args.quit_after * 1000), finish)
            if args.until_patrol is not None:
                watch = QTimer(window, interval=250)
                watch.timeout.connect(lambda: _patrolling(window, args.until_patrol) and (watch.stop(), finish()))
                watch.start()
        return int(app.exec_())
    finally:
        if sitl is not None:
            sitl.stop()


def _patrolling(window, min_dist_m: float) -> bool:
    """True when the vehicle is armed in a mission mode at least ``min_dist_m`` from its home."""
    import math

    v = window.fly.last_view
    if not (v.armed and v.has_position and v.home is not None and v.mode in ("AUTO", "AUTO.MISSION")):
        return False
    dn = (v.lat - v.home[0]) * 111_320.0
    de = (v.lon - v.home[1]) * 111_320.0 * math.cos(math.radians(v.lat))
    return math.hypot(dn, de) >= min_dist_m


def _final_state(window) -> dict:
    """What a script wants to know at exit: where the vehicle is and what it did."""
    v = window.fly.last_view
    pos = window.map.vehicles.position(v.vehicle_id)
    trail = window.map.vehicles.vehicles.get(v.vehicle_id)
    return {"connected": window.fly.connected, "mode": v.mode, "armed": v.armed, "lat": v.lat, "lon": v.lon,
            "alt_rel_m": v.alt_rel_m, "mission_seq": v.mission_seq, "map_position": pos,
            "trail_points": len(trail.trail) if trail else 0, "tiles": window.map.source is not None,
            "actions": [(r.name, r.ok, r.message) for r in window.fly.results],
            "user": window.config.session.username if window.config.session else None,
            "role": window.config.session.role if window.config.session else None,
            "fly_enabled": window.fly.allowed(), "review_queue": len(window.review_panel.records)}
