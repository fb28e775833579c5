"""The PICC register and corrected visits: members added, corrected (a stale copy refused) and
ended, counts by gender and side; a meeting's decisions and minutes; a visit corrected by its
author alone; all of it in the audit trail."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from bwcases.apps import CaseTimeline
from bwcases.core.errors import ConflictError, NotAllowedError, UsageError, ValidationError
from bwcases.io.importers import import_file
from bwcases.store import Store, Upload
from tests.helpers import PDF, bw, case_lines, open_app, password_hash, upload, write_csv

D = dt.date
HOSTILE = '<img src=x onerror="alert(1)"><script>alert(2)</script>'
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


def test_programme_people_keep_the_registers_of_their_portfolio_only(apps_store: Store) -> None:
    with pytest.raises(NotAllowedError, match="VN001"):
        apps_store.add_picc_member("VN001", MAI, actor="Sokha Chan")  # Cambodia's advisor
    with pytest.raises(NotAllowedError, match="KH001"):
        apps_store.add_picc_member("KH001", MAI, actor="Minh Tran")  # Vietnam's staff
    member = apps_store.add_picc_member("KH001", MAI, actor="Sokha Chan")
    with pytest.raises(NotAllowedError, match="KH001"):
        apps_store.update_picc_member(
            member, {"role": "chair"}, expected_version=1, actor="Lan Nguyen"
        )
    with pytest.raises(NotAllowedError, match="KH001"):
        apps_store.end_picc_member(member, D(2024, 6, 1), expected_version=1, actor="Minh Tran")
    assert apps_store.picc_member(member)["version"] == 1
    assert apps_store.picc_register_frame()["factory_id"].tolist() == ["KH001"]


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


def test_visits_are_never_written_by_a_reader_or_the_factory_s_person(apps_store: Store) -> None:
    apps_store.add_user(
        "Ngoc Bui",
        role="factory",
        country="Vietnam",
        factory="VN001",
        password_hash=password_hash(),
        actor="test",
    )
    for who in ("Hoa Le", "Ngoc Bui"):
        with pytest.raises(NotAllowedError, match=f"{who} cannot record or correct a visit"):
            apps_store.add_visit(MEETING, who)
    assert apps_store.visits_frame(factory_ids=["VN001"]).empty
    visit = apps_store.add_visit(MEETING, "Lan Nguyen")
    apps_store.add_user(  # her author, made a reader since
        "Lan Nguyen",
        role="readonly",
        country="Vietnam",
        password_hash="-",
        actor="test",
        replace=True,
    )
    with pytest.raises(NotAllowedError, match="Lan Nguyen cannot record or correct a visit"):
        apps_store.update_visit(visit, {"topics": "Later"}, expected_version=1, actor="Lan Nguyen")
    assert apps_store.visit(visit)["topics"] == MEETING["topics"]


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


# -- the case timeline: the register, decisions and minutes, corrections ----------------------


def timeline(store: Store, user: str = "Lan Nguyen") -> CaseTimeline:
    return open_app(CaseTimeline, store, user, "VN001")


def test_a_member_is_added_and_corrected_in_the_timeline(apps_store: Store) -> None:
    app = timeline(apps_store)
    register = app.picc
    assert "No PICC member is registered yet." in register.table.value
    register.fields["name"].set(HOSTILE)
    register.fields["side"].control.value = "management"
    register.fields["gender"].control.value = "male"
    register.fields["role"].set("chair")
    register.fields["selection"].control.value = "appointed"
    register.fields["since"].set(D(2024, 2, 1))
    register.save.click()
    assert "The member was saved." in register.message.value
    stored = apps_store.picc_register_frame(factory_ids=["VN001"])
    assert stored[["name", "side", "gender", "role", "selection"]].values.tolist() == [
        [HOSTILE, "management", "male", "chair", "appointed"]
    ]
    shown = register.table.value
    assert "<script>" not in shown and "&lt;script&gt;" in shown
    assert (
        "Members now: 1. Workers&#39; side: 0, management&#39;s side: 1. "
        "Women: 0, men: 1, other: 0." in shown
    )
    member = int(stored["id"][0])
    assert register.choice.value == str(member)  # the form shows her, to correct
    register.fields["role"].set("secretary")
    register.save.click()
    assert apps_store.picc_member(member)["role"] == "secretary"


def test_a_stale_member_form_is_refused_and_says_who_changed_it(apps_store: Store) -> None:
    member = add(apps_store)
    app = timeline(apps_store)
    app.picc.choice.value = str(member)
    version = apps_store.picc_member(member)["version"]
    apps_store.update_picc_member(
        member, {"role": "chair"}, expected_version=version, actor="Minh Tran"
    )
    app.picc.fields["role"].set("treasurer")
    app.picc.save.click()
    assert "changed by Minh Tran" in app.picc.message.value
    assert apps_store.picc_member(member)["role"] == "chair"
    assert app.picc.fields["role"].control.value == "treasurer"  # her input stays
    app.picc.save.click()  # having read the message, she saves hers over the new version
    assert apps_store.picc_member(member)["role"] == "treasurer"


def test_a_membership_is_ended_in_the_timeline(apps_store: Store) -> None:
    member = add(apps_store)
    app = timeline(apps_store)
    app.picc.choice.value = str(member)
    assert app.picc.ending.layout.display is None
    app.picc.until.set(D(2024, 1, 1))
    app.picc.end.click()
    assert "before she joined" in app.picc.until.error.value
    app.picc.until.set(D(2025, 1, 31))
    app.picc.end.click()
    assert apps_store.picc_member(member)["until"] == D(2025, 1, 31)
    assert "31/01/2025" in app.picc.table.value
    assert app.picc.ending.layout.display == "none"


def test_a_reader_sees_the_register_without_its_form(apps_store: Store) -> None:
    add(apps_store)
    app = timeline(apps_store, "Hoa Le")
    assert "Mai Pham" in app.picc.table.value
    assert app.picc.form.layout.display == "none"


def test_a_meeting_is_recorded_with_decisions_and_minutes(apps_store: Store) -> None:
    app = timeline(apps_store)
    app.fields["date"].set(D(2024, 5, 14))
    app.fields["kind"].control.value = "PICC meeting"
    app.fields["topics"].control.value = "Overtime roster"
    app.fields["decisions"].control.value = "Roster <b>posted</b> weekly"
    app.minutes.control.value = (upload("minutes May.pdf", PDF, "application/pdf"),)
    assert "Minutes to store: minutes May.pdf" in app.minutes_note.value
    app.save.click()
    assert "Saved." in app.message.value
    visit = apps_store.visits_frame(factory_ids=["VN001"]).iloc[0]
    assert visit["decisions"] == "Roster <b>posted</b> weekly"
    assert visit["minutes_filename"] == "minutes May.pdf"
    shown = app.timeline.value
    assert "Decisions: Roster &lt;b&gt;posted&lt;/b&gt; weekly" in shown
    assert f'href="/minutes/{int(visit["id"])}"' in shown
    assert "Minutes: minutes May.pdf" in shown
    assert app.minutes_note.value == ""  # the file went with the save


def test_a_file_that_is_not_minutes_saves_nothing(apps_store: Store) -> None:
    app = timeline(apps_store)
    app.fields["topics"].control.value = "Overtime roster"
    app.minutes.control.value = (upload("run.exe", b"MZ\x90\x00", "application/octet-stream"),)
    assert "run.exe is not a PDF" in app.minutes.error.value
    app.save.click()
    assert apps_store.visits_frame(factory_ids=["VN001"]).empty


def test_without_visits_of_hers_only_the_correction_chooser_hides(apps_store: Store) -> None:
    app = timeline(apps_store)
    assert app.correct.layout.display == "none"  # nothing of hers to correct
    shown = [app.fields["topics"], app.picc.fields["name"], app.picc.table, app.message]
    assert [w.layout.display for w in shown] == [None] * len(shown)


def test_her_visit_is_corrected_and_another_s_is_not_offered(apps_store: Store) -> None:
    visit = apps_store.add_visit(MEETING, "Lan Nguyen")
    apps_store.add_visit({**MEETING, "topics": "Staff's own visit"}, "Minh Tran")
    app = timeline(apps_store)
    assert [v for _label, v in app.correct.options] == ["", str(visit)]  # hers only
    app.correct.value = str(visit)
    assert app.fields["topics"].control.value == "Overtime roster"
    assert "Correct the record of 14/05/2024 (PICC meeting)" in app.form.children[0].value
    app.fields["decisions"].control.value = "Roster posted every Monday"
    app.save.click()
    assert "The correction was saved." in app.message.value
    assert apps_store.visit(visit)["decisions"] == "Roster posted every Monday"
    assert apps_store.visit(visit)["version"] == 2
    assert len(apps_store.visits_frame(factory_ids=["VN001"])) == 2  # corrected, not added
    assert app.correct.value == ""  # the form is back to a new visit
    staff = timeline(apps_store, "Minh Tran")
    assert str(visit) not in {v for _label, v in staff.correct.options}


def test_a_correction_against_a_stale_copy_is_refused(apps_store: Store) -> None:
    visit = apps_store.add_visit(MEETING, "Lan Nguyen")
    app = timeline(apps_store)
    app.correct.value = str(visit)
    apps_store.update_visit(visit, {"topics": "Other tab"}, expected_version=1, actor="Lan Nguyen")
    app.fields["decisions"].control.value = "Mine"
    app.save.click()
    assert "since you opened it" in app.message.value
    assert apps_store.visit(visit)["decisions"] == "Roster posted weekly"
