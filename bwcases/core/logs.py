"""Logging for code that runs in a page's kernel: to the server's log, never to the page."""

from __future__ import annotations

import logging
import sys

FORMAT = "[%(name)s] %(levelname)s %(message)s"


class _ToServer(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to the process's own stderr."""


def server_log(name: str) -> logging.Logger:
    """A logger whose records reach the server's log and never the browser."""
    # In a kernel, sys.stderr is a stream to the page (ipykernel sends what is written to it
    # to the browser, where a traceback would show SQL and its parameters); the process's own
    # stderr, which the Voilà server passes on to its log, is sys.__stderr__.
    root = logging.getLogger("bwcases")
    if not any(isinstance(h, _ToServer) for h in root.handlers):
        handler = _ToServer(sys.__stderr__)
        handler.setFormatter(logging.Formatter(FORMAT))
        root.addHandler(handler)
        root.propagate = False  # not on to logging's last resort: the page's stderr
        root.setLevel(logging.INFO)
    return logging.getLogger(name)
