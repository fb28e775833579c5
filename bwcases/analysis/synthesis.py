"""The analyst's tables from the store: the question table, findings wide, FGW facts, plan
items by CP and status, and a country's synthesis (the R manual's tables in one place)."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from bwcases.analysis import queries
from bwcases.analysis import questions as question_tables
from bwcases.analysis.counts import Count, picc_by_country
from bwcases.analysis.metrics import Level, Method, Window
from bwcases.analysis.progress import items_by_cp_status
from bwcases.core.catalogue import ALL_COUNTRIES
from bwcases.core.errors import UsageError
from bwcases.core.formats import FIGURES_MIME, TABLES_MIME
from bwcases.core.question_map import question_map
from bwcases.store import Store


def questions(
    store: Store, *, cluster: str | None = None, question_type: str | None = None
) -> pd.DataFrame:
    """The store's CAT questions merged across CAT versions, with their tags and units."""
    return question_tables.question_table(
        store.questions_frame(), question_map(), cluster=cluster, question_type=question_type
    )


def _findings(store: Store, country: str | None) -> pd.DataFrame:
    where = None if country is None else queries.country_named(store, country)
    return store.findings_frame(country=where)


def findings_wide(store: Store, *, country: str | None = None) -> pd.DataFrame:
    """The store's findings, one row per assessment and one column per question."""
    return question_tables.findings_wide(_findings(store, country), question_map())


def facts(store: Store, *, country: str | None = None) -> pd.DataFrame:
    """The store's FGW facts, as numbers with their unit where they are numbers."""
    return question_tables.fgw_facts(_findings(store, country), question_map())


def plan_by_cp_status(
    store: Store,
    *,
    factory_id: str | None = None,
    country: str | None = None,
    partner_id: str | None = None,
    as_of: dt.date | None = None,
) -> pd.DataFrame:
    """Improvement Plan items per compliance point and status, as of a day (default today)."""
    if sum(x is not None for x in (factory_id, country, partner_id)) > 1:
        raise UsageError("choose one of --factory, --country and --partner")
    ids: list[str] | None = None
    if factory_id is not None:
        if not store.known_factories([factory_id]):
            raise UsageError(f"no factory {factory_id!r} in the store")
        ids = [factory_id]
    elif partner_id is not None:
        ids = store.consented_factories(partner_id)
    where = None if country is None else queries.country_named(store, country)
    now = queries.plan_as_of(store, as_of or dt.date.today(), factory_ids=ids, country=where)
    return items_by_cp_status(now)


def picc_members(
    store: Store, *, country: str | None = None, as_of: dt.date | None = None
) -> pd.DataFrame:
    """PICC members on a day (default today) by country and side, a column per gender: of a
    country (a name or ISO code; "all" pools every country) or of each country."""
    where = None if country is None else queries.country_named(store, country, pooled=True)
    register = store.factories_frame(country=None if where == ALL_COUNTRIES else where)
    if where == ALL_COUNTRIES:
        register = register.assign(country=ALL_COUNTRIES)
    members = store.picc_counts(factory_ids=list(register["factory_id"]), as_of=as_of)
    return picc_by_country(members[members["total"] > 0], register)


@dataclass
class CountrySynthesis:
    """A country's figures for a period: rates by the three methods, sample sizes, the trend
    on the balanced panel, and plan items by CP and status at the period's end."""

    country: str
    window: Window
    cycle: int
    cp_rates: dict[str, pd.DataFrame] = field(default_factory=dict)  # by method
    question_rates: dict[str, pd.DataFrame] = field(default_factory=dict)
    sample_sizes: dict[str, pd.DataFrame] = field(default_factory=dict)  # by Count
    trend: pd.DataFrame = field(default_factory=pd.DataFrame)
    plan: pd.DataFrame = field(default_factory=pd.DataFrame)


def country_synthesis(store: Store, country: str, period: str, cycle: int = 1) -> CountrySynthesis:
    """The R manual's tables for a country and a period YYYY-MM:YYYY-MM: the latest method on
    the period, the cycle method on cycle `cycle` in the period, the panel of cycles 1..N
    (`cycle`, at least 2 for a trend), each as `bwcases rates` computes it."""
    name = queries.country_named(store, country)
    window = Window.parse(period)
    if cycle < 1:
        raise UsageError(f"cycle {cycle} is not a cycle: cycles are 1 or more")
    options: dict[Method, dict[str, Any]] = {
        Method.LATEST: {"window": window},
        Method.CYCLE: {"window": window, "cycle": cycle},
        Method.PANEL: {"cycle": cycle},
    }
    out = CountrySynthesis(name, window, cycle)
    for method, given in options.items():
        out.cp_rates[method.value] = queries.rates(store, method, country=name, **given)
        out.question_rates[method.value] = queries.rates(
            store, method, country=name, level=Level.QUESTION, **given
        )
    for kind in Count:
        out.sample_sizes[kind.value] = queries.counts(store, kind, window=window, country=name)
    panel = queries.rates(store, Method.PANEL, country=name, cycle=cycle, level=Level.CLUSTER)
    out.trend = _wide_by_cycle(panel)
    out.plan = plan_by_cp_status(store, country=name, as_of=window.end)
    return out


def _wide_by_cycle(rates: pd.DataFrame) -> pd.DataFrame:
    """Cluster rates on the panel, a column per cycle, with the panel's factories."""
    if rates.empty:
        return pd.DataFrame(columns=["cluster", "factories"])
    wide = rates.pivot(index="cluster", columns="cycle", values="non_compliance_rate")
    wide.columns = [f"cycle_{c}" for c in wide.columns]
    factories = rates.groupby("cluster")["factories_assessed"].min().rename("factories")
    return wide.join(factories).reset_index()


def tables(synthesis: CountrySynthesis) -> dict[str, pd.DataFrame]:
    """The synthesis's tables by name, in the order a reader meets them."""
    out = {f"sample_sizes.{k}": v for k, v in synthesis.sample_sizes.items()}
    out |= {f"cp_rates.{k}": v for k, v in synthesis.cp_rates.items()}
    out |= {f"question_rates.{k}": v for k, v in synthesis.question_rates.items()}
    return out | {"trend": synthesis.trend, "plan": synthesis.plan}


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """A table as JSON records, days written YYYY-MM-DD (as the command line writes them)."""
    days = frame.map(lambda v: v.isoformat() if isinstance(v, dt.date) else v)
    records: list[dict[str, Any]] = json.loads(days.to_json(orient="records", date_format="iso"))
    return records


def figures(synthesis: CountrySynthesis) -> dict[str, Any]:
    """The synthesis's key figures, as a batch summary collects them."""
    latest = synthesis.cp_rates[Method.LATEST.value]
    panel = synthesis.trend
    plan = synthesis.plan
    return {
        "country": synthesis.country,
        "period": str(synthesis.window),
        "cycle": synthesis.cycle,
        "factories_assessed": int(latest["factories_assessed"].max()) if len(latest) else 0,
        "assessments": int(synthesis.sample_sizes[Count.ASSESSMENTS.value]["assessments"].sum()),
        "panel_factories": int(panel["factories"].min()) if len(panel) else 0,
        "plan_items": int(plan["items"].sum()),
        "completed": int(plan["completed"].sum()),
    }


def record(synthesis: CountrySynthesis) -> None:
    """Record the figures and every table in the running notebook's outputs, where a batch
    summary and programs find them."""
    from IPython.display import display

    named = {name: _records(frame) for name, frame in tables(synthesis).items()}
    display(
        {
            FIGURES_MIME: figures(synthesis),
            TABLES_MIME: named,
            "text/plain": f"{len(named)} tables recorded",
        },
        raw=True,
    )
