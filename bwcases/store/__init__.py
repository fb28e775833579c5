"""The case store: the only layer that speaks SQL.

Its names are imported when first asked for: a command that needs one part of the store (rates)
then loads that part alone, not every part and pandas with them."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bwcases.store.assessments import AssessmentLoader, LoadSummary
    from bwcases.store.case_store import Store
    from bwcases.store.digests import DigestItems, DigestScope
    from bwcases.store.evidence import Upload
    from bwcases.store.location import default_path, resolve_url
    from bwcases.store.queue import QueueFilters, WorkQueue
    from bwcases.store.rate_query import RateQuery

# Where each public name lives (the Store is composed in case_store: add a part there).
_HOMES = {
    "AssessmentLoader": "assessments",
    "DigestItems": "digests",
    "DigestScope": "digests",
    "LoadSummary": "assessments",
    "QueueFilters": "queue",
    "RateQuery": "rate_query",
    "Store": "case_store",
    "Upload": "evidence",
    "WorkQueue": "queue",
    "default_path": "location",
    "resolve_url": "location",
}

__all__ = [
    "AssessmentLoader",
    "DigestItems",
    "DigestScope",
    "LoadSummary",
    "QueueFilters",
    "RateQuery",
    "Store",
    "Upload",
    "WorkQueue",
    "default_path",
    "resolve_url",
]


def __getattr__(name: str) -> Any:
    """A public name of the store, imported from its module on first use."""
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{_HOMES[name]}"), name)
    globals()[name] = value
    return value
