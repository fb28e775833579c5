"""Where batch tasks run: threads of this process driving warm kernels, or a Dask cluster."""

from __future__ import annotations

import contextlib
import os
import queue
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bwcases.batch import executor
from bwcases.batch.executor import Result, Task, run_task
from bwcases.batch.zygote import Zygote, forkable, imports_of

Backend = Callable[[list[Task], Callable[[Result], None], dict[str, Any]], None]
BACKENDS: dict[str, Backend] = {}


def backend(name: str) -> Callable[[Backend], Backend]:
    """Register a way of running tasks (local kernels, a Dask cluster)."""

    def register(fn: Backend) -> Backend:
        BACKENDS[name] = fn
        return fn

    return register


class KernelThreads:
    """Threads of this process, each starting a kernel, warming it up and running tasks on it.

    The work is in the kernels: a thread only drives one, so no worker process imports (and
    holds) the whole stack again, and the kernels start the moment the notebook is known.
    """

    def __init__(
        self, kernel_name: str, notebook: str, count: int, zygote: Zygote | None = None
    ) -> None:
        self.kernel_name, self.notebook = kernel_name, notebook
        self._tasks: queue.SimpleQueue[Task | None] = queue.SimpleQueue()
        self._results: queue.SimpleQueue[Result] = queue.SimpleQueue()
        self._stopping = threading.Event()
        # Kernels that import for themselves: the first starts and warms up alone, the others
        # once it is warm; on a machine of few cores, kernels importing side by side would only
        # delay the first result (on two cores: 1 s earlier, and the batch no later, as the work
        # to do is the same). Kernels forked by a zygote have imported already: all start at
        # once (on two cores, the second kernel's first result 0.2 s earlier).
        self._first_warm = threading.Event()
        self._serving: set[threading.Thread] = set()  # those whose kernel is up (or failed)
        self.zygote = _zygote(kernel_name, notebook, zygote)
        self._threads = [
            threading.Thread(target=self._serve, name=f"bwcases-kernel-{n}", daemon=True)
            for n in range(max(1, count))
        ]
        for thread in self._threads:
            thread.start()

    def _serve(self) -> None:
        first = threading.current_thread() is self._threads[0]
        if not first and self.zygote is None:
            self._first_warm.wait()
        # A kernel that cannot start: run_task tries again and fails each item with the reason.
        with contextlib.suppress(Exception):
            if not self._stopping.is_set():
                executor.prepare(self.kernel_name, self.notebook, self.zygote)
        if first:
            self._first_warm.set()
        self._serving.add(threading.current_thread())
        if self.zygote is not None and self._serving.issuperset(self._threads):
            self.zygote.done()  # every kernel is forked: its memory goes back
        try:
            while (task := self._tasks.get()) is not None and not self._stopping.is_set():
                self._results.put(_run(task, self._stopping.is_set))
        finally:
            executor.release()

    def run(self, tasks: list[Task], done: Callable[[Result], None]) -> None:
        """Run the tasks, handing each result to `done` in this thread as it comes."""
        for task in tasks:
            self._tasks.put(task)
        for _ in self._threads:
            self._tasks.put(None)
        for _ in tasks:
            done(self._next())

    def _next(self) -> Result:
        while True:
            try:  # a short wait at a time: Ctrl-C is seen at once
                return self._results.get(timeout=0.2)
            except queue.Empty:
                if not any(thread.is_alive() for thread in self._threads):
                    raise RuntimeError("the batch's kernel threads ended early") from None

    def close(self, *, kill: bool = False) -> None:
        """Stop the kernels: at once (an interrupted run), or once their tasks are done."""
        for _ in self._threads:
            self._tasks.put(None)  # for threads that were never given a run
        if kill:  # a kernel still starting is shut down by its thread once it is up
            self._stopping.set()
            executor.kill_all(self._threads)
            self._close_zygote()
            return
        # A kernel still warming up when the tasks are done is of no use: not waited for.
        starting = [thread for thread in self._threads if thread not in self._serving]
        executor.kill_all(starting)
        for thread in self._threads:
            if thread not in starting:
                thread.join()
        self._close_zygote()

    def _close_zygote(self) -> None:
        if self.zygote is not None:
            self.zygote.close()


def _zygote(kernel_name: str, notebook: str, started: Zygote | None) -> Zygote | None:
    """A zygote to fork the kernels from (the one started ahead, or a new one) where the kernel
    is this Python's ipykernel; None (and the one started ahead stopped) where it is not."""
    from jupyter_client.kernelspec import KernelSpecManager

    try:
        spec = KernelSpecManager().get_kernel_spec(kernel_name)
        if forkable(spec.argv, spec.env):
            return started or Zygote(imports_of(notebook), cwd=str(Path(notebook).parent))
    except Exception:  # noqa: S110  (no such kernel, an unreadable notebook: started as usual)
        pass
    if started is not None:
        started.close()
    return None


def _run(task: Task, cancelled: Callable[[], bool]) -> Result:
    """Run one task; whatever goes wrong fails this item only, and the thread serves the next."""
    started = time.perf_counter()
    try:
        return run_task(task, cancelled=cancelled)
    except Exception as exc:  # a dead thread would leave its item unreported and run no more
        error = f"{type(exc).__name__}: {exc}".replace("\n", " ")
        return Result(task.item, "failed", round(time.perf_counter() - started, 3), error=error)


_early: KernelThreads | None = None


def start_early(notebook: str, workers: int | None, kernel_name: str = "python3") -> None:
    """Start the local run's kernels now, while this process still imports and plans."""
    global _early
    stop_early()
    # The usual kernel's zygote starts first, before jupyter_client is imported to check it
    zygote = None
    if kernel_name == "python3":
        with contextlib.suppress(Exception):  # an unreadable notebook: no kernel forked
            zygote = Zygote(imports_of(notebook), cwd=str(Path(notebook).parent))
    _early = KernelThreads(kernel_name, notebook, workers or os.cpu_count() or 1, zygote)


def stop_early() -> None:
    """Stop kernels started early that no run took."""
    global _early
    if _early is not None:
        _early.close(kill=True)  # not waiting for kernels still starting
        _early = None


def _take_early(kernel_name: str, notebook: str) -> KernelThreads | None:
    global _early
    started, _early = _early, None
    if started is not None and (started.kernel_name, started.notebook) != (kernel_name, notebook):
        started.close(kill=True)
        return None
    return started


@backend("local")
def run_local(tasks: list[Task], done: Callable[[Result], None], options: dict[str, Any]) -> None:
    """Kernels on this machine, each driven by a thread and kept warm."""
    first = tasks[0]
    threads = _take_early(first.kernel_name, first.notebook) or KernelThreads(
        first.kernel_name, first.notebook, min(int(options["workers"]), len(tasks))
    )
    if any(task.pdf for task in tasks):
        from bwcases.render.pdf import start_printing

        start_printing()  # one Chromium prints every PDF of the run, started while kernels warm
    try:
        threads.run(tasks, done)
    except BaseException:
        threads.close(kill=True)
        raise
    threads.close()


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
