"""A batch file: read, checked against its notebook, and the items it selects."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from bwcases.core.errors import BwcasesError, InputError, Problem, UsageError
from bwcases.core.paths import NOTEBOOKS

if TYPE_CHECKING:
    from bwcases.store.register import RegisterStore

FOR_EACH = {"factory": "factory_id", "partner": "partner_id", "country": "country"}
SELECTORS = ("ids", "country", "partner", "partner_type", "all")
FORMATS = ("ipynb", "html", "pdf")
LAYOUTS = ("flat", "folders")


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
    kernel: str = "python3"  # the kernel the notebook's metadata names, as papermill runs it

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


def kernel_of(notebook: str | Path) -> str:
    """The kernel a notebook asks for in its metadata (python3 where it names none)."""
    try:  # read as the JSON it is: the kernels start before nbformat is imported
        meta = json.loads(Path(notebook).read_text(encoding="utf-8")).get("metadata", {})
    except (OSError, ValueError, AttributeError):
        return "python3"
    name = (meta.get("kernelspec") or {}).get("name") if isinstance(meta, dict) else None
    return str(name) if name else "python3"


def _check_kernel(path: Path, notebook: Path, kernel: str) -> None:
    from jupyter_client.kernelspec import KernelSpecManager

    installed = sorted(KernelSpecManager().find_kernel_specs())
    if kernel not in installed:
        raise _problem(
            path,
            "notebook",
            str(notebook),
            f"asks for the kernel {kernel!r}, which is not installed here (installed: "
            f"{', '.join(installed) or 'none'}); install it, or choose one of those in the "
            "notebook's Kernel menu",
        )


def notebook_of(path: str | Path) -> Path | None:
    """The notebook a batch file names, read in an instant; None where `load_spec` will object."""
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return None
    named = raw.get("notebook") if isinstance(raw, dict) else None
    if not named:
        return None
    notebook = _notebook(Path(str(named)))
    return notebook.resolve() if notebook.is_file() else None


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
        bad("for_each", for_each, "is not factory, partner or country")
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
    if isinstance(formats, list) and "pdf" in formats:
        from bwcases.render.pdf import require_pdf_engine

        try:  # a missing Chromium said once, now, not by every item once it has run
            require_pdf_engine()
        except BwcasesError as exc:
            bad("formats", None, f"asks for PDFs: {exc}")
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
        kernel=kernel_of(notebook),
    )
    _check_kernel(path, spec.notebook, spec.kernel)
    _check_parameters(spec)
    return spec


def _check_parameters(spec: BatchSpec) -> None:
    import papermill as pm  # here: a run's kernels start before it is imported (notebook_of)

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


def select_items(
    spec: BatchSpec, store: RegisterStore, only: Iterable[str] | None = None
) -> list[str]:
    """The factory or partner IDs, or the countries, the batch runs for."""
    ((how, value),) = spec.select.items()
    if spec.for_each == "factory":
        register = store.factory_countries()
        known = set(register)
        if how == "ids":
            ids = [str(i) for i in (value or [])]
        elif how == "country":
            ids = [fid for fid, country in register.items() if country == value]
            if not ids:
                raise _problem(spec.path, "select.country", value, "has no factories in the store")
        elif how == "partner":
            ids = store.consented_factories(str(value))
        elif how == "all":
            ids = sorted(known)
        else:
            raise _problem(spec.path, f"select.{how}", value, "does not select factories")
    elif spec.for_each == "country":
        ids, known = _countries(spec, store, how, value)
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


def _countries(
    spec: BatchSpec, store: RegisterStore, how: str, value: Any
) -> tuple[list[str], set[str]]:
    """The countries a batch selects (names or ISO codes, in any case), and those known."""
    from bwcases.core.catalogue import country_named

    known = store.countries()
    if how == "all":
        return sorted(known), set(known)
    if how not in ("ids", "country"):
        raise _problem(spec.path, f"select.{how}", value, "does not select countries")
    given = value if how == "ids" else [value]
    try:
        ids = [country_named(str(c), known, what=f"select.{how}") for c in (given or [])]
    except UsageError as exc:
        raise _problem(spec.path, f"select.{how}", value, str(exc)) from None
    return ids, set(known)
