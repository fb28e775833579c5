"""Importing assessments, Improvement Plans and partners: every problem reported, all or nothing."""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from openpyxl import Workbook

import bwcases.io.readers
from bwcases.analysis.queries import progress
from bwcases.core.errors import InputError
from bwcases.io.importers import import_file
from bwcases.store import Store
from tests.helpers import EXPORT_HEADER, PLAN_HEADER, bw, state, write_csv

COLUMNS = EXPORT_HEADER.split(",")
NEW_ROW = {
    "Country": "Vietnam",
    "Cycle": "1",
    "Factory.Assessed.ID": "VN009",
    "Factory.Assessed.Name": "New Mill",
    "Quest.ID": "2001",
    "Assesment.Start.Date": "15/03/2023",
    "Question.type": "NCQ",
    "Q.Label": "Are workers paid the minimum wage?",
    "Question.ID": "CMP.MW.01",
    "CP": "Minimum Wages/Piece Rate Wages",
    "Cluster": "Compensation",
    "Finding": "1",
    "Tags": "",
}
# The fixture export's first row, as `loaded` and `loaded_store` hold it.
STORED_ROW = NEW_ROW | {
    "Factory.Assessed.ID": "VN001",
    "Factory.Assessed.Name": "Saigon Garments",
    "Quest.ID": "1001",
    "Tags": "Public Disclosure",
}
PARTNER_HEADER = "Partner.ID,Partner.Name,Partner.Type,Factory.ID,Consent"


def line(changes: dict[str, str] | None = None, base: dict[str, str] = NEW_ROW) -> str:
    """One CSV line of the assessment export: `base` with some values changed."""
    values = base | (changes or {})
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow([values[c] for c in COLUMNS])
    return out.getvalue()


def refused(store: Store, kind: str, path: Path) -> InputError:
    """Import a bad file: InputError, and the store exactly as it was."""
    before = state(store)
    with pytest.raises(InputError) as err:
        import_file(store, kind, path)
    after = state(store)
    assert after[0] == before[0]
    for was, now in zip(before[1:], after[1:], strict=True):
        pd.testing.assert_frame_equal(now, was)
    assert str(err.value).endswith("Nothing was written.")
    return err.value


@pytest.fixture
def loaded(store: Store, export_file: Path) -> Store:
    """A store holding the fixture export."""
    import_file(store, "assessments", export_file)
    return store


@pytest.fixture
def loaded_sqlite(sqlite_store: Store, export_file: Path) -> Store:
    import_file(sqlite_store, "assessments", export_file)
    return sqlite_store


# -- assessments: bad files -----------------------------------------------------------------

BAD_ASSESSMENTS = [
    (
        "finding-not-0-or-1",
        [line(), line({"Question.ID": "Q2", "Finding": "yes"})],
        "assessments.csv row 3, column Finding: 'yes' is not 0 or 1",
    ),
    (
        "finding-empty",
        [line({"Finding": ""})],
        "assessments.csv row 2, column Finding: is empty; an NCQ row needs its finding",
    ),
    (
        "impossible-date",
        [line({"Assesment.Start.Date": "31/02/2023"})],
        "row 2, column Assesment.Start.Date: '31/02/2023' is not a date that exists",
    ),
    (
        "iso-date",
        [line({"Assesment.Start.Date": "2023-03-15"})],
        "row 2, column Assesment.Start.Date: '2023-03-15' is not a date written dd/mm/yyyy",
    ),
    (
        "us-date",
        [line({"Assesment.Start.Date": "03/15/2023"})],
        "row 2, column Assesment.Start.Date: '03/15/2023' is not a date that exists",
    ),
    (
        "quest-not-a-number",
        [line({"Quest.ID": "Q-2001"})],
        "row 2, column Quest.ID: 'Q-2001' is not a whole number from 1",
    ),
    ("cycle-zero", [line({"Cycle": "0"})], "row 2, column Cycle: '0' is not a whole number"),
    (
        "question-type",
        [line({"Question.type": "NCQX"})],
        "row 2, column Question.type: 'NCQX' is not NCQ or FGW",
    ),
    (
        "factory-empty",
        [line({"Factory.Assessed.ID": " "})],
        "row 2, column Factory.Assessed.ID: is empty; a value is needed",
    ),
    (
        "factory-too-long",
        [line({"Factory.Assessed.ID": "X" * 65})],
        "row 2, column Factory.Assessed.ID: '" + "X" * 65 + "' is longer than 64 characters",
    ),
    (
        "conflict-in-file",
        [line(), line({"Question.ID": "Q2"}), line({"Finding": "0"})],
        "row 4, column Finding: '0' contradicts '1' at row 2 for Quest.ID 2001, "
        "Question.ID CMP.MW.01",
    ),
    (
        "conflicting-spelling-in-file",
        [line(), line({"Tags": "Public Disclosure"})],
        "row 3, column Tags: 'Public Disclosure' contradicts '' at row 2 for Quest.ID 2001",
    ),
    (
        "conflict-with-store",
        [line({"Finding": "0"}, base=STORED_ROW)],
        "row 2, column Finding: '0' contradicts '1' already stored for Quest.ID 1001, "
        "Question.ID CMP.MW.01",
    ),
    (
        "spelling-conflict-with-store",
        [line({"Cluster": "Wages"}, base=STORED_ROW)],
        "row 2, column Cluster: 'Wages' contradicts 'Compensation' already stored",
    ),
    (
        "quest-with-two-factories",
        [line(), line({"Question.ID": "Q2", "Factory.Assessed.ID": "VN010"})],
        "row 3, column Factory.Assessed.ID: 'VN010' differs from 'VN009' for Quest.ID 2001 "
        "in row 2",
    ),
    (
        "quest-with-two-dates",
        [line(), line({"Question.ID": "Q2", "Assesment.Start.Date": "16/03/2023"})],
        "row 3, column Assesment.Start.Date: '16/03/2023' differs from '15/03/2023' "
        "for Quest.ID 2001 in row 2",
    ),
    (
        "quest-stored-for-another-factory",
        [line({"Quest.ID": "1001", "Factory.Assessed.Name": "Saigon Garments"})],
        "row 2, column Factory.Assessed.ID: 'VN009' differs from 'VN001' for Quest.ID 1001 "
        "in the store",
    ),
    (
        "quest-stored-with-another-date",
        [line({"Assesment.Start.Date": "16/03/2023"}, base=STORED_ROW)],
        "row 2, column Assesment.Start.Date: '16/03/2023' differs from '15/03/2023' "
        "for Quest.ID 1001 in the store",
    ),
    (
        "factory-in-another-country",
        [line({"Country": "Cambodia", "Quest.ID": "2002"}, base=STORED_ROW)],
        "row 2, column Country: 'Cambodia' differs from 'Vietnam', the country of factory VN001",
    ),
]


@pytest.mark.parametrize(
    ("lines", "message"),
    [pytest.param(lines, message, id=name) for name, lines, message in BAD_ASSESSMENTS],
)
def test_a_bad_assessment_row_is_named_and_nothing_is_written(
    loaded_store: Store, tmp_path: Path, lines: list[str], message: str
) -> None:
    path = write_csv(tmp_path / "assessments.csv", lines)
    error = refused(loaded_store, "assessments", path)
    assert message in str(error)
    assert len(error.problems) == 1, str(error)


def test_the_row_number_is_the_one_a_spreadsheet_shows(loaded_store: Store, tmp_path: Path) -> None:
    good = [line({"Question.ID": f"Q{i}"}) for i in range(410)]
    path = write_csv(tmp_path / "assessments.csv", [*good, line({"Finding": "yes"})])
    error = refused(loaded_store, "assessments", path)
    assert str(error).splitlines()[0] == (
        "assessments.csv row 412, column Finding: 'yes' is not 0 or 1 "
        "(the finding of an NCQ question)"
    )


def test_a_missing_column_is_named(loaded_store: Store, tmp_path: Path) -> None:
    header = EXPORT_HEADER.replace(",Finding", "")
    path = write_csv(tmp_path / "assessments.csv", ["x"], header=header)
    error = refused(loaded_store, "assessments", path)
    assert [(p.row, p.column) for p in error.problems] == [(1, "Finding")]
    assert "column Finding: the column is missing" in str(error)


def test_problems_in_every_chunk_are_all_reported(
    loaded_store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bwcases.io.readers, "CHUNK_ROWS", 10)
    rows = [line({"Question.ID": f"Q{i}"}) for i in range(40)]  # rows 2..41
    rows[3] = line({"Question.ID": "Q3", "Finding": "yes"})  # row 5, chunk 1
    rows[15] = line({"Question.ID": "Q15", "Assesment.Start.Date": "31/02/2023"})  # chunk 2
    rows[27] = line({"Question.ID": "Q27", "Question.type": "ABC"})  # row 29, chunk 3
    rows[36] = line({"Question.ID": "Q1", "Finding": "0"})  # row 38, contradicts row 3
    error = refused(loaded_store, "assessments", write_csv(tmp_path / "assessments.csv", rows))
    assert [(p.row, p.column) for p in error.problems] == [
        (5, "Finding"),
        (17, "Assesment.Start.Date"),
        (29, "Question.type"),
        (38, "Finding"),
    ]
    assert "'0' contradicts '1' earlier in the file for Quest.ID 2001, Question.ID Q1" in str(error)


def test_problems_past_the_cap_are_counted(
    loaded_store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bwcases.io.readers, "CHUNK_ROWS", 25)
    rows = [line({"Question.ID": f"Q{i}", "Finding": "2"}) for i in range(120)]
    error = refused(loaded_store, "assessments", write_csv(tmp_path / "assessments.csv", rows))
    assert len(error.problems) == 50 and error.more == 70
    assert [p.row for p in error.problems] == list(range(2, 52))
    assert "... and 70 more problems not listed" in str(error)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "assessments.csv: the file is empty"),
        ((EXPORT_HEADER + "\n").encode(), "assessments.csv: has a header but no rows"),
        ((EXPORT_HEADER + "\n\n,,,\n").encode(), "assessments.csv: has a header but no rows"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200), "is neither a text file"),
    ],
    ids=["0-bytes", "header-only", "header-and-blank-rows", "png-named-csv"],
)
def test_files_without_rows_are_refused(
    loaded_sqlite: Store, tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "assessments.csv"
    path.write_bytes(content)
    assert message in str(refused(loaded_sqlite, "assessments", path))


def test_a_latin1_file_is_refused_naming_the_row(loaded_sqlite: Store, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "assessments.csv",
        [line(), line({"Question.ID": "Q2", "Factory.Assessed.Name": "Café Mill"})],
        encoding="latin-1",
    )
    error = refused(loaded_sqlite, "assessments", path)
    assert (
        str(error)
        .splitlines()[0]
        .startswith(
            "assessments.csv row 3, column Factory.Assessed.Name: 'Café Mill' is not UTF-8 text"
        )
    )


# -- assessments: the same rows in other shapes ---------------------------------------------


def _xlsx(path: Path, lines: list[str]) -> Path:
    """The export as a workbook, typed as Excel keeps it: numbers as floats, dates as dates."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(COLUMNS)
    for values in csv.reader(lines):
        rec: dict[str, Any] = dict(zip(COLUMNS, values, strict=True))
        for col in ("Cycle", "Quest.ID", "Finding"):
            rec[col] = float(rec[col])
        rec["Assesment.Start.Date"] = dt.datetime.strptime(rec["Assesment.Start.Date"], "%d/%m/%Y")
        rec["Tags"] = rec["Tags"] or None
        sheet.append([rec[c] for c in COLUMNS])
    book.save(path)
    return path


@pytest.mark.parametrize(
    "shape",
    ["utf-8-bom", "utf-16-bom", "utf-16-be-bom", "semicolons", "crlf", "xlsx", "xlsx-named-csv"],
)
def test_other_shapes_of_the_export_import_the_same(
    sqlite_store: Store, tmp_path: Path, export_file: Path, export_lines: list[str], shape: str
) -> None:
    text = export_file.read_text(encoding="utf-8")
    path = tmp_path / "shaped.csv"
    if shape == "utf-8-bom":
        path.write_bytes(codecs.BOM_UTF8 + text.encode("utf-8"))
    elif shape == "utf-16-bom":
        path.write_bytes(text.encode("utf-16"))
    elif shape == "utf-16-be-bom":
        path.write_bytes(codecs.BOM_UTF16_BE + text.encode("utf-16-be"))
    elif shape == "semicolons":
        rows = list(csv.reader(io.StringIO(text)))
        out = io.StringIO()
        csv.writer(out, delimiter=";", lineterminator="\n").writerows(rows)
        path.write_text(out.getvalue(), encoding="utf-8")
    elif shape == "crlf":
        path.write_bytes(text.replace("\n", "\r\n").encode("utf-8"))
    else:
        path = _xlsx(tmp_path / ("shaped.xlsx" if shape == "xlsx" else "shaped.csv"), export_lines)
    first = import_file(sqlite_store, "assessments", path)
    assert "4 assessments, 8 findings, 3 factories and 7 questions added" in first
    before = state(sqlite_store)
    again = import_file(sqlite_store, "assessments", export_file)
    assert "0 assessments, 0 findings, 0 factories and 0 questions added" in again
    assert sqlite_store.snapshot_id() == before[0]
    fgw = sqlite_store.findings_frame().query("question_type == 'FGW'")
    assert list(fgw["fact"]) == ["1250"]


def test_the_fixture_export_is_stored_as_it_came(loaded_store: Store) -> None:
    frame = loaded_store.findings_frame()
    assert len(frame) == 8
    row = frame[(frame["quest_id"] == 1500) & (frame["question_id"] == "CMP.MW.01")].iloc[0]
    assert row["tags"] == "Public Disclosure;Critical"
    assert row["start_date"] == pd.Timestamp(2024, 4, 20)
    assert row["finding"] == 1 and row["cycle"] == 2
    assert set(frame["cluster"]) >= {"Systems", "Occupational Safety and Health"}
    assert "Hazardous Work" in set(frame["compliance_point"])
    assert (
        loaded_store.factories_frame().set_index("factory_id").loc["VN002", "status"] == "obsolete"
    )


@pytest.mark.slow
def test_a_very_large_file_is_streamed(tmp_path: Path) -> None:
    rows = 1_500_000
    path = tmp_path / "assessments.csv"
    with path.open("w", encoding="utf-8") as fh:
        fh.write(EXPORT_HEADER + "\n")
        for i in range(rows):
            quest = 100_000 + i // 250
            factory = quest // 3
            fh.write(
                f"Vietnam,{quest % 3 + 1},VN{factory},Factory {factory},{quest},15/03/2023,NCQ,"
                f'"Are workers paid, at least, the minimum wage?",Q.{i % 250},'
                f"Minimum Wages/Piece Rate Wages,Compensation,{i % 2},Public Disclosure\n"
            )
    size = path.stat().st_size
    script = (
        "import resource, sys\n"
        "from bwcases.io.importers import import_file\n"
        "from bwcases.store import Store\n"
        "store = Store(sys.argv[1])\n"
        "base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "print(import_file(store, 'assessments', sys.argv[2]))\n"
        "print(store.count_findings())\n"
        "print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base) * 1024)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, f"sqlite:///{tmp_path / 'big.sqlite'}", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    summary, findings, growth = done.stdout.splitlines()
    assert f"{rows} rows read: 6000 assessments, {rows} findings" in summary
    assert int(findings) == rows
    # Reading the whole file at once takes more memory than the file; chunks take a fraction.
    assert int(growth) < size / 2, f"peak memory grew by {int(growth) >> 20} MiB for {size >> 20}"
    # its speed is a figure, not an assertion: benchmarks/bench_store.py prints rows/s


# -- the CLI ---------------------------------------------------------------------------------


def test_the_cli_exits_2_with_one_line_per_problem(loaded_store: Store, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "assessments.csv",
        [line({"Assesment.Start.Date": "31/02/2023"}), line({"Question.ID": "Q2", "Finding": "y"})],
    )
    before = state(loaded_store)
    result = bw("--db", loaded_store.url, "import", "assessments", str(path))
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "bwcases: assessments.csv row 2, column Assesment.Start.Date: '31/02/2023' is not a date "
        "that exists (dd/mm/yyyy)",
        "bwcases: assessments.csv row 3, column Finding: 'y' is not 0 or 1 "
        "(the finding of an NCQ question)",
        "bwcases: Nothing was written.",
    ]
    assert loaded_store.snapshot_id() == before[0]
    result = bw("--db", loaded_store.url, "import", "assessments", str(path)[:-1])
    assert result.exit_code == 2 and result.stderr.startswith("bwcases: assessments.cs: no such")


# -- Improvement Plans -----------------------------------------------------------------------

PLAN = [
    "VN001,1001,CMP.MW.01,Minimum Wages/Piece Rate Wages,Underpaid,Pay the minimum,HR,"
    "01/06/2023,Pending,",
    "VN001,,,Emergency Preparedness,Exit blocked,Clear the exit,Admin,15/05/2023,In Progress,"
    "from self-diagnosis",
    "KH001,1003,CHL.HW.01,Hazardous Work,Young workers on presses,Move them,HR,,completed,",
]


def test_an_improvement_plan_is_stored_and_updated_on_import_again(
    loaded: Store, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "plan.csv", PLAN, header=PLAN_HEADER)
    assert import_file(loaded, "improvement-plan", path).endswith(
        "3 items read, 3 added, 0 updated"
    )
    items = loaded.plan_items_frame().set_index("issue")
    assert list(items.loc["Underpaid", ["quest_id", "question_id", "source", "status"]]) == [
        1001,
        "CMP.MW.01",
        "finding",
        "Pending",
    ]
    diagnosis = items.loc["Exit blocked"]
    assert pd.isna(diagnosis["quest_id"]) and pd.isna(diagnosis["question_id"])
    assert (diagnosis["source"], diagnosis["status"]) == ("self-diagnosis", "In Progress")
    assert items.loc["Underpaid", "due_date"] == dt.date(2023, 6, 1)
    assert items.loc["Young workers on presses", "status"] == "Completed"
    # the file says when it was due, not when it was done: days to complete are unknown
    assert pd.isna(items.loc["Young workers on presses", "completed_on"])
    done = progress(loaded, factory_id="KH001").set_index("factory_id")
    assert done.loc["KH001", "completed"] == 1
    assert pd.isna(done.loc["KH001", "median_days_to_complete"])

    before = state(loaded)
    again = import_file(loaded, "improvement-plan", path)
    assert again.endswith("3 items read, 0 added, 0 updated")
    assert loaded.snapshot_id() == before[0]

    write_csv(path, [PLAN[0].replace("Pending", "In Progress"), *PLAN[1:]], header=PLAN_HEADER)
    assert import_file(loaded, "improvement-plan", path).endswith("0 added, 1 updated")
    items = loaded.plan_items_frame().set_index("issue")
    assert len(items) == 3
    assert items.loc["Underpaid", "status"] == "In Progress"


def test_a_plan_with_only_the_required_columns_keeps_what_advisors_wrote(
    loaded: Store, tmp_path: Path
) -> None:
    import_file(
        loaded, "improvement-plan", write_csv(tmp_path / "full.csv", PLAN, header=PLAN_HEADER)
    )
    slim = write_csv(
        tmp_path / "slim.csv",
        ["VN001,Emergency Preparedness,Exit blocked,Completed"],
        header="Factory.ID,Compliance.point,Issue,Status",
    )
    assert import_file(loaded, "improvement-plan", slim).endswith("0 added, 1 updated")
    items = loaded.plan_items_frame().set_index("issue")
    assert items.loc["Exit blocked", "status"] == "Completed"
    assert items.loc["Exit blocked", "action"] == "Clear the exit"
    assert items.loc["Exit blocked", "notes"] == "from self-diagnosis"


BAD_PLANS = [
    (
        "unknown-status",
        "VN001,1001,CMP.MW.01,Minimum Wages/Piece Rate Wages,Underpaid,Pay,HR,01/06/2023,Done,",
        "plan.csv row 3, column Status: 'Done' is not Pending, In Progress or Completed",
    ),
    (
        "unknown-factory",
        "VN999,,,Emergency Preparedness,Exit locked,Clear,Admin,,Pending,",
        "plan.csv row 3, column Factory.ID: 'VN999' is not a factory in the store",
    ),
    (
        "quest-of-another-factory",
        "VN001,1003,CHL.HW.01,Hazardous Work,Young workers,Move them,HR,,Pending,",
        "plan.csv row 3, column Quest.ID: '1003' is an assessment of factory KH001, not of VN001",
    ),
    (
        "unknown-quest",
        "VN001,9999,CMP.MW.01,Minimum Wages/Piece Rate Wages,Underpaid,Pay,HR,,Pending,",
        "plan.csv row 3, column Quest.ID: '9999' is not an assessment in the store",
    ),
    (
        "question-not-asked",
        "VN001,1001,CMP.XX.99,Minimum Wages/Piece Rate Wages,Underpaid,Pay,HR,,Pending,",
        "plan.csv row 3, column Question.ID: 'CMP.XX.99' is not a question of assessment 1001",
    ),
    (
        "quest-without-question",
        "VN001,1001,,Minimum Wages/Piece Rate Wages,Underpaid,Pay,HR,,Pending,",
        "plan.csv row 3, column Question.ID: is empty but Quest.ID is given",
    ),
    (
        "impossible-due-date",
        "VN001,,,Emergency Preparedness,Exit locked,Clear,Admin,30/02/2024,Pending,",
        "plan.csv row 3, column Due.Date: '30/02/2024' is not a date that exists",
    ),
    (
        "compliance-point-empty",
        "VN001,,,,Exit locked,Clear,Admin,,Pending,",
        "plan.csv row 3, column Compliance.point: is empty; a value is needed",
    ),
]


@pytest.mark.parametrize(
    ("row", "message"), [pytest.param(row, msg, id=name) for name, row, msg in BAD_PLANS]
)
def test_a_bad_plan_item_is_named_and_nothing_is_written(
    loaded_store: Store, tmp_path: Path, row: str, message: str
) -> None:
    path = write_csv(tmp_path / "plan.csv", [PLAN[1], row], header=PLAN_HEADER)
    error = refused(loaded_store, "improvement-plan", path)
    assert str(error).splitlines()[0].startswith(message)
    assert len(error.problems) == 1, str(error)


def test_the_same_plan_item_twice_with_other_values_is_refused(
    loaded_store: Store, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "plan.csv",
        [PLAN[0], PLAN[0], PLAN[0].replace("Pending", "Completed")],
        header=PLAN_HEADER,
    )
    error = refused(loaded_store, "improvement-plan", path)
    assert [(p.row, p.column) for p in error.problems] == [(4, "Status")]
    assert "'Completed' differs from 'Pending' at row 2 for the same item" in str(error)


@pytest.mark.parametrize(
    ("header", "lines", "message"),
    [
        ("Factory.ID,Compliance.point", ["VN001,Leave"], "row 1, column Status: the column is"),
        (PLAN_HEADER, [], "plan.csv: has a header but no rows"),
    ],
    ids=["missing-status-column", "header-only"],
)
def test_a_plan_file_without_items_is_refused(
    loaded_store: Store, tmp_path: Path, header: str, lines: list[str], message: str
) -> None:
    path = write_csv(tmp_path / "plan.csv", lines, header=header)
    assert message in str(refused(loaded_store, "improvement-plan", path))


# -- partners --------------------------------------------------------------------------------

PARTNERS = [
    "B01,Brand One,buyer,VN001,yes",
    "B01,Brand One,buyer,KH001,no",
    "PAC-VN,Vietnam PAC,Governance,,",
]


def test_partners_are_stored_with_their_links_and_import_again_changes_nothing(
    loaded: Store, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "partners.csv", PARTNERS, header=PARTNER_HEADER)
    summary = import_file(loaded, "partners", path)
    assert summary.endswith("2 partners and 2 links added or changed")
    frame = loaded.partners_frame()
    columns = ["partner_id", "partner_type", "factory_id", "consent"]
    links = {tuple(None if pd.isna(v) else v for v in rec) for rec in frame[columns].values}
    assert links == {
        ("B01", "buyer", "VN001", True),
        ("B01", "buyer", "KH001", False),
        ("PAC-VN", "governance", None, None),
    }
    assert loaded.consented_factories("B01") == ["VN001"]
    before = state(loaded)
    again = import_file(loaded, "partners", path)
    assert again.endswith("0 partners and 0 links added or changed")
    assert loaded.snapshot_id() == before[0]
    write_csv(path, [PARTNERS[0], PARTNERS[1].replace(",no", ",yes")], header=PARTNER_HEADER)
    assert import_file(loaded, "partners", path).endswith("0 partners and 1 links added or changed")
    assert loaded.consented_factories("B01") == ["KH001", "VN001"]


BAD_PARTNERS = [
    (
        "unknown-factory",
        ["B01,Brand One,buyer,VN999,yes"],
        "partners.csv row 2, column Factory.ID: 'VN999' is not a factory in the store",
    ),
    (
        "bad-type",
        ["B01,Brand One,brand,VN001,yes"],
        "partners.csv row 2, column Partner.Type: 'brand' is not buyer or governance",
    ),
    (
        "bad-consent",
        ["B01,Brand One,buyer,VN001,maybe"],
        "partners.csv row 2, column Consent: 'maybe' is not yes or no",
    ),
    (
        "consent-missing",
        ["B01,Brand One,buyer,VN001,"],
        "partners.csv row 2, column Consent: is not yes or no",
    ),
    (
        "two-names",
        ["B01,Brand One,buyer,VN001,yes", "B01,Brand 1,buyer,KH001,yes"],
        "partners.csv row 3, column Partner.Name: 'Brand 1' differs from 'Brand One' at row 2",
    ),
    (
        "two-consents",
        ["B01,Brand One,buyer,VN001,yes", "B01,Brand One,buyer,VN001,no"],
        "partners.csv row 3, column Consent: 'no' differs from 'yes' at row 2 for the same link",
    ),
]


@pytest.mark.parametrize(
    ("lines", "message"), [pytest.param(lines, msg, id=name) for name, lines, msg in BAD_PARTNERS]
)
def test_a_bad_partner_row_is_named_and_nothing_is_written(
    loaded_store: Store, tmp_path: Path, lines: list[str], message: str
) -> None:
    path = write_csv(tmp_path / "partners.csv", lines, header=PARTNER_HEADER)
    error = refused(loaded_store, "partners", path)
    assert str(error).splitlines()[0].startswith(message)
    assert len(error.problems) == 1


def test_a_partner_file_is_refused_as_a_whole(loaded_store: Store, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "partners.csv",
        ["B01,Brand One,buyer,VN001,yes", "B02,Brand Two,buyer,XX001,yes", "B03,,buyer,,"],
        header=PARTNER_HEADER,
    )
    error = refused(loaded_store, "partners", path)
    assert [(p.row, p.column) for p in error.problems] == [(3, "Factory.ID"), (4, "Partner.Name")]
    assert loaded_store.partners_frame().empty


# -- hardening: what no file may bring in -----------------------------------------------------


def plan_line(changes: dict[str, str]) -> str:
    """One CSV line of an Improvement Plan: the self-diagnosis item of PLAN with some values
    changed."""
    values = dict(zip(PLAN_HEADER.split(","), next(csv.reader([PLAN[1]])), strict=True))
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow((values | changes).values())
    return out.getvalue()


@pytest.mark.parametrize(
    ("char", "code"), [("\x00", "U+0000"), ("\x1b", "U+001B")], ids=["nul", "esc"]
)
def test_control_characters_past_the_first_64_kb_are_refused(
    loaded_store: Store, tmp_path: Path, char: str, code: str
) -> None:
    good = [line({"Question.ID": f"Q{i}"}) for i in range(600)]  # 80 KB
    bad = line({"Question.ID": "Q600", "Q.Label": f"Are exits{char} unlocked?"})
    path = write_csv(tmp_path / "assessments.csv", [*good, bad])
    assert path.stat().st_size > 65536
    error = refused(loaded_store, "assessments", path)
    assert [(p.row, p.column) for p in error.problems] == [(602, "Q.Label")]
    assert str(error).splitlines()[0] == (
        f"assessments.csv row 602, column Q.Label: {'Are exits' + char + ' unlocked?'!r} "
        f"holds the control character {code}, which is not text; remove it"
    )


def test_malformed_quoting_is_refused_as_the_careful_reader_refuses_it(
    loaded_store: Store, tmp_path: Path
) -> None:
    bad = line({"Question.ID": "Q2"}).replace("Are workers paid", '"Name "quoted" inside"', 1)
    path = write_csv(tmp_path / "assessments.csv", [line(), bad, line({"Question.ID": "Q3"})])
    error = refused(loaded_store, "assessments", path)
    assert str(error).splitlines() == [
        "assessments.csv row 3: cannot be read as CSV: ',' expected after '\"' (is a quote left "
        "open?); nothing after it was read",
        "Nothing was written.",
    ]


@pytest.mark.parametrize(
    ("column", "field"),
    [
        ("Issue", "issue"),
        ("Action", "action"),
        ("Notes", "notes"),
        ("Responsible", "responsible"),
        ("Compliance.point", "compliance_point"),
    ],
)
def test_plan_texts_longer_than_the_advisor_form_allows_are_refused(
    loaded: Store, tmp_path: Path, column: str, field: str
) -> None:
    from bwcases.apps.forms import validate_item
    from bwcases.core.domain import ITEM_TEXT_LIMITS, Status

    limit = ITEM_TEXT_LIMITS[field]
    fits = write_csv(tmp_path / "plan.csv", [plan_line({column: "x" * limit})], header=PLAN_HEADER)
    assert import_file(loaded, "improvement-plan", fits).endswith("1 added, 0 updated")
    long = "x" * (limit + 1)
    path = write_csv(tmp_path / "plan.csv", [plan_line({column: long})], header=PLAN_HEADER)
    error = refused(loaded, "improvement-plan", path)
    assert [(p.row, p.column) for p in error.problems] == [(2, column)]
    assert str(error).splitlines()[0] == (
        f"plan.csv row 2, column {column}: '{'x' * 60}… ({limit + 1:,} characters)' "
        f"is longer than {limit} characters"
    )
    form = {"issue": "Exit", "action": "Clear", "responsible": "HR", "due_date": None}
    problems = validate_item(
        form | {field: long}, old_status=Status.PENDING, reason="", earliest_due=None, _=str
    )
    assert problems.get(field) == f"At most {limit} characters."


def test_a_plan_value_of_megabytes_is_refused(loaded_store: Store, tmp_path: Path) -> None:
    issue = "Exit blocked by boxes. " * 50_000  # 1.1 MB
    path = write_csv(
        tmp_path / "plan.csv", [PLAN[0], plan_line({"Issue": issue}), PLAN[2]], header=PLAN_HEADER
    )
    error = refused(loaded_store, "improvement-plan", path)
    assert str(error).splitlines()[0] == (
        "plan.csv row 3: has a value longer than 131,072 characters (is a quote left open?); "
        "nothing after it was read"
    )


def test_an_xlsx_plan_is_held_to_the_same_limits(loaded_store: Store, tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(PLAN_HEADER.split(","))
    sheet.append(
        [
            "VN001",
            None,
            None,
            "Emergency Preparedness",
            "Exit",
            "Clear " * 1000,
            "HR",
            None,
            "Pending",
        ]
    )
    book.save(tmp_path / "plan.xlsx")
    error = refused(loaded_store, "improvement-plan", tmp_path / "plan.xlsx")
    assert "plan.xlsx row 2, column Action: 'Clear Clear" in str(error)
    assert "is longer than 5000 characters" in str(error)


# -- assessments: the fast path (Arrow, codes, rows bound in bulk) against the careful one ------


def _careful_only(*args: object, **kwargs: object):
    raise ValueError("read carefully")
    yield


def test_a_bad_value_in_later_chunks_names_each_of_its_rows_as_the_careful_reader_does(
    loaded_store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bwcases.io.readers, "CHUNK_ROWS", 10)
    rows = [line({"Question.ID": f"Q{i}"}) for i in range(40)]  # rows 2..41
    for i in (12, 13, 27):  # rows 14, 15 (chunk 2) and 29 (chunk 3): one value, three rows
        rows[i] = line({"Question.ID": f"Q{i}", "Assesment.Start.Date": " 31/02/2023"})
    rows[30] = line({"Question.ID": "Q30", "Finding": "yes"})
    path = write_csv(tmp_path / "assessments.csv", rows)
    fast = refused(loaded_store, "assessments", path)
    with monkeypatch.context() as m:
        m.setattr(bwcases.io.readers.Table, "_fast_csv_chunks", _careful_only)
        careful = refused(loaded_store, "assessments", path)
    assert str(fast) == str(careful)
    assert [(p.row, p.column, p.value) for p in fast.problems] == [
        (14, "Assesment.Start.Date", "31/02/2023"),
        (15, "Assesment.Start.Date", "31/02/2023"),
        (29, "Assesment.Start.Date", "31/02/2023"),
        (32, "Finding", "yes"),
    ]


def test_a_later_block_that_is_not_utf8_is_named_and_nothing_is_written(
    loaded_store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bwcases.io.readers, "_PARSE_BYTES", 4096)  # the bad row blocks away
    rows = [line({"Question.ID": f"Q{i}"}) for i in range(300)]
    rows[250] = line({"Question.ID": "Q250", "Factory.Assessed.Name": "Café Mill"})
    path = write_csv(tmp_path / "assessments.csv", rows, encoding="latin-1")
    error = refused(loaded_store, "assessments", path)
    assert [(p.row, p.column) for p in error.problems] == [(252, "Factory.Assessed.Name")]
    assert "'Café Mill' is not UTF-8 text" in str(error)


def test_many_findings_are_stored_as_the_file_has_them(store: Store, tmp_path: Path) -> None:
    # more rows than one INSERT statement takes, FGW facts (text) among NCQ findings (0/1)
    rows = []
    for quest in (2001, 2002, 2003):
        for i in range(260):
            fgw = i % 7 == 0
            change = {"Quest.ID": str(quest), "Question.ID": f"Q{i}", "Finding": str(i % 2)}
            if fgw:
                change |= {"Question.type": "FGW", "Finding": f"{i * 10} workers"}
            rows.append(line(change))
    path = write_csv(tmp_path / "assessments.csv", rows)
    assert "780 findings" in import_file(store, "assessments", path)
    frame = store.findings_frame().sort_values(["quest_id", "question_id"], ignore_index=True)
    expected = pd.read_csv(path, dtype=str, keep_default_na=False)
    expected = expected.sort_values(["Quest.ID", "Question.ID"], ignore_index=True)
    assert list(frame["quest_id"]) == [int(q) for q in expected["Quest.ID"]]
    assert list(frame["question_id"]) == list(expected["Question.ID"])
    ncq = expected["Question.type"] == "NCQ"
    assert list(frame["finding"][ncq]) == [int(f) for f in expected["Finding"][ncq]]
    assert frame["finding"][~ncq].isna().all() and frame["fact"][ncq].isna().all()
    assert list(frame["fact"][~ncq]) == list(expected["Finding"][~ncq])
