"""Gated optimal assignment for sparse candidate pairs: unambiguous pairs directly, the rest by
scipy's ``linear_sum_assignment`` on the (small) block they span, each side allowed to stay unmatched."""
from __future__ import annotations

import numpy as np
from scipy.optimize import linear_sum_assignment


def _compact(ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The sorted distinct values of non-negative ints and each one's index among them (np.unique with
    ``return_inverse``, by counting: ids here are small, and np.unique's sort costs more at these sizes)."""
    distinct = np.bincount(ids).nonzero()[0]
    index = np.zeros(distinct[-1] + 1, np.int64)
    index[distinct] = np.arange(len(distinct))
    return distinct, index[ids]


def assign_pairs(rows: np.ndarray, cols: np.ndarray, cost: np.ndarray, unmatched_cost: float) -> tuple[np.ndarray, np.ndarray]:
    """Minimum-cost matching over candidate pairs ``(rows[k], cols[k])`` with ``cost[k]``.

    Leaving a row or a column unmatched costs ``unmatched_cost`` each, so a pair is only taken when it is
    cheaper than leaving both ends free (the ``cost_limit`` of lapjv, done exactly). Returns the chosen
    (row, col) ids, arrays of equal length. Cost for N pairs: O(N) when no row or column has two
    candidates, else one Hungarian solve on the ambiguous block only.
    """
    rows, cols, cost = np.asarray(rows, np.int64), np.asarray(cols, np.int64), np.asarray(cost, float)
    keep = cost < 2.0 * unmatched_cost
    rows, cols, cost = rows[keep], cols[keep], cost[keep]
    if not len(rows):
        return rows, cols
    alone = (np.bincount(rows)[rows] == 1) & (np.bincount(cols)[cols] == 1)  # ids are non-negative ints
    out_r, out_c = [rows[alone]], [cols[alone]]
    rest = ~alone
    if np.count_nonzero(rest):
        br, bri = _compact(rows[rest])  # the block's row and column ids, and each pair's index in them
        bc, bci = _compact(cols[rest])
        nr, nc = len(br), len(bc)
        # square block: [real costs | row-unmatched diagonal] over [column-unmatched diagonal | zeros]
        big = 1e12
        block = np.full((nr + nc, nc + nr), big)
        block[bri, bci] = cost[rest]
        block[np.arange(nr), nc + np.arange(nr)] = unmatched_cost
        block[nr + np.arange(nc), np.arange(nc)] = unmatched_cost
        block[nr:, nc:] = 0.0
        ri, ci = linear_sum_assignment(block)
        real = (ri < nr) & (ci < nc)
        ri, ci = ri[real], ci[real]
        ok = block[ri, ci] < big
        out_r.append(br[ri[ok]])
        out_c.append(bc[ci[ok]])
    return np.concatenate(out_r), np.concatenate(out_c)
