"""The app notebooks run under papermill too (outside Voilà the `user` parameter names her)."""

from __future__ import annotations

from pathlib import Path

import nbformat
import papermill
import pytest

from bwcases.store import Store
from bwcases.web.limits import APPS
from tests.helpers import NOTEBOOKS, fill_advisor_case


@pytest.mark.slow
@pytest.mark.parametrize("name", APPS)  # the apps the server preheats: every app page
def test_an_app_notebook_runs_and_shows_its_app(
    name: str,
    sqlite_store: Store,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fill_advisor_case(sqlite_store, tmp_path)
    for variable in ("BWCASES_DB", "QUERY_STRING", "VOILA_PREHEAT", "HTTP_COOKIE"):
        monkeypatch.delenv(variable, raising=False)
    out = tmp_path / name
    papermill.execute_notebook(
        NOTEBOOKS / name,
        out,
        parameters={
            "db": sqlite_store.url,
            "user": "Lan Nguyen",
            "factory_id": "VN001",
            "lang": "vi",
        },
        kernel_name="python3",
        cwd=str(NOTEBOOKS),
        progress_bar=False,
    )
    executed = nbformat.read(out, as_version=4)
    outputs = [o for c in executed.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    views = [o for o in outputs if "application/vnd.jupyter.widget-view+json" in o.get("data", {})]
    assert len(views) == 1  # the app, and nothing else on the page
