"""Processes start at once: what the command's `--version` and `--help`, a batch and its
workers import, seen by Python itself.

The process is the thing under test here, so each case runs one of its own, with `-X importtime`
(which lists every module the process imported) or a script that reads `sys.modules`."""

from __future__ import annotations

import importlib.metadata
import json
import subprocess
import sys
from pathlib import Path

import pytest

from bwcases import __version__

# Libraries that take longer to import than the answer to --help may take (issue 16)
HEAVY = ("pandas", "numpy", "sqlalchemy", "nbformat", "jsonschema", "jupyter_client")


def imported(*args: str) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    """Run `python -m bwcases ARGS`; its result and the top-level packages it imported."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "bwcases", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )
    names = {
        line.rsplit("|", 1)[1].strip().split(".")[0]
        for line in done.stderr.splitlines()
        if line.startswith("import time:") and "|" in line
    }
    return done, names


@pytest.mark.parametrize("args", [["--version"], ["--help"]], ids=" ".join)
def test_version_and_help_import_no_heavy_library(args: list[str]) -> None:
    done, names = imported(*args)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "click" in names and "bwcases" in names  # the list is the command's own
    assert names.isdisjoint(HEAVY), sorted(names & set(HEAVY))
    assert (__version__ in done.stdout) if args == ["--version"] else ("rates" in done.stdout)


def test_a_command_that_shows_a_frame_imports_what_it_needs(tmp_path: Path) -> None:
    done, names = imported("factories", "--db", f"sqlite:///{tmp_path / 'cases.sqlite'}")
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.startswith("factory_id,"), done.stdout  # emit's CSV, pandas imported late
    assert {"pandas", "sqlalchemy"} <= names  # so the list above would have shown them


def test_the_version_shown_is_the_installed_distributions() -> None:
    # --version prints bwcases.__version__ rather than asking importlib.metadata (slow to import)
    assert __version__ == importlib.metadata.version("bwcases")


@pytest.mark.parametrize("module", ["bwcases.batch.run", "bwcases.batch.engine"])
def test_reading_notebooks_builds_no_iri_grammar(module: str) -> None:
    # nbformat -> jsonschema took up rfc3987_syntax, whose import builds Earley parsers (~1 s)
    names = ("nbformat", "jsonschema", "rfc3987_syntax", "lark")
    script = (
        f"import json, sys, {module}\n"
        f"print(json.dumps({{m: sys.modules.get(m) is not None for m in {names!r}}}))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    loaded = json.loads(done.stdout)
    assert loaded == {"nbformat": True, "jsonschema": True, "rfc3987_syntax": False, "lark": False}


def test_notebooks_are_still_validated() -> None:
    import nbformat

    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1")])
    nbformat.validate(notebook)
    notebook.cells[0]["cell_type"] = "spreadsheet"
    with pytest.raises(nbformat.ValidationError):
        nbformat.validate(notebook)
