"""Helpers the test modules share: the cases they load, the files they write, the apps they open."""

from __future__ import annotations

import datetime as dt
import functools
import os
import threading
import time
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import create_engine, make_url, text

from bwcases.apps import ImprovementPlan, PageRequest, RemediationTracker
from bwcases.auth.accounts import hash_password
from bwcases.auth.people import person
from bwcases.cli import main
from bwcases.core.domain import Status
from bwcases.io.importers import import_file
from bwcases.store import Store, Upload

ROOT = Path(__file__).resolve().parent.parent
PG_GIVEN = os.environ.get("BWCASES_TEST_PG")  # the test database ./test.sh makes
WORKER = os.environ.get("PYTEST_XDIST_WORKER")  # gw0, gw1… when pytest-xdist runs the tests
# each worker of a parallel run has a database of its own beside the given one
PG_URL = (
    make_url(PG_GIVEN)
    .set(database=f"{make_url(PG_GIVEN).database}_{WORKER}")
    .render_as_string(hide_password=False)
    if PG_GIVEN and WORKER
    else PG_GIVEN
)
BACKENDS = ["sqlite", "postgresql"]
DEMO_FACTORIES, DEMO_SEED = 60, 7  # the demo portfolio the read-only tests share

NOTEBOOKS = ROOT / "notebooks"
D = dt.date

# -- files ------------------------------------------------------------------------------------


EXPORT_HEADER = (
    "Country,Cycle,Factory.Assessed.ID,Factory.Assessed.Name,Quest.ID,Assesment.Start.Date,"
    "Question.type,Q.Label,Question.ID,CP,Cluster,Finding,Tags"
)


# A small assessment export with the quirks the programme's files have: an exact duplicate row,
# an FGW question, the old "Systems" cluster, a retired "(Obsolete)" factory, both hazardous CPs.
EXPORT_LINES = (
    "Vietnam,1,VN001,Saigon Garments,1001,15/03/2023,NCQ,Are workers paid the minimum wage?,"
    "CMP.MW.01,Minimum Wages/Piece Rate Wages,Compensation,1,Public Disclosure",
    "Vietnam,1,VN001,Saigon Garments,1001,15/03/2023,NCQ,Are workers paid the minimum wage?,"
    "CMP.MW.01,Minimum Wages/Piece Rate Wages,Compensation,1,Public Disclosure",
    "Vietnam,1,VN001,Saigon Garments,1001,15/03/2023,NCQ,Are exits unlocked?,OSH.EP.01,"
    "Emergency Preparedness,Systems,0,",
    'Vietnam,1,VN001,Saigon Garments,1001,15/03/2023,FGW,"How many workers, in total?",'
    "FGW.01,Employment Contracts,Contracts and Human Resources,1250,",
    "Vietnam,2,VN001,Saigon Garments,1500,20/04/2024,NCQ,Are workers paid the minimum wage?,"
    'CMP.MW.01,Minimum Wages/Piece Rate Wages,Compensation,1,"Public Disclosure;Critical"',
    "Vietnam,2,VN001,Saigon Garments,1500,20/04/2024,NCQ,Are exits unlocked?,OSH.EP.01,"
    "Emergency Preparedness,Occupational Safety and Health,1,",
    "Vietnam,1,VN002,Hanoi Knit (Obsolete),1002,02/05/2023,NCQ,Are exits unlocked?,OSH.EP.01,"
    "Emergency Preparedness,Systems,1,",
    "Cambodia,1,KH001,Phnom Penh Apparel,1003,10/06/2023,NCQ,Is hazardous work by children "
    "prevented?,CHL.HW.01,Hazardous Work,Child Labour,1,",
    "Cambodia,1,KH001,Phnom Penh Apparel,1003,10/06/2023,NCQ,Are children kept from the worst "
    "forms?,CHL.UW.01,Unconditional Worst Forms,Child Labour,0,",
)


def write_csv(
    path: Path, lines: list[str], header: str = EXPORT_HEADER, encoding: str = "utf-8"
) -> Path:
    """Write a CSV file with a header and lines."""
    path.write_text("\n".join([header, *lines]) + "\n", encoding=encoding)
    return path


PLAN_HEADER = "Factory.ID,Quest.ID,Question.ID,Compliance.point,Issue,Action,Responsible,Due.Date,Status,Notes"


def zip_workbook(path: Path, sheet: bytes, **parts: bytes) -> Path:
    """An XLSX file whose first sheet is `sheet` (its XML), deflated as Excel does."""
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rels = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    kinds = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    files = {
        "[Content_Types].xml": (
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{kinds}.sheet.main+xml"/>'
            f'<Override PartName="/xl/worksheets/sheet1.xml" '
            f'ContentType="{kinds}.worksheet+xml"/></Types>'
        ).encode(),
        "_rels/.rels": (
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{rels}/officeDocument" Target="xl/workbook.xml"/>'
            "</Relationships>"
        ).encode(),
        "xl/workbook.xml": (
            f'<workbook xmlns="{main}" xmlns:r="{rels}"><sheets>'
            '<sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ).encode(),
        "xl/_rels/workbook.xml.rels": (
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{rels}/worksheet" Target="worksheets/sheet1.xml"/>'
            "</Relationships>"
        ).encode(),
        "xl/worksheets/sheet1.xml": sheet,
        **{name.replace("__", "/").replace("_", "."): data for name, data in parts.items()},
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return path


def sheet_xml(rows: list[list[str]], dimension: str = "") -> bytes:
    """A sheet's XML with these rows of inline strings."""
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    body = "".join(
        "<row>" + "".join(f'<c t="inlineStr"><is><t>{v}</t></is></c>' for v in row) + "</row>"
        for row in rows
    )
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    return f'<worksheet xmlns="{main}">{dim}<sheetData>{body}</sheetData></worksheet>'.encode()


# -- the command ------------------------------------------------------------------------------


def bw(*args: str, env: dict[str, str | None] | None = None, stdin: str | None = None) -> Result:
    """The bwcases command run in this process by Click's runner: exit code, stdout, stderr."""
    # BWCASES_DB is unset unless `env` sets it (a developer's store must not leak in); an
    # exception the command lets escape, a traceback for a person, fails the test; the store
    # the command opened is closed, as the end of a process would close it.
    obj: dict[str, Any] = {}
    runner = CliRunner(env={"BWCASES_DB": None, **(env or {})})
    try:
        return runner.invoke(
            main,
            list(args),
            input=stdin,
            obj=obj,
            prog_name="bwcases",
            color=True,
            catch_exceptions=False,
        )
    finally:
        if "store" in obj:
            obj["store"].dispose()


# -- stores -----------------------------------------------------------------------------------


def served_store_url(backend: str, folder: Path, name: str) -> str:
    """The URL of a new store that outlives one test (a served app, a shared store)."""
    # a file in `folder` on SQLite; on PostgreSQL a database named after the test database, so
    # that two runs on one server, each with a test database of its own, keep to their own
    if backend == "sqlite":
        return f"sqlite:///{folder / 'cases.sqlite'}"
    if not PG_URL:
        pytest.skip("no PostgreSQL server: set BWCASES_TEST_PG (./test.sh does)")
    return pg_database(f"{make_url(PG_URL).database}_{name}")


def pg_database(name: str) -> str:
    """The URL of a new, empty database on the PostgreSQL test server."""
    assert PG_GIVEN, "no PostgreSQL server: set BWCASES_TEST_PG"
    engine = create_engine(PG_GIVEN, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return make_url(PG_GIVEN).set(database=name).render_as_string(hide_password=False)


def state(store: Store) -> tuple[Any, ...]:
    """Everything an import could change."""
    return (
        store.snapshot_id(),
        store.findings_frame(),
        store.factories_frame(),
        store.plan_items_frame(),
        store.partners_frame(),
    )


def twice_at_once(store: Store, work: Callable[[Store], Any]) -> list[Any]:
    """What `work` returned (or raised) when two connections to the store did it at once."""
    outcomes: list[Any] = []

    def run() -> None:
        other = Store(store.url)
        try:
            outcomes.append(work(other))
        except BaseException as exc:  # kept, to be looked at by the test
            outcomes.append(exc)
        finally:
            other.dispose()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return outcomes


# -- the cases --------------------------------------------------------------------------------


SCRIPT_ISSUE = "Wages below the minimum <script>alert('pwned')</script>"


def _row(
    country: str,
    cycle: int,
    fid: str,
    name: str,
    quest: int,
    date: str,
    qid: str,
    cp: str,
    cluster: str,
    finding: int,
    qtype: str = "NCQ",
) -> str:
    return f'{country},{cycle},{fid},{name},{quest},{date},{qtype},"Question {qid}?",{qid},"{cp}",{cluster},{finding},'


def case_lines() -> list[str]:
    """Saigon Garments: three assessments; the latest two differ CP by CP."""
    sg = ("Vietnam", "VN001", "Saigon Garments")

    def vn(cycle: int, quest: int, date: str, qid: str, cp: str, cluster: str, f: int) -> str:
        return _row(sg[0], cycle, sg[1], sg[2], quest, date, qid, cp, cluster, f)

    mw, ot, ep, gender, leave = (
        ("CMP.MW.01", "Minimum Wages/Piece Rate Wages", "Compensation"),
        ("WT.OT.01", "Overtime", "Working Time"),
        ("OSH.EP.01", "Emergency Preparedness", "Occupational Safety and Health"),
        ("DIS.GE.01", "Gender", "Discrimination"),
        ("CMP.PL.01", "Paid Leave", "Compensation"),
    )
    return [
        # the oldest assessment: not compared
        vn(1, 800, "01/02/2022", *gender, 1),
        # the one before the latest
        vn(2, 1001, "15/03/2023", *mw, 1),
        vn(2, 1001, "15/03/2023", "CMP.MW.02", mw[1], mw[2], 0),
        vn(2, 1001, "15/03/2023", *ot, 0),
        vn(2, 1001, "15/03/2023", ep[0], ep[1], "Systems", 1),  # old name of the OSH cluster
        vn(2, 1001, "15/03/2023", *gender, 0),
        # the latest
        vn(3, 1500, "20/04/2024", *mw, 1),
        vn(3, 1500, "20/04/2024", "CMP.MW.02", mw[1], mw[2], 0),
        vn(3, 1500, "20/04/2024", *ot, 1),
        vn(3, 1500, "20/04/2024", *ep, 0),
        vn(3, 1500, "20/04/2024", *gender, 0),
        vn(3, 1500, "20/04/2024", *leave, 1),
        _row(
            *sg[:1],
            3,
            sg[1],
            sg[2],
            1500,
            "20/04/2024",
            "FGW.01",
            "Employment Contracts",
            "Contracts and Human Resources",
            1250,
            "FGW",
        ),  # fmt: skip
        # other factories
        _row("Vietnam", 1, "VN002", "Hanoi Knit (Obsolete)", 1002, "02/05/2023", *ep, 1),
        _row("Cambodia", 1, "KH001", "Phnom Penh Apparel", 1003, "10/06/2023", *ot, 1),
    ]


def plan_values(
    factory_id: str, cp: str, issue: str, status: str, due: dt.date | None, **more: Any
) -> dict[str, Any]:
    """A plan item's values (a self-diagnosis item unless `more` says otherwise)."""
    values = {
        "factory_id": factory_id,
        "source": "self-diagnosis",
        "compliance_point": cp,
        "issue": issue,
        "action": "",
        "responsible": "",
        "due_date": due,
        "status": status,
        "opened_on": D(2024, 5, 1),
    }
    return {**values, **more}


def fill_case(store: Store, tmp_path: Path) -> Store:
    """A store with Saigon Garments' case, a Cambodian factory and a retired record."""
    import_file(store, "assessments", write_csv(tmp_path / "case.csv", case_lines()))
    store.update_factories(
        [
            {"factory_id": "VN001", "advisor": "Lan Nguyen", "workers": 1250},
            {"factory_id": "KH001", "advisor": "Sokha Chan", "workers": 800},
        ],
        actor="test",
    )
    mw = "Minimum Wages/Piece Rate Wages"
    items = [
        plan_values(
            "VN001",
            mw,
            SCRIPT_ISSUE,
            "In Progress",
            D(2024, 6, 30),
            source="finding",
            quest_id=1500,
            question_id="CMP.MW.01",
            action="Pay the arrears & fix the payroll",
            responsible="HR manager",
        ),
        plan_values(
            "VN001", "Emergency Preparedness", "Exit blocked by boxes", "Pending", D(2099, 1, 31)
        ),
        plan_values(
            "VN001",
            "Overtime",
            "Overtime over the limit",
            "Completed",
            D(2024, 7, 1),
            completed_on=D(2024, 7, 1),
        ),  # fmt: skip
        plan_values("KH001", "Overtime", "Cambodian item", "Pending", D(2024, 9, 1)),
    ]
    for values in items:
        add_item(store, values, actor="advisor")
    return store


def add_item(store: Store, values: dict[str, Any], actor: str) -> int:
    """A plan item made as the apps make one: saved on its opening day (Pending or In
    Progress), a completion then recorded by a progress update with a note and evidence."""
    values = dict(values)
    completed_on = values.pop("completed_on", None)
    on = values.get("opened_on") or dt.date.today()
    completed = values.get("status") == Status.COMPLETED
    if completed:
        values["status"] = Status.IN_PROGRESS.value
    item, version = store.save_plan_item(None, values, expected_version=None, actor=actor, on=on)
    if completed:
        store.add_progress(
            item,
            date=completed_on or on,
            note="Done",
            new_status=Status.COMPLETED,
            expected_version=version,
            actor=actor,
            files=(Upload("done.pdf", "application/pdf", PDF),),
        )
    return item


PASSWORD = "correct horse battery"
USERS = [  # name, role, country
    ("Lan Nguyen", "advisor", "Vietnam"),  # advisor of VN001 and VN003
    ("Minh Tran", "staff", "Vietnam"),
    ("Hoa Le", "readonly", "Vietnam"),
    ("Sokha Chan", "advisor", "Cambodia"),  # advisor of KH001
]
PD = "Public Disclosure"


def _line(
    quest: int, date: str, cycle: int, qid: str, cp: str, cluster: str, f: int, tags: str = ""
) -> str:
    return f'Vietnam,{cycle},VN003,Dong Nai Textiles,{quest},{date},NCQ,"Question {qid}?",{qid},"{cp}",{cluster},{f},{tags}'


MORE_LINES = [
    _line(
        2001,
        "10/05/2023",
        1,
        "CMP.WI.01",
        "Wage Information, Use and Deduction",
        "Compensation",
        1,
        PD,
    ),
    _line(
        2001,
        "10/05/2023",
        1,
        "OSH.CH.01",
        "Chemicals and Hazardous Substances",
        "Occupational Safety and Health",
        0,
    ),
    _line(
        2001,
        "10/05/2023",
        1,
        "FOA.FA.01",
        "Freedom to Associate",
        "Freedom of Association and Collective Bargaining",
        1,
    ),
    _line(
        2600,
        "01/06/2024",
        2,
        "CMP.WI.01",
        "Wage Information, Use and Deduction",
        "Compensation",
        1,
        PD,
    ),
    _line(
        2600,
        "01/06/2024",
        2,
        "OSH.CH.01",
        "Chemicals and Hazardous Substances",
        "Occupational Safety and Health",
        1,
    ),
    _line(
        2600,
        "01/06/2024",
        2,
        "FOA.FA.01",
        "Freedom to Associate",
        "Freedom of Association and Collective Bargaining",
        0,
    ),
]


@functools.cache
def password_hash() -> str:
    """PASSWORD hashed once (hashing is slow on purpose)."""
    return hash_password(PASSWORD)


def fill_advisor_case(store: Store, tmp_path: Path) -> Store:
    """Saigon Garments' case, Dong Nai Textiles (a publicly disclosed, persistent finding), users."""
    fill_case(store, tmp_path)
    import_file(store, "assessments", write_csv(tmp_path / "more.csv", MORE_LINES))
    store.update_factories([{"factory_id": "VN003", "advisor": "Lan Nguyen"}], actor="test")
    for name, role, country in USERS:
        store.add_user(
            name, role=role, country=country, password_hash=password_hash(), actor="test"
        )
    return store


# -- the apps ---------------------------------------------------------------------------------


def open_app(cls: type, store: Store, user: str, factory_id: str = "", lang: str = "en") -> Any:
    """An app as the named person would see it."""
    return cls(store, PageRequest(person(store.user(user)), factory_id, lang))


def fill(app: ImprovementPlan, **values: Any) -> None:
    for key, value in values.items():
        app.form.fields[key].set(value)


def errors(app: ImprovementPlan) -> dict[str, str]:
    return {k: f.error.value for k, f in app.form.fields.items() if f.error.value}


PDF = b"%PDF-1.4\n% evidence\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def upload(
    name: str, content: bytes, media_type: str = "application/octet-stream"
) -> dict[str, Any]:
    """A file as ipywidgets' FileUpload holds it."""
    return {
        "name": name,
        "type": media_type,
        "size": len(content),
        "content": memoryview(content),
        "last_modified": dt.datetime(2024, 7, 1, tzinfo=dt.UTC),
    }


def plan_public_item(store: Store) -> int:
    """Lan plans the publicly disclosed, persistent finding of Dong Nai Textiles."""
    app = open_app(ImprovementPlan, store, "Lan Nguyen", "VN003")
    app.choice.value = "finding:CMP.WI.01"
    fill(
        app,
        issue="Deductions not itemised on payslips",
        action="Itemise deductions on payslips",
        responsible="Payroll",
        due_date=D(2024, 7, 31),
    )
    app.form.save.click()
    assert app.item_id is not None
    return app.item_id


def record(app: RemediationTracker, **values: Any) -> None:
    for key, value in values.items():
        app.fields[key].set(value)
    app.record.click()


# -- time -------------------------------------------------------------------------------------


class Clock:
    """A clock that moves only when the test moves it."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def kernels(pid: int) -> int:
    """Kernel processes a served app's server runs (its children)."""
    count = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        count += int(fields[1]) == pid
    return count


def settles(pid: int, expected: int, seconds: float = 60) -> int:
    """The number of the server's kernels once it reaches `expected` (or the last seen after
    `seconds`)."""
    deadline = time.monotonic() + seconds
    while (seen := kernels(pid)) != expected and time.monotonic() < deadline:
        time.sleep(0.5)
    return seen
