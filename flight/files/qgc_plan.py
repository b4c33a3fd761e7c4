"""QGroundControl `.plan` files (fileType "Plan", version 1): mission v2, geoFence v2, rallyPoints v2.

Import flattens complex items (survey, CorridorScan: their TransectStyleComplexItem.Items; StructureScan,
which stores no Items, is regenerated layer by layer), ignores unknown keys and names the JSON path of
any bad field. Export always writes all three sections and fills TransectStyleComplexItem.Items.
"""
from __future__ import annotations

import json
import math
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from flight.files.errors import FileFormatError
from flight.mission import Cmd, Frame, MissionItem, deg_to_e7
from flight.planning.fence import FenceCircle, FencePolygon, Geofence
from flight.planning.geometry import enu_polygon, to_latlon
from flight.planning.model import CameraSpec, Home, PatrolPlan, RallyPoint, SurveySpan

#: Frames whose x/y are latitude/longitude (scaled by 1e7 in MISSION_ITEM_INT).
GLOBAL_FRAMES = {int(Frame.GLOBAL), int(Frame.GLOBAL_RELATIVE_ALT), int(Frame.GLOBAL_INT),
                 int(Frame.GLOBAL_RELATIVE_ALT_INT), int(Frame.GLOBAL_TERRAIN_ALT), int(Frame.GLOBAL_TERRAIN_ALT_INT)}
#: MAV_AUTOPILOT values QGC writes as firmwareType.
FIRMWARE = {"generic": 0, "ardupilot": 3, "px4": 12}
#: Sensor width (mm) assumed when writing CameraCalc for a camera known only by its field of view.
_SENSOR_WIDTH_MM = 6.17


# ----------------------------------------------------------------------------------------------- helpers
def _need(obj: Any, key: str, path: str, kinds: type | tuple[type, ...], what: str) -> Any:
    if not isinstance(obj, dict):
        raise FileFormatError(path, "expected an object")
    if key not in obj:
        raise FileFormatError(f"{path}.{key}" if path else key, "missing")
    value = obj[key]
    if isinstance(value, bool) and bool not in (kinds if isinstance(kinds, tuple) else (kinds,)):
        raise FileFormatError(f"{path}.{key}" if path else key, f"expected {what}")
    if not isinstance(value, kinds):
        raise FileFormatError(f"{path}.{key}" if path else key, f"expected {what}")
    return value


def _number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _coords(value: Any, path: str, n: int = 2, min_count: int = 0) -> list[tuple[float, ...]]:
    if not isinstance(value, list):
        raise FileFormatError(path, f"expected a list of [lat, lon{', alt' if n == 3 else ''}]")
    out = []
    for i, c in enumerate(value):
        if not (isinstance(c, list) and len(c) >= n and all(_number(v) for v in c[:n])):
            raise FileFormatError(f"{path}[{i}]", f"expected {n} numbers [lat, lon{', alt' if n == 3 else ''}]")
        if not (-90 <= c[0] <= 90 and -180 <= c[1] <= 360):
            raise FileFormatError(f"{path}[{i}]", f"latitude/longitude out of range: {c[:2]}")
        out.append(tuple(float(v) for v in c[:n]))
    if len(out) < min_count:
        raise FileFormatError(path, f"expected at least {min_count} points, got {len(out)}")
    return out


def _simple_item(obj: Any, path: str) -> MissionItem:
    """A MissionItem from a QGC SimpleItem / MissionItem JSON object (params[4..6] = lat, lon, alt)."""
    command = _need(obj, "command", path, int, "an integer MAV_CMD")
    frame = _need(obj, "frame", path, int, "an integer MAV_FRAME")
    params = _need(obj, "params", path, list, "7 numbers")
    if len(params) != 7 or not all(p is None or _number(p) for p in params):
        raise FileFormatError(f"{path}.params", "expected 7 numbers")
    auto = obj.get("autoContinue", True)
    if not isinstance(auto, bool):
        raise FileFormatError(f"{path}.autoContinue", "expected true or false")
    p = [float("nan") if v is None else float(v) for v in params]
    if frame in GLOBAL_FRAMES:
        lat, lon = (0.0 if math.isnan(v) else v for v in p[4:6])
        if not (-90 <= lat <= 90 and -180 <= lon <= 360):
            raise FileFormatError(f"{path}.params", f"latitude/longitude out of range: {lat}, {lon}")
        x, y = deg_to_e7(lat), deg_to_e7(lon)
    else:
        x, y = (0 if math.isnan(v) else int(round(v)) for v in p[4:6])
    z = 0.0 if math.isnan(p[6]) else p[6]
    return MissionItem(seq=0, frame=frame, command=command, autocontinue=int(auto), param1=p[0], param2=p[1],
                       param3=p[2], param4=p[3], x=x, y=y, z=z)


def _nan_none(v: float) -> float | None:
    return None if isinstance(v, float) and math.isnan(v) else v


def _item_json(item: MissionItem, jump_id: int, jump_ids: dict[int, int] | None = None) -> dict:
    """The QGC SimpleItem object of one item (DO_JUMP param1 rewritten to the target's doJumpId)."""
    p1 = item.param1
    if item.command == Cmd.DO_JUMP and jump_ids is not None:
        p1 = float(jump_ids.get(int(round(p1)), int(round(p1)) + 1))
    if item.frame in GLOBAL_FRAMES:
        xy = [item.lat_deg, item.lon_deg]
    else:
        xy = [float(item.x), float(item.y)]
    params = [_nan_none(float(v)) for v in (p1, item.param2, item.param3, item.param4)] + xy + [float(item.z)]
    return {"autoContinue": bool(item.autocontinue), "command": int(item.command), "doJumpId": jump_id,
            "frame": int(item.frame), "params": params, "type": "SimpleItem"}


# ----------------------------------------------------------------------------------------------- import
def _structure_scan(obj: dict, path: str, home: Home) -> list[MissionItem]:
    """Regenerate a StructureScan (QGC stores only its parameters): layers of waypoints around the structure."""
    ring = _coords(_need(obj, "polygon", path, list, "a polygon"), f"{path}.polygon", min_count=3)
    bottom = float(_need(obj, "ScanBottomAlt", path, (int, float), "a number"))
    height = float(_need(obj, "StructureHeight", path, (int, float), "a number"))
    layers = int(_need(obj, "Layers", path, (int, float), "a number"))
    entrance = float(obj.get("EntranceAltitude", bottom))
    pitch = float(obj.get("GimbalPitch", 0.0))
    calc = obj.get("CameraCalc", {}) if isinstance(obj.get("CameraCalc"), dict) else {}
    dist = float(calc.get("DistanceToSurface", 10.0))
    if layers < 1 or height <= bottom:
        raise FileFormatError(f"{path}.Layers", "need >= 1 layer and StructureHeight > ScanBottomAlt")
    frame = home.frame()
    flight = enu_polygon(frame, ring).buffer(dist, join_style="mitre")
    pts = to_latlon(frame, np.asarray(flight.exterior.coords))
    step = (height - bottom) / layers
    alts = [bottom + step / 2 + k * step for k in range(layers)]
    if obj.get("StartFromTop", False):
        alts.reverse()
    out = [MissionItem.at(0, Cmd.NAV_WAYPOINT, *pts[0], entrance, frame=Frame.GLOBAL_RELATIVE_ALT),
           MissionItem.do(0, Cmd.DO_GIMBAL_MANAGER_PITCHYAW, (pitch, 0.0, float("nan"), float("nan")))]
    for a in alts:
        out += [MissionItem.at(0, Cmd.NAV_WAYPOINT, lat, lon, a, frame=Frame.GLOBAL_RELATIVE_ALT) for lat, lon in pts]
    out.append(MissionItem.at(0, Cmd.NAV_WAYPOINT, *pts[0], entrance, frame=Frame.GLOBAL_RELATIVE_ALT))
    return out


def _survey_span(obj: dict, first: int, last: int) -> SurveySpan | None:
    """Survey parameters kept so that an imported survey is written back as a survey."""
    try:
        tsc = obj["TransectStyleComplexItem"]
        calc = tsc.get("CameraCalc", {})
        camera = None
        if all(k in calc for k in ("SensorWidth", "FocalLength", "ImageWidth", "ImageHeight")):
            hfov = math.degrees(2 * math.atan(calc["SensorWidth"] / 2 / calc["FocalLength"]))
            camera = CameraSpec(hfov, int(calc["ImageWidth"]), int(calc["ImageHeight"]))
        return SurveySpan(first=first, last=last, polygon=[(float(a), float(b)) for a, b, *_ in obj["polygon"]],
                          alt_m=float(calc.get("DistanceToSurface", 0.0)), angle_deg=float(obj.get("angle", 0.0)),
                          spacing_m=float(calc.get("AdjustedFootprintSide", 0.0)),
                          turnaround_m=float(tsc.get("TurnAroundDistance", 0.0)), entry=int(obj.get("entryLocation", 0)),
                          camera=camera, side_overlap_pct=float(calc.get("SideOverlap", 0.0)),
                          front_overlap_pct=float(calc.get("FrontalOverlap", 0.0)),
                          trigger_distance_m=float(calc.get("AdjustedFootprintFrontal", 0.0)))
    except (KeyError, TypeError, ValueError, ZeroDivisionError):
        return None


def _complex_items(obj: dict, path: str, home: Home) -> list[tuple[MissionItem, int | None]]:
    kind = _need(obj, "complexItemType", path, str, "a string")
    if kind in ("survey", "CorridorScan"):
        tsc = _need(obj, "TransectStyleComplexItem", path, dict, "an object")
        items = _need(tsc, "Items", f"{path}.TransectStyleComplexItem", list, "a list of mission items")
        return [(_simple_item(it, f"{path}.TransectStyleComplexItem.Items[{k}]"), None) for k, it in enumerate(items)]
    if kind == "StructureScan":
        if isinstance(obj.get("Items"), list):
            return [(_simple_item(it, f"{path}.Items[{k}]"), None) for k, it in enumerate(obj["Items"])]
        return [(it, None) for it in _structure_scan(obj, path, home)]
    raise FileFormatError(f"{path}.complexItemType", f"unsupported complex item {kind!r} (survey, CorridorScan, StructureScan)")


def plan_from_dict(doc: Any) -> PatrolPlan:
    """A PatrolPlan (kind "imported") from a parsed .plan document; raises FileFormatError with the field path."""
    if not isinstance(doc, dict):
        raise FileFormatError("$", "expected a JSON object")
    if _need(doc, "fileType", "", str, 'the string "Plan"') != "Plan":
        raise FileFormatError("fileType", f'expected "Plan", got {doc["fileType"]!r}')
    version = _need(doc, "version", "", int, "an integer")
    if version != 1:
        raise FileFormatError("version", f"unsupported plan version {version} (expected 1)")
    mission = _need(doc, "mission", "", dict, "an object")
    mversion = _need(mission, "version", "mission", int, "an integer")
    if mversion != 2:
        raise FileFormatError("mission.version", f"unsupported mission version {mversion} (expected 2)")
    hp = _need(mission, "plannedHomePosition", "mission", list, "[lat, lon, alt]")
    if len(hp) == 2:
        hp = hp + [0.0]
    (hlat, hlon, halt), = [p[:3] for p in _coords([hp], "mission.plannedHomePosition", n=3)] if hp else [(0, 0, 0)]
    if len(hp) < 2:
        raise FileFormatError("mission.plannedHomePosition", "expected [lat, lon, alt]")
    home = Home(hlat, hlon, halt)
    raw = _need(mission, "items", "mission", list, "a list")
    flat: list[MissionItem] = []
    jump_ids: dict[int, int] = {}
    surveys: list[SurveySpan] = []
    for i, obj in enumerate(raw):
        path = f"mission.items[{i}]"
        kind = _need(obj, "type", path, str, '"SimpleItem" or "ComplexItem"')
        if kind == "SimpleItem":
            item = _simple_item(obj, path)
            jid = obj.get("doJumpId")
            jump_ids[int(jid) if isinstance(jid, int) else len(flat) + 1] = len(flat)
            flat.append(item)
        elif kind == "ComplexItem":
            first = len(flat)
            flat.extend(it for it, _ in _complex_items(obj, path, home))
            if obj.get("complexItemType") == "survey":
                span = _survey_span(obj, first, len(flat))
                if span:
                    surveys.append(span)
        else:
            raise FileFormatError(f"{path}.type", f"unknown item type {kind!r}")
    # DO_JUMP targets: QGC doJumpId (home = 0) -> index in the flat list.
    for k, it in enumerate(flat):
        if it.command == Cmd.DO_JUMP:
            target = int(round(it.param1))
            idx = jump_ids.get(target, target - 1)
            if not 0 <= idx < len(flat):
                raise FileFormatError(f"mission.items (flattened item {k})", f"DO_JUMP target {target} is not an item")
            flat[k] = replace(it, param1=float(idx))
    fence = _fence_from(doc.get("geoFence"))
    rally = _rally_from(doc.get("rallyPoints"))
    cruise = mission.get("cruiseSpeed", 8.0)
    swath = (0.0, 0.0)
    area = None
    if len(surveys) == 1 and surveys[0].camera is not None and surveys[0].alt_m > 0:
        swath = surveys[0].camera.footprint_m(surveys[0].alt_m)  # lets `plan check` report the covered area
        area = surveys[0].polygon
    return PatrolPlan(kind="imported", home=home, items=flat, fence=fence, rally=rally, surveys=surveys,
                      swath_m=swath[0], swath_along_m=swath[1], area_polygon=area,
                      cruise_speed_mps=float(cruise) if _number(cruise) and cruise > 0 else 8.0,
                      notes={"groundStation": doc.get("groundStation"), "firmwareType": mission.get("firmwareType"),
                             "vehicleType": mission.get("vehicleType"), "hoverSpeed": mission.get("hoverSpeed")})


def _fence_from(fence: Any) -> Geofence:
    if fence is None:
        return Geofence()
    if not isinstance(fence, dict):
        raise FileFormatError("geoFence", "expected an object")
    polys, circles = [], []
    for i, p in enumerate(fence.get("polygons", []) or []):
        path = f"geoFence.polygons[{i}]"
        pts = _coords(_need(p, "polygon", path, list, "a list of [lat, lon]"), f"{path}.polygon", min_count=3)
        inc = p.get("inclusion", True)
        if not isinstance(inc, bool):
            raise FileFormatError(f"{path}.inclusion", "expected true or false")
        polys.append(FencePolygon(pts, inc))
    for i, c in enumerate(fence.get("circles", []) or []):
        path = f"geoFence.circles[{i}]"
        circ = _need(c, "circle", path, dict, "an object")
        (lat, lon), = _coords([_need(circ, "center", f"{path}.circle", list, "[lat, lon]")], f"{path}.circle.center")
        radius = _need(circ, "radius", f"{path}.circle", (int, float), "a number")
        if not radius > 0:
            raise FileFormatError(f"{path}.circle.radius", f"expected a radius > 0, got {radius}")
        inc = c.get("inclusion", True)
        if not isinstance(inc, bool):
            raise FileFormatError(f"{path}.inclusion", "expected true or false")
        circles.append(FenceCircle(lat, lon, float(radius), inc))
    ret = fence.get("breachReturn")
    ret_pt = None
    if isinstance(ret, list) and len(ret) >= 2 and all(_number(v) for v in ret[:2]) and not (ret[0] == 0 and ret[1] == 0):
        ret_pt = (float(ret[0]), float(ret[1]))
    return Geofence(polys, circles, ret_pt)


def _rally_from(rally: Any) -> list[RallyPoint]:
    if rally is None:
        return []
    if not isinstance(rally, dict):
        raise FileFormatError("rallyPoints", "expected an object")
    pts = _coords(rally.get("points", []) or [], "rallyPoints.points", n=3)
    return [RallyPoint(*p) for p in pts]


def load_plan(path: str | Path) -> PatrolPlan:
    """Read a .plan file; FileFormatError names the file and the bad field."""
    p = Path(path)
    try:
        doc = json.loads(p.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise FileFormatError(f"line {exc.lineno} column {exc.colno}", f"not valid JSON: {exc.msg}", str(p)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise FileFormatError("$", f"cannot read: {exc}", str(p)) from None
    try:
        return plan_from_dict(doc)
    except FileFormatError as exc:
        raise exc.in_file(str(p)) from None


# ----------------------------------------------------------------------------------------------- export
def _camera_calc(span: SurveySpan) -> dict:
    cam = span.camera or CameraSpec()
    focal = _SENSOR_WIDTH_MM / 2 / math.tan(math.radians(cam.hfov_deg) / 2)
    # CameraCalc version 1 (DistanceToSurfaceRelative) loads in every QGC release; newer ones convert it to v2.
    return {"version": 1, "CameraName": "Custom Camera", "DistanceToSurfaceRelative": True, "DistanceToSurface": span.alt_m,
            "AdjustedFootprintSide": span.spacing_m, "AdjustedFootprintFrontal": span.trigger_distance_m,
            "SensorWidth": _SENSOR_WIDTH_MM, "SensorHeight": _SENSOR_WIDTH_MM * cam.image_height_px / cam.image_width_px,
            "ImageWidth": cam.image_width_px, "ImageHeight": cam.image_height_px, "FocalLength": focal,
            "Landscape": True, "FixedOrientation": False, "MinTriggerInterval": 0,
            "SideOverlap": span.side_overlap_pct, "FrontalOverlap": span.front_overlap_pct,
            "ValueSetIsDistance": True, "ImageDensity": cam.gsd_cm(span.alt_m)}


def plan_to_dict(plan: PatrolPlan, firmware: str = "ardupilot", vehicle_type: int = 2,
                 hover_speed_mps: float | None = None) -> dict:
    """The .plan document of `plan` (all three sections; survey spans without holes as survey ComplexItem v5)."""
    if firmware not in FIRMWARE:
        raise ValueError(f"firmware must be one of {sorted(FIRMWARE)}, got {firmware!r}")
    items = plan.items
    jump_ids = {k: k + 1 for k in range(len(items))}  # QGC sequence numbers: home is 0
    spans = {s.first: s for s in plan.surveys if not s.holes and 0 <= s.first < s.last <= len(items)}
    out: list[dict] = []
    k = 0
    while k < len(items):
        span = spans.get(k)
        if span is None:
            out.append(_item_json(items[k], jump_ids[k], jump_ids))
            k += 1
            continue
        inner = [_item_json(items[j], jump_ids[j], jump_ids) for j in range(span.first, span.last)]
        visual = [[items[j].lat_deg, items[j].lon_deg] for j in range(span.first, span.last)
                  if items[j].command == Cmd.NAV_WAYPOINT]
        shots = 0
        if span.trigger_distance_m > 0:
            legs = list(zip(visual[:-1], visual[1:]))
            frame = plan.home.frame()
            length = sum(float(np.hypot(*np.diff(np.column_stack(frame.to_enu(
                np.array([a[0], b[0]]), np.array([a[1], b[1]]), 0.0)[:2]), axis=0)[0])) for a, b in legs)
            shots = int(length // span.trigger_distance_m)
        out.append({
            "type": "ComplexItem", "complexItemType": "survey", "version": 5,
            "angle": span.angle_deg, "entryLocation": span.entry, "flyAlternateTransects": False,
            "splitConcavePolygons": False, "polygon": [[a, b] for a, b in span.polygon],
            "TransectStyleComplexItem": {
                "version": 2, "TurnAroundDistance": span.turnaround_m, "CameraTriggerInTurnAround": False,
                "HoverAndCapture": False, "Refly90Degrees": False, "CameraShots": shots,
                "CameraCalc": _camera_calc(span), "VisualTransectPoints": visual, "Items": inner}})
        k = span.last
    fence = {"version": 2, "polygons": [{"version": 1, "inclusion": p.inclusion, "polygon": [[a, b] for a, b in p.vertices]}
                                        for p in plan.fence.polygons],
             "circles": [{"version": 1, "inclusion": c.inclusion, "circle": {"center": [c.lat, c.lon], "radius": c.radius_m}}
                         for c in plan.fence.circles]}
    if plan.fence.return_point is not None:
        fence["breachReturn"] = [plan.fence.return_point[0], plan.fence.return_point[1], 0.0]
    return {
        "fileType": "Plan", "version": 1, "groundStation": "AeroPatrol",
        "mission": {"version": 2, "firmwareType": FIRMWARE[firmware], "vehicleType": vehicle_type,
                    "cruiseSpeed": plan.cruise_speed_mps, "hoverSpeed": hover_speed_mps or plan.cruise_speed_mps,
                    "globalPlanAltitudeMode": 1,
                    "plannedHomePosition": [plan.home.lat, plan.home.lon, plan.home.alt_amsl_m], "items": out},
        "geoFence": fence,
        "rallyPoints": {"version": 2, "points": [[r.lat, r.lon, r.alt_m] for r in plan.rally]},
    }


def save_plan(plan: PatrolPlan, path: str | Path, firmware: str = "ardupilot") -> None:
    """Write `plan` as a QGroundControl .plan file (indented JSON)."""
    Path(path).write_text(json.dumps(plan_to_dict(plan, firmware), indent=4, allow_nan=False) + "\n", encoding="utf-8")
