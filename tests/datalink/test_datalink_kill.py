"""kill -9 of the onboard process mid-transfer: after a restart every item reaches the ground once."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from datalink_helpers import wait_until

from datalink import synthetic
from datalink.outbox import SqliteOutbox

ROOT = Path(__file__).resolve().parents[2]


def _start_onboard(endpoint: str, outbox: Path, extra: list[str]) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "datalink.cli", "link", "demo-onboard", "--connect", endpoint, "--fleet", "city",
           "--vehicle", "uav1", "--outbox", str(outbox), "--tracks", "20", "--fps", "5", "--kbps", "400", *extra]
    return subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def test_kill_9_onboard_then_restart_delivers_everything_once(start_ground, tmp_path) -> None:
    g = start_ground()
    outbox_path = tmp_path / "onboard.db"
    box = SqliteOutbox(outbox_path)
    items = synthetic.infraction_items("uav1", "p1", 5, evidence_size=48_000, seed=5)
    for it in items:
        box.put(it)
    box.close()
    proc = _start_onboard(g.endpoint, outbox_path, [])
    try:
        # kill while an evidence package is half-way: some chunks stored, not complete
        assert wait_until(lambda: any(0 < r.received_chunks and not r.complete for r in g.link.inbox.evidence_list()),
                          timeout_s=60)
        os.kill(proc.pid, signal.SIGKILL)
        assert proc.wait(timeout=10) == -signal.SIGKILL
        delivered_before = len(g.rec.infractions) + len(g.rec.evidence)
        assert 0 < delivered_before < len(items)
        proc = _start_onboard(g.endpoint, outbox_path, ["--until-acked", "--duration", "90"])
        out, _ = proc.communicate(timeout=120)
        assert proc.returncode == 0, out
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    time.sleep(0.5)
    assert Counter(x[3].infraction_id for x in g.rec.infractions) == Counter(
        i.item_id for i in items if i.kind == "infraction")
    want_ev = {i.item_id: i.data for i in items if i.kind == "evidence"}
    assert Counter(x[3].evidence_id for x in g.rec.evidence) == Counter(set(want_ev))
    for _, _, _, rec in g.rec.evidence:
        assert rec.path.read_bytes() == want_ev[rec.evidence_id]
    assert g.link.inbox.infraction_count() == 5
    assert not SqliteOutbox(outbox_path).pending()
