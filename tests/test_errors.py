"""Expected failures of the store end in one line that says what to do, with the README's status."""

from __future__ import annotations

import socket
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import Engine, event, make_url

from bwcases.core.errors import (
    BwcasesError,
    ConcurrentWriteError,
    StoreAccessError,
    StoreError,
    StoreFullError,
    StoreUnreachableError,
)
from bwcases.io.importers import import_file
from bwcases.store import Store
from bwcases.store.gateway import store_error
from tests.helpers import PG_URL, bw, write_csv

SECRET = "s3cret-Pa55"


def one_line(stderr: str) -> str:
    """The single line a failing command printed (and no traceback)."""
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert lines[0].startswith("bwcases: ") and "Traceback" not in stderr
    return lines[0]


def closed_port() -> int:
    """A local TCP port nobody listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_an_unreachable_server_is_one_line_without_the_password() -> None:
    url = f"postgresql+psycopg://bwcases:{SECRET}@127.0.0.1:{closed_port()}/cases"
    done = bw("--db", url, "factories")
    assert done.exit_code == 1
    line = one_line(done.stderr)
    assert "cannot reach" in line and "127.0.0.1" in line and "BWCASES_DB" in line
    assert SECRET not in done.stderr + done.stdout


ON_POSTGRESQL = pytest.mark.parametrize("backend", ["postgresql"])  # skipped without a server


@ON_POSTGRESQL
def test_a_refused_password_is_bad_input_named_with_its_user(backend: str) -> None:
    assert PG_URL
    url = make_url(PG_URL).set(password=SECRET).render_as_string(hide_password=False)
    done = bw("--db", url, "factories")
    assert done.exit_code == 2
    line = one_line(done.stderr)
    user = make_url(PG_URL).username
    assert user and user in line and "password" in line and "BWCASES_DB" in line
    assert SECRET not in done.stderr + done.stdout


@ON_POSTGRESQL
def test_a_database_that_does_not_exist_is_bad_input(backend: str) -> None:
    assert PG_URL
    url = make_url(PG_URL).set(database="no_such_bwcases_db").render_as_string(False)
    done = bw("--db", url, "init")
    assert done.exit_code == 2
    assert "no_such_bwcases_db" in one_line(done.stderr)


def test_a_file_that_is_not_a_store_is_bad_input(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("not a database, but long enough to have a header to read\n" * 20)
    done = bw("--db", str(notes), "factories")
    assert done.exit_code == 2
    line = one_line(done.stderr)
    assert "notes.txt" in line and "path" in line
    assert notes.read_text().startswith("not a database")  # left as it was


@pytest.fixture
def page_limit() -> Iterator[list[int]]:
    """Every SQLite connection made meanwhile may grow its file to this many pages (else full)."""
    limit = [0]

    def cap(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
        if limit[0] and "sqlite" in type(dbapi_conn).__module__:
            dbapi_conn.execute(f"PRAGMA max_page_count = {limit[0]}")

    event.listen(Engine, "connect", cap)
    yield limit
    event.remove(Engine, "connect", cap)


def test_a_full_disk_is_one_line_and_nothing_is_written(
    tmp_path: Path, page_limit: list[int]
) -> None:
    path = tmp_path / "cases.sqlite"
    url = f"sqlite:///{path}"
    Store(url).dispose()
    with sqlite3.connect(path) as conn:
        pages = int(conn.execute("PRAGMA page_count").fetchone()[0])
    page_limit[0] = pages + 2  # the schema fits; a thousand assessments do not
    big = write_csv(
        tmp_path / "assessments.csv",
        [
            f"Vietnam,1,VN{quest},Factory {quest},{quest},15/03/2023,NCQ,Are exits unlocked?,"
            "OSH.EP.01,Emergency Preparedness,Occupational Safety and Health,1,"
            for quest in range(1000, 2000)
        ],
    )
    result = bw("--db", url, "import", "assessments", str(big))
    assert result.exit_code == 1, result.output
    line = one_line(result.stderr)
    assert "full" in line and "free" in line and "nothing" in line
    page_limit[0] = 0
    assert Store(url).count_findings() == 0


def test_postgresql_out_of_disk_space_is_the_same_error() -> None:
    url = make_url(f"postgresql+psycopg://bwcases:{SECRET}@db.example/cases")
    full = psycopg.errors.DiskFull('could not extend file "base/1/2": No space left on device')
    error = store_error(full, url, connecting=False)
    assert isinstance(error, StoreFullError) and error.exit_status == 1
    assert SECRET not in str(error) and "db.example" in str(error)


@pytest.mark.parametrize(
    ("cls", "status"),
    [
        (StoreUnreachableError, 1),
        (StoreAccessError, 2),
        (StoreFullError, 1),
        (ConcurrentWriteError, 1),
    ],
)
def test_store_errors_carry_the_store_and_what_happened(cls: type[StoreError], status: int) -> None:
    error = cls("sqlite:////data/cases.sqlite", "it broke")
    assert isinstance(error, BwcasesError) and error.exit_status == status
    assert error.store == "sqlite:////data/cases.sqlite" and error.detail == "it broke"
    assert (
        "\n" not in str(error) and "/data/cases.sqlite" in str(error) and "it broke" in str(error)
    )


def test_the_same_new_file_imported_twice_at_once_is_stored_once(
    store_url: str, export_file: Path
) -> None:
    command = [sys.executable, "-m", "bwcases", "--db", store_url, "import", "assessments"]
    runs = [
        subprocess.Popen(
            [*command, str(export_file)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    outcomes = [(run.wait(timeout=120), *run.communicate()) for run in runs]
    assert any(status == 0 for status, _, _ in outcomes)
    for status, out, err in outcomes:
        if status == 0:
            assert "rows read" in out and "Traceback" not in err
        else:
            assert status == 1 and "try again" in one_line(err)
    store = Store(store_url)
    assert store.count_findings() == 8
    assert len(store.findings_frame()) == 8
    again = import_file(store, "assessments", export_file)
    assert "0 findings" in again
    store.dispose()
