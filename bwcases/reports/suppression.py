"""Small-group suppression for governance briefs: no figure from fewer than 5 factories."""

from __future__ import annotations

import pandas as pd

from bwcases.render.html import SUPPRESSED, is_suppressed

__all__ = ["MIN_FACTORIES", "SUPPRESSED", "is_suppressed", "suppress"]

MIN_FACTORIES = 5


def suppress(
    frame: pd.DataFrame,
    factories: str,
    figures: list[str],
    *,
    total: str | None = None,
    threshold: int = MIN_FACTORIES,
) -> pd.DataFrame:
    """Hide figures computed from fewer than `threshold` factories.

    With `total` (a column naming the total row, whose figures are sums of the other rows'),
    also hide the next-smallest row when exactly one row is hidden, so that no hidden value can
    be recovered by subtracting the shown rows from the total.
    """
    out = frame.astype(object).copy()
    is_total = out[total].astype(bool) if total else pd.Series(False, index=out.index)
    small = (pd.to_numeric(frame[factories]) < threshold) & ~is_total
    hidden = small.copy()
    detail = frame[~is_total]
    if total and int(small.sum()) == 1 and len(detail) > 1:
        candidates = pd.to_numeric(detail.loc[~small[~is_total], factories]).sort_values()
        if len(candidates):
            hidden.loc[candidates.index[0]] = True
    if total and is_total.any():
        whole = pd.to_numeric(frame.loc[is_total, factories])
        if (whole < threshold).any():
            hidden |= is_total
            hidden |= ~is_total  # the whole group is too small: nothing can be shown
    for col in [*figures, factories]:
        out.loc[hidden, col] = SUPPRESSED
    return out
