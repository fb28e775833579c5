"""What batch tests share: notebooks and batch files made for a test, and the processes of a
run (its kernels, launched or forked), seen in /proc."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import nbformat
import yaml

from tests.helpers import ROOT

REPORT = ROOT / "notebooks" / "factory_progress_report.ipynb"


def notebook(path: Path, *cells: str) -> Path:
    """A notebook whose first cell is tagged parameters."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(src) for src in cells]
    nb.cells[0].metadata["tags"] = ["parameters"]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, path)
    return path


def batch_file(tmp_path: Path, **fields: Any) -> Path:
    spec = {
        "notebook": str(REPORT),
        "for_each": "factory",
        "select": {"all": True},
        "parameters": {"as_of": "2026-06-30"},
        "output": str(tmp_path / "out"),
        "formats": ["ipynb", "html"],
        **fields,
    }
    path = tmp_path / "batch.yaml"
    path.write_text(yaml.safe_dump(spec), encoding="utf-8")
    return path


def processes() -> dict[int, tuple[int, str, str]]:
    """Every process: pid -> (parent pid, start time, state), from /proc."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # gone meanwhile
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        found[int(entry.name)] = (int(fields[1]), fields[19], fields[0])
    return found


def process_tree(root: int) -> dict[int, str]:
    """The live descendants of a process: pid -> start time (which tells a reused pid apart)."""
    procs = processes()
    out: dict[int, str] = {}
    parents = {root}
    while parents:
        children = {p for p, (ppid, _, _) in procs.items() if ppid in parents and p not in out}
        out.update({p: procs[p][1] for p in children})
        parents = children
    return out


def alive(pids: dict[int, str]) -> list[int]:
    """Those of `pids` still running (not replaced by another process, not a zombie)."""
    procs = processes()
    return [
        p for p, start in pids.items() if p in procs and procs[p][1] == start and procs[p][2] != "Z"
    ]


def kernels_of_run(run: int, *, zygote: bool = True) -> dict[int, str]:
    """A run's live kernels: those below it, and those forked by its zygote (no one's children
    once the zygote has ended, and their command line then names the run), with the zygote
    itself (the run's child, with the same command line) unless asked not to: pid -> start
    time."""
    procs = processes()
    below = process_tree(run)
    found = {}
    for pid, (parent, start, state) in procs.items():
        try:
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:  # gone meanwhile
            continue
        zygote_like = b"bwcases.batch.zygote" in argv and argv[-2:-1] == [str(run).encode()]
        forked = zygote_like and (zygote or parent != run)
        if state != "Z" and (forked or (pid in below and b"ipykernel_launcher" in argv)):
            found[pid] = start
    return found
