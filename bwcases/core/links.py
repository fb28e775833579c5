"""The apps' addresses, the same in a page and in a mail: a page with its query, a plan item."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from bwcases.core.i18n import PLAN_ITEM

# the apps' notebooks (bwcases/notebooks): the pages a link opens
TRACKER_PAGE = "remediation_tracker.ipynb"
PLAN_PAGE = "improvement_plan.ipynb"
QUEUE_PAGE = "work_queue.ipynb"


def page_url(base: str, page: str, **query: Any) -> str:
    """A page's address under a site's root (given with its closing slash or without)."""
    return f"{base.rstrip('/')}/voila/render/{page}?{urlencode(query)}"


def item_url(base: str, factory_id: str, item_id: int | None, lang: str, **more: Any) -> str:
    """The tracker with a plan item open (the factory's plan when there is no item yet)."""
    if item_id is None:
        return page_url(base, TRACKER_PAGE, factory=factory_id, **more, lang=lang)
    return page_url(base, TRACKER_PAGE, factory=factory_id, item=int(item_id), **more, lang=lang)


def item_name(item_id: Any, _: Callable[[str], str]) -> str:
    """What a plan item is called where it has no issue to show."""
    return _(PLAN_ITEM).format(id=item_id)
