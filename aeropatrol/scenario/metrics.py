"""Scores of one run against the simulator's truth: infractions (per rule precision/recall, time to flag,
location error), detection/tracking (vision.scoring), geolocation and speed errors, evidence integrity,
data delivered vs produced, flight outcome and where the wall time went."""
from __future__ import annotations

import math
from collections import Counter, defaultdict

import numpy as np


def _iou_match(g: np.ndarray, h: np.ndarray, min_iou: float = 0.3) -> list[tuple[int, int]]:
    """Greedy one-to-one box matching by IoU (truth index, prediction index)."""
    if not len(g) or not len(h):
        return []
    x0 = np.maximum(g[:, None, 0], h[None, :, 0])
    y0 = np.maximum(g[:, None, 1], h[None, :, 1])
    x1 = np.minimum(g[:, None, 2], h[None, :, 2])
    y1 = np.minimum(g[:, None, 3], h[None, :, 3])
    inter = np.clip(x1 - x0, 0, None) * np.clip(y1 - y0, 0, None)
    area = lambda b: (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])  # noqa: E731
    iou = inter / (area(g)[:, None] + area(h)[None, :] - inter + 1e-9)
    pairs = []
    while True:
        i, j = np.unravel_index(np.argmax(iou), iou.shape)
        if iou[i, j] < min_iou:
            return pairs
        pairs.append((int(i), int(j)))
        iou[i, :] = -1
        iou[:, j] = -1


def _geo_dist_m(lat1, lon1, lat2, lon2) -> float:
    k = 111_320.0
    return math.hypot((lat2 - lat1) * k, (lon2 - lon1) * k * math.cos(math.radians(lat1)))


def agent_tracks(positions: list[dict]) -> dict[int, list[tuple[float, float, float]]]:
    """Per agent id: (traffic time, lat, lon) rows from the 1 Hz positions log."""
    tracks: dict[int, list] = defaultdict(list)
    for row in positions:
        for aid, lat, lon in zip(row["ids"], row["lat"], row["lon"]):
            tracks[int(aid)].append((row["t"], lat, lon))
    return tracks


def compute_metrics(run) -> dict:
    """Every figure of the report (plain JSON-ready dict); ``run`` is the runner's state."""
    from infractions.evidence import verify_tree
    from infractions.rules import load_patrol_config
    from infractions.scoring import rules_truth_filter, score

    s, world = run.s, run.world
    m: dict = {"scenario": s.name, "seed": s.seed, "model": run.model_name, "failures": list(run.failures)}
    offset = None
    if run.traffic_t0 is not None:
        offset = run.drones[0].vehicle.clock.epoch_unix_s + run.traffic_t0 - s.traffic_warmup_s
    m["traffic_time_offset_unix"] = offset
    patrol_s = (run.drones[0].vehicle.clock.now - run.traffic_t0) if run.traffic_t0 is not None else 0.0

    # -- flight -----------------------------------------------------------------------------------
    flights = {}
    for d in run.drones:
        res = d.result
        flights[d.spec.id] = {
            "ok": bool(res and res.ok), "outcome": getattr(res, "outcome", "none"),
            "final_phase": getattr(getattr(res, "phase", None), "value", d.phase),
            "landed_disarmed": bool(res and res.phase.value == "disarmed" and not d.vehicle.armed),
            "reason": getattr(res, "reason", d.error or ""), "frames": d.frames,
            "events": [{"sim_s": round(e.sim_s, 2), "kind": e.kind, "phase": e.phase, "message": e.message}
                       for e in d.events],
            "patrol_started_s": d.patrol_started_s, "sim_end_s": round(d.vehicle.clock.now, 2),
        }
    m["flights"] = flights
    t0 = run.traffic_t0 or 0.0
    for d in run.drones:  # the true path in town ENU metres against traffic time (for timing staged infractions)
        pts = [(r[0] - t0 + s.traffic_warmup_s, r[1], r[2]) for r in d.track]
        if pts:
            e, n, _ = world.town.frame.to_enu(np.array([p[1] for p in pts]), np.array([p[2] for p in pts]),
                                              np.zeros(len(pts)))
            flights[d.spec.id]["path_enu"] = [(round(p[0], 1), round(float(a), 1), round(float(b), 1))
                                              for p, a, b in zip(pts, e, n)]

    # -- truth vs flags -----------------------------------------------------------------------------
    truths = world.truths() if run.traffic_t0 is not None else []
    scripted = world.scripted_ids()
    tracks = agent_tracks(world.positions)
    seen_by_agent: dict[int, list[float]] = defaultdict(list)  # traffic times at which an agent was in view
    for d in run.drones:
        for tf in d.truth_frames:
            for o in tf.objects:
                seen_by_agent[o[0]].append(tf.time_s - (offset or 0.0))
    for t in truths:
        t["kind"] = t["type"]
        t["start_s"], t["end_s"] = t["t_start"], t["t_end"]
        t["scripted"] = t["agent_id"] in scripted
        t["track"] = [r for r in tracks.get(t["agent_id"], [])]
        seen = [x for x in seen_by_agent.get(t["agent_id"], []) if t["t_start"] - 1 <= x <= t["t_end"] + 1]
        t["observed_s"] = round(len(seen) / s.camera.fps, 1)
    flags = [ev for d in run.drones for ev in d.app.infractions]
    config = load_patrol_config(str(run.zones_path), s.rules).rules
    expected = rules_truth_filter(config, speed_margin_kmh=3.0, duration_margin_s=1.0)

    def observed(t) -> bool:  # in view long enough for the rule to be able to judge it
        need = {"speeding": 2.0, "wrong_way": 2.0, "restricted_entry": 2.0, "no_parking": 2.0}.get(t["kind"], 2.0)
        return t["observed_s"] >= need

    def judged(t) -> bool:
        return expected(t) and observed(t)

    rep = score(flags, truths, patrol_duration_s=max(patrol_s, 1.0), truth_time_offset_s=offset or 0.0,
                truth_filter=judged)
    m["infractions"] = {"flags": len(flags), "truths": len(truths), "truths_expected_and_seen": sum(map(judged, truths)),
                        "per_rule": {k: vars(v) for k, v in rep.per_kind.items()}, "matches": rep.matches,
                        "missed": [{k: v for k, v in t.items() if k != "track"} for t in rep.missed_truths],
                        "unmatched_flags": rep.unmatched_flags}
    scripted_rows = []
    matched_by_agent = {str(mt.get("agent_id")): mt for mt in rep.matches}
    flag_by_id = {f.infraction_id: f for f in flags}
    for t in truths:
        if not t["scripted"]:
            continue
        mt = matched_by_agent.get(str(t["agent_id"]))
        f = flag_by_id.get(mt.get("infraction_id")) if mt else None
        scripted_rows.append({"agent_id": t["agent_id"], "type": t["type"], "place": t["place"],
                              "t_start": t["t_start"], "t_end": t["t_end"], "observed_s": t["observed_s"],
                              "expected": bool(expected(t)), "flagged": f is not None,
                              "flag_kind": f.kind if f else None,
                              "distance_m": round(mt["distance_m"], 2) if mt and mt.get("distance_m") is not None else None,
                              "time_to_flag_s": mt.get("time_to_flag_s") if mt else None})
    m["scripted"] = scripted_rows
    speeding_false = [u for u in rep.unmatched_flags if flag_by_id.get(u) is not None and flag_by_id[u].kind == "speeding"]
    m["infractions"]["false_speeding_flags"] = len(speeding_false)
    m["flag_list"] = [{"id": f.infraction_id, "vehicle": f.vehicle_id, "kind": f.kind, "track_id": f.track_id,
                       "lat": f.lat, "lon": f.lon, "start_s": round(f.start_s - (offset or 0), 2),
                       "end_s": round(f.end_s - (offset or 0), 2), "zone": f.zone_id, "summary": f.summary}
                      for f in flags]

    # -- vision -------------------------------------------------------------------------------------
    m["vision"] = _vision_metrics(run)

    # -- evidence and delivery --------------------------------------------------------------------
    evidence = {}
    produced_inf, produced_ev = set(), set()
    for d in run.drones:
        root = d.out_dir / "evidence"
        rep_v = verify_tree(root) if root.exists() else None
        evidence[d.spec.id] = rep_v.as_dict() if rep_v else {"ok": True, "packages": 0, "problems": []}
        for r in d.app.store.records.list():
            produced_inf.add(r.infraction_id)
        produced_ev |= {p.evidence_id for p in d.app.packages}
    m["evidence"] = evidence
    m["evidence_ok"] = all(v["ok"] for v in evidence.values())
    got_inf, got_ev = getattr(run, "delivered", (set(), set()))
    m["delivery"] = {"infractions_produced": len(produced_inf), "infractions_delivered": len(produced_inf & got_inf),
                     "evidence_produced": len(produced_ev), "evidence_delivered": len(produced_ev & got_ev),
                     "complete": produced_inf <= got_inf and produced_ev <= got_ev,
                     "track_updates_sent": sum(d.app.updates_out for d in run.drones),
                     "track_updates_received": run.ground.track_updates if run.ground else 0,
                     "cuts": run.cut_log}
    stats = {}
    for vid, st in getattr(run, "link_stats", {}).items():
        stats[vid] = {"sent_msgs": dict(st.sent_msgs), "sent_bytes": dict(st.sent_bytes),
                      "superseded": dict(st.superseded), "retries": st.retries, "acked_items": st.acked_items,
                      "reconnects": st.reconnects, "evidence_chunks_sent": st.evidence_chunks_sent}
    gs = getattr(run, "ground_stats", None)
    m["link"] = {"onboard": stats, "ground": {"received": dict(gs.received)} if gs is not None else {},
                 "relay_bytes": getattr(run, "relay_bytes", {})}

    # -- where the time goes ------------------------------------------------------------------------
    stage = Counter()
    for d in run.drones:
        stage.update(d.app.times.seconds)
    m["stages_s"] = {k: round(v, 3) for k, v in stage.items()}
    m["frames"] = sum(d.frames for d in run.drones)
    m["patrol_sim_s"] = round(patrol_s, 1)
    m["sim_s"] = round(run.drones[0].vehicle.clock.now, 1)
    m["acceptance"] = _acceptance(m)
    return m


def _vision_metrics(run) -> dict:
    """Detection/tracking (vision.scoring) plus per-sample geolocation and speed errors for the figures."""
    from vision.scoring import FramePrediction, GTFrame, GTObject, score

    out: dict = {"per_drone": {}, "geo_errors_m": [], "speed_pairs": [], "scripted_tracking": {}}
    scripted = run.world.scripted_ids()
    t_off = (run.drones[0].vehicle.clock.epoch_unix_s + (run.traffic_t0 or 0.0) - run.s.traffic_warmup_s)
    for d in run.drones:
        gts, preds = [], []
        for tf, (fid, dets, updates) in zip(d.truth_frames, d.predictions):
            objs = [GTObject(o[0], o[1], o[2], o[3], o[4], o[5]) for o in tf.objects]
            gts.append(GTFrame(fid, tf.time_s, objs))
            preds.append(FramePrediction(fid, dets, updates))
            if not objs or not updates:
                continue
            g = np.array([o[2] for o in tf.objects], float)
            h = np.array([u.bbox_xyxy for u in updates], float)
            pairs = _iou_match(g, h)
            matched = {i for i, _ in pairs}
            for i, o in enumerate(tf.objects):  # what the pipeline made of each staged road user, frame by frame
                if o[0] in scripted and i not in matched:
                    out["scripted_tracking"].setdefault(str(o[0]), []).append((round(tf.time_s - t_off, 1), None, None,
                                                                               round(o[5], 1)))
            for i, j in pairs:
                o, u = tf.objects[i], updates[j]
                if o[0] in scripted:
                    out["scripted_tracking"].setdefault(str(o[0]), []).append(
                        (round(tf.time_s - t_off, 1), u.track_id, round(u.speed_kmh, 1), round(o[5], 1)))
                out["geo_errors_m"].append(round(_geo_dist_m(o[3], o[4], u.lat, u.lon), 3))
                if o[1] in ("car", "truck", "bus", "motorcycle") and u.last_seen_s - u.first_seen_s >= 3.0:
                    out["speed_pairs"].append((round(o[5], 2), round(u.speed_kmh, 2)))
        if gts:
            rep = score(gts, preds, d.spec.id)
            out["per_drone"][d.spec.id] = {k: rep[k] for k in ("frames", "objects", "ap50", "tracking", "geo_median_m",
                                                               "geo_p95_m", "speed_mae_kmh", "geo_matched", "speed_samples")}
    ge = np.array(out["geo_errors_m"])
    sp = np.array(out["speed_pairs"]).reshape(-1, 2)
    out["geo_median_m"] = float(np.median(ge)) if ge.size else None
    out["geo_p95_m"] = float(np.percentile(ge, 95)) if ge.size else None
    out["speed_mae_kmh"] = float(np.abs(sp[:, 1] - sp[:, 0]).mean()) if len(sp) else None
    return out


def _acceptance(m: dict) -> dict:
    """The issue's acceptance checks, each with its measured value."""
    scripted = [r for r in m["scripted"] if r["expected"]]
    seen = [r for r in scripted if r["observed_s"] >= 2.0]
    flagged_ok = [r for r in seen if r["flagged"] and r["distance_m"] is not None and r["distance_m"] <= 3.0]
    return {
        "scripted_flagged_within_3m": {"value": f"{len(flagged_ok)}/{len(seen)} seen ({len(scripted)} staged)",
                                       "met": bool(seen) and len(flagged_ok) == len(seen)},
        "no_false_speeding": {"value": m["infractions"]["false_speeding_flags"],
                              "met": m["infractions"]["false_speeding_flags"] == 0},
        "evidence_verifies": {"value": sum(v.get("packages", 0) for v in m["evidence"].values()), "met": m["evidence_ok"]},
        "nothing_lost": {"value": f"{m['delivery']['infractions_delivered']}/{m['delivery']['infractions_produced']} "
                                  f"infractions, {m['delivery']['evidence_delivered']}/{m['delivery']['evidence_produced']} evidence",
                         "met": m["delivery"]["complete"]},
        "flights_landed": {"value": ", ".join(f"{k}: {v['outcome']}" for k, v in m["flights"].items()),
                           "met": all(v["ok"] for v in m["flights"].values())},
    }
