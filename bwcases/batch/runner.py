"""Batch runs: one notebook per factory or partner from a parameter file; resumable."""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import shutil
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
import papermill as pm
import yaml

from bwcases import __version__
from bwcases.batch.backends import BACKENDS
from bwcases.batch.executor import Result, Task, figures_of
from bwcases.core.digests import sha256_hex, short_digest
from bwcases.core.errors import InputError, OutputError, Problem
from bwcases.core.paths import NOTEBOOKS
from bwcases.core.safe_text import SpreadsheetDictWriter
from bwcases.store import Store

FOR_EACH = {"factory": "factory_id", "partner": "partner_id"}
SELECTORS = ("ids", "country", "partner", "partner_type", "all")
FORMATS = ("ipynb", "html", "pdf")
LAYOUTS = ("flat", "folders")
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


@dataclass
class BatchSpec:
    """A batch file, checked."""

    path: Path
    notebook: Path
    for_each: str
    select: dict[str, Any]
    parameters: dict[str, Any]
    output: Path
    formats: list[str]
    timeout: int = 600
    template: str | None = None
    layout: str = "flat"

    @property
    def item_parameter(self) -> str:
        return FOR_EACH[self.for_each]

    def outputs(self, item: str) -> dict[str, Path]:
        """Where an item's files go: <output>/<item>.<ext>, or <output>/<item>/<notebook>.<ext>."""
        base = (
            self.output / item / self.notebook.stem
            if self.layout == "folders"
            else self.output / item
        )
        return {fmt: base.with_name(base.name + f".{fmt}") for fmt in self.formats}


def _field(path: Path, field_name: str, value: object, reason: str) -> Problem:
    return Problem(path.name, None, field_name, value, reason, label="field")


def _problem(path: Path, field_name: str, value: object, reason: str) -> InputError:
    return InputError([_field(path, field_name, value, reason)])


def _notebook(given: Path) -> Path:
    """The notebook a batch file names: as given (from the current folder), else one of the
    notebooks bwcases ships, by name ("factory_progress_report.ipynb" or
    "notebooks/factory_progress_report.ipynb"), so a parameter file works from any folder."""
    if given.is_file() or given.parent not in (Path("."), Path("notebooks")):
        return given
    shipped = NOTEBOOKS / given.name
    return shipped if shipped.is_file() else given


def load_spec(path: str | Path) -> BatchSpec:
    """Read and check a batch file (paths in it are relative to the working directory)."""
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise _problem(path, "", None, f"no such batch file: {path}") from None
    except yaml.YAMLError as exc:
        raise _problem(path, "", None, f"is not valid YAML: {exc}") from None
    if not isinstance(raw, dict):
        raise _problem(path, "", None, "must be a mapping of notebook, for_each, select, ...")
    problems: list[Problem] = []

    def bad(field_name: str, value: object, reason: str) -> None:
        problems.append(_field(path, field_name, value, reason))

    for key in raw:
        if key not in (
            "notebook",
            "for_each",
            "select",
            "parameters",
            "output",
            "formats",
            "timeout",
            "template",
            "layout",
        ):
            bad(key, None, "is not a batch file field")
    notebook = _notebook(Path(str(raw.get("notebook", ""))))
    if not raw.get("notebook"):
        bad("notebook", None, "is missing")
    elif not notebook.is_file():
        bad("notebook", str(notebook), "is not a notebook file")
    for_each = raw.get("for_each", "factory")
    if for_each not in FOR_EACH:
        bad("for_each", for_each, "is not factory or partner")
    select = raw.get("select") or {}
    if not isinstance(select, dict) or len(select) != 1 or next(iter(select)) not in SELECTORS:
        bad(
            "select", select, "must be exactly one of ids: [...], country: X, partner: P, all: true"
        )
    parameters = raw.get("parameters") or {}
    if not isinstance(parameters, dict):
        bad("parameters", parameters, "must be a mapping of names to values")
        parameters = {}
    if not raw.get("output"):
        bad("output", None, "is missing")
    formats = raw.get("formats") or ["ipynb"]
    if not isinstance(formats, list) or any(f not in FORMATS for f in formats):
        bad("formats", formats, "must be a list of ipynb, html and pdf")
    layout = raw.get("layout", "flat")
    if layout not in LAYOUTS:
        bad("layout", layout, "is not flat or folders")
    template = raw.get("template")
    if template is not None:
        from bwcases.render.pdf import TEMPLATES

        if not (TEMPLATES / str(template) / "index.html.j2").is_file():
            bad("template", template, f"is not a template in {TEMPLATES}")
    if problems:
        raise InputError(problems)
    spec = BatchSpec(
        path=path,
        notebook=notebook.resolve(),
        for_each=for_each,
        select=select,
        parameters=parameters,
        output=Path(str(raw["output"])).resolve(),
        formats=sorted(set(formats) | {"ipynb"}),
        timeout=int(raw.get("timeout", 600)),
        template=template,
        layout=layout,
    )
    _check_parameters(spec)
    return spec


def _check_parameters(spec: BatchSpec) -> None:
    declared = set(pm.inspect_notebook(str(spec.notebook)))
    problems = [
        _field(
            spec.path,
            f"parameters.{name}",
            value,
            f"is not a parameter of {spec.notebook.name} (it declares: "
            f"{', '.join(sorted(declared)) or 'none'})",
        )
        for name, value in spec.parameters.items()
        if name not in declared
    ]
    if spec.item_parameter not in declared:
        problems.append(
            _field(
                spec.path,
                "for_each",
                spec.for_each,
                f"needs {spec.notebook.name} to declare {spec.item_parameter}",
            )
        )
    if problems:
        raise InputError(problems)


def select_items(spec: BatchSpec, store: Store, only: Iterable[str] | None = None) -> list[str]:
    """The factory or partner IDs the batch runs for."""
    ((how, value),) = spec.select.items()
    if spec.for_each == "factory":
        register = store.factories_frame()
        known = set(register["factory_id"])
        if how == "ids":
            ids = [str(i) for i in (value or [])]
        elif how == "country":
            ids = list(register.loc[register["country"] == value, "factory_id"])
            if not ids:
                raise _problem(spec.path, "select.country", value, "has no factories in the store")
        elif how == "partner":
            ids = store.consented_factories(str(value))
        elif how == "all":
            ids = sorted(known)
        else:
            raise _problem(spec.path, f"select.{how}", value, "does not select factories")
    else:
        partners = store.partners_frame()
        known = set(partners["partner_id"])
        if how == "ids":
            ids = [str(i) for i in (value or [])]
        elif how == "all":
            ids = sorted(known)
        elif how == "partner_type":
            ids = sorted(set(partners.loc[partners["partner_type"] == value, "partner_id"]))
        else:
            raise _problem(spec.path, f"select.{how}", value, "does not select partners")
    unknown = [i for i in ids if i not in known]
    if unknown:
        raise InputError(
            [
                _field(spec.path, "select.ids", i, f"is not a {spec.for_each} in the store")
                for i in unknown
            ]
        )
    if only is not None:
        wanted = [str(i) for i in only]
        missing = [i for i in wanted if i not in ids]
        if missing:
            raise InputError(
                [_field(spec.path, "--only", i, "is not one of the batch's items") for i in missing]
            )
        ids = [i for i in ids if i in set(wanted)]
    return list(dict.fromkeys(ids))


def code_version() -> str:
    """The version of bwcases that produced an output."""
    return __version__


@dataclass
class Plan:
    """The tasks of a batch, with the items whose outputs are already current."""

    spec: BatchSpec
    tasks: list[Task]
    current: list[str]
    keys: dict[str, str]
    snapshots: dict[str, str]


def plan(
    spec: BatchSpec, store: Store, *, force: bool = False, only: Iterable[str] | None = None
) -> Plan:
    """Decide what to run: every selected item whose output is not current (or all, forced)."""
    items = select_items(spec, store, only)
    snapshots = (
        store.factory_fingerprints(items)
        if spec.for_each == "factory"
        else store.partner_fingerprints(items)
    )
    notebook_digest = sha256_hex(spec.notebook.read_bytes())[:20]
    declared = set(pm.inspect_notebook(str(spec.notebook)))
    shared = dict(spec.parameters)
    if "db" in declared and "db" not in shared:
        shared["db"] = store.url
    version = code_version()
    tasks, current, keys = [], [], {}
    for item in items:
        params = {**shared, spec.item_parameter: item}
        key = short_digest((notebook_digest, params, snapshots[item], version, spec.formats))
        keys[item] = key
        paths = spec.outputs(item)
        if not force and _is_current(paths, key):
            current.append(item)
            continue
        metadata = {
            "item": item,
            "key": key,
            "parameters": params,
            "snapshot": snapshots[item],
            "code_version": version,
        }
        tasks.append(
            Task(
                item=item,
                notebook=str(spec.notebook),
                parameters=params,
                ipynb=str(paths["ipynb"]),
                html=_str(paths.get("html")),
                pdf=_str(paths.get("pdf")),
                template=spec.template,
                scratch=str(spec.output / ".tmp"),
                metadata=metadata,
                timeout=spec.timeout,
            )
        )
    return Plan(spec, tasks, current, keys, snapshots)


def _str(path: Path | None) -> str | None:
    return str(path) if path is not None else None


def _is_current(paths: dict[str, Path], key: str) -> bool:
    if not all(p.is_file() for p in paths.values()):
        return False
    try:
        meta = nbformat.read(paths["ipynb"], as_version=4).metadata.get("bwcases", {})
    except Exception:  # an unreadable output is not current
        return False
    return meta.get("key") == key and meta.get("status") == "ok"


@dataclass
class BatchResult:
    """The outcome of a batch run."""

    results: list[Result] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    manifest: Path | None = None
    summary: Path | None = None

    @property
    def failed(self) -> list[Result]:
        return [r for r in self.results if r.status != "ok"]

    @property
    def exit_status(self) -> int:
        return 1 if self.failed else 0


def run(
    spec: BatchSpec,
    store: Store,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    force: bool = False,
    only: Iterable[str] | None = None,
    on_result: Callable[[Result], None] | None = None,
) -> BatchResult:
    """Run a batch; outputs, manifest.csv and summary.csv go to the spec's output folder."""
    the_plan = plan(spec, store, force=force, only=only)
    return execute(the_plan, workers=workers, scheduler=scheduler, on_result=on_result)


def execute(
    the_plan: Plan,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    on_result: Callable[[Result], None] | None = None,
) -> BatchResult:
    """Run a plan's tasks locally or on a Dask scheduler, keeping the manifest as they finish."""
    spec = the_plan.spec
    spec.output.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(spec.output / ".tmp", ignore_errors=True)
    manifest = Manifest(spec.output / "manifest.csv", the_plan)
    outcome = BatchResult(skipped=the_plan.current, manifest=manifest.path)

    def done(result: Result) -> None:
        outcome.results.append(result)
        manifest.add(result)
        if on_result is not None:
            on_result(result)

    options = {"workers": workers or os.cpu_count() or 1, "scheduler": scheduler}
    try:
        try:
            if the_plan.tasks:
                BACKENDS["dask" if scheduler else "local"](the_plan.tasks, done, options)
        finally:
            manifest.write()
            shutil.rmtree(spec.output / ".tmp", ignore_errors=True)
            outcome.summary = write_summary(spec, the_plan)
    except OSError as exc:  # a full disk, a folder in the way: say which file, not a traceback
        where = exc.filename2 or exc.filename or spec.output
        raise OutputError(str(where), exc.strerror or str(exc)) from exc
    return outcome


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
