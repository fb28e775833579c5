"""A batch's records: manifest.csv (one row per item, kept as results arrive) and summary.csv."""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import time
from pathlib import Path
from typing import Any

import nbformat

from bwcases.batch.executor import Result, figures_of
from bwcases.batch.planning import Plan, code_version
from bwcases.batch.spec import BatchSpec
from bwcases.core.safe_text import SpreadsheetDictWriter

MANIFEST_COLUMNS = [
    "item",
    "status",
    "duration_s",
    "ipynb",
    "html",
    "pdf",
    "parameters",
    "snapshot",
    "code_version",
    "key",
    "error",
    "finished_at",
]


class Manifest:
    """manifest.csv: one row per item, rewritten atomically as results arrive."""

    def __init__(self, path: Path, the_plan: Plan) -> None:
        self.path = path
        self.plan = the_plan
        self.rows: dict[str, dict[str, Any]] = {}
        if path.is_file():
            with path.open(encoding="utf-8", newline="") as fh:
                self.rows = {r["item"]: r for r in csv.DictReader(fh)}
        for item in the_plan.current:
            row = self.rows.get(item, {})
            self.rows[item] = {
                **self._base(item),
                **{k: row.get(k, "") for k in ("duration_s",)},
                "status": "current",
            }
        for task in the_plan.tasks:
            self.rows[task.item] = {**self._base(task.item), "status": "pending"}
        self.last_write = 0.0

    def _base(self, item: str) -> dict[str, Any]:
        spec = self.plan.spec
        params = {**spec.parameters, spec.item_parameter: item}
        paths = spec.outputs(item)
        return {
            "item": item,
            "ipynb": str(paths["ipynb"]),
            "html": str(paths.get("html", "")),
            "pdf": str(paths.get("pdf", "")),
            "parameters": json.dumps(params, sort_keys=True, default=str),
            "snapshot": self.plan.snapshots[item],
            "code_version": code_version(),
            "key": self.plan.keys[item],
            "error": "",
            "finished_at": "",
        }

    def add(self, result: Result) -> None:
        self.rows[result.item] = {
            **self._base(result.item),
            "status": result.status,
            "duration_s": result.duration_s,
            "error": result.error,
            "finished_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        }
        if time.monotonic() - self.last_write > 1.0:
            self.write()
            self.last_write = time.monotonic()

    def write(self) -> None:
        tmp = self.path.with_name(self.path.name + ".part")
        with tmp.open("w", encoding="utf-8", newline="") as fh:
            writer = SpreadsheetDictWriter(fh, MANIFEST_COLUMNS, extrasaction="ignore")
            writer.writeheader()
            for item in sorted(self.rows):
                writer.writerow(self.rows[item])
        os.replace(tmp, self.path)


def write_summary(spec: BatchSpec, the_plan: Plan) -> Path:
    """summary.csv: the figures every item's notebook recorded, one row per item."""
    rows = []
    items = sorted({*the_plan.current, *(t.item for t in the_plan.tasks)})
    for item in items:
        path = spec.outputs(item)["ipynb"]
        figures: dict[str, Any] = {}
        status = "missing"
        if path.is_file():
            nb = nbformat.read(path, as_version=4)
            figures = figures_of(nb)
            status = nb.metadata.get("bwcases", {}).get("status", "unknown")
        rows.append({"item": item, "status": status, **figures})
    columns: list[str] = []
    for row in rows:
        columns += [c for c in row if c not in columns]
    out = spec.output / "summary.csv"
    tmp = out.with_name(out.name + ".part")
    with tmp.open("w", encoding="utf-8", newline="") as fh:
        writer = SpreadsheetDictWriter(fh, columns)
        writer.writeheader()
        writer.writerows(rows)
    os.replace(tmp, out)
    return out
