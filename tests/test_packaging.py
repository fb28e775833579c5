"""The conda environment and pyproject.toml declare the same dependencies."""

from __future__ import annotations

import re
import tomllib

import yaml

from tests.conftest import ROOT

CONDA_NAMES = {"psycopg[binary]": "psycopg"}  # conda-forge's psycopg ships the binary build


def _norm(spec: str) -> tuple[str, str]:
    name, version = re.match(r"^([A-Za-z0-9_.\-\[\]]+)\s*(.*)$", spec.strip()).groups()
    name = CONDA_NAMES.get(name.lower(), name.lower())
    return name.replace("_", "-"), version.replace(" ", "")


def test_environment_yml_declares_what_pyproject_declares() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = [*project["dependencies"], *project["optional-dependencies"]["test"]]
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda = [d for d in env["dependencies"] if isinstance(d, str)]
    declared = dict(_norm(d) for d in conda if not d.startswith(("python=", "pip")))
    assert declared == dict(_norm(d) for d in wanted)
    assert "python=3.11" in conda
