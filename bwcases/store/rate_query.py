"""What a call of rates asks the store and the rows it answers with, without SQLAlchemy: the
statement is built in `rates` and, for SQLite, also compiled ahead (`sqlite_rates`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from bwcases.core.catalogue import (
    ALL_COUNTRIES,
    canonical_cluster,
    canonical_compliance_point,
)

# What each level reports, in the order the programme's tables show it ("cycle" where asked).
COLUMNS = {
    "cp": ["country", "cluster", "compliance_point", "cycle", "factories_assessed",
           "factories_non_compliant", "non_compliance_rate"],
    "cluster": ["country", "cluster", "cycle", "factories_assessed", "factories_non_compliant",
                "non_compliance_rate"],
    "question": ["country", "cluster", "compliance_point", "question_id", "question_label",
                 "public_disclosure", "cycle", "findings", "assessments", "non_compliance_rate"],
    "factory": ["country", "factory_id", "factory_name", "cycle", "cps_non_compliant",
                "cps_assessed", "factory_score"],
}  # fmt: skip
_KEYS = {
    "cp": ["country", "cluster", "compliance_point", "cycle"],
    "cluster": ["country", "cluster", "cycle"],
    "question": ["country", "cluster", "compliance_point", "question_id", "cycle"],
    "factory": ["country", "factory_id", "cycle"],
}
# How each typed column is held in a frame; other columns are texts.
TYPES = {
    "cycle": "int64",
    "factories_assessed": "int64",
    "factories_non_compliant": "int64",
    "non_compliance_rate": "float64",
    "public_disclosure": "bool",
    "findings": "int64",
    "assessments": "int64",
    "cps_non_compliant": "int64",
    "cps_assessed": "int64",
    "factory_score": "float64",
}
# The Python type a row holds for each: SQLite gives 0/1 for a boolean, an aggregate may come
# back as a Decimal from PostgreSQL.
_PYTHON = {"int64": int, "float64": float, "bool": bool}

# The catalogue's merges a statement carries: as many rows as this, those not needed empty, so
# that one compiled statement serves every store (more merges: as many again, and so on).
MERGE_ROWS = 64
MERGE_FIELDS = ("cluster", "compliance_point", "counted_cluster", "counted_point")
# Where a statement compiled ahead takes the merges' parameters, row by row
MERGES = "*merges"

Merge = tuple[str, str, str, str]


@dataclass(frozen=True)
class RateQuery:
    """What one call of rates asks: a method's choice of assessments, a level, a breakdown.

    The options are those analysis.methods.check_options has accepted: `start`/`end` with
    latest (and optionally cycle), `cycle` with cycle and panel."""

    method: str  # latest | cycle | panel
    level: str = "cp"  # cp | cluster | question | factory
    start: dt.date | None = None
    end: dt.date | None = None
    cycle: int | None = None
    by_cycle: bool = False
    country: str | None = None  # one country's rates; None: each country's
    pooled: bool = False  # every country together, in rows whose country is ALL_COUNTRIES

    @property
    def keys(self) -> list[str]:
        """The columns a row of the result is found by (its sort order)."""
        keys = _KEYS[self.level]
        keys = keys if self.method != "latest" or self.by_cycle else keys[:-1]
        return keys[1:] if self.pooled else keys

    @property
    def shape(self) -> str:
        """What the statement's text depends on (its values aside): one compiled statement each."""
        countries = "pooled" if self.pooled else "each" if self.country is None else "one"
        given = (self.start is not None, self.end is not None)
        window = {(True, True): "window", (False, False): "any time"}.get(given, str(given))
        breakdown = "by cycle" if self.by_cycle else "overall"
        return f"{self.method} {self.level} {countries} {window} {breakdown}"

    def values(self, merges: Sequence[Merge]) -> dict[str, Any]:
        """The values the statement's named parameters take, the merges padded with empty rows
        to a multiple of MERGE_ROWS."""
        out: dict[str, Any] = {
            "country": self.country,
            "start": self.start,
            "end": self.end,
            "cycle": self.cycle,
        }
        for i in range(merge_rows(len(merges))):
            row = merges[i] if i < len(merges) else (None,) * len(MERGE_FIELDS)
            out.update(
                {merge_name(i, field): v for field, v in zip(MERGE_FIELDS, row, strict=True)}
            )
        return out


@dataclass(frozen=True)
class RateTable:
    """Rates as rows of Python values, in the columns and order of RateStore.rates_frame."""

    columns: list[str]
    rows: list[tuple[Any, ...]]


def merge_rows(merges: int) -> int:
    """The rows of merges a statement carries for this many: a multiple of MERGE_ROWS."""
    return max(1, -(-merges // MERGE_ROWS)) * MERGE_ROWS


def merge_name(row: int, field: str) -> str:
    """The parameter that holds one field of one row of the merges."""
    return f"merge_{row}_{field}"


def merges_of(pairs: Iterable[tuple[str, str]]) -> list[Merge]:
    """The catalogue's merges for the store's spellings of its NCQ (cluster, CP) pairs: each
    pair as stored and as counted, for those the catalogue counts as another (Systems,
    hazardous work)."""
    out = []
    for cluster, point in pairs:
        counted = canonical_cluster(cluster), canonical_compliance_point(point)
        if counted != (cluster, point):
            out.append((cluster, point, *counted))
    return out


def _text(value: Any) -> Any:
    """A text column's value as stored (NULL stays None, as a frame's missing value)."""
    return value


def table_of(query: RateQuery, names: Sequence[str], fetched: Iterable[Sequence[Any]]) -> RateTable:
    """The rows a rates statement returned (its columns `names`) as the query's table: the
    level's columns, Python values, sorted by the query's keys."""
    names = ["country", *names] if query.pooled else list(names)
    columns = [c for c in COLUMNS[query.level] if c in names]
    where = [names.index(c) for c in columns]
    kinds = [_PYTHON.get(TYPES.get(c, ""), _text) for c in columns]
    rows = []
    for row in fetched:
        values = (ALL_COUNTRIES, *row) if query.pooled else tuple(row)
        rows.append(tuple(kind(values[i]) for kind, i in zip(kinds, where, strict=True)))
    order = [columns.index(k) for k in query.keys]
    rows.sort(key=lambda row: [row[i] for i in order])  # the keys are never NULL
    return RateTable(columns, rows)
