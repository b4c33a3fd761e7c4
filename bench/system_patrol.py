"""Wall time per simulated minute of patrol, with and without vision, and where the time goes.

Runs the same reduced town patrol (one lap of two streets, 640x360 at 5 fps) three ways in lockstep,
with sim time capped at 10x wall time (the flight controller runs on wall time): no vision (flight + vehicle + traffic only), oracle boxes (render + tracking +
rules + evidence + link, no detector), and the shipped detector. Prints wall seconds per simulated
patrol minute for each and the stage table of the detector run.

    .venv/bin/python -m bench.system_patrol [--quick] [--out DIR]
"""
from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path


def reduced(mode: str, quick: bool):
    """The reduced town patrol for one mode: 'none', 'oracle' or 'detector'."""
    from aeropatrol.scenario.runner import default_model
    from aeropatrol.scenario_config import load_scenario

    repo = Path(__file__).resolve().parent.parent
    sc = load_scenario(repo / "scenarios" / "town_patrol.yaml")
    wps = [(-105.0, 115.0), (-105.0, -125.0)] if quick else [(-105.0, 115.0), (-105.0, -125.0), (120.0, -125.0)]
    drone = sc.drones[0].model_copy(update={"patrol": sc.drones[0].patrol.model_copy(update={"waypoints": wps, "laps": 1})})
    vision = sc.vision.model_copy(update={"enabled": mode != "none", "oracle": mode == "oracle" or default_model() is None})
    return sc.model_copy(update={"name": f"bench_{mode}", "speedup": 10.0, "drones": [drone], "vision": vision,
                                 "camera": sc.camera.model_copy(update={"width": 640, "height": 360, "fps": 5.0}),
                                 "link": sc.link.model_copy(update={"cuts": []})})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one street instead of two")
    parser.add_argument("--out", default=None, help="keep the runs (and write system_patrol.json) here")
    args = parser.parse_args()
    from aeropatrol.scenario.runner import run_scenario

    root = Path(args.out) if args.out else Path(tempfile.mkdtemp(prefix="bench_system_"))
    rows = {}
    for mode in ("none", "oracle", "detector"):
        sc = reduced(mode, args.quick)
        t0 = time.perf_counter()
        res = run_scenario(sc, root / mode, progress=False)
        wall = time.perf_counter() - t0
        m = res.metrics
        patrol_min = max(m.get("patrol_sim_s", 0.0), 1e-9) / 60.0
        sim_min = m.get("sim_s", 0.0) / 60.0
        loop_wall = wall - m["wall_s"].get("setup", 0.0) - m["wall_s"].get("report", 0.0)
        rows[mode] = {"ok": res.ok, "wall_s": round(wall, 1), "sim_s": m.get("sim_s"), "patrol_s": m.get("patrol_sim_s"),
                      "frames": m.get("frames"), "loop_wall_per_patrol_min_s": round(loop_wall / patrol_min, 1),
                      "loop_wall_per_sim_min_s": round(loop_wall / max(sim_min, 1e-9), 1),
                      "wall": {k: round(v, 2) for k, v in m["wall_s"].items()}, "stages": m.get("stages_s", {}),
                      "model": m.get("model")}
        print(f"{mode:>8}: {wall:6.1f} s wall for {m.get('sim_s')} s sim ({m.get('patrol_sim_s')} s patrol, "
              f"{m.get('frames')} frames); loop {rows[mode]['loop_wall_per_patrol_min_s']:.1f} s wall per patrol minute")
    base = rows["none"]["loop_wall_per_patrol_min_s"]
    print("\n| mode | wall s / patrol minute (loop) | x no-vision | frames |\n|---|---|---|---|")
    for mode, r in rows.items():
        print(f"| {mode} | {r['loop_wall_per_patrol_min_s']:.1f} | {r['loop_wall_per_patrol_min_s'] / max(base, 1e-9):.1f} | {r['frames']} |")
    det = rows["detector"]
    total = det["wall"]["total"]
    print(f"\nwhere the time goes ({det['model']}):\n| part | s | share |\n|---|---|---|")
    parts = {k: v for k, v in det["wall"].items() if k not in ("total", "onboard")}
    parts.update({f"onboard {k}": v for k, v in det["stages"].items()})
    for k, v in sorted(parts.items(), key=lambda kv: -kv[1]):
        print(f"| {k} | {v:.1f} | {100 * v / total:.0f} % |")
    (root / "system_patrol.json").write_text(json.dumps(rows, indent=1))
    print(f"\nruns and system_patrol.json under {root}")


if __name__ == "__main__":
    main()
