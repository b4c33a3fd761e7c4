"""TLS / mutual TLS through Zenoh's own configuration: CA-signed peers talk, others are refused."""
from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest

from datalink_helpers import free_port, wait_until

from datalink import synthetic
from datalink.config import LinkConfig, LinkConfigError, TlsConfig
from datalink.onboard import OnboardLink
from datalink.outbox import MemoryOutbox

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def certs(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("certs")
    subprocess.run(["bash", str(ROOT / "scripts" / "make_test_certs.sh"), str(out), "2"], check=True,
                   capture_output=True)
    return out


def _tls(d: Path, name: str | None, ca: str = "ca") -> TlsConfig:
    if name is None:
        return TlsConfig(str(d / f"{ca}.pem"), mutual=False)
    return TlsConfig(str(d / f"{ca}.pem"), str(d / f"{name}.pem"), str(d / f"{name}.key"))


def _try_onboard(endpoint: str, tls: TlsConfig | None, vehicle: str) -> OnboardLink:
    outbox = MemoryOutbox()
    for it in synthetic.infraction_items(vehicle, "p", 1):
        outbox.put(it)
    return OnboardLink(LinkConfig(connect=(endpoint,), tls=tls), "city", vehicle, outbox).start()


def test_mutual_tls_accepts_signed_peer_and_refuses_others(start_ground, certs) -> None:
    port = free_port()
    ground_cfg = LinkConfig(listen=(f"tls/localhost:{port}",), tls=_tls(certs, "ground"))
    g = start_ground(port=port, config=ground_cfg)
    endpoint = f"tls/localhost:{port}"
    good = _try_onboard(endpoint, _tls(certs, "onboard"), "good")
    try:
        assert wait_until(lambda: len(g.rec.infractions) == 1)
        assert g.rec.infractions[0][2] == "good"
    finally:
        good.stop()
    intruders = [
        _try_onboard(endpoint, _tls(certs, None), "nocert"),            # no client certificate
        _try_onboard(endpoint, _tls(certs, "rogue", ca="ca"), "rogue"),  # certificate from another CA
        _try_onboard(f"tcp/localhost:{port}", None, "plain"),            # plain TCP to the TLS port
    ]
    try:
        time.sleep(3.0)  # each intruder retries its connection several times in this window
        assert [s.peers for s in (i.stats() for i in intruders)] == [0, 0, 0]
        assert [x[2] for x in g.rec.infractions] == ["good"]
        assert g.link.stats().received.get("heartbeat", 0) >= 1  # only the good peer's
        assert {x[2] for x in g.rec.heartbeats} == {"good"}
    finally:
        for i in intruders:
            i.stop()


def test_tls_config_errors_name_the_field(tmp_path) -> None:
    with pytest.raises(LinkConfigError, match="tls.root_ca"):
        LinkConfig(listen=("tls/localhost:1",), tls=TlsConfig(str(tmp_path / "missing.pem"))).to_json()
    with pytest.raises(LinkConfigError, match="needs a tls configuration"):
        LinkConfig(listen=("tls/localhost:1",))
    with pytest.raises(LinkConfigError, match="mutual TLS needs"):
        (tmp_path / "ca.pem").write_text("x")
        TlsConfig(str(tmp_path / "ca.pem"), mutual=True).to_zenoh()
