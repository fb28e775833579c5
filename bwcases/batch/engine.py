"""Papermill on a warm kernel: its engine, and one notebook run with its semantics.

Apart from `bwcases.batch.executor` so that a run's kernels start before papermill (and
nbformat's validator) are imported: only a notebook run needs them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import papermill as pm
from papermill.clientwrap import PapermillNotebookClient
from papermill.engines import Engine, papermill_engines
from papermill.exceptions import PapermillExecutionError

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
    """Run the task's notebook with papermill on a warm kernel; the executed notebook."""
    return pm.execute_notebook(
        task.notebook,
        None,
        parameters=task.parameters,
        engine_name=ENGINE,
        kernel_name=task.kernel_name,
        progress_bar=False,
        request_save_on_cell_execute=False,
        execution_timeout=task.timeout,
        warm=warm,
    )
