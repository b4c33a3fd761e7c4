"""Each track's state on the GROUND: a constant-velocity Kalman filter in local ENU metres, vectorised.

Measurements are georeferenced contact points with their covariance from ``geo``. Two ways in:
``track`` associates the detections with the ground tracks itself (the default: ByteTrack's stages on
the ground, with the frame's common georeferencing error estimated and taken out; docs/vision.md), and
``update`` takes image track ids from an image tracker, mapping them to ground tracks; there an image id
never seen before (after an occlusion, or the camera panning away and back) is first offered to the lost
ground tracks of a compatible class, gated by Mahalanobis distance and assigned optimally.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment

from vision.classes import CLASSES
from vision.tracking import kalman
from vision.tracking.assignment import assign_pairs
from vision.tracking.frame_motion import FrameMotion, estimate_frame_motion
from vision.tracking.pairs import gated_costs, ios_matrix, near_pairs, pair_ios

#: Classes that may be confused with each other by the detector (re-association across them is allowed).
_GROUP = np.array([0, 0, 0, 1, 1, 2])  # car/truck/bus | motorcycle/bicycle | person
_CHI2_2DOF_99 = 9.21


def inv2(m: np.ndarray) -> np.ndarray:
    """Inverse of a stack of 2x2 matrices (..., 2, 2) in closed form (several times faster than np.linalg.inv)."""
    a, b, c, d = m[..., 0, 0], m[..., 0, 1], m[..., 1, 0], m[..., 1, 1]
    det = a * d - b * c
    out = np.empty_like(m)
    out[..., 0, 0], out[..., 0, 1], out[..., 1, 0], out[..., 1, 1] = d / det, -b / det, -c / det, a / det
    return out


@dataclass
class GroundConfig:
    """Kalman and re-association settings."""

    accel_noise: float = 2.0  # white-acceleration spectral density q (m^2/s^3) of the CV model
    init_speed_sigma_mps: float = 8.0  # prior 1-sigma of each velocity component of a new track
    min_meas_sigma_m: float = 0.3  # floor of the measurement 1-sigma (m) per axis
    max_lost_s: float = 8.0  # a ground track not updated for this long is dropped
    gate_chi2: float = _CHI2_2DOF_99  # re-association gate on the Mahalanobis distance squared (2 dof, 99 %)
    max_reassoc_m: float = 6.0  # and never farther than this from the prediction (m)
    validate_chi2: float = 50.0  # a known image id beyond this gate AND max_reassoc_m is unlinked (0: never)
    # ground association (``GroundTracker.track``): ByteTrack's two stages, on the ground instead of the image
    high_conf: float = 0.25  # detections at or above this are matched first, and may start tracks
    low_conf: float = 0.1  # detections in [low_conf, high_conf) only continue tracks seen in the last frame
    new_track_conf: float = 0.4  # an unmatched detection starts a (tentative) track at or above this
    #: a detection whose box lies this much (intersection over the smaller box) inside the box of a detection
    #: that continued a track does not start one: the detector's second box on one object (a bus in two
    #: halves, a person boxed twice) would otherwise become a second track (1: off)
    new_track_max_ios: float = 0.5
    min_hits: int = 2  # a track is reported once it has this many detections (tentative before: dropped on a miss)
    assoc_chi2: float = 13.8  # gate on the Mahalanobis distance squared (2 dof, 99.9 %)
    max_assoc_m: float = 6.0  # and never farther than this from the track's prediction (m)
    assoc_sigma_m: float = 0.4  # 1-sigma jitter of one detection relative to the others of its frame (m)
    iou_weight: float = 6.0  # extra cost of a pair whose box does not overlap the track's last box at all
    #: tracks of one object merged when this close (0: off; on held-out sims runs it cost 0.01 IDF1 once NMS 0.5
    #: and ``new_track_max_ios`` removed the duplicate boxes, by merging people walking together)
    merge_m: float = 0.0
    merge_mps: float = 1.5
    merge_ios: float = 0.7  # two tracks both updated now merge only when their boxes lie this much inside each other
    merge_ios_coasting: float = 0.5  # and a coasting one when its last box lies this much inside the fresh one
    min_affine: int = 8  # pairs needed to fit the frame's affine (rotation/scale) error as well (0: off)
    min_common: int = 6  # pairs needed to estimate the frame's common georeferencing offset (0 pairs: off)
    max_common_m: float = 3.0  # detection-prediction pairs farther apart than this do not vote on it
    max_voters: int = 64  # at most this many confident detections (evenly strided) vote on it: 64 pin it down


@dataclass
class GroundState:
    """Ground-track states for the rows of one update (arrays of equal length)."""

    track_id: np.ndarray  # (M,) ground track ids
    en: np.ndarray  # (M, 2) east, north (m)
    vel: np.ndarray  # (M, 2) velocity east, north (m/s)
    pos_cov: np.ndarray  # (M, 2, 2)
    vel_cov: np.ndarray  # (M, 2, 2)
    cls: np.ndarray  # (M,) class index (vote over the track's life)
    confidence: np.ndarray  # (M,) running mean detection confidence
    first_seen_s: np.ndarray
    last_seen_s: np.ndarray
    n_updates: np.ndarray
    rows: np.ndarray | None = None  # indices of these rows in the update's input

    @property
    def speed_mps(self) -> np.ndarray:
        """Ground speed (m/s)."""
        return np.hypot(self.vel[:, 0], self.vel[:, 1])

    @property
    def speed_sigma_mps(self) -> np.ndarray:
        """1-sigma of the speed, first order: sqrt(v' C v) / |v| (sqrt(trace/2) when standing still)."""
        v = self.vel
        s = self.speed_mps
        quad = np.einsum("ni,nij,nj->n", v, self.vel_cov, v)
        still = np.sqrt(np.trace(self.vel_cov, axis1=1, axis2=2) / 2.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(s > 1e-6, np.sqrt(np.maximum(quad, 0.0)) / s, still)

    @property
    def heading_deg(self) -> np.ndarray:
        """Course over ground, compass degrees (0 = north)."""
        return np.mod(np.degrees(np.arctan2(self.vel[:, 0], self.vel[:, 1])), 360.0)

    @property
    def sigma_m(self) -> np.ndarray:
        """Horizontal DRMS of the position (m)."""
        return np.sqrt(np.maximum(self.pos_cov[:, 0, 0] + self.pos_cov[:, 1, 1], 0.0))


class GroundTracker:
    """Vectorised CV Kalman filters for all ground tracks, keyed by the image tracker's ids."""

    def __init__(self, config: GroundConfig | None = None, capacity: int = 256) -> None:
        self.config = config or GroundConfig()
        self._alloc(capacity)
        self._id_map = np.full(1024, -1, np.int64)  # image track id -> slot (ultralytics ids are small ints)
        self._next_id = 1
        self._boxes: np.ndarray | None = None  # the current ``track`` frame's detection boxes
        self._t_prev = -np.inf  # time of the previous ``track`` frame
        self.frame_motion = FrameMotion()  # the last frame's common georeferencing error (``track``)

    def _alloc(self, capacity: int) -> None:
        self.x = np.zeros((capacity, 4))
        self.P = np.zeros((capacity, 4, 4))
        self.t = np.zeros(capacity)
        self.alive = np.zeros(capacity, bool)
        self.ids = np.zeros(capacity, np.int64)
        self.first = np.zeros(capacity)
        self.last = np.zeros(capacity)
        self.votes = np.zeros((capacity, len(CLASSES)))
        self.conf_sum = np.zeros(capacity)
        self.n = np.zeros(capacity, np.int64)
        self.img = np.full(capacity, -1, np.int64)  # slot -> its current image track id
        self.box = np.full((capacity, 4), np.nan)  # slot -> its last detection box (image pixels)
        self.z = np.zeros((capacity, 2))  # slot -> its last measurement as given (ENU m), for association

    def _grow(self) -> None:
        old = {k: getattr(self, k) for k in ("x", "P", "t", "alive", "ids", "first", "last", "votes", "conf_sum", "n", "img", "box", "z")}
        self._alloc(2 * len(self.alive))
        for k, v in old.items():
            getattr(self, k)[: len(v)] = v

    def __len__(self) -> int:
        return int(self.alive.sum())

    def _free_slots(self, k: int) -> np.ndarray:
        while (~self.alive).sum() < k:
            self._grow()
        return np.flatnonzero(~self.alive)[:k]

    def _predict(self, slots: np.ndarray, t: float) -> None:
        """Propagate the given slots to time t (each from its own last time)."""
        kalman.propagate(self.x, self.P, self.t, np.asarray(slots, np.int64), float(t), self.config.accel_noise)

    def update(self, t: float, image_ids: np.ndarray, cls: np.ndarray, conf: np.ndarray, en: np.ndarray,
               cov: np.ndarray) -> GroundState:
        """One frame: measurements (ENU metres, (M,2,2) covariance) of image tracks -> their ground states.

        ``image_ids`` < 0 mark detections the image tracker did not (yet) associate: they may only join a
        ground track not updated in this frame (gated), and never start one. A known image id whose
        measurement falls far outside its ground track's gate (an image-tracker id swap) is unlinked and
        treated as new. Rows with non-finite positions are skipped. The returned state has one row per
        accepted measurement, in input order; ``state.rows`` are their indices in the input.
        """
        image_ids = np.asarray(image_ids, np.int64)
        en = np.asarray(en, float).reshape(-1, 2)
        cls, conf = np.asarray(cls), np.asarray(conf)
        ok = np.isfinite(en).all(1) & np.isfinite(cov).all((1, 2))
        rows = np.flatnonzero(ok)
        self._expire(t)
        slots = np.full(len(image_ids), -1, np.int64)
        ids_r = image_ids[rows]
        mapped = (ids_r >= 0) & (ids_r < len(self._id_map))
        found = np.full(len(rows), -1, np.int64)
        found[mapped] = self._id_map[ids_r[mapped]]
        hit = found >= 0
        hit[hit] = self.alive[found[hit]]
        slots[rows[hit]] = found[hit]
        known_rows = rows[slots[rows] >= 0]
        self._predict(slots[known_rows], t)
        if len(known_rows) and self.config.validate_chi2 > 0:
            ks = slots[known_rows]
            d = en[known_rows] - self.x[ks, :2]
            S = self.P[ks, :2, :2] + cov[known_rows]
            m2 = np.einsum("ri,rij,rj->r", d, inv2(S), d)
            bad = (m2 > self.config.validate_chi2) & (np.hypot(d[:, 0], d[:, 1]) > self.config.max_reassoc_m)
            slots[known_rows[bad]] = -1
        known = slots[rows] >= 0
        new_rows = rows[~known]
        if len(new_rows):
            self._reassociate(t, new_rows, slots, cls, en, cov)
        fresh = new_rows[(slots[new_rows] < 0) & (image_ids[new_rows] >= 0)]
        if len(fresh):
            self._create(t, fresh, slots, en, cov)
        rows = rows[slots[rows] >= 0]  # untracked detections that joined no ground track are dropped
        known = np.isin(rows, known_rows[slots[known_rows] >= 0])
        used = slots[rows]
        self._unlink(used[~known])  # a re-associated or new slot belongs to its new image id only
        self._link(image_ids[rows], used)
        self._correct(used, en[rows], cov[rows])
        self.last[used] = t
        self.n[used] += 1
        np.add.at(self.votes, (used, cls[rows]), conf[rows])
        self.conf_sum[used] += conf[rows]
        state = self.state(used)
        state.rows = rows
        return state

    def track(self, t: float, cls: np.ndarray, conf: np.ndarray, en: np.ndarray, cov: np.ndarray,
              xyxy: np.ndarray | None = None) -> GroundState:
        """One frame of detections without image ids: associate them with the ground tracks, then update.

        ByteTrack's stages, scored by Mahalanobis distance between each georeferenced detection and each
        track's predicted position (so camera motion costs nothing: the pose already removed it):
        1. confident detections (>= ``high_conf``) vs confirmed tracks, lost ones included (ids survive
           occlusions and the camera panning away and back);
        2. weak detections (>= ``low_conf``) vs confirmed tracks seen in the previous frame;
        3. remaining confident detections vs tentative tracks; the rest >= ``new_track_conf`` start
           tentative tracks. A tentative track missed in a frame is dropped.
        With the detections' boxes (``xyxy``), a pair whose box does not overlap the track's last box
        costs up to ``iou_weight`` more: tiny, slow objects (people at 80 m) keep to their own boxes.
        Only confirmed tracks (``min_hits`` detections) are returned; ``state.rows`` index the input.
        """
        c = self.config
        en = np.asarray(en, float).reshape(-1, 2)
        cls, conf = np.asarray(cls, np.int64), np.asarray(conf, float)
        cov = np.asarray(cov, float).reshape(-1, 2, 2).copy()
        floor = c.min_meas_sigma_m ** 2
        cov[:, 0, 0] = np.maximum(cov[:, 0, 0], floor)
        cov[:, 1, 1] = np.maximum(cov[:, 1, 1], floor)
        ok = np.isfinite(en).all(1) & np.isfinite(cov).all((1, 2))
        self._boxes = None if xyxy is None else np.asarray(xyxy, float).reshape(-1, 4)
        self._expire(t)
        alive = self.alive.nonzero()[0]
        self._predict(alive, t)
        confirmed = self.alive & (self.n >= c.min_hits)  # per slot
        tentative = self.alive & ~confirmed
        seen = self.alive & (self.last >= self._t_prev - 1e-6)  # tracks updated in the previous frame
        recent = seen & confirmed
        high = ok & (conf >= c.high_conf)
        low = ok & (conf >= c.low_conf) & ~high
        reference = recent if np.count_nonzero(recent) >= c.min_common else seen
        row, slot, cost = self._candidates(t, alive, en, cov, cls, high | low, high, reference)
        slots = np.full(len(en), -1, np.int64)
        row_free = np.ones(len(en), bool)
        slot_free = np.ones(len(self.alive), bool)
        unmatched = (c.assoc_chi2 + c.iou_weight) / 2.0
        for rows_ok, slots_ok in ((high, confirmed), (low, recent), (high, tentative)):
            sel = rows_ok[row] & slots_ok[slot] & row_free[row] & slot_free[slot]
            if np.count_nonzero(sel):
                r, k = assign_pairs(row[sel], slot[sel], cost[sel], unmatched)
                slots[r] = k
                row_free[r] = False
                slot_free[k] = False
        self.alive[tentative & slot_free] = False  # a tentative track missed once is dropped
        new = (high & row_free & (conf >= c.new_track_conf)).nonzero()[0]
        if len(new) and self._boxes is not None and c.new_track_max_ios < 1.0:
            new = self._distinct(new, (~row_free).nonzero()[0], cls, conf)
        if len(new):
            self._create(t, new, slots, en, cov)
        rows = (slots >= 0).nonzero()[0]
        used = slots[rows]
        self._correct(used, en[rows], cov[rows])
        if self._boxes is not None:
            self.box[used] = self._boxes[rows]
        self.z[used] = en[rows]
        self.last[used] = t
        self.n[used] += 1
        self.votes[used, cls[rows]] += conf[rows]  # one row per slot: plain fancy indexing adds correctly
        self.conf_sum[used] += conf[rows]
        used, kept = self._merge_duplicates(t, used)
        used, rows = used[kept], rows[kept]
        self._t_prev = t
        report = self.n[used] >= c.min_hits
        state = self.state(used[report])
        state.rows = rows[report]
        return state

    def _candidates(self, t: float, alive: np.ndarray, en: np.ndarray, cov: np.ndarray, cls: np.ndarray,
                    usable: np.ndarray, voters: np.ndarray,
                    reference: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every (``usable`` detection row, live track slot) pair any stage may take, with its cost.

        First the frame's common georeferencing error (``frame_motion``), from the ``voters`` rows near
        ``reference`` slots; it is taken out of the detections for association only: removing it from the
        measurements themselves would make the tracks' own common error unobservable (measured: the
        reference wanders). Then one pair search of the corrected detections against the tracks' association
        predictions within ``max_assoc_m``, the class-group and chi-square gates, and the cost: Mahalanobis
        distance squared plus ``iou_weight`` (1 - IoU of the detection's box with the track's last box).
        """
        c = self.config
        none = np.zeros(0, np.int64)
        self.frame_motion = FrameMotion()
        if not len(alive) or not len(en):
            return none, none, np.zeros(0)
        pred, S = self._assoc_prediction(t, alive)
        shifted = en
        if c.min_common > 0 and min(np.count_nonzero(voters), np.count_nonzero(reference)) >= c.min_common:
            rows = voters.nonzero()[0]
            if c.max_voters > 0 and len(rows) > c.max_voters:
                rows = rows[:: -(-len(rows) // c.max_voters)]  # evenly strided (ceil step)
            # the affine takes pairs within 1 m of the offset, itself within max_common_m
            pr, pa = near_pairs(en[rows], pred, c.max_common_m + 1.0)
            keep = reference[alive[pa]]
            row, pa = rows[pr[keep]], pa[keep]
            q = en[row]
            self.frame_motion = estimate_frame_motion(q - pred[pa], q, row, pa, min_common=c.min_common,
                                                      max_common_m=c.max_common_m, min_affine=c.min_affine)
            shifted = self.frame_motion.undo(en)
        rows = usable.nonzero()[0]
        pr, pa = near_pairs(shifted[rows], pred, c.max_assoc_m)
        row = rows[pr]
        boxes = self._boxes if self._boxes is not None else np.zeros((0, 4))
        keep, cost = gated_costs(shifted, row, pa, pred, S, cov, c.assoc_sigma_m <= 0, _GROUP[cls],
                                 _GROUP[self.votes[alive].argmax(1)], boxes, self.box[alive], c.iou_weight,
                                 c.assoc_chi2)
        return row[keep], alive[pa[keep]], cost[keep]

    def _distinct(self, new: np.ndarray, matched: np.ndarray, cls: np.ndarray, conf: np.ndarray) -> np.ndarray:
        """The rows of ``new`` that may start tracks: not lying ``new_track_max_ios`` inside the box of a
        detection that continued a track, nor inside a more confident new one of the same class group
        (class-aware NMS keeps a car boxed also as a truck; tiny people get two boxes)."""
        thr = self.config.new_track_max_ios
        m = len(matched)
        ios = ios_matrix(self._boxes[new], self._boxes[np.concatenate([matched, new])])  # vs matched, vs new
        free = (ios[:, :m].max(1) < thr).nonzero()[0] if m else np.arange(len(new))
        if len(free) < 2:
            return new[free]
        order = free[np.argsort(-conf[new[free]], kind="stable")]  # most confident first
        new, ios = new[order], ios[np.ix_(order, m + order)]
        clash = (ios >= thr) & (_GROUP[cls[new]][:, None] == _GROUP[cls[new]][None, :])
        keep = np.ones(len(new), bool)
        for i in range(len(new)):  # greedy, most confident first (NMS); only clashing rows loop
            if keep[i] and clash[i, i + 1:].any():
                keep[i + 1:] &= ~clash[i, i + 1:]
        return np.sort(new[keep])

    def _merge_duplicates(self, t: float, used: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Two tracks of one object, merged: a confirmed track within ``merge_m`` of a track updated now
        that moves alike (``merge_mps``) is the same object when it was not updated in this frame (the
        object's one detection went to each in turn), or when both were and their boxes lie inside each
        other (``merge_ios``: the detector boxed the object twice, e.g. as car and as truck). The track
        with more detections keeps its id and takes the fresh state; the other is dropped.

        Returns ``used`` with merged slots replaced by the surviving ones, and a mask of the rows to keep
        (a duplicate's row is not reported)."""
        c = self.config
        keep_rows = np.ones(len(used), bool)
        if c.merge_m <= 0 or not len(used):
            return used, keep_rows
        other = np.flatnonzero(self.alive & (self.n >= c.min_hits))
        ui, oi = near_pairs(self.x[used, :2], self.x[other, :2], c.merge_m)
        a_, b_ = used[ui], other[oi]
        dv = self.x[a_, 2:] - self.x[b_, 2:]
        same = (dv[:, 0] ** 2 + dv[:, 1] ** 2 < c.merge_mps ** 2) & (a_ != b_)
        same &= _GROUP[self.votes[a_].argmax(1)] == _GROUP[self.votes[b_].argmax(1)]
        if same.any():  # only boxes of one object: tighter when both were updated now
            k = np.flatnonzero(same)
            ios = pair_ios(self.box[a_[k]], self.box[b_[k]])
            need = np.where(self.last[b_[k]] >= t, c.merge_ios, c.merge_ios_coasting)
            same[k[~(ios >= need)]] = False
        if not same.any():
            return used, keep_rows
        out = used.copy()
        for u, o in zip(ui[same], oi[same]):  # few pairs per frame
            a, b = out[u], other[o]
            if a == b or not (self.alive[a] and self.alive[b]):
                continue
            b_rows = np.flatnonzero(out == b)  # b was updated in this frame too
            older, younger = (b, a) if self.n[b] > self.n[a] else (a, b)
            if older == b and not len(b_rows):  # the coasting older track takes the fresh state
                for name in ("x", "P", "t", "last", "box", "z"):
                    getattr(self, name)[b] = getattr(self, name)[a]
                out[u] = b
            elif older == b:
                keep_rows[u] = False  # both updated: b keeps its own detection, a's is the duplicate
            else:
                keep_rows[b_rows] = False
            self.n[older] += self.n[younger]
            self.votes[older] += self.votes[younger]
            self.conf_sum[older] += self.conf_sum[younger]
            self.alive[younger] = False
        return out, keep_rows

    def _assoc_prediction(self, t: float, cand: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Where each candidate's next detection should be, and that prediction's covariance without the
        detection's own (common-mode) georeferencing error: its last measurement moved on by its velocity.

        Measurement to measurement, as image trackers compare box to box: the shared telemetry error
        cancels between frames (up to the frame's common offset, estimated apart), so the gate is the size
        of the detection jitter (``assoc_sigma_m``) plus the velocity's uncertainty over the gap, not the
        whole georeferencing error. ``assoc_sigma_m`` <= 0: the Kalman prediction and ``P + cov``.
        """
        c = self.config
        if c.assoc_sigma_m <= 0:
            return self.x[cand, :2], self.P[cand, :2, :2]
        dt = np.maximum(t - self.last[cand], 0.0)
        pred = self.z[cand] + self.x[cand, 2:] * dt[:, None]
        S = self.P[cand, 2:, 2:] * (dt * dt)[:, None, None]
        extra = 2.0 * c.assoc_sigma_m ** 2 + c.accel_noise * dt ** 3 / 3.0
        S[:, 0, 0] += extra
        S[:, 1, 1] += extra
        return pred, S

    def _expire(self, t: float) -> None:
        dead = self.alive & (t - self.last > self.config.max_lost_s)
        if dead.any():
            self.alive[dead] = False
            self._unlink(np.flatnonzero(dead))

    def _unlink(self, slots: np.ndarray) -> None:
        """Forget the image ids that point at these slots."""
        old = self.img[slots]
        mine = old >= 0
        old, own = old[mine], slots[mine]
        still = self._id_map[old] == own
        self._id_map[old[still]] = -1
        self.img[slots] = -1

    def _link(self, image_ids: np.ndarray, slots: np.ndarray) -> None:
        """Point image ids (>= 0) at slots."""
        keep = image_ids >= 0
        ids, slots = image_ids[keep], slots[keep]
        if len(ids) and ids.max() >= len(self._id_map):
            grown = np.full(int(2 ** np.ceil(np.log2(ids.max() + 1))), -1, np.int64)
            grown[: len(self._id_map)] = self._id_map
            self._id_map = grown
        self._id_map[ids] = slots
        self.img[slots] = ids

    def _reassociate(self, t: float, rows: np.ndarray, slots: np.ndarray, cls: np.ndarray, en: np.ndarray,
                     cov: np.ndarray) -> None:
        """Offer new image ids to lost ground tracks (not updated this frame) of a compatible class."""
        cand = np.flatnonzero(self.alive & (self.last < t))
        cand = np.setdiff1d(cand, slots[slots >= 0])
        if not len(cand):
            return
        self._predict(cand, t)
        cls_rows = np.asarray(cls)[rows]
        track_cls = self.votes[cand].argmax(1)
        d = en[rows][:, None, :] - self.x[cand][None, :, :2]  # (R, C, 2)
        S = self.P[cand][None, :, :2, :2] + cov[rows][:, None]  # (R, C, 2, 2)
        m2 = np.einsum("rci,rcij,rcj->rc", d, inv2(S), d)
        dist = np.hypot(d[..., 0], d[..., 1])
        allowed = (_GROUP[cls_rows][:, None] == _GROUP[track_cls][None, :]) & (m2 < self.config.gate_chi2) \
            & (dist < self.config.max_reassoc_m)
        if not allowed.any():
            return
        cost = np.where(allowed, m2, 1e6)
        ri, ci = linear_sum_assignment(cost)
        good = allowed[ri, ci]
        slots[rows[ri[good]]] = cand[ci[good]]

    def _create(self, t: float, rows: np.ndarray, slots: np.ndarray, en: np.ndarray, cov: np.ndarray) -> None:
        new = self._free_slots(len(rows))
        slots[rows] = new
        self.alive[new] = True
        self.ids[new] = np.arange(self._next_id, self._next_id + len(new))
        self._next_id += len(new)
        self.x[new] = 0.0
        self.x[new, :2] = en[rows]
        self.P[new] = 0.0
        self.P[new, :2, :2] = cov[rows]
        v2 = self.config.init_speed_sigma_mps ** 2
        self.P[new, 2, 2] = v2
        self.P[new, 3, 3] = v2
        self.t[new] = t
        self.first[new] = t
        self.last[new] = t - 1e-9
        self.votes[new] = 0.0
        self.conf_sum[new] = 0.0
        self.n[new] = 0

    def _correct(self, slots: np.ndarray, z: np.ndarray, R: np.ndarray) -> None:
        """Kalman update of position measurements for the given slots (new tracks are initialised by them)."""
        if not len(slots):
            return
        floor = self.config.min_meas_sigma_m ** 2
        R = R.copy()
        R[:, 0, 0] = np.maximum(R[:, 0, 0], floor)
        R[:, 1, 1] = np.maximum(R[:, 1, 1], floor)
        established = self.n[slots] > 0
        s_old, s_new = slots[established], slots[~established]
        self.P[s_new, :2, :2] = R[~established]
        if len(s_old):
            kalman.correct(self.x, self.P, s_old, np.ascontiguousarray(z[established], np.float64), R[established])

    def state(self, slots: np.ndarray) -> GroundState:
        """States of the given slots."""
        slots = np.asarray(slots, np.int64)
        n = np.maximum(self.n[slots], 1)
        return GroundState(
            track_id=self.ids[slots].copy(), en=self.x[slots, :2].copy(), vel=self.x[slots, 2:].copy(),
            pos_cov=self.P[slots, :2, :2].copy(), vel_cov=self.P[slots, 2:, 2:].copy(),
            cls=self.votes[slots].argmax(1), confidence=self.conf_sum[slots] / n,
            first_seen_s=self.first[slots].copy(), last_seen_s=self.last[slots].copy(), n_updates=self.n[slots].copy(),
        )

    def active(self) -> GroundState:
        """All live ground tracks."""
        return self.state(np.flatnonzero(self.alive))
