"""The apps' factory picker: the list narrows as she types and a single match is chosen."""

from __future__ import annotations

import asyncio

import pandas as pd
import pytest

from bwcases.apps import CaseTimeline, ImprovementPlan, RemediationTracker, common
from bwcases.apps.common import FactoryPicker, quiet
from bwcases.core.i18n import translator
from bwcases.store import Store
from tests.helpers import open_app

REGISTER = pd.DataFrame(
    [
        ("VN001", "Saigon Garments", "active"),
        ("VN003", "Dong Nai Textiles", "active"),
        ("VN004", "Saigon Knitwear", "active"),
        ("VN009", "Saigon Shoes (Obsolete)", "obsolete"),
    ],
    columns=["factory_id", "factory_name", "status"],
)


def offered(picker: FactoryPicker) -> list[str]:
    return [value for _label, value in picker.factory.options if value]


def picker() -> FactoryPicker:
    p = FactoryPicker()
    p.set_register(REGISTER)
    p.relabel(translator("en"))
    return p


def test_the_search_sends_what_she_types_without_enter() -> None:
    p = picker()
    assert p.search.continuous_update  # each key reaches the kernel: no Enter needed
    assert "Enter" not in p.search.placeholder


def test_the_list_narrows_and_a_single_match_is_chosen() -> None:
    p = picker()
    assert offered(p) == ["VN001", "VN003", "VN004"]  # the retired record is left out
    p.search.value = "saig"
    assert offered(p) == ["VN001", "VN004"] and p.factory.value == ""  # two: she chooses
    assert "Factories: 2" in p.count.value and 'role="status"' in p.count.value
    p.search.value = "saigon k"
    assert offered(p) == ["VN004"] and p.factory.value == "VN004"  # one: chosen for her
    p.search.value = "saig"  # a step back keeps her choice, still offered
    assert p.factory.value == "VN004"
    p.search.value = "VN00"  # by ID too
    assert offered(p) == ["VN001", "VN003", "VN004"] and p.factory.value == "VN004"


def test_a_search_of_one_match_leaves_an_already_chosen_factory_alone() -> None:
    p = picker()
    p.factory.value = "VN003"
    chosen: list[str] = []
    p.factory.observe(lambda c: quiet(c) or chosen.append(c["new"]), names="value")
    p.search.value = "dong"
    assert p.factory.value == "VN003" and chosen == []  # no second opening of the same


def test_in_a_kernel_the_list_narrows_once_she_pauses(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(common, "SEARCH_PAUSE", 0.05)

    async def typing() -> None:  # a kernel runs the apps in an event loop
        p = picker()
        sent: list[int] = []
        p.factory.observe(lambda c: sent.append(len(c["new"])), names="options")
        for typed in ("d", "do", "don", "dong"):  # keys faster than the pause
            p.search.value = typed
        assert sent == [] and p.factory.value == ""  # nothing sent per key
        await asyncio.sleep(0.5)
        assert sent == [2]  # one list, after the pause: "Choose…" and Dong Nai
        assert p.factory.value == "VN003"

    asyncio.run(typing())


def test_choosing_a_factory_while_a_search_waits_offers_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(common, "SEARCH_PAUSE", 0.05)

    async def choosing() -> None:
        p = picker()
        p.search.value = "dong"  # narrowing waits for the pause ...
        assert p.select("VN004")  # ... when the page asks for another factory
        assert p.factory.value == "VN004" and p.search.value == ""
        await asyncio.sleep(0.3)  # the waiting search was dropped: nothing changes now
        assert p.factory.value == "VN004" and offered(p) == ["VN001", "VN003", "VN004"]

    asyncio.run(choosing())


@pytest.mark.parametrize("app_class", [ImprovementPlan, RemediationTracker, CaseTimeline])
def test_each_app_opens_the_factory_her_search_leaves(apps_store: Store, app_class: type) -> None:
    app = open_app(app_class, apps_store, "Lan Nguyen")
    app.picker.search.value = "a"  # Saigon Garments, Dong Nai Textiles
    assert offered(app.picker) == ["VN001", "VN003"] and app.factory_id == ""
    app.picker.search.value = "dong n"
    assert app.factory_id == "VN003"
    assert "factory=VN003" in app.nav.value  # the links to the other apps carry it
