"""Running one notebook for one item on a warm kernel, with papermill's semantics.

A thread keeps one kernel warm and runs item after item on it: papermill injects the parameters
and marks a failing cell as it always does; between items `bwcases.batch.isolation` puts the kernel
back to its state after warm-up. Outputs are written under a temporary name and renamed, so an
interrupted run never leaves a half-written file behind.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import resource
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from pathlib import Path
from queue import Empty
from typing import Any

from jupyter_core.utils import run_sync

from bwcases.batch.zygote import Zygote, forkable, imports_of
from bwcases.core.formats import FIGURES_MIME

TAKE = "__import__('bwcases.batch.isolation').batch.isolation.take()"
RESTORE = "__import__('bwcases.batch.isolation').batch.isolation.restore()"
RECONNECT_MS = 10  # how soon a kernel's channels try again to connect (ZMQ's default: 100)
RECYCLE_AFTER = 250  # runs on one kernel before it is replaced (bounds slow leaks)
# Nothing reads a batch kernel's history: no SQLite file opened (and locked) for it.
KERNEL_ARGUMENTS = ["--HistoryManager.enabled=False"]


@dataclass
class Task:
    """One item of a batch: run `notebook` with `parameters`, write the outputs."""

    item: str
    notebook: str
    parameters: dict[str, Any]
    ipynb: str
    html: str | None
    metadata: dict[str, Any]
    timeout: int = 600
    kernel_name: str = "python3"
    template: str | None = None
    pdf: str | None = None
    scratch: str = ""  # a folder for files being written (renamed into place when complete)

    @property
    def tmp_dir(self) -> Path:
        return Path(self.scratch) if self.scratch else Path(self.ipynb).parent / ".tmp"


@dataclass
class Result:
    """What happened to one item."""

    item: str
    status: str
    duration_s: float
    error: str = ""
    figures: dict[str, Any] = field(default_factory=dict)
    worker_peak_mb: float = 0.0


class WarmKernel:
    """A kernel started once, warmed up by a first run, and reset between runs."""

    def __init__(self, kernel_name: str, cwd: str, zygote: Zygote | None = None) -> None:
        # here: a run's zygote is started before jupyter_client is imported
        import zmq
        from jupyter_client.manager import AsyncKernelManager

        self.km = AsyncKernelManager(kernel_name=kernel_name)
        spec = self.km.kernel_spec
        forked = False
        if zygote is not None and spec is not None and forkable(spec.argv, spec.env):
            with contextlib.suppress(OSError):  # a zygote that is done: started as usual
                self._fork(zygote, cwd)
                forked = True
        if not forked:
            # The kernel's own chatter (warnings about TCP, tracebacks) is not the analyst's.
            run_sync(self.km.start_kernel)(
                cwd=cwd,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                extra_arguments=KERNEL_ARGUMENTS,
            )
        _KERNELS.append(self)
        self.thread = threading.current_thread()  # the one thread that drives it
        self.kc = self.km.client()
        # A kernel binds its ports tens of ms after it starts, and the channels that tried to
        # connect before try again after ZMQ's 100 ms: soon after, its first answer comes sooner
        self.kc.context.setsockopt(zmq.RECONNECT_IVL, RECONNECT_MS)
        self.kc.start_channels()
        try:
            run_sync(_answers)(self.kc, 120)
        except BaseException:  # a kernel that never answers is stopped, each time it is tried
            self.shutdown()
            raise
        self.runs = 0
        self.warm = False
        self.last: Any = None  # the notebook of the latest run, as papermill left it

    def _fork(self, zygote: Zygote, cwd: str) -> None:
        """Have the zygote fork this kernel, and manage it as if it had been launched."""
        from jupyter_client.provisioning import LocalProvisioner

        self.km.write_connection_file()
        try:
            process = zygote.fork(self.km.connection_file, cwd, KERNEL_ARGUMENTS)
        except BaseException:
            self.km.cleanup_connection_file()
            raise
        provisioner = LocalProvisioner(
            kernel_id=self.km.kernel_id or "", kernel_spec=self.km.kernel_spec, parent=self.km
        )
        provisioner.process = process  # type: ignore[assignment]  # quacks as Popen does
        provisioner.pid = provisioner.pgid = process.pid
        provisioner.connection_info = self.km.get_connection_info()
        self.km.provisioner = provisioner

    def run_code(self, code: str) -> None:
        """Run code outside any notebook; raise if it fails."""
        reply = run_sync(self.kc.execute_interactive)(
            code, store_history=False, silent=True, timeout=120, output_hook=_ignore
        )
        if reply["content"]["status"] != "ok":
            raise RuntimeError(f"{reply['content'].get('ename')}: {reply['content'].get('evalue')}")

    def warm_up(self, notebook: str) -> None:
        """Run the notebook's imports, then record the state every run starts from."""
        self.run_code(imports_of(notebook) + "\n" + TAKE)
        self.warm = True
        self.runs = 0

    def execute(self, task: Task) -> Any:
        """Run the task's notebook with papermill on this kernel; the executed notebook.

        A failing cell raises `PapermillExecutionError`; the notebook, its cell marked, is then
        in `self.last`. Nothing is written: the caller writes the notebook once, complete.
        """
        from bwcases.batch.engine import execute

        self.last = None
        return execute(self, task)

    def reset(self) -> None:
        """Put the kernel back to its state after warm-up."""
        self.run_code(RESTORE)
        self.runs += 1

    def pid(self) -> int | None:
        """The kernel's process id."""
        provisioner = getattr(self.km, "provisioner", None)
        process = getattr(provisioner, "process", None)
        return getattr(process, "pid", None)

    def shutdown(self) -> None:
        """Stop the kernel and free what drove it."""
        if self in _KERNELS:
            _KERNELS.remove(self)
        # Killed, not asked: a batch kernel holds nothing worth a clean exit, and the polite way
        # (an interrupt, then a kill, then a wait) took 0.1 s of every run's end.
        with contextlib.suppress(Exception):  # a kernel dead already is no error worth reporting
            self.kc.stop_channels()
        self.kill()
        process: Any = getattr(getattr(self.km, "provisioner", None), "process", None)
        if process is not None:
            with contextlib.suppress(Exception):
                process.wait(timeout=10)  # reaped, no zombie left
        with contextlib.suppress(Exception):
            run_sync(self.km.cleanup_resources)()

    def kill(self) -> None:
        """Stop the kernel at once, with whatever it started, from any thread."""
        pid = self.pid()
        if pid:  # the kernel leads its own process group (jupyter_client starts a new session)
            with contextlib.suppress(OSError):
                os.killpg(pid, signal.SIGKILL)
        with contextlib.suppress(Exception):
            self.km.cleanup_connection_file()


_KERNELS: list[WarmKernel] = []  # the kernels this process runs, to stop them at once


async def _answers(kc: Any, timeout: float) -> None:
    """Wait until a new kernel answers, on its shell and its iopub channels.

    jupyter_client's `wait_for_ready` does the same, then listens to iopub 0.2 s more for
    messages nobody reads (every reader here takes only its own request's messages): 0.2 s of
    each kernel's start, and of the first result's wait.
    """
    deadline = time.monotonic() + timeout
    while True:
        kc.kernel_info()
        with contextlib.suppress(Empty):
            reply = await kc.shell_channel.get_msg(timeout=1)
            if reply["msg_type"] == "kernel_info_reply":
                await kc.iopub_channel.get_msg(timeout=0.2)  # its iopub is connected too
                return
        if not await kc.is_alive():
            raise RuntimeError("the kernel died before it answered")
        if time.monotonic() > deadline:
            raise RuntimeError(f"the kernel did not answer in {timeout:g} s")


def _ignore(_msg: Any) -> None:
    """Output of the kernel's housekeeping code is not kept."""


_local = threading.local()


def _kernel(task: Task) -> WarmKernel:
    kernel: WarmKernel | None = getattr(_local, "kernel", None)
    if kernel is not None and (not run_sync(kernel.km.is_alive)() or kernel.runs >= RECYCLE_AFTER):
        kernel.shutdown()
        kernel = None
    if kernel is None:
        zygote = getattr(_local, "zygote", None)
        kernel = WarmKernel(task.kernel_name, cwd=str(Path(task.notebook).parent), zygote=zygote)
        _local.kernel = kernel
    if not kernel.warm:
        kernel.warm_up(task.notebook)
    return kernel


def prepare(kernel_name: str, notebook: str, zygote: Zygote | None = None) -> None:
    """Start and warm up this thread's kernel ahead of its first task (forked, given a zygote)."""
    _local.zygote = zygote  # for the kernels that replace this one
    _local.kernel = WarmKernel(kernel_name, cwd=str(Path(notebook).parent), zygote=zygote)
    _local.kernel.warm_up(notebook)


def release() -> None:
    """Stop this thread's kernel."""
    kernel: WarmKernel | None = getattr(_local, "kernel", None)
    if kernel is not None:
        kernel.shutdown()
        _local.kernel = None


def kill_all(threads: Collection[threading.Thread] | None = None) -> None:
    """Stop at once, from any thread, the kernels these threads drive (by default: all)."""
    for kernel in list(_KERNELS):
        if threads is None or kernel.thread in threads:
            kernel.kill()


atexit.register(kill_all)  # a kernel outlives no run, even one ended by an error


def figures_of(nb: Any) -> dict[str, Any]:
    """The figures a notebook recorded (the last record wins)."""
    found: dict[str, Any] = {}
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if FIGURES_MIME in data:
                found = dict(data[FIGURES_MIME])
    return found


def _peak_mb(kernel: WarmKernel | None) -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    pid = kernel.pid() if kernel else None
    if pid:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    own += int(line.split()[1]) / 1024
        except OSError:
            pass
    return round(own, 1)


def _write_atomic(path: str, text: str, tmp_dir: Path) -> None:
    tmp = tmp_dir / (Path(path).name + f".{os.getpid()}.{threading.get_ident()}")
    tmp.parent.mkdir(parents=True, exist_ok=True)
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


class RenderError(Exception):
    """An output an item's executed notebook could not be made into (its HTML, its PDF)."""

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        super().__init__(f"cannot make {path}: {' '.join(reason.split())}")


def _render(task: Task, nb: Any) -> None:
    from bwcases.render.pdf import to_html, to_pdf

    html = to_html(nb, task.template)
    if task.html:
        _write_atomic(task.html, html, task.tmp_dir)
    if task.pdf:
        tmp = task.tmp_dir / (Path(task.pdf).name + f".{os.getpid()}.{threading.get_ident()}")
        tmp.parent.mkdir(parents=True, exist_ok=True)
        try:
            to_pdf(html, tmp)
        except Exception as exc:  # Chromium that failed, WeasyPrint that choked: this PDF alone
            tmp.unlink(missing_ok=True)
            # a PDF of an earlier run beside this run's files would be taken for this run's
            Path(task.pdf).unlink(missing_ok=True)
            raise RenderError(task.pdf, str(exc)) from exc
        os.replace(tmp, task.pdf)


def run_task(task: Task, cancelled: Callable[[], bool] | None = None) -> Result:
    """Run one item on this thread's warm kernel; never raises for a failing notebook.

    Once `cancelled()` says so (the run was interrupted), nothing more is written.
    """
    import nbformat

    from bwcases.batch.engine import PapermillExecutionError

    started = time.perf_counter()
    kernel: WarmKernel | None = None
    nb: Any = None
    status, error = "ok", ""
    try:
        kernel = _kernel(task)
        try:
            nb = kernel.execute(task)
        except PapermillExecutionError as exc:
            nb = kernel.last
            status, error = "failed", f"In [{exc.exec_count}]: {exc.ename}: {exc.evalue}"
        kernel.reset()
    except Exception as exc:  # a dead or stuck kernel, a broken notebook file: report, go on
        if status == "ok":  # the run's own error, not what resetting its kernel then said
            status, error = "failed", " ".join(f"{type(exc).__name__}: {exc}".split())
        if kernel is not None:
            # A kernel still busy with a timed-out cell cannot be reset (the wait took minutes):
            # it is replaced, and the notebook as far as it ran is kept
            nb = nb if nb is not None else kernel.last
            kernel.shutdown()
            _local.kernel = None
    if cancelled is not None and cancelled():
        return Result(task.item, "interrupted", round(time.perf_counter() - started, 3))
    figures: dict[str, Any] = {}
    try:
        if nb is not None:
            nb.metadata["bwcases"] = {**task.metadata, "status": status, "error": error}
            figures = figures_of(nb)
            Path(task.ipynb).parent.mkdir(parents=True, exist_ok=True)
            _write_atomic(task.ipynb, nbformat.writes(nb), task.tmp_dir)
            if task.html or task.pdf:
                _render(task, nb)
    except OSError as exc:  # a full disk, a folder in the way: this item failed, the batch goes on
        status = "failed"
        error = f"cannot write {exc.filename2 or exc.filename or task.ipynb}: {exc.strerror or exc}"
    except RenderError as exc:  # the notebook ran, but an output of it was not made: failed
        status, error = "failed", str(exc)
        # marked failed in the notebook too, so that the next run does it again
        nb.metadata["bwcases"] = {**task.metadata, "status": status, "error": error}
        with contextlib.suppress(OSError):  # unmarked, it is still not current: its PDF is gone
            _write_atomic(task.ipynb, nbformat.writes(nb), task.tmp_dir)
    return Result(
        item=task.item,
        status=status,
        duration_s=round(time.perf_counter() - started, 3),
        error=error,
        figures=figures,
        worker_peak_mb=_peak_mb(kernel),
    )
