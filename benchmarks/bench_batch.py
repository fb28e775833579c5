"""Batch throughput: a shell loop of `papermill` calls against the `bwcases run` command.

    .venv/bin/python benchmarks/bench_batch.py [--items 12,100] [--workers 2] [--sample 4]
                                               [--store PATH]

Both produce the executed factory progress report (.ipynb) of the same factories of a demo
store. For each batch size, `bwcases run` as a command (imports, kernels, every item) is timed
from its start: until its first notebook is in place and until it ends, with the peak memory of
its whole process tree (the command and its kernels, resident set sizes summed). The papermill
loop's time is `--sample` calls of one `papermill` command each, times the batch size (the calls
share nothing, so the loop is that linear; `--sample 0` runs the whole loop instead).

Targets (issue 16), as ratios in the same run: the first result <= 1.5 s after the command
starts; 12 factories >= 20x the papermill loop, 100 factories >= 30x; <= 400 MB for 2 workers.
"""

from __future__ import annotations

import argparse
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from bwcases.core.paths import NOTEBOOKS
from bwcases.io.demo import fill_demo
from bwcases.store import Store

NOTEBOOK = NOTEBOOKS / "factory_progress_report.ipynb"
AS_OF = "2026-06-30"


def _tree_memory_mb(root: int) -> tuple[float, float]:
    """The resident memory of a process and all its descendants, in MB, from /proc: the sum of
    their resident set sizes, and of their proportional set sizes (shared pages split)."""
    rss = pss = 0
    frontier, seen = [root], set()
    while frontier:
        pid = frontier.pop()
        seen.add(pid)
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    rss += int(line.split()[1])
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    pss += int(line.split()[1])
            for task in Path(f"/proc/{pid}/task").iterdir():
                frontier += [int(c) for c in (task / "children").read_text().split()]
        except OSError:  # gone meanwhile
            continue
        frontier = [p for p in frontier if p not in seen]
    return rss / 1024, pss / 1024


def timed(argv: list[str], out: Path) -> tuple[float, float, tuple[float, float]]:
    """Seconds from the command's start until its first notebook is in `out` and until its end,
    and the peak memory of its process tree (RSS and PSS)."""
    start = time.perf_counter()
    first = None
    peak = (0.0, 0.0)
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=err)
        while proc.poll() is None:
            if first is None and out.is_dir() and any(out.glob("*.ipynb")):
                first = time.perf_counter() - start  # outputs are renamed into place when done
            peak = tuple(map(max, peak, _tree_memory_mb(proc.pid)))  # type: ignore[assignment]
            time.sleep(0.02)
        total = time.perf_counter() - start
        if proc.returncode or first is None:
            err.seek(0)
            raise SystemExit(f"{shlex.join(argv)} failed:\n{err.read().decode()[-2000:]}")
    return first, total, peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", default="12,100", help="batch sizes, comma-separated")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--sample", type=int, default=4, help="papermill calls timed (0: all)")
    parser.add_argument("--store", type=Path, help="an SQLite store to use (default: a new demo)")
    args = parser.parse_args()
    sizes = [int(n) for n in args.items.split(",")]
    work = Path(tempfile.mkdtemp(prefix="bwcases-batch-"))
    path = (args.store or work / "demo.sqlite").resolve()
    store = Store(f"sqlite:///{path}")
    if store.factories_frame().empty:
        fill_demo(store, factories=max(200, max(sizes)), seed=1)
    register = store.factories_frame()
    active = list(register[register["status"] == "active"]["factory_id"])
    if len(active) < max(sizes):
        raise SystemExit(f"the store has {len(active)} active factories; {max(sizes)} needed")

    papermill = Path(sys.executable).with_name("papermill")

    def papermill_call(factory_id: str, output: Path) -> list[str]:
        return [
            *(str(papermill), "--log-level", "ERROR", "--no-progress-bar"),
            *(str(NOTEBOOK), str(output), "-p", "factory_id", factory_id),
            *("-p", "as_of", AS_OF, "-p", "db", store.url),
        ]

    (work / "loop").mkdir()
    calls = active[: args.sample] if args.sample else active[: max(sizes)]
    pm_peak = (0.0, 0.0)
    start = time.perf_counter()
    for fid in calls:  # one at a time, as a shell loop runs them
        out = work / "loop" / fid
        out.mkdir()
        peak = timed(papermill_call(fid, out / "report.ipynb"), out)[2]
        pm_peak = tuple(map(max, pm_peak, peak))  # type: ignore[assignment]
    per_call = (time.perf_counter() - start) / len(calls)
    how = f"{len(calls)} calls x n" if args.sample else "the whole loop"
    print(
        f"one papermill command    {per_call:6.2f} s, {pm_peak[0]:.0f} MB RSS, {pm_peak[1]:.0f} MB"
        f" PSS (loop time: {how})"
    )

    for n in sizes:
        spec_path = work / f"batch-{n}.yaml"
        spec_path.write_text(
            yaml.safe_dump(
                {
                    "notebook": str(NOTEBOOK),
                    "select": {"ids": active[:n]},
                    "parameters": {"as_of": AS_OF},
                    "output": str(work / f"run-{n}"),
                    "formats": ["ipynb"],
                }
            )
        )
        command = [sys.executable, "-m", "bwcases", "--db", store.url, "run", str(spec_path)]
        argv = [*command, "--workers", str(args.workers)]
        first, total, peak = timed(argv, work / f"run-{n}")
        loop = per_call * n
        target = 20 if n <= 12 else 30
        print(
            f"{n:4d} factories: bwcases run --workers {args.workers} {total:6.1f} s "
            f"({n / total:5.2f}/s) | papermill loop {loop:6.1f} s | ratio {loop / total:5.1f}x "
            f"(target >= {target}x)"
        )
        print(
            f"{'':16}first result {first:5.2f} s after the command starts (target <= 1.5 s) | "
            f"peak memory {peak[0]:.0f} MB RSS, {peak[1]:.0f} MB PSS, the command and its kernels "
            "(target <= 400 MB)"
        )


if __name__ == "__main__":
    main()
