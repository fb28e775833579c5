"""Kernels forked warm: one process imports ipykernel and a notebook's modules once, then forks.

A batch's kernels all run the same notebook: each one started anew pays for Python, ipykernel and
the notebook's imports (0.7 s of CPU on two cores that the items need). The zygote pays once, and
each kernel forked from it starts with those modules in memory (shared with its siblings until
written). It forks the run's first kernels and ends; each kernel watches a pipe from the run
and exits when the run ends, even killed.

Run as `python -m bwcases.batch.zygote`; the run speaks to it through its standard input and
output, one JSON line per request. Only for kernels that are this Python's plain ipykernel.
"""

from __future__ import annotations

import ast
import contextlib
import ctypes
import gc
import importlib
import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from bwcases.core import procs

PR_SET_PDEATHSIG = 1
LAUNCHER = ["-m", "ipykernel_launcher", "-f", "{connection_file}"]


def forkable(argv: list[str], env: dict[str, str] | None) -> bool:
    """Whether a kernelspec starts this very Python's ipykernel, nothing else about it."""
    if not sys.platform.startswith("linux"):  # the parent-death signal and /proc are Linux's
        return False
    pythons = {sys.executable, "python", f"python{sys.version_info[0]}"}
    pythons.add("python{}.{}".format(*sys.version_info[:2]))
    return not env and len(argv) == 5 and argv[0] in pythons and argv[1:] == LAUNCHER


class ForkedProcess:
    """A kernel forked by the zygote, seen as `subprocess.Popen` would show it."""

    stdin = stdout = stderr = None

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None
        # its start time tells it from a later process given the same pid once it has ended
        found = procs.stat(pid)
        self.started = found[procs.STARTTIME] if found else ""

    def poll(self) -> int | None:
        if self.returncode is None:
            # Not this process's child: once the zygote has ended, whoever inherited the kernel
            # reaps it when it pleases (a second or more), so a zombie is a finished kernel
            found = procs.stat(self.pid)
            if (
                found is None
                or found[procs.STATE] in "ZX"
                or found[procs.STARTTIME] != self.started
            ):
                self.returncode = -signal.SIGKILL
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        import time

        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(str(self.pid), timeout or 0)
            time.sleep(0.02)
        return self.returncode or 0

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:
            os.killpg(self.pid, signum)  # it leads its own session, as a launched kernel does

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)


class Zygote:
    """The run's side of a zygote: started at once, asked for kernels from any thread."""

    def __init__(self, imports: str, cwd: str) -> None:
        self._lock = threading.Lock()
        # The lifeline: each kernel watches its end of this pipe and exits once the run's end
        # closes, whether the run stopped them, ended, or was killed (-9 included).
        watched, self._lifeline = os.pipe()
        try:
            self.process = subprocess.Popen(
                # the run's pid: its forked kernels' command line, once no one's children, says
                # whose they are
                [sys.executable, "-m", "bwcases.batch.zygote", str(watched), str(os.getpid())],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                cwd=cwd,
                text=True,
                pass_fds=(watched,),
            )
        except BaseException:
            os.close(self._lifeline)
            raise
        finally:
            os.close(watched)
        self._send({"imports": imports})

    def _send(self, request: dict[str, Any]) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()

    def fork(self, connection_file: str, cwd: str, arguments: list[str]) -> ForkedProcess:
        """A kernel forked with this connection file, in this folder; OSError if none came."""
        with self._lock:
            try:
                if self.process.poll() is not None:
                    raise OSError("it has ended")
                self._send({"connection_file": connection_file, "cwd": cwd, "argv": arguments})
                assert self.process.stdout is not None
                answer = self.process.stdout.readline()
            except (OSError, ValueError) as exc:
                raise OSError(f"the kernel zygote is gone: {exc}") from None
        if not answer.strip().isdigit():
            raise OSError("the kernel zygote is gone")
        return ForkedProcess(int(answer))

    def done(self) -> None:
        """Fork no more: the zygote's memory is given back, its kernels run on."""
        # killed before the lock is taken: a fork waiting for its answer holds it, and the
        # zygote may still be importing the notebook's modules (the fork is then told it ended)
        if self.process.poll() is None:
            self.process.kill()
        with self._lock:
            self.process.wait()
            for pipe in (self.process.stdin, self.process.stdout):
                if pipe is not None:
                    pipe.close()

    def close(self) -> None:
        """Stop the zygote and every kernel forked from it."""
        self.done()
        with self._lock:
            if self._lifeline >= 0:
                os.close(self._lifeline)
                self._lifeline = -1


def imports_of(notebook: str) -> str:
    """The top-level import statements of a notebook's code cells (what a warm-up runs)."""
    # Read as the JSON it is: a kernel's warm-up does not wait for nbformat's validator
    cells = json.loads(Path(notebook).read_text(encoding="utf-8")).get("cells", [])
    lines = []
    for cell in cells:
        tags = cell.get("metadata", {}).get("tags", [])
        if cell.get("cell_type") != "code" or "parameters" in tags:
            continue
        source = cell.get("source", "")
        try:
            tree = ast.parse("".join(source) if isinstance(source, list) else source)
        except SyntaxError:
            continue
        lines += [ast.unparse(n) for n in tree.body if isinstance(n, ast.Import | ast.ImportFrom)]
    return "\n".join(lines)


# What a kernel imports as it starts, beyond ipykernel.kernelapp: imported once, before the forks
KERNEL_START = (
    "IPython.core.completerlib",
    "IPython.core.debugger",
    "IPython.extensions.storemagic",
    "psutil",
    "tornado.queues",
)


def _die_with_parent() -> None:
    parent = os.getppid()
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before the signal was asked for
        os._exit(1)


def _watch(lifeline: int) -> None:
    """In a kernel: exit the moment the run's end of the lifeline closes."""
    while True:
        try:
            if not os.read(lifeline, 1):
                os._exit(1)
        except InterruptedError:
            continue
        except OSError:
            os._exit(1)


def _kernel(request: dict[str, Any], lifeline: int) -> None:
    """In a forked child: become the kernel the request describes, then exit."""
    try:
        os.setsid()  # its own process group, so a kill reaches what it starts
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # its own subprocesses are waited for
        threading.Thread(target=_watch, args=(lifeline,), daemon=True).start()
        devnull = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(devnull, fd)
        os.chdir(request["cwd"])
        # ipykernel's own watch of its parent would end it with the zygote: the lifeline watches
        os.environ.pop("JPY_PARENT_PID", None)
        from ipykernel import kernelapp

        kernelapp.launch_new_instance(argv=["-f", request["connection_file"], *request["argv"]])
    finally:
        os._exit(0)


def main() -> None:
    """Import what every kernel needs, then fork one per request until the input ends."""
    # No collection while importing: the modules' objects all stay, and the collections their
    # creation sets off found nothing to free but took an eighth of the imports' time (0.1 s)
    gc.disable()
    lifeline = int(sys.argv[1])
    _die_with_parent()
    if sys.path and sys.path[0] in ("", os.getcwd()):  # as ipykernel_launcher does
        del sys.path[0]
    os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    first = json.loads(sys.stdin.readline() or "{}")
    # A batch kernel has no debugger: ipykernel's debugger module, imported while debugpy cannot
    # be, says so, where each kernel imported debugpy as it started (0.1 s, and pydevd's memory).
    # debugpy itself stays importable, for a notebook that uses it.
    sys.modules["debugpy"] = None  # type: ignore[assignment]
    try:
        from ipykernel import debugger, kernelapp  # noqa: F401  (in memory for every kernel)
    finally:
        del sys.modules["debugpy"]

    for name in KERNEL_START:
        with contextlib.suppress(ImportError):
            importlib.import_module(name)

    # a failing import fails the same way in each kernel's warm-up, which reports it
    with contextlib.suppress(Exception):
        exec(compile(first.get("imports", ""), "<warm-up>", "exec"), {})
    # Kept out of every collection from now on: a kernel's collector then writes none of these
    # objects' pages, which it shares with its siblings until one of them writes there. Not
    # collected first: the imports leave a few hundred unreachable objects, and finding them
    # means visiting all 130,000 (70 ms before the first kernel could start).
    gc.freeze()
    gc.enable()  # in each kernel
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # finished kernels are reaped by the system
    for line in sys.stdin:
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            _kernel(request, lifeline)
        sys.stdout.write(f"{pid}\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
