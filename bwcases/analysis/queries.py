"""Rates and progress from the store: fetch only what a question needs, then compute."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from bwcases.analysis import metrics
from bwcases.analysis.counts import Count, sample_sizes
from bwcases.analysis.metrics import Level, Method, Window
from bwcases.analysis.progress import plan_progress, status_as_of
from bwcases.analysis.questions import merge_question_rates
from bwcases.analysis.rate_rows import country_named, rate_query
from bwcases.core.catalogue import ALL_COUNTRIES
from bwcases.core.errors import UsageError
from bwcases.core.question_map import question_map
from bwcases.store import RateQuery, Store


def rates(
    store: Store,
    method: Method | str = Method.LATEST,
    *,
    window: Window | None = None,
    cycle: int | None = None,
    country: str | None = None,
    level: Level | str = Level.CP,
    by_cycle: bool = False,
) -> pd.DataFrame:
    """Non-compliance rates with the programme's method, on the store's findings of a country
    (a name or ISO code; "all" pools every country) or of each country, counted by the
    database in one query (the same figures as rates_by_pandas)."""
    query = _rate_query(store, method, window, cycle, country, level, by_cycle)
    return _merged(store.rates_frame(query), query)


def _merged(rates: pd.DataFrame, query: RateQuery) -> pd.DataFrame:
    """Question rates with each question's CAT versions as one (the catalogue's map)."""
    if query.level != Level.QUESTION.value:
        return rates
    return merge_question_rates(rates, question_map())


def rates_by_pandas(
    store: Store,
    method: Method | str = Method.LATEST,
    *,
    window: Window | None = None,
    cycle: int | None = None,
    country: str | None = None,
    level: Level | str = Level.CP,
    by_cycle: bool = False,
) -> pd.DataFrame:
    """rates() computed by metrics.non_compliance_rates on the findings: the reference the
    database's figures are tested against."""
    query = _rate_query(store, method, window, cycle, country, level, by_cycle)
    cycles = None
    if cycle is not None:
        cycles = [cycle] if query.method == Method.CYCLE else list(range(1, cycle + 1))
    findings = store.findings_frame(
        country=None if query.pooled else query.country,
        start=query.start,
        end=query.end,
        cycles=cycles,
        ncq_only=True,
    )
    rates = metrics.non_compliance_rates(
        findings,
        query.method,
        level=query.level,
        window=window,
        cycle=cycle,
        by_cycle=by_cycle,
        pooled=query.pooled,
    )
    return _merged(rates, query)


def _rate_query(
    store: Store,
    method: Method | str,
    window: Window | None,
    cycle: int | None,
    country: str | None,
    level: Level | str,
    by_cycle: bool,
) -> RateQuery:
    """The store's question for rates, a country's name or ISO code looked up in the store."""
    if country is not None:
        country = country_named(store, country, pooled=True)
    return rate_query(
        method, window=window, cycle=cycle, country=country, level=level, by_cycle=by_cycle
    )


def counts(
    store: Store,
    kind: Count | str,
    *,
    window: Window | None = None,
    cycle: int | None = None,
    country: str | None = None,
) -> pd.DataFrame:
    """Sample sizes of the store's assessments, of a country (a name or ISO code; "all" pools
    every country) or of each country."""
    kind = Count(kind)
    if country is not None:
        country = country_named(store, country, pooled=True)
    pooled = country == ALL_COUNTRIES
    assessments = store.assessments_frame(country=None if pooled else country)
    return sample_sizes(assessments, kind, window=window, cycle=cycle, pooled=pooled)


def plan_as_of(
    store: Store,
    as_of: dt.date,
    *,
    factory_ids: list[str] | None = None,
    country: str | None = None,
) -> pd.DataFrame:
    """The store's plan items opened by `as_of` (of these factories or this country), each
    with its status, completion date and overdue flag on that day (`status_as_of`)."""
    items = store.plan_items_frame(factory_ids=factory_ids, country=country)
    ids = sorted(items["factory_id"].unique()) if factory_ids is None else factory_ids
    updates = store.progress_updates_frame(factory_ids=ids)
    return status_as_of(items, updates, as_of)


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
    if country is not None:
        country = country_named(store, country)
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
