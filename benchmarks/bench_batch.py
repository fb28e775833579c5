"""Batch throughput: a shell loop of `papermill` calls against `bwcases run`, same factories.

    .venv/bin/python benchmarks/bench_batch.py [--items 40] [--workers 2] [--store PATH]

Both produce the executed factory progress report (.ipynb) of the same factories of a demo
store; prints factories per second of each, the ratio, and the peak memory of a worker (its
process and its kernel). Target (issue 4): at least 10x the shell loop.

Then the wait for the first result: `bwcases run` as a command (imports, workers, kernels) until
its first notebook is in place, against one `papermill` command for one factory, in this run.
Target (issue 16): the first result <= 1.5 s after the command starts.
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

from bwcases.batch.run import run
from bwcases.batch.spec import load_spec
from bwcases.core.paths import NOTEBOOKS
from bwcases.io.demo import fill_demo
from bwcases.store import Store

NOTEBOOK = NOTEBOOKS / "factory_progress_report.ipynb"
AS_OF = "2026-06-30"


def first_result(argv: list[str], out: Path) -> tuple[float, float]:
    """Seconds from the command's start until its first notebook is in `out`, and until its end."""
    start = time.perf_counter()
    first = None
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=err)
        while proc.poll() is None:
            if first is None and any(".tmp" not in p.parts for p in out.rglob("*.ipynb")):
                first = time.perf_counter() - start  # outputs are renamed into place when done
            time.sleep(0.01)
        total = time.perf_counter() - start
        if proc.returncode or first is None:
            err.seek(0)
            raise SystemExit(f"{shlex.join(argv)} failed:\n{err.read().decode()[-2000:]}")
    return first, total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=40)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--store", type=Path, help="an SQLite store to use (default: a new demo)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bwcases-batch-"))
    path = args.store or work / "demo.sqlite"
    store = Store(f"sqlite:///{path}")
    if store.factories_frame().empty:
        fill_demo(store, factories=200, seed=1)
    register = store.factories_frame()
    items = list(register[register["status"] == "active"]["factory_id"][: args.items])

    papermill = Path(sys.executable).with_name("papermill")

    def papermill_call(factory_id: str, output: Path) -> list[str]:
        return [
            *(str(papermill), "--log-level", "ERROR", "--no-progress-bar"),
            *(str(NOTEBOOK), str(output), "-p", "factory_id", factory_id),
            *("-p", "as_of", AS_OF, "-p", "db", store.url),
        ]

    loop = "\n".join(shlex.join(papermill_call(i, work / "loop" / f"{i}.ipynb")) for i in items)
    (work / "loop").mkdir()
    start = time.perf_counter()
    subprocess.run(["bash", "-c", loop], check=True, capture_output=True)
    shell = time.perf_counter() - start

    spec_path = work / "batch.yaml"
    spec_path.write_text(
        yaml.safe_dump(
            {
                "notebook": str(NOTEBOOK),
                "select": {"ids": items},
                "parameters": {"as_of": AS_OF},
                "output": str(work / "run"),
                "formats": ["ipynb"],
            }
        )
    )
    start = time.perf_counter()
    outcome = run(load_spec(spec_path), store, workers=args.workers)
    ours = time.perf_counter() - start
    assert outcome.exit_status == 0, [r.error for r in outcome.failed]
    peak = max(r.worker_peak_mb for r in outcome.results)
    n = len(items)
    print(f"shell loop of papermill  {n / shell:6.2f} factories/s ({shell:.1f} s for {n})")
    print(
        f"bwcases run --workers {args.workers}  {n / ours:6.2f} factories/s ({ours:.1f} s for {n})"
    )
    print(f"ratio                    {shell / ours:6.1f}x (target >= 10x)")
    print(f"worker peak memory       {peak:.0f} MB (worker process + its kernel)")

    spec = yaml.safe_load(spec_path.read_text())
    spec_path.write_text(yaml.safe_dump({**spec, "output": str(work / "command")}))
    command = [sys.executable, "-m", "bwcases", "run", str(spec_path), "--db", store.url]
    first, total = first_result([*command, "--workers", str(args.workers)], work / "command")
    start = time.perf_counter()  # papermill writes its output as it goes: its end is its result
    subprocess.run(papermill_call(items[0], work / "one.ipynb"), check=True, capture_output=True)
    papermill_one = time.perf_counter() - start
    print(
        f"first result             {first:6.2f} s after `bwcases run` starts ({total:.1f} s for "
        f"{n}) | one papermill command {papermill_one:.2f} s; ratio {first / papermill_one:.2f}x "
        "(target <= 1.5 s)"
    )


if __name__ == "__main__":
    main()
