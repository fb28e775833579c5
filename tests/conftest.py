"""Shared fixtures: a real store on SQLite (a file) and on PostgreSQL (a real server)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from bwcases.store import Store
from bwcases.store.models import Base
from tests.helpers import BACKENDS, PG_URL, fill_advisor_case, write_csv

pytest_plugins = ["tests.browser"]  # the chromium fixture, for the tests that drive a page


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if PG_URL or os.environ.get("BWCASES_REQUIRE_PG"):
        return
    skip = pytest.mark.skip(reason="no PostgreSQL server: set BWCASES_TEST_PG (./test.sh does)")
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec and callspec.params.get("backend") == "postgresql":
            item.add_marker(skip)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An SQLite store migrated once, copied for each test."""
    path = tmp_path_factory.mktemp("template") / "cases.sqlite"
    store = Store(f"sqlite:///{path}")
    store.dispose()
    return path


@pytest.fixture(scope="session")
def pg_ready() -> str:
    """The PostgreSQL test database, emptied and migrated once per session."""
    if not PG_URL:
        pytest.fail("BWCASES_REQUIRE_PG is set but BWCASES_TEST_PG is not")
    engine = create_engine(PG_URL)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    Store(PG_URL).dispose()
    return PG_URL


def _empty_pg(url: str) -> None:
    engine = create_engine(url)
    names = ", ".join(t.name for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def store_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty, migrated store on the backend under test."""
    if backend == "sqlite":
        template = request.getfixturevalue("sqlite_template")
        path = tmp_path / "cases.sqlite"
        shutil.copy(template, path)
        yield f"sqlite:///{path}"
    else:
        url = request.getfixturevalue("pg_ready")
        _empty_pg(url)
        yield url


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    """An empty store on the backend under test."""
    s = Store(store_url)
    yield s
    s.dispose()


@pytest.fixture
def apps_store(store: Store, tmp_path: Path) -> Store:
    """The advisor case (Saigon Garments, Dong Nai Textiles, four people) on the backend."""
    return fill_advisor_case(store, tmp_path)


@pytest.fixture
def sqlite_store(sqlite_template: Path, tmp_path: Path) -> Iterator[Store]:
    """An empty store in an SQLite file (for tests about files, not the database)."""
    path = tmp_path / "cases.sqlite"
    shutil.copy(sqlite_template, path)
    s = Store(f"sqlite:///{path}")
    yield s
    s.dispose()


@pytest.fixture
def export_lines() -> list[str]:
    """A small assessment export with the quirks the programme's files have."""
    return [
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
    ]


@pytest.fixture
def export_file(tmp_path: Path, export_lines: list[str]) -> Path:
    return write_csv(tmp_path / "assessments.csv", export_lines)
