"""Where batch tasks run: worker processes on this machine, or a Dask cluster."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from typing import Any

from bwcases.batch.executor import Result, Task, run_task, start_worker

Backend = Callable[[list[Task], Callable[[Result], None], dict[str, Any]], None]
BACKENDS: dict[str, Backend] = {}


def backend(name: str) -> Callable[[Backend], Backend]:
    """Register a way of running tasks (local processes, a Dask cluster)."""

    def register(fn: Backend) -> Backend:
        BACKENDS[name] = fn
        return fn

    return register


@backend("local")
def run_local(tasks: list[Task], done: Callable[[Result], None], options: dict[str, Any]) -> None:
    """Worker processes, each with a kernel started ahead and kept warm."""
    workers = max(1, min(int(options["workers"]), len(tasks)))
    pool = ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=start_worker,
        initargs=(tasks[0].kernel_name, tasks[0].notebook, os.getpid()),
    )
    pending: set[Future[Result]] = set()
    queue = list(reversed(tasks))
    try:
        # Keep two tasks per worker in flight: enough to never idle, few to cancel on Ctrl-C.
        while queue or pending:
            while queue and len(pending) < 2 * workers:
                pending.add(pool.submit(run_task, queue.pop()))
            finished, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in finished:
                done(future.result())
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


@backend("dask")
def run_dask(tasks: list[Task], done: Callable[[Result], None], options: dict[str, Any]) -> None:
    """Tasks on a Dask distributed cluster; each worker keeps its own kernel warm."""
    from distributed import Client, as_completed

    with Client(options["scheduler"], timeout="30s") as client:
        futures = client.map(run_task, tasks, pure=False)
        for future in as_completed(futures):
            try:
                done(future.result())
            except Exception as exc:  # the worker itself died: report the item as failed
                task = tasks[futures.index(future)]
                done(
                    Result(
                        item=task.item,
                        status="failed",
                        duration_s=0.0,
                        error=f"{type(exc).__name__}: {exc}",
                    )
                )
