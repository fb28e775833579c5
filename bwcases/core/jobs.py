"""A thread of work of its own: what is handed to it runs there, in order, one at a time.

For objects that belong to the thread that made them (a kernel's client, Playwright's browser):
the thread keeps them, and other threads hand it work and wait on a Future. The thread is a
daemon: a process that is done does not wait for it (a kernel still warming up for a brief whose
partner was refused), and what it drives is stopped by that owner's own exit handler.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any


class JobThread:
    """One daemon thread running the jobs handed to it, in the order they came."""

    def __init__(self, name: str) -> None:
        self._jobs: queue.SimpleQueue[tuple[Callable[[], Any], Future[Any]] | None] = (
            queue.SimpleQueue()
        )
        self.thread = threading.Thread(target=self._serve, name=name, daemon=True)
        self.thread.start()

    def submit(self, fn: Callable[..., Any], *args: Any) -> Future[Any]:
        """Run `fn(*args)` on the thread, after the jobs handed over before."""
        job: Future[Any] = Future()
        self._jobs.put((lambda: fn(*args), job))
        return job

    def stop(self, timeout: float | None = None) -> bool:
        """End the thread once the jobs handed over are done; whether it ended in `timeout`."""
        self._jobs.put(None)
        if threading.current_thread() is not self.thread:
            self.thread.join(timeout)
        return not self.thread.is_alive()

    def _serve(self) -> None:
        while (item := self._jobs.get()) is not None:
            fn, job = item
            if job.set_running_or_notify_cancel():
                try:
                    job.set_result(fn())
                except BaseException as exc:  # the caller's to say what it means
                    job.set_exception(exc)
