"""Papermill on a warm kernel: its engine, and one notebook run with its semantics.

Apart from `bwcases.batch.executor` so that a run's kernels start before papermill (and
nbformat's validator) are imported: only a notebook run needs them.
"""

from __future__ import annotations

import copy
import functools
import os
from typing import TYPE_CHECKING, Any

from papermill.clientwrap import PapermillNotebookClient
from papermill.engines import Engine, papermill_engines
from papermill.exceptions import PapermillExecutionError
from papermill.execute import (
    prepare_notebook_metadata,
    raise_for_execution_errors,
    remove_error_markers,
)
from papermill.iorw import load_notebook_node
from papermill.parameterize import parameterize_notebook

if TYPE_CHECKING:
    from bwcases.batch.executor import Task, WarmKernel

ENGINE = "bwcases-warm"

__all__ = ["PapermillExecutionError", "execute"]


class WarmEngine(Engine):
    """Papermill engine that runs on a kernel the caller keeps warm."""

    @classmethod
    def execute_managed_notebook(cls, nb_man: Any, kernel_name: str, **kwargs: Any) -> Any:
        warm: WarmKernel = kwargs.pop("warm")
        client = PapermillNotebookClient(
            nb_man,
            km=warm.km,
            kernel_name=kernel_name,
            timeout=kwargs.get("execution_timeout"),
            startup_timeout=kwargs.get("start_timeout", 60),
            log_output=False,
        )
        client.kc = warm.kc
        warm.last = nb_man.nb  # papermill marks a failing cell in this very notebook, then raises
        return client.execute()


papermill_engines.register(ENGINE, WarmEngine)


def execute(warm: WarmKernel, task: Task) -> Any:
    """Run the task's notebook with papermill on a warm kernel; the executed notebook.

    Papermill's own steps, as `papermill.execute_notebook` takes them, less its reading and
    checking of the same notebook file for every item and its serialising of the result for an
    output path that is None (a fifth of the run's own CPU per item): the caller writes it.
    """
    nb = _notebook(task.notebook)
    if task.parameters:
        nb = parameterize_notebook(
            nb, task.parameters, kernel_name=task.kernel_name, engine_name=ENGINE
        )
    nb = prepare_notebook_metadata(nb, task.notebook, None)
    nb = remove_error_markers(nb)
    nb = papermill_engines.execute_notebook_with_engine(
        ENGINE,
        nb,
        input_path=task.notebook,
        output_path=None,
        kernel_name=task.kernel_name,
        progress_bar=False,
        log_output=False,
        start_timeout=60,
        stdout_file=None,
        stderr_file=None,
        execution_timeout=task.timeout,
        warm=warm,
    )
    raise_for_execution_errors(nb, None)  # a failing cell marked, as papermill marks it
    return nb


@functools.lru_cache(maxsize=8)
def _loaded(path: str, _stamp: tuple[int, int]) -> Any:
    return load_notebook_node(path)


def _notebook(path: str) -> Any:
    """The notebook as papermill loads it: read once while the file is unchanged, a copy for
    each run to fill in."""
    stat = os.stat(path)
    return copy.deepcopy(_loaded(path, (stat.st_mtime_ns, stat.st_size)))
