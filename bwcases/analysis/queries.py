"""Rates and progress from the store: fetch only what a question needs, then compute."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from bwcases.analysis import metrics
from bwcases.analysis.metrics import Level, Method, Window
from bwcases.analysis.progress import plan_progress
from bwcases.core.errors import UsageError
from bwcases.store import Store


def rates(
    store: Store,
    method: Method | str = Method.LATEST,
    *,
    window: Window | None = None,
    cycle: int | None = None,
    country: str | None = None,
    level: Level | str = Level.CP,
) -> pd.DataFrame:
    """Non-compliance rates with the programme's method, on the store's findings."""
    method = Method(method)
    if method is Method.LATEST:
        if window is None:
            raise UsageError("the latest method needs a window (--from and --to)")
        findings = store.findings_frame(
            country=country, start=window.start, end=window.end, ncq_only=True
        )
    else:
        if cycle is None or cycle < 1:
            raise UsageError(f"the {method.value} method needs a cycle of 1 or more (--cycle)")
        cycles = [cycle] if method is Method.CYCLE else list(range(1, cycle + 1))
        findings = store.findings_frame(country=country, cycles=cycles, ncq_only=True)
    return metrics.non_compliance_rates(findings, method, level=level, window=window, cycle=cycle)


def progress(
    store: Store,
    *,
    factory_id: str | None = None,
    country: str | None = None,
    partner_id: str | None = None,
    as_of: dt.date | None = None,
    by: str | None = None,
) -> pd.DataFrame:
    """Improvement Plan progress per factory, country or partner, as of a date."""
    if sum(x is not None for x in (factory_id, country, partner_id)) > 1:
        raise UsageError("choose one of --factory, --country and --partner")
    as_of = as_of or dt.date.today()
    factory_ids: list[str] | None = None
    if factory_id is not None:
        factory_ids = [factory_id]
        if not store.known_factories(factory_ids):
            raise UsageError(f"no factory {factory_id!r} in the store")
    elif partner_id is not None:
        factory_ids = store.consented_factories(partner_id)
    items = store.plan_items_frame(factory_ids=factory_ids, country=country)
    ids = sorted(items["factory_id"].unique()) if factory_ids is None else factory_ids
    updates = store.progress_updates_frame(factory_ids=ids)
    assessments = store.assessments_frame(factory_ids=ids)
    findings = store.findings_frame(factory_ids=ids, ncq_only=True)
    group = by or ("factory" if factory_id else "partner" if partner_id else "country")
    if group == "partner":
        if partner_id is None:
            raise UsageError("--by partner needs --partner")
        items = items.assign(partner_id=partner_id)
    keys = {
        "factory": ["country", "factory_id", "factory_name"],
        "country": ["country"],
        "partner": ["partner_id"],
    }
    if group not in keys:
        raise UsageError(f"--by {group!r} is not factory, country or partner")
    return plan_progress(items, updates, assessments, findings, as_of=as_of, by=keys[group])
