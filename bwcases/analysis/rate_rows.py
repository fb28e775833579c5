"""What a call of rates asks the store, for the pandas path and for a command printing rows
(which then imports no pandas: nothing here does)."""

from __future__ import annotations

from typing import Protocol

from bwcases.analysis.methods import Level, Method, Window, check_options
from bwcases.core import catalogue
from bwcases.core.catalogue import ALL_COUNTRIES
from bwcases.core.errors import UsageError
from bwcases.store.rate_query import RateQuery


class Countries(Protocol):
    """A store that knows its countries (the factory register's spellings)."""

    def countries(self) -> list[str]: ...


def country_named(store: Countries, text: str, *, pooled: bool = False) -> str:
    """The country a name or ISO code means, in any case, as the store spells it; with `pooled`
    (rates, counts) "all" means every country together (ALL_COUNTRIES)."""
    name = catalogue.country_named(text, store.countries())
    if name == ALL_COUNTRIES and not pooled:
        raise UsageError(
            "--country all pools the countries of rates and counts only: "
            "leave out --country for every country"
        )
    return name


def rate_query(
    method: Method | str,
    *,
    window: Window | None,
    cycle: int | None,
    country: str | None,
    level: Level | str,
    by_cycle: bool,
) -> RateQuery:
    """The store's question for rates, once the options are known to fit the method; `country`
    as country_named gave it (ALL_COUNTRIES pools them), None for each country's rates."""
    pooled = country == ALL_COUNTRIES
    method = check_options(
        method, window=window, cycle=cycle, by_cycle=by_cycle, level=level, pooled=pooled
    )
    return RateQuery(
        method=method.value,
        level=Level(level).value,
        start=window.start if window else None,
        end=window.end if window else None,
        cycle=cycle,
        by_cycle=by_cycle,
        country=None if pooled else country,
        pooled=pooled,
    )
