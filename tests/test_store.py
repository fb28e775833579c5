"""The store on SQLite and PostgreSQL: loading, reading back, audit, conflicts."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import stat
import threading
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from sqlalchemy import func, select

from bwcases.core.domain import Status
from bwcases.core.errors import ConcurrentWriteError, ConflictError, UsageError
from bwcases.io.importers import import_file
from bwcases.store import AssessmentLoader, Store, Upload, resolve_url
from bwcases.store import models as m
from tests.helpers import twice_at_once


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
    item, _version = store.save_plan_item(
        None,
        {
            "factory_id": "VN001",
            "source": "self-diagnosis",
            "compliance_point": "Emergency Preparedness",
            "issue": "Exit blocked",
        },
        expected_version=None,
        actor="lan",
        on=dt.date(2024, 5, 1),
    )
    return item


def save(store: Store, item: int, made_from: int, actor: str, **changes: Any) -> tuple[int, int]:
    """`actor` saves changes to the item made from version `made_from`, as the plan app does."""
    return store.save_plan_item(item, changes, expected_version=made_from, actor=actor)


def test_stale_write_is_refused_and_nothing_is_overwritten(store: Store, export_file) -> None:
    item = exit_item(store, export_file)
    v1 = store.plan_item(item)["version"]
    save(store, item, v1, "lan", action="Clear the exit")
    with pytest.raises(ConflictError) as err:
        save(store, item, v1, "minh", action="Move boxes", status="In Progress")
    assert err.value.current["action"] == "Clear the exit"
    assert err.value.yours == {"action": "Move boxes", "status": "In Progress"}
    assert store.plan_item(item)["action"] == "Clear the exit"
    assert store.plan_item(item)["status"] == "Pending"
    assert store.progress_updates_frame().empty  # nor its status move


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
            save(other, item, v1, "minh", action="Clear the exit")

    monkeypatch.setattr(Store, "check_version", check_then_race)
    with pytest.raises(ConflictError) as err:
        save(store, item, v1, "lan", action="Move boxes", status="In Progress")
    assert err.value.current["action"] == "Clear the exit"
    assert err.value.current["updated_by"] == "minh"
    assert err.value.yours == {"action": "Move boxes", "status": "In Progress"}
    assert store.plan_item(item)["action"] == "Clear the exit"
    assert store.progress_updates_frame().empty  # Lan's status move went with her save
    other.dispose()


def test_two_saves_at_once_keep_one_and_give_the_other_the_conflict(
    store: Store, export_file, monkeypatch: pytest.MonkeyPatch
) -> None:
    # two advisors' pages save the same item at the same moment, both from version 1: both
    # pass the version check before either writes
    item = exit_item(store, export_file)
    both_checked = threading.Barrier(2, timeout=3)
    checked = Store.check_version

    def check_then_meet(self: Store, obj: Any, expected: int | None, yours: dict) -> None:
        checked(self, obj, expected, yours)
        with contextlib.suppress(threading.BrokenBarrierError):
            both_checked.wait()

    monkeypatch.setattr(Store, "check_version", check_then_meet)
    actors = ["lan", "minh"]
    outcomes = twice_at_once(
        store,
        lambda other: save(other, item, 1, actors.pop(), action="Clear", status="In Progress"),
    )
    assert sorted(type(o).__name__ for o in outcomes) == ["ConflictError", "tuple"], outcomes
    (refused,) = [o for o in outcomes if isinstance(o, ConflictError)]
    stored = store.plan_item(item)
    assert refused.current["updated_by"] == stored["updated_by"]
    assert (stored["status"], stored["version"]) == ("In Progress", 2)
    updates = store.progress_updates_frame()  # the status move once, by the one who saved
    assert list(updates["author"]) == [stored["updated_by"]]


@pytest.mark.parametrize(
    "changes",
    [
        {"completed_on": dt.date(2024, 6, 1)},
        {"verification": "verified"},
        {"verified_by": "minh"},
        {"factory_id": "KH001"},
        {"version": 7},
    ],
)
def test_a_save_sets_no_field_the_rules_own(
    store: Store, export_file, changes: dict[str, Any]
) -> None:
    # a completion date and a verification follow from progress updates; what names an item
    # is given when it is made
    item = exit_item(store, export_file)
    before = store.plan_item(item)
    with pytest.raises(UsageError, match=next(iter(changes))):
        save(store, item, 1, "lan", **changes)
    assert store.plan_item(item) == before
    with pytest.raises(UsageError, match="completed_on"):
        store.save_plan_item(
            None,
            {
                "factory_id": "VN001",
                "source": "self-diagnosis",
                "compliance_point": "Overtime",
                "status": "In Progress",
                "completed_on": dt.date(2024, 6, 1),
            },
            expected_version=None,
            actor="lan",
        )
    assert list(store.plan_items_frame()["item_id"]) == [item]


def test_a_change_says_which_version_it_was_made_from(store: Store, export_file) -> None:
    item = exit_item(store, export_file)
    with pytest.raises(UsageError, match="expected_version"):
        store.save_plan_item(item, {"action": "Clear"}, expected_version=None, actor="lan")
    assert store.plan_item(item)["action"] == ""


def test_each_save_and_each_progress_update_is_one_new_version(store: Store, export_file) -> None:
    import_file(store, "assessments", export_file)
    started = {
        "factory_id": "VN001",
        "source": "finding",
        "quest_id": 1500,
        "question_id": "CMP.MW.01",
        "compliance_point": "Minimum Wages/Piece Rate Wages",
        "status": "In Progress",
    }
    item, version = store.save_plan_item(
        None, started, expected_version=None, actor="lan", on=dt.date(2024, 5, 2)
    )
    assert version == 1  # saved In Progress: one insert, its status move kept as an update
    assert list(store.history("plan_items", item)["action"]) == ["insert"]
    version = store.add_progress(
        item,
        date=dt.date(2024, 6, 1),
        note="Arrears paid",
        new_status=Status.COMPLETED,
        expected_version=version,
        actor="lan",
        files=(Upload("slip.pdf", "application/pdf", b"%PDF-1.4"),),
    )
    stored = store.plan_item(item)
    assert (version, stored["version"], stored["verification"]) == (2, 2, "awaiting")
    updates = store.progress_updates_frame()
    assert list(zip(updates["old_status"], updates["new_status"], strict=True)) == [
        ("Pending", "In Progress"),
        ("In Progress", "Completed"),
    ]


def test_every_change_is_in_the_audit_trail(store: Store, export_file) -> None:
    item = exit_item(store, export_file)
    save(store, item, 1, "minh", action="Clear the exit")
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


def test_two_imports_of_the_same_new_file_at_once_store_it_once(
    store: Store, export_file, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Both imports read the store before either writes (when the store lets them): the race
    # two people importing the same new export at the same moment run.
    both_read = threading.Barrier(2, timeout=3)
    read = AssessmentLoader.__post_init__

    def read_then_meet(self: AssessmentLoader) -> None:
        read(self)
        with contextlib.suppress(threading.BrokenBarrierError):
            both_read.wait()

    monkeypatch.setattr(AssessmentLoader, "__post_init__", read_then_meet)
    outcomes = twice_at_once(store, lambda other: import_file(other, "assessments", export_file))
    added = [o for o in outcomes if isinstance(o, str) and "8 findings" in o]
    assert len(added) == 1, outcomes
    (other,) = [o for o in outcomes if o is not added[0]]
    # the other one found nothing to do, or failed cleanly saying so
    assert (isinstance(other, str) and "0 findings" in other) or (
        isinstance(other, ConcurrentWriteError) and "try again" in str(other)
    ), repr(other)
    assert store.count_findings() == 8
    imports = store.frame(select(m.AuditEntry.id).where(m.AuditEntry.action == "import"))
    assert len(imports) == 1


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_sqlite_store_and_its_new_folders_are_private(tmp_path: Path, export_file) -> None:
    tmp_path.chmod(0o755)
    path = tmp_path / "data" / "bwcases" / "cases.sqlite"
    s = Store(f"sqlite:///{path}")
    import_file(s, "assessments", export_file)
    files = [path, *(path.with_name(path.name + x) for x in ("-wal", "-shm"))]
    assert all(f.exists() for f in files)  # the WAL files too, while the store is open
    assert {f.name: mode(f) for f in files} == {f.name: 0o600 for f in files}
    assert mode(path.parent) == mode(path.parent.parent) == 0o700
    assert mode(tmp_path) == 0o755  # a folder the user had is left as it was
    s.dispose()


def test_the_default_store_folder_is_made_private(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    share = tmp_path / "share"
    share.mkdir(mode=0o755)
    monkeypatch.setenv("XDG_DATA_HOME", str(share))
    monkeypatch.delenv("BWCASES_DB", raising=False)
    Store().dispose()
    assert mode(share / "bwcases") == 0o700
    assert mode(share / "bwcases" / "cases.sqlite") == 0o600
    assert mode(share) == 0o755


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("sqlite:///rel/cases.sqlite", "sqlite:///{here}/rel/cases.sqlite"),
        (
            "sqlite+pysqlite:///cases.sqlite?timeout=5",
            "sqlite+pysqlite:///{here}/cases.sqlite?timeout=5",
        ),
        ("rel/cases.sqlite", "sqlite:///{here}/rel/cases.sqlite"),
        ("postgresql+psycopg://u:p@host/db", "postgresql+psycopg://u:p@host/db"),
    ],
)
def test_a_relative_store_keeps_naming_its_file_from_another_folder(
    given: str, expected: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the kernels of `serve`, `brief` and `run` start in the notebooks' folder: a relative
    # SQLite URL handed on as given would open (and create) an empty store there
    monkeypatch.chdir(tmp_path)
    assert resolve_url(given) == expected.format(here=tmp_path.resolve())


def test_two_imports_of_the_same_new_plan_at_once_add_its_items_once(
    store: Store, export_file, monkeypatch: pytest.MonkeyPatch
) -> None:
    import_file(store, "assessments", export_file)
    records = [
        {
            "factory_id": "VN001",
            "quest_id": 1500,
            "question_id": "CMP.MW.01",
            "source": "assessment",
            "compliance_point": "Minimum Wages/Piece Rate Wages",
            "issue": "Wages below the minimum",
            "status": "Pending",
        }
    ]
    both_looked = threading.Barrier(2, timeout=3)
    find = Store._find_item

    def find_then_meet(self: Store, s: Any, rec: dict[str, Any]) -> Any:
        found = find(self, s, rec)
        with contextlib.suppress(threading.BrokenBarrierError):
            both_looked.wait()  # both looked before either added
        return found

    monkeypatch.setattr(Store, "_find_item", find_then_meet)
    outcomes = twice_at_once(
        store, lambda other: other.save_plan_items([dict(r) for r in records], actor="import")
    )
    assert sorted(o for o in outcomes if isinstance(o, tuple)) == [(0, 0), (1, 0)], outcomes
    assert len(store.plan_items_frame(factory_ids=["VN001"])) == 1


def test_frames_hold_what_pandas_makes_of_the_rows(demo_on_backend: Store) -> None:
    """Every table's columns, and a join with a repeated name and aggregates, come back from
    `frame` with the values and dtypes pandas gives the rows SQLAlchemy returns."""
    a, f = m.Assessment, m.Finding
    statements = {
        table.name: select(table).order_by(*table.primary_key.columns).limit(300)
        for table in m.Base.metadata.sorted_tables
    }
    statements["join"] = (
        select(a.quest_id, f.quest_id, a.start_date, f.finding, f.fact)
        .join(f, f.quest_id == a.quest_id)
        .order_by(f.quest_id, f.question_ref)
        .limit(300)
    )
    statements["aggregates"] = select(
        a.country, func.max(a.start_date).label("latest"), func.avg(a.cycle).label("cycles")
    ).group_by(a.country)
    filled = set()
    with demo_on_backend.engine.connect() as conn:
        for name, statement in statements.items():
            result = conn.execute(statement)
            expected = pd.DataFrame(result.fetchall(), columns=list(result.keys()))
            got = demo_on_backend.frame(statement)
            pd.testing.assert_frame_equal(got, expected, check_exact=True, obj=name)
            if len(got):
                filled.add(name)
    assert {"assessments", "findings", "plan_items", "visits", "join", "aggregates"} <= filled
