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
    also hide the next-smallest rows until the hidden rows are two or more and come from
    `threshold` factories together: subtracting the shown rows from the total gives only the
    hidden rows' sum, which must not be a small group's figure either.
    """
    out = frame.astype(object).copy()
    is_total = out[total].astype(bool) if total else pd.Series(False, index=out.index)
    counts = pd.to_numeric(frame[factories])
    small = (counts < threshold) & ~is_total
    hidden = small.copy()
    if total:
        shown = counts[~is_total & ~hidden].sort_values()
        for index in shown.index:
            together = counts[hidden & ~is_total]
            if together.empty or (len(together) > 1 and together.sum() >= threshold):
                break
            hidden.loc[index] = True
    if total and is_total.any():
        whole = pd.to_numeric(frame.loc[is_total, factories])
        if (whole < threshold).any():
            hidden |= is_total
            hidden |= ~is_total  # the whole group is too small: nothing can be shown
    for col in [*figures, factories]:
        out.loc[hidden, col] = SUPPRESSED
    return out
