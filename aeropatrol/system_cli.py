"""System commands: ``aeropatrol sim run SCENARIO.yaml`` (scored SITL scenario), ``aeropatrol demo`` (what
``make demo`` runs) and ``aeropatrol onboard`` (the companion-computer app)."""
from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``demo`` and ``onboard`` at the top level and ``run`` to the ``sim`` group."""
    from aeropatrol.cli_groups import group_subparsers

    try:
        sim = group_subparsers(subparsers, "sim")
    except KeyError:
        sim = None
    if sim is not None:
        p = sim.add_parser("run", help="run a SITL scenario (town, traffic, drones, link faults) and write a scored report",
                           description="Fly a scenario file in lockstep SITL and write report.md/report.html.")
        p.add_argument("scenario", help="scenario YAML file (see scenarios/)")
        p.add_argument("--out", default=None, help="output directory (default out/<scenario name>)")
        p.add_argument("--speedup", type=float, default=None, help="max sim seconds per wall second (default: the scenario's, 10)")
        p.add_argument("--seed", type=int, default=None, help="override the scenario seed")
        p.add_argument("--duration", type=float, default=None, help="override the sim-time limit (s)")
        p.add_argument("--oracle", action="store_true", help="use the true boxes instead of the detector")
        p.add_argument("--check", action="store_true", help="only validate the file and exit")
        p.add_argument("--no-progress", action="store_true", help="no progress bar")
        p.add_argument("--json", action="store_true", help="print the metrics as JSON")
        p.set_defaults(func=_run)
    d = subparsers.add_parser("demo", help="fly a complete short patrol of the simulated town and print the report",
                              description="The newcomer's demo: one drone patrols the sims town, flags infractions, "
                                          "streams to a ground side; ends with the report path and a summary.")
    d.add_argument("--out", default="out/demo", help="output directory")
    d.add_argument("--scenario", default=None, help="scenario file (default scenarios/demo.yaml)")
    d.add_argument("--oracle", action="store_true", help="use the true boxes instead of the detector")
    d.add_argument("--gs", action="store_true", help="open the ground station on the result (default when $DISPLAY is set)")
    d.add_argument("--no-gs", action="store_true", help="never open the ground station")
    d.set_defaults(func=_demo)
    from aeropatrol.onboard_cli import add_onboard_parser

    add_onboard_parser(subparsers)


def _load(path: str, args) -> "object":
    from aeropatrol.scenario_config import load_scenario

    overrides = {"seed": args.seed if hasattr(args, "seed") else None,
                 "speedup": getattr(args, "speedup", None), "duration_s": getattr(args, "duration", None)}
    sc = load_scenario(path, overrides)
    if getattr(args, "oracle", False):
        sc = sc.model_copy(update={"vision": sc.vision.model_copy(update={"oracle": True})})
    return sc


def _run(args: argparse.Namespace) -> int:
    import json
    import sys
    from pathlib import Path

    from aeropatrol.scenario_config import ScenarioError

    try:
        sc = _load(args.scenario, args)
    except ScenarioError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.check:
        print(f"{args.scenario}: ok ({sc.name}, {len(sc.drones)} drone(s), {len(sc.traffic.infractions)} staged infractions)")
        return 0
    from aeropatrol.scenario.runner import run_scenario
    from aeropatrol.scenario.summary import print_summary

    out = Path(args.out or f"out/{sc.name}")
    result = run_scenario(sc, out, progress=not args.no_progress and sys.stderr.isatty())
    if args.json:
        print(json.dumps(result.metrics, default=str))
    else:
        print_summary(result)
    return 0 if result.ok else 1


def _demo(args: argparse.Namespace) -> int:
    import os
    import sys
    from pathlib import Path

    from aeropatrol.scenario_config import ScenarioError

    repo = Path(__file__).resolve().parent.parent
    path = args.scenario or str(repo / "scenarios" / "demo.yaml")
    try:
        sc = _load(path, argparse.Namespace(oracle=args.oracle))
    except ScenarioError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    from aeropatrol.scenario.runner import run_scenario
    from aeropatrol.scenario.summary import print_summary

    print(f"AeroPatrol demo: {' '.join(sc.description.split())}")
    print("building the town, starting the simulated drone, the flight controller, the onboard app and the ground side ...")
    result = run_scenario(sc, Path(args.out), progress=sys.stderr.isatty())
    print_summary(result)
    out = Path(args.out)
    gs = [sys.executable, "-m", "aeropatrol", "gs", "--inbox", str(out / "ground" / "inbox.db"),
          "--zones", str(out / "zones.geojson"), "--center", f"{sc.town.home.lat},{sc.town.home.lon},17"]
    if (args.gs or os.environ.get("DISPLAY")) and not args.no_gs and result.report_md is not None:
        import subprocess

        print("opening the ground station on the ground inbox (close its window to finish) ...")
        subprocess.call(gs)
    else:
        print("ground station (needs a display): " + " ".join(["aeropatrol", *gs[3:]]))
    return 0 if result.ok else 1
