"""Serving the advisor apps: Voilà over the notebooks folder, behind a token."""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import FrameType
from typing import IO
from urllib.parse import quote

from bwcases.errors import BwcasesError, UsageError

NOTEBOOKS = Path(
    os.environ.get("BWCASES_NOTEBOOKS", Path(__file__).resolve().parent.parent / "notebooks")
)
START_PAGE = "case_overview.ipynb"
HOST = "127.0.0.1"


def voila_command(port: int, token: str, notebooks: Path = NOTEBOOKS) -> list[str]:
    """The Voilà command line that serves the apps."""
    return [
        sys.executable,
        "-m",
        "voila",
        str(notebooks),
        f"--port={port}",
        "--no-browser",
        f"--Voila.token={token}",
        f"--Voila.ip={HOST}",
        "--Voila.port_retries=0",  # fail rather than serve on a port the printed URL does not name
        "--VoilaConfiguration.show_tracebacks=False",  # people see a sentence, never a traceback
        "--VoilaExecutor.timeout=120",
        # serve the apps, not the files beside them: an allowlist pattern that matches nothing
        "--VoilaConfiguration.file_allowlist=(?!)",
    ]


def app_url(port: int, token: str, page: str = START_PAGE, factory_id: str | None = None) -> str:
    """The address a person opens, with the access token."""
    url = f"http://{HOST}:{port}/voila/render/{page}?token={quote(token)}"
    return f"{url}&factory={quote(factory_id)}" if factory_id else url


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
        with urllib.request.urlopen(f"http://{HOST}:{port}/", timeout=2):
            return True
    except urllib.error.HTTPError:
        return True  # any HTTP answer (e.g. a redirect to the login page) means it is up
    except OSError:
        return False


def start_server(
    store_url: str,
    *,
    port: int | None = None,
    token: str | None = None,
    notebooks: Path = NOTEBOOKS,
    log: IO[bytes] | None = None,
    timeout: float = 60.0,
) -> tuple[subprocess.Popen[bytes], str]:
    """Start Voilà on the store and return (process, URL with token) once it answers."""
    if not (notebooks / START_PAGE).is_file():
        raise UsageError(f"no {START_PAGE} in {notebooks}; set BWCASES_NOTEBOOKS to the folder")
    port = port or free_port()
    if _port_taken(port):
        raise UsageError(f"port {port} is already in use; choose another with --port")
    token = token or secrets.token_urlsafe(24)
    env = {**os.environ, "BWCASES_DB": store_url}
    proc = subprocess.Popen(
        voila_command(port, token, notebooks),
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
    return proc, app_url(port, token)


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


def serve(store_url: str, *, port: int = 8866, token: str | None = None) -> int:
    """Run Voilà in the foreground until interrupted; prints the URL to open."""
    proc, url = start_server(store_url, port=port, token=token)
    previous = signal.signal(signal.SIGTERM, _interrupt)  # a kill stops Voilà with us
    print(f"Open the case overview at:\n    {url}\n(Ctrl-C to stop)", flush=True)
    try:
        return proc.wait()
    except KeyboardInterrupt:
        return stop_server(proc)
    finally:
        signal.signal(signal.SIGTERM, previous)
