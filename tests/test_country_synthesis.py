"""The country synthesis notebook: the R manual's tables for a country, equal to the CLI's."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import nbformat
import pytest
import yaml

from bwcases.analysis.synthesis import country_synthesis
from bwcases.batch.spec import load_spec, select_items
from bwcases.core.errors import InputError
from bwcases.core.formats import TABLES_MIME
from bwcases.io.importers import import_file
from bwcases.store import Store
from tests.helpers import ROOT, add_item, bw, plan_values, write_csv

PERIOD, FIRST, LAST, CYCLE = "2025-01:2025-12", "2025-01", "2025-12", 2
MW = "Minimum Wages/Piece Rate Wages"


def haiti(store: Store, tmp_path: Path) -> Store:
    """HT001 and HT002 assessed in cycles 1 (2024) and 2 (2025), HT003 in cycle 1 (2025)."""
    findings = {  # factory: (cycle, quest, date, finding on W1)
        "HT001": [(1, 11, "10/03/2024", 1), (2, 12, "10/03/2025", 0)],
        "HT002": [(1, 21, "10/04/2024", 1), (2, 22, "10/04/2025", 1)],
        "HT003": [(1, 31, "10/05/2025", 1)],
    }
    lines = [
        f'Haiti,{cycle},{fid},Usine {fid},{quest},{date},NCQ,Wages paid?,W1,"{MW}",'
        f"Compensation,{finding},"
        for fid, rows in findings.items()
        for cycle, quest, date, finding in rows
    ]
    import_file(store, "assessments", write_csv(tmp_path / "haiti.csv", lines))
    done = {"completed_on": dt.date(2025, 6, 1)}
    add_item(store, plan_values("HT002", MW, "Pay", "Completed", None, **done), actor="lan")
    add_item(store, plan_values("HT003", MW, "Pay", "Pending", None), actor="lan")
    return store


def test_the_synthesis_of_a_hand_made_country(store: Store, tmp_path: Path) -> None:
    s = country_synthesis(haiti(store, tmp_path), "ht", PERIOD, cycle=CYCLE)
    latest = s.cp_rates["latest"].iloc[0]
    # latest in 2025: HT001 compliant (cycle 2), HT002 and HT003 not: 2 of 3
    assert (latest["factories_assessed"], latest["factories_non_compliant"]) == (3, 2)
    cycle = s.cp_rates["cycle"].iloc[0]  # cycle 2 in 2025: HT001 and HT002
    assert (cycle["factories_assessed"], cycle["non_compliance_rate"]) == (2, 0.5)
    panel = s.cp_rates["panel"].set_index("cycle")["non_compliance_rate"].to_dict()
    assert panel == {1: 1.0, 2: 0.5}  # HT003 reached cycle 1 only: not in the panel
    trend = s.trend.iloc[0]
    assert (trend["cluster"], trend["cycle_1"], trend["cycle_2"], trend["factories"]) == (
        "Compensation",
        1.0,
        0.5,
        2,
    )
    questions = s.question_rates["latest"].iloc[0]
    assert (questions["findings"], questions["assessments"]) == (2, 3)
    sizes = s.sample_sizes["assessments"].set_index("cycle")["assessments"].to_dict()
    assert sizes == {1: 1, 2: 2}  # assessments starting in 2025
    assert s.sample_sizes["factories"].iloc[0].to_dict() == {
        "country": "Haiti",
        "cycle_1": 1,
        "cycle_2": 2,
    }
    plan = s.plan.iloc[0]
    assert (plan["pending"], plan["completed"], plan["items"]) == (1, 1, 2)


def test_a_batch_selects_countries_by_name_or_code(demo_store: Store, tmp_path: Path) -> None:
    spec_file = tmp_path / "spec.yaml"

    def spec(select: dict[str, Any]) -> Any:
        spec_file.write_text(
            yaml.safe_dump(
                {
                    "notebook": "notebooks/country_synthesis.ipynb",
                    "for_each": "country",
                    "select": select,
                    "output": str(tmp_path / "out"),
                }
            )
        )
        return load_spec(spec_file)

    assert select_items(spec({"ids": ["vn", "KH"]}), demo_store) == ["Vietnam", "Cambodia"]
    assert select_items(spec({"all": True}), demo_store) == sorted(demo_store.countries())
    with pytest.raises(InputError, match="select.ids.*'Atlantis'"):
        select_items(spec({"ids": ["Atlantis"]}), demo_store)
    with pytest.raises(InputError, match="select.partner.*does not select countries"):
        select_items(spec({"partner": "B001"}), demo_store)


def _tables(path: Path) -> dict[str, list[dict[str, Any]]]:
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            if TABLES_MIME in output.get("data", {}):
                return dict(output["data"][TABLES_MIME])
    raise AssertionError(f"{path.name} recorded no tables")


def _as_cli(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Records as the command line writes them: yes and no for true and false."""
    shown = {True: "yes", False: "no"}
    return [{k: shown[v] if isinstance(v, bool) else v for k, v in r.items()} for r in records]


def _cli(url: str, *args: str) -> list[dict[str, Any]]:
    result = bw(*args, "--format", "json", env={"BWCASES_DB": url})
    assert result.exit_code == 0, result.stderr
    records: list[dict[str, Any]] = json.loads(result.stdout)
    return records


@pytest.mark.slow
def test_the_notebook_runs_for_every_country_and_its_figures_are_the_clis(
    demo_template: Path, tmp_path: Path
) -> None:
    db = tmp_path / "demo.sqlite"
    shutil.copy(demo_template, db)
    url = f"sqlite:///{db}"
    spec = yaml.safe_load((ROOT / "parameters" / "country_synthesis.yaml").read_text())
    spec["output"] = str(tmp_path / "out")
    spec["parameters"] = {"period": PERIOD, "cycle": CYCLE}
    (tmp_path / "spec.yaml").write_text(yaml.safe_dump(spec))
    bwcases = Path(sys.executable).with_name("bwcases")
    run = subprocess.run(
        [str(bwcases), "--db", url, "run", str(tmp_path / "spec.yaml"), "--workers", "2"],
        cwd=ROOT,  # the batch file names notebooks/ as the checkout has it
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    countries = Store(url).countries()
    window = ("--from", FIRST, "--to", LAST)
    shown: dict[str, int] = {}
    for country in countries:
        got = _tables(tmp_path / "out" / f"{country}.ipynb")
        shown = {name: shown.get(name, 0) + len(rows) for name, rows in got.items()}
        c = ("--country", country)
        expected = {
            "sample_sizes.assessments": ("counts", "assessments", *window, *c),
            "sample_sizes.factories": ("counts", "factories", *window, *c),
            "sample_sizes.dates": ("counts", "dates", *window, *c),
            "cp_rates.latest": ("rates", "--method", "latest", *window, *c),
            "cp_rates.cycle": ("rates", "--method", "cycle", "--cycle", "2", *window, *c),
            "cp_rates.panel": ("rates", "--method", "panel", "--cycle", "2", *c),
            "question_rates.latest": ("rates", "--method", "latest", *window, *c, "--level",
                                      "question"),
            "question_rates.cycle": ("rates", "--method", "cycle", "--cycle", "2", *window, *c,
                                     "--level", "question"),
            "question_rates.panel": ("rates", "--method", "panel", "--cycle", "2", *c, "--level",
                                     "question"),
            "plan": ("progress", "--by", "cp-status", *c, "--as-of", "2025-12-31"),
        }  # fmt: skip
        for name, args in expected.items():
            assert _as_cli(got[name]) == _cli(url, *args), (country, name)
        panel = _cli(url, "rates", "--method", "panel", "--cycle", "2", *c, "--level", "cluster")
        for row in got["trend"]:
            for cell in (r for r in panel if r["cluster"] == row["cluster"]):
                assert row[f"cycle_{cell['cycle']}"] == cell["non_compliance_rate"]
                assert row["factories"] <= cell["factories_assessed"]
    assert all(shown.values()), shown  # every table had rows somewhere: compared, not empty
    summary = (tmp_path / "out" / "summary.csv").read_text().splitlines()
    assert len(summary) == 1 + len(countries) and all(",ok," in line for line in summary[1:])
