"""Where the store is: its URL from an argument, BWCASES_DB or the default SQLite file (no
SQLAlchemy here: the rates command finds its store without it)."""

from __future__ import annotations

import os
from pathlib import Path

from bwcases.core.paths import absolute_store

__all__ = ["default_path", "resolve_url", "sqlite_file"]


def default_path() -> Path:
    """Where the embedded SQLite store lives unless BWCASES_DB or --db says otherwise."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "bwcases" / "cases.sqlite"


def resolve_url(url: str | None = None) -> str:
    """The store URL: the argument, else BWCASES_DB, else the default SQLite file."""
    url = url or os.environ.get("BWCASES_DB")
    if url:
        if "://" not in url:  # a plain path to an SQLite file
            return f"sqlite:///{Path(url).expanduser().resolve()}"
        return absolute_store(url)  # a relative SQLite file named from any folder
    return f"sqlite:///{default_path()}"


def sqlite_file(url: str) -> Path | None:
    """The file an SQLite URL names as resolve_url gives it (an absolute path, nothing after
    it), or None for any other URL: another database, memory, a URI, options, escapes."""
    scheme, slashes, database = url.partition(":///")
    if scheme not in ("sqlite", "sqlite+pysqlite") or not slashes:
        return None
    if not database.startswith("/") or any(c in database for c in "?%#"):
        return None
    return Path(database)
