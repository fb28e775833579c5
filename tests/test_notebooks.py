"""Notebooks are thin pages over the package, committed clean, and run under papermill."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import nbformat
import papermill
import pytest

from bwcases.store import Store
from tests.helpers import NOTEBOOKS, SCRIPT_ISSUE, fill_case

ALL_NOTEBOOKS = sorted(NOTEBOOKS.glob("*.ipynb"))
MAX_CODE_LINES = 60
DEFINITION = re.compile(r"^\s*(async\s+def|def|class)\s", re.MULTILINE)
SQL = re.compile(
    r"\bSELECT\b[\s\S]*\bFROM\b|\bINSERT\s+INTO\b|\bUPDATE\s+\w+\s+SET\b|\bDELETE\s+FROM\b"
    r"|\b(CREATE|DROP|ALTER|TRUNCATE)\s+TABLE\b|\bsqlalchemy\b|\.execute\(|\bsqlite3\b"
)


def code_cells(path: Path) -> list[nbformat.NotebookNode]:
    nb = nbformat.read(path, as_version=4)
    return [c for c in nb.cells if c.cell_type == "code"]


def test_there_are_notebooks() -> None:
    assert NOTEBOOKS / "case_overview.ipynb" in ALL_NOTEBOOKS


@pytest.mark.parametrize("path", ALL_NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_thin(path: Path) -> None:
    cells = code_cells(path)
    assert cells, "a notebook with no code"
    first = cells[0]
    assert "parameters" in first.metadata.get("tags", []), "the first code cell is not tagged"
    for stmt in ast.parse(first.source).body:
        assert isinstance(stmt, ast.Assign), f"parameters cell: {ast.unparse(stmt)!r}"
        ast.literal_eval(stmt.value)  # plain values only
    source = "\n".join(c.source for c in cells)
    assert not DEFINITION.search(source), "def/class belongs in the bwcases package"
    assert not SQL.search(source), "SQL belongs in the store"
    lines = [line for line in source.splitlines() if line.strip()]
    assert len(lines) <= MAX_CODE_LINES


@pytest.mark.parametrize("path", ALL_NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_committed_without_outputs(path: Path) -> None:
    for cell in code_cells(path):
        assert cell.outputs == [], f"outputs in {cell.source[:40]!r}"
        assert cell.execution_count is None


@pytest.mark.slow
def test_case_overview_runs_under_papermill(
    sqlite_store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fill_case(sqlite_store, tmp_path)
    monkeypatch.delenv("BWCASES_DB", raising=False)
    monkeypatch.delenv("QUERY_STRING", raising=False)
    out = tmp_path / "case_overview.ipynb"
    papermill.execute_notebook(
        NOTEBOOKS / "case_overview.ipynb",
        out,
        parameters={"db": sqlite_store.url, "factory_id": "VN001"},
        kernel_name="python3",
        cwd=str(NOTEBOOKS),
        progress_bar=False,
    )
    executed = nbformat.read(out, as_version=4)
    shown = [
        o["data"]["text/html"]
        for c in executed.cells
        if c.cell_type == "code"
        for o in c.outputs
        if "text/html" in o.get("data", {})
    ]
    assert len(shown) == 1
    page = shown[0]
    assert "<h2>Saigon Garments</h2>" in page
    assert "<b>3 of 5</b>CPs non-compliant (latest)" in page
    assert "<b>1</b>persistent CPs" in page
    assert "Latest (Quest.ID 1500, cycle 3, 20/04/2024)" in page
    assert '<td data-label="Change" class="bw-bad">Persistent</td>' in page  # a card on phones
    assert SCRIPT_ISSUE not in page and "<script" not in page
