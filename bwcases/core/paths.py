"""Where the project's notebooks and templates live (overridable for other layouts), and the
private files bwcases makes."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = Path(os.environ.get("BWCASES_NOTEBOOKS", ROOT / "notebooks"))
TEMPLATES = Path(os.environ.get("BWCASES_TEMPLATES", ROOT / "templates"))


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
