"""Visits are written for the factories of the writer's portfolio only: the store checks it, as
the apps do, so that a script through the library cannot record another advisor's visit."""

from __future__ import annotations

import datetime as dt

import pytest

from bwcases.core.errors import NotAllowedError
from bwcases.store import Store

VISIT = {"factory_id": "KH001", "date": dt.date(2024, 5, 14), "kind": "advisory visit"}


def test_an_advisor_cannot_record_a_visit_outside_her_portfolio(apps_store: Store) -> None:
    # KH001 is Sokha's (Cambodia); Lan advises VN001 and VN003, Minh is Vietnam's staff
    for who in ("Lan Nguyen", "Minh Tran"):
        with pytest.raises(NotAllowedError, match=f"factory KH001 is not in {who}'s portfolio"):
            apps_store.add_visit({**VISIT, "topics": f"{who}'s"}, who)
    assert apps_store.visits_frame(factory_ids=["KH001"]).empty
    assert apps_store.add_visit({**VISIT, "topics": "Sokha's"}, "Sokha Chan") > 0
    assert apps_store.add_visit({**VISIT, "factory_id": "VN003"}, "Lan Nguyen") > 0


def test_her_visit_of_a_factory_since_moved_to_another_advisor_stays_as_it_was(
    apps_store: Store,
) -> None:
    visit = apps_store.add_visit({**VISIT, "factory_id": "VN003", "topics": "Exits"}, "Lan Nguyen")
    apps_store.update_factories([{"factory_id": "VN003", "advisor": "Sokha Chan"}], actor="test")
    with pytest.raises(NotAllowedError, match="factory VN003 is not in Lan Nguyen's portfolio"):
        apps_store.update_visit(visit, {"topics": "Later"}, expected_version=1, actor="Lan Nguyen")
    assert apps_store.visit(visit)["topics"] == "Exits"


def test_the_command_line_s_own_actor_records_any_factory_s_visit(apps_store: Store) -> None:
    # an import or a script names no person of the store: the store's own, unchecked
    assert apps_store.add_visit(VISIT, "import") > 0
