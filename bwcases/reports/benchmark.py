"""A country's rates in a period, the yardstick a brief sets one factory against: by cluster and
by CP, suppressed by the governance brief's small-group rule."""

from __future__ import annotations

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


def country_rates(store: Store, country: str, window: Window) -> CountryRates:
    """The country's rates in the window; a figure from fewer than 5 factories is suppressed."""
    findings = store.findings_frame(country=country, ncq_only=True)
    out = {}
    for level in ("cluster", "cp"):
        rates = metrics.non_compliance_rates(findings, "latest", window=window, level=level)
        out[level] = suppress(rates, "factories_assessed", FIGURES)
    return CountryRates(country, out["cluster"], out["cp"])
