"""`aeropatrol link ...` commands: monitor JSON output against a live onboard link, usage errors."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from datalink_helpers import free_port, wait_until

from datalink import synthetic
from datalink.budget import BudgetConfig
from datalink.cli import main
from datalink.config import LinkConfig
from datalink.onboard import OnboardLink
from datalink.outbox import MemoryOutbox

ROOT = Path(__file__).resolve().parents[2]


def test_monitor_json_reports_rates_backlog_and_acks(start_ground) -> None:
    g = start_ground()
    port = free_port()
    outbox = MemoryOutbox()
    for it in synthetic.infraction_items("uav7", "p", 3):
        outbox.put(it)
    link = OnboardLink(LinkConfig(listen=(f"tcp/127.0.0.1:{port}",), connect=(g.endpoint,)), "city", "uav7", outbox,
                       BudgetConfig(kbps=0)).start()
    try:
        assert wait_until(lambda: len(g.rec.infractions) == 3)
        proc = subprocess.Popen(
            [sys.executable, "-m", "datalink.cli", "link", "monitor", "--connect", f"tcp/127.0.0.1:{port}",
             "--fleet", "city", "--interval", "1", "--duration", "3.2", "--json"],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for frame in range(40):
            link.publish_tracks(synthetic.track_batch("uav7", 10, frame))
            if proc.poll() is not None:
                break
            wait_until(lambda: False, timeout_s=0.1)
        out, err = proc.communicate(timeout=30)
    finally:
        link.stop()
    assert proc.returncode == 0, err
    reports = [json.loads(line) for line in out.splitlines() if line.strip()]
    assert len(reports) >= 2
    last = reports[-1]
    v = last["vehicles"]["city/uav7"]
    assert last["pattern"] == "aeropatrol/city/*/*" and last["peers"] == 1
    assert v["channels"]["tracks"]["msgs"] >= 5 and v["channels"]["tracks"]["kbps"] > 0
    assert v["channels"]["heartbeat"]["msgs"] >= 1
    assert v["backlog"] == 0 and v["acked_total"] == 3


def test_usage_errors_exit_2(capsys) -> None:
    assert main(["link", "monitor"]) == 2
    assert "give --connect" in capsys.readouterr().err
    assert main(["link", "monitor", "--connect", "nonsense"]) == 2
    assert "endpoint 'nonsense'" in capsys.readouterr().err
    assert main(["link"]) == 2
