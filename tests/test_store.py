"""The store on SQLite and PostgreSQL: loading, reading back, audit, conflicts."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from bwcases.errors import ConflictError
from bwcases.importers import import_file
from bwcases.store import Store


def test_import_keeps_every_distinct_row_once(store: Store, export_file) -> None:
    import_file(store, "assessments", export_file)
    frame = store.findings_frame()
    assert len(frame) == 8  # nine rows, one exact duplicate
    assert sorted(frame["quest_id"].unique()) == [1001, 1002, 1003, 1500]
    fgw = frame[frame["question_type"] == "FGW"].iloc[0]
    assert fgw["fact"] == "1250" and fgw["finding"] is pd_na()


def pd_na():
    import pandas as pd

    return pd.NA


def test_importing_again_changes_nothing(store: Store, export_file) -> None:
    import_file(store, "assessments", export_file)
    before = store.snapshot_id(), store.findings_frame()
    summary = import_file(store, "assessments", export_file)
    assert "0 findings" in summary
    assert store.snapshot_id() == before[0]
    assert store.findings_frame().equals(before[1])


def test_factory_register_follows_the_export(store: Store, export_file) -> None:
    import_file(store, "assessments", export_file)
    reg = store.factories_frame().set_index("factory_id")
    assert reg.loc["VN002", "status"] == "obsolete"
    assert reg.loc["VN001", "status"] == "active"
    assert reg.loc["KH001", "country"] == "Cambodia"


def exit_item(store: Store, export_file: Any) -> int:
    """The export loaded, and Lan's self-diagnosis item of VN001 (version 1)."""
    import_file(store, "assessments", export_file)
    return store.create_plan_item(
        {
            "factory_id": "VN001",
            "source": "self-diagnosis",
            "compliance_point": "Emergency Preparedness",
            "issue": "Exit blocked",
            "status": "Pending",
            "opened_on": dt.date(2024, 5, 1),
        },
        actor="lan",
    )


def test_stale_write_is_refused_and_nothing_is_overwritten(store: Store, export_file) -> None:
    item = exit_item(store, export_file)
    v1 = store.plan_item(item)["version"]
    store.update_plan_item(item, {"action": "Clear the exit"}, expected_version=v1, actor="lan")
    with pytest.raises(ConflictError) as err:
        store.update_plan_item(item, {"action": "Move boxes"}, expected_version=v1, actor="minh")
    assert err.value.current["action"] == "Clear the exit"
    assert err.value.yours["action"] == "Move boxes"
    assert store.plan_item(item)["action"] == "Clear the exit"


def test_a_save_racing_another_gets_the_conflict_with_both_versions(
    store: Store, export_file, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Lan's save passes its version check; Minh's save commits before Lan's write reaches the
    # database (another connection, as another advisor's page is); Lan gets the conflict
    item = exit_item(store, export_file)
    v1 = store.plan_item(item)["version"]
    other = Store(store.url)
    checked = Store.check_version

    def check_then_race(self: Store, obj: Any, expected: int | None, yours: dict) -> None:
        checked(self, obj, expected, yours)
        if yours.get("action") == "Move boxes":
            other.update_plan_item(item, {"action": "Clear the exit"}, v1, actor="minh")

    monkeypatch.setattr(Store, "check_version", check_then_race)
    with pytest.raises(ConflictError) as err:
        store.update_plan_item(item, {"action": "Move boxes"}, expected_version=v1, actor="lan")
    assert err.value.current["action"] == "Clear the exit"
    assert err.value.current["updated_by"] == "minh"
    assert err.value.yours == {"action": "Move boxes"}
    assert store.plan_item(item)["action"] == "Clear the exit"
    other.dispose()


def test_every_change_is_in_the_audit_trail(store: Store, export_file) -> None:
    item = exit_item(store, export_file)
    store.update_plan_item(item, {"action": "Clear the exit"}, expected_version=1, actor="minh")
    trail = store.history("plan_items", item)
    assert list(trail["action"]) == ["insert", "update"]
    assert list(trail["actor"]) == ["lan", "minh"]
    last = trail.iloc[-1]
    assert json.loads(last["before"])["action"] == ""
    assert json.loads(last["after"])["action"] == "Clear the exit"


def test_a_re_export_that_renames_a_factory_updates_its_name(
    store: Store, export_file, tmp_path
) -> None:
    import_file(store, "assessments", export_file)
    text = export_file.read_text(encoding="utf-8").replace(
        "Saigon Garments", "Saigon Garments (Obsolete)"
    )
    renamed = tmp_path / "renamed.csv"
    renamed.write_text(text, encoding="utf-8")
    summary = import_file(store, "assessments", renamed)
    assert "2 assessments renamed" in summary and "0 findings" in summary
    reg = store.factories_frame().set_index("factory_id")
    assert reg.loc["VN001", "factory_name"] == "Saigon Garments (Obsolete)"
    assert reg.loc["VN001", "status"] == "obsolete"
    names = store.findings_frame().query("factory_id == 'VN001'")["factory_name"].unique()
    assert list(names) == ["Saigon Garments (Obsolete)"]
