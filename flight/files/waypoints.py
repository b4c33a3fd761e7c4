"""`QGC WPL 110` waypoint files (Mission Planner, MAVProxy): tab-separated, line 0 = home, DO_JUMP by seq."""
from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

from flight.files.errors import FileFormatError
from flight.files.qgc_plan import GLOBAL_FRAMES
from flight.mission import Cmd, Frame, MissionItem, deg_to_e7
from flight.planning.model import Home, PatrolPlan

HEADER = "QGC WPL 110"


def _fmt(v: float) -> str:
    if isinstance(v, float) and math.isnan(v):
        return "nan"  # MAVProxy writes and reads NaN params this way (PX4: NaN yaw = keep current heading)
    return f"{float(v):.8f}".rstrip("0").rstrip(".") or "0"


def waypoints_text(plan: PatrolPlan) -> str:
    """The file text: header, home (seq 0, AMSL), then the mission with seq from 1 (DO_JUMP targets shifted by +1)."""
    h = plan.home
    lines = [HEADER, "\t".join(["0", "1", str(int(Frame.GLOBAL)), str(int(Cmd.NAV_WAYPOINT)), "0", "0", "0", "0",
                                f"{h.lat:.8f}", f"{h.lon:.8f}", _fmt(h.alt_amsl_m), "1"])]
    for k, it in enumerate(plan.items):
        p1 = it.param1 + 1 if it.command == Cmd.DO_JUMP else it.param1
        if it.frame in GLOBAL_FRAMES:
            x, y = f"{it.lat_deg:.8f}", f"{it.lon_deg:.8f}"
        else:
            x, y = str(it.x), str(it.y)
        lines.append("\t".join([str(k + 1), "0", str(int(it.frame)), str(int(it.command)), _fmt(p1), _fmt(it.param2),
                                _fmt(it.param3), _fmt(it.param4), x, y, _fmt(it.z), str(int(it.autocontinue))]))
    return "\n".join(lines) + "\n"


def save_waypoints(plan: PatrolPlan, path: str | Path) -> None:
    """Write the mission (not fence/rally: those have their own files in Mission Planner) as QGC WPL 110."""
    Path(path).write_text(waypoints_text(plan), encoding="utf-8")


def _num(text: str, line: int, field: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise FileFormatError(f"line {line}", f"{field}: expected a number, got {text!r}") from None
    if math.isnan(v) and field.startswith("param"):
        return v
    if not math.isfinite(v):
        raise FileFormatError(f"line {line}", f"{field}: expected a finite number, got {text!r}")
    return v


def plan_from_waypoints_text(text: str) -> PatrolPlan:
    """A PatrolPlan (kind "imported") from waypoint file text; FileFormatError names the line and field."""
    rows = [(n, ln) for n, ln in enumerate(text.splitlines(), start=1) if ln.strip()]
    if not rows or not rows[0][1].strip().startswith("QGC WPL"):
        raise FileFormatError("line 1", f'expected the header "{HEADER}"')
    if rows[0][1].split()[2:3] != ["110"]:
        raise FileFormatError("line 1", f"unsupported version {rows[0][1].strip()!r} (expected {HEADER!r})")
    items: list[MissionItem] = []
    home = None
    names = ("seq", "current", "frame", "command", "param1", "param2", "param3", "param4", "x/lat", "y/lon", "z/alt",
             "autocontinue")
    for expect, (n, ln) in enumerate(rows[1:]):
        f = ln.strip().split("\t") if "\t" in ln else ln.split()
        if len(f) != 12:
            raise FileFormatError(f"line {n}", f"expected 12 tab-separated fields, got {len(f)}")
        v = [_num(t, n, name) for t, name in zip(f, names)]
        for idx in (0, 1, 2, 3, 11):
            if v[idx] != int(v[idx]):
                raise FileFormatError(f"line {n}", f"{names[idx]}: expected an integer, got {f[idx]!r}")
        seq, _, frame, cmd = (int(x) for x in v[:4])
        if seq != expect:
            raise FileFormatError(f"line {n}", f"seq: expected {expect}, got {seq}")
        if frame in GLOBAL_FRAMES:
            if not (-90 <= v[8] <= 90 and -180 <= v[9] <= 360):
                raise FileFormatError(f"line {n}", f"x/lat, y/lon: out of range ({v[8]}, {v[9]})")
            x, y = deg_to_e7(v[8]), deg_to_e7(v[9])
        else:
            x, y = int(round(v[8])), int(round(v[9]))
        if seq == 0:
            home = Home(v[8], v[9], v[10])
            continue
        items.append(MissionItem(seq=0, frame=frame, command=cmd, autocontinue=int(v[11]), param1=v[4], param2=v[5],
                                 param3=v[6], param4=v[7], x=x, y=y, z=v[10]))
    if home is None:
        raise FileFormatError("line 2", "missing the home line (seq 0)")
    for k, it in enumerate(items):
        if it.command == Cmd.DO_JUMP:
            target = int(round(it.param1)) - 1
            if not 0 <= target < len(items):
                raise FileFormatError(f"line {k + 3}", f"param1: DO_JUMP target {int(it.param1)} is not a mission item")
            items[k] = replace(it, param1=float(target))
    return PatrolPlan(kind="imported", home=home, items=items)


def load_waypoints(path: str | Path) -> PatrolPlan:
    """Read a QGC WPL 110 file; FileFormatError names the file, line and field."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise FileFormatError("$", f"cannot read: {exc}", str(p)) from None
    try:
        return plan_from_waypoints_text(text)
    except FileFormatError as exc:
        raise exc.in_file(str(p)) from None
