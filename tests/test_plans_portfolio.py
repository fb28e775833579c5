"""Plan items and their progress are written for the factories of the writer's portfolio only:
the store checks it, as the apps do, so that a script through the library cannot change another
advisor's plan, and a reader or a stopped person cannot change any."""

from __future__ import annotations

import datetime as dt

import pytest

from bwcases.core.domain import Status
from bwcases.core.errors import NotAllowedError
from bwcases.store import Store
from bwcases.store.evidence import Upload
from tests.helpers import PDF, password_hash, plan_public_item

D = dt.date
ITEM = {
    "factory_id": "KH001",
    "source": "self_diagnosis",
    "compliance_point": "Emergency Preparedness",
    "issue": "Exit blocked",
    "action": "Clear the exit",
    "responsible": "HR",
    "due_date": D(2024, 8, 31),
}


def _item(store: Store, actor: str, **values: object) -> int:
    item_id, _ = store.save_plan_item(None, {**ITEM, **values}, expected_version=None, actor=actor)
    return item_id


def test_an_advisor_or_staff_cannot_plan_outside_their_portfolio(apps_store: Store) -> None:
    # KH001 is Sokha's (Cambodia); Lan advises VN001 and VN003, Minh is Vietnam's staff
    before = len(apps_store.plan_items_frame(factory_ids=["KH001"]))
    for who in ("Lan Nguyen", "Minh Tran"):
        with pytest.raises(NotAllowedError, match=f"factory KH001 is not in {who}'s portfolio"):
            _item(apps_store, who)
    assert len(apps_store.plan_items_frame(factory_ids=["KH001"])) == before
    assert _item(apps_store, "Sokha Chan") > 0
    assert _item(apps_store, "Lan Nguyen", factory_id="VN003") > 0
    assert _item(apps_store, "Minh Tran", factory_id="VN001") > 0


def test_a_reader_and_a_stopped_advisor_change_no_plan(apps_store: Store) -> None:
    item_id = _item(apps_store, "Lan Nguyen", factory_id="VN003")
    with pytest.raises(NotAllowedError, match="Hoa Le cannot change an Improvement Plan"):
        _item(apps_store, "Hoa Le", factory_id="VN003")
    apps_store.set_active("Lan Nguyen", False, actor="test")
    with pytest.raises(NotAllowedError, match="Lan Nguyen cannot change an Improvement Plan"):
        apps_store.save_plan_item(
            item_id, {"action": "Later"}, expected_version=1, actor="Lan Nguyen"
        )
    assert apps_store.plan_item(item_id)["action"] == "Clear the exit"


def test_her_items_of_a_factory_since_moved_to_another_advisor_stay_as_they_were(
    apps_store: Store,
) -> None:
    item_id = _item(apps_store, "Lan Nguyen", factory_id="VN003")
    apps_store.update_factories([{"factory_id": "VN003", "advisor": "Sokha Chan"}], actor="test")
    refused = "factory VN003 is not in Lan Nguyen's portfolio"
    with pytest.raises(NotAllowedError, match=refused):
        apps_store.save_plan_item(
            item_id, {"action": "Later"}, expected_version=1, actor="Lan Nguyen"
        )
    with pytest.raises(NotAllowedError, match=refused):
        apps_store.add_progress(
            item_id,
            date=D(2024, 7, 1),
            note="started",
            new_status=Status.IN_PROGRESS,
            expected_version=1,
            actor="Lan Nguyen",
            files=(Upload("photo.pdf", "application/pdf", PDF),),
        )
    item = apps_store.plan_item(item_id)
    assert (item["action"], item["status"], item["version"]) == ("Clear the exit", "Pending", 1)
    assert apps_store.progress_updates_frame(factory_ids=["VN003"]).empty


def test_only_staff_of_its_country_verify_an_item(apps_store: Store) -> None:
    item_id = plan_public_item(apps_store)  # Dong Nai Textiles' public-disclosure finding
    version = apps_store.plan_item(item_id)["version"]
    for status, note in ((Status.IN_PROGRESS, "started"), (Status.COMPLETED, "itemised")):
        version = apps_store.add_progress(
            item_id,
            date=D(2024, 7, 1),
            note=note,
            new_status=status,
            expected_version=version,
            actor="Lan Nguyen",
            files=(Upload("payslip.pdf", "application/pdf", PDF),),
        )
    assert apps_store.plan_item(item_id)["verification"] == "awaiting"
    apps_store.add_user(
        "Dara Kim", role="staff", country="Cambodia", password_hash=password_hash(), actor="test"
    )
    for who, why in (
        ("Lan Nguyen", "Lan Nguyen cannot verify"),
        ("Hoa Le", "Hoa Le cannot verify"),
        ("Dara Kim", "factory VN003 is not in Dara Kim's portfolio"),
    ):
        with pytest.raises(NotAllowedError, match=why):
            apps_store.verify_item(
                item_id, verified=True, note="seen", expected_version=version, actor=who
            )
    assert apps_store.plan_item(item_id)["verification"] == "awaiting"
    assert apps_store.verify_item(
        item_id, verified=True, note="seen", expected_version=version, actor="Minh Tran"
    )
    assert apps_store.plan_item(item_id)["verified_by"] == "Minh Tran"


def test_the_command_line_s_own_actor_plans_any_factory(apps_store: Store) -> None:
    # an import or a script names no person of the store: the store's own, unchecked
    assert _item(apps_store, "import") > 0
