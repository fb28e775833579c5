"""Where the package's notebooks and templates live (overridable for other layouts), and the
private files bwcases makes."""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1]
# Shipped inside the package, so that an installed wheel has them (a checkout's top-level
# notebooks/ and templates/ are links to these).
NOTEBOOKS = Path(os.environ.get("BWCASES_NOTEBOOKS", PACKAGE / "notebooks"))
TEMPLATES = Path(os.environ.get("BWCASES_TEMPLATES", PACKAGE / "templates"))
# The checkout around the package: meaningful only in an editable install (tests/test_frontend.py)
ROOT = PACKAGE.parent


def private_file(path: Path) -> None:
    """Create an empty file, and the folders it lacks, for its owner's eyes only (0600, 0700).

    A file or folder that exists already is left as it is.
    """
    missing = []
    folder = path.parent
    while not folder.exists():
        missing.append(folder)
        folder = folder.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=0o700)
        except FileExistsError:  # made meanwhile, by another process
            continue
        folder.chmod(0o700)  # whatever the umask
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    try:
        os.fchmod(fd, 0o600)
    finally:
        os.close(fd)


def absolute_store(db: str) -> str:
    """A store's URL or path that still names it from another folder (a relative SQLite file
    made absolute; other databases, memory and file: URIs left as they are)."""
    # The kernels of serve, brief and run start in the notebooks' folder: a relative SQLite
    # path handed on as given would open (and create) an empty store there.
    if not db:
        return db
    if "://" not in db:  # a plain path to an SQLite file
        return str(Path(db).expanduser().resolve())
    scheme, slashes, rest = db.partition(":///")
    database, question, query = rest.partition("?")
    if (
        not slashes
        or not scheme.startswith("sqlite")
        or database in ("", ":memory:")
        or database.startswith(("/", "file:"))
    ):
        return db
    return f"{scheme}:///{Path(database).resolve()}{question}{query}"
