"""The documented router config (docs/datalink-router.json5) routes a fleet: drone and ground as mTLS clients."""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

import zenoh

from datalink_helpers import free_port, wait_until

from datalink import synthetic
from datalink.config import LinkConfig, TlsConfig
from datalink.monitor import LinkMonitor
from datalink.onboard import OnboardLink
from datalink.outbox import MemoryOutbox

ROOT = Path(__file__).resolve().parents[2]


def test_router_config_routes_drone_to_ground_and_monitor(start_ground, tmp_path) -> None:
    certs = tmp_path / "pki"
    subprocess.run(["bash", str(ROOT / "scripts" / "make_test_certs.sh"), str(certs), "2"], check=True,
                   capture_output=True)
    port = free_port()
    cfg = zenoh.Config.from_file(str(ROOT / "docs" / "datalink-router.json5"))
    assert json.loads(cfg.get_json("mode")) == "router"
    cfg.insert_json5("listen/endpoints", json.dumps([f"tls/localhost:{port}"]))
    for key, name in (("root_ca_certificate", "ca.pem"), ("listen_certificate", "ground.pem"),
                      ("listen_private_key", "ground.key")):
        cfg.insert_json5(f"transport/link/tls/{key}", json.dumps(str(certs / name)))
    router = zenoh.open(cfg)
    client = lambda name: LinkConfig(mode="client", connect=(f"tls/localhost:{port}",),  # noqa: E731
                                     tls=TlsConfig(str(certs / "ca.pem"), str(certs / f"{name}.pem"), str(certs / f"{name}.key")))
    try:
        g = start_ground(config=client("ground"), fleet="city")
        mon = LinkMonitor(client("onboard"), "city").start()
        outbox = MemoryOutbox()
        for it in synthetic.infraction_items("uav3", "p", 2, evidence_size=30_000):
            outbox.put(it)
        link = OnboardLink(client("onboard"), "city", "uav3", outbox).start()
        try:
            assert wait_until(lambda: not outbox.pending() and len(g.rec.evidence) == 2)
            link.publish_tracks(synthetic.track_batch("uav3", 4, 1))
            assert wait_until(lambda: bool(g.rec.tracks))
            assert wait_until(lambda: "tracks" in mon.snapshot()["vehicles"].get("city/uav3", {}).get("channels", {}))
            snap = mon.snapshot()["vehicles"]["city/uav3"]
        finally:
            link.stop()
            mon.stop()
    finally:
        router.close()
    assert {x[2] for x in g.rec.infractions} == {"uav3"} and len(g.rec.infractions) == 2
    assert snap["acks"].get("infraction") == 2 and snap["acks"].get("evidence") == 2  # a router shows the acks too
