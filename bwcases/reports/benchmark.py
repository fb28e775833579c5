"""A country's rates in a period, the yardstick a brief sets one factory against: by cluster and
by CP, suppressed by the governance brief's small-group rule, applied to the factories that are
not the reader's own."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import pandas as pd

from bwcases.analysis import metrics
from bwcases.analysis.metrics import Window
from bwcases.reports.suppression import suppress
from bwcases.store import Store

FIGURES = ["factories_non_compliant", "non_compliance_rate"]


@dataclass(frozen=True)
class CountryRates:
    """A country's non-compliance rates on the latest assessment of each factory in a window."""

    country: str
    by_cluster: pd.DataFrame  # cluster, factories_assessed, …, non_compliance_rate (suppressed)
    by_cp: pd.DataFrame  # cluster, compliance_point, the same figures (suppressed)

    def cluster_rate(self, cluster: str) -> tuple[object, object]:
        """The country's rate on a cluster and the factories it comes from (None: none)."""
        return _lookup(self.by_cluster, {"cluster": cluster})

    def cp_rate(self, cluster: str, compliance_point: str) -> tuple[object, object]:
        """The country's rate on a CP and the factories it comes from (None: none)."""
        return _lookup(self.by_cp, {"cluster": cluster, "compliance_point": compliance_point})


def _lookup(frame: pd.DataFrame, keys: dict[str, str]) -> tuple[object, object]:
    hit = frame
    for col, value in keys.items():
        hit = hit[hit[col] == value]
    if hit.empty:
        return None, None
    row = hit.iloc[0]
    return row["non_compliance_rate"], row["factories_assessed"]


def country_rates(
    store: Store, country: str, window: Window, own: Collection[str] = ()
) -> CountryRates:
    """The country's rates in the window, suppressed where fewer than 5 factories other than
    `own` (the reader's factories, whose figures she already has) were assessed: else she could
    subtract her own from the country's and read the few others'."""
    # only the window's assessments: the latest of each factory in it is all that counts
    findings = store.findings_frame(
        country=country, start=window.start, end=window.end, ncq_only=True
    )
    others = findings[~findings["factory_id"].isin(set(own))]
    out = {}
    for level in ("cluster", "cp"):
        keys = ["cluster"] if level == "cluster" else ["cluster", "compliance_point"]
        rates = metrics.non_compliance_rates(findings, "latest", window=window, level=level)
        counted = metrics.non_compliance_rates(others, "latest", window=window, level=level)
        counted = counted[[*keys, "factories_assessed"]].rename(
            columns={"factories_assessed": "others_assessed"}
        )
        rates = rates.merge(counted, on=keys, how="left").fillna({"others_assessed": 0})
        hidden = suppress(rates, "others_assessed", [*FIGURES, "factories_assessed"])
        out[level] = hidden.drop(columns="others_assessed")
    return CountryRates(country, out["cluster"], out["cp"])
