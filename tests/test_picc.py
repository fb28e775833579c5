"""The PICC register and corrected visits: members added, corrected (a stale copy refused) and
ended, counts by gender and side; a meeting's decisions and minutes; a visit corrected by its
author alone; all of it in the audit trail."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from bwcases.core.errors import ConflictError, NotAllowedError, UsageError, ValidationError
from bwcases.io.importers import import_file
from bwcases.store import Store, Upload
from tests.helpers import PDF, bw, case_lines, password_hash, write_csv

D = dt.date
MAI = {
    "name": "Mai Pham",
    "side": "worker",
    "gender": "female",
    "role": "secretary",
    "selection": "elected",
    "since": D(2024, 1, 15),
}


def add(store: Store, factory: str = "VN001", **values: object) -> int:
    return store.add_picc_member(factory, {**MAI, **values}, actor="Lan Nguyen")


def test_a_member_is_registered_and_audited(apps_store: Store) -> None:
    member = add(apps_store)
    register = apps_store.picc_register_frame(factory_ids=["VN001"])
    assert register[["name", "side", "gender", "role", "selection"]].values.tolist() == [
        ["Mai Pham", "worker", "female", "secretary", "elected"]
    ]
    assert register["since"].tolist() == [D(2024, 1, 15)]
    assert apps_store.picc_register_frame(factory_ids=["VN003"]).empty
    trail = apps_store.history("picc_members", member)
    assert trail[["actor", "action"]].values.tolist() == [["Lan Nguyen", "insert"]]
    assert json.loads(trail["after"][0])["name"] == "Mai Pham"


@pytest.mark.parametrize(
    ("field", "value", "said"),
    [
        ("side", "boss", "'boss' is not worker, management"),
        ("gender", "", "'' is not female, male, other"),
        ("selection", "drawn", "'drawn' is not elected, appointed"),
        ("name", "  ", "a member needs a name"),
        ("since", "2024-01-15", "'2024-01-15' is not a date"),
        ("since", dt.date.today() + dt.timedelta(days=2), "is in the future"),
    ],
)
def test_bad_fields_are_named_with_their_value(
    apps_store: Store, field: str, value: object, said: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        add(apps_store, **{field: value})
    assert said in caught.value.fields[field]
    assert apps_store.picc_register_frame().empty


def test_an_unknown_field_is_a_usage_error(apps_store: Store) -> None:
    with pytest.raises(UsageError, match="no field until"):
        add(apps_store, until=D(2024, 2, 1))


def test_a_stale_edit_is_refused_and_a_current_one_kept(apps_store: Store) -> None:
    member = add(apps_store)
    first = apps_store.picc_member(member)["version"]
    second = apps_store.update_picc_member(
        member, {"role": "chair"}, expected_version=first, actor="Lan Nguyen"
    )
    assert second == first + 1
    with pytest.raises(ConflictError) as caught:
        apps_store.update_picc_member(
            member, {"role": "treasurer"}, expected_version=first, actor="Minh Tran"
        )
    assert caught.value.current["role"] == "chair"
    assert apps_store.picc_member(member)["role"] == "chair"
    trail = apps_store.history("picc_members", member)
    update = trail[trail["action"] == "update"].iloc[0]
    assert json.loads(update["before"])["role"] == "secretary"
    assert json.loads(update["after"])["role"] == "chair"
    assert len(trail) == 2  # the refused edit wrote nothing


def test_an_ended_membership_leaves_the_counts(apps_store: Store) -> None:
    mai = add(apps_store)
    add(apps_store, name="Hung Vo", gender="male")
    add(apps_store, name="Thu Do", side="management", selection="appointed")
    add(apps_store, "VN003", name="Lien Ho")
    version = apps_store.picc_member(mai)["version"]
    with pytest.raises(ValidationError, match="before she joined"):
        apps_store.end_picc_member(mai, D(2023, 1, 1), expected_version=version, actor="Lan Nguyen")
    apps_store.end_picc_member(mai, D(2025, 6, 30), expected_version=version, actor="Lan Nguyen")
    counts = apps_store.picc_counts(factory_ids=["VN001", "KH001"], as_of=D(2025, 7, 1))
    assert counts.values.tolist() == [
        ["KH001", "worker", 0, 0, 0, 0],
        ["KH001", "management", 0, 0, 0, 0],
        ["VN001", "worker", 0, 1, 0, 1],
        ["VN001", "management", 1, 0, 0, 1],
    ]
    before = apps_store.picc_counts(as_of=D(2025, 6, 1))
    assert before.set_index(["factory_id", "side"])["female"].to_dict() == {
        ("VN001", "worker"): 1,
        ("VN001", "management"): 1,
        ("VN003", "worker"): 1,
        ("VN003", "management"): 0,
    }
    current = apps_store.picc_register_frame(factory_ids=["VN001"], current_on=D(2025, 7, 1))
    assert sorted(current["name"]) == ["Hung Vo", "Thu Do"]
    assert len(apps_store.picc_register_frame(factory_ids=["VN001"])) == 3  # she stays listed


def test_a_factory_person_keeps_her_own_register_and_a_reader_none(apps_store: Store) -> None:
    apps_store.add_user(
        "Ngoc Bui",
        role="factory",
        country="Vietnam",
        factory="VN001",
        password_hash=password_hash(),
        actor="test",
    )
    assert apps_store.add_picc_member("VN001", MAI, actor="Ngoc Bui")
    with pytest.raises(NotAllowedError, match="not for VN003"):
        apps_store.add_picc_member("VN003", MAI, actor="Ngoc Bui")
    with pytest.raises(NotAllowedError):
        apps_store.add_picc_member("VN001", MAI, actor="Hoa Le")  # read-only
    assert len(apps_store.picc_register_frame()) == 1


# -- meetings: decisions, minutes, corrections ------------------------------------------------

MEETING = {
    "factory_id": "VN001",
    "date": D(2024, 5, 14),
    "kind": "PICC meeting",
    "attendees": "Mai Pham, Thu Do",
    "topics": "Overtime roster",
    "decisions": "Roster posted weekly",
}


def test_a_meeting_keeps_its_decisions_and_minutes(apps_store: Store) -> None:
    minutes = Upload("minutes May.pdf", "application/pdf", PDF)
    visit = apps_store.add_visit(MEETING, "Lan Nguyen", minutes=minutes)
    row = apps_store.visits_frame(factory_ids=["VN001"]).iloc[0]
    assert row["decisions"] == "Roster posted weekly"
    assert row["minutes_filename"] == "minutes May.pdf"
    found = apps_store.visit_minutes(visit)
    assert (found["factory_id"], found["size"], found["media_type"]) == (
        "VN001",
        len(PDF),
        "application/pdf",
    )
    assert apps_store.evidence_file(found["sha256"])[0] == PDF
    assert apps_store.history("evidence_files", minutes.sha256)["action"].tolist() == ["insert"]


def test_a_visit_is_corrected_by_its_author_alone(apps_store: Store) -> None:
    visit = apps_store.add_visit(MEETING, "Lan Nguyen")
    version = apps_store.visit(visit)["version"]
    with pytest.raises(NotAllowedError, match="only its author may correct it"):
        apps_store.update_visit(
            visit, {"topics": "Something else"}, expected_version=version, actor="Minh Tran"
        )
    minutes = Upload("minutes.pdf", "application/pdf", PDF)
    new = apps_store.update_visit(
        visit,
        {"decisions": "Roster posted every Monday"},
        expected_version=version,
        actor="Lan Nguyen",
        minutes=minutes,
    )
    assert new == version + 1
    stored = apps_store.visit(visit)
    assert stored["decisions"] == "Roster posted every Monday"
    assert stored["topics"] == "Overtime roster"
    assert stored["minutes_filename"] == "minutes.pdf"
    with pytest.raises(ConflictError):  # her other tab, opened before the correction
        apps_store.update_visit(
            visit, {"topics": "Old tab"}, expected_version=version, actor="Lan Nguyen"
        )
    trail = apps_store.history("visits", visit)
    assert trail[["actor", "action"]].values.tolist() == [
        ["Lan Nguyen", "insert"],
        ["Lan Nguyen", "update"],
    ]
    before, after = json.loads(trail["before"][1]), json.loads(trail["after"][1])
    assert before["decisions"] == "Roster posted weekly"
    assert after["decisions"] == "Roster posted every Monday"
    assert after["minutes_sha256"] == minutes.sha256


def test_a_visit_field_that_cannot_be_set_is_refused(apps_store: Store) -> None:
    visit = apps_store.add_visit(MEETING, "Lan Nguyen")
    with pytest.raises(UsageError, match="factory_id"):
        apps_store.update_visit(
            visit, {"factory_id": "VN003"}, expected_version=1, actor="Lan Nguyen"
        )
    with pytest.raises(UsageError, match="minutes_sha256"):
        apps_store.add_visit({**MEETING, "minutes_sha256": "0" * 64}, "Lan Nguyen")


# -- the command line -------------------------------------------------------------------------


def test_cli_lists_a_register_and_its_counts(sqlite_store: Store, tmp_path: Path) -> None:
    import_file(sqlite_store, "assessments", write_csv(tmp_path / "case.csv", case_lines()))
    sqlite_store.add_picc_member("VN001", MAI, actor="test")
    sqlite_store.add_picc_member(
        "VN001", {**MAI, "name": "=cmd|' /C calc'!A0", "gender": "male"}, actor="test"
    )
    db = sqlite_store.url
    listed = bw("--db", db, "picc", "VN001", "--format", "json")
    assert listed.exit_code == 0, listed.stderr
    rows = json.loads(listed.stdout)
    assert [r["name"] for r in rows] == ["=cmd|' /C calc'!A0", "Mai Pham"]
    assert rows[1]["since"] == "2024-01-15"
    as_csv = bw("--db", db, "picc", "VN001", "--format", "csv")
    assert "'=cmd" in as_csv.stdout  # a spreadsheet reads it as text, not a formula
    counts = bw("--db", db, "picc", "VN001", "--counts", "--format", "csv")
    assert counts.stdout.splitlines() == [
        "factory_id,side,female,male,other,total",
        "VN001,worker,1,1,0,2",
        "VN001,management,0,0,0,0",
    ]
    unknown = bw("--db", db, "picc", "XX999")
    assert unknown.exit_code == 2
    assert "no factory 'XX999'" in unknown.stderr
