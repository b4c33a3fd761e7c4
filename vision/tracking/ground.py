"""Each track's state on the GROUND: a constant-velocity Kalman filter in local ENU metres, vectorised.

Measurements are georeferenced contact points with their covariance from ``geo``. Image track ids map
to ground tracks; an image id the tracker has never seen (after an occlusion, or the camera panning
away and back) is first offered to the lost ground tracks of a compatible class, gated by Mahalanobis
distance and assigned optimally (scipy's linear_sum_assignment), so the ground id survives.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment

from vision.classes import CLASSES

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

    def _grow(self) -> None:
        old = {k: getattr(self, k) for k in ("x", "P", "t", "alive", "ids", "first", "last", "votes", "conf_sum", "n", "img")}
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
        if not len(slots):
            return
        dt = np.maximum(t - self.t[slots], 0.0)
        q = self.config.accel_noise
        x, P = self.x[slots], self.P[slots]
        x[:, :2] += x[:, 2:] * dt[:, None]
        # P <- F P F' with F = [[I, dt I], [0, I]], as two row/column operations instead of matmuls
        d = dt[:, None, None]
        P[:, :2, :] += d * P[:, 2:, :]
        P[:, :, :2] += d * P[:, :, 2:]
        d3, d2, d1 = q * dt ** 3 / 3.0, q * dt ** 2 / 2.0, q * dt
        for a in (0, 1):
            P[:, a, a] += d3
            P[:, a, a + 2] += d2
            P[:, a + 2, a] += d2
            P[:, a + 2, a + 2] += d1
        self.x[slots], self.P[slots], self.t[slots] = x, P, t

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
        if not len(s_old):
            return
        x, P = self.x[s_old], self.P[s_old]
        y = z[established] - x[:, :2]
        S = P[:, :2, :2] + R[established]
        K = P[:, :, :2] @ inv2(S)  # (k, 4, 2)
        self.x[s_old] = x + np.einsum("kij,kj->ki", K, y)
        P = P - K @ P[:, :2, :]
        self.P[s_old] = 0.5 * (P + P.transpose(0, 2, 1))

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
