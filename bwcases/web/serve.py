"""Serving the advisor apps: Voilà over the notebooks folder, every page behind sign-in."""

# Voilà runs as `python -m bwcases.web.serve FOLDER --port P`, so that its configuration (the
# store's identity provider, preheated kernels, the cell time-out) is set here in Python.

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import FrameType
from typing import IO, Any
from urllib.parse import urlencode

from bwcases.core.errors import BwcasesError, UsageError
from bwcases.core.paths import NOTEBOOKS
from bwcases.web.limits import APPS, KERNEL_GRACE, MAX_PAGES, PAGES_PER_PERSON, START_PAGE, Limits

REQUEST_TAG = "request"
NOTEBOOK_ONLY_TAG = "notebook-only"
HOST = "127.0.0.1"
CELL_TIMEOUT = 120  # seconds a cell may run before the page says it gave up
POOL_SIZE = 1  # preheated kernels kept ready per app
REFILL_DELAY = 3.0  # seconds before a used preheated kernel is replaced
# A websocket message carries a progress update's evidence files (at most 5 of 10 MB, checked
# in the browser before they are sent: apps.evidence) or a work queue's export down; stored
# evidence files go down by HTTP (web.evidence).
MAX_MESSAGE = 64 * 1024 * 1024
IOPUB_TIMEOUT = 60  # seconds a page's cell output may take to arrive (see voila_config)


def cell_timeout(cell: Any) -> int | None:
    """A cell's time-out: none for the cell that waits for a page's request, else CELL_TIMEOUT."""
    tags = cell.get("metadata", {}).get("tags", []) if cell is not None else []
    return None if REQUEST_TAG in tags else CELL_TIMEOUT


def voila_config(
    *, preheat: bool = True, pool_size: int = POOL_SIZE, limits: Limits | None = None
) -> Any:
    """Voilà's configuration: sign-in through the store, no tracebacks, a cell time-out,
    bounded kernels."""
    from traitlets.config import Config

    from bwcases.core.i18n import LANGUAGES, TROUBLE_LOADING, translator
    from bwcases.web.kernel_owners import KernelOwnerAuthorizer
    from bwcases.web.signin import StoreIdentityProvider

    limits = limits or Limits()
    c = Config()
    c.Voila.identity_provider_class = StoreIdentityProvider
    c.Voila.authorizer_class = KernelOwnerAuthorizer  # a page's kernel is its reader's only
    c.Voila.ip = HOST
    c.Voila.open_browser = False
    c.Voila.port_retries = 0  # fail rather than serve on a port the printed URL does not name
    c.Voila.tornado_settings = {
        "websocket_max_message_size": MAX_MESSAGE,
        "websocket_compression_options": {},  # widget states travel compressed: slow links
        "bwcases_pages_per_person": limits.pages_per_person,
        "bwcases_max_pages": limits.max_pages,
    }
    c.AppsVoila.trusted_proxy = limits.trusted_proxy
    # a kernel with no page connected and idle for kernel_grace minutes is stopped (a page that
    # was asked for and never opened, a tab closed while offline); preheated ones are kept
    grace = max(1, round(limits.kernel_grace * 60))
    c.MappingKernelManager.cull_idle_timeout = grace
    c.MappingKernelManager.cull_interval = max(1, min(60, grace // 4))
    c.MappingKernelManager.cull_connected = False
    c.VoilaConfiguration.show_tracebacks = False  # people see a sentence, never a traceback
    # serve the apps, not the files beside them: an allowlist pattern that matches nothing
    c.VoilaConfiguration.file_allowlist = ["(?!)"]
    # The session cookie reaches the kernel, which checks it against the store: the signed-in
    # person comes from there, never from the address (see bwcases.apps.request).
    c.VoilaConfiguration.http_header_envs = ["Cookie", "Accept-Language"]
    # what the apps' page says, in every language, when its widgets never arrive (it knows its
    # language only from them): templates/apps
    trouble = {code: translator(code)(TROUBLE_LOADING) for code in LANGUAGES}
    c.VoilaConfiguration.resources = {"bwcases": {"trouble": trouble}}
    # the notebook's own introduction is for readers of the notebook; the apps have titles
    c.TagRemovePreprocessor.remove_cell_tags = {NOTEBOOK_ONLY_TAG}
    # what a page says when a cell failed or ran out of time (the details go to the log)
    c.VoilaExecutor.cell_error_instruction = TROUBLE_LOADING
    c.VoilaExecutor.cell_timeout_instruction = "Try again in a moment."
    c.VoilaExecutor.timeout = CELL_TIMEOUT
    # a cell's output may come late while many kernels start at once (a team's morning on 2
    # cores): nbclient waits 4 s by default, then drops it and the page stays empty
    c.VoilaExecutor.iopub_timeout = IOPUB_TIMEOUT
    c.VoilaExecutor.timeout_func = cell_timeout
    if preheat:
        c.VoilaConfiguration.preheat_kernel = True
        pools = {"default": {"pool_size": 0}}
        pools.update({app: {"pool_size": pool_size} for app in APPS})
        c.VoilaKernelManager.kernel_pools_config = pools
        # a used kernel is replaced after the page it went to is drawn: starting one at once
        # takes the CPU that browser and server need to draw that page (measured: bench_apps)
        c.VoilaKernelManager.fill_delay = REFILL_DELAY
    return c


def voila_command(
    port: int, notebooks: Path = NOTEBOOKS, *, preheat: bool = True, limits: Limits | None = None
) -> list[str]:
    """The command line that serves the apps."""
    cmd = [sys.executable, "-m", "bwcases.web.serve", str(notebooks), f"--port={port}"]
    cmd += (limits or Limits()).args()
    return cmd if preheat else [*cmd, "--cold"]


def app_url(
    port: int, page: str = START_PAGE, factory_id: str | None = None, lang: str | None = None
) -> str:
    """The address of an app (it asks for sign-in first)."""
    query = {k: v for k, v in (("factory", factory_id), ("lang", lang)) if v}
    url = f"http://{HOST}:{port}/voila/render/{page}"
    return f"{url}?{urlencode(query)}" if query else url


def free_port() -> int:
    """A TCP port on localhost nobody listens on now."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def _port_taken(port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as Tornado binds
        try:
            sock.bind((HOST, port))
        except OSError:
            return True
    return False


def _answers(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://{HOST}:{port}/login", timeout=2):
            return True
    except urllib.error.HTTPError:
        return True  # any HTTP answer means it is up
    except OSError:
        return False


def start_server(
    store_url: str,
    *,
    port: int | None = None,
    notebooks: Path = NOTEBOOKS,
    log: IO[bytes] | None = None,
    timeout: float = 60.0,
    preheat: bool = True,
    limits: Limits | None = None,
) -> tuple[subprocess.Popen[bytes], str]:
    """Start Voilà on the store and return (process, address of the first app) once it answers."""
    if not (notebooks / START_PAGE).is_file():
        raise UsageError(f"no {START_PAGE} in {notebooks}; set BWCASES_NOTEBOOKS to the folder")
    port = port or free_port()
    if _port_taken(port):
        raise UsageError(f"port {port} is already in use; choose another with --port")
    env = {**os.environ, "BWCASES_DB": store_url, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        voila_command(port, notebooks, preheat=preheat, limits=limits),
        env=env,
        cwd=notebooks,
        stdout=log,
        stderr=subprocess.STDOUT if log is not None else None,
        start_new_session=True,  # Ctrl-C reaches us, and we stop Voilà (it would ask y/n)
    )
    deadline = time.monotonic() + timeout
    while not _answers(port):
        if proc.poll() is not None:
            raise BwcasesError(f"Voilà stopped on start (exit status {proc.returncode})")
        if time.monotonic() > deadline:
            stop_server(proc)
            raise BwcasesError(f"Voilà did not answer on port {port} within {timeout:.0f}s")
        time.sleep(0.2)
    return proc, app_url(port)


def stop_server(proc: subprocess.Popen[bytes], timeout: float = 10.0) -> int:
    """Stop a server started by start_server; returns its exit status."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
    return proc.wait()


def _interrupt(_signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def serve(
    store_url: str,
    *,
    port: int = 8866,
    preheat: bool = True,
    greeting: list[str] | None = None,
    limits: Limits | None = None,
) -> int:
    """Run Voilà in the foreground until interrupted; prints the address to open."""
    proc, url = start_server(store_url, port=port, preheat=preheat, limits=limits)
    previous = signal.signal(signal.SIGTERM, _interrupt)  # a kill stops Voilà with us
    overview = app_url(port, "case_overview.ipynb")
    lines = [
        "Open the advisor apps at:",
        f"    {url}",
        f"    {overview}  (case overview)",
        *(greeting or []),
        "(Ctrl-C to stop)",
    ]
    print("\n".join(lines), flush=True)
    try:
        return proc.wait()
    except KeyboardInterrupt:
        return stop_server(proc)
    finally:
        signal.signal(signal.SIGTERM, previous)


def main(argv: list[str] | None = None) -> None:
    """Voilà itself, configured for the apps (what start_server runs)."""
    parser = argparse.ArgumentParser(prog="python -m bwcases.web.serve")
    parser.add_argument("notebooks", type=Path)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--cold", action="store_true", help="no preheated kernels")
    parser.add_argument("--pages-per-person", type=int, default=PAGES_PER_PERSON)
    parser.add_argument("--max-pages", type=int, default=MAX_PAGES)
    parser.add_argument("--kernel-grace", type=float, default=KERNEL_GRACE)
    parser.add_argument("--trusted-proxy", action="store_true")
    args = parser.parse_args(argv)
    from bwcases.web.voila_app import AppsVoila

    limits = Limits(args.pages_per_person, args.max_pages, args.kernel_grace, args.trusted_proxy)
    AppsVoila.launch_instance(
        argv=[str(args.notebooks), f"--port={args.port}", "--no-browser"],
        config=voila_config(preheat=not args.cold, limits=limits),
    )


if __name__ == "__main__":
    main()
