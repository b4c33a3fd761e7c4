"""`aeropatrol sim camera`: serve the simulated camera over TCP from a scripted orbit (stand-alone use;
the scenario runner drives SimCamera with the sim vehicle's true pose instead)."""
from __future__ import annotations

import argparse
import json
import math
import time


def orbit_pose(town, t: float, altitude_m: float, radius_m: float, pitch_deg: float, speed_mps: float = 8.0,
               time_s: float | None = None):
    """True pose ``t`` seconds into a circular orbit around the town centre, camera yawed toward the
    centre; ``time_s`` is the pose's timestamp (default ``t``)."""
    from geo.pose import GimbalAttitude, PoseSample

    ang = speed_mps * t / max(radius_m, 1.0)
    e, n = radius_m * math.cos(ang), radius_m * math.sin(ang)
    lat, lon, _ = town.frame.to_wgs84(e, n, 0.0)
    yaw = math.atan2(-e, -n)  # compass heading toward the centre
    gimbal = GimbalAttitude.from_euler(0.0, math.radians(pitch_deg), 0.0, "vehicle")
    return PoseSample(t if time_s is None else time_s, float(lat), float(lon), town.spec.alt_m + altitude_m, 0.0, 0.0,
                      yaw, gimbal)


def serve_camera(args: argparse.Namespace, town_spec) -> int:
    """Render and publish frames at ``args.fps`` until ``args.frames`` (or forever)."""
    from geo.camera import CameraModel
    from sims.camera.stream import SimCamera
    from sims.camera.transport import FrameServer
    from sims.traffic.scenario import TrafficScenario, load_scenario
    from sims.traffic.sim import TrafficSim
    from sims.world.ortho import render_orthophoto
    from sims.world.town import generate_town

    town = generate_town(town_spec)
    ortho = render_orthophoto(town)
    traffic = TrafficSim(town, load_scenario(args.scenario) if args.scenario else TrafficScenario())
    cam = SimCamera(town, ortho, traffic, CameraModel.from_hfov(args.width, args.height, args.hfov))
    truth = open(args.truth, "w") if args.truth else None
    t_start = time.time()
    period = 1.0 / args.fps
    with FrameServer(args.host, args.port) as server:
        print(json.dumps({"listening": f"{server.address[0]}:{server.port}", "fps": args.fps,
                          "size": [args.width, args.height]}), flush=True)
        k = 0
        try:
            while args.frames <= 0 or k < args.frames:
                t = t_start + k * period
                pose = orbit_pose(town, t - t_start, args.altitude, args.radius, args.pitch, time_s=t)
                jpeg, frame = cam.capture(pose)
                server.publish(frame.frame_id, t, jpeg)
                if truth:
                    truth.write(json.dumps({"frame_id": frame.frame_id, "capture_time_s": t,
                                            "pose": {"lat": pose.lat, "lon": pose.lon, "alt_amsl_m": pose.alt_amsl_m,
                                                     "roll": pose.roll, "pitch": pose.pitch, "yaw": pose.yaw},
                                            "boxes": frame.truth.as_dicts()}) + "\n")
                k += 1
                if args.realtime:
                    time.sleep(max(0.0, t_start + k * period - time.time()))
        except KeyboardInterrupt:
            pass
    if truth:
        truth.close()
    return 0
