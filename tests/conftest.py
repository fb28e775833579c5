"""Shared fixtures: a real store on SQLite (a file) and on PostgreSQL (a real server)."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url, text

from bwcases.io.demo import fill_demo
from bwcases.io.importers import import_file
from bwcases.store import Store
from bwcases.store.models import Base
from tests.helpers import (
    BACKENDS,
    DEMO_FACTORIES,
    DEMO_SEED,
    EXPORT_LINES,
    PG_GIVEN,
    PG_URL,
    fill_advisor_case,
    pg_database,
    served_store_url,
    write_csv,
)

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
    if not PG_URL or not PG_GIVEN:
        pytest.fail("BWCASES_REQUIRE_PG is set but BWCASES_TEST_PG is not")
    if PG_URL != PG_GIVEN:  # a parallel worker's own database, beside the given one
        pg_database(str(make_url(PG_URL).database))
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


# -- stores filled once per run, for the tests that only read them ---------------------------


@pytest.fixture(scope="session")
def shared_stores() -> Iterator[dict[str, Store]]:
    """The stores tests share, by what they hold; closed at the end of the run."""
    stores: dict[str, Store] = {}
    yield stores
    for s in stores.values():
        s.dispose()


def _read_only(store: Store) -> Iterator[Store]:
    """Lend a shared store to one test, and fail the test if it wrote to it."""
    before = store.snapshot_id()
    yield store
    assert store.snapshot_id() == before, "a test wrote to a shared store: give it its own"


@pytest.fixture
def loaded_store(
    backend: str, shared_stores: dict[str, Store], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Store]:
    """The fixture export (EXPORT_LINES) on the backend under test, loaded once per run."""
    key = f"loaded-{backend}"
    if key not in shared_stores:
        folder = tmp_path_factory.mktemp(key)
        store = Store(served_store_url(backend, folder, "loaded"))
        import_file(store, "assessments", write_csv(folder / "assessments.csv", [*EXPORT_LINES]))
        shared_stores[key] = store
    yield from _read_only(shared_stores[key])


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo portfolio (DEMO_FACTORIES, DEMO_SEED) in an SQLite file, built once per run."""
    path = tmp_path_factory.mktemp("demo") / "demo.sqlite"
    store = Store(f"sqlite:///{path}")
    fill_demo(store, factories=DEMO_FACTORIES, seed=DEMO_SEED)
    store.dispose()
    return path


@pytest.fixture
def demo_store(demo_template: Path, shared_stores: dict[str, Store]) -> Iterator[Store]:
    """The demo portfolio, shared by the tests that only read it."""
    if "demo" not in shared_stores:
        shared_stores["demo"] = Store(f"sqlite:///{demo_template}")
    yield from _read_only(shared_stores["demo"])


@pytest.fixture
def demo_on_backend(
    backend: str,
    demo_template: Path,
    shared_stores: dict[str, Store],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Store]:
    """The demo portfolio on the backend under test, built once per run and shared."""
    key = "demo" if backend == "sqlite" else f"demo-{backend}"  # SQLite: demo_store's
    if key not in shared_stores:
        if backend == "sqlite":
            shared_stores[key] = Store(f"sqlite:///{demo_template}")
        else:
            store = Store(served_store_url(backend, tmp_path_factory.mktemp(key), "demo"))
            fill_demo(store, factories=DEMO_FACTORIES, seed=DEMO_SEED)
            shared_stores[key] = store
    yield from _read_only(shared_stores[key])


@pytest.fixture
def demo_copy(demo_template: Path, tmp_path: Path) -> Iterator[Store]:
    """The demo portfolio in a file of the test's own, for the tests that write to it."""
    path = tmp_path / "demo.sqlite"
    shutil.copy(demo_template, path)
    s = Store(f"sqlite:///{path}")
    yield s
    s.dispose()


# -- files -------------------------------------------------------------------------------------


@pytest.fixture
def export_lines() -> list[str]:
    """A small assessment export with the quirks the programme's files have (EXPORT_LINES)."""
    return list(EXPORT_LINES)


@pytest.fixture
def export_file(tmp_path: Path, export_lines: list[str]) -> Path:
    return write_csv(tmp_path / "assessments.csv", export_lines)


@pytest.fixture
def batch_store(sqlite_store: Store, export_file: Path) -> Store:
    """The fixture export in an SQLite file (kernels of a batch open it by its path)."""
    import_file(sqlite_store, "assessments", export_file)
    return sqlite_store


@pytest.fixture(scope="module", autouse=True)
def brief_kernels() -> Iterator[None]:
    """The kernels `bwcases brief` keeps warm in this process, stopped when a module is done."""
    yield
    if "bwcases.reports.briefs" in sys.modules:
        from bwcases.reports.briefs import close_kernels

        close_kernels()
