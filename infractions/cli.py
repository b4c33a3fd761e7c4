"""`aeropatrol evidence ...` and `aeropatrol review ...`: verify evidence, review, export, purge, users.

Module level imports only argparse and the standard library; the store and evidence code is
imported inside the handlers. Passwords come from the environment variable named by
``--password-env`` (default AEROPATROL_PASSWORD) or an interactive prompt, never from argv.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any


def _group(subparsers: argparse._SubParsersAction, name: str, help_text: str) -> argparse._SubParsersAction:
    parser = subparsers.add_parser(name, help=help_text, description=help_text)
    parser.set_defaults(func=lambda _a: (parser.print_help(), 2)[1])
    return parser.add_subparsers(dest=f"{name}_command", metavar="COMMAND")


#: Default start time given to simulator seconds (2026-01-15 12:00 UTC), inside daytime active hours.
DEFAULT_T0 = 1_768_478_400.0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``infractions``, ``evidence`` and ``review`` command groups."""
    inf = _group(subparsers, "infractions", "Traffic rules: check a patrol's zones + rules, score them on a run.")
    p = inf.add_parser("check", help="validate a zones GeoJSON and a rules YAML together")
    p.add_argument("--zones", required=True)
    p.add_argument("--rules", help="rules YAML (default: the built-in rules)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_infractions_check)
    p = inf.add_parser("score", help="run the rules on noisy ground-truth tracks and score them against the truth")
    p.add_argument("--zones", required=True, help="zones GeoJSON of the run")
    p.add_argument("--positions", required=True, help="positions.jsonl of a sims traffic run")
    p.add_argument("--truth", required=True, help="infractions.jsonl of the same run")
    p.add_argument("--rules", help="rules YAML (default: the built-in rules)")
    p.add_argument("--sigma-m", type=float, default=1.5, help="position noise, metres (1-sigma)")
    p.add_argument("--speed-sigma-kmh", type=float, default=2.0, help="speed noise, km/h (1-sigma)")
    p.add_argument("--dropout-per-s", type=float, default=0.01, help="chance per second that a track drops out")
    p.add_argument("--revisit-period-s", type=float, default=0.0,
                   help="drone revisits: seen --visible-s out of every this many seconds (0 = always seen)")
    p.add_argument("--visible-s", type=float, default=0.0, help="seconds seen per revisit period")
    p.add_argument("--speed-margin-kmh", type=float,
                   help="speeding truths under limit + tolerance + this are not expected flags "
                        "(default: 2 x speed sigma + 4)")
    p.add_argument("--duration-margin-s", type=float, default=1.0,
                   help="truths shorter than a rule's minimum time + this are not expected flags")
    p.add_argument("--t0", type=float, default=DEFAULT_T0, help="unix time of simulation second 0")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_infractions_score)

    ev = _group(subparsers, "evidence", "Evidence packages: verify integrity, make signing keys.")
    p = ev.add_parser("verify", help="check manifests, file hashes, the patrol hash chain and signatures")
    p.add_argument("dir", help="a package, a patrol directory or a directory of patrols")
    p.add_argument("--pubkey", help="trusted Ed25519 public key (PEM): every package must be signed by it")
    p.add_argument("--json", action="store_true", help="machine-readable report")
    p.set_defaults(func=_evidence_verify)
    p = ev.add_parser("keygen", help="create an Ed25519 key pair for signing evidence")
    p.add_argument("private", help="private key PEM to write (mode 0600)")
    p.add_argument("public", help="public key PEM to write")
    p.set_defaults(func=_evidence_keygen)

    rv = _group(subparsers, "review", "Review infractions in a store: list, show, decide, export, verify, purge.")

    def common(parser: argparse.ArgumentParser, user: bool = True) -> argparse.ArgumentParser:
        parser.add_argument("--db", required=True, help="store: SQLite file path or SQLAlchemy URL")
        if user:
            parser.add_argument("--user", required=True, help="your user name")
            parser.add_argument("--password-env", default="AEROPATROL_PASSWORD",
                                help="environment variable holding the password (else prompt)")
        parser.add_argument("--json", action="store_true", help="machine-readable output")
        return parser

    p = common(rv.add_parser("list", help="infractions, oldest first"))
    p.add_argument("--patrol")
    p.add_argument("--status", choices=("new", "confirmed", "rejected", "needs_more_info"))
    p.set_defaults(func=_review_list)
    p = common(rv.add_parser("show", help="one infraction with measurements (audited view)"))
    p.add_argument("infraction_id")
    p.set_defaults(func=_review_show)
    for name, decision in (("confirm", "confirmed"), ("reject", "rejected"), ("needs-info", "needs_more_info")):
        p = common(rv.add_parser(name, help=f"mark an infraction {decision}"))
        p.add_argument("infraction_id")
        p.add_argument("--note", default="", help="reviewer's note")
        p.set_defaults(func=_review_decide, decision=decision)
    p = common(rv.add_parser("release", help="release confirmed evidence so retention may purge it (admin)"))
    p.add_argument("infraction_id")
    p.add_argument("--note", default="")
    p.set_defaults(func=_review_release)
    p = common(rv.add_parser("export", help="evidence zip of an infraction, or a patrol summary (GeoJSON/CSV)"))
    p.add_argument("infraction_id", nargs="?", help="infraction to export as an evidence zip")
    p.add_argument("--patrol", help="export this patrol's summary instead")
    p.add_argument("--format", choices=("geojson", "csv"), help="summary format (default from --out suffix)")
    p.add_argument("--out", required=True, help="output file")
    p.set_defaults(func=_review_export)
    p = common(rv.add_parser("verify", help="audit-log hash chain and the store's evidence packages"))
    p.add_argument("--pubkey", help="trusted Ed25519 public key (PEM)")
    p.set_defaults(func=_review_verify)
    p = common(rv.add_parser("purge", help="apply the retention period (admin; logged)"))
    p.add_argument("--retention-days", type=float, help="set the deployment's retention period first")
    p.add_argument("--dry-run", action="store_true")
    p.add_argument("--now", type=float, help=argparse.SUPPRESS)
    p.set_defaults(func=_review_purge)
    p = common(rv.add_parser("audit", help="the audit log (admin)"))
    p.add_argument("--target")
    p.set_defaults(func=_review_audit)
    p = common(rv.add_parser("user-add", help="create a user (admin; the first user needs no login)"), user=False)
    p.add_argument("name")
    p.add_argument("--role", required=True, choices=("pilot", "reviewer", "admin"))
    p.add_argument("--as-user", dest="user", help="admin performing the change (not needed for the first user)")
    p.add_argument("--password-env", default="AEROPATROL_PASSWORD",
                   help="variable with the admin's password (--as-user) ")
    p.add_argument("--new-password-env", default="AEROPATROL_NEW_PASSWORD",
                   help="variable with the new user's password (else prompt)")
    p.set_defaults(func=_review_user_add)


def _err(msg: str) -> int:
    print(f"error: {msg}", file=sys.stderr)
    return 1


def _password(var: str, prompt: str) -> str:
    value = os.environ.get(var)
    if value is not None:
        return value
    if not sys.stdin.isatty():
        raise PermissionError(f"no password: set {var} or run interactively")
    import getpass

    return getpass.getpass(prompt)


def _open(args: argparse.Namespace):
    from infractions.store import open_store

    return open_store(args.db)


def _login(args: argparse.Namespace, store) -> Any:
    return store.users.authenticate(args.user, _password(args.password_env, f"password for {args.user}: "))


def _run(args: argparse.Namespace, body) -> int:
    """Open the store, log in, run ``body(store, user)``; turn expected failures into exit code 1."""
    from infractions.store.review import ReviewError

    try:
        store = _open(args)
    except Exception as exc:  # bad URL, unreadable file: one line, no traceback
        return _err(f"{args.db}: cannot open store ({exc})")
    try:
        user = _login(args, store)
        return body(store, user)
    except (PermissionError, KeyError, ReviewError, ValueError, FileNotFoundError) as exc:
        return _err(str(exc).strip("'\""))
    finally:
        store.close()


def _event_row(rec) -> dict[str, Any]:
    e = rec.event
    return {"infraction_id": e.infraction_id, "kind": e.kind, "rule": f"{e.rule_id}@{e.rule_version}",
            "patrol_id": e.patrol_id, "track_id": e.track_id, "cls": e.cls, "lat": e.lat, "lon": e.lon,
            "start_s": e.start_s, "end_s": e.end_s, "confidence": e.confidence, "status": rec.status,
            "summary": e.summary}


def _review_list(args: argparse.Namespace) -> int:
    def body(store, user) -> int:
        recs = store.review.queue(user, patrol_id=args.patrol, status=args.status)
        rows = [_event_row(r) for r in recs]
        if args.json:
            print(json.dumps(rows, indent=1))
        else:
            for r in rows:
                print(f"{r['infraction_id']}  {r['status']:<15} {r['kind']:<15} conf {r['confidence']:.2f}  {r['summary']}")
            print(f"{len(rows)} infraction(s)")
        return 0
    return _run(args, body)


def _review_show(args: argparse.Namespace) -> int:
    import msgspec

    def body(store, user) -> int:
        rec = store.review.show(user, args.infraction_id)
        data = {"event": msgspec.structs.asdict(rec.event), "status": rec.status, "status_by": rec.status_by,
                "status_note": rec.status_note, "evidence": store.records.evidence_for(args.infraction_id),
                "reviews": store.review.history(args.infraction_id)}
        if args.json:
            print(json.dumps(data, indent=1, default=float))
        else:
            e = rec.event
            print(f"{e.infraction_id}  {e.kind} ({e.rule_id} v{e.rule_version})  status {rec.status}")
            print(f"  {e.summary}")
            print(f"  where {e.lat:.6f}, {e.lon:.6f} ± {e.sigma_m:.1f} m   when {e.start_s:.1f} .. {e.end_s:.1f}")
            print(f"  confidence {e.confidence:.3f}   params {e.rule_params}")
            for k, v in e.measurements.items():
                print(f"  {k:>22} = {v:.3f}")
            for ref in data["evidence"]:
                print(f"  evidence {ref['evidence_id']} at {ref['path']}")
        return 0
    return _run(args, body)


def _review_decide(args: argparse.Namespace) -> int:
    def body(store, user) -> int:
        rec = store.review.decide(user, args.infraction_id, args.decision, args.note)
        out = {"infraction_id": args.infraction_id, "status": rec.status, "by": rec.status_by}
        print(json.dumps(out) if args.json else f"{args.infraction_id}: {rec.status} by {rec.status_by}")
        return 0
    return _run(args, body)


def _review_release(args: argparse.Namespace) -> int:
    def body(store, user) -> int:
        store.review.release(user, args.infraction_id, args.note)
        print(f"{args.infraction_id}: released")
        return 0
    return _run(args, body)


def _review_export(args: argparse.Namespace) -> int:
    from infractions.store.export import export_package, export_summary

    def body(store, user) -> int:
        if args.patrol:
            out = export_summary(store, user, args.patrol, args.out, args.format)
        elif args.infraction_id:
            out = export_package(store, user, args.infraction_id, args.out)
        else:
            raise ValueError("give an infraction id or --patrol")
        print(json.dumps({"path": str(out)}) if args.json else f"wrote {out}")
        return 0
    return _run(args, body)


def _review_verify(args: argparse.Namespace) -> int:
    from infractions.evidence.integrity import load_public_key
    from infractions.store.verify import verify_store

    def body(store, user) -> int:
        report = verify_store(store, user, load_public_key(args.pubkey) if args.pubkey else None)
        _print_report(report, args.json)
        return 0 if report.ok else 1
    return _run(args, body)


def _review_purge(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    from infractions.store.retention import purge, set_retention_days

    def body(store, user) -> int:
        if args.retention_days is not None:
            set_retention_days(store, args.retention_days, user)
        report = purge(store, user, now_s=args.now, dry_run=args.dry_run)
        if args.json:
            print(json.dumps(asdict(report)))
        else:
            verb = "would purge" if report.dry_run else "purged"
            print(f"{verb} {report.infractions} infraction(s), {report.evidence_packages} evidence package(s), "
                  f"{report.track_points} track point(s) older than {report.retention_days:g} days")
        return 0
    return _run(args, body)


def _review_audit(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    from infractions.store import audit

    def body(store, user) -> int:
        user.require("manage_users")
        with store.read() as conn:
            rows = audit.entries(conn, target=args.target)
        if args.json:
            print(json.dumps([asdict(r) for r in rows], indent=1))
        else:
            for r in rows:
                print(f"{r.seq:>6} {r.time_s:.3f} {r.actor:<12} {r.action:<16} {r.target} {json.dumps(r.detail)}")
        return 0
    return _run(args, body)


def _review_user_add(args: argparse.Namespace) -> int:
    try:
        store = _open(args)
    except Exception as exc:
        return _err(f"{args.db}: cannot open store ({exc})")
    try:
        actor = None
        if args.user:
            actor = _login(args, store)
        elif store.users.count():
            return _err("users exist already: give --as-user ADMIN")
        password = _password(args.new_password_env, f"password for new user {args.name}: ")
        user = store.users.add(args.name, password, args.role, actor=actor)
        print(json.dumps({"user": user.username, "role": user.role}) if args.json else
              f"created {user.role} {user.username}")
        return 0
    except (PermissionError, ValueError) as exc:
        return _err(str(exc))
    finally:
        store.close()


def _infractions_check(args: argparse.Namespace) -> int:
    from infractions.rules import PatrolConfigError, load_patrol_config

    try:
        cfg = load_patrol_config(args.zones, args.rules)
    except PatrolConfigError as exc:
        return _err(str(exc))
    kinds = sorted({z.kind for z in cfg.zones.zones})
    out = {"zones": {k: len(cfg.zones.of_kind(k)) for k in kinds},
           "rules": [{"id": r.id, "kind": r.kind, "version": r.version, "enabled": r.enabled} for r in cfg.rules.rules],
           "timezone": cfg.rules.timezone}
    if args.json:
        print(json.dumps(out, indent=1))
    else:
        print("zones: " + ", ".join(f"{n} {k}" for k, n in out["zones"].items()))
        for r in out["rules"]:
            print(f"rule {r['id']} ({r['kind']} v{r['version']}){'' if r['enabled'] else ' disabled'}")
    return 0


def _infractions_score(args: argparse.Namespace) -> int:
    import time

    from infractions.rules import PatrolConfigError, RuleEngine, load_patrol_config
    from infractions.scoring import rules_truth_filter, score
    from infractions.synthetic import NoiseModel, noisy_updates, read_positions

    try:
        cfg = load_patrol_config(args.zones, args.rules)
        truths = [json.loads(line) for line in open(args.truth, encoding="utf-8") if line.strip()]
        rows = list(read_positions(args.positions))
    except (PatrolConfigError, OSError, ValueError) as exc:
        return _err(str(exc))
    noise = NoiseModel(sigma_m=args.sigma_m, speed_sigma_kmh=args.speed_sigma_kmh,
                       dropout_per_s=args.dropout_per_s, seed=args.seed,
                       revisit_period_s=args.revisit_period_s, visible_s=args.visible_s)
    engine = RuleEngine(cfg.zones, cfg.rules, patrol_id="score", clock=lambda: 0.0)
    start = time.perf_counter()
    flags = [f.event for f in engine.update_many(noisy_updates(rows, noise, t0=args.t0))]
    engine.finish()
    wall = time.perf_counter() - start
    duration = float(rows[-1]["t"]) - float(rows[0]["t"]) if rows else 0.0
    tracks = {(f.vehicle_id, f.track_id): f.track_id // 1000 for f in flags}
    margin = args.speed_margin_kmh if args.speed_margin_kmh is not None else 2 * args.speed_sigma_kmh + 4.0
    report = score(flags, truths, patrol_duration_s=duration, track_to_agent=tracks, truth_time_offset_s=args.t0,
                   truth_filter=rules_truth_filter(cfg.rules, margin, args.duration_margin_s))
    data = {**report.as_dict(), "observations": engine.stats.observations, "flags": len(flags),
            "engine_wall_s": wall, "observations_per_s": engine.stats.observations / max(wall, 1e-9)}
    if args.json:
        print(json.dumps(data, indent=1, default=float))
    else:
        print(f"{engine.stats.observations} observations, {len(flags)} flags, {duration:.0f} s patrol, "
              f"{data['observations_per_s']:.0f} observations/s")
        for kind, ks in report.per_kind.items():
            ttf = f"{ks.time_to_flag_mean_s:.1f}" if ks.time_to_flag_mean_s is not None else "-"
            print(f"  {kind:<16} TP {ks.true_positives:>3} FP {ks.false_positives:>3} FN {ks.false_negatives:>3}  "
                  f"precision {ks.precision:.3f} recall {ks.recall:.3f}  time-to-flag {ttf} s  "
                  f"false flags/h {ks.false_flags_per_hour:.2f}")
    return 0


def _print_report(report, as_json: bool) -> None:
    if as_json:
        print(json.dumps(report.as_dict(), indent=1))
        return
    print(f"{'OK' if report.ok else 'FAILED'}: {report.patrols} patrol(s), {report.packages} package(s), "
          f"{report.signed} signed, {report.purged} purged under retention")
    for problem in report.problems:
        print(f"  problem: {problem}")


def _evidence_verify(args: argparse.Namespace) -> int:
    from infractions.evidence.integrity import load_public_key, verify_tree

    try:
        trusted = load_public_key(args.pubkey) if args.pubkey else None
    except ValueError as exc:
        return _err(str(exc))
    report = verify_tree(args.dir, trusted)
    _print_report(report, args.json)
    return 0 if report.ok else 1


def _evidence_keygen(args: argparse.Namespace) -> int:
    from infractions.evidence.integrity import generate_keypair

    try:
        generate_keypair(args.private, args.public)
    except OSError as exc:
        return _err(str(exc))
    print(f"wrote {args.private} (keep it on the drone, mode 0600) and {args.public}")
    return 0
