"""Typed, versioned wire messages of the onboard -> ground data link (msgspec, msgpack).

Every message is a msgspec ``Struct`` encoded as a compact msgpack *array* whose first element is
a short type tag; ``encode`` wraps it in a two-element frame ``[schema_version, message]``.

Evolution rules (version tolerance):
- new fields are only ever APPENDED at the end of a struct and always carry a default, so an old
  decoder ignores the trailing elements of a newer message (``forbid_unknown_fields=False``) and a
  new decoder fills the defaults for an older one;
- a field is never removed, renamed, reordered or retyped; a new message type gets a new tag, and an
  old decoder reports it as ``MessageError(reason="unknown_type")``;
- ``SCHEMA_VERSION`` is bumped whenever a field or a type is added.

``decode`` never raises anything but ``MessageError`` (reason: ``oversized``, ``malformed``,
``unknown_type`` or ``invalid``), whose text names the type and field at fault.
"""
from __future__ import annotations

from typing import Annotated, Any, ClassVar, Union

import msgspec

#: Version of the schema this module speaks; sent in every frame.
SCHEMA_VERSION = 1
#: Default largest frame accepted by ``decode`` (bytes); a thumbnail or chunk must fit under it.
MAX_MESSAGE_BYTES = 1_048_576
#: Largest evidence chunk payload (bytes).
MAX_CHUNK_BYTES = 256 * 1024
#: Largest thumbnail JPEG (bytes).
MAX_JPEG_BYTES = 512 * 1024
#: Object classes the detector reports (``cls`` fields); others are tolerated on decode.
CLASSES: tuple[str, ...] = ("car", "truck", "bus", "motorcycle", "bicycle", "person")
#: Infraction kinds (``InfractionEvent.kind``).
INFRACTION_KINDS: tuple[str, ...] = ("speeding", "no_parking", "wrong_way", "restricted_area")

Id = Annotated[str, msgspec.Meta(max_length=128)]
Short = Annotated[str, msgspec.Meta(max_length=64)]
Text = Annotated[str, msgspec.Meta(max_length=4096)]
Hex256 = Annotated[str, msgspec.Meta(pattern="^[0-9a-f]{64}$")]
Unit = Annotated[float, msgspec.Meta(ge=0.0, le=1.0)]
NonNeg = Annotated[int, msgspec.Meta(ge=0)]
BBox = tuple[float, float, float, float]
ParamValue = Union[bool, int, float, str]


class MessageError(ValueError):
    """A frame that cannot be decoded; ``reason`` is oversized | malformed | unknown_type | invalid."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


class _Base(msgspec.Struct, array_like=True, forbid_unknown_fields=False, tag_field="t", frozen=False):
    """Common settings: array encoding, short tag first, unknown trailing fields ignored."""

    schema_version: ClassVar[int] = SCHEMA_VERSION


class TrackUpdate(_Base, tag="trk"):
    """Latest state of one georeferenced track (WGS84, capture time in unix seconds)."""

    vehicle_id: Id
    track_id: int
    cls: Short
    confidence: Unit
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
    bbox_xyxy: BBox
    #: velocity covariance (var_e, cov_en, var_n) in (m/s)^2, if the tracker estimates it
    vel_cov: tuple[float, float, float] | None = None
    patrol_id: Id = ""


class TrackBatch(_Base, tag="trb"):
    """All live tracks of one processed frame, sent as one latest-value message."""

    vehicle_id: Id
    time_s: float
    frame_id: int
    tracks: Annotated[list[TrackUpdate], msgspec.Meta(max_length=2000)]


class InfractionEvent(_Base, tag="inf"):
    """One infraction decided onboard under an explicit, versioned rule; delivered reliably."""

    infraction_id: Id
    patrol_id: Id
    vehicle_id: Id
    rule_id: Id
    rule_version: Short
    rule_params: dict[Short, ParamValue]
    kind: Short
    track_id: int
    cls: Short
    lat: float
    lon: float
    sigma_m: float
    start_s: float
    end_s: float
    measurements: dict[Short, float]
    uncertainty: dict[Short, float]
    confidence: Unit
    zone_id: Id
    evidence_id: Id | None
    created_s: float
    summary: Text


class EvidenceAnnounce(_Base, tag="eva"):
    """Announces an evidence package: size, chunking and whole-package SHA-256, plus its manifest."""

    evidence_id: Id
    infraction_id: Id
    vehicle_id: Id
    total_size: NonNeg
    chunk_size: Annotated[int, msgspec.Meta(ge=1, le=MAX_CHUNK_BYTES)]
    n_chunks: NonNeg
    sha256: Hex256
    manifest: Annotated[bytes, msgspec.Meta(max_length=256 * 1024)] = b""
    created_s: float = 0.0
    content_type: Short = "application/zip"


class EvidenceChunk(_Base, tag="evc"):
    """One chunk of an evidence package, with its own SHA-256 so a corrupt chunk is re-sent."""

    evidence_id: Id
    index: NonNeg
    data: Annotated[bytes, msgspec.Meta(max_length=MAX_CHUNK_BYTES)]
    sha256: Hex256
    vehicle_id: Id = ""


class VehicleSummary(_Base, tag="veh"):
    """Vehicle state for ground stations that are not on the MAVLink link."""

    vehicle_id: Id
    time_s: float
    lat: float
    lon: float
    alt_m: float
    heading_deg: float
    ground_speed_mps: float
    mode: Short
    armed: bool
    battery_pct: float
    link_quality: float = 1.0
    patrol_id: Id = ""
    mission_seq: int = -1
    alt_rel_m: float | None = None
    climb_mps: float = 0.0
    gps_fix: int = 0
    satellites: int = 0


class ThumbBox(msgspec.Struct, array_like=True, forbid_unknown_fields=False):
    """One overlay box of a thumbnail, in thumbnail pixels."""

    track_id: int
    cls: Short
    bbox_xyxy: BBox


class Thumbnail(_Base, tag="thm"):
    """A downscaled JPEG of one frame with track overlays as data (drawn by the ground)."""

    vehicle_id: Id
    frame_id: int
    time_s: float
    width: NonNeg
    height: NonNeg
    jpeg: Annotated[bytes, msgspec.Meta(max_length=MAX_JPEG_BYTES)]
    boxes: Annotated[list[ThumbBox], msgspec.Meta(max_length=2000)] = []
    quality: int = 0


class Heartbeat(_Base, tag="hb"):
    """Liveness and status of a node; ``backlog`` is the number of unacknowledged reliable items."""

    node_id: Id
    role: Short  # onboard | ground | monitor
    time_s: float
    seq: NonNeg
    vehicle_id: Id = ""
    backlog: NonNeg = 0
    sent_schema: int = SCHEMA_VERSION
    #: reliable items acknowledged by a ground station since this node started
    acked_total: NonNeg = 0
    #: reliable re-sends since this node started
    retries_total: NonNeg = 0


class Ack(_Base, tag="ack"):
    """Ground -> onboard acknowledgement of reliable items.

    kind ``infraction``: ``ids`` are infraction ids stored on the ground;
    kind ``evidence``: ``ids`` are evidence ids received complete and hash-verified;
    kind ``chunk``: ``evidence_id`` + ``chunks`` are indices stored so far (resume point);
    kind ``nack``: ``evidence_id`` failed the whole-package hash and must be re-sent from scratch.
    """

    kind: Short
    ids: Annotated[list[Id], msgspec.Meta(max_length=10_000)]
    node_id: Id = ""
    time_s: float = 0.0
    evidence_id: Id = ""
    chunks: Annotated[list[NonNeg], msgspec.Meta(max_length=100_000)] = []


Message = Union[
    TrackUpdate, TrackBatch, InfractionEvent, EvidenceAnnounce, EvidenceChunk,
    VehicleSummary, Thumbnail, Heartbeat, Ack,
]
MESSAGE_TYPES: tuple[type, ...] = Message.__args__  # type: ignore[attr-defined]
#: tag -> message class
TAGS: dict[str, type] = {cls.__struct_config__.tag: cls for cls in MESSAGE_TYPES}


class _Frame(msgspec.Struct, array_like=True, forbid_unknown_fields=False):
    """Wire frame: [schema_version, message]; trailing extras from future versions ignored."""

    v: int
    m: msgspec.Raw


class _Peek(msgspec.Struct, array_like=True, forbid_unknown_fields=False):
    """Reads only the type tag (first element) of a message array."""

    t: Any


_ENCODER = msgspec.msgpack.Encoder()
_FRAME_DEC = msgspec.msgpack.Decoder(_Frame)
_PEEK_DEC = msgspec.msgpack.Decoder(_Peek)
_DECODERS = {tag: msgspec.msgpack.Decoder(cls) for tag, cls in TAGS.items()}


def encode(msg: Message, max_bytes: int = MAX_MESSAGE_BYTES) -> bytes:
    """Encode one message as a framed msgpack byte string; ``MessageError('oversized')`` if too big."""
    if type(msg) not in TAGS.values():
        raise MessageError("unknown_type", f"cannot encode {type(msg).__name__}")
    data = _ENCODER.encode(_Frame(SCHEMA_VERSION, msgspec.Raw(_ENCODER.encode(msg))))
    if len(data) > max_bytes:
        raise MessageError("oversized", f"{type(msg).__name__} is {len(data)} bytes > limit {max_bytes}")
    return data


def decode(data: bytes | bytearray | memoryview, max_bytes: int = MAX_MESSAGE_BYTES) -> Message:
    """Decode one frame to its message; raises ``MessageError`` naming the type and field at fault."""
    size = len(data)
    if size > max_bytes:
        raise MessageError("oversized", f"frame of {size} bytes > limit {max_bytes}")
    try:
        frame = _FRAME_DEC.decode(data)
        tag = _PEEK_DEC.decode(frame.m).t
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise MessageError("malformed", f"frame: {exc}") from None
    dec = _DECODERS.get(tag) if isinstance(tag, str) else None
    if dec is None:
        raise MessageError("unknown_type", f"type tag {tag!r} (frame schema v{frame.v}, this decoder v{SCHEMA_VERSION})")
    try:
        return dec.decode(frame.m)
    except msgspec.ValidationError as exc:
        raise MessageError("invalid", f"{TAGS[tag].__name__}: {exc}") from None
    except msgspec.DecodeError as exc:
        raise MessageError("malformed", f"{TAGS[tag].__name__}: {exc}") from None


def frame_version(data: bytes) -> int:
    """Schema version a frame was written with (``MessageError`` if it is not a frame)."""
    try:
        return _FRAME_DEC.decode(data).v
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise MessageError("malformed", f"frame: {exc}") from None


__all__ = [
    "SCHEMA_VERSION", "MAX_MESSAGE_BYTES", "MAX_CHUNK_BYTES", "MAX_JPEG_BYTES", "CLASSES", "INFRACTION_KINDS",
    "MessageError", "TrackUpdate", "TrackBatch", "InfractionEvent", "EvidenceAnnounce", "EvidenceChunk",
    "VehicleSummary", "ThumbBox", "Thumbnail", "Heartbeat", "Ack", "Message", "MESSAGE_TYPES", "TAGS",
    "encode", "decode", "frame_version",
]
