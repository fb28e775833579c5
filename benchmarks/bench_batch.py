"""Batch throughput: a shell loop of `papermill` calls against the `bwcases run` command.

    .venv/bin/python benchmarks/bench_batch.py [--items 12,100] [--workers 2] [--sample 4]
                                               [--rounds 3] [--store PATH] [--pdf]

Both produce the executed factory progress report (.ipynb) of the same factories of a demo
store. For each batch size, `bwcases run` as a command (imports, kernels, every item) is timed
from its start: until its first notebook is in place and until it ends, with the CPU time and
the peak memory of its whole process tree (the command, its kernels and their zygote; RSS and
PSS summed: RSS counts a page shared by forked kernels once in each, PSS splits it). The
papermill loop's time is `--sample` calls of one `papermill` command each, times the batch size
(the calls share nothing, so the loop is that linear; `--sample 0` runs the whole loop instead).
The sampled factories' notebooks are checked the same on both sides (cells and outputs).
The rounds are interleaved, papermill then each size, and the best of each is kept: on a shared
machine the CPU-time ratio is the steadier figure, the wall-time ratio the one a user sees.
With `--pdf`, each size also runs with HTML and PDF written (papermill writes neither), and what
each PDF adds is printed against the same run without them.

Targets (issue 16), as ratios in the same run: the first result <= 1.5 s after the command
starts; 12 factories >= 20x the papermill loop, 100 factories >= 30x; <= 400 MB for 2 workers.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import yaml

import bwcases
from bwcases.core.paths import NOTEBOOKS
from bwcases.io.demo import fill_demo
from bwcases.store import Store

NOTEBOOK = NOTEBOOKS / "factory_progress_report.ipynb"
AS_OF = "2026-06-30"


TICK = os.sysconf("SC_CLK_TCK")


def _tree(roots: set[int], memory: bool) -> dict[int, tuple[float, float, float]]:
    """Processes and all their descendants, from /proc: pid -> (RSS MB, PSS MB, CPU seconds so
    far); PSS splits shared pages (a forked kernel's are shared with its siblings). Memory is
    read only when asked (walking page tables takes CPU from the command measured)."""
    found: dict[int, tuple[float, float, float]] = {}
    frontier = list(roots)
    while frontier:
        pid = frontier.pop()
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
            utime, stime = stat[stat.rindex(")") + 2 :].split()[11:13]
            rss = pss = 0
            rollup = Path(f"/proc/{pid}/smaps_rollup").read_text() if memory else ""
            for line in rollup.splitlines():
                if line.startswith("Rss:"):
                    rss = int(line.split()[1])
                elif line.startswith("Pss:"):
                    pss = int(line.split()[1])
            found[pid] = (rss / 1024, pss / 1024, (int(utime) + int(stime)) / TICK)
            for task in Path(f"/proc/{pid}/task").iterdir():
                frontier += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, ValueError):  # gone meanwhile
            continue
        frontier = [p for p in frontier if p not in found]
    return found


@dataclass
class Timing:
    """One command's run: seconds to its first output and to its end, CPU seconds of its whole
    process tree, and the peak memory of that tree (RSS and PSS summed)."""

    first: float
    total: float
    cpu: float
    rss: float
    pss: float


def timed(argv: list[str], out: Path) -> Timing:
    """Run a command, watching `out` for its first notebook and its process tree for memory and
    CPU time (sampled every 20 ms: kernels killed at the end are reaped by no one it waits for;
    memory every 100 ms)."""
    start = time.perf_counter()
    first = None
    rss = pss = 0.0
    cpu: dict[int, float] = {}
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=err)
        tick = 0
        while proc.poll() is None:
            tick += 1
            if first is None and out.is_dir() and any(out.glob("*.ipynb")):
                first = time.perf_counter() - start  # outputs are renamed into place when done
            # Kernels forked by a zygote that has ended are no one's children: followed by pid
            tree = _tree({proc.pid, *cpu}, memory=tick % 5 == 1)
            rss = max(rss, sum(r for r, _, _ in tree.values()))
            pss = max(pss, sum(p for _, p, _ in tree.values()))
            for pid, (_, _, seconds) in tree.items():
                cpu[pid] = max(cpu.get(pid, 0.0), seconds)
            time.sleep(0.02)
        total = time.perf_counter() - start
        if proc.returncode or first is None:
            err.seek(0)
            raise SystemExit(f"{shlex.join(argv)} failed:\n{err.read().decode()[-2000:]}")
    return Timing(first, total, sum(cpu.values()), rss, pss)


def _shown(path: Path) -> list[tuple[str, str]]:
    """A notebook's cells as a reader sees them: source and outputs (not run times, cell ids,
    the addresses objects had in memory, or the order the parameters were injected in)."""
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return [
        (
            "".join(sorted("".join(cell["source"]).splitlines(keepends=True))),
            re.sub(r" at 0x[0-9a-f]+", "", json.dumps(cell.get("outputs", []), sort_keys=True)),
        )
        for cell in cells
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", default="12,100", help="batch sizes, comma-separated")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--sample", type=int, default=4, help="papermill calls timed (0: all)")
    parser.add_argument("--store", type=Path, help="an SQLite store to use (default: a new demo)")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (best kept)")
    parser.add_argument("--pdf", action="store_true", help="each size with HTML and PDF too")
    args = parser.parse_args()
    # bwcases compiled as an installed wheel is: where PYTHONDONTWRITEBYTECODE is set (this
    # machine), a checkout's modules would be compiled again by every process, on both sides
    compileall.compile_dir(Path(bwcases.__file__).parent, quiet=1)
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

    def run_command(spec: Path) -> list[str]:
        return [
            *(sys.executable, "-m", "bwcases", "--db", store.url),
            *("run", str(spec), "--workers", str(args.workers)),
        ]

    calls = active[: args.sample] if args.sample else active[: max(sizes)]
    specs, pdf_specs = {}, {}
    for n in sizes:
        for found, name, formats in (
            (specs, f"run-{n}", ["ipynb"]),
            (pdf_specs, f"pdf-{n}", ["ipynb", "html", "pdf"]),
        ):
            found[n] = work / f"{name}.yaml"
            found[n].write_text(
                yaml.safe_dump(
                    {
                        "notebook": str(NOTEBOOK),
                        "select": {"ids": active[:n]},
                        "parameters": {"as_of": AS_OF},
                        "output": str(work / name),
                        "formats": formats,
                    }
                )
            )
    loop: list[Timing] = []  # per papermill call: the mean of a round's calls
    runs: dict[int, list[Timing]] = {n: [] for n in sizes}
    pdf_runs: dict[int, list[Timing]] = {n: [] for n in sizes}
    for round_ in range(args.rounds):  # interleaved: a busy spell of the machine hits both sides
        calls_made = []
        for fid in calls:  # one at a time, as a shell loop runs them
            out = work / f"loop-{round_}" / fid
            out.mkdir(parents=True)
            calls_made.append(timed(papermill_call(fid, out / "report.ipynb"), out))
        k = len(calls_made)
        loop.append(
            Timing(
                sum(t.first for t in calls_made) / k,
                sum(t.total for t in calls_made) / k,
                sum(t.cpu for t in calls_made) / k,
                max(t.rss for t in calls_made),
                max(t.pss for t in calls_made),
            )
        )
        for n in sizes:
            out = work / f"run-{n}"
            shutil.rmtree(out, ignore_errors=True)
            runs[n].append(timed(run_command(specs[n]), out))
            for fid in calls:  # the same work on both sides: the same cells, the same outputs
                if fid in active[:n] and _shown(out / f"{fid}.ipynb") != _shown(
                    work / f"loop-{round_}" / fid / "report.ipynb"
                ):
                    raise SystemExit(f"{fid}: bwcases run and papermill disagree")
            if args.pdf:
                out = work / f"pdf-{n}"
                shutil.rmtree(out, ignore_errors=True)
                pdf_runs[n].append(timed(run_command(pdf_specs[n]), out))
                if len(list(out.glob("*.pdf"))) != n:
                    raise SystemExit(f"{out}: not a PDF for each of the {n} factories")

    per_call = min(t.total for t in loop)
    per_call_cpu = min(t.cpu for t in loop)
    how = f"{len(calls)} calls x n" if args.sample else "the whole loop"
    print(
        f"one papermill command    {per_call:6.2f} s, {per_call_cpu:5.2f} s CPU, "
        f"{max(t.rss for t in loop):.0f} MB RSS, {max(t.pss for t in loop):.0f} MB PSS "
        f"(best of {args.rounds}; loop time: {how}; load {os.getloadavg()[0]:.1f})"
    )
    for n in sizes:
        total = min(t.total for t in runs[n])
        cpu = min(t.cpu for t in runs[n])
        target = 20 if n <= 12 else 30
        print(
            f"{n:4d} factories: bwcases run --workers {args.workers} {total:6.1f} s "
            f"({n / total:5.2f}/s) | papermill loop {per_call * n:6.1f} s | ratio "
            f"{per_call * n / total:5.1f}x (target >= {target}x) | CPU {cpu:5.1f} s against "
            f"{per_call_cpu * n:6.1f} s: {per_call_cpu * n / cpu:5.1f}x"
        )
        print(
            f"{'':16}first result {min(t.first for t in runs[n]):5.2f} s after the command "
            f"starts (target <= 1.5 s) | peak memory {min(t.rss for t in runs[n]):.0f} MB RSS, "
            f"{min(t.pss for t in runs[n]):.0f} MB PSS, the command and its kernels "
            "(target <= 400 MB)"
        )
        if args.pdf:
            with_pdf = min(t.total for t in pdf_runs[n])
            print(
                f"{'':16}with HTML and PDF {with_pdf:5.1f} s: {(with_pdf - total) / n:.2f} s "
                f"more per factory than without; CPU {min(t.cpu for t in pdf_runs[n]):5.1f} s"
            )


if __name__ == "__main__":
    main()
