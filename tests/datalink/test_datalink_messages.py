"""Wire messages: round trips of every type, version tolerance, malformed and oversized input."""
from __future__ import annotations

import hashlib
import logging

import msgspec
import pytest

from datalink import messages as m
from datalink.ground import GroundLink
from datalink.config import LinkConfig
from datalink.synthetic import infraction, thumbnail, track_batch

SHA = hashlib.sha256(b"x").hexdigest()


def samples() -> list[m.Message]:
    """One instance of every message type, with non-default values."""
    batch = track_batch("uav1", 3, 7, time_s=1_700_000_000.0)
    return [
        batch.tracks[0],
        batch,
        infraction("uav1", "patrol-9", 2, evidence_id="ev-1"),
        m.EvidenceAnnounce("ev-1", "inf-1", "uav1", 40_000, 16_384, 3, SHA, b'{"files": []}', 1.5, "application/zip"),
        m.EvidenceChunk("ev-1", 2, b"x", SHA, "uav1"),
        m.VehicleSummary("uav1", 1.0, 45.0, 7.0, 230.0, 90.0, 12.5, "AUTO", True, 76.0, 0.9, "patrol-9", 4, 50.0),
        thumbnail("uav1", 7, 160, 30),
        m.Heartbeat("onboard-1", "onboard", 2.0, 5, "uav1", 3, 1, 10, 2),
        m.Ack("chunk", [], "ground-1", 3.0, "ev-1", [0, 1]),
    ]


def test_every_message_type_round_trips() -> None:
    msgs = samples()
    assert {type(x) for x in msgs} == set(m.MESSAGE_TYPES)
    for msg in msgs:
        data = m.encode(msg)
        back = m.decode(data)
        assert back == msg, type(msg).__name__
        assert m.frame_version(data) == m.SCHEMA_VERSION


def test_track_update_is_compact() -> None:
    """A track update is a tagged msgpack array, much smaller than a field-named (map) encoding."""
    t = samples()[0]
    data = m.encode(t)
    assert len(data) <= 210  # 21 fields, 17 of them float64 (9 bytes each in msgpack)
    assert len(data) < 0.65 * len(msgspec.msgpack.encode(msgspec.structs.asdict(t)))


class TrackUpdateV2(msgspec.Struct, array_like=True, forbid_unknown_fields=False, tag_field="t", tag="trk"):
    """What a future TrackUpdate may look like: the same fields plus appended ones."""

    vehicle_id: str
    track_id: int
    cls: str
    confidence: float
    time_s: float
    lat: float
    lon: float
    alt_m: float
    sigma_m: float
    vel_e_mps: float
    vel_n_mps: float
    speed_kmh: float
    speed_sigma_kmh: float
    heading_deg: float
    first_seen_s: float
    last_seen_s: float
    frame_id: int
    bbox_xyxy: tuple[float, float, float, float]
    vel_cov: tuple[float, float, float] | None = None
    patrol_id: str = ""
    lane_id: int = 3
    colour_hint: str = "red"
    extra: dict[str, float] = msgspec.field(default_factory=lambda: {"a": 1.0})


def _frame(version: int, msg: object) -> bytes:
    return msgspec.msgpack.encode([version, msgspec.Raw(msgspec.msgpack.encode(msg))])


def test_newer_message_with_extra_fields_decodes_in_this_version() -> None:
    old = samples()[0]
    newer = TrackUpdateV2(*[getattr(old, f) for f in old.__struct_fields__])
    data = _frame(m.SCHEMA_VERSION + 1, newer)
    back = m.decode(data)
    assert back == old
    assert m.frame_version(data) == m.SCHEMA_VERSION + 1


def test_newer_frame_with_extra_elements_decodes() -> None:
    old = samples()[5]
    data = msgspec.msgpack.encode([m.SCHEMA_VERSION + 1, msgspec.Raw(msgspec.msgpack.encode(old)), {"sig": "x"}])
    assert m.decode(data) == old


def test_older_message_without_optional_fields_gets_defaults() -> None:
    """An older sender that did not have the appended fields still decodes (defaults filled)."""
    raw = ["veh", "uav1", 1.0, 45.0, 7.0, 230.0, 90.0, 12.5, "AUTO", True, 76.0]
    back = m.decode(msgspec.msgpack.encode([1, msgspec.Raw(msgspec.msgpack.encode(raw))]))
    assert isinstance(back, m.VehicleSummary)
    assert back.link_quality == 1.0 and back.mission_seq == -1 and back.patrol_id == ""


@pytest.mark.parametrize("data, reason, needle", [
    (b"", "malformed", "truncated"),
    (b"\xc1garbage", "malformed", "frame"),
    (b"\x92\x01\x93\xa3zzz\x01\x02", "unknown_type", "'zzz'"),
    (b"\x92\x01\x92\x07\x01", "unknown_type", "7"),
    (b"\x05", "malformed", "Expected `array`"),
])
def test_malformed_frames_raise_message_error(data: bytes, reason: str, needle: str) -> None:
    with pytest.raises(m.MessageError) as err:
        m.decode(data)
    assert err.value.reason == reason
    assert needle in str(err.value)


def test_invalid_field_is_named() -> None:
    raw = list(msgspec.msgpack.decode(msgspec.msgpack.encode(samples()[0])))
    raw[4] = 1.7  # confidence > 1
    with pytest.raises(m.MessageError) as err:
        m.decode(msgspec.msgpack.encode([1, msgspec.Raw(msgspec.msgpack.encode(raw))]))
    assert err.value.reason == "invalid"
    assert "TrackUpdate" in str(err.value) and "$[4]" in str(err.value)
    raw = list(msgspec.msgpack.decode(msgspec.msgpack.encode(samples()[4])))
    raw[4] = "not-a-hash"
    with pytest.raises(m.MessageError, match="EvidenceChunk"):
        m.decode(msgspec.msgpack.encode([1, msgspec.Raw(msgspec.msgpack.encode(raw))]))


def test_truncated_valid_frames_never_escape_as_other_errors() -> None:
    for msg in samples():
        data = m.encode(msg)
        for cut in range(0, len(data), max(1, len(data) // 40)):
            with pytest.raises(m.MessageError):
                m.decode(data[:cut])


def test_oversized_input_and_fields() -> None:
    with pytest.raises(m.MessageError) as err:
        m.decode(b"\x00" * (m.MAX_MESSAGE_BYTES + 1))
    assert err.value.reason == "oversized"
    big = m.EvidenceChunk("ev", 0, b"x" * 2000, SHA)
    with pytest.raises(m.MessageError, match="oversized"):
        m.encode(big, max_bytes=1000)
    with pytest.raises(m.MessageError, match="oversized"):
        m.decode(m.encode(big), max_bytes=1000)
    too_big_chunk = msgspec.msgpack.encode(
        [1, msgspec.Raw(msgspec.msgpack.encode(["evc", "ev", 0, b"x" * (m.MAX_CHUNK_BYTES + 1), SHA]))])
    with pytest.raises(m.MessageError) as err:
        m.decode(too_big_chunk)
    assert err.value.reason == "invalid" and "EvidenceChunk" in str(err.value)


def test_ground_drops_bad_frames_with_logged_reason(tmp_path, caplog) -> None:
    """The ground handler logs and counts malformed, oversized, unknown and misrouted frames, never raises."""
    link = GroundLink(LinkConfig(), tmp_path / "inbox.db", max_message_bytes=10_000)
    good = m.encode(samples()[5])
    with caplog.at_level(logging.WARNING, logger="datalink.ground"):
        link.handle("aeropatrol/f/uav1/summary", b"\xc1\x00")
        link.handle("aeropatrol/f/uav1/summary", b"\x00" * 20_000)
        link.handle("aeropatrol/f/uav1/summary", b"\x92\x01\x91\xa3zzz")
        link.handle("aeropatrol/f/uav1/tracks", good)
        link.handle("elsewhere/f/uav1/summary", good)
        link.handle("aeropatrol/f/uav1/summary", good)
    stats = link.stats()
    assert stats.dropped == {"malformed": 1, "oversized": 1, "unknown_type": 1, "misrouted": 1, "bad_key": 1}
    assert stats.received == {"summary": 1}
    text = caplog.text
    for reason in ("malformed", "oversized", "unknown_type", "misrouted", "bad_key"):
        assert reason in text
    link.stop()
