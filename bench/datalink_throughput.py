"""Data link figures on loopback (Zenoh, explicit endpoints, two processes):

1. encoding: bytes and encode+decode rate of a track update, msgspec frame vs stdlib JSON (baseline);
2. track updates between two processes: msgs/s (flood), latency p50/p99 (paced), batched updates/s;
3. infraction delivery latency at 200 kbit/s with 100 live tracks (requirement: < 2 s);
4. evidence transfer throughput (unlimited budget) and resume after a link cut (default 30 s).

Run: python -m bench.datalink_throughput [--quick] [--cut-s 30]
"""
from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import msgspec

from datalink import keys, synthetic
from datalink.budget import BudgetConfig
from datalink.config import LinkConfig, open_session
from datalink.ground import GroundCallbacks, GroundLink
from datalink.linkproxy import LinkProxy
from datalink.messages import TrackBatch, TrackUpdate, decode, encode
from datalink.onboard import OnboardLink
from datalink.outbox import MemoryOutbox

ROOT = Path(__file__).resolve().parents[1]


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _pct(values: list[float], q: float) -> float:
    v = sorted(values)
    return v[min(len(v) - 1, int(q * len(v)))] if v else float("nan")


# ---- 1. encoding --------------------------------------------------------------------------------
def bench_encoding(n: int) -> None:
    t = synthetic.track_batch("uav1", 1, 1).tracks[0]
    frame = encode(t)
    as_json = json.dumps(msgspec.structs.asdict(t)).encode()
    batch = synthetic.track_batch("uav1", 100, 1)
    t0 = time.perf_counter()
    for _ in range(n):
        decode(encode(t))
    ours = n / (time.perf_counter() - t0)
    t0 = time.perf_counter()
    for _ in range(n):
        json.loads(json.dumps(msgspec.structs.asdict(t)))
    base = n / (time.perf_counter() - t0)
    print(f"bytes per track update: {len(frame)} B framed msgpack (JSON baseline {len(as_json)} B, "
          f"ratio {len(frame) / len(as_json):.2f}); in a 100-track batch {len(encode(batch)) / 100:.1f} B/track")
    print(f"encode+decode: {ours:,.0f} track updates/s (stdlib JSON dict baseline {base:,.0f}/s, x{ours / base:.1f})")


# ---- 2. two processes -----------------------------------------------------------------------------
def publisher(endpoint: str, n_flood: int, paced_rate: float, paced_s: float, n_batches: int) -> None:
    """Child process: flood, then paced single updates, then 100-track batches, then an end marker."""
    import zenoh

    s = open_session(LinkConfig(connect=(endpoint,)))
    pub = s.declare_publisher(keys.key("bench", "uav1", "tracks"), congestion_control=zenoh.CongestionControl.BLOCK)
    while not list(s.info.peers_zid()):
        time.sleep(0.05)
    time.sleep(0.5)
    base = synthetic.track_batch("uav1", 1, 1).tracks[0]
    for i in range(n_flood):
        pub.put(encode(msgspec.structs.replace(base, track_id=i, frame_id=0, time_s=time.time())))
    time.sleep(0.5)
    period, t_next = 1.0 / paced_rate, time.perf_counter()
    for i in range(int(paced_rate * paced_s)):
        t_next += period
        while time.perf_counter() < t_next:
            pass
        pub.put(encode(msgspec.structs.replace(base, track_id=i, frame_id=1, time_s=time.time())))
    time.sleep(0.5)
    for i in range(n_batches):
        b = synthetic.track_batch("uav1", 100, 2)
        pub.put(encode(msgspec.structs.replace(b, time_s=time.time())))
    time.sleep(0.5)
    pub.put(encode(msgspec.structs.replace(base, track_id=-1, frame_id=9, time_s=time.time())))
    time.sleep(0.5)
    s.close()


def bench_two_process(n_flood: int, paced_rate: float, paced_s: float, n_batches: int) -> None:
    port = _port()
    sess = open_session(LinkConfig(listen=(f"tcp/127.0.0.1:{port}",)))
    rx: dict[int, list[tuple[float, float]]] = {0: [], 1: [], 2: []}
    done = threading.Event()

    def on_sample(sample) -> None:
        now = time.time()
        msg = decode(sample.payload.to_bytes())
        if isinstance(msg, TrackBatch):
            rx[2].append((now, msg.time_s))
        elif isinstance(msg, TrackUpdate):
            if msg.frame_id == 9:
                done.set()
            else:
                rx[msg.frame_id].append((now, msg.time_s))

    sub = sess.declare_subscriber(keys.key("bench", "uav1", "tracks"), on_sample)
    child = subprocess.Popen([sys.executable, "-m", "bench.datalink_throughput", "--role", "pub",
                              "--endpoint", f"tcp/127.0.0.1:{port}", "--n-flood", str(n_flood),
                              "--paced-rate", str(paced_rate), "--paced-s", str(paced_s),
                              "--n-batches", str(n_batches)], cwd=ROOT)
    try:
        done.wait(timeout=120)
    finally:
        child.wait(timeout=30)
        sub.undeclare()
        sess.close()
    flood = rx[0]
    if len(flood) > 1:
        span = flood[-1][0] - flood[0][0]
        print(f"track updates, two processes, flood: {len(flood)}/{n_flood} received, "
              f"{len(flood) / span:,.0f} msgs/s")
    lat = [(r - s) * 1000 for r, s in rx[1]]
    print(f"track updates, paced {paced_rate:.0f}/s for {paced_s:.0f} s: {len(lat)} received, latency "
          f"p50 {_pct(lat, 0.5):.2f} ms, p99 {_pct(lat, 0.99):.2f} ms, max {max(lat, default=float('nan')):.2f} ms")
    b = rx[2]
    if len(b) > 1:
        span = b[-1][0] - b[0][0]
        print(f"track updates in 100-track batches: {len(b)}/{n_batches} batches, {100 * len(b) / span:,.0f} updates/s")


# ---- 3. infraction latency under budget -----------------------------------------------------------
def bench_infraction_latency(seconds: float, n_inf: int) -> None:
    port = _port()
    lat: list[float] = []
    queued: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as d:
        cb = GroundCallbacks(on_infraction=lambda f, v, ev: lat.append(time.time() - queued[ev.infraction_id]))
        ground = GroundLink(LinkConfig(listen=(f"tcp/127.0.0.1:{port}",)), Path(d) / "g.db", callbacks=cb).start()
        outbox = MemoryOutbox()
        link = OnboardLink(LinkConfig(connect=(f"tcp/127.0.0.1:{port}",)), "bench", "uav1", outbox,
                           BudgetConfig(kbps=200.0)).start()
        while ground.peers() == 0:
            time.sleep(0.05)
        t0, frame, every = time.monotonic(), 0, max(1, int(seconds * 5 / n_inf))
        while time.monotonic() - t0 < seconds:
            frame += 1
            link.publish_tracks(synthetic.track_batch("uav1", 100, frame))
            link.publish_thumbnail(lambda spec, f=frame: synthetic.thumbnail("uav1", f, spec.max_width, spec.quality))
            if frame % every == 0 and len(queued) < n_inf:
                item = synthetic.infraction_items("uav1", "p", 1, seed=frame)[0]
                queued[item.item_id] = time.time()
                outbox.put(item)
                link.notify_outbox()
            time.sleep(0.2)
        end = time.monotonic() + 5
        while len(lat) < len(queued) and time.monotonic() < end:
            time.sleep(0.05)
        st = link.stats()
        elapsed = time.monotonic() - t0
        link.stop()
        ground.stop()
    ms = [x * 1000 for x in lat]
    print(f"infractions at 200 kbit/s with 100 live tracks @5 Hz + thumbnails: {len(lat)}/{len(queued)} delivered, "
          f"latency p50 {_pct(ms, 0.5):.0f} ms, p99 {_pct(ms, 0.99):.0f} ms, max {max(ms, default=float('nan')):.0f} ms "
          f"(requirement < 2000 ms)")
    rate = {k: v * 8 / 1000 / elapsed for k, v in st.sent_bytes.items()}
    print("  link use (kbit/s): " + ", ".join(f"{k} {v:.1f}" for k, v in sorted(rate.items()))
          + f"; track batches sent {st.sent_msgs.get('tracks', 0)}, superseded {st.superseded.get('tracks', 0)};"
          f" thumbnail rung {st.thumb_level}")


# ---- 4. evidence ---------------------------------------------------------------------------------
def _evidence_run(size_kb: int, kbps: float, cut_after_frac: float | None, cut_s: float) -> dict:
    port = _port()
    completed = threading.Event()
    with tempfile.TemporaryDirectory() as d:
        ground = GroundLink(LinkConfig(listen=(f"tcp/127.0.0.1:{port}",)), Path(d) / "g.db",
                            callbacks=GroundCallbacks(on_evidence=lambda f, v, r: completed.set())).start()
        proxy = LinkProxy("127.0.0.1", port)
        child = subprocess.Popen(
            [sys.executable, "-m", "datalink.cli", "link", "demo-onboard", "--connect", proxy.endpoint,
             "--fleet", "bench", "--vehicle", "uav1", "--outbox", str(Path(d) / "o.db"), "--add-infractions", "1",
             "--evidence-kb", str(size_kb), "--tracks", "0", "--no-thumbnails", "--kbps", str(kbps),
             "--until-acked", "--duration", "300"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        t_first = t_restore = None
        n_chunks = -(-size_kb * 1024 // BudgetConfig().chunk_size)
        cut_done = False
        while not completed.is_set() and child.poll() is None:
            recs = ground.inbox.evidence_list()
            if recs and t_first is None:
                t_first = time.monotonic()
            if (cut_after_frac is not None and not cut_done and recs
                    and recs[0].received_chunks >= cut_after_frac * n_chunks):
                proxy.cut_for(cut_s)
                t_restore, cut_done = time.monotonic(), True
            time.sleep(0.01)
        completed.wait(timeout=60)
        t_end = time.monotonic()
        child.communicate(timeout=60)
        st = ground.stats()
        proxy.close()
        ground.stop()
    recv_chunks = st.received.get("evidence", 0)
    return {"seconds": t_end - (t_first or t_end), "after_restore_s": (t_end - t_restore) if t_restore else None,
            "n_chunks": n_chunks, "chunk_msgs": recv_chunks, "duplicates": st.duplicates,
            "completed": st.evidence_completed}


def bench_evidence(size_kb: int, cut_size_kb: int, cut_kbps: float, cut_s: float) -> None:
    r = _evidence_run(size_kb, 0.0, None, 0.0)
    mb = size_kb / 1024
    print(f"evidence {mb:.1f} MiB, unlimited budget, two processes: {r['seconds']:.2f} s, "
          f"{mb / r['seconds']:.2f} MiB/s ({r['n_chunks']} chunks of 16 KiB, completed {r['completed']})")
    r = _evidence_run(cut_size_kb, cut_kbps, 0.4, cut_s)
    print(f"evidence {cut_size_kb} KiB at {cut_kbps:.0f} kbit/s, link cut {cut_s:.0f} s at 40 %: total {r['seconds']:.1f} s, "
          f"{r['after_restore_s']:.1f} s from restore to verified package; "
          f"{r['chunk_msgs']} evidence msgs for {r['n_chunks']} chunks (incl. announces), "
          f"{r['duplicates']} duplicate chunks, completed exactly {r['completed']}x")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="smaller counts and a 5 s cut")
    p.add_argument("--cut-s", type=float, default=None, help="link cut length for the resume run (default 30, quick 5)")
    p.add_argument("--role", default="main", choices=["main", "pub"], help=argparse.SUPPRESS)
    p.add_argument("--endpoint", help=argparse.SUPPRESS)
    p.add_argument("--n-flood", type=int, default=50_000, help=argparse.SUPPRESS)
    p.add_argument("--paced-rate", type=float, default=1000.0, help=argparse.SUPPRESS)
    p.add_argument("--paced-s", type=float, default=5.0, help=argparse.SUPPRESS)
    p.add_argument("--n-batches", type=int, default=300, help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.role == "pub":
        publisher(a.endpoint, a.n_flood, a.paced_rate, a.paced_s, a.n_batches)
        return 0
    q = a.quick
    cut_s = a.cut_s if a.cut_s is not None else (5.0 if q else 30.0)
    print(f"datalink benchmark on loopback (pid {os.getpid()}, {os.cpu_count()} CPUs){' --quick' if q else ''}")
    bench_encoding(20_000 if q else 100_000)
    bench_two_process(10_000 if q else 50_000, 1000.0, 2.0 if q else 5.0, 100 if q else 300)
    bench_infraction_latency(5.0 if q else 15.0, 8 if q else 30)
    bench_evidence(2048 if q else 8192, 512 if q else 1024, 1000.0, cut_s)
    return 0


if __name__ == "__main__":
    sys.exit(main())
