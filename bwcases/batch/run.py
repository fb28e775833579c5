"""Running a batch: its plan's tasks on a backend, the manifest and summary kept as they finish."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from bwcases.batch.backends import BACKENDS, stop_early
from bwcases.batch.executor import Result
from bwcases.batch.manifest import Manifest, write_summary
from bwcases.batch.planning import Plan, plan
from bwcases.batch.spec import BatchSpec
from bwcases.core.errors import OutputError

if TYPE_CHECKING:
    from bwcases.store.register import RegisterStore


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
    store: RegisterStore,
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
    try:
        return _execute(the_plan, workers, scheduler, on_result)
    finally:
        stop_early()  # kernels started ahead that no run took: nothing to do, an output refused


def _execute(
    the_plan: Plan,
    workers: int | None,
    scheduler: str | None,
    on_result: Callable[[Result], None] | None,
) -> BatchResult:
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
