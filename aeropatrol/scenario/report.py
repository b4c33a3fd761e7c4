"""The run report: ``metrics.json``, ``report.md`` and ``report.html`` with matplotlib figures (map of tracks
vs truth, infractions found vs scripted, geolocation error histogram, speed error, link statistics, flight
timeline) and the table of where the wall time goes."""
from __future__ import annotations

import html
import json
import math
from pathlib import Path


def _fmt(v, nd: int = 2) -> str:
    if v is None:
        return "–"
    if isinstance(v, float):
        return "–" if math.isnan(v) else f"{v:.{nd}f}"
    return str(v)


def _save(fig, path: Path) -> Path:
    """Write a figure as PNG and free it."""
    import matplotlib.pyplot as plt

    fig.savefig(path, dpi=90, bbox_inches="tight")
    plt.close(fig)
    return path


def _figures(run, m: dict, fig_dir: Path) -> dict[str, Path]:
    """Draw every figure; returns name -> PNG path."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    fig_dir.mkdir(parents=True, exist_ok=True)
    out: dict[str, Path] = {}
    town = run.world.town
    frame = town.frame

    def en(lat, lon):
        e, n, _ = frame.to_enu(np.asarray(lat, float), np.asarray(lon, float), np.zeros(np.size(lat)))
        return np.atleast_1d(e), np.atleast_1d(n)

    # map: roads, zones, drone paths, truth infraction tracks, flags
    fig, ax = plt.subplots(figsize=(8, 8))
    for r in town.roads:
        x, y = r.line.xy
        ax.plot(x, y, color="0.75", lw=max(1.0, r.width_m / 3))
    colours = {"no_parking": "tab:orange", "restricted": "tab:red", "privacy": "tab:purple"}
    for a in town.areas:
        if a.kind in colours:
            x, y = a.polygon.exterior.xy
            ax.fill(x, y, color=colours[a.kind], alpha=0.25, lw=0)
    for d in run.drones:
        if d.track:
            e, n = en([t[1] for t in d.track], [t[2] for t in d.track])
            ax.plot(e, n, "-", lw=1.2, label=f"{d.spec.id} path (truth)")
    tracks = {}
    for row in m.get("_truth_tracks", []):
        tracks[row["agent_id"]] = row
    for t in m.get("_scripted_truths", []):
        if t["track"]:
            arr = np.asarray(t["track"], float)
            e, n = en(arr[:, 1], arr[:, 2])
            ax.plot(e, n, ":", color="k", lw=1)
            ax.annotate(f"{t['type']} #{t['agent_id']}", (e[0], n[0]), fontsize=7)
    kinds = {"speeding": "^", "no_parking": "s", "wrong_way": "v", "restricted_area": "X"}
    for f in m["flag_list"]:
        e, n = en([f["lat"]], [f["lon"]])
        ax.plot(e, n, kinds.get(f["kind"], "o"), ms=9, mfc="none", mew=2, label=f"flag {f['kind']}")
    handles, labels = ax.get_legend_handles_labels()
    uniq = dict(zip(labels, handles))
    ax.legend(uniq.values(), uniq.keys(), fontsize=7, loc="upper right")
    ax.set_aspect("equal")
    ax.set_xlabel("east (m)")
    ax.set_ylabel("north (m)")
    ax.set_title("patrol: drone paths, scripted infractions (dotted), flags (markers)")
    out["map"] = _save(fig, fig_dir / "map.png")

    # found vs scripted per rule
    per = m["infractions"]["per_rule"]
    if per:
        fig, ax = plt.subplots(figsize=(6, 3))
        names = sorted(per)
        tp = [per[k]["true_positives"] for k in names]
        fp = [per[k]["false_positives"] for k in names]
        fn = [per[k]["false_negatives"] for k in names]
        x = np.arange(len(names))
        ax.bar(x - 0.25, tp, 0.25, label="found (TP)")
        ax.bar(x, fn, 0.25, label="missed (FN)")
        ax.bar(x + 0.25, fp, 0.25, label="false (FP)")
        ax.set_xticks(x, names, fontsize=8)
        ax.legend(fontsize=8)
        ax.set_title("infractions found vs truth (seen and expected)")
        out["infractions"] = _save(fig, fig_dir / "infractions.png")

    ge = m["vision"]["geo_errors_m"]
    if ge:
        fig, ax = plt.subplots(figsize=(6, 3))
        ax.hist(np.clip(ge, 0, 15), bins=40)
        ax.axvline(3.0, color="r", ls="--", label="3 m")
        ax.set_xlabel("geolocation error (m, clipped at 15)")
        ax.set_ylabel("track updates")
        ax.legend()
        out["geo"] = _save(fig, fig_dir / "geo_error.png")
    sp = m["vision"]["speed_pairs"]
    if sp:
        arr = np.asarray(sp, float)
        fig, ax = plt.subplots(figsize=(4.5, 4.5))
        ax.plot(arr[:, 0], arr[:, 1], ".", ms=3, alpha=0.5)
        hi = max(10.0, float(arr.max()))
        ax.plot([0, hi], [0, hi], "k--", lw=1)
        ax.set_xlabel("true speed (km/h)")
        ax.set_ylabel("measured speed (km/h)")
        ax.set_title("speed: measured vs true (tracks >= 3 s)")
        out["speed"] = _save(fig, fig_dir / "speed.png")

    # link statistics
    onboard = m["link"]["onboard"]
    if onboard:
        fig, ax = plt.subplots(figsize=(6, 3))
        chans = sorted({c for st in onboard.values() for c in st["sent_bytes"]})
        x = np.arange(len(chans))
        w = 0.8 / max(1, len(onboard))
        for k, (vid, st) in enumerate(sorted(onboard.items())):
            ax.bar(x + k * w, [st["sent_bytes"].get(c, 0) / 1024 for c in chans], w, label=vid)
        ax.set_xticks(x, chans, fontsize=8)
        ax.set_ylabel("kB sent")
        ax.set_title("data link: bytes per channel")
        ax.legend(fontsize=8)
        out["link"] = _save(fig, fig_dir / "link.png")

    # flight timeline
    fig, ax = plt.subplots(figsize=(8, 1.2 + 0.8 * len(run.drones)))
    for k, d in enumerate(run.drones):
        ev = [e for e in d.events if e.kind == "transition"]
        for a, b in zip(ev, ev[1:] + [None]):
            end = b.sim_s if b else d.vehicle.clock.now
            ax.barh(k, end - a.sim_s, left=a.sim_s, height=0.5)
            ax.text(a.sim_s, k + 0.3, a.phase, fontsize=6, rotation=30)
    offset0 = run.traffic_t0 or 0.0
    for c in m["delivery"]["cuts"]:
        if "patrol_s" in c:
            ax.axvline(offset0 + c["patrol_s"], color="r" if c["event"] == "cut" else "g", ls="--", lw=1)
    ax.set_yticks(range(len(run.drones)), [d.spec.id for d in run.drones])
    ax.set_xlabel("sim time (s); red/green dashes: data link cut/restored")
    out["timeline"] = _save(fig, fig_dir / "timeline.png")
    return out


def _markdown(run, m: dict, figs: dict[str, Path]) -> str:
    s = run.s
    lines = [f"# Scenario report: {s.name}", "", s.description.strip(), "",
             f"Town seed {s.town.seed}, scenario seed {s.seed}, {len(run.drones)} drone(s), camera "
             f"{s.camera.width}x{s.camera.height} @ {s.camera.fps:g} fps, detector: {m['model']}. "
             f"Sim {m['sim_s']} s (patrol {m['patrol_sim_s']} s), {m['frames']} frames, "
             f"wall {m['wall_s']['total']:.0f} s.", "", "## Acceptance", "", "| check | measured | met |", "|---|---|---|"]
    for k, v in m["acceptance"].items():
        lines.append(f"| {k} | {v['value']} | {'yes' if v['met'] else 'NO'} |")
    if m["failures"]:
        lines += ["", "**Component failures:** " + "; ".join(m["failures"])]
    lines += ["", "## Flights", "", "| drone | outcome | final phase | landed+disarmed | frames |", "|---|---|---|---|---|"]
    for vid, f in m["flights"].items():
        lines.append(f"| {vid} | {f['outcome']} | {f['final_phase']} | {f['landed_disarmed']} | {f['frames']} |")
    lines += ["", "## Infractions per rule (truths seen long enough and expected by the rules)", "",
              "| rule | TP | FP | FN | precision | recall | time to flag mean / max (s) |", "|---|---|---|---|---|---|---|"]
    for k, v in sorted(m["infractions"]["per_rule"].items()):
        lines.append(f"| {k} | {v['true_positives']} | {v['false_positives']} | {v['false_negatives']} | "
                     f"{_fmt(v['precision'])} | {_fmt(v['recall'])} | {_fmt(v['time_to_flag_mean_s'], 1)} / "
                     f"{_fmt(v['time_to_flag_max_s'], 1)} |")
    lines += ["", f"{m['infractions']['flags']} flags; {m['infractions']['truths']} truth intervals in the whole town, "
              f"{m['infractions']['truths_expected_and_seen']} of them seen and expected.", "",
              "### Scripted infractions", "", "| agent | type | place | start–end (s) | in view (s) | expected | flagged | "
              "distance (m) | time to flag (s) |", "|---|---|---|---|---|---|---|---|---|"]
    for r in m["scripted"]:
        lines.append(f"| {r['agent_id']} | {r['type']} | {r['place']} | {r['t_start']:.0f}–{r['t_end']:.0f} | "
                     f"{r['observed_s']} | {r['expected']} | {r['flagged']} | {_fmt(r['distance_m'])} | "
                     f"{_fmt(r['time_to_flag_s'], 1)} |")
    lines += ["", "### Flags", "", "| kind | drone | track | zone | start–end (s) | summary |", "|---|---|---|---|---|---|"]
    for f in m["flag_list"]:
        lines.append(f"| {f['kind']} | {f['vehicle']} | {f['track_id']} | {f['zone']} | {f['start_s']:.0f}–{f['end_s']:.0f} | "
                     f"{f['summary']} |")
    v = m["vision"]
    lines += ["", "## Detection, tracking, geolocation, speed", "",
              f"Geolocation error median {_fmt(v['geo_median_m'])} m, p95 {_fmt(v['geo_p95_m'])} m over "
              f"{len(v['geo_errors_m'])} matched track updates; speed MAE {_fmt(v['speed_mae_kmh'])} km/h over "
              f"{len(v['speed_pairs'])} samples (vehicles tracked >= 3 s).", "",
              "| drone | frames | objects | car AP50 | MOTA | IDF1 | ID switches |", "|---|---|---|---|---|---|---|"]
    for vid, r in v["per_drone"].items():
        t = r["tracking"]
        lines.append(f"| {vid} | {r['frames']} | {r['objects']} | {_fmt(r['ap50'].get('car'), 3)} | "
                     f"{_fmt(t.get('mota'), 3)} | {_fmt(t.get('idf1'), 3)} | {_fmt(t.get('num_switches'), 0)} |")
    dl = m["delivery"]
    lines += ["", "## Evidence and data delivery", "",
              "| drone | packages | verifies | problems |", "|---|---|---|---|"]
    for vid, e in m["evidence"].items():
        lines.append(f"| {vid} | {e.get('packages', 0)} | {e['ok']} | {'; '.join(e.get('problems', [])[:3])} |")
    lines += ["", f"Infractions delivered {dl['infractions_delivered']}/{dl['infractions_produced']}, evidence "
              f"{dl['evidence_delivered']}/{dl['evidence_produced']} (must be 100 %: "
              f"{'yes' if dl['complete'] else 'NO'}); track updates (latest value, may be superseded) "
              f"{dl['track_updates_received']}/{dl['track_updates_sent']}. Link cuts: "
              + (", ".join(f"{c['event']} at {c.get('patrol_s', '-')} s" for c in dl["cuts"]) or "none") + ".", ""]
    for vid, st in m["link"]["onboard"].items():
        lines.append(f"- {vid}: sent msgs {st['sent_msgs']}, retries {st['retries']}, acked items {st['acked_items']}, "
                     f"reconnects {st['reconnects']}, evidence chunks {st['evidence_chunks_sent']}")
    total = m["wall_s"]["total"]
    lines += ["", "## Where the wall time goes", "", "| part | wall s | share |", "|---|---|---|"]
    rows = [(k, v) for k, v in m["wall_s"].items() if k not in ("total", "onboard")]
    rows += [(f"onboard: {k}", v) for k, v in m["stages_s"].items()]
    rows.append(("onboard: other", max(0.0, m["wall_s"]["onboard"] - sum(m["stages_s"].values()))))
    for k, v in rows:
        lines.append(f"| {k} | {v:.1f} | {100 * v / max(total, 1e-9):.0f} % |")
    lines.append(f"| **total** | {total:.1f} | |")
    lines += ["", "## Figures", ""]
    for name, path in figs.items():
        lines.append(f"![{name}]({path.relative_to(run.out)})")
    lines += ["", "## Flight events", ""]
    for vid, f in m["flights"].items():
        for e in f["events"]:
            lines.append(f"- {vid} t={e['sim_s']:.1f} s {e['phase']}: {e['message']}")
    lines += ["", f"Logs: `{(run.out / 'logs').relative_to(run.out)}/` (one file per component). Evidence: "
              + ", ".join(f"`{d.spec.id}/evidence/`" for d in run.drones) + ". Ground inbox: `ground/inbox.db`."]
    return "\n".join(lines) + "\n"


def write_report(run, m: dict) -> tuple[Path, Path]:
    """Write metrics.json, report.md, report.html (+ figures/); returns (md, html) paths."""
    return _write(run, m)


def _write(run, m: dict) -> tuple[Path, Path]:
    scripted = [t for t in run.world.truths() if t["agent_id"] in run.world.scripted_ids()] if run.traffic_t0 else []
    from aeropatrol.scenario.metrics import agent_tracks

    tracks = agent_tracks(run.world.positions)
    for t in scripted:
        t["track"] = tracks.get(t["agent_id"], [])
    m["_scripted_truths"] = scripted
    figs = _figures(run, m, run.out / "figures")
    m.pop("_scripted_truths", None)
    (run.out / "metrics.json").write_text(json.dumps(m, indent=1, default=str))
    md = _markdown(run, m, figs)
    md_path = run.out / "report.md"
    md_path.write_text(md)
    html_path = run.out / "report.html"
    html_path.write_text(_html(md, run.s.name))
    return md_path, html_path


def _html(md: str, title: str) -> str:
    """Markdown -> a standalone HTML page (markdown-it when installed, else preformatted)."""
    try:
        from markdown_it import MarkdownIt

        body = MarkdownIt("commonmark").enable("table").render(md)
    except ImportError:
        body = f"<pre>{html.escape(md)}</pre>"
    style = ("body{font-family:sans-serif;max-width:1000px;margin:2em auto}table{border-collapse:collapse}"
             "td,th{border:1px solid #ccc;padding:2px 6px;font-size:90%}img{max-width:100%}")
    return f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title><style>{style}</style></head><body>{body}</body></html>"
