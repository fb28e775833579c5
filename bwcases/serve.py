"""Serving the advisor apps: Voilà over the notebooks folder, behind a token."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

NOTEBOOKS = Path(
    os.environ.get("BWCASES_NOTEBOOKS", Path(__file__).resolve().parent.parent / "notebooks")
)
START_PAGE = "case_overview.ipynb"


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
        "--Voila.ip=127.0.0.1",
        "--VoilaConfiguration.show_tracebacks=False",
        "--VoilaExecutor.timeout=120",
        "--VoilaConfiguration.file_allowlist=[]",
    ]


def app_url(port: int, token: str, page: str = START_PAGE) -> str:
    """The address a person opens, with the access token."""
    return f"http://127.0.0.1:{port}/voila/render/{page}?token={token}"


def serve(store_url: str, *, port: int = 8866, token: str | None = None) -> int:
    """Run Voilà in the foreground until interrupted; prints the URL to open."""
    token = token or secrets.token_urlsafe(24)
    env = {**os.environ, "BWCASES_DB": store_url}
    print(f"Open the case overview at:\n    {app_url(port, token)}\n(Ctrl-C to stop)", flush=True)
    proc = subprocess.Popen(voila_command(port, token), env=env)
    try:
        return proc.wait()
    except KeyboardInterrupt:
        proc.terminate()
        return proc.wait()
