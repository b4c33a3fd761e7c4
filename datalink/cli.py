"""`aeropatrol link ...`: watch a fleet's data link, run a synthetic onboard publisher or a ground receiver."""
from __future__ import annotations

import argparse
import json
import sys
import time


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``link`` command group."""
    p = subparsers.add_parser("link", help="onboard -> ground data link (Zenoh): monitor, demo publisher, receiver")
    sub = p.add_subparsers(dest="link_command", metavar="LINK_COMMAND")
    p.set_defaults(func=lambda a: (p.print_help(), 2)[1])

    m = sub.add_parser("monitor", help="print what flows on a fleet's keys: rates, backlog, acks")
    _endpoint_args(m)
    m.add_argument("--vehicle", default="*", help="vehicle id (default: all)")
    m.add_argument("--interval", type=float, default=2.0, help="seconds between reports (default 2)")
    m.add_argument("--duration", type=float, default=0.0, help="stop after this many seconds (default: run until Ctrl-C)")
    m.add_argument("--json", action="store_true", help="one JSON object per report (machine-readable)")
    m.set_defaults(func=_monitor)

    d = sub.add_parser("demo-onboard", help="publish synthetic tracks/thumbnails and drain an outbox (SQLite file)")
    _endpoint_args(d)
    d.add_argument("--vehicle", required=True, help="vehicle id")
    d.add_argument("--outbox", help="SQLite outbox file (datalink.outbox.SqliteOutbox) to deliver reliably")
    d.add_argument("--add-infractions", type=int, default=0, help="queue this many synthetic infractions first")
    d.add_argument("--evidence-kb", type=int, default=0, help="attach an evidence package of this size to each")
    d.add_argument("--tracks", type=int, default=20, help="live tracks per frame (default 20)")
    d.add_argument("--fps", type=float, default=5.0, help="frames per second (default 5)")
    d.add_argument("--no-thumbnails", action="store_true", help="publish no thumbnails")
    d.add_argument("--kbps", type=float, default=200.0, help="link budget in kbit/s (default 200, 0 = unlimited)")
    d.add_argument("--duration", type=float, default=0.0, help="stop after this many seconds (default: Ctrl-C)")
    d.add_argument("--until-acked", action="store_true", help="exit 0 as soon as the outbox is empty")
    d.set_defaults(func=_demo_onboard)

    g = sub.add_parser("ground", help="receive a fleet, store infractions/evidence in an inbox, acknowledge")
    _endpoint_args(g)
    g.add_argument("--inbox", required=True, help="SQLite inbox file (deduplication + evidence)")
    g.add_argument("--duration", type=float, default=0.0, help="stop after this many seconds (default: Ctrl-C)")
    g.add_argument("--json", action="store_true", help="one JSON line per received infraction/evidence")
    g.set_defaults(func=_ground)


def _endpoint_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--connect", action="append", default=[], metavar="ENDPOINT",
                   help="Zenoh endpoint to connect to, e.g. tcp/127.0.0.1:7447 (repeatable)")
    p.add_argument("--listen", action="append", default=[], metavar="ENDPOINT", help="Zenoh endpoint to listen on")
    p.add_argument("--mode", default="peer", choices=["peer", "client"], help="peer (default) or client of a router")
    p.add_argument("--fleet", default="*", help="fleet id (default: all for receivers)")
    p.add_argument("--tls-ca", help="root CA (PEM); enables TLS endpoints")
    p.add_argument("--tls-cert", help="this node's certificate (PEM)")
    p.add_argument("--tls-key", help="this node's private key (PEM)")
    p.add_argument("--no-mtls", action="store_true", help="do not require/offer client certificates")


def _config(args: argparse.Namespace):
    from datalink.config import LinkConfig, TlsConfig

    tls = TlsConfig(args.tls_ca, args.tls_cert, args.tls_key, mutual=not args.no_mtls) if args.tls_ca else None
    return LinkConfig(listen=tuple(args.listen), connect=tuple(args.connect), mode=args.mode, tls=tls)


def _run_for(duration: float, step: float, tick) -> None:
    """Call ``tick()`` every ``step`` s until ``duration`` (0 = forever) or Ctrl-C; tick returning True stops."""
    end = time.monotonic() + duration if duration > 0 else float("inf")
    try:
        while time.monotonic() < end:
            time.sleep(min(step, max(0.0, end - time.monotonic())))
            if tick():
                return
    except KeyboardInterrupt:
        pass


def _monitor(args: argparse.Namespace) -> int:
    from datalink.config import LinkConfigError
    from datalink.monitor import LinkMonitor, format_snapshot

    if not args.connect and not args.listen:
        print("link monitor: give --connect ENDPOINT (or --listen)", file=sys.stderr)
        return 2
    try:
        mon = LinkMonitor(_config(args), args.fleet, args.vehicle).start()
    except (LinkConfigError, ValueError) as exc:
        print(f"link monitor: {exc}", file=sys.stderr)
        return 2

    def report() -> bool:
        snap = mon.snapshot()
        print(json.dumps(snap) if args.json else format_snapshot(snap), flush=True)
        return False

    try:
        _run_for(args.duration, args.interval, report)
    finally:
        mon.stop()
    return 0


def _demo_onboard(args: argparse.Namespace) -> int:
    from datalink import synthetic
    from datalink.budget import BudgetConfig
    from datalink.config import LinkConfigError
    from datalink.onboard import OnboardLink
    from datalink.outbox import MemoryOutbox, SqliteOutbox

    fleet = "default" if args.fleet == "*" else args.fleet
    outbox = SqliteOutbox(args.outbox) if args.outbox else MemoryOutbox()
    for item in synthetic.infraction_items(args.vehicle, "demo", args.add_infractions, args.evidence_kb * 1024,
                                           seed=int(time.time())):
        outbox.put(item)
    try:
        link = OnboardLink(_config(args), fleet, args.vehicle, outbox, BudgetConfig(kbps=args.kbps)).start()
    except (LinkConfigError, ValueError) as exc:
        print(f"link demo-onboard: {exc}", file=sys.stderr)
        return 2
    frame = [0]

    def tick() -> bool:
        frame[0] += 1
        if args.tracks > 0:
            link.publish_tracks(synthetic.track_batch(args.vehicle, args.tracks, frame[0]))
        if not args.no_thumbnails:
            link.publish_thumbnail(lambda spec, f=frame[0]: synthetic.thumbnail(args.vehicle, f, spec.max_width, spec.quality))
        return bool(args.until_acked) and not list(outbox.pending())

    print(f"demo-onboard {fleet}/{args.vehicle}: {len(list(outbox.pending()))} reliable items pending", flush=True)
    try:
        _run_for(args.duration, 1.0 / args.fps, tick)
    finally:
        link.stop()
    left = len(list(outbox.pending()))
    print(f"demo-onboard: stopped, {left} items unacknowledged, stats {link.stats()}", flush=True)
    return 0 if not args.until_acked or left == 0 else 1


def _ground(args: argparse.Namespace) -> int:
    from datalink.config import LinkConfigError
    from datalink.ground import GroundCallbacks, GroundLink

    def on_inf(fleet, vehicle, ev) -> None:
        rec = {"type": "infraction", "fleet": fleet, "vehicle": vehicle, "id": ev.infraction_id, "kind": ev.kind,
               "summary": ev.summary}
        print(json.dumps(rec) if args.json else f"infraction {fleet}/{vehicle} {ev.infraction_id} {ev.summary}", flush=True)

    def on_ev(fleet, vehicle, rec) -> None:
        out = {"type": "evidence", "fleet": fleet, "vehicle": vehicle, "id": rec.evidence_id, "size": rec.total_size,
               "path": str(rec.path)}
        print(json.dumps(out) if args.json else f"evidence {fleet}/{vehicle} {rec.evidence_id} {rec.total_size} B -> {rec.path}", flush=True)

    try:
        link = GroundLink(_config(args), args.inbox, args.fleet, callbacks=GroundCallbacks(on_infraction=on_inf, on_evidence=on_ev)).start()
    except (LinkConfigError, ValueError) as exc:
        print(f"link ground: {exc}", file=sys.stderr)
        return 2
    try:
        _run_for(args.duration, 0.5, lambda: False)
    finally:
        link.stop()
    return 0


def main(argv: list[str] | None = None) -> int:
    """Stand-alone entry (``python -m datalink.cli link ...``) used by tests and benches."""
    parser = argparse.ArgumentParser(prog="datalink")
    register(parser.add_subparsers(dest="command", metavar="COMMAND"))
    args = parser.parse_args(argv)
    if not hasattr(args, "func"):
        parser.print_help()
        return 2
    return int(args.func(args))


if __name__ == "__main__":
    raise SystemExit(main())
