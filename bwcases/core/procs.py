"""Processes as Linux's /proc shows them: what the batch's forked kernels and the PDF printer's
Chromium are checked and stopped by."""

from __future__ import annotations

import contextlib
from pathlib import Path

STATE, PARENT, GROUP = 0, 1, 2  # fields of /proc/PID/stat, counted from the state (its 3rd)
STARTTIME = 19  # its 22nd field: tells a process from a later one given the same pid


def stat(pid: int) -> list[str] | None:
    """The fields of /proc/PID/stat after the command's name, from the state on; None if gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2 :].split()


def running(pid: int) -> bool:
    """Whether a process is there and has not ended (a zombie has ended)."""
    found = stat(pid)
    return found is not None and found[STATE] not in "ZX"


def processes() -> dict[int, tuple[int, int]]:
    """Every process now: pid -> (parent pid, process group)."""
    found = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (fields := stat(int(entry.name))) is not None:
            with contextlib.suppress(ValueError, IndexError):
                found[int(entry.name)] = (int(fields[PARENT]), int(fields[GROUP]))
    return found


def cmdline(pid: int) -> str:
    """A process's command line, its arguments separated by NUL; empty if gone."""
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return ""
