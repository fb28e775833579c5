"""Sample sizes, as the programme's R manual tabulates them, on assessments (pure pandas)."""

from __future__ import annotations

from enum import StrEnum

import pandas as pd

from bwcases.analysis.metrics import Window, in_window
from bwcases.core.catalogue import ALL_COUNTRIES, is_obsolete
from bwcases.core.errors import UsageError

_KEYS = ["country", "factory_id", "quest_id", "cycle", "start_date"]


class Count(StrEnum):
    """What a sample-size table counts."""

    ASSESSMENTS = "assessments"  # per country and cycle
    FACTORIES = "factories"  # per country, one column per cycle
    DATES = "dates"  # the first and the last assessment's start per country


def counted_assessments(
    frame: pd.DataFrame,
    *,
    window: Window | None = None,
    cycle: int | None = None,
    pooled: bool = False,
) -> pd.DataFrame:
    """One row per assessment, as rates count them (no retired factory's), starting in the
    window and of the cycle when given; every country as ALL_COUNTRIES when `pooled`."""
    # `frame`: assessments, or findings (one row per question: the same assessment many times)
    if cycle is not None and cycle < 1:
        raise UsageError(f"--cycle {cycle} is not a cycle: cycles are 1 or more")
    rows = frame[~frame["factory_name"].map(is_obsolete).astype(bool)]
    # a factory's Quest.ID: another factory's assessment may carry the same number
    rows = rows[_KEYS].drop_duplicates(["factory_id", "quest_id"])
    rows = rows.assign(
        cycle=pd.to_numeric(rows["cycle"]).astype("int64"),
        start_date=pd.to_datetime(rows["start_date"]),
    )
    if window is not None:
        rows = in_window(rows, window)
    if cycle is not None:
        rows = rows[rows["cycle"] == cycle]
    return rows.assign(country=ALL_COUNTRIES) if pooled else rows


def assessments_per_cycle(rows: pd.DataFrame) -> pd.DataFrame:
    """Assessments per country and cycle."""
    out = rows.groupby(["country", "cycle"]).size().rename("assessments").reset_index()
    return out.astype({"cycle": "int64", "assessments": "int64"})


def factories_per_cycle(rows: pd.DataFrame) -> pd.DataFrame:
    """Factories assessed per country (rows) and cycle (columns cycle_1, cycle_2, ...)."""
    if rows.empty:
        return pd.DataFrame(columns=["country"])
    wide = rows.pivot_table(
        index="country", columns="cycle", values="factory_id", aggfunc="nunique", fill_value=0
    )
    wide.columns = [f"cycle_{c}" for c in wide.columns]
    return wide.astype("int64").reset_index()


def date_range(rows: pd.DataFrame) -> pd.DataFrame:
    """The start of the first and of the last assessment per country, and how many there are."""
    out = (
        rows.groupby("country")
        .agg(
            first_assessment=("start_date", "min"),
            last_assessment=("start_date", "max"),
            assessments=("quest_id", "size"),
        )
        .reset_index()
    )
    for col in ("first_assessment", "last_assessment"):
        out[col] = pd.to_datetime(out[col]).dt.date
    return out.astype({"assessments": "int64"})


TABLES = {
    Count.ASSESSMENTS: assessments_per_cycle,
    Count.FACTORIES: factories_per_cycle,
    Count.DATES: date_range,
}


def sample_sizes(
    frame: pd.DataFrame,
    kind: Count | str,
    *,
    window: Window | None = None,
    cycle: int | None = None,
    pooled: bool = False,
) -> pd.DataFrame:
    """A sample-size table of assessments (or findings), by country or pooled."""
    rows = counted_assessments(frame, window=window, cycle=cycle, pooled=pooled)
    return TABLES[Count(kind)](rows)


def picc_by_country(members: pd.DataFrame, register: pd.DataFrame) -> pd.DataFrame:
    """PICC members (per factory and side, a column per gender and the total) summed per
    country and side, with the factories counted; every country as one when `register`
    says so (its country column)."""
    figures = [c for c in members.columns if c not in ("factory_id", "side")]
    if members.empty:
        return pd.DataFrame(columns=["country", "side", "factories", *figures])
    rows = members.merge(register[["factory_id", "country"]], on="factory_id")
    out = (
        rows.groupby(["country", "side"], sort=False)
        .agg(factories=("factory_id", "nunique"), **{c: (c, "sum") for c in figures})
        .reset_index()
    )
    sides = {side: i for i, side in enumerate(dict.fromkeys(members["side"]))}
    order = out.assign(_side=out["side"].map(sides)).sort_values(["country", "_side"]).index
    return (
        out.loc[order]
        .reset_index(drop=True)
        .astype(dict.fromkeys(["factories", *figures], "int64"))
    )
